"""Sobol' indices on the Ishigami function (known answers), designs as tables, and the run count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from sim.scenario.problems import ScenarioError
from sim.tipping.sensitivity import Factor
from sim.tipping.sobol import analyse, design, design_frame, points_needed, runs_needed

PI = np.pi
ISHIGAMI = [Factor(f"x{i}", -PI, PI, False, None) for i in (1, 2, 3)]


def ishigami_truth() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first- and total-order indices of Ishigami (a = 7, b = 0.1)."""
    a, b = 7.0, 0.1
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def runs_for(points: np.ndarray, replicates: int = 1, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Ishigami at every point plus Gaussian noise, one draw per point and replicate."""
    y = Ishigami.evaluate(points)
    rng = np.random.default_rng(seed)
    per_replicate = [rng.normal(0.0, noise, len(y)) for _ in range(replicates)]
    return pd.DataFrame([{"point": p, "replicate": r, "f": y[p] + per_replicate[r][p]}
                         for p in range(len(y)) for r in range(replicates)])


def test_ishigami_indices_are_within_their_intervals_of_the_analytic_values() -> None:
    s1, st = ishigami_truth()
    n = 1024
    table = analyse(ISHIGAMI, runs_for(design(ISHIGAMI, n, seed=1)), n, resamples=300).set_index("parameter")
    for j, factor in enumerate(ISHIGAMI):
        row = table.loc[factor.key]
        assert row.S1_low <= s1[j] <= row.S1_high, (factor.key, "S1", row.S1, s1[j])
        assert row.ST_low <= st[j] <= row.ST_high, (factor.key, "ST", row.ST, st[j])
    assert list(table["rank"]) == [1, 2, 3] and list(table.index) == ["x1", "x2", "x3"]
    assert table.loc["x3", "interactions"] > 0.15  # x3 acts only with x1


def test_ishigami_intervals_cover_at_about_their_rate_over_seeds() -> None:
    s1, st = ishigami_truth()
    covered = []
    for seed in range(8):
        table = analyse(ISHIGAMI, runs_for(design(ISHIGAMI, 256, seed=seed)), 256, resamples=200, seed=seed)
        table = table.set_index("parameter").loc[["x1", "x2", "x3"]]
        covered += list((table.S1_low <= s1) & (s1 <= table.S1_high))
        covered += list((table.ST_low <= st) & (st <= table.ST_high))
    assert np.mean(covered) >= 0.85  # 48 intervals at nominal 95%


def test_replicates_are_averaged_and_their_noise_reported() -> None:
    n = 256
    points = design(ISHIGAMI, n, seed=2)
    noisy = runs_for(points, replicates=4, noise=1.0, seed=3)
    table = analyse(ISHIGAMI, noisy, n, resamples=100)
    # the noise in a point's mean (variance 1/4) over the variance of Ishigami (about 13.8)
    assert table["noise_share"].iloc[0] == pytest.approx(0.25 / 13.84, rel=0.35)
    means = noisy.groupby("point")["f"].mean()
    mean_only = analyse(ISHIGAMI, pd.DataFrame({"point": means.index, "replicate": 0, "f": means.to_numpy()}), n,
                        resamples=100)
    assert np.allclose(table["S1"], mean_only["S1"]) and np.isnan(mean_only["noise_share"]).all()


def test_the_run_count_is_known_before_running() -> None:
    assert points_needed(6, 512) == 512 * 8 and runs_needed(6, 512, 4) == 512 * 8 * 4
    assert runs_needed(ISHIGAMI, 64, 2, second_order=True) == 64 * 8 * 2
    assert len(design(ISHIGAMI, 64, seed=0)) == points_needed(ISHIGAMI, 64)


def test_whole_numbers_and_balancing_shares_in_the_design_table() -> None:
    factors = [Factor("programme.cohort_size", 5, 40, True, None),
               Factor("alumni.school_leader_share", 0.0, 0.3, False, "alumni.teacher_share"),
               Factor("alumni.district_share", 0.0, 0.2, False, "alumni.teacher_share")]
    points = design(factors, 128, seed=4)
    cohort = points[:, 0]
    assert np.array_equal(cohort, np.floor(cohort)) and cohort.min() == 5 and cohort.max() == 40
    assert len(np.unique(cohort)) == 36  # every whole number from 5 to 40 turns up
    base = {"alumni.school_leader_share": 0.1, "alumni.district_share": 0.05, "alumni.teacher_share": 0.7}
    table = design_frame(factors, points, base)
    assert table.index.name == "point" and table["programme.cohort_size"].dtype.kind == "i"
    total = table["alumni.school_leader_share"] + table["alumni.district_share"] + table["alumni.teacher_share"]
    assert np.allclose(total, 0.85)  # the shares' sum stays the base's
    with pytest.raises(ScenarioError, match=r"alumni\.teacher_share: a balancing share needs the base"):
        design_frame(factors, points, {"alumni.school_leader_share": 0.1, "alumni.district_share": 0.05})


@pytest.mark.parametrize(("call", "message"), [
    (lambda: design(ISHIGAMI, 100, seed=0), "n: needs a power of 2.*did you mean '128'"),
    (lambda: design(ISHIGAMI[:1], 64, seed=0), "at least 2 parameters"),
    (lambda: design([Factor("a", 1, 1, False, None), *ISHIGAMI], 64, seed=0), "a: needs a range with low < high"),
    (lambda: analyse(ISHIGAMI, runs_for(design(ISHIGAMI, 64, seed=0)).iloc[:-1], 64), "needs every design point"),
    (lambda: analyse(ISHIGAMI, runs_for(design(ISHIGAMI, 64, seed=0), 2).iloc[:-1], 64), "the same replicates"),
    (lambda: analyse(ISHIGAMI, runs_for(design(ISHIGAMI, 64, seed=0)), 64, ["g"]), "g: no such column"),
])
def test_bad_designs_and_runs_get_a_clear_error(call, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        call()


def test_outcomes_default_to_the_numeric_columns_and_a_yes_no_outcome_is_a_share() -> None:
    n = 64
    runs = runs_for(design(ISHIGAMI, n, seed=5), replicates=2)
    runs["run_id"] = [f"p{p}-r{r}" for p, r in zip(runs.point, runs.replicate, strict=True)]
    runs["tipped"] = runs["f"] > 3.5
    table = analyse(ISHIGAMI, runs, n, resamples=50)
    assert set(table["outcome"]) == {"f", "tipped"}
    assert table.groupby("outcome").size().to_dict() == {"f": 3, "tipped": 3}
