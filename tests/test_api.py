"""The model as a plain function for other tools (sim.api): EMA Workbench's and SALib's idioms work directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.api import evaluate_points, model_function
from sim.runner import run_once
from tests.helpers import small


def test_a_call_is_one_run_with_the_values_set_by_key_path() -> None:
    scenario = small()
    f = model_function(scenario, outcomes=["practising_share", "tipped"], seed=3)
    value = f(**{"contagion.lapse_rate": 0.05})
    from sim.runner import derive_seed

    expected = run_once(scenario.with_overrides({"contagion.lapse_rate": 0.05}), derive_seed(3, 0))["yearly"]
    assert value["practising_share"] == expected["practising_share"].iloc[-1]
    assert value["tipped"] in (0.0, 1.0)


def test_replicates_come_back_as_arrays_on_matched_seeds() -> None:
    f = model_function(small(), outcomes=["mean_achievement"], replicates=4)
    low, high = f(**{"students.programme_teacher_effect": 0.0}), f(**{"students.programme_teacher_effect": 0.2})
    assert low["mean_achievement"].shape == (4,)
    # the same seeds at both points: only the effect differs, so every replicate improves
    assert (high["mean_achievement"] > low["mean_achievement"]).all()


def test_numpy_numbers_from_samplers_are_accepted_and_a_bad_key_is_a_clear_error() -> None:
    from sim.scenario import ScenarioError

    points = pd.DataFrame({"contagion.lapse_rate": np.array([0.1, 0.3]),
                           "programme.cohort_size": np.array([6, 12], dtype=np.int64)})
    table = evaluate_points(small(), points, replicates=2, outcomes=["practising_share"])
    assert len(table) == 4 and list(table["replicate"]) == [0, 1, 0, 1]
    with pytest.raises(ScenarioError, match="did you mean"):
        model_function(small())(**{"contagion.lapse_rat": 0.1})


def test_salib_sobol_runs_on_the_model_directly() -> None:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 2, "names": ["contagion.lapse_rate", "support.district"], "bounds": [[0.0, 0.5], [0, 0.3]]}
    x = sobol_sample.sample(problem, 8, calc_second_order=False, seed=1)
    table = evaluate_points(small(**{"years": 4}), pd.DataFrame(x, columns=problem["names"]),
                            outcomes=["practising_share"])
    indices = sobol_analyze.analyze(problem, table["practising_share"].to_numpy(), calc_second_order=False)
    assert np.isfinite(indices["ST"]).all()


def test_ema_workbench_drives_the_model_directly() -> None:
    """The worked example of docs/uncertainty.md, small: key paths as EMA parameter names, replications as
    arrays, and each experiment equal to a direct call."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Workbench's own notice that ipyparallel is not installed
        from ema_workbench import Model, RealParameter, ScalarOutcome, perform_experiments

    scenario = small(**{"years": 4})
    f = model_function(scenario, outcomes=["tipped", "practising_share"], seed=2)
    model = Model("small", function=f)
    # double underscores for dots: EMA Workbench 3 will require names that are Python identifiers
    model.uncertainties = [RealParameter("contagion__lapse_rate", 0.02, 0.4),
                           RealParameter("teachers__adoption_threshold_mean", 0.3, 0.6)]
    model.outcomes = [ScalarOutcome("tipped"), ScalarOutcome("practising_share")]
    experiments, outcomes = perform_experiments(model, 12)
    assert len(experiments) == 12 and outcomes["practising_share"].shape == (12,)
    first = experiments.iloc[0]
    direct = f(**{"contagion.lapse_rate": float(first["contagion__lapse_rate"]),
                  "teachers.adoption_threshold_mean": float(first["teachers__adoption_threshold_mean"])})
    assert direct["practising_share"] == outcomes["practising_share"][0]
