"""A batch of independent school systems stepped together, a year at a time.

    batch = Batch([scenario_a, scenario_b], seeds=[1, 2])
    batch.run(20)
    batch.yearly()       # one row per system and year, with a `system` column

Each system has its own random generator and draws from it exactly as it would alone, so every
system's trajectory is identical, bit for bit, to a batch of one with its seed (which is what
SchoolSystemModel runs). Systems in a batch may differ in any value, including their size; they
must share the number of grades.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.engine.build import build_batch
from sim.engine.levers import check_live_change
from sim.engine.observe import Recorder
from sim.engine.params import Section, compile_params
from sim.engine.state import SystemState
from sim.engine.streams import Streams
from sim.mechanisms import careers, destinations, institutions, practice, programme, students
from sim.scenario import ROLES, Scenario

Seed = int | np.integer | np.random.Generator


def generator(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))


class Batch:
    """B systems in one set of arrays; `year` is shared, every other state is per system."""

    def __init__(self, scenarios: Sequence[Scenario], seeds: Sequence[Seed], years: int | None = None) -> None:
        if len(scenarios) != len(seeds) or not scenarios:
            raise ValueError("give one seed per scenario, and at least one scenario")
        self.scenarios = list(scenarios)
        self.streams = Streams([generator(s) for s in seeds])
        params = compile_params(self.scenarios)
        self.state: SystemState = build_batch(self.scenarios, params, self.streams)
        destinations.compile_destinations(params, self.state)
        self.params = params
        self.years = years if years is not None else max(s.years for s in self.scenarios)
        self._start()
        self.recorder = Recorder(self.state, self.params, self.years)
        self.recorder.observe(self.state, self.params)

    @property
    def size(self) -> int:
        return len(self.scenarios)

    def _compile(self, scenarios: list[Scenario]) -> Section:
        params = compile_params(scenarios)
        destinations.compile_destinations(params, self.state)
        return params

    def set_scenarios(self, scenarios: Sequence[Scenario]) -> None:
        """Change values mid-run (a live lever): the mechanisms read the new ones from the next year.
        A change to a value read only when the system is built (its size, members, network, placement,
        the tipping rule's metric and scope: sim.engine.levers.BUILD_ONLY) is refused with a ScenarioError."""
        scenarios = list(scenarios)
        if len(scenarios) != len(self.scenarios):
            raise ValueError(f"give one scenario per system: {len(self.scenarios)}, got {len(scenarios)}")
        checked: set[tuple[int, int]] = set()
        for b, (before, after) in enumerate(zip(self.scenarios, scenarios, strict=True)):
            if (id(before), id(after)) not in checked:  # a batch of replicates shares its scenario objects
                check_live_change(before, after, b if len(scenarios) > 1 else None)
                checked.add((id(before), id(after)))
        self.scenarios = scenarios
        self.params = self._compile(self.scenarios)

    def _start(self) -> None:
        state, params = self.state, self.params
        institutions.open_initial_partners(state, params)
        institutions.update_partners(state, params)
        institutions.align_leaders(state, params)
        students.start_cohorts(state, params)

    def step(self) -> None:
        """One school year for every system."""
        state, params, streams = self.state, self.params, self.streams
        state.year += 1
        state.systems.unplaced_moves[:] = 0
        careers.teacher_turnover(state, params, streams)
        careers.alumni_leave(state, params, streams)
        careers.fellows_advance(state, params, streams)
        careers.alumni_mobility(state, params, streams)
        programme.recruit_cohort(state, params, streams)
        institutions.update_partners(state, params, streams)
        institutions.update_institutions(state, params)
        practice.spread_practice(state, params, streams)
        students.teach_year(state, params, streams)
        if state.year > self.recorder.years:
            self.recorder = _grown(self.recorder, state.year)
        self.recorder.observe(state, params)

    def run(self, years: int | None = None) -> None:
        for _ in range(self.years - self.state.year if years is None else years):
            self.step()

    # --- results ------------------------------------------------------------------------------------

    def yearly(self, systems: Sequence[int] | None = None) -> pd.DataFrame:
        return self.recorder.yearly(None if systems is None else np.asarray(systems))

    def districts(self, systems: Sequence[int] | None = None) -> pd.DataFrame:
        return self.recorder.districts(self.state, None if systems is None else np.asarray(systems))

    def roles(self, systems: Sequence[int] | None = None) -> pd.DataFrame:
        return roles_frame(self.yearly(systems))

    def frames(self, systems: Sequence[int] | None = None) -> dict[str, pd.DataFrame]:
        yearly = self.yearly(systems)
        return {"yearly": yearly, "districts": self.districts(systems), "roles": roles_frame(yearly)}


def roles_frame(yearly: pd.DataFrame) -> pd.DataFrame:
    """Alumni per role and year, long form: ordered by system and year, then role as in ROLES (the order
    pandas' melt followed by a stable sort gives, built with NumPy because melt costs milliseconds)."""
    ids = [c for c in ("system", "year") if c in yearly.columns]
    row = np.repeat(np.arange(len(yearly)), len(ROLES))
    role = np.tile(np.arange(len(ROLES)), len(yearly))
    order = np.lexsort([row, role, *(yearly[c].to_numpy()[row] for c in reversed(ids))])
    alumni = yearly[[f"alumni_{r}" for r in ROLES]].to_numpy().ravel()
    return pd.DataFrame({
        **{c: yearly[c].to_numpy()[row[order]] for c in ids},
        "role": pd.array(np.asarray(ROLES, dtype=object)[role[order]], dtype="str"),
        "alumni": alumni[order],
    })


def _grown(recorder: Recorder, year: int) -> Recorder:
    """Room for years beyond the planned horizon (a model stepped on past its scenario's years)."""
    extra = max(year, 2 * recorder.years) - recorder.years
    for table in (recorder.system, recorder.district):
        for name, values in table.items():
            table[name] = np.vstack([values, np.full((extra, values.shape[1]), np.nan)])
    recorder.years += extra
    return recorder
