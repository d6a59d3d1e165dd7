"""Invariants over random small systems and scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario, SchoolSystemModel
from sim.engine.indicators import Sums
from sim.engine.state import CLASSROOM, SCHOOL_LEADER
from tests.helpers import engine, scenarios

SHARES = ["practising_share", "leadership_index", "district_support", "ministry_alignment"]


@settings(max_examples=40)
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_invariants_hold_every_year(scenario: Scenario, seed: int) -> None:
    model = SchoolSystemModel(scenario, rng=seed)
    posts, schools = model.state.posts.size, model.state.schools.teachers.copy()
    for _ in range(scenario.years):
        model.step()
        state = model.state
        # teacher numbers are conserved: every post is held by exactly one person
        assert state.posts.size == posts
        assert np.array_equal(np.bincount(state.posts.school, minlength=schools.size), schools)
        assert np.unique(state.posts.person).size == posts
        # members and posts agree both ways; a school has at most one member leading it
        held = np.flatnonzero(state.posts.member >= 0)
        assert np.array_equal(state.members.post[state.posts.member[held]], held)
        in_class = state.members.post >= 0
        assert (state.posts.member[state.members.post[in_class]] == np.flatnonzero(in_class)).all()
        assert (state.members.role[in_class] == CLASSROOM).all()
        led = state.schools.leader_member[state.schools.leader_member >= 0]
        assert np.unique(led).size == led.size and (state.members.school[led] >= 0).all()
    yearly = model.yearly()
    assert not yearly.drop(columns=["tipping_metric", "tipped_year"]).isna().any().any()
    assert yearly[SHARES].stack().between(0, 1).all()
    districts = model.districts()
    assert districts["practising_share"].between(0, 1).all()
    assert np.isfinite(districts["mean_achievement"]).all()


@settings(max_examples=10)
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_same_seed_same_results(scenario: Scenario, seed: int) -> None:
    frames = []
    for _ in range(2):
        model = SchoolSystemModel(scenario, rng=seed)
        model.run_for(scenario.years)
        frames.append(model.frames())
    for name in frames[0]:
        pd.testing.assert_frame_equal(frames[0][name], frames[1][name])


def _programme_off(scenario: Scenario, threshold: float, needed: float, persistence: float,
                   **more: object) -> Scenario:
    return scenario.with_overrides({
        "years": 20, "system.districts": 3, "system.schools_per_district": 6, "system.teachers_per_school": 10,
        "programme.cohort_size": 0, "programme.cohort_sizes": None, "partners.initial": 0,
        "teachers.adoption_threshold_mean": threshold, "teachers.adoption_threshold_sd": 0.05,
        "contagion.spontaneous_adoption": 0.005, "contagion.lapse_rate": 0.3,
        "support.leader": 0.1, "support.district": 0.1,
        "institutions.district.pressure_needed": needed, "students.noise_sd": 0.0,
        "students.persistence": persistence, **more,
    })


def _drift_is_small(scenario: Scenario, seed: int) -> None:
    """The last five years' mean of achievement, support and alignment within 0.01 of the start."""
    batch = engine(scenario, seed=seed)
    batch.run()
    yearly = batch.yearly()
    for column in ("district_support", "ministry_alignment", "mean_achievement"):
        drift = yearly[column].iloc[-5:].mean() - yearly[column].iloc[0]
        assert abs(drift) < 0.01, (column, drift)


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32), threshold=st.floats(0.5, 1.0),
       needed=st.floats(0.15, 1.0), persistence=st.floats(0, 0.5), ties=st.integers(4, 8),
       novice=st.floats(0, 0.05))
def test_the_baseline_stays_still_with_the_programme_off(scenario: Scenario, seed: int, threshold: float,
                                                        needed: float, persistence: float, ties: int,
                                                        novice: float) -> None:
    """With no fellows, nothing drifts when the system starts below every tipping condition: no teacher
    near their threshold (thresholds from 0.5, a novice discount of at most 0.05, and several colleagues
    each, so that one practising colleague is not enough: complex contagion), no institution near the
    pressure it needs. Over 20 years, the last five years' mean of achievement, support and alignment
    stays within 0.01 of the start.

    A system already past a tipping condition tips by itself, which the model reports rather than hides:
    with thresholds down to 0.3, novice discounts up to 0.2 and one or two ties a teacher (a single
    practising colleague is then full exposure), practice spread by 18 to 95 points in every one of the
    systems found drifting more than 0.01 (1,500 draws), and none drifted with adoption through exposure
    switched off (the next test)."""
    _drift_is_small(_programme_off(scenario, threshold, needed, persistence, **{
        "network.within_school_ties": ties, "teachers.novice_discount": novice}), seed)


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32), threshold=st.floats(0.3, 1.0),
       needed=st.floats(0.15, 1.0), persistence=st.floats(0, 0.5))
def test_the_starting_state_is_the_steady_state_of_the_rules_it_covers(scenario: Scenario, seed: int,
                                                                       threshold: float, needed: float,
                                                                       persistence: float) -> None:
    """The still baseline leaves contagion out (docs/model.md): turnover, spontaneous uptake and lapses, the
    offices at rest and the no-programme path hold the start steady in any network, however low the
    thresholds, once no one adopts through exposure. Staff turnover in schools of one or two teachers still
    moves their achievement from year to year; within 0.01 for the system."""
    _drift_is_small(_programme_off(scenario, threshold, needed, persistence,
                                   **{"contagion.adoption_probability": 0.0}), seed)


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32), persistence=st.floats(0, 0.95))
def test_fading_gains_never_make_achievement_diverge(scenario: Scenario, seed: int, persistence: float) -> None:
    scenario = scenario.with_overrides({"years": 30, "students.persistence": persistence})
    batch = engine(scenario, seed=seed)
    batch.run()
    st_ = scenario.students
    # the most a year can add above (or take below) the no-programme path, noise at 6 SD included
    most = (abs(st_.programme_teacher_effect) + abs(st_.peer_practice_effect) + abs(st_.leader_effect)
            + abs(st_.district_effect) + abs(st_.turnover_penalty) + 6 * st_.noise_sd)
    bound = most * min(scenario.system.grades, 1 / (1 - persistence))
    assert np.abs(batch.state.schools.excess).max() <= bound + 1e-12


@settings(max_examples=30)
@given(scenario=scenarios(), seed=st.integers(0, 2**32), years=st.integers(1, 6), extra=st.integers(1, 5))
def test_the_index_rises_with_every_member_who_practises(scenario: Scenario, seed: int, years: int,
                                                         extra: int) -> None:
    batch = engine(scenario.with_overrides({"years": years}), seed=seed)
    batch.run()
    state, params = batch.state, batch.params
    groups = np.arange(state.districts.size)
    before = Sums(state, params).grouped(groups, groups.size)
    m = state.members
    idle = np.flatnonzero(m.active & (m.post >= 0) & ~state.posts.practising[np.maximum(m.post, 0)])[:extra]
    state.posts.practising[m.post[idle]] = True
    after = Sums(state, params).grouped(groups, groups.size)
    for key in ("leadership_index", "dim_roles", "dim_strength", "dim_orientation", "dim_representation",
                "dim_network", "dim_scale"):
        assert (after[key] >= before[key] - 1e-12).all(), key


ROLES_WITH_A_PLACE = ("classroom", "school_leader", "district_official", "nonprofit")


@settings(max_examples=15)
@given(scenario=scenarios(), seed=st.integers(0, 2**32),
       rules=st.lists(st.sampled_from(["host_schools", "near_cluster", "most_disadvantaged"]), min_size=4,
                      max_size=4))
def test_a_placement_rule_with_share_zero_gives_the_random_rule_exactly(scenario: Scenario, seed: int,
                                                                         rules: list[str]) -> None:
    """share: 0 means nobody follows the rule: the same draws and the same frames as today's random moves.
    Every stage sends alumni to all four roles with a place, so that each role's rule is consulted."""
    roles = {"classroom": 0.3, "school_leader": 0.2, "district_official": 0.2, "ministry": 0.05, "nonprofit": 0.1,
             "outside": 0.15}
    scenario = scenario.with_overrides({f"alumni.stages.{i}.roles": roles for i in range(len(scenario.alumni.stages))})

    def frames(rule_of: dict[str, str]) -> dict[str, pd.DataFrame]:
        overrides: dict[str, object] = {}
        for role, rule in rule_of.items():
            overrides[f"alumni.placement.{role}.rule"] = rule
            overrides[f"alumni.placement.{role}.share"] = 0.0
        model = SchoolSystemModel(scenario.with_overrides(overrides), rng=seed)
        model.run_for(scenario.years)
        return model.frames()

    random = frames(dict.fromkeys(ROLES_WITH_A_PLACE, "random"))
    steered = frames(dict(zip(ROLES_WITH_A_PLACE, rules, strict=True)))
    for name in random:
        pd.testing.assert_frame_equal(random[name], steered[name])


@settings(max_examples=20)
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_with_share_one_every_new_alumnus_head_goes_to_a_host_school_while_one_is_free(scenario: Scenario,
                                                                                        seed: int) -> None:
    # no mobility or exits: a head placed this year stays where the rule put them, so the end of the year
    # shows what the rule saw. Host schools are those hosting before the year's cohort arrives (moves come first).
    scenario = scenario.with_overrides({"alumni.placement.school_leader.rule": "host_schools",
                                        "alumni.placement.school_leader.share": 1.0,
                                        "alumni.mobility": 0.0, "alumni.exit_rate": 0.0})
    batch = engine(scenario, seed=seed)
    s, m = batch.state.schools, batch.state.members
    for _ in range(scenario.years):
        school, role, hosts = m.school.copy(), m.role.copy(), s.hosted.copy()
        batch.step()
        new_heads = np.flatnonzero((m.role == SCHOOL_LEADER) & ((role != SCHOOL_LEADER) | (school != m.school)))
        if (~hosts[m.school[new_heads]]).any():
            # a new head leads a school without fellows only when every host school has a leader
            assert (s.leader_member[hosts] >= 0).all()
