"""Careers: teachers leave and are replaced, fellows become alumni, alumni move between roles."""

from __future__ import annotations

import numpy as np

from sim.mechanisms.positions import free_posts, random_school_in, refill_with_newcomers, seat_members_in_posts
from sim.scenario import Scenario
from sim.state import (
    ALUMNUS,
    CLASSROOM,
    FELLOW,
    MINISTRY,
    OUTSIDE,
    SCHOOL_LEADER,
    SystemState,
)


def teacher_turnover(state: SystemState, scenario: Scenario, rng: np.random.Generator) -> None:
    """Teachers from outside the programme leave at a rate that rises with disadvantage and falls
    with local rootedness; newcomers take their posts. Members move by their own rules below."""
    p, cfg = state.posts, scenario.careers
    state.schools.leavers[:] = 0
    p.experience += 1
    if not cfg.enabled:
        return
    rate = cfg.turnover + cfg.turnover_disadvantage * state.schools.disadvantage[p.school]
    rate = rate * (1.0 - cfg.rootedness_retention * p.rootedness)
    leaving = np.flatnonzero((rng.random(p.size) < rate) & (p.member < 0))
    state.schools.leavers[:] = np.bincount(p.school[leaving], minlength=state.schools.size)
    refill_with_newcomers(state, leaving, scenario.teachers, rng)


def fellows_advance(state: SystemState, scenario: Scenario, rng: np.random.Generator) -> None:
    """Fellows serve their commitment; those who finish, or leave early, become alumni."""
    m, prog = state.members, scenario.programme
    fellows = np.flatnonzero(m.status == FELLOW)
    m.years_in_programme[fellows] += 1
    done = m.years_in_programme[fellows] >= prog.commitment_years
    attrition = prog.attrition if scenario.careers.enabled else 0.0
    quit_early = ~done & (rng.random(fellows.size) < attrition)
    finishing = fellows[done]
    leaving = fellows[quit_early]
    for group in (finishing, leaving):
        m.status[group] = ALUMNUS
        m.left_programme[group] = state.year
    # those who quit leave the system; those who finish take a first alumni role
    move_members(state, scenario, leaving, np.full(leaving.size, OUTSIDE, dtype=np.int8), rng)
    first_roles = draw_roles(scenario, np.zeros(finishing.size, dtype=np.int64), rng)
    # a finishing fellow already in a classroom who stays a classroom teacher keeps the post
    stay = first_roles == CLASSROOM
    m.role[finishing[stay]] = CLASSROOM
    move_members(state, scenario, finishing[~stay], first_roles[~stay], rng)


def alumni_mobility(state: SystemState, scenario: Scenario, rng: np.random.Generator) -> None:
    """Each year some alumni re-draw a role from the shares of their career stage."""
    if not scenario.careers.enabled:
        return
    m = state.members
    alumni = np.flatnonzero(m.status == ALUMNUS)
    movers = alumni[rng.random(alumni.size) < scenario.alumni.mobility]
    if movers.size == 0:
        return
    years_out = state.year - m.left_programme[movers]
    new_roles = draw_roles(scenario, years_out, rng)
    changed = new_roles != m.role[movers]
    move_members(state, scenario, movers[changed], new_roles[changed], rng)


def draw_roles(scenario: Scenario, years_out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    stages = scenario.alumni.stages
    starts = np.array([s.after_years for s in stages])
    shares = np.array([s.roles.as_array() for s in stages])
    stage = np.searchsorted(starts, years_out, side="right") - 1
    cumulative = np.cumsum(shares[stage], axis=1)
    u = rng.random(years_out.size)[:, None]
    return np.minimum((u >= cumulative).sum(axis=1), shares.shape[1] - 1).astype(np.int8)


def move_members(
    state: SystemState, scenario: Scenario, members: np.ndarray, roles: np.ndarray, rng: np.random.Generator
) -> None:
    """Move members to new roles. A move that finds no free position this year does not happen."""
    if members.size == 0:
        return
    m = state.members
    home = m.district.copy()[members]
    random_home = rng.integers(0, state.districts.size, members.size)
    stays = (rng.random(members.size) < scenario.alumni.stay_in_district) & (home >= 0)
    target_district = np.where(stays, home, random_home)

    target_post = np.full(members.size, -1, dtype=np.int64)
    target_school = np.full(members.size, -1, dtype=np.int64)
    to_class = roles == CLASSROOM
    target_school[to_class] = random_school_in(state, target_district[to_class], rng)
    target_post[to_class] = free_posts(state, target_school[to_class], rng)
    to_lead = np.flatnonzero(roles == SCHOOL_LEADER)
    school = random_school_in(state, target_district[to_lead], rng)
    _, first = np.unique(school, return_index=True)
    unique_pick = np.zeros(to_lead.size, dtype=bool)
    unique_pick[first] = True
    vacant = unique_pick & (state.schools.leader_member[school] < 0)
    target_school[to_lead] = np.where(vacant, school, -1)

    placed = np.ones(members.size, dtype=bool)
    placed[to_class] = target_post[to_class] >= 0
    placed[to_lead] = vacant
    movers, roles = members[placed], roles[placed]
    _vacate(state, scenario, movers, rng)
    m.role[movers] = roles
    m.district[movers] = np.where(np.isin(roles, (OUTSIDE, MINISTRY)), -1, target_district[placed])
    posts = target_post[placed]
    seat = roles == CLASSROOM
    seat_members_in_posts(state, movers[seat], posts[seat])
    lead = roles == SCHOOL_LEADER
    state.schools.leader_member[target_school[placed][lead]] = movers[lead]
    m.school[movers[lead]] = target_school[placed][lead]


def _vacate(state: SystemState, scenario: Scenario, members: np.ndarray, rng: np.random.Generator) -> None:
    m = state.members
    posts = m.post[members]
    held = posts >= 0
    refill_with_newcomers(state, posts[held], scenario.teachers, rng)
    m.post[members] = -1
    leading = members[m.role[members] == SCHOOL_LEADER]
    state.schools.leader_member[m.school[leading]] = -1
    m.school[members] = -1
