"""Build a school system from a Scenario: districts, schools, teaching posts, programme members, ties."""

from __future__ import annotations

import numpy as np

from sim.draws import beta_with_mean, teacher_traits
from sim.network import alumni_ties, static_ties
from sim.scenario import Scenario
from sim.state import NO_ROLE, Districts, Members, Partners, Posts, Schools, SystemState


def build_system(scenario: Scenario, rng: np.random.Generator) -> SystemState:
    sys_cfg = scenario.system
    n_districts = sys_cfg.districts
    n_schools = n_districts * sys_cfg.schools_per_district

    dis = sys_cfg.disadvantage
    district_mean = np.clip(rng.normal(dis.mean, dis.district_spread, n_districts), 0.0, 1.0)
    school_district = np.repeat(np.arange(n_districts, dtype=np.int32), sys_cfg.schools_per_district)
    disadvantage = np.clip(rng.normal(district_mean[school_district], dis.school_spread), 0.0, 1.0)

    teachers = _school_sizes(rng, sys_cfg.teachers_per_school, sys_cfg.school_size_spread, n_schools)
    school_first_post = np.concatenate([[0], np.cumsum(teachers, dtype=np.int64)])
    n_posts = int(school_first_post[-1])
    post_school = np.repeat(np.arange(n_schools, dtype=np.int32), teachers)
    post_district = school_district[post_school]
    district_first_school = np.arange(0, n_schools + 1, sys_cfg.schools_per_district, dtype=np.int64)
    district_first_post = school_first_post[district_first_school]

    traits = teacher_traits(rng, scenario.teachers, n_posts)
    turnover = scenario.careers.turnover + scenario.careers.turnover_disadvantage * disadvantage.mean()
    # experience as if the expected turnover had always held; the rate is a probability, so clipped
    experience = np.minimum(rng.geometric(min(max(turnover, 0.02), 1.0), n_posts) - 1, 40).astype(np.int16)
    posts = Posts(
        school=post_school,
        district=post_district,
        practising=rng.random(n_posts) < scenario.teachers.initial_practice,
        experience=experience,
        member=np.full(n_posts, -1, dtype=np.int32),
        person=np.arange(n_posts, dtype=np.int64),
        **traits,
    )

    enrolment = teachers * sys_cfg.students_per_teacher
    inst = scenario.institutions
    schools = Schools(
        district=school_district,
        first_post=school_first_post,
        teachers=teachers.astype(np.int32),
        enrolment=enrolment.astype(np.float64),
        disadvantage=disadvantage,
        leader_member=np.full(n_schools, -1, dtype=np.int32),
        leader_threshold=np.clip(rng.normal(inst.leader_threshold_mean, inst.leader_threshold_sd, n_schools), 0, 1),
        leader_aligned=np.zeros(n_schools, dtype=bool),
        partner_served=np.zeros(n_schools, dtype=np.int32),
        cohorts=np.zeros((n_schools, sys_cfg.grades)),
        entry=-scenario.students.entry_gap * disadvantage,
        leavers=np.zeros(n_schools, dtype=np.int32),
    )
    school_mean_dis = np.bincount(school_district, weights=disadvantage, minlength=n_districts)
    districts = Districts(
        names=scenario.district_names(),
        first_school=district_first_school,
        first_post=district_first_post,
        disadvantage=school_mean_dis / sys_cfg.schools_per_district,
        support=np.full(n_districts, inst.district.initial),
        office_staff=sys_cfg.district_office_staff,
        programme=np.zeros(n_districts, dtype=bool),
    )

    members = _members(rng, scenario)
    ties = static_ties(
        rng, post_school, school_first_post, district_first_post, post_district,
        scenario.network.within_school_ties, scenario.network.across_school_ties,
    )
    state = SystemState(
        posts=posts, schools=schools, districts=districts, members=members,
        partners=_partner_rows(scenario, members.size),
        static_ties=ties, placement_order=np.empty(0, dtype=np.int64), host_count=0,
        ministry_alignment=inst.ministry.initial, next_person=n_posts,
    )
    state.placement_order, state.host_count = placement_plan(scenario, state, rng)
    state.districts.programme[np.unique(schools.district[state.host_schools])] = True
    return state


def _partner_rows(scenario: Scenario, n_members: int) -> Partners:
    rows = scenario.partners.initial + n_members
    return Partners(
        district=np.full(rows, -1, dtype=np.int32),
        founder=np.full(rows, -1, dtype=np.int32),
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
        cohort=cohort,
        status=np.zeros(n, dtype=np.int8),
        role=np.full(n, NO_ROLE, dtype=np.int8),
        district=np.full(n, -1, dtype=np.int32),
        school=np.full(n, -1, dtype=np.int32),
        post=np.full(n, -1, dtype=np.int64),
        years_in_programme=np.zeros(n, dtype=np.int16),
        left_programme=np.full(n, -1, dtype=np.int32),
        strength=beta_with_mean(rng, prog.strength, n),
        orientation=beta_with_mean(rng, prog.orientation, n),
        rootedness=beta_with_mean(rng, prog.representation, n),
        founded_partner=np.full(n, -1, dtype=np.int32),
        tie_a=a,
        tie_b=b,
    )


def eligible_districts(scenario: Scenario, districts_disadvantage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rule = scenario.placement
    n = districts_disadvantage.size
    if rule.districts == "all":
        return np.arange(n)
    if rule.districts == "most_disadvantaged":
        return np.sort(np.argsort(-districts_disadvantage, kind="stable")[: rule.district_count])
    if rule.districts == "random":
        return np.sort(rng.choice(n, rule.district_count, replace=False))
    names = scenario.district_names()
    return np.array(sorted(names.index(name) for name in rule.district_names))


def placement_plan(scenario: Scenario, state: SystemState, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Eligible schools in the order cohorts fill them, and how many of them host fellows.

    Clustering interpolates on a log scale between every eligible school (0) and one school (1),
    then adds schools until there is room for the fellows in post at the cap per school.
    """
    schools, rule = state.schools, scenario.placement
    districts = eligible_districts(scenario, state.districts.disadvantage, rng)
    eligible = np.concatenate(
        [np.arange(state.districts.first_school[d], state.districts.first_school[d + 1]) for d in districts]
    )
    # take schools from each eligible district in turn, so clustering concentrates fellows in a few
    # schools of every chosen district rather than filling one district first
    key = -schools.disadvantage[eligible] if rule.school_priority == "most_disadvantaged" else rng.random(eligible.size)
    district = schools.district[eligible]
    by_district = np.lexsort((key, district))
    rank = np.empty(eligible.size, dtype=np.int64)
    first = np.searchsorted(district[by_district], district[by_district])
    rank[by_district] = np.arange(eligible.size) - first
    order = eligible[np.lexsort((-state.districts.disadvantage[district], rank))]
    wanted = round(order.size ** (1.0 - rule.clustering))
    capacity = np.floor(rule.max_fellow_share * schools.teachers[order]).astype(np.int64)
    sizes = scenario.programme.sizes()
    in_post = max(
        (sum(sizes[max(0, y - scenario.programme.commitment_years + 1): y + 1]) for y in range(len(sizes))),
        default=0,
    )
    needed = int(np.searchsorted(np.cumsum(capacity), in_post) + 1)
    return order, max(1, min(order.size, max(wanted, needed)))
