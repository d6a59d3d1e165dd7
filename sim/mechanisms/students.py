"""Students: each school's cohorts gain or lose achievement (SD units) every year they are taught.

A year's gain rises with the share of practising teachers, an aligned leader and district
support, and falls with staff turnover and disadvantage. Without the programme the gains are
steady, so cohorts move through a school without changing its mean: any change is the model's.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.institutions import school_practising_share
from sim.scenario import Scenario
from sim.state import SystemState


def yearly_gain(state: SystemState, scenario: Scenario) -> np.ndarray:
    st, s = scenario.students, state.schools
    turnover = s.leavers / s.teachers
    return (
        st.practice_effect * school_practising_share(state)
        + st.leader_effect * s.leader_aligned
        + st.district_effect * state.districts.support[s.district]
        - st.turnover_penalty * turnover
        - st.disadvantage_penalty * s.disadvantage
    )


def start_cohorts(state: SystemState, scenario: Scenario, expected_turnover: np.ndarray) -> None:
    """Fill every grade as if the starting conditions had always held."""
    s = state.schools
    s.leavers[:] = np.rint(expected_turnover * s.teachers).astype(np.int32)
    gain = yearly_gain(state, scenario)
    grades = np.arange(1, s.cohorts.shape[1] + 1)
    s.cohorts[:] = s.entry[:, None] + gain[:, None] * grades[None, :]
    s.leavers[:] = 0


def teach_year(state: SystemState, scenario: Scenario, rng: np.random.Generator) -> None:
    st, s = scenario.students, state.schools
    if not st.enabled:
        return
    gain = yearly_gain(state, scenario) + rng.normal(0.0, st.noise_sd, s.size)
    # the oldest grade leaves, a new cohort enters, and every grade is taught for a year
    s.cohorts[:, 1:] = s.cohorts[:, :-1]
    s.cohorts[:, 0] = s.entry
    s.cohorts += gain[:, None]


def school_achievement(state: SystemState) -> np.ndarray:
    return state.schools.cohorts.mean(axis=1)
