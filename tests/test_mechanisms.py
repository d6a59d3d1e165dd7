"""One test (or a few) per mechanism, each checking that it does what docs/model.md says."""

from __future__ import annotations

import numpy as np
import pytest

from sim import SchoolSystemModel
from sim.agents import Alumnus, DistrictOffice, Fellow, Ministry, School, Teacher
from sim.engine.indicators import Sums
from sim.engine.state import ALUMNUS, CLASSROOM, FELLOW, GONE, OUTSIDE, SCHOOL_LEADER
from sim.mechanisms import careers, institutions, practice, programme, students
from sim.scenario import ROLES
from tests.helpers import engine, small

# --- building the system --------------------------------------------------------------------


def test_posts_are_laid_out_school_by_school_with_sizes_from_the_scenario() -> None:
    state = engine(**{"system.school_size_spread": 0}).state
    assert state.posts.size == 3 * 6 * 10
    assert np.all(np.diff(state.posts.school) >= 0)
    assert np.array_equal(np.bincount(state.posts.school), state.schools.teachers)


def test_network_is_symmetric_without_self_ties_and_mostly_within_schools() -> None:
    state = engine().state
    ties = state.static_ties
    assert (ties != ties.T).nnz == 0
    assert ties.diagonal().sum() == 0
    rows, cols = ties.nonzero()
    same_school = state.posts.school[rows] == state.posts.school[cols]
    same_district = state.posts.district[rows] == state.posts.district[cols]
    assert same_school.mean() > 0.7 and same_district.all()


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"placement.clustering": 0.0}, 18),  # every eligible school
    ({"placement.clustering": 1.0}, 5),  # the fewest that hold 24 fellows in post at half of 10 posts each
    ({"placement.host_schools": 8}, 8),
    ({"placement.host_schools": 2}, 5),  # too few to hold the fellows within the cap: more are added
    ({"placement.fellows_per_host": 3}, 8),  # 24 fellows in post, 3 a school
])
def test_placement_sets_how_many_schools_host_fellows(overrides: dict, expected: int) -> None:
    state = engine(**{"system.school_size_spread": 0, **overrides}).state
    assert state.host_schools().size == expected


def test_clustering_and_a_host_school_count_cannot_both_be_given() -> None:
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="give one of clustering, host_schools or fellows_per_host"):
        small(**{"placement.clustering": 0.5, "placement.host_schools": 3})


def test_most_disadvantaged_districts_are_chosen() -> None:
    state = engine(**{"placement.districts": "most_disadvantaged", "placement.district_count": 1}).state
    hosts_districts = np.unique(state.schools.district[state.host_schools()])
    assert hosts_districts.tolist() == [int(np.argmax(state.districts.disadvantage))]


def test_equilibrium_practice_starts_each_teacher_at_their_steady_share() -> None:
    batch = engine(**{"system.districts": 10, "system.schools_per_district": 30})
    share = batch.state.posts.practising.mean()
    # spontaneous 0.005 a year against a lapse of 0.3 x (1 - orientation ~0.6) and turnover ~0.15: about 1.5%
    assert 0.008 < share < 0.025
    assert engine(**{"teachers.initial_practice": 0.4}).state.posts.practising.mean() == pytest.approx(0.4, abs=0.06)


# --- careers and the programme --------------------------------------------------------------


def test_cohorts_arrive_in_host_schools_and_practise() -> None:
    batch = engine(**{"programme.practise_on_arrival": 1.0})
    state = batch.state
    state.year = 1
    fellows = programme.recruit_cohort(state, batch.params, batch.streams)
    assert fellows.size == 12
    assert np.isin(state.members.school[fellows], state.host_schools()).all()
    posts = state.members.post[fellows]
    assert np.unique(posts).size == 12 and state.posts.practising[posts].all()
    assert (state.posts.member[posts] == fellows).all()
    assert state.schools.hosted[state.members.school[fellows]].all()


def test_fellows_become_alumni_after_their_commitment() -> None:
    batch = engine(**{"programme.attrition": 0.0})
    state = batch.state
    state.year = 1
    fellows = programme.recruit_cohort(state, batch.params, batch.streams)
    for year in (2, 3):
        state.year = year
        careers.fellows_advance(state, batch.params, batch.streams)
    assert (state.members.status[fellows] == ALUMNUS).all()
    assert (state.members.left_programme[fellows] == 3).all()
    in_class = fellows[state.members.role[fellows] == CLASSROOM]
    assert (state.posts.member[state.members.post[in_class]] == in_class).all()


def test_teacher_turnover_replaces_leavers_with_newcomers_not_members() -> None:
    batch = engine(**{"careers.turnover": 0.5, "careers.turnover_disadvantage": 0.0,
                      "careers.rootedness_retention": 0.0})
    state = batch.state
    state.posts.practising[:] = True
    before = state.posts.person.copy()
    careers.teacher_turnover(state, batch.params, batch.streams)
    left = state.posts.person != before
    assert 0.4 < left.mean() < 0.6
    assert not state.posts.practising[left].any() and (state.posts.experience[left] == 0).all()
    assert state.schools.leavers.sum() == left.sum()


def test_turnover_switched_off() -> None:
    batch = engine(**{"careers.enabled": False})
    before = batch.state.posts.person.copy()
    careers.teacher_turnover(batch.state, batch.params, batch.streams)
    assert np.array_equal(before, batch.state.posts.person)


def test_alumni_roles_follow_the_stage_shares() -> None:
    batch = engine(**{"alumni.stages.0.roles.classroom": 0.5, "alumni.stages.0.roles.outside": 0.2,
                      "alumni.stages.0.roles.nonprofit": 0.3, "alumni.stages.0.roles.district_official": 0.0,
                      "alumni.stages.0.roles.ministry": 0.0})
    roles = careers.draw_roles(batch.params, batch.streams, np.zeros(20_000, dtype=np.int64),
                               np.zeros(20_000, dtype=np.int64))
    shares = np.bincount(roles, minlength=len(ROLES)) / roles.size
    assert shares[ROLES.index("classroom")] == pytest.approx(0.5, abs=0.02)
    assert shares[ROLES.index("nonprofit")] == pytest.approx(0.3, abs=0.02)
    assert shares[ROLES.index("school_leader")] == 0


def test_alumni_who_move_to_school_leadership_lead_distinct_schools() -> None:
    model = SchoolSystemModel(small(**{"alumni.mobility": 1.0}), rng=6)
    model.run_for(8)
    m, s = model.state.members, model.state.schools
    leaders = np.flatnonzero(m.role == SCHOOL_LEADER)
    assert np.array_equal(np.sort(s.leader_member[s.leader_member >= 0]), np.sort(leaders))
    outside = m.role == OUTSIDE
    assert (m.post[outside] == -1).all() and (m.district[outside] == -1).all()


def test_members_carry_their_practice_when_they_move() -> None:
    batch = engine(**{"alumni.mobility": 1.0, "alumni.stages.0.roles.classroom": 0.9,
                      "alumni.stages.0.roles.outside": 0.05, "programme.attrition": 0.0})
    state = batch.state
    for _ in range(4):
        batch.step()
    m = state.members
    in_class = np.flatnonzero((m.status == ALUMNUS) & (m.post >= 0))
    before = state.posts.practising[m.post[in_class]].copy()
    careers.move_members(state, batch.params, batch.streams, in_class,
                         np.full(in_class.size, CLASSROOM, dtype=np.int8))
    moved = in_class[m.post[in_class] >= 0]
    assert moved.size > 0
    # wherever they now teach, each brings their own practice, not the practice of the post's last holder
    assert np.array_equal(state.posts.practising[m.post[moved]], before[np.isin(in_class, moved)])


def test_alumni_leave_for_good_at_the_exit_rate() -> None:
    batch = engine(small(**{"years": 12, "alumni.exit_rate": 0.2, "programme.cohorts": 3}), seed=3)
    batch.run()
    m = batch.state.members
    gone = m.status == GONE
    assert gone.any() and (m.role[gone] == OUTSIDE).all() and (m.post[gone] == -1).all()
    assert not np.isin(np.flatnonzero(gone), batch.state.schools.leader_member).any()


# --- alumni placement (alumni.placement) -----------------------------------------------------


def steered_leaders(share: float, rule: str = "host_schools", seed: int = 4) -> tuple[np.ndarray, object]:
    """Run a few years, then move every classroom alumnus to school leadership under the rule."""
    batch = engine(small(**{"placement.clustering": 0.8, "programme.attrition": 0.0,
                            "alumni.placement.school_leader.rule": rule,
                            "alumni.placement.school_leader.share": share}), seed=seed)
    for _ in range(4):
        batch.step()
    m = batch.state.members
    movers = np.flatnonzero((m.status == ALUMNUS) & (m.role == CLASSROOM))
    careers.move_members(batch.state, batch.params, batch.streams, movers,
                         np.full(movers.size, SCHOOL_LEADER, dtype=np.int8))
    return movers, batch


def test_steered_alumni_leaders_go_to_host_schools_while_one_is_free() -> None:
    movers, batch = steered_leaders(1.0)
    s, m = batch.state.schools, batch.state.members
    led = m.school[movers[m.role[movers] == SCHOOL_LEADER]]
    free_hosts = s.hosted & (s.leader_member < 0)
    assert led.size > 0 and movers.size > s.hosted.sum()  # more movers than host schools
    # every host school is now led by one of them, and only the movers beyond the hosts went elsewhere
    assert not free_hosts.any()
    assert s.hosted[led].sum() == s.hosted.sum()


def test_a_rule_followed_by_no_one_changes_nothing() -> None:
    _, random = steered_leaders(0.0, "random")
    for rule in ("host_schools", "near_cluster", "most_disadvantaged"):
        _, batch = steered_leaders(0.0, rule)
        assert np.array_equal(batch.state.schools.leader_member, random.state.schools.leader_member)
        assert np.array_equal(batch.state.posts.person, random.state.posts.person)


# --- practice contagion --------------------------------------------------------------------


def test_practice_spreads_in_a_school_that_reaches_its_threshold_and_not_elsewhere() -> None:
    batch = engine(**{"contagion.spontaneous_adoption": 0.0, "contagion.adoption_probability": 1.0,
                      "contagion.lapse_rate": 0.0, "teachers.adoption_threshold_sd": 0.0,
                      "network.across_school_ties": 0, "system.school_size_spread": 0})
    state = batch.state
    state.posts.practising[:] = False
    school0 = state.posts.school == 0
    state.posts.practising[np.flatnonzero(school0)[:6]] = True  # 60% of school 0
    practice.spread_practice(state, batch.params, batch.streams)
    assert state.posts.practising[school0].all()
    assert not state.posts.practising[~school0].any()


def test_support_lowers_thresholds() -> None:
    batch = engine()
    state, params = batch.state, batch.params
    state.districts.support[:] = 0.0
    state.schools.leader_aligned[:] = False
    base = practice.effective_thresholds(state, params)
    state.districts.support[:] = 1.0
    state.schools.leader_aligned[:] = True
    lowered = practice.effective_thresholds(state, params)
    expected = np.clip(base - params.support.leader[0] - params.support.district[0], 0, 1)
    assert np.allclose(lowered, expected, atol=1e-6)


def test_practice_lapses_without_reinforcement() -> None:
    batch = engine(**{"contagion.lapse_rate": 1.0, "contagion.spontaneous_adoption": 0.0,
                      "contagion.adoption_probability": 0.0, "teachers.orientation_mean": 0.0})
    state = batch.state
    state.posts.practising[:] = False
    lonely = np.flatnonzero(state.posts.school == 0)[0]
    state.posts.practising[lonely] = True
    practice.spread_practice(state, batch.params, batch.streams)
    assert not state.posts.practising[lonely]


def test_contagion_switched_off_changes_nothing() -> None:
    batch = engine(**{"contagion.enabled": False})
    before = batch.state.posts.practising.copy()
    practice.spread_practice(batch.state, batch.params, batch.streams)
    assert np.array_equal(before, batch.state.posts.practising)


def test_alumni_ties_join_posts_held_by_members() -> None:
    model = SchoolSystemModel(small(**{"network.alumni_ties": 6}), rng=10)
    model.run_for(3)
    static, alumni = practice.yearly_ties(model.state)
    assert static is model.state.static_ties
    rows, cols = alumni.nonzero()
    assert rows.size > 0
    assert (model.state.posts.member[rows] >= 0).all() and (model.state.posts.member[cols] >= 0).all()


# --- institutions -------------------------------------------------------------------------


def test_district_support_rises_with_aligned_leaders_and_rests_without() -> None:
    batch = engine()
    state, params = batch.state, batch.params
    state.posts.practising[:] = True
    institutions.update_institutions(state, params)
    assert state.schools.leader_aligned.all()
    assert (state.districts.support > 0.1).all()
    state.posts.practising[:] = False
    for _ in range(30):
        institutions.update_institutions(state, params)
    # back to where it rests (its starting level), not to zero
    assert np.allclose(state.districts.support, 0.1, atol=1e-3)
    assert state.systems.ministry_alignment[0] == pytest.approx(0.1, abs=1e-3)


def test_alumni_in_the_nonprofit_role_found_partner_organisations() -> None:
    scenario = small(**{"alumni.stages.0.roles.nonprofit": 0.5, "alumni.stages.0.roles.outside": 0.0,
                        "alumni.stages.0.roles.classroom": 0.47, "alumni.mobility": 0.0})
    model = SchoolSystemModel(scenario, rng=11)
    model.run_for(5)
    pr = model.state.partners
    assert model.state.systems.partner_count[0] > 0 and pr.active.any()
    assert (model.state.schools.partner_served > 0).any()


# --- students -----------------------------------------------------------------------------


def test_achievement_is_steady_on_the_baseline_and_rises_with_practice() -> None:
    batch = engine(**{"students.noise_sd": 0.0, "careers.enabled": False})
    state, params = batch.state, batch.params
    before = students.school_achievement(state).copy()
    students.teach_year(state, params, batch.streams)
    assert np.allclose(students.school_achievement(state), before)
    state.posts.practising[:] = True
    students.teach_year(state, params, batch.streams)
    assert (students.school_achievement(state) - before).min() > 0


def test_a_years_extra_gain_fades_to_the_persistence_share() -> None:
    batch = engine(**{"students.noise_sd": 0.0, "careers.enabled": False, "students.persistence": 0.25,
                      "system.grades": 6})
    state, params = batch.state, batch.params
    start = state.posts.practising.copy()
    state.posts.practising[:] = True
    students.teach_year(state, params, batch.streams)
    lead = students.school_gain(state).copy()
    state.posts.practising[:] = start
    # back on the no-programme path: last year's extra gain moves up a grade and keeps a quarter
    students.teach_year(state, params, batch.streams)
    expected = lead * (5 / 6) * 0.25  # the oldest grade left; the entering grade has no lead
    assert np.allclose(students.school_gain(state), expected, atol=1e-12)


# --- the index and the Mesa views ---------------------------------------------------------


def test_leadership_index_is_zero_when_no_member_practises_and_within_bounds_when_they_do() -> None:
    model = SchoolSystemModel(small(), rng=13)
    model.run_for(6)
    frame = model.districts()
    dims = [c for c in frame.columns if c.startswith("dim_")]
    assert len(dims) == 6
    assert frame[[*dims, "leadership_index"]].stack().between(0, 1).all()
    state = model.state
    state.posts.practising[:] = False
    state.members.practising[:] = False
    sums = Sums(state, model._engine.params)
    index = sums.grouped(np.zeros(state.districts.size, dtype=np.int64), 1, system_groups=True)
    assert index["leadership_index"][0] == 0 and index["dim_scale"][0] == 0


def test_agents_are_views_onto_rows() -> None:
    model = SchoolSystemModel(small(), rng=14)
    model.run_for(4)
    by_type = model.agents_by_type
    assert len(by_type[Teacher]) == model.state.posts.size
    assert len(by_type[School]) == model.state.schools.size
    assert len(by_type[DistrictOffice]) == 3 and len(by_type[Ministry]) == 1
    fellows = np.flatnonzero(model.state.members.status == FELLOW)
    alumni = np.flatnonzero(model.state.members.status >= ALUMNUS)
    assert len(by_type[Fellow]) == fellows.size and len(by_type.get(Alumnus, [])) == alumni.size
    teacher = next(iter(by_type[Teacher]))
    model.state.posts.practising[teacher.row] = not teacher.practising
    assert teacher.practising == bool(model.state.posts.practising[teacher.row])


def test_turnover_rates_past_one_still_build() -> None:
    # hypothesis found this: 1.0 + disadvantage extra is not a valid probability for the draw
    state = engine(**{"careers.turnover": 1.0, "careers.turnover_disadvantage": 1.0}).state
    assert (state.posts.experience == 0).all()
