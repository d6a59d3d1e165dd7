"""The programme: each year's cohort of fellows takes posts in the host schools."""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import CLASSROOM, FELLOW, FUTURE, SystemState, rank_in_groups
from sim.engine.streams import Streams
from sim.mechanisms.positions import free_posts, seat_members_in_posts


def recruit_cohort(state: SystemState, params: Section, streams: Streams) -> np.ndarray:
    """Place this year's cohort (cohort k arrives in year k + 1); returns the new fellows' rows."""
    m = state.members
    cohort = np.flatnonzero((m.cohort == state.year - 1) & (m.status == FUTURE))
    if cohort.size == 0:
        return cohort
    wanted = np.bincount(m.sys[cohort], minlength=state.batch_size)
    schools = _allocate(state, params, streams, wanted)
    # the first fellows of each system's cohort take the places found; any beyond them are unplaced
    slot = rank_in_groups(m.sys[cohort])
    found = np.bincount(state.schools.sys[schools], minlength=state.batch_size)
    taking = cohort[slot < found[m.sys[cohort]]]
    posts = free_posts(state, streams, schools)
    placed = posts >= 0
    fellows = taking[placed]
    state.systems.unplaced_fellows += wanted - np.bincount(m.sys[fellows], minlength=state.batch_size)
    m.practising[fellows] = streams.random(streams.counts(m.sys[fellows])) < params.programme.practise_on_arrival[
        m.sys[fellows]]
    # the post's previous holder leaves to make room: a fellow fills a vacancy
    seat_members_in_posts(state, fellows, posts[placed])
    m.status[fellows] = FELLOW
    m.role[fellows] = CLASSROOM
    state.schools.hosted[state.posts.school[posts[placed]]] = True
    return fellows


def _allocate(state: SystemState, params: Section, streams: Streams, wanted: np.ndarray) -> np.ndarray:
    """A host school per fellow (grouped by system): spread evenly over host schools, none above its cap.

    The cap counts fellows only; alumni who stay in a host school's classrooms take posts too, so
    when the hosts are full the programme extends to the next eligible schools rather than
    recruiting fewer fellows (the scenario's cost is its cohort sizes).
    """
    sy, posts, schools = state.systems, state.posts, state.schools
    order = sy.placement_order
    owner = np.repeat(np.arange(sy.size), np.diff(sy.first_placement))  # system of each entry of order
    held = posts.member >= 0
    is_fellow = held & (state.members.status[np.where(held, posts.member, 0)] == FELLOW)
    fellows_there = np.bincount(posts.school[is_fellow], minlength=schools.size)[order]
    free = schools.teachers[order] - np.bincount(posts.school[held], minlength=schools.size)[order]
    cap = np.floor(params.placement.max_fellow_share[owner] * schools.teachers[order]).astype(np.int64)
    room = np.clip(np.minimum(cap - fellows_there, free), 0, None)
    position = np.arange(order.size) - sy.first_placement[owner]
    # extend a system's hosts when they cannot hold its cohort
    within = np.cumsum(room) - np.repeat(np.concatenate([[0], np.cumsum(room)])[sy.first_placement[:-1]],
                                         np.diff(sy.first_placement))
    host_room = np.bincount(owner, weights=room * (position < sy.host_count[owner]), minlength=sy.size)
    short = (host_room < wanted) & (wanted > 0)
    if short.any():
        enough = (within >= wanted[owner]) & short[owner]
        first_enough = np.full(sy.size, np.iinfo(np.int64).max)
        np.minimum.at(first_enough, owner[enough], position[enough])
        lengths = np.diff(sy.first_placement)
        extended = np.minimum(lengths, np.where(first_enough < lengths, first_enough + 1, lengths))
        sy.host_count[:] = np.where(short, extended, sy.host_count)
        state.districts.programme[schools.district[order[position < sy.host_count[owner]]]] = True
    is_host = position < sy.host_count[owner]
    hosts, room, host_owner = order[is_host], room[is_host], owner[is_host]
    counts = _water_fill(room, host_owner, np.minimum(wanted, np.bincount(host_owner, weights=room,
                                                                           minlength=sy.size).astype(np.int64)))
    # what an even spread leaves over goes one each to hosts with room, chosen at random
    left = np.minimum(wanted, np.bincount(host_owner, weights=room, minlength=sy.size).astype(np.int64))
    left = left - np.bincount(host_owner, weights=counts, minlength=sy.size).astype(np.int64)
    if left.any():
        open_ = np.flatnonzero(counts < room)  # grouped by system, as hosts are
        bounds = np.searchsorted(host_owner[open_], np.arange(sy.size + 1))
        extra = streams.choose_each(open_, bounds, left)
        counts[extra] += 1
    return np.repeat(hosts, counts)


def _water_fill(room: np.ndarray, owner: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The even spread: each system's n places as min(room, level), at the highest level that fits."""
    if room.size == 0:
        return np.zeros(0, dtype=np.int64)
    systems = n.size
    low = np.zeros(systems, dtype=np.int64)
    high = np.full(systems, int(room.max()) + 1, dtype=np.int64)
    while (high - low > 1).any():
        mid = (low + high) // 2
        used = np.bincount(owner, weights=np.minimum(room, mid[owner]), minlength=systems)
        fits = used <= n
        low = np.where(fits, mid, low)
        high = np.where(fits, high, mid)
    return np.minimum(room, low[owner]).astype(np.int64)
