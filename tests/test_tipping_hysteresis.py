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


def hand_made(forward, back, control, replicates: int = 4) -> pd.DataFrame:
    """A ramp from 0 to 1 in 21 steps with `tipped` given by hand: forward(value, replicate),
    back(value, replicate) and control(replicate) say whether a step is tipped."""
    values = np.linspace(0, 1, 21)
    schedule = [("forward", v) for v in values] + [("back", v) for v in values[::-1]]
    rows = []
    for replicate in range(replicates):
        for step, (branch, value) in enumerate(schedule):
            said = forward if branch == "forward" else back
            rows.append({"replicate": replicate, "step": step, "branch": branch, "value": float(value),
                         "tipping_metric": 0.0, "tipped": bool(said(value, replicate))})
            rows.append({"replicate": replicate, "step": step, "branch": "control", "value": float(values[0]),
                         "tipping_metric": 0.0, "tipped": bool(control(replicate))})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("control_tipped", [False, True])
def test_staying_tipped_all_the_way_back_counts_only_if_the_control_did_not_tip(control_tipped: bool) -> None:
    """Every replicate tips at 0.5 and stays tipped back to the start: that is memory only if the same
    seeds held at the start did not tip by then (otherwise time alone would have tipped them)."""
    result = analyse(hand_made(lambda v, r: v > 0.5, lambda v, r: True, lambda r: control_tipped))
    assert result.back.fit is None and result.forward.fit is not None
    assert (result.tipped_forward, result.persisted, result.control_tipped) == (4, 1.0, float(control_tipped))
    assert result.significant is (not control_tipped)
    low, high = result.interval  # the tipped state held everywhere the ramp went back to
    assert low == 0.0 and high == pytest.approx(0.5, abs=0.05)


def test_replicates_that_fall_back_leave_no_path_dependent_interval() -> None:
    """Tipped at the end of the forward branch but none still tipped at the end of the way back (and the back
    branch shows no transition to fit): no interval reaching the start, and nothing significant."""
    result = analyse(hand_made(lambda v, r: v > 0.5, lambda v, r: False, lambda r: False))
    assert result.back.fit is None and (result.tipped_forward, result.persisted) == (4, 0.0)
    assert result.interval is None and not result.significant


def test_a_branch_whose_share_tipped_does_not_change_along_the_ramp_has_no_fit() -> None:
    """Half the replicates tipped at every value: mixed outcomes, but no transition; a fit's interval spans
    the whole ramp, so the branch reports none rather than a 'threshold' anywhere."""
    result = analyse(hand_made(lambda v, r: r % 2 == 0, lambda v, r: r % 2 == 0, lambda r: False))
    assert result.forward.fit is None and result.back.fit is None
    assert result.forward.tipped_share == result.back.tipped_share == 0.5
    assert result.interval is None and not result.significant


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
                                 "system.districts", "system.grades", "programme.strength", "tipping.metric"])
def test_parameters_read_only_at_build_are_refused(key: str) -> None:
    with pytest.raises(ScenarioError, match="only used when the system is built"):
        check_rampable(key)


@pytest.mark.parametrize("key", ["tipping.level", "students.gap_quantile", "leadership_index.weights.scale", "years"])
def test_labels_and_measures_are_refused(key: str) -> None:
    with pytest.raises(ScenarioError, match="cannot be ramped"):
        check_rampable(key)


@pytest.mark.parametrize("key", ["support.district", "contagion.spontaneous_adoption",
                                 "alumni.stages.1.roles.school_leader", "system.ministry_staff",
                                 "system.district_office_staff", "placement.max_fellow_share"])
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
def test_a_build_only_parameter_changed_mid_run_is_refused(overrides: dict[str, object]) -> None:
    # the engine refuses what it would ignore (sim.engine.levers; tests/test_engine.py checks the list)
    key = next(iter(overrides))
    with pytest.raises(ScenarioError, match=rf"{key}: is only used when the system is built"):
        _run_with_switch(overrides)


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


def test_the_control_is_a_plain_run_at_the_start_and_tipped_is_the_rule_over_each_steps_last_years() -> None:
    """Each step's control row is the same seed held at the ramp's start value (a control ramped too would
    hide what the ramp did), and `tipped` at a step is the scenario's rule (the level held for
    sustained_years, here 2, within the step's own years) applied to the run's last years, not to the
    last year alone."""
    key, seed, ramp = "contagion.spontaneous_adoption", 3, Ramp("contagion.spontaneous_adoption", [0.0, 0.2, 0.4], 2, 1)
    years = ramp.burn_in + 2 * len(ramp.values) * ramp.years_per_step

    def plain(scenario) -> np.ndarray:
        model = SchoolSystemModel(scenario.with_overrides({key: ramp.values[0]}), rng=seed)
        model.run_for(years)
        return model.yearly().set_index("year")["tipping_metric"].to_numpy()

    # a level the control crosses upwards within a step's two years: there the last year alone meets it
    # but the two years do not
    first_look = plain(small(years=4))
    ends = [ramp.burn_in + ramp.years_per_step * (s + 1) for s in range(2 * len(ramp.values))]
    crossing = next(y for y in ends if first_look[y] > first_look[y - 1] + 0.01)
    scenario = small(years=4).with_overrides({"tipping.level": (first_look[crossing - 1] + first_look[crossing]) / 2})
    metric = plain(scenario)
    assert scenario.tipping.sustained_years == 2 and metric[crossing] >= scenario.tipping.level > metric[crossing - 1]

    base = Base("small", scenario.model_dump(mode="json"), 4, 0, Path("small"))
    frame = ramp_job(RampJob(base, ramp, (seed,), (0,)))
    control = frame[frame["branch"] == "control"]
    assert list(control["year"]) == ends and (control["value"] == ramp.values[0]).all()
    assert list(control["tipping_metric"]) == pytest.approx([metric[y] for y in ends])
    by_hand = [bool((metric[y - 1: y + 1] >= scenario.tipping.level).all()) for y in ends]
    assert list(control["tipped"]) == by_hand and not by_hand[ends.index(crossing)]
    ramped = frame[frame["branch"] != "control"]
    assert (ramped["tipping_metric"].to_numpy() != control["tipping_metric"].to_numpy()).any(), "the ramp moved"


def test_one_replicate_that_tips_at_the_end_and_stays_is_no_loop() -> None:
    """One replicate of ten tips at the ramp's last step and stays tipped all the way back: P(tipped) never
    crosses 1/2 going forward, so there is no forward threshold, no bistable interval and nothing significant
    (it was 'significant' with the ramp's top edge as the threshold)."""
    result = analyse(hand_made(lambda v, r: r == 0 and v == 1.0, lambda v, r: r == 0, lambda r: False,
                               replicates=10))
    assert (result.tipped_forward, result.persisted) == (1, 1.0)
    assert result.forward.fit is None and result.interval is None and not result.significant


def test_a_branch_interval_counts_each_replicate_once_and_covers_the_median_crossing() -> None:
    """A replicate is one run carried along the ramp, so it crosses once: the branch's interval comes from the
    replicates' crossing steps (an order-statistic interval for their median), not from a fit that counts every
    step as an independent run (which covered the median in about 74% of such trials at a nominal 95%)."""
    from sim.tipping.hysteresis import crossing_interval

    values, rng, covered, trials = np.linspace(0, 1, 12), np.random.default_rng(1), 0, 150
    for _ in range(trials):
        thresholds = rng.normal(0.5, 0.15, 10)
        steps = pd.DataFrame([{"replicate": r, "step": s, "value": v, "tipped": v >= thresholds[r]}
                              for r in range(10) for s, v in enumerate(values)])
        (low, high), _ = crossing_interval(steps, True, 0.0, 1.0, 0.95)
        covered += low <= 0.5 <= high
    assert covered / trials >= 0.95
    # four replicates cannot bound a median at 95% (all four on one side has chance 1/8): the whole ramp, open
    result = analyse(hand_made(lambda v, r: v > 0.3 + 0.1 * r, lambda v, r: True, lambda r: False))
    assert result.forward.fit.ci == (0.0, 1.0) and result.forward.fit.ci_open
