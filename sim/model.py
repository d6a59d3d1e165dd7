"""The school-system model as Mesa sees it: one system, a year a step, agents as views onto its arrays.

    model = SchoolSystemModel(load_scenario("scenarios/ancash.yaml"), rng=1)
    while model.running:            # stops at the scenario's last year
        model.step()
    model.yearly()                  # one row per year

The work is done by the batch engine (sim/engine) with a batch of one: running a system here and
in a batch of many gives identical results. Keyword arguments are scenario overrides by key path,
so `mesa.batch_run(SchoolSystemModel, {"scenario": s, "contagion.lapse_rate": [0.1, 0.3]}, ...)`
works as it does for Mesa's own examples.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AgentSet

from sim.agents import Alumnus, DistrictOffice, Fellow, Ministry, PartnerOrganisation, School, Teacher
from sim.engine import Batch
from sim.engine.observe import SYSTEM_COLUMNS
from sim.engine.state import FELLOW
from sim.scenario import Scenario


class SchoolSystemModel(mesa.Model):
    """A school system in which fellows, alumni and institutions build collective leadership.

    One step is one school year. `model.scenario` is the validated Scenario (assign a changed one,
    e.g. `model.scenario = model.scenario.with_overrides({...})`, to move a lever from the next
    year); `model.state` holds every array the mechanisms update.
    """

    def __init__(
        self, scenario: Scenario | None = None, rng: int | np.integer | np.random.Generator | None = None,
        **overrides: Any,
    ) -> None:
        # Mesa takes Python integers as seeds; numpy integers (from numpy designs or samplers) work too
        super().__init__(rng=int(rng) if isinstance(rng, np.integer) else rng)
        scenario = (scenario or Scenario()).with_overrides(overrides) if overrides else (scenario or Scenario())
        self._engine = Batch([scenario], [self.rng], years=scenario.years)
        self._scenario = scenario
        self._member_agents: dict[int, mesa.Agent] = {}
        self._view_status = np.zeros(self.state.members.size, dtype=np.int8)  # status each view shows
        self._partner_agents = 0
        self._teachers_created = False
        self._create_agents()
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m._latest(c)) for c in SYSTEM_COLUMNS}
        )
        self.datacollector.collect(self)
        self.running = scenario.years > 0

    # Mesa 3.5 keeps its own experimental Scenario at `model.scenario`; this model's parameters are a
    # Critical Mass Scenario, so the property is this model's own (Mesa's setter would tag it).
    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @scenario.setter
    def scenario(self, value: Any) -> None:
        if not isinstance(value, Scenario):
            return  # Mesa's constructor assigns its own (empty) scenario; this model does not use it
        self._engine.set_scenarios([value])  # first: a change it refuses leaves the model on its scenario
        self._scenario = value

    @property
    def state(self):
        return self._engine.state

    @property
    def tipped_year(self) -> int | None:
        year = int(self._engine.recorder.tipped_year[0])
        return None if year < 0 else year

    def step(self) -> None:
        self._engine.step()
        self._sync_agents()
        self.datacollector.collect(self)
        if self._engine.state.year >= self._scenario.years:
            self.running = False

    # --- results ---------------------------------------------------------------------------

    def yearly(self) -> pd.DataFrame:
        """One row per year: system-wide outcomes, alumni per role, whether and when the system tipped."""
        return self._engine.yearly().drop(columns="system")

    def districts(self) -> pd.DataFrame:
        """One row per district and year."""
        return self._engine.districts().drop(columns="system")

    def roles(self) -> pd.DataFrame:
        """Alumni per role and year, long form."""
        return self._engine.roles().drop(columns="system")

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: frame.drop(columns="system") for name, frame in self._engine.frames().items()}

    def _latest(self, column: str) -> float:
        return float(self._engine.recorder.system[column][self._engine.state.year, 0])

    # --- agents: views onto rows --------------------------------------------------------------

    def _create_agents(self) -> None:
        s = self.state
        for row in range(s.schools.size):
            School(self, row)
        for row in range(s.districts.size):
            DistrictOffice(self, row)
        Ministry(self)
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
        for row in np.flatnonzero(m.status != self._view_status).tolist():  # a cohort's worth a year
            agent = self._member_agents.pop(int(row), None)
            if agent is not None:
                agent.remove()
            kind = Fellow if m.status[row] == FELLOW else Alumnus
            self._member_agents[int(row)] = kind(self, int(row))
        self._view_status[:] = m.status
        in_use = int(self.state.systems.partner_count[0])
        for partner in range(self._partner_agents, in_use):
            PartnerOrganisation(self, partner)
        self._partner_agents = in_use
