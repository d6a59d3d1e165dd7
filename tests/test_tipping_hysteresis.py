"""Hysteresis: the analysis on a bistable toy with a known loop, and ramps of the model itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model import SchoolSystemModel
from sim.scenario import ScenarioError
from sim.tipping.hysteresis import Ramp, RampJob, analyse, check_rampable, ramp_job
from sim.tipping.trials import Base
from tests.helpers import small

# dx/dt = a + x - x^3 has two stable states for |a| < 2 / (3 sqrt 3): a ramp in a jumps up at +0.385
# and back down only at -0.385
FOLD = 2 / (3 * np.sqrt(3))


def toy_ramp(values: np.ndarray, replicates: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    schedule = [("forward", a) for a in values] + [("back", a) for a in values[::-1]]
    for replicate in range(replicates):
        x = -1.0
        for step, (branch, a) in enumerate(schedule):
            for _ in range(200):  # settle at this value, with a little noise
                x += 0.05 * (a + x - x**3) + 0.02 * rng.normal()
            rows.append({"replicate": replicate, "step": step, "branch": branch, "value": float(a),
                         "tipping_metric": x, "tipped": x > 0})
    return pd.DataFrame(rows)


def test_the_toys_loop_is_found_where_the_folds_are() -> None:
    result = analyse(toy_ramp(np.linspace(-1, 1, 41), replicates=6, seed=0))
    assert result.significant
    low, high = result.interval
    assert low == pytest.approx(-FOLD, abs=0.1) and high == pytest.approx(FOLD, abs=0.1)
    assert result.forward.fit.ci[0] <= FOLD + 0.05 and result.back.fit.ci[1] >= -FOLD - 0.05


def test_a_system_without_memory_shows_no_loop() -> None:
    rng = np.random.default_rng(1)
    values = np.linspace(-1, 1, 21)
    rows = [{"replicate": r, "step": s, "branch": b, "value": v, "tipping_metric": 0.0,
             "tipped": rng.random() < 1 / (1 + np.exp(-v / 0.1))}
            for r in range(8) for s, (b, v) in enumerate([("forward", v) for v in values]
                                                          + [("back", v) for v in values[::-1]])]
    result = analyse(pd.DataFrame(rows))
    assert not result.significant


@pytest.mark.parametrize("key", ["programme.cohort_size", "network.alumni_ties", "placement.clustering",
                                 "system.districts", "tipping.level", "programme.strength"])
def test_parameters_read_only_at_build_are_refused(key: str) -> None:
    with pytest.raises(ScenarioError, match="only used when the system is built"):
        check_rampable(key)


@pytest.mark.parametrize("key", ["support.district", "contagion.spontaneous_adoption",
                                 "alumni.stages.1.roles.school_leader", "system.ministry_staff",
                                 "placement.max_fellow_share"])
def test_parameters_read_every_year_are_accepted(key: str) -> None:
    check_rampable(key)


def _run_with_switch(overrides: dict[str, object], years: int = 6) -> pd.DataFrame:
    scenario = small(years=years)
    model = SchoolSystemModel(scenario, rng=11)
    model.run_for(2)
    model.scenario = scenario.with_overrides(overrides)
    model.run_for(years - 2)
    return model.yearly()


@pytest.mark.parametrize("overrides", [{"network.alumni_ties": 0}, {"programme.strength": 0.1},
                                       {"placement.clustering": 0.9}, {"teachers.initial_practice": 0.5}])
def test_a_build_only_parameter_changed_mid_run_changes_nothing(overrides: dict[str, object]) -> None:
    # the claim behind the refusal: the mechanisms never read these after the build
    pd.testing.assert_frame_equal(_run_with_switch({}), _run_with_switch(overrides))


def test_a_runtime_parameter_changed_mid_run_changes_the_run() -> None:
    before = _run_with_switch({})
    after = _run_with_switch({"contagion.spontaneous_adoption": 0.3})
    assert after["practising_share"].iloc[-1] > before["practising_share"].iloc[-1]


def test_a_ramp_of_the_model_carries_state_and_has_a_control() -> None:
    scenario = small(years=4)
    base = Base("small", scenario.model_dump(mode="json"), 4, 0, Path("small"))
    frame = ramp_job(RampJob(base, Ramp("contagion.spontaneous_adoption", [0.0, 0.2, 0.4], 2, 1), (3,), (0,)))
    assert list(frame["branch"].unique()) == ["forward", "control", "back"]
    steps = frame[frame["branch"] != "control"]
    assert list(steps["value"]) == [0.0, 0.2, 0.4, 0.4, 0.2, 0.0]
    assert list(steps["year"]) == [3, 5, 7, 9, 11, 13]  # one model, years carried on from step to step


def test_the_ramp_and_its_control_are_one_batch_and_equal_each_alone() -> None:
    scenario = small(years=4)
    base = Base("small", scenario.model_dump(mode="json"), 4, 0, Path("small"))
    ramp = Ramp("support.district", [0.1, 0.3], 2, 2)
    together = ramp_job(RampJob(base, ramp, (3, 4), (0, 1)))
    for replicate, seed in ((0, 3), (1, 4)):
        alone = ramp_job(RampJob(base, ramp, (seed,), (replicate,)))
        mine = together[together["replicate"] == replicate].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)
