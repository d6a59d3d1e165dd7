"""The vectorised engine and the per-agent oracle (tests/oracle.py) give identical trajectories."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, SchoolSystemModel
from tests.oracle import OracleModel
from tests.test_properties import scenarios


def assert_same_state(engine: SchoolSystemModel, oracle: OracleModel, year: int) -> None:
    a, b = engine.state, oracle.state
    for name in ("practising", "person", "experience", "member", "threshold", "strength", "rootedness"):
        assert np.array_equal(getattr(a.posts, name), getattr(b.posts, name)), f"posts.{name}, year {year}"
    for name in ("leader_aligned", "leader_member", "partner_served", "leavers", "cohorts"):
        assert np.array_equal(getattr(a.schools, name), getattr(b.schools, name)), f"schools.{name}, year {year}"
    for name in ("status", "role", "post", "district"):
        assert np.array_equal(getattr(a.members, name), getattr(b.members, name)), f"members.{name}, year {year}"
    assert np.array_equal(a.districts.support, b.districts.support), f"district support, year {year}"
    # a weighted mean over districts: NumPy sums pairwise, the oracle one by one
    assert abs(a.ministry_alignment - b.ministry_alignment) < 1e-12, f"ministry, year {year}"


def run_lockstep(scenario: Scenario, seed: int, years: int) -> None:
    engine = SchoolSystemModel(scenario, rng=seed)
    oracle = OracleModel(scenario, rng=seed)
    oracle.prepare(engine)
    assert_same_state(engine, oracle, 0)
    for year in range(1, years + 1):
        engine.run_for(1)
        oracle.run_for(1)
        assert_same_state(engine, oracle, year)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_engine_equals_oracle_on_random_small_systems(scenario: Scenario, seed: int) -> None:
    run_lockstep(scenario, seed, scenario.years)


def test_engine_equals_oracle_on_a_busy_system() -> None:
    # everything switched on, alumni moving every year, partners present: the paths random
    # scenarios reach least often
    scenario = Scenario.from_dict({
        "system": {"districts": 3, "schools_per_district": 5, "teachers_per_school": 12},
        "programme": {"cohort_size": 15, "cohorts": 6},
        "placement": {"clustering": 0.6},
        "alumni": {"mobility": 0.8},
        "partners": {"initial": 2},
        "teachers": {"threshold_mean": 0.3},
    })
    run_lockstep(scenario, seed=5, years=10)
