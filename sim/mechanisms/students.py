"""Students: each school's grade cohorts gain or lose achievement (SD units) every year they are taught.

A year's gain comes from the school's practising teachers (a programme teacher's own effect, and
the smaller effect of a colleague who took the practice up), an aligned leader and district
support, less staff turnover and disadvantage. What a year adds above the school's no-programme
path (its gain under the starting conditions) fades: only `students.persistence` of it is still
there a year later (Jacob, Lefgren & Sims 2010), so a cohort's lead over that path is a decaying
sum of its years' extra gains. With persistence 1 nothing fades: each cohort simply adds its gains.
"""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import SystemState
from sim.engine.streams import Streams


def practising_shares(state: SystemState) -> tuple[np.ndarray, np.ndarray]:
    """Per school: the share of posts held by practising programme members, and by other practising teachers."""
    p, s = state.posts, state.schools
    member = p.member >= 0
    by_members = np.bincount(p.school, weights=p.practising & member, minlength=s.size) / s.teachers
    by_others = np.bincount(p.school, weights=p.practising & ~member, minlength=s.size) / s.teachers
    return by_members, by_others


def yearly_gain(state: SystemState, params: Section, leavers: np.ndarray) -> np.ndarray:
    st, s = params.students, state.schools
    by_members, by_others = practising_shares(state)
    b = s.sys
    return (
        st.programme_teacher_effect[b] * by_members
        + st.peer_practice_effect[b] * by_others
        + st.leader_effect[b] * s.leader_aligned
        + st.district_effect[b] * state.districts.support[s.district]
        - st.turnover_penalty[b] * leavers / s.teachers
        - st.disadvantage_penalty[b] * s.disadvantage
    )


def expected_leavers(state: SystemState, params: Section) -> np.ndarray:
    """Teachers a school loses in an average year: the turnover rule's rate summed over its non-member posts."""
    p, s, c = state.posts, state.schools, params.careers
    rate = (c.turnover[p.sys] + c.turnover_disadvantage[p.sys] * s.disadvantage[p.school]) * (
        1.0 - c.rootedness_retention[p.sys] * p.rootedness) * c.enabled[p.sys]
    return np.bincount(p.school, weights=rate * (p.member < 0), minlength=s.size)


def start_cohorts(state: SystemState, params: Section) -> None:
    """Fill every grade as if the starting conditions had always held: the school's no-programme path."""
    s = state.schools
    s.baseline_gain[:] = yearly_gain(state, params, expected_leavers(state, params))
    grades = np.arange(1, s.cohorts.shape[1] + 1)
    s.cohorts[:] = s.entry[:, None] + s.baseline_gain[:, None] * grades[None, :]
    s.excess[:] = 0.0


def teach_year(state: SystemState, params: Section, streams: Streams) -> None:
    st, s = params.students, state.schools
    rows = np.flatnonzero(st.enabled[s.sys])
    if rows.size == 0:
        return
    noise = streams.normal(np.zeros(streams.size), st.noise_sd, np.bincount(s.sys[rows], minlength=streams.size))
    gain = yearly_gain(state, params, s.leavers)[rows] + noise
    fade = (1.0 - st.persistence[s.sys[rows]])[:, None]
    cohorts, excess = s.cohorts[rows], s.excess[rows]
    # the oldest grade leaves, a new cohort enters on the no-programme path, and every grade is taught a year
    cohorts[:, 1:] = cohorts[:, :-1]
    cohorts[:, 0] = s.entry[rows]
    excess[:, 1:] = excess[:, :-1]
    excess[:, 0] = 0.0
    # last year's lead over the path fades to `persistence` of itself (exactly nothing lost at 1)
    cohorts += gain[:, None] - fade * excess
    excess[:] = (1.0 - fade) * excess + (gain - s.baseline_gain[rows])[:, None]
    s.cohorts[rows], s.excess[rows] = cohorts, excess


def school_achievement(state: SystemState) -> np.ndarray:
    return state.schools.cohorts.mean(axis=1)


def school_gain(state: SystemState) -> np.ndarray:
    """Achievement above the school's no-programme path, averaged over its grades."""
    return state.schools.excess.mean(axis=1)
