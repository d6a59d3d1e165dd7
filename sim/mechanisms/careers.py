"""Careers: teachers leave and are replaced, fellows become alumni, alumni move between roles or leave."""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import (
    ALUMNUS,
    CLASSROOM,
    FELLOW,
    GONE,
    MINISTRY,
    OUTSIDE,
    SCHOOL_LEADER,
    SystemState,
)
from sim.engine.streams import Streams
from sim.mechanisms import destinations
from sim.mechanisms.positions import free_posts, random_school_in, refill_with_newcomers, seat_members_in_posts, vacate


def _in_systems(sys_of_rows: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Rows whose system has a mechanism switched on."""
    return np.arange(sys_of_rows.size) if on.all() else np.flatnonzero(on[sys_of_rows])


def teacher_turnover(state: SystemState, params: Section, streams: Streams) -> None:
    """Teachers from outside the programme leave at a rate that rises with disadvantage and falls
    with local rootedness; newcomers take their posts. Members move by their own rules below."""
    p, cfg = state.posts, params.careers
    state.schools.leavers[:] = 0
    p.experience += 1
    rows = _in_systems(p.sys, cfg.enabled)
    if rows.size == 0:
        return
    u = streams.random(streams.counts(p.sys[rows]))
    sys, dis = p.sys[rows], state.schools.disadvantage[p.school[rows]]
    rate = (cfg.turnover[sys] + cfg.turnover_disadvantage[sys] * dis) * (1.0 - cfg.rootedness_retention[sys]
                                                                          * p.rootedness[rows])
    leaving = rows[(u < rate) & (p.member[rows] < 0)]
    state.schools.leavers[:] = np.bincount(p.school[leaving], minlength=state.schools.size)
    refill_with_newcomers(state, params, streams, leaving)


def alumni_leave(state: SystemState, params: Section, streams: Streams) -> None:
    """Alumni leave education for good (retirement, other careers) at alumni.exit_rate a year."""
    m = state.members
    on = params.careers.enabled & (params.alumni.exit_rate > 0)
    alumni = np.flatnonzero((m.status == ALUMNUS) & on[m.sys])
    if alumni.size == 0:
        return
    u = streams.random(streams.counts(m.sys[alumni]))
    gone = alumni[u < params.alumni.exit_rate[m.sys[alumni]]]
    vacate(state, params, streams, gone)
    m.status[gone] = GONE
    m.role[gone] = OUTSIDE
    m.district[gone] = -1


def fellows_advance(state: SystemState, params: Section, streams: Streams) -> None:
    """Fellows serve their commitment; those who finish, or leave early, become alumni."""
    m, prog = state.members, params.programme
    fellows = np.flatnonzero(m.status == FELLOW)
    if fellows.size == 0:
        return
    sys = m.sys[fellows]
    m.years_in_programme[fellows] += 1
    done = m.years_in_programme[fellows] >= prog.commitment_years[sys]
    attrition = prog.attrition[sys] * params.careers.enabled[sys]
    quit_early = ~done & (streams.random(streams.counts(sys)) < attrition)
    finishing = fellows[done]
    leaving = fellows[quit_early]
    for group in (finishing, leaving):
        m.status[group] = ALUMNUS
        m.left_programme[group] = state.year
    # those who quit go outside education (alumni outside, who may come back through alumni_mobility);
    # those who finish take a first alumni role
    move_members(state, params, streams, leaving, np.full(leaving.size, OUTSIDE, dtype=np.int8))
    first_roles = draw_roles(params, streams, m.sys[finishing], np.zeros(finishing.size, dtype=np.int64))
    # a finishing fellow already in a classroom who stays a classroom teacher keeps the post
    stay = first_roles == CLASSROOM
    m.role[finishing[stay]] = CLASSROOM
    move_members(state, params, streams, finishing[~stay], first_roles[~stay])


def alumni_mobility(state: SystemState, params: Section, streams: Streams) -> None:
    """Each year some alumni re-draw a role from the shares of their career stage."""
    m = state.members
    alumni = np.flatnonzero((m.status == ALUMNUS) & params.careers.enabled[m.sys])
    if alumni.size == 0:
        return
    sys = m.sys[alumni]
    movers = alumni[streams.random(streams.counts(sys)) < params.alumni.mobility[sys]]
    years_out = state.year - m.left_programme[movers]
    new_roles = draw_roles(params, streams, m.sys[movers], years_out)
    changed = new_roles != m.role[movers]
    move_members(state, params, streams, movers[changed], new_roles[changed])


def draw_roles(params: Section, streams: Streams, sys: np.ndarray, years_out: np.ndarray) -> np.ndarray:
    """A role for each alumnus from their career stage's shares (alumnus grouped by system)."""
    stage = (params.alumni.stage_starts[sys] <= years_out[:, None]).sum(axis=1) - 1
    cumulative = params.alumni.role_cumulative[sys, stage]
    u = streams.random(streams.counts(sys))[:, None]
    return np.minimum((u >= cumulative).sum(axis=1), cumulative.shape[1] - 1).astype(np.int8)


def move_members(
    state: SystemState, params: Section, streams: Streams, members: np.ndarray, roles: np.ndarray
) -> None:
    """Move members (grouped by system) to new roles. A move that finds no free position this year
    does not happen; the count is recorded in systems.unplaced_moves."""
    if members.size == 0:
        return
    m, sysinfo = state.members, state.systems
    msys = m.sys[members]
    counts = streams.counts(msys)
    home = m.district[members]
    n_districts = np.diff(sysinfo.first_district)
    random_home = sysinfo.first_district[msys] + streams.integers(n_districts, counts)
    stays = (streams.random(counts) < params.alumni.stay_in_district[msys]) & (home >= 0)
    follow = destinations.steered(params, streams, msys, roles)
    target_district = np.where(stays, home, random_home)
    target_district = destinations.steer_districts(state, params, streams, msys, roles, follow, target_district)

    target_school = np.full(members.size, -1, dtype=np.int64)
    target_post = np.full(members.size, -1, dtype=np.int64)
    to_school = np.flatnonzero((roles == CLASSROOM) | (roles == SCHOOL_LEADER))
    to_class = roles == CLASSROOM
    target_school[to_class] = random_school_in(state, streams, target_district[to_class], msys[to_class])
    to_lead = roles == SCHOOL_LEADER
    target_school[to_lead] = random_school_in(state, streams, target_district[to_lead], msys[to_lead])
    target_school[to_school] = destinations.steer_schools(
        state, params, streams, msys[to_school], roles[to_school], follow[to_school], target_school[to_school]
    )
    target_post[to_class] = free_posts(state, streams, target_school[to_class])
    lead = np.flatnonzero(to_lead)
    # one mover per school a year, and only into a school not already led by a member
    _, first = np.unique(target_school[lead], return_index=True)
    unique_pick = np.zeros(lead.size, dtype=bool)
    unique_pick[first] = True
    vacant = unique_pick & (state.schools.leader_member[target_school[lead]] < 0)

    placed = np.ones(members.size, dtype=bool)
    placed[to_class] = target_post[to_class] >= 0
    placed[lead] = vacant
    sysinfo.unplaced_moves += np.bincount(msys[~placed], minlength=sysinfo.size)
    movers, roles = members[placed], roles[placed]
    school, district = target_school[placed], target_district[placed]
    vacate(state, params, streams, movers)
    m.role[movers] = roles
    in_school = school >= 0
    district = np.where(in_school, state.schools.district[np.maximum(school, 0)], district)
    m.district[movers] = np.where(np.isin(roles, (OUTSIDE, MINISTRY)), -1, district)
    posts = target_post[placed]
    seat = roles == CLASSROOM
    seat_members_in_posts(state, movers[seat], posts[seat])
    lead_movers = roles == SCHOOL_LEADER
    state.schools.leader_member[school[lead_movers]] = movers[lead_movers]
    m.school[movers[lead_movers]] = school[lead_movers]
