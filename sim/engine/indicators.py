"""What the model reports: practice, achievement, the gap and the collective-leadership index.

Every indicator is computed for groups of districts at once (each district, the tipping scope of
each system, each whole system) from bincounts over the state arrays. Rows outside every group
carry group -1 and are left out.

The collective-leadership index measures what members are and do now, not the programme's
settings: a member *leads* when they are in the system and practise (in a classroom, their own
practice; in any other role, the practice they carry). Each dimension sums over leading members
and divides by a fixed denominator (all members in the group, or its teachers), so every
dimension, and the index, can only rise when one more member practises: with no one practising
the index is 0.
"""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import ALUMNUS, CLASSROOM, DISTRICT_OFFICIAL, MINISTRY, NONPROFIT, SCHOOL_LEADER, SystemState
from sim.mechanisms.students import school_achievement, school_gain
from sim.scenario import DIMENSIONS

# a quarter of teachers within reach of leading members counts as full reach: the size of the
# committed minority that tipped conventions in Centola et al. 2018
ROLES_REFERENCE = 0.25


def leading(state: SystemState) -> np.ndarray:
    """Members in the system who practise now (classroom members: their post's practice)."""
    m, p = state.members, state.posts
    own = np.where(m.post >= 0, p.practising[np.maximum(m.post, 0)], m.practising)
    return m.active & own


def group_indicators(
    state: SystemState, params: Section, group_of_district: np.ndarray, n_groups: int,
    national_group: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Indicators per group of districts; national_group (one per system, or -1) also counts that
    system's ministry members in a group (use for whole systems)."""
    p, s, d = state.posts, state.schools, state.districts
    school_group = group_of_district[s.district]
    counted = school_group >= 0
    g = school_group[counted]
    teachers = np.bincount(g, weights=s.teachers[counted], minlength=n_groups)
    post_group = group_of_district[p.district]
    practising = np.bincount(post_group[post_group >= 0], weights=p.practising[post_group >= 0], minlength=n_groups)
    enrolment = np.bincount(g, weights=s.enrolment[counted], minlength=n_groups)
    weights = s.enrolment[counted]
    achievement = np.bincount(g, weights=weights * school_achievement(state)[counted], minlength=n_groups)
    gain = np.bincount(g, weights=weights * school_gain(state)[counted], minlength=n_groups)
    d_teachers = np.diff(d.first_post).astype(np.float64)
    in_group = group_of_district >= 0
    support = np.bincount(group_of_district[in_group], weights=(d.support * d_teachers)[in_group], minlength=n_groups)
    # a group with no teachers reports NaN, not a warning
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "teachers": teachers,
            "practising_share": practising / teachers,
            "mean_achievement": achievement / enrolment,
            "achievement_gain": gain / enrolment,
            "district_support": support / teachers,
        }
    out.update(leadership(state, params, group_of_district, n_groups, national_group, teachers))
    return out


def leadership(
    state: SystemState, params: Section, group_of_district: np.ndarray, n_groups: int,
    national_group: np.ndarray | None, teachers: np.ndarray,
) -> dict[str, np.ndarray]:
    """The six critical-mass dimensions of seed 001, each in [0, 1], and their weighted geometric mean."""
    m, s, d = state.members, state.schools, state.districts
    cfg = params.leadership_index
    active = m.active
    located = active & (m.district >= 0)
    group = np.where(located, group_of_district[np.maximum(m.district, 0)], -1)
    if national_group is not None:
        group = np.where(active & (m.role == MINISTRY), national_group[m.sys], group)
    counted = group >= 0
    g = group[counted]
    lead = leading(state)

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=values[counted], minlength=n_groups)

    members = np.maximum(per_group(np.ones(m.size)), 1.0)
    posts_in_system = np.diff(state.systems.first_post)[m.sys].astype(np.float64)
    schools_in_system = np.diff(state.systems.first_school)[m.sys]
    partner_reach = params.partners.schools_per_partner[m.sys] * posts_in_system / schools_in_system
    district_teachers = np.diff(d.first_post)[np.maximum(m.district, 0)]
    reach = np.select(
        [m.role == CLASSROOM, m.role == SCHOOL_LEADER, m.role == DISTRICT_OFFICIAL, m.role == MINISTRY,
         m.role == NONPROFIT],
        [np.ones(m.size), s.teachers[np.maximum(m.school, 0)].astype(np.float64),
         district_teachers / params.system.district_office_staff[m.sys],
         posts_in_system / params.system.ministry_staff[m.sys], partner_reach],
        0.0,
    )
    # ties that are live now: both ends leading
    live = lead[m.tie_a] & lead[m.tie_b]
    degree = np.bincount(m.tie_a[live], minlength=m.size) + np.bincount(m.tie_b[live], minlength=m.size)
    safe_teachers = np.maximum(teachers, 1)
    group_sys = _group_system(state, group_of_district, n_groups, national_group)
    components = {
        "roles": np.minimum(per_group(reach * lead) / safe_teachers / ROLES_REFERENCE, 1.0),
        "strength": per_group(m.strength * lead) / members,
        "orientation": per_group(m.orientation * lead) / members,
        "representation": per_group(m.rootedness * lead) / members,
        "network": per_group((lead & (degree >= cfg.network_min_ties[m.sys])).astype(np.float64)) / members,
        "scale": np.minimum(per_group(lead.astype(np.float64)) / safe_teachers / cfg.scale_reference[group_sys], 1.0),
    }
    weights = cfg.weight_array[group_sys]  # (groups, dimensions)
    stacked = np.vstack([components[k] for k in DIMENSIONS]).T
    with np.errstate(divide="ignore"):
        logs = np.where(stacked > 0, np.log(np.maximum(stacked, 1e-300)), -np.inf)
    used = weights > 0
    total = np.where(used, weights * logs, 0.0).sum(axis=1)
    index = np.exp(total / weights.sum(axis=1))
    return {"leadership_index": index, **{f"dim_{k}": v for k, v in components.items()}}


def _group_system(state: SystemState, group_of_district: np.ndarray, n_groups: int,
                  national_group: np.ndarray | None) -> np.ndarray:
    """The system each group belongs to (groups never span systems); 0 for an empty group."""
    out = np.zeros(n_groups, dtype=np.int64)
    in_group = group_of_district >= 0
    out[group_of_district[in_group]] = state.districts.sys[in_group]
    if national_group is not None:
        has = national_group >= 0
        out[national_group[has]] = np.flatnonzero(has)
    return out


def achievement_gap(state: SystemState, params: Section, group_of_school: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group of schools: mean achievement of its least disadvantaged schools minus its most
    disadvantaged (the lowest and highest `students.gap_quantile` of disadvantage, quantiles
    interpolated linearly)."""
    s = state.schools
    rows = np.flatnonzero(group_of_school >= 0)
    group = group_of_school[rows]
    q = params.students.gap_quantile[_system_of_groups(state, group_of_school, n_groups)]
    low = grouped_quantile(s.disadvantage[rows], group, n_groups, q)
    high = grouped_quantile(s.disadvantage[rows], group, n_groups, 1.0 - q)
    achievement = school_achievement(state)[rows]
    weight = s.enrolment[rows]
    least, most = s.disadvantage[rows] <= low[group], s.disadvantage[rows] >= high[group]
    with np.errstate(invalid="ignore", divide="ignore"):
        top = (np.bincount(group, weights=(weight * achievement) * least, minlength=n_groups)
               / np.bincount(group, weights=weight * least, minlength=n_groups))
        bottom = (np.bincount(group, weights=(weight * achievement) * most, minlength=n_groups)
                  / np.bincount(group, weights=weight * most, minlength=n_groups))
    return top - bottom


def _system_of_groups(state: SystemState, group_of_school: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros(n_groups, dtype=np.int64)
    has = group_of_school >= 0
    out[group_of_school[has]] = state.schools.sys[has]
    return out


def grouped_quantile(values: np.ndarray, group: np.ndarray, n_groups: int, q: np.ndarray) -> np.ndarray:
    """The q[g] quantile of each group's values, interpolating linearly between the two nearest."""
    order = np.lexsort((values, group))
    v, g = values[order], group[order]
    first = np.searchsorted(g, np.arange(n_groups))
    size = np.bincount(g, minlength=n_groups)
    position = q * np.maximum(size - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(size - 1, 0))
    frac = position - below
    safe = np.maximum(size, 1) - 1
    lo = v[np.minimum(first + np.minimum(below, safe), v.size - 1)] if v.size else np.zeros(n_groups)
    hi = v[np.minimum(first + above, v.size - 1)] if v.size else np.zeros(n_groups)
    return np.where(size > 0, lo + frac * (hi - lo), np.nan)


def role_counts(state: SystemState) -> np.ndarray:
    """Alumni per role (columns: sim.scenario.ROLES) per system (rows); those gone for good are not counted."""
    m = state.members
    alumni = m.status == ALUMNUS
    counts = np.bincount(m.sys[alumni].astype(np.int64) * 6 + m.role[alumni], minlength=state.batch_size * 6)
    return counts.reshape(state.batch_size, 6)
