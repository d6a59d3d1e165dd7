"""Invariants over random small systems and scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, SchoolSystemModel

SHARES = ["practising_share", "leadership_index", "district_support", "ministry_alignment"]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    classroom = draw(st.floats(0, 1))
    leader = draw(st.floats(0, 1 - classroom))
    return Scenario.from_dict({
        "years": draw(st.integers(1, 6)),
        "system": {
            "districts": draw(st.integers(1, 4)),
            "schools_per_district": draw(st.integers(1, 6)),
            "teachers_per_school": draw(st.floats(1, 15)),
            "school_size_spread": draw(st.floats(0, 1)),
            "grades": draw(st.integers(1, 8)),
        },
        "programme": {
            "cohort_size": draw(st.integers(0, 15)),
            "cohorts": draw(st.integers(0, 5)),
            "commitment_years": draw(st.integers(1, 3)),
            "attrition": draw(st.floats(0, 1)),
        },
        "placement": {"clustering": draw(st.floats(0, 1)), "max_fellow_share": draw(st.floats(0.05, 1))},
        "alumni": {"mobility": draw(st.floats(0, 1)), "stages": [
            {"after_years": 0, "roles": {"classroom": classroom, "school_leader": leader,
                                         "outside": 1 - classroom - leader}},
        ]},
        "network": {"within_school_ties": draw(st.integers(0, 8)), "across_school_ties": draw(st.integers(0, 3)),
                    "alumni_ties": draw(st.integers(0, 5))},
        "contagion": {"enabled": draw(st.booleans())},
        "institutions": {"enabled": draw(st.booleans())},
        "careers": {"enabled": draw(st.booleans()), "turnover": draw(st.floats(0, 1))},
        "partners": {"initial": draw(st.integers(0, 3))},
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_invariants_hold_every_year(scenario: Scenario, seed: int) -> None:
    model = SchoolSystemModel(scenario, rng=seed)
    posts, schools = model.state.posts.size, model.state.schools.teachers.copy()
    for _ in range(scenario.years):
        model.run_for(1)
        state = model.state
        # teacher numbers are conserved: every post is held by exactly one person
        assert state.posts.size == posts
        assert np.array_equal(np.bincount(state.posts.school, minlength=schools.size), schools)
        assert np.unique(state.posts.person).size == posts
        # members and posts agree both ways
        held = np.flatnonzero(state.posts.member >= 0)
        assert np.array_equal(state.members.post[state.posts.member[held]], held)
        in_class = state.members.post >= 0
        assert (state.posts.member[state.members.post[in_class]] == np.flatnonzero(in_class)).all()
    yearly = model.yearly()
    assert not yearly.drop(columns=["tipping_metric"]).isna().any().any()
    assert yearly[SHARES].stack().between(0, 1).all()
    districts = model.districts()
    assert districts["practising_share"].between(0, 1).all()
    assert np.isfinite(districts["mean_achievement"]).all()


@settings(max_examples=10, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_same_seed_same_results(scenario: Scenario, seed: int) -> None:
    frames = []
    for _ in range(2):
        model = SchoolSystemModel(scenario, rng=seed)
        model.run_for(scenario.years)
        frames.append(model.frames())
    for name in frames[0]:
        pd.testing.assert_frame_equal(frames[0][name], frames[1][name])
