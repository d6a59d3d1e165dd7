"""Institutions tip too: school leaders, district offices, the ministry and partner organisations.

District support and ministry alignment move toward 1 while the pressure from their own aligned
people (and those they oversee) reaches what they need, and relax back to their resting level
(where they started) while it does not: the feedback loop that can lock a system into its new
state. Starting at rest, a system the programme does not touch stays where it is.
"""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import DISTRICT_OFFICIAL, MINISTRY, NONPROFIT, SystemState, rank_in_groups


def school_practising_share(state: SystemState) -> np.ndarray:
    p, s = state.posts, state.schools
    return np.bincount(p.school, weights=p.practising, minlength=s.size) / s.teachers


def open_initial_partners(state: SystemState, params: Section) -> None:
    """Backbone organisations present at the start, in the most disadvantaged districts in turn."""
    n = params.partners.initial * params.partners.enabled
    if not n.any():
        return
    d, sy = state.districts, state.systems
    owner = np.repeat(np.arange(sy.size), n)
    k = rank_in_groups(owner)
    per_system = np.diff(sy.first_district)
    order = np.lexsort((-d.disadvantage, d.sys))  # each system's districts, most disadvantaged first
    districts = order[sy.first_district[owner] + k % per_system[owner]]
    open_partners(state, params, sy.first_partner[owner] + k, districts, np.full(owner.size, -1))


def update_partners(state: SystemState, params: Section) -> None:
    """Alumni in the nonprofit role found an organisation (once) that runs while they lead it."""
    m, pr, s = state.members, state.partners, state.schools
    on = params.partners.enabled
    founders = np.flatnonzero((m.role == NONPROFIT) & (m.founded_partner < 0) & (m.district >= 0) & on[m.sys])
    if founders.size:
        sys = m.sys[founders]
        rows = state.systems.first_partner[sys] + state.systems.partner_count[sys] + rank_in_groups(sys)
        open_partners(state, params, rows, m.district[founders], founders)
    founded = pr.founder >= 0
    pr.active[founded] = (m.role[pr.founder[founded]] == NONPROFIT) & on[pr.sys[founded]]
    pr.active[~on[pr.sys]] = False
    served = pr.schools[pr.active].ravel()
    s.partner_served[:] = np.bincount(served[served >= 0], minlength=s.size)


def open_partners(state: SystemState, params: Section, rows: np.ndarray, districts: np.ndarray,
                  founders: np.ndarray) -> None:
    """New organisations each serve the most disadvantaged schools of their district not yet served.

    Organisations opening in the same district this year choose one after another; those in
    different districts choose at once, so the loop runs once per organisation a district gains
    in a year (one or two), not once per organisation.
    """
    pr, sch, d = state.partners, state.schools, state.districts
    k = params.partners.schools_per_partner
    served = sch.partner_served.astype(np.int64)
    by_district = np.lexsort((rows, districts))
    turn = np.empty(rows.size, dtype=np.int64)
    turn[by_district] = rank_in_groups(districts[by_district])
    for t in range(int(turn.max()) + 1 if turn.size else 0):
        now = np.flatnonzero(turn == t)
        dist = districts[now]
        sizes = d.first_school[dist + 1] - d.first_school[dist]
        candidates = np.repeat(d.first_school[dist] - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        owner = np.repeat(np.arange(now.size), sizes)
        order = np.lexsort((-sch.disadvantage[candidates], served[candidates], owner))
        rank = rank_in_groups(owner[order])
        width = k[sch.sys[candidates[order]]]
        chosen = order[rank < width]
        row_of = rows[now][owner[chosen]]
        pr.schools[row_of, rank[rank < width]] = candidates[chosen]
        np.add.at(served, candidates[chosen], 1)
    pr.district[rows] = districts
    pr.founder[rows] = founders
    pr.active[rows] = True
    state.members.founded_partner[founders[founders >= 0]] = rows[founders >= 0]
    sys = pr.sys[rows]
    np.maximum.at(state.systems.partner_count, sys, rows - state.systems.first_partner[sys] + 1)


def update_institutions(state: SystemState, params: Section) -> None:
    align_leaders(state, params)
    update_offices(state, params)


def align_leaders(state: SystemState, params: Section) -> None:
    """A leader from the programme acts on their orientation; another leader follows their staff
    and their district (Sun et al. 2013: formal leaders shift general practice)."""
    cfg, s, d, m = params.institutions, state.schools, state.districts, state.members
    programme_leader_aligned = np.append(m.aligned, False)[s.leader_member]  # index -1 reads the appended False
    pull = cfg.leader_district_pull[s.sys] * d.support[s.district]
    follows_staff = (school_practising_share(state) + pull >= s.leader_staff_needed) & cfg.enabled[s.sys]
    s.leader_aligned[:] = np.where(s.leader_member >= 0, programme_leader_aligned, follows_staff)


def update_offices(state: SystemState, params: Section) -> None:
    """District support, then ministry alignment, move toward 1 or back to rest as their pressure says."""
    on = params.institutions.enabled
    if not on.any():
        return
    s, d, m, sy = state.schools, state.districts, state.members, state.systems
    r, ds = params.institutions.district, d.sys
    officials = _aligned_in_role(state, DISTRICT_OFFICIAL)
    staff_share = np.minimum(officials / params.system.district_office_staff[ds], 1.0)
    n_schools = np.diff(d.first_school)
    leader_share = np.bincount(s.district, weights=s.leader_aligned, minlength=d.size) / n_schools
    served_share = np.bincount(s.district, weights=s.partner_served > 0, minlength=d.size) / n_schools
    pressure = _weighted(
        (r.weight_staff[ds], staff_share),
        (r.weight_leaders[ds], leader_share),
        (r.weight_ministry[ds], sy.ministry_alignment[ds]),
        (r.weight_partners[ds], served_share),
    )
    moved = _relax(d.support, pressure >= r.pressure_needed[ds], r.rate[ds], r.initial[ds])
    d.support[:] = np.where(on[ds], moved, d.support)

    mr = params.institutions.ministry
    in_ministry = np.bincount(m.sys[(m.role == MINISTRY) & m.aligned & m.active], minlength=sy.size)
    teachers = np.diff(d.first_post)
    mean_support = (np.bincount(ds, weights=d.support * teachers, minlength=sy.size)
                    / np.bincount(ds, weights=teachers, minlength=sy.size))
    ministry_pressure = _weighted(
        (mr.weight_staff, np.minimum(in_ministry / params.system.ministry_staff, 1.0)),
        (mr.weight_districts, mean_support),
    )
    moved = _relax(sy.ministry_alignment, ministry_pressure >= mr.pressure_needed, mr.rate, mr.initial)
    sy.ministry_alignment[:] = np.where(on, moved, sy.ministry_alignment)


def _aligned_in_role(state: SystemState, role: int) -> np.ndarray:
    m = state.members
    who = (m.role == role) & m.aligned & (m.district >= 0) & m.active
    return np.bincount(m.district[who], minlength=state.districts.size).astype(np.float64)


def _weighted(*terms: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    total = sum(w for w, _ in terms)
    weighted = sum(w * v for w, v in terms)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), 0.0)


def _relax(level: np.ndarray, up: np.ndarray, rate: np.ndarray, rest: np.ndarray) -> np.ndarray:
    return level + rate * (np.where(up, 1.0, rest) - level)
