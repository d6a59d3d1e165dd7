"""Morris screening: the analysis on a function with a known answer, and how runs become point outcomes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.tipping.sensitivity as sensitivity
from sim.parallel.processes import InProcess
from sim.tipping.sensitivity import OUTCOMES, Factor, analyse, design, point_outcomes, run_design
from sim.tipping.trials import Base
from tests.helpers import small

SUPPORT = Factor("support.district", 0.0, 1.0, False, None)
ADOPTION = Factor("contagion.spontaneous_adoption", 0.0, 0.4, False, None)


def test_a_factor_the_outcome_depends_on_ranks_first_and_one_it_ignores_has_no_effect() -> None:
    """y = 5 x1 + 0 x2: every elementary effect of x1 is 5 per unit, of x2 exactly 0, on every outcome."""
    factors = [Factor("x1", 0.0, 1.0, False, None), Factor("x2", 0.0, 1.0, False, None)]
    points = design(factors, trajectories=10, seed=1)
    y = 5 * points[:, 0]
    table = analyse(factors, points, pd.DataFrame({outcome: y for outcome in OUTCOMES}), seed=0)
    for outcome in OUTCOMES:
        rows = table[table["outcome"] == outcome].set_index("parameter")
        assert list(rows.index) == ["x1", "x2"] and list(rows["rank"]) == [1, 2]
        assert rows.loc["x1", "mu_star"] == pytest.approx(5.0) and rows.loc["x1", "mu"] == pytest.approx(5.0)
        assert rows.loc["x2", "mu_star"] == pytest.approx(0.0, abs=1e-9)


def test_a_run_that_never_tipped_counts_as_tipping_the_year_after_the_run_ends() -> None:
    """So a point's mean year tipped stays defined and a point that tips less often scores later, not
    earlier (a run that never tipped is not a run that tipped in year 0)."""
    runs = pd.DataFrame({"point": [0, 0, 1, 1], "replicate": [0, 1, 0, 1], "tipped": [True, False, False, False],
                         "tipped_year": [3.0, np.nan, np.nan, np.nan], "tipping_metric": [0.8, 0.2, 0.1, 0.3]})
    out = point_outcomes(runs, points=3, years=8)
    assert list(out["p_tipped"].iloc[:2]) == [0.5, 0.0]
    assert list(out["tipped_year"].iloc[:2]) == [(3 + 9) / 2, 9.0]
    assert list(out["tipping_metric"].iloc[:2]) == pytest.approx([0.5, 0.2])
    assert out.iloc[2].isna().all(), "a point with no runs is there, empty"


def test_run_design_says_tipped_when_a_run_has_a_tipped_year_and_gives_each_factor_its_own_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The runs table is built from run_final's (here made by hand): `tipped` is having a tipped year, and
    each factor's column holds that factor's value at the run's point."""
    points = np.array([[0.1, 0.3], [0.5, 0.0], [0.9, 0.2]])
    made = pd.DataFrame({"point": [0, 0, 1, 1, 2, 2], "replicate": [0, 1] * 3, "seed": [7, 8] * 3,
                         "tipped_year": [2.0, np.nan, np.nan, np.nan, 5.0, 1.0],
                         "tipping_metric": [0.9, 0.1, 0.2, 0.3, 0.7, 0.95]})
    monkeypatch.setattr(sensitivity, "run_final", lambda *args, **kwargs: made)
    base = Base("small", small(years=4).model_dump(mode="json"), 4, 0, Path("small"))
    runs = run_design(base, [SUPPORT, ADOPTION], points, replicates=2, seed=0, backend=InProcess())
    assert list(runs["tipped"]) == [True, False, False, False, True, True]
    assert runs["tipped_year"].isna().tolist() == [False, True, True, True, False, False]
    assert list(runs[SUPPORT.key]) == [0.1, 0.1, 0.5, 0.5, 0.9, 0.9]
    assert list(runs[ADOPTION.key]) == [0.3, 0.3, 0.0, 0.0, 0.2, 0.2]
