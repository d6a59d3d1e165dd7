"""What a posterior says, on a small weighted posterior whose answers are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.analysis import correlations, parameter_table, predictive_table
from sim.calibration.schema import Calibration, LoadedCalibration

# five particles; the last carries most of the weight, so weighted and unweighted medians differ
WEIGHTS = [0.1, 0.1, 0.1, 0.1, 0.6]
POSTERIOR = pd.DataFrame({
    "contagion.lapse_rate": [0.1, 0.2, 0.3, 0.4, 0.5],  # prior [0, 1]
    "support.district": [1.9, 1.2, 1.6, 0.6, 0.9],  # prior [0, 2]: falls as the lapse rate rises
    "contagion.adoption_probability": [0.2, 0.7, 0.8, 0.3, 0.5],  # prior [0, 1]: unrelated to either
    "weight": WEIGHTS,
})


def loaded() -> LoadedCalibration:
    calibration = Calibration.model_validate({
        "scenario": "x.yaml",
        "parameters": [{"key": "contagion.lapse_rate", "between": [0, 1]},
                       {"key": "support.district", "between": [0, 2]},
                       {"key": "contagion.adoption_probability", "between": [0, 1]}],
        "targets": [{"outcome": "practising_share", "value": 0.3, "sd": 0.1, "source": "a survey"},
                    {"outcome": "mean_achievement", "year": 4, "value": 0.5, "sd": 0.2}],
    })
    return LoadedCalibration(calibration, Path("x.yaml"), "", {}, {}, years=10)


def weighted_r(a: str, b: str) -> float:
    cov = np.cov(POSTERIOR[a], POSTERIOR[b], aweights=WEIGHTS)
    return float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]))


def test_the_parameter_table_gives_weighted_quantiles_and_the_width_against_the_priors_90_percent() -> None:
    """Cumulative weights 0.1, 0.2, 0.3, 0.4, 1.0: the weighted median and 95% point are the heavy last
    particle (0.5; unweighted the median would be 0.3), the 5% point the first (0.1). The interval's width,
    0.4, is a share of the prior's 90% width, 0.9 x 1."""
    table = parameter_table(POSTERIOR, loaded()).set_index("parameter")
    lapse = table.loc["contagion.lapse_rate"]
    assert (lapse["prior_low"], lapse["prior_high"]) == (0, 1)
    assert lapse["mean"] == pytest.approx(0.01 + 0.02 + 0.03 + 0.04 + 0.3)
    assert (lapse["median"], lapse["low_90"], lapse["high_90"]) == (0.5, 0.1, 0.5)
    assert lapse["width_share"] == pytest.approx(0.4 / 0.9) and lapse["verdict"] == "identified"
    support = table.loc["support.district"]  # sorted: 0.6, 0.9 (weight 0.6), 1.2, 1.6, 1.9
    assert (support["median"], support["low_90"], support["high_90"]) == (0.9, 0.6, 1.9)
    assert support["width_share"] == pytest.approx(1.3 / 1.8) and support["verdict"] == "narrowed"


def test_strong_trade_offs_are_listed_whichever_their_sign() -> None:
    """A correlation of about -0.8 is as much a ridge as +0.8; a weak one is left out."""
    r = weighted_r("contagion.lapse_rate", "support.district")
    assert r == pytest.approx(-0.82, abs=0.01)
    assert abs(weighted_r("contagion.lapse_rate", "contagion.adoption_probability")) < 0.5
    assert abs(weighted_r("support.district", "contagion.adoption_probability")) < 0.5
    table = correlations(POSTERIOR, loaded())
    assert table.to_dict("records") == [
        {"first": "contagion.lapse_rate", "second": "support.district", "correlation": pytest.approx(r)}]


def test_the_predictive_table_says_how_far_the_weighted_median_is_from_each_target_and_which_way() -> None:
    """Simulated outcomes above the target are a positive distance in sds, below it a negative one."""
    last = pd.DataFrame({"practising_share@10": [0.1, 0.2, 0.3, 0.4, 0.5],
                         "mean_achievement@4": [0.9, 0.1, 0.2, 0.3, 0.2], "weight": WEIGHTS})
    table = predictive_table(last, loaded()).set_index("target")
    share = table.loc["practising_share@10"]
    assert (share["value"], share["sd"], share["source"]) == (0.3, 0.1, "a survey")
    assert (share["median"], share["low_90"], share["high_90"]) == (0.5, 0.1, 0.5)
    assert share["off_by_sd"] == pytest.approx(2.0)
    achievement = table.loc["mean_achievement@4"]  # sorted: 0.1, 0.2, 0.2 (weight 0.6), 0.3, 0.9
    assert achievement["median"] == 0.2 and achievement["off_by_sd"] == pytest.approx(-1.5)
