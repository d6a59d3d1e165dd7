"""A sweep's design points in one table: runs, and each outcome's mean with a 95% interval.

Kept apart from the figures (sim.analysis.sweep_plots) so that a sweep run with --no-figures, or a
script that only wants the table, does not import matplotlib.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from sim.analysis.compare import wilson

TIPPED = "tipped"


def point_summary(runs: pd.DataFrame, parameters: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Per design point: runs, and for each outcome (and tipped) the mean and a 95% t-interval."""
    ok = runs[runs["status"] == "ok"].copy()
    ok[TIPPED] = ok[TIPPED].astype(float)
    rows = []
    for point, group in ok.groupby("point_id", sort=True):
        row: dict[str, object] = {"point_id": point, **group.iloc[0][parameters].to_dict(), "runs": len(group)}
        for column in outcomes:
            mean, low, high = _mean_ci(group[column].to_numpy(float))
            row.update({column: mean, f"{column}_low": low, f"{column}_high": high})
        # a share of runs: Wilson's interval stays honest at 0 and 1, where a t interval collapses
        tipped = int(group[TIPPED].sum())
        low, high = wilson(tipped, len(group))
        row.update({TIPPED: tipped / len(group), f"{TIPPED}_low": low, f"{TIPPED}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, np.nan, np.nan
    # Student's t quantile: what scipy.stats.t.ppf computes, without importing scipy.stats (half a second)
    half = float(special.stdtrit(values.size - 1, 0.975) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half
