"""The programme: each year's cohort of fellows takes posts in the host schools."""

from __future__ import annotations

import numpy as np

from sim.mechanisms.positions import free_posts, seat_members_in_posts
from sim.scenario import Scenario
from sim.state import CLASSROOM, FELLOW, FUTURE, SystemState


def recruit_cohort(state: SystemState, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Place this year's cohort (cohort k arrives in year k + 1); returns the new fellows' rows."""
    m = state.members
    cohort = np.flatnonzero((m.cohort == state.year - 1) & (m.status == FUTURE))
    if cohort.size == 0:
        return cohort
    schools = _allocate(state, scenario, cohort.size, rng)
    posts = free_posts(state, schools, rng) if schools.size else np.empty(0, dtype=np.int64)
    placed = posts >= 0
    fellows = cohort[: schools.size][placed]
    state.unplaced_fellows += int(cohort.size - fellows.size)
    # the post's previous holder leaves to make room: a fellow fills a vacancy
    seat_members_in_posts(state, fellows, posts[placed])
    m.status[fellows] = FELLOW
    m.role[fellows] = CLASSROOM
    state.posts.practising[posts[placed]] = rng.random(fellows.size) < scenario.programme.practise_on_arrival
    return fellows


def _allocate(state: SystemState, scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    """A host school per fellow: spread evenly over host schools, none above its cap.

    The cap counts fellows only; alumni who stay in a host school's classrooms take posts too, so
    when the hosts are full the programme extends to the next eligible schools rather than
    recruiting fewer fellows (the scenario's cost is its cohort sizes).
    """
    order = state.placement_order
    posts, schools = state.posts, state.schools
    fellows_there = np.bincount(
        posts.school[(posts.member >= 0) & (state.members.status[np.maximum(posts.member, 0)] == FELLOW)],
        minlength=schools.size,
    )[order]
    free = schools.teachers[order] - np.bincount(posts.school[posts.member >= 0], minlength=schools.size)[order]
    cap = np.floor(scenario.placement.max_fellow_share * schools.teachers[order]).astype(np.int64)
    room = np.clip(np.minimum(cap - fellows_there, free), 0, None)
    if room[: state.host_count].sum() < n:
        state.host_count = int(min(order.size, np.searchsorted(np.cumsum(room), n) + 1))
        state.districts.programme[np.unique(schools.district[state.host_schools])] = True
    hosts, room = state.host_schools, room[: state.host_count]
    counts = np.zeros(hosts.size, dtype=np.int64)
    remaining = min(n, int(room.sum()))
    # water-filling: an even share to every school with room, repeated until all are placed
    while remaining > 0:
        open_ = np.flatnonzero(counts < room)
        share = np.minimum(remaining // open_.size, (room - counts)[open_])
        if share.sum() == 0:
            extra = rng.choice(open_, remaining, replace=False)
            counts[extra] += 1
            break
        counts[open_] += share
        remaining -= int(share.sum())
    return np.repeat(hosts, counts)
