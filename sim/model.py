"""The school-system model: a year at a time, careers, the programme, institutions, practice, students."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AgentSet

from sim.agents import Alumnus, DistrictOffice, Fellow, Ministry, PartnerOrganisation, School, Teacher
from sim.build import build_system
from sim.indicators import achievement_gap, group_indicators, role_counts
from sim.mechanisms import careers, institutions, practice, programme, students
from sim.scenario import Scenario
from sim.state import FELLOW

SYSTEM_COLUMNS = (
    "practising_share", "mean_achievement", "achievement_gap", "leadership_index",
    "district_support", "ministry_alignment", "fellows", "partners_active", "tipped",
)


class SchoolSystemModel(mesa.Model):
    """A school system in which fellows, alumni and institutions build collective leadership.

    One step is one school year. `model.config` is the validated Scenario; `model.state` holds
    every array the mechanisms update.
    """

    def __init__(self, scenario: Scenario, rng: int | np.random.Generator | None = None) -> None:
        super().__init__(rng=rng)
        self.config = scenario
        self.state = build_system(scenario, self.rng)
        self._open_initial_partners()
        institutions.update_partners(self.state, scenario)
        institutions.align_leaders(self.state, scenario)
        students.start_cohorts(self.state, scenario, self._expected_turnover())

        self._member_agents: dict[int, mesa.Agent] = {}
        self._view_status = np.zeros(self.state.members.size, dtype=np.int8)  # status each view shows
        self._partner_agents = 0
        self._create_agents()
        self._streak = 0
        self.tipped_year: int | None = None
        self._district_rows: list[pd.DataFrame] = []
        self._latest: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={key: (lambda m, k=key: m._latest[k]) for key in self._observe_keys()}
        )
        self._observe()

    def step(self) -> None:
        state, scenario, rng = self.state, self.config, self.rng
        state.year = int(self.time)
        careers.teacher_turnover(state, scenario, rng)
        careers.fellows_advance(state, scenario, rng)
        careers.alumni_mobility(state, scenario, rng)
        programme.recruit_cohort(state, scenario, rng)
        institutions.update_partners(state, scenario)
        institutions.update_institutions(state, scenario)
        practice.spread_practice(state, scenario, rng)
        students.teach_year(state, scenario, rng)
        self._sync_agents()
        self._observe()

    # --- results ---------------------------------------------------------------------------

    def yearly(self) -> pd.DataFrame:
        """One row per year: system-wide outcomes, alumni per role, whether the system has tipped."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "year", np.arange(len(frame)))
        return frame

    def districts(self) -> pd.DataFrame:
        """One row per district and year."""
        return pd.concat(self._district_rows, ignore_index=True)

    def roles(self) -> pd.DataFrame:
        """Alumni per role and year, long form."""
        frame = self.yearly()
        cols = [c for c in frame.columns if c.startswith("alumni_")]
        long = frame.melt(id_vars="year", value_vars=cols, var_name="role", value_name="alumni")
        long["role"] = long["role"].str.removeprefix("alumni_")
        return long

    def frames(self) -> dict[str, pd.DataFrame]:
        return {"yearly": self.yearly(), "districts": self.districts(), "roles": self.roles()}

    # --- internals -------------------------------------------------------------------------

    def _expected_turnover(self) -> np.ndarray:
        c = self.config.careers
        if not c.enabled:
            return np.zeros(self.state.schools.size)
        return c.turnover + c.turnover_disadvantage * self.state.schools.disadvantage

    def _open_initial_partners(self) -> None:
        n = self.config.partners.initial
        if n == 0 or not self.config.partners.enabled:
            return
        d = self.state.districts
        order = np.argsort(-d.disadvantage, kind="stable")
        institutions.open_partners(
            self.state, self.config, np.arange(n), order[np.arange(n) % d.size], np.full(n, -1)
        )

    def _create_agents(self) -> None:
        s = self.state
        for row in range(s.schools.size):
            School(self, row)
        for row in range(s.districts.size):
            DistrictOffice(self, row)
        Ministry(self)
        self._teachers_created = False
        self._sync_agents()

    # A view per teaching post costs about 7 s and 450 MB at a million teachers, and no mechanism
    # needs them; they are made the first time anyone asks for the model's agents.
    @property
    def agents(self) -> AgentSet:
        self._create_teacher_views()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, AgentSet]:
        self._create_teacher_views()
        return super().agents_by_type

    def _create_teacher_views(self) -> None:
        if not self._teachers_created:
            self._teachers_created = True
            for row in range(self.state.posts.size):
                Teacher(self, row)

    def _sync_agents(self) -> None:
        """Create views for new fellows, alumni and partners: only the rows whose status changed."""
        m = self.state.members
        for row in np.flatnonzero(m.status != self._view_status):  # a cohort's worth a year
            agent = self._member_agents.pop(int(row), None)
            if agent is not None:
                agent.remove()
            kind = Fellow if m.status[row] == FELLOW else Alumnus
            self._member_agents[int(row)] = kind(self, int(row))
        self._view_status[:] = m.status
        for row in range(self._partner_agents, self.state.partners.count):
            PartnerOrganisation(self, row)
        self._partner_agents = self.state.partners.count

    def _observe_keys(self) -> list[str]:
        return list(self._system_metrics().keys())

    def _system_metrics(self) -> dict[str, float]:
        state, scenario = self.state, self.config
        n_d = state.districts.size
        system = group_indicators(state, scenario, np.zeros(n_d, dtype=np.int64), 1, national=True)
        metrics = {k: float(v[0]) for k, v in system.items() if k != "teachers"}
        metrics["achievement_gap"] = achievement_gap(state, scenario.students.gap_quantile)
        metrics["ministry_alignment"] = state.ministry_alignment
        metrics["fellows"] = int(np.sum(state.members.status == FELLOW))
        metrics["partners_active"] = int(state.partners.active[: state.partners.count].sum())
        metrics["unplaced_fellows"] = state.unplaced_fellows
        metrics.update(role_counts(state))
        metrics["tipping_metric"] = self._tipping_metric(system)
        metrics["tipped"] = False
        return metrics

    def _tipping_metric(self, system: dict[str, np.ndarray]) -> float:
        tip = self.config.tipping
        if tip.scope == "system":
            return float(system[tip.metric][0])
        groups = (~self.state.districts.programme).astype(np.int64)
        scoped = group_indicators(self.state, self.config, groups, 2, national=False)
        return float(scoped[tip.metric][0])

    def _observe(self) -> None:
        metrics = self._system_metrics()
        tip = self.config.tipping
        self._streak = self._streak + 1 if metrics["tipping_metric"] >= tip.threshold else 0
        metrics["tipped"] = self._streak >= tip.sustained_years
        if metrics["tipped"] and self.tipped_year is None:
            self.tipped_year = self.state.year - tip.sustained_years + 1
        self._latest = metrics
        self.datacollector.collect(self)
        self._district_rows.append(self._district_frame())

    def _district_frame(self) -> pd.DataFrame:
        d = self.state.districts
        per = group_indicators(self.state, self.config, np.arange(d.size), d.size, national=False)
        frame = pd.DataFrame({"year": self.state.year, "district": d.names, "programme": d.programme, **per})
        frame["teachers"] = frame["teachers"].astype(np.int64)
        return frame
