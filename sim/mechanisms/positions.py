"""Moving people into and out of positions: teaching posts and school leadership.

Batch operations over arrays of requests, so placing a cohort or a year's moves costs a few sorts.
"""

from __future__ import annotations

import numpy as np

from sim.draws import teacher_traits
from sim.scenario.schema import TeachersSection
from sim.state import SystemState


def free_posts(state: SystemState, schools: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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
    key = rng.random(posts.size) + (state.posts.member[posts] >= 0)
    order = np.lexsort((key, owner))
    posts, owner, key = posts[order], owner[order], key[order]
    first_of_owner = np.concatenate([[0], np.cumsum(counts)[:-1]])
    free_count = np.bincount(owner, weights=key < 1.0, minlength=wanted.size).astype(np.int64)
    # the k-th request for a school takes that school's k-th free post
    req_owner = np.searchsorted(wanted, schools)
    order_req = np.argsort(req_owner, kind="stable")
    sorted_owner = req_owner[order_req]
    rank = np.arange(schools.size) - np.searchsorted(sorted_owner, sorted_owner)
    ok = rank < free_count[sorted_owner]
    chosen = np.full(schools.size, -1, dtype=np.int64)
    chosen[ok] = posts[first_of_owner[sorted_owner[ok]] + rank[ok]]
    result[order_req] = chosen
    return result


def refill_with_newcomers(
    state: SystemState, posts: np.ndarray, cfg: TeachersSection, rng: np.random.Generator
) -> None:
    """Newcomers from outside the programme take these posts; they do not yet practise."""
    if posts.size == 0:
        return
    p = state.posts
    for name, values in teacher_traits(rng, cfg, posts.size).items():
        getattr(p, name)[posts] = values
    p.practising[posts] = False
    p.experience[posts] = 0
    p.member[posts] = -1
    p.person[posts] = state.new_person_ids(posts.size)


def seat_members_in_posts(state: SystemState, members: np.ndarray, posts: np.ndarray) -> None:
    """Members take teaching posts; the post's traits become theirs."""
    m, p = state.members, state.posts
    p.member[posts] = members
    p.strength[posts] = m.strength[members]
    p.orientation[posts] = m.orientation[members]
    p.rootedness[posts] = m.rootedness[members]
    p.experience[posts] = 0
    p.person[posts] = state.new_person_ids(posts.size)
    m.post[members] = posts
    m.school[members] = p.school[posts]
    m.district[members] = p.district[posts]


def random_school_in(state: SystemState, districts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lo = state.districts.first_school[districts]
    hi = state.districts.first_school[districts + 1]
    return np.minimum(lo + (rng.random(districts.size) * (hi - lo)).astype(np.int64), hi - 1)
