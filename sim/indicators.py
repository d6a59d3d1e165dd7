"""What the model reports: practice, achievement, the gap and the collective-leadership index.

Every indicator is computed for groups of districts at once (each district, the programme's
districts, the whole system) from bincounts over the state arrays.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.students import school_achievement
from sim.scenario import DIMENSIONS, ROLES, Scenario
from sim.state import ALUMNUS, CLASSROOM, DISTRICT_OFFICIAL, MINISTRY, NONPROFIT, SCHOOL_LEADER, SystemState

# a quarter of teachers within reach of aligned leadership counts as full reach: the size of the
# committed minority that tipped conventions in Centola et al. 2018
ROLES_REFERENCE = 0.25


def group_indicators(
    state: SystemState, scenario: Scenario, group_of_district: np.ndarray, n_groups: int, national: bool
) -> dict[str, np.ndarray]:
    """Indicators per group; `national` counts ministry members in every group (use for the system)."""
    p, s, d = state.posts, state.schools, state.districts
    school_group = group_of_district[s.district]
    teachers = np.bincount(school_group, weights=s.teachers, minlength=n_groups)
    practising = np.bincount(group_of_district[p.district], weights=p.practising, minlength=n_groups)
    enrolment = np.bincount(school_group, weights=s.enrolment, minlength=n_groups)
    achievement = np.bincount(school_group, weights=s.enrolment * school_achievement(state), minlength=n_groups)
    d_teachers = np.diff(d.first_post).astype(np.float64)
    support = np.bincount(group_of_district, weights=d.support * d_teachers, minlength=n_groups)
    # a group with no teachers (no district outside the programme, say) reports NaN, not a warning
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _ratios(teachers, practising, achievement, enrolment, support)
    out.update(leadership(state, scenario, group_of_district, n_groups, national, teachers))
    return out


def _ratios(teachers, practising, achievement, enrolment, support) -> dict[str, np.ndarray]:
    return {
        "teachers": teachers,
        "practising_share": practising / teachers,
        "mean_achievement": achievement / enrolment,
        "district_support": support / teachers,
    }


def leadership(
    state: SystemState,
    scenario: Scenario,
    group_of_district: np.ndarray,
    n_groups: int,
    national: bool,
    teachers: np.ndarray,
) -> dict[str, np.ndarray]:
    """The six critical-mass dimensions of seed 001, each in [0, 1], and their weighted geometric mean."""
    m, s, d = state.members, state.schools, state.districts
    cfg = scenario.leadership_index
    active = m.active
    located = active & (m.district >= 0)
    group = np.where(located, group_of_district[np.maximum(m.district, 0)], -1)
    if national:
        group = np.where(active & (m.role == MINISTRY), 0, group)
    counted = group >= 0
    g = group[counted]

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=values[counted], minlength=n_groups)

    members = per_group(np.ones(m.size))
    safe = np.maximum(members, 1.0)
    n_posts = state.posts.size
    district_teachers = np.diff(d.first_post)[np.maximum(m.district, 0)]
    partner_reach = scenario.partners.schools_per_partner * n_posts / s.size
    reach_by_role = {
        CLASSROOM: np.ones(m.size),
        SCHOOL_LEADER: s.teachers[np.maximum(m.school, 0)].astype(np.float64),
        DISTRICT_OFFICIAL: district_teachers / d.office_staff,
        MINISTRY: np.full(m.size, n_posts / scenario.system.ministry_staff),
        NONPROFIT: np.full(m.size, partner_reach),
    }
    reach = np.zeros(m.size)
    for role, values in reach_by_role.items():  # five roles, each a whole-array operation
        reach = np.where(m.role == role, values, reach)
    reach *= m.aligned

    both = active[m.tie_a] & active[m.tie_b]
    degree = np.bincount(m.tie_a[both], minlength=m.size) + np.bincount(m.tie_b[both], minlength=m.size)

    components = {
        "roles": np.minimum(per_group(reach) / np.maximum(teachers, 1) / ROLES_REFERENCE, 1.0),
        "strength": per_group(m.strength) / safe,
        "orientation": per_group(m.orientation) / safe,
        "representation": per_group(m.rootedness) / safe,
        "network": per_group((degree >= cfg.network_min_ties).astype(np.float64)) / safe,
        "scale": np.minimum(members / np.maximum(teachers, 1) / cfg.scale_reference, 1.0),
    }
    weights = np.array([cfg.weights[k] for k in DIMENSIONS])
    stacked = np.vstack([components[k] for k in DIMENSIONS])
    with np.errstate(divide="ignore"):
        logs = np.where(stacked > 0, np.log(np.maximum(stacked, 1e-300)), -np.inf)
    used = weights > 0
    index = np.exp((weights[used, None] * logs[used]).sum(axis=0) / weights.sum())
    return {"leadership_index": index, **{f"dim_{k}": v for k, v in components.items()}}


def achievement_gap(state: SystemState, quantile: float) -> float:
    """Mean achievement of the least disadvantaged schools minus that of the most disadvantaged."""
    s = state.schools
    achievement = school_achievement(state)
    low, high = np.quantile(s.disadvantage, [quantile, 1.0 - quantile])
    least, most = s.disadvantage <= low, s.disadvantage >= high
    return float(
        np.average(achievement[least], weights=s.enrolment[least])
        - np.average(achievement[most], weights=s.enrolment[most])
    )


def role_counts(state: SystemState) -> dict[str, int]:
    m = state.members
    alumni_roles = m.role[m.status == ALUMNUS]
    counts = np.bincount(alumni_roles, minlength=len(ROLES))
    return {f"alumni_{name}": int(counts[i]) for i, name in enumerate(ROLES)}
