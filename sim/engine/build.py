"""Build one school system from a Scenario: districts, schools, teaching posts, programme members, ties.

Draws come from the system's own generator in a fixed order; a batch builds each of its systems
this way and stacks them (sim/engine/stack.py), so a system is the same whether built alone or in
a batch.
"""

from __future__ import annotations

import numpy as np

from sim.draws import beta_with_mean, teacher_traits
from sim.engine.state import NO_ROLE, Districts, Members, Partners, Posts, Schools, Systems, SystemState
from sim.network import alumni_ties, static_ties
from sim.scenario import Scenario


def build_system(scenario: Scenario, rng: np.random.Generator) -> SystemState:
    sys_cfg = scenario.system
    n_districts = sys_cfg.districts
    n_schools = n_districts * sys_cfg.schools_per_district

    dis = sys_cfg.disadvantage
    district_mean = np.clip(rng.normal(dis.mean, dis.district_spread, n_districts), 0.0, 1.0)
    school_district = np.repeat(np.arange(n_districts, dtype=np.int64), sys_cfg.schools_per_district)
    disadvantage = np.clip(rng.normal(district_mean[school_district], dis.school_spread), 0.0, 1.0)

    teachers = _school_sizes(rng, sys_cfg.teachers_per_school, sys_cfg.school_size_spread, n_schools)
    school_first_post = np.concatenate([[0], np.cumsum(teachers, dtype=np.int64)])
    n_posts = int(school_first_post[-1])
    post_school = np.repeat(np.arange(n_schools, dtype=np.int64), teachers)
    post_district = school_district[post_school]
    district_first_school = np.arange(0, n_schools + 1, sys_cfg.schools_per_district, dtype=np.int64)
    district_first_post = school_first_post[district_first_school]

    traits = teacher_traits(rng, scenario.teachers, n_posts)
    turnover = leaving_rate(scenario, disadvantage[post_school], traits["rootedness"])
    # experience as if the expected turnover had always held; the rate is a probability, so clipped
    mean_rate = float(turnover.mean()) if scenario.careers.enabled and n_posts else 0.0
    experience = np.minimum(rng.geometric(min(max(mean_rate, 0.02), 1.0), n_posts) - 1, 40).astype(np.int16)
    start_share = starting_practice(scenario, turnover, traits["orientation"])
    posts = Posts(
        sys=np.zeros(n_posts, dtype=np.int32),
        school=post_school,
        district=post_district,
        practising=rng.random(n_posts) < start_share,
        experience=experience,
        member=np.full(n_posts, -1, dtype=np.int64),
        person=np.arange(n_posts, dtype=np.int64),
        adoption_threshold=traits["threshold"],
        strength=traits["strength"],
        orientation=traits["orientation"],
        rootedness=traits["rootedness"],
    )

    inst = scenario.institutions
    grades = sys_cfg.grades
    schools = Schools(
        sys=np.zeros(n_schools, dtype=np.int32),
        district=school_district,
        first_post=school_first_post,
        teachers=teachers.astype(np.int32),
        enrolment=(teachers * sys_cfg.students_per_teacher).astype(np.float64),
        disadvantage=disadvantage,
        leader_member=np.full(n_schools, -1, dtype=np.int64),
        leader_staff_needed=np.clip(
            rng.normal(inst.leader_staff_needed_mean, inst.leader_staff_needed_sd, n_schools), 0, 1
        ),
        leader_aligned=np.zeros(n_schools, dtype=bool),
        partner_served=np.zeros(n_schools, dtype=np.int32),
        hosted=np.zeros(n_schools, dtype=bool),
        cohorts=np.zeros((n_schools, grades)),
        excess=np.zeros((n_schools, grades)),
        entry=-scenario.students.entry_gap * disadvantage,
        baseline_gain=np.zeros(n_schools),
        leavers=np.zeros(n_schools, dtype=np.int32),
    )
    school_mean_dis = np.bincount(school_district, weights=disadvantage, minlength=n_districts)
    district_dis = school_mean_dis / sys_cfg.schools_per_district
    districts = Districts(
        sys=np.zeros(n_districts, dtype=np.int32),
        names=scenario.district_names(),
        first_school=district_first_school,
        first_post=district_first_post,
        disadvantage=district_dis,
        support=np.full(n_districts, inst.district.initial),
        programme=np.zeros(n_districts, dtype=bool),
        tipping_scope=_fixed_scope(scenario, district_dis),
    )

    members = _members(rng, scenario)
    ties = static_ties(
        rng, post_school, school_first_post, district_first_post, post_district,
        scenario.network.within_school_ties, scenario.network.across_school_ties,
    )
    partners = _partner_rows(scenario, members.size)
    systems = Systems(
        first_post=np.array([0, n_posts]), first_school=np.array([0, n_schools]),
        first_district=np.array([0, n_districts]), first_member=np.array([0, members.size]),
        first_partner=np.array([0, partners.size]), first_placement=np.array([0, 0]),
        placement_order=np.empty(0, dtype=np.int64), host_count=np.zeros(1, dtype=np.int64),
        partner_count=np.zeros(1, dtype=np.int64), ministry_alignment=np.array([inst.ministry.initial]),
        next_person=np.array([n_posts], dtype=np.int64), unplaced_fellows=np.zeros(1, dtype=np.int64),
        unplaced_moves=np.zeros(1, dtype=np.int64),
    )
    state = SystemState(posts=posts, schools=schools, districts=districts, members=members, partners=partners,
                        systems=systems, static_ties=ties)
    order, hosts = placement_plan(scenario, state, rng)
    systems.placement_order, systems.first_placement[1], systems.host_count[0] = order, order.size, hosts
    districts.programme[np.unique(schools.district[order[:hosts]])] = True
    return state


def leaving_rate(scenario: Scenario, disadvantage: np.ndarray, rootedness: np.ndarray) -> np.ndarray:
    """Yearly chance a teacher from outside the programme leaves (0 when careers are off)."""
    c = scenario.careers
    if not c.enabled:
        return np.zeros(disadvantage.size)
    return (c.turnover + c.turnover_disadvantage * disadvantage) * (1.0 - c.rootedness_retention * rootedness)


def starting_practice(scenario: Scenario, turnover: np.ndarray, orientation: np.ndarray) -> np.ndarray:
    """Each teacher's chance of practising at the start.

    'equilibrium' is the share a teacher's own year holds steady without the programme: turnover
    replaces them with a newcomer who does not practise, spontaneous adoption (over the year's
    rounds) takes them up, and an unsupported practice lapses. At starting practice levels almost
    no one has enough practising colleagues to be supported, so contagion is left out here; the
    baseline that results is still (docs/model.md, "A still baseline").
    """
    given = scenario.teachers.initial_practice
    if given != "equilibrium":
        return np.full(turnover.size, float(given))
    c = scenario.contagion
    if not c.enabled:
        return np.zeros(turnover.size)
    keep = (1.0 - c.spontaneous_adoption / c.rounds_per_year) ** c.rounds_per_year  # no spontaneous uptake
    stay = 1.0 - c.lapse_rate * (1.0 - orientation)  # an unsupported practice survives the year
    denominator = 1.0 - stay * keep * (1.0 - turnover)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(denominator > 0, stay * (1.0 - keep) / denominator, 0.0)
    return np.clip(share, 0.0, 1.0)


def _fixed_scope(scenario: Scenario, district_disadvantage: np.ndarray) -> np.ndarray:
    tip, n = scenario.tipping, district_disadvantage.size
    scope = np.zeros(n, dtype=bool)
    if tip.scope == "system":
        scope[:] = True
    elif tip.scope == "most_disadvantaged":
        scope[np.argsort(-district_disadvantage, kind="stable")[: tip.district_count]] = True
    elif tip.scope == "named":
        names = scenario.district_names()
        scope[[names.index(name) for name in tip.district_names]] = True
    return scope


def _partner_rows(scenario: Scenario, n_members: int) -> Partners:
    rows = scenario.partners.initial + n_members
    return Partners(
        sys=np.zeros(rows, dtype=np.int32),
        district=np.full(rows, -1, dtype=np.int64),
        founder=np.full(rows, -1, dtype=np.int64),
        schools=np.full((rows, scenario.partners.schools_per_partner), -1, dtype=np.int64),
        active=np.zeros(rows, dtype=bool),
    )


def _school_sizes(rng: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
    if cv == 0:
        return np.full(n, max(1, round(mean)), dtype=np.int64)
    sigma2 = np.log1p(cv**2)
    sizes = rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)
    return np.maximum(1, np.rint(sizes)).astype(np.int64)


def _members(rng: np.random.Generator, scenario: Scenario) -> Members:
    sizes = scenario.programme.sizes()
    cohort = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    n = cohort.size
    prog = scenario.programme
    a, b = alumni_ties(rng, n, scenario.network.alumni_ties)
    return Members(
        sys=np.zeros(n, dtype=np.int32),
        cohort=cohort,
        status=np.zeros(n, dtype=np.int8),
        role=np.full(n, NO_ROLE, dtype=np.int8),
        district=np.full(n, -1, dtype=np.int64),
        school=np.full(n, -1, dtype=np.int64),
        post=np.full(n, -1, dtype=np.int64),
        years_in_programme=np.zeros(n, dtype=np.int16),
        left_programme=np.full(n, -1, dtype=np.int32),
        strength=beta_with_mean(rng, prog.strength, n),
        orientation=beta_with_mean(rng, prog.orientation, n),
        rootedness=beta_with_mean(rng, prog.rootedness, n),
        practising=np.zeros(n, dtype=bool),
        founded_partner=np.full(n, -1, dtype=np.int64),
        tie_a=a.astype(np.int64),
        tie_b=b.astype(np.int64),
    )


def eligible_districts(scenario: Scenario, district_disadvantage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rule = scenario.placement
    n = district_disadvantage.size
    if rule.districts == "all":
        return np.arange(n)
    if rule.districts == "most_disadvantaged":
        return np.sort(np.argsort(-district_disadvantage, kind="stable")[: rule.district_count])
    if rule.districts == "random":
        return np.sort(rng.choice(n, rule.district_count, replace=False))
    names = scenario.district_names()
    return np.array(sorted(names.index(name) for name in rule.district_names))


def fellows_in_post(scenario: Scenario) -> int:
    """The most fellows the programme has in post at once (cohorts overlap for the commitment)."""
    sizes, years = scenario.programme.sizes(), scenario.programme.commitment_years
    return max((sum(sizes[max(0, y - years + 1): y + 1]) for y in range(len(sizes))), default=0)


def placement_plan(scenario: Scenario, state: SystemState, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Eligible schools in the order cohorts fill them, and how many of them host fellows.

    The number of host schools is what the scenario asks for: `host_schools` exactly, enough schools
    for `fellows_per_host` fellows each, or, from `clustering`, a log-scale interpolation between every
    eligible school (0) and one school (1). More are added if needed to hold the fellows in post with
    no school above `max_fellow_share` of its posts.
    """
    schools, rule = state.schools, scenario.placement
    districts = eligible_districts(scenario, state.districts.disadvantage, rng)
    first = state.districts.first_school
    eligible = np.concatenate([np.arange(first[d], first[d + 1]) for d in districts])
    # take schools from each eligible district in turn, so a handful of hosts spreads over every chosen
    # district (a few schools of each) rather than filling one district first
    key = -schools.disadvantage[eligible] if rule.school_priority == "most_disadvantaged" else rng.random(eligible.size)
    district = schools.district[eligible]
    by_district = np.lexsort((key, district))
    rank = np.empty(eligible.size, dtype=np.int64)
    start = np.searchsorted(district[by_district], district[by_district])
    rank[by_district] = np.arange(eligible.size) - start
    order = eligible[np.lexsort((-state.districts.disadvantage[district], rank))]
    in_post = fellows_in_post(scenario)
    if rule.host_schools is not None:
        wanted = rule.host_schools
    elif rule.fellows_per_host is not None:
        wanted = int(np.ceil(in_post / rule.fellows_per_host))
    else:
        wanted = round(order.size ** (1.0 - rule.clustering))
    capacity = np.floor(rule.max_fellow_share * schools.teachers[order]).astype(np.int64)
    needed = int(np.searchsorted(np.cumsum(capacity), in_post) + 1)
    return order, max(1, min(order.size, max(wanted, needed)))
