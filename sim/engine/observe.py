"""Observation: every year, the indicators of each system, each district and each tipping scope.

Values are kept in preallocated arrays (year x system, year x district) and turned into tidy
frames once, at the end: no per-year DataFrame, no per-system Python work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.indicators import GapGroups, Sums, role_counts
from sim.engine.params import Section
from sim.engine.state import FELLOW, GONE, SystemState
from sim.mechanisms.students import school_achievement
from sim.scenario import DIMENSIONS, ROLES
from sim.scenario.schema import TIPPING_METRICS

INDICATORS = ("practising_share", "mean_achievement", "achievement_gap", "achievement_gain", "leadership_index",
              *(f"dim_{d}" for d in DIMENSIONS), "district_support")
SYSTEM_COLUMNS = (
    *INDICATORS, "ministry_alignment", "fellows", "partners_active", "host_schools", "unplaced_fellows",
    "unplaced_moves", *(f"alumni_{r}" for r in ROLES), "alumni_gone", "tipping_metric", "districts_tipped",
    "districts_in_scope", "tipped",
)
DISTRICT_COLUMNS = (*INDICATORS, "teachers", "programme", "in_scope", "tipped")


class Recorder:
    """Keeps each year's indicators for every system and district of a batch, and the tipping rule's state."""

    def __init__(self, state: SystemState, params: Section, years: int) -> None:
        b, d = state.batch_size, state.districts.size
        self.years = years
        self.system = {c: np.full((years + 1, b), np.nan) for c in SYSTEM_COLUMNS}
        self.district = {c: np.full((years + 1, d), np.nan) for c in DISTRICT_COLUMNS}
        tip = params.tipping
        self.metric = np.array([TIPPING_METRICS.index(m) for m in tip.metric])
        self.downward = np.array([m == "achievement_gap" for m in tip.metric])
        self.scope_is_programme = np.array([s == "programme_districts" for s in tip.scope])
        self.streak = np.zeros(b, dtype=np.int64)
        self.district_streak = np.zeros(d, dtype=np.int64)
        self.tipped_year = np.full(b, -1, dtype=np.int64)
        self.rows = 0
        self.gap_groups: dict[str, GapGroups] = {}

    def _gap_groups(self, name: str, state: SystemState, params: Section, group_of_school: np.ndarray,
                    n_groups: int) -> GapGroups:
        """The gap's school groups for a grouping, found again only when the grouping changes (a programme
        reaching new districts changes its scope) or students.gap_quantile does (a live lever)."""
        groups = self.gap_groups.get(name)
        if groups is None or not groups.same(group_of_school, params):
            groups = self.gap_groups[name] = GapGroups(state, params, group_of_school, n_groups)
        return groups

    def observe(self, state: SystemState, params: Section) -> None:
        y, tip = state.year, params.tipping
        d, s, m, sy = state.districts, state.schools, state.members, state.systems
        b = state.batch_size
        sums = Sums(state, params)
        achievement = school_achievement(state)
        system = sums.grouped(d.sys.astype(np.int64), b, system_groups=True)
        system["achievement_gap"] = self._gap_groups("system", state, params, s.sys, b).gap(achievement)
        per_district = sums.grouped(np.arange(d.size), d.size)
        per_district["achievement_gap"] = self._gap_groups("district", state, params, s.district, d.size).gap(
            achievement)
        in_scope = np.where(self.scope_is_programme[d.sys], d.programme, d.tipping_scope)
        scope_group = np.where(in_scope, d.sys, -1).astype(np.int64)
        scoped = sums.grouped(scope_group, b)
        scoped["achievement_gap"] = self._gap_groups("scope", state, params, scope_group[s.district], b).gap(
            achievement)

        for name in INDICATORS:
            self.system[name][y] = system[name]
            self.district[name][y] = per_district[name]
        self.district["teachers"][y] = per_district["teachers"]
        self.district["programme"][y] = d.programme
        self.district["in_scope"][y] = in_scope
        self.system["ministry_alignment"][y] = sy.ministry_alignment
        self.system["fellows"][y] = np.bincount(m.sys[m.status == FELLOW], minlength=b)
        self.system["partners_active"][y] = np.bincount(state.partners.sys[state.partners.active], minlength=b)
        self.system["host_schools"][y] = np.bincount(s.sys[s.hosted], minlength=b)
        self.system["unplaced_fellows"][y] = sy.unplaced_fellows
        self.system["unplaced_moves"][y] = sy.unplaced_moves
        roles = role_counts(state)
        for i, role in enumerate(ROLES):
            self.system[f"alumni_{role}"][y] = roles[:, i]
        self.system["alumni_gone"][y] = np.bincount(m.sys[m.status == GONE], minlength=b)

        # the tipping rule, pooled over the scope, and district by district
        metric = np.stack([scoped[name] for name in TIPPING_METRICS])[self.metric, np.arange(b)]
        self.system["tipping_metric"][y] = metric
        self.streak = np.where(self._reached(metric, tip.level, self.downward), self.streak + 1, 0)
        mine = np.stack([per_district[name] for name in TIPPING_METRICS])[self.metric[d.sys], np.arange(d.size)]
        held = self._reached(mine, tip.level[d.sys], self.downward[d.sys])
        self.district_streak = np.where(held, self.district_streak + 1, 0)
        district_tipped = self.district_streak >= tip.sustained_years[d.sys]
        self.district["tipped"][y] = district_tipped
        tipped_count = np.bincount(d.sys, weights=district_tipped & in_scope, minlength=b)
        scope_size = np.bincount(d.sys, weights=in_scope, minlength=b)
        self.system["districts_tipped"][y] = tipped_count
        self.system["districts_in_scope"][y] = scope_size
        pooled = self.streak >= tip.sustained_years
        needed = np.ceil(tip.district_share * scope_size - 1e-9)
        by_district = (scope_size > 0) & (tipped_count >= needed)
        tipped = np.where(tip.by_district, by_district, pooled)
        self.system["tipped"][y] = tipped
        first = tipped & (self.tipped_year < 0)
        # the first year of the run of years that met the rule
        self.tipped_year = np.where(first, y - tip.sustained_years + 1, self.tipped_year)
        self.rows = y + 1

    @staticmethod
    def _reached(metric: np.ndarray, level: np.ndarray, downward: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(downward, metric <= level, metric >= level)

    # --- tidy frames ------------------------------------------------------------------------------

    def yearly(self, systems: np.ndarray | None = None) -> pd.DataFrame:
        """One row per system and year (system-major); `system` is the row's system in the batch."""
        years, b = self.rows, self.system["tipped"].shape[1]
        chosen = np.arange(b) if systems is None else np.asarray(systems)
        columns = {c: self.system[c][:years, chosen].T.ravel() for c in SYSTEM_COLUMNS}
        # dtypes set on the arrays: setting them column by column on the frame costs more than the rest
        for c in ("fellows", "partners_active", "host_schools", "unplaced_fellows", "unplaced_moves",
                  "alumni_gone", "districts_tipped", "districts_in_scope", *(f"alumni_{r}" for r in ROLES)):
            columns[c] = columns[c].astype(np.int64)
        columns["tipped"] = columns["tipped"].astype(bool)
        frame = pd.DataFrame({"system": np.repeat(chosen, years), "year": np.tile(np.arange(years), chosen.size),
                              **columns})
        tipped_year = np.repeat(self.tipped_year[chosen], years)
        frame["tipped_year"] = pd.arrays.IntegerArray(np.where(tipped_year >= 0, tipped_year, 0).astype(np.int64),
                                                      tipped_year < 0)
        return frame

    def districts(self, state: SystemState, systems: np.ndarray | None = None) -> pd.DataFrame:
        """One row per district and year."""
        years = self.rows
        d = state.districts
        rows = np.arange(d.size) if systems is None else np.flatnonzero(np.isin(d.sys, systems))
        names = np.asarray(d.names, dtype=object)[rows]
        system, year = np.tile(d.sys[rows], years), np.repeat(np.arange(years), rows.size)
        # by system, then year, then district as listed (a stable sort by system and year)
        order = np.lexsort((np.arange(system.size), year, system))
        columns = {c: self.district[c][:years, rows].ravel()[order] for c in DISTRICT_COLUMNS}
        columns["teachers"] = columns["teachers"].astype(np.int64)
        for c in ("programme", "in_scope", "tipped"):
            columns[c] = columns[c].astype(bool)
        return pd.DataFrame({"system": system[order], "year": year[order], "district": np.tile(names, years)[order],
                             **columns})
