"""Tipping results for a scenario, when a sweep has produced them: P(tipped) against one parameter.

Looks in results/tipping/<scenario>/ for any table or sweep folder, then in results/<scenario>/ for
`tipping*.csv`, `tipping*.parquet` or a `tipping*/` sweep folder. The first is where a sweep run for the
app belongs: `critical-mass run` replaces results/<scenario>/ whole, and a sweep inside it with it.
A table either gives the probability per value (`p_tipped`, optionally `p_tipped_low`/`_high`) or
one row per run with a boolean `tipped`, averaged here. The parameter is the first column named by
a scenario key path (`placement.clustering`); rows for other key-path columns are kept only at the
value nearest the current scenario's, so the curve shows this scenario's slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.app.workshop_model import name_of, value_of
from sim.folder_names import folder_name
from sim.scenario import Scenario


@dataclass(frozen=True)
class TippingCurve:
    parameter: str
    values: np.ndarray
    p_tipped: np.ndarray
    low: np.ndarray | None
    high: np.ndarray | None
    source: Path


def find_curve(results: Path, scenario: Scenario) -> TippingCurve | None:
    """The first readable tipping table for the scenario, or None (no results: show nothing)."""
    name = folder_name(name_of(scenario))  # as `critical-mass run` names the scenario's folder
    places = ((Path(results) / "tipping" / name, "*"), (Path(results) / name, "tipping*"))
    found = [path for folder, pattern in places if folder.is_dir()
             for path in sorted(folder.glob(pattern)) if not path.name.startswith(".")]
    for path in found:
        try:
            curve = _curve(_read(path), scenario, path)
        except Exception:  # a half-written or foreign file must not break the page; try the next
            continue
        if curve is not None:
            return curve
    return None


def _read(path: Path) -> pd.DataFrame:
    if path.is_dir():
        from sim.sweep import read_runs

        return read_runs(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"not a table: {path}")


def _curve(frame: pd.DataFrame, scenario: Scenario, path: Path) -> TippingCurve | None:
    if "status" in frame:
        frame = frame[frame["status"] == "ok"]
    keys = [c for c in frame.columns if "." in c]
    if not keys or ("p_tipped" not in frame and "tipped" not in frame):
        return None
    for other in keys[1:]:  # hold the other swept parameters at this scenario's values
        current = float(value_of(scenario, other))
        nearest = frame[other].iloc[(frame[other] - current).abs().argmin()]
        frame = frame[frame[other] == nearest]
    key = keys[0]
    if "p_tipped" in frame:
        table = frame.sort_values(key)
        low = table["p_tipped_low"].to_numpy(float) if "p_tipped_low" in table else None
        high = table["p_tipped_high"].to_numpy(float) if "p_tipped_high" in table else None
        return TippingCurve(key, table[key].to_numpy(float), table["p_tipped"].to_numpy(float), low, high, path)
    from sim.analysis.compare import wilson

    grouped = frame.groupby(key)["tipped"].agg(["sum", "count"]).sort_index()
    # a 95% Wilson interval (seed noise only): honest about how few runs sit behind each point
    tipped, n = grouped["sum"].to_numpy(float), grouped["count"].to_numpy(float)
    low, high = wilson(tipped, n)
    return TippingCurve(key, grouped.index.to_numpy(float), tipped / n, low, high, path)
