"""Build a batch of school systems from Scenarios: districts, schools, teaching posts, members, ties.

Every system draws from its own generator (sim.engine.streams) in a fixed order, and the arrays
of all systems are built together, one system after another. A system built in a batch is
identical to the same system built alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engine.params import Section
from sim.engine.state import (
    NO_ROLE,
    Districts,
    Members,
    Partners,
    Posts,
    Schools,
    Systems,
    SystemState,
    rank_in_groups,
)
from sim.engine.streams import Streams
from sim.network import alumni_ties, static_ties
from sim.scenario import Scenario


def _offsets(sizes: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def build_batch(scenarios: Sequence[Scenario], params: Section, streams: Streams) -> SystemState:
    p = params
    b_all = np.arange(len(scenarios))
    n_districts = p.system.districts.astype(np.int64)
    per_district = p.system.schools_per_district.astype(np.int64)
    first_district = _offsets(n_districts)
    district_sys = np.repeat(b_all, n_districts).astype(np.int32)

    dis = p.system.disadvantage
    district_mean = np.clip(streams.normal(dis.mean, dis.district_spread, n_districts), 0.0, 1.0)
    school_district = np.repeat(np.arange(district_sys.size), per_district[district_sys])
    school_sys = district_sys[school_district]
    n_schools = np.bincount(school_sys, minlength=b_all.size)
    first_school = _offsets(n_schools)
    disadvantage = np.clip(streams.normal_around(district_mean[school_district], dis.school_spread, n_schools),
                           0.0, 1.0)

    teachers = _school_sizes(streams, p, n_schools, school_sys)
    school_first_post = _offsets(teachers)
    post_school = np.repeat(np.arange(school_sys.size), teachers)
    post_sys = school_sys[post_school]
    n_posts = np.bincount(post_sys, minlength=b_all.size)
    post_district = school_district[post_school]
    district_first_school = _offsets(per_district[district_sys])
    district_first_post = school_first_post[district_first_school]

    t = p.teachers
    threshold = streams.clipped_normal(t.adoption_threshold_mean, t.adoption_threshold_sd, n_posts)
    strength, orientation, rootedness = streams.beta_traits(
        (t.strength_mean, t.orientation_mean, t.rootedness_mean), n_posts)
    turnover = leaving_rate(p, post_sys, disadvantage[post_school], rootedness)
    # experience as if the expected turnover had always held; the rate is a probability, so clipped
    mean_rate = np.bincount(post_sys, weights=turnover, minlength=b_all.size) / np.maximum(n_posts, 1)
    experience = np.minimum(streams.geometric(np.clip(mean_rate, 0.02, 1.0), n_posts) - 1, 40).astype(np.int16)
    start_share = starting_practice(p, post_sys, turnover, orientation)
    posts = Posts(
        sys=post_sys.astype(np.int32), school=post_school, district=post_district,
        practising=streams.random(n_posts) < start_share, adoption_threshold=threshold, strength=strength,
        orientation=orientation, rootedness=rootedness, experience=experience,
        member=np.full(post_school.size, -1, dtype=np.int64), person=np.arange(post_school.size) - _offsets(n_posts)[
            post_sys],
    )

    inst = p.institutions
    grades = int(p.system.grades[0])
    if (p.system.grades != grades).any():
        found = sorted(set(p.system.grades.tolist()))
        raise ValueError(f"systems in one batch must have the same number of grades, got {found}")
    s_count = school_sys.size
    schools = Schools(
        sys=school_sys.astype(np.int32), district=school_district, first_post=school_first_post,
        teachers=teachers.astype(np.int32),
        enrolment=(teachers * p.system.students_per_teacher[school_sys]).astype(np.float64),
        disadvantage=disadvantage, leader_member=np.full(s_count, -1, dtype=np.int64),
        leader_staff_needed=streams.clipped_normal(inst.leader_staff_needed_mean, inst.leader_staff_needed_sd,
                                                   n_schools),
        leader_aligned=np.zeros(s_count, dtype=bool), partner_served=np.zeros(s_count, dtype=np.int32),
        hosted=np.zeros(s_count, dtype=bool), cohorts=np.zeros((s_count, grades)), excess=np.zeros((s_count, grades)),
        entry=-p.students.entry_gap[school_sys] * disadvantage, baseline_gain=np.zeros(s_count),
        leavers=np.zeros(s_count, dtype=np.int32),
    )
    district_dis = np.bincount(school_district, weights=disadvantage, minlength=district_sys.size) / per_district[
        district_sys]
    districts = Districts(
        sys=district_sys, names=[name for s in scenarios for name in s.district_names()],
        first_school=district_first_school, first_post=district_first_post, disadvantage=district_dis,
        support=inst.district.initial[district_sys].astype(np.float64),
        programme=np.zeros(district_sys.size, dtype=bool),
        tipping_scope=_fixed_scope(scenarios, district_sys, district_dis, first_district),
    )

    members = _members(streams, scenarios, p)
    ties = static_ties(streams, post_sys, post_school, school_first_post, district_first_post, post_district,
                       p.network.within_school_ties, p.network.across_school_ties)
    partners, first_partner = _partner_rows(p, members.sys, b_all.size)
    systems = Systems(
        first_post=_offsets(n_posts), first_school=first_school, first_district=first_district,
        first_member=_offsets(np.bincount(members.sys, minlength=b_all.size)), first_partner=first_partner,
        first_placement=np.zeros(b_all.size + 1, dtype=np.int64), placement_order=np.empty(0, dtype=np.int64),
        host_count=np.zeros(b_all.size, dtype=np.int64), partner_count=np.zeros(b_all.size, dtype=np.int64),
        ministry_alignment=inst.ministry.initial.astype(np.float64).copy(), next_person=n_posts.astype(np.int64),
        unplaced_fellows=np.zeros(b_all.size, dtype=np.int64), unplaced_moves=np.zeros(b_all.size, dtype=np.int64),
    )
    state = SystemState(posts=posts, schools=schools, districts=districts, members=members, partners=partners,
                        systems=systems, static_ties=ties)
    _plan_placement(scenarios, params, streams, state)
    return state


def leaving_rate(p: Section, sys: np.ndarray, disadvantage: np.ndarray, rootedness: np.ndarray) -> np.ndarray:
    """Yearly chance a teacher from outside the programme leaves (0 where careers are off)."""
    c = p.careers
    return ((c.turnover[sys] + c.turnover_disadvantage[sys] * disadvantage)
            * (1.0 - c.rootedness_retention[sys] * rootedness) * c.enabled[sys])


def starting_practice(p: Section, sys: np.ndarray, turnover: np.ndarray, orientation: np.ndarray) -> np.ndarray:
    """Each teacher's chance of practising at the start.

    'equilibrium' is the share a teacher's own year holds steady without the programme: turnover
    replaces them with a newcomer who does not practise, spontaneous adoption (over the year's
    rounds) takes them up, and an unsupported practice lapses. At starting practice levels almost
    no one has enough practising colleagues to be supported, so contagion is left out here; the
    baseline that results is still (docs/model.md, "A still baseline").
    """
    c = p.contagion
    keep = ((1.0 - c.spontaneous_adoption / c.rounds_per_year) ** c.rounds_per_year)[sys]  # no spontaneous uptake
    stay = 1.0 - c.lapse_rate[sys] * (1.0 - orientation)  # an unsupported practice survives the year
    denominator = 1.0 - stay * keep * (1.0 - turnover)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(denominator > 0, stay * (1.0 - keep) / denominator, 0.0)
    share = np.where(c.enabled[sys], np.clip(share, 0.0, 1.0), 0.0)
    given = np.array([np.nan if v == "equilibrium" else float(v) for v in p.teachers.initial_practice])
    return np.where(np.isnan(given[sys]), share, given[sys])


def _school_sizes(streams: Streams, p: Section, n_schools: np.ndarray, school_sys: np.ndarray) -> np.ndarray:
    mean, cv = p.system.teachers_per_school, p.system.school_size_spread
    sigma2 = np.log1p(cv**2)
    drawn = streams.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), np.where(cv > 0, n_schools, 0))
    sizes = np.empty(school_sys.size, dtype=np.int64)
    varied = cv[school_sys] > 0
    sizes[varied] = np.maximum(1, np.rint(drawn)).astype(np.int64)
    sizes[~varied] = np.maximum(1, np.round(mean))[school_sys[~varied]].astype(np.int64)
    return sizes


def _fixed_scope(scenarios: Sequence[Scenario], district_sys: np.ndarray, district_dis: np.ndarray,
                 first_district: np.ndarray) -> np.ndarray:
    scope = np.zeros(district_sys.size, dtype=bool)
    for b, scenario in enumerate(scenarios):  # once per system when it is built, not in a step
        tip, lo, hi = scenario.tipping, first_district[b], first_district[b + 1]
        if tip.scope == "system":
            scope[lo:hi] = True
        elif tip.scope == "most_disadvantaged":
            scope[lo + np.argsort(-district_dis[lo:hi], kind="stable")[: tip.district_count]] = True
        elif tip.scope == "named":
            names = scenario.district_names()
            scope[[lo + names.index(name) for name in tip.district_names]] = True
    return scope


def _partner_rows(p: Section, member_sys: np.ndarray, systems: int) -> tuple[Partners, np.ndarray]:
    rows_each = p.partners.initial.astype(np.int64) + np.bincount(member_sys, minlength=systems)
    first = _offsets(rows_each)
    n = int(first[-1])
    width = int(p.partners.schools_per_partner.max())
    return Partners(
        sys=np.repeat(np.arange(systems), rows_each).astype(np.int32), district=np.full(n, -1, dtype=np.int64),
        founder=np.full(n, -1, dtype=np.int64), schools=np.full((n, width), -1, dtype=np.int64),
        active=np.zeros(n, dtype=bool),
    ), first


def _members(streams: Streams, scenarios: Sequence[Scenario], p: Section) -> Members:
    sizes = [s.programme.sizes() for s in scenarios]
    cohort = np.concatenate([np.repeat(np.arange(len(x), dtype=np.int32), x) for x in sizes]) if sizes else \
        np.empty(0, dtype=np.int32)
    counts = np.array([sum(x) for x in sizes], dtype=np.int64)
    sys = np.repeat(np.arange(len(scenarios)), counts).astype(np.int32)
    n = sys.size
    a, b = alumni_ties(streams, sys, _offsets(counts), p.network.alumni_ties)
    prog, t = p.programme, p.teachers
    strength, orientation, rootedness = streams.beta_traits((prog.strength, prog.orientation, prog.rootedness), counts)
    return Members(
        sys=sys, cohort=cohort.astype(np.int32), status=np.zeros(n, dtype=np.int8),
        role=np.full(n, NO_ROLE, dtype=np.int8), district=np.full(n, -1, dtype=np.int64),
        school=np.full(n, -1, dtype=np.int64), post=np.full(n, -1, dtype=np.int64),
        years_in_programme=np.zeros(n, dtype=np.int16), left_programme=np.full(n, -1, dtype=np.int32),
        strength=strength, orientation=orientation, rootedness=rootedness,
        # the programme recruits teachers: their thresholds come from the teachers' distribution
        adoption_threshold=streams.clipped_normal(t.adoption_threshold_mean, t.adoption_threshold_sd, counts),
        practising=np.zeros(n, dtype=bool), founded_partner=np.full(n, -1, dtype=np.int64), tie_a=a, tie_b=b,
    )


def fellows_in_post(scenario: Scenario) -> int:
    """The most fellows the programme has in post at once (cohorts overlap for the commitment)."""
    sizes, years = scenario.programme.sizes(), scenario.programme.commitment_years
    return max((sum(sizes[max(0, y - years + 1): y + 1]) for y in range(len(sizes))), default=0)


def _plan_placement(scenarios: Sequence[Scenario], p: Section, streams: Streams, state: SystemState) -> None:
    """Each system's eligible schools in the order cohorts fill them, and how many of them host fellows.

    The number of host schools is what the scenario asks for: `host_schools` exactly, enough schools
    for `fellows_per_host` fellows each, or, from `clustering`, a log-scale interpolation between every
    eligible school (0) and one school (1). More are added if needed to hold the fellows in post with
    no school above `max_fellow_share` of its posts.
    """
    s, d, sy = state.schools, state.districts, state.systems
    rule = p.placement
    eligible_district = _eligible_districts(scenarios, streams, state)
    eligible = np.flatnonzero(eligible_district[s.district])
    sys = s.sys[eligible]
    random_priority = np.array([r == "random" for r in rule.school_priority])
    shuffled = eligible[random_priority[sys]]
    key = -s.disadvantage[eligible]
    key[random_priority[sys]] = streams.random(streams.counts(s.sys[shuffled]))
    # take schools from each eligible district in turn, so a handful of hosts spreads over every chosen
    # district (a few schools of each) rather than filling one district first
    district = s.district[eligible]
    by_district = np.lexsort((key, district))
    rank = np.empty(eligible.size, dtype=np.int64)
    rank[by_district] = rank_in_groups(district[by_district])
    order = eligible[np.lexsort((-d.disadvantage[district], rank, sys))]
    owner = s.sys[order]
    first = _offsets(np.bincount(owner, minlength=sy.size))
    size = np.diff(first)
    in_post = np.array([fellows_in_post(x) for x in scenarios])
    wanted = np.where(
        np.array([x.placement.host_schools is not None for x in scenarios]),
        np.array([x.placement.host_schools or 0 for x in scenarios]),
        np.where(np.array([x.placement.fellows_per_host is not None for x in scenarios]),
                 np.ceil(in_post / np.array([x.placement.fellows_per_host or 1.0 for x in scenarios])),
                 np.round(size ** (1.0 - np.array([x.placement.clustering or 0.0 for x in scenarios])))),
    ).astype(np.int64)
    capacity = np.floor(rule.max_fellow_share[owner] * s.teachers[order]).astype(np.int64)
    within = np.cumsum(capacity) - np.repeat(np.concatenate([[0], np.cumsum(capacity)])[first[:-1]], size)
    position = np.arange(order.size) - first[owner]
    reached = within >= in_post[owner]
    needed = np.full(sy.size, np.iinfo(np.int64).max)
    np.minimum.at(needed, owner[reached], position[reached] + 1)
    needed = np.minimum(needed, size + 1)
    sy.placement_order, sy.first_placement = order, first
    sy.host_count[:] = np.maximum(1, np.minimum(size, np.maximum(wanted, needed)))
    d.programme[s.district[order[position < sy.host_count[owner]]]] = True


def _eligible_districts(scenarios: Sequence[Scenario], streams: Streams, state: SystemState) -> np.ndarray:
    d, sy = state.districts, state.systems
    eligible = np.zeros(d.size, dtype=bool)
    for b, scenario in enumerate(scenarios):  # once per system when it is built, not in a step
        rule, lo, hi = scenario.placement, sy.first_district[b], sy.first_district[b + 1]
        if rule.districts == "all":
            eligible[lo:hi] = True
        elif rule.districts == "most_disadvantaged":
            eligible[lo + np.argsort(-d.disadvantage[lo:hi], kind="stable")[: rule.district_count]] = True
        elif rule.districts == "random":
            eligible[lo + streams.generators[b].choice(hi - lo, rule.district_count, replace=False)] = True
        else:
            names = scenario.district_names()
            eligible[[lo + names.index(name) for name in rule.district_names]] = True
    return eligible
