"""What the model reports: practice, achievement, the gap and the collective-leadership index.

Indicators are sums over posts, schools and members, taken once a year per district and then
added up for any group of districts (a system, its tipping scope); ministry members, who have no
district, count toward their whole system. Rows outside every group are left out.

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
SUMMED = ("teachers", "practising", "enrolment", "achievement", "gain", "support", "members", "reach", "strength",
          "orientation", "rootedness", "networked", "leading")


def leading(state: SystemState) -> np.ndarray:
    """Members in the system who practise now (classroom members: their post's practice)."""
    m, p = state.members, state.posts
    own = np.where(m.post >= 0, p.practising[np.maximum(m.post, 0)], m.practising)
    return m.active & own


class Sums:
    """This year's sums per district (and, for ministry members, per system), ready to group."""

    def __init__(self, state: SystemState, params: Section) -> None:
        p, s, d, m = state.posts, state.schools, state.districts, state.members
        nd, nb = d.size, state.batch_size
        self.state, self.params = state, params

        def by_district(index: np.ndarray, weights: np.ndarray) -> np.ndarray:
            return np.bincount(index, weights=weights, minlength=nd)

        enrolment = s.enrolment
        self.district = {
            "teachers": by_district(s.district, s.teachers.astype(np.float64)),
            "practising": by_district(p.district, p.practising.astype(np.float64)),
            "enrolment": by_district(s.district, enrolment),
            "achievement": by_district(s.district, enrolment * school_achievement(state)),
            "gain": by_district(s.district, enrolment * school_gain(state)),
            "support": d.support * np.diff(d.first_post),
        }
        lead = leading(state)
        active = m.active
        in_district = active & (m.district >= 0)
        national = active & (m.role == MINISTRY)
        values = self._member_values(state, params, lead)
        where = np.maximum(m.district, 0)
        self.national = {}
        for name, v in values.items():
            self.district[name] = by_district(where[in_district], v[in_district])
            self.national[name] = np.bincount(m.sys[national], weights=v[national], minlength=nb)

    @staticmethod
    def _member_values(state: SystemState, params: Section, lead: np.ndarray) -> dict[str, np.ndarray]:
        m, s, d = state.members, state.schools, state.districts
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
        networked = lead & (degree >= params.leadership_index.network_min_ties[m.sys])
        return {
            "members": np.ones(m.size), "reach": reach * lead, "strength": m.strength * lead,
            "orientation": m.orientation * lead, "rootedness": m.rootedness * lead,
            "networked": networked.astype(np.float64), "leading": lead.astype(np.float64),
        }

    def grouped(self, group_of_district: np.ndarray, n_groups: int, system_groups: bool = False) -> dict:
        """Indicators for groups of districts; system_groups: the groups are whole systems (group b is
        system b), so ministry members count too."""
        d = self.state.districts
        keep = group_of_district >= 0
        g = group_of_district[keep]
        totals = {k: np.bincount(g, weights=v[keep], minlength=n_groups) for k, v in self.district.items()}
        if system_groups:
            for k, v in self.national.items():
                totals[k] = totals[k] + v
        group_sys = np.zeros(n_groups, dtype=np.int64)
        group_sys[g] = d.sys[keep]
        return indicators(totals, self.params, group_sys)


def indicators(t: dict[str, np.ndarray], params: Section, group_sys: np.ndarray) -> dict[str, np.ndarray]:
    """Shares, means and the leadership index from a group's sums."""
    cfg = params.leadership_index
    teachers, members = t["teachers"], np.maximum(t["members"], 1.0)
    safe = np.maximum(teachers, 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a group with no teachers reports NaN
        out = {
            "teachers": teachers,
            "practising_share": t["practising"] / teachers,
            "mean_achievement": t["achievement"] / t["enrolment"],
            "achievement_gain": t["gain"] / t["enrolment"],
            "district_support": t["support"] / teachers,
        }
    components = {
        "roles": np.minimum(t["reach"] / safe / ROLES_REFERENCE, 1.0),
        "strength": t["strength"] / members,
        "orientation": t["orientation"] / members,
        "representation": t["rootedness"] / members,
        "network": t["networked"] / members,
        "scale": np.minimum(t["leading"] / safe / cfg.scale_reference[group_sys], 1.0),
    }
    weights = cfg.weight_array[group_sys]  # (groups, dimensions)
    stacked = np.vstack([components[k] for k in DIMENSIONS]).T
    logs = np.where(stacked > 0, np.log(np.maximum(stacked, 1e-300)), -np.inf)
    # a dimension weighted 0 drops out, even where its component is 0 (no 0 * -inf, which is NaN)
    total = np.multiply(weights, logs, out=np.zeros_like(logs), where=weights > 0).sum(axis=1)
    out["leadership_index"] = np.exp(total / weights.sum(axis=1))
    out.update({f"dim_{k}": v for k, v in components.items()})
    return out


class GapGroups:
    """For the achievement gap: each group's least and most disadvantaged schools (the lowest and
    highest `students.gap_quantile` of disadvantage, quantiles interpolated linearly). Disadvantage
    never changes, so the groups hold while the grouping and the quantile do (`same`)."""

    def __init__(self, state: SystemState, params: Section, group_of_school: np.ndarray, n_groups: int) -> None:
        s = state.schools
        self.key = group_of_school.astype(np.int64)
        self.quantile = params.students.gap_quantile.copy()
        rows = np.flatnonzero(group_of_school >= 0)
        group = group_of_school[rows]
        group_sys = np.zeros(n_groups, dtype=np.int64)
        group_sys[group] = s.sys[rows]
        q = params.students.gap_quantile[group_sys]
        low, high = grouped_quantile(s.disadvantage[rows], group, n_groups, q, 1.0 - q)
        self.rows, self.group, self.n_groups = rows, group, n_groups
        self.least = s.disadvantage[rows] <= low[group]
        self.most = s.disadvantage[rows] >= high[group]
        weight = s.enrolment[rows]
        self.least_weight = np.bincount(group, weights=weight * self.least, minlength=n_groups)
        self.most_weight = np.bincount(group, weights=weight * self.most, minlength=n_groups)
        self.weight = weight

    def same(self, group_of_school: np.ndarray, params: Section) -> bool:
        """Whether these groups still hold for this grouping and this year's quantiles."""
        return np.array_equal(self.key, group_of_school) and np.array_equal(self.quantile,
                                                                            params.students.gap_quantile)

    def gap(self, achievement: np.ndarray) -> np.ndarray:
        a = self.weight * achievement[self.rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            top = np.bincount(self.group, weights=a * self.least, minlength=self.n_groups) / self.least_weight
            bottom = np.bincount(self.group, weights=a * self.most, minlength=self.n_groups) / self.most_weight
        return top - bottom


def grouped_quantile(values: np.ndarray, group: np.ndarray, n_groups: int, *qs: np.ndarray) -> list[np.ndarray]:
    """For each q in qs (one per group), the q[g] quantile of each group's values, interpolating linearly
    between the two nearest. The values are sorted once for all of them."""
    order = np.lexsort((values, group))
    v, g = values[order], group[order]
    first = np.searchsorted(g, np.arange(n_groups))
    size = np.bincount(g, minlength=n_groups)
    last = np.maximum(size - 1, 0)
    if v.size == 0:
        return [np.full(n_groups, np.nan) for _ in qs]
    out = []
    for q in qs:
        position = q * last
        below = np.floor(position).astype(np.int64)
        frac = position - below
        lo = v[np.minimum(first + np.minimum(below, last), v.size - 1)]
        hi = v[np.minimum(first + np.minimum(below + 1, last), v.size - 1)]
        out.append(np.where(size > 0, lo + frac * (hi - lo), np.nan))
    return out


def role_counts(state: SystemState) -> np.ndarray:
    """Alumni per role (columns: sim.scenario.ROLES) per system (rows); those gone for good are not counted."""
    m = state.members
    alumni = m.status == ALUMNUS
    counts = np.bincount(m.sys[alumni].astype(np.int64) * 6 + m.role[alumni], minlength=state.batch_size * 6)
    return counts.reshape(state.batch_size, 6)
