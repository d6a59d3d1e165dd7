"""Invariants over random small systems and scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario, SchoolSystemModel
from sim.engine.indicators import Sums
from sim.engine.state import CLASSROOM
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


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32), threshold=st.floats(0.3, 1.0),
       needed=st.floats(0.15, 1.0), persistence=st.floats(0, 0.5))
def test_the_baseline_stays_still_with_the_programme_off(scenario: Scenario, seed: int, threshold: float,
                                                        needed: float, persistence: float) -> None:
    """With no fellows, nothing drifts when the system starts below every tipping condition: no teacher
    near their threshold, no institution near the pressure it needs. (A system already past one tips
    by itself, which the model reports rather than hides.) Over 20 years, the last five years' mean of
    achievement, support and alignment stays within 0.01 of the start."""
    scenario = scenario.with_overrides({
        "years": 20, "system.districts": 3, "system.schools_per_district": 6, "system.teachers_per_school": 10,
        "programme.cohort_size": 0, "programme.cohort_sizes": None, "partners.initial": 0,
        "teachers.adoption_threshold_mean": threshold, "teachers.adoption_threshold_sd": 0.05,
        "contagion.spontaneous_adoption": 0.005, "contagion.lapse_rate": 0.3,
        "support.leader": 0.1, "support.district": 0.1,
        "institutions.district.pressure_needed": needed, "students.noise_sd": 0.0,
        "students.persistence": persistence,
    })
    batch = engine(scenario, seed=seed)
    batch.run()
    yearly = batch.yearly()
    for column in ("district_support", "ministry_alignment", "mean_achievement"):
        drift = yearly[column].iloc[-5:].mean() - yearly[column].iloc[0]
        assert abs(drift) < 0.01, (column, drift)


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
