"""Moving people into and out of positions: teaching posts and school leadership.

Batch operations over arrays of requests, grouped by system, so placing a cohort or a year's moves
costs a few sorts however many systems the batch holds.
"""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import SCHOOL_LEADER, SystemState, rank_in_groups
from sim.engine.streams import Streams


def free_posts(state: SystemState, streams: Streams, schools: np.ndarray) -> np.ndarray:
    """For each requested school (repeats allowed), a distinct random post not held by a member.

    Returns a post index per request, or -1 where the school has no free post left.
    """
    result = np.full(schools.size, -1, dtype=np.int64)
    if schools.size == 0:
        return result
    sch = state.schools
    wanted = np.unique(schools)
    counts = sch.teachers[wanted].astype(np.int64)
    # all posts of the wanted schools, with a random key; member-held posts sort last
    posts = np.repeat(sch.first_post[wanted] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    owner = np.repeat(np.arange(wanted.size), counts)
    key = streams.random(streams.counts(state.posts.sys[posts])) + (state.posts.member[posts] >= 0)
    order = np.lexsort((key, owner))
    posts, owner, key = posts[order], owner[order], key[order]
    first_of_owner = np.concatenate([[0], np.cumsum(counts)[:-1]])
    free_count = np.bincount(owner, weights=key < 1.0, minlength=wanted.size).astype(np.int64)
    # the k-th request for a school takes that school's k-th free post
    req_owner = np.searchsorted(wanted, schools)
    order_req = np.argsort(req_owner, kind="stable")
    sorted_owner = req_owner[order_req]
    rank = rank_in_groups(sorted_owner)
    ok = rank < free_count[sorted_owner]
    chosen = np.full(schools.size, -1, dtype=np.int64)
    chosen[ok] = posts[first_of_owner[sorted_owner[ok]] + rank[ok]]
    result[order_req] = chosen
    return result


def refill_with_newcomers(state: SystemState, params: Section, streams: Streams, posts: np.ndarray) -> None:
    """Newcomers from outside the programme take these posts (grouped by system); they do not yet practise."""
    if posts.size == 0:
        return
    p, t = state.posts, params.teachers
    counts = streams.counts(p.sys[posts])
    p.adoption_threshold[posts] = streams.clipped_normal(t.adoption_threshold_mean, t.adoption_threshold_sd, counts)
    p.strength[posts], p.orientation[posts], p.rootedness[posts] = streams.beta_traits(
        (t.strength_mean, t.orientation_mean, t.rootedness_mean), counts)
    p.practising[posts] = False
    p.experience[posts] = 0
    p.member[posts] = -1
    p.person[posts] = state.new_person_ids(p.sys[posts])


def seat_members_in_posts(state: SystemState, members: np.ndarray, posts: np.ndarray) -> None:
    """Members take teaching posts, bringing their traits and their own practice."""
    m, p = state.members, state.posts
    p.member[posts] = members
    p.strength[posts] = m.strength[members]
    p.orientation[posts] = m.orientation[members]
    p.rootedness[posts] = m.rootedness[members]
    p.adoption_threshold[posts] = m.adoption_threshold[members]
    p.practising[posts] = m.practising[members]
    # years of teaching since they were recruited (cohort k arrives in year k + 1)
    p.experience[posts] = np.maximum(state.year - m.cohort[members] - 1, 0).astype(np.int16)
    p.person[posts] = state.new_person_ids(p.sys[posts])
    m.post[members] = posts
    m.school[members] = p.school[posts]
    m.district[members] = p.district[posts]


def vacate(state: SystemState, params: Section, streams: Streams, members: np.ndarray) -> None:
    """Members leave the post or school they hold; they keep their practice, and newcomers fill their posts.
    A member leaving a classroom is one of its school's leavers this year (staff replaced, as turnover is)."""
    m, p = state.members, state.posts
    posts = m.post[members]
    held = posts >= 0
    m.practising[members[held]] = p.practising[posts[held]]
    state.schools.leavers += np.bincount(p.school[posts[held]], minlength=state.schools.size).astype(np.int32)
    refill_with_newcomers(state, params, streams, posts[held])
    m.post[members] = -1
    leading = members[m.role[members] == SCHOOL_LEADER]
    state.schools.leader_member[m.school[leading]] = -1
    m.school[members] = -1


def random_school_in(
    state: SystemState, streams: Streams, districts: np.ndarray, sys_of_each: np.ndarray
) -> np.ndarray:
    """A school drawn at random in each requested district (requests grouped by system)."""
    lo = state.districts.first_school[districts]
    hi = state.districts.first_school[districts + 1]
    u = streams.random(streams.counts(sys_of_each))
    return np.minimum(lo + (u * (hi - lo)).astype(np.int64), hi - 1)
