"""Institutions tip too: school leaders, district offices, the ministry and partner organisations.

District support and ministry alignment move toward 1 while the pressure from their own aligned
people (and those they oversee) is above a threshold, and fall back toward 0 while it is below:
the feedback loop that can lock a system into its new state, or out of it.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Scenario
from sim.state import DISTRICT_OFFICIAL, MINISTRY, NONPROFIT, SystemState


def school_practising_share(state: SystemState) -> np.ndarray:
    p, s = state.posts, state.schools
    return np.bincount(p.school, weights=p.practising, minlength=s.size) / s.teachers


def update_partners(state: SystemState, scenario: Scenario) -> None:
    """Alumni in the nonprofit role found an organisation (once) that runs while they lead it."""
    if not scenario.partners.enabled:
        state.partners.active[:] = False
        state.schools.partner_served[:] = 0
        return
    m, pr = state.members, state.partners
    founders = np.flatnonzero((m.role == NONPROFIT) & (m.founded_partner < 0) & (m.district >= 0))
    if founders.size:
        rows = np.arange(pr.count, pr.count + founders.size)
        open_partners(state, scenario, rows, m.district[founders], founders)
    founded = np.flatnonzero(pr.founder[: pr.count] >= 0)
    pr.active[founded] = m.role[pr.founder[founded]] == NONPROFIT
    served = pr.schools[: pr.count][pr.active[: pr.count]].ravel()
    state.schools.partner_served[:] = np.bincount(served[served >= 0], minlength=state.schools.size)


def open_partners(
    state: SystemState, scenario: Scenario, rows: np.ndarray, districts: np.ndarray, founders: np.ndarray
) -> None:
    """New organisations each serve the most disadvantaged schools of their district not yet served."""
    pr, sch = state.partners, state.schools
    k = scenario.partners.schools_per_partner
    served = sch.partner_served.copy()
    for row, district in zip(rows, districts, strict=True):  # one per founder: a few a year
        lo, hi = state.districts.first_school[district], state.districts.first_school[district + 1]
        candidates = np.arange(lo, hi)
        order = np.lexsort((-sch.disadvantage[candidates], served[candidates]))
        chosen = candidates[order[:k]]
        served[chosen] += 1
        pr.schools[row, : chosen.size] = chosen
    pr.district[rows] = districts
    pr.founder[rows] = founders
    pr.active[rows] = True
    state.members.founded_partner[founders[founders >= 0]] = rows[founders >= 0]
    pr.count = max(pr.count, int(rows.max()) + 1)


def update_institutions(state: SystemState, scenario: Scenario) -> None:
    align_leaders(state, scenario)
    if scenario.institutions.enabled:
        update_offices(state, scenario)


def align_leaders(state: SystemState, scenario: Scenario) -> None:
    """A leader from the programme acts on their orientation; another leader follows their staff
    and their district (Sun et al. 2013: formal leaders shift general practice)."""
    cfg, s, d, m = scenario.institutions, state.schools, state.districts, state.members
    # index -1 (a leader from outside the programme) reads the appended False
    programme_leader_aligned = np.append(m.aligned, False)[s.leader_member]
    if not cfg.enabled:
        s.leader_aligned[:] = programme_leader_aligned
        return
    pull = cfg.leader_district_pull * d.support[s.district]
    follows_staff = school_practising_share(state) + pull >= s.leader_threshold
    s.leader_aligned[:] = np.where(s.leader_member >= 0, programme_leader_aligned, follows_staff)


def update_offices(state: SystemState, scenario: Scenario) -> None:
    """District support, then ministry alignment, relax toward 1 or 0 as their pressure says."""
    cfg, s, d, m = scenario.institutions, state.schools, state.districts, state.members
    officials = _aligned_in_role(state, DISTRICT_OFFICIAL)
    staff_share = np.minimum(officials / d.office_staff, 1.0)
    leader_share = np.bincount(s.district, weights=s.leader_aligned, minlength=d.size) / np.diff(d.first_school)
    served_share = np.bincount(s.district, weights=s.partner_served > 0, minlength=d.size) / np.diff(d.first_school)
    r = cfg.district
    pressure = _weighted(
        (r.weight_staff, staff_share),
        (r.weight_leaders, leader_share),
        (r.weight_ministry, state.ministry_alignment),
        (r.weight_partners, served_share),
    )
    d.support[:] = _relax(d.support, pressure >= r.threshold, r.rate)

    mr = cfg.ministry
    in_ministry = int(np.sum((m.role == MINISTRY) & m.aligned))
    teachers = np.diff(d.first_post)
    mean_support = float(np.average(d.support, weights=teachers))
    ministry_pressure = _weighted(
        (mr.weight_staff, min(in_ministry / scenario.system.ministry_staff, 1.0)),
        (mr.weight_districts, mean_support),
    )
    state.ministry_alignment = float(_relax(state.ministry_alignment, ministry_pressure >= mr.threshold, mr.rate))


def _aligned_in_role(state: SystemState, role: int) -> np.ndarray:
    m = state.members
    who = (m.role == role) & m.aligned & (m.district >= 0)
    return np.bincount(m.district[who], minlength=state.districts.size).astype(np.float64)


def _weighted(*terms: tuple[float, np.ndarray | float]) -> np.ndarray | float:
    total = sum(w for w, _ in terms)
    if total == 0:
        return 0.0
    return sum(w * np.asarray(v) for w, v in terms) / total


def _relax(level: np.ndarray | float, up: np.ndarray | bool, rate: float) -> np.ndarray:
    return np.asarray(level) + rate * (np.where(up, 1.0, 0.0) - np.asarray(level))
