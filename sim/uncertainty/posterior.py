"""A calibration posterior as the source of plausible worlds: weighted draws of scenario values.

The table (Parquet, or a DataFrame) has one column per scenario key path and a `weight` column
summing to 1, one row per draw: the format the calibration writes. Worlds are rows drawn with
replacement in proportion to their weights; role shares balance as the priors say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.scenario import Problem, Scenario, ScenarioError
from sim.uncertainty.keys import numeric_key, unknown_key_message

if TYPE_CHECKING:
    from sim.uncertainty.priors import Priors, Seed

WEIGHT = "weight"
ROWS_SHOWN = 5  # out-of-bounds rows named in an error before "and N more"


class Posterior:
    """Weighted draws of scenario values (checked), with the priors whose balancing rules apply."""

    def __init__(self, table: pd.DataFrame, priors: Priors, source: str) -> None:
        self.table = table.reset_index(drop=True)
        self.priors = priors
        self.source = source

    def __repr__(self) -> str:
        return f"Posterior({self.source!r}, {len(self.table)} draws of {len(self.keys())} keys)"

    def keys(self) -> list[str]:
        return [c for c in self.table.columns if c != WEIGHT]

    @property
    def weights(self) -> np.ndarray:
        return self.table[WEIGHT].to_numpy(dtype=float)

    def effective_size(self) -> float:
        """Kish's effective number of draws, 1 / sum(w^2): how many equally weighted draws the table is worth."""
        return float(1.0 / np.sum(self.weights**2))

    def worth_of_a_draw(self, n: int) -> float:
        """What one of n worlds drawn from this table is worth, in independent worlds, in a share's interval.

        A share over n worlds drawn with replacement carries two errors: the drawing's, p(1-p)/n, and the
        table's own, p(1-p)/E, as the table stands for the posterior with only E = effective_size()
        equally weighted draws. Together they are the error of n*E/(n+E) independent worlds (fewer than
        E, however many worlds are drawn), so each drawn world counts as E/(n+E)."""
        e = self.effective_size()
        return e / (n + e)

    def draw(self, n: int, seed: Seed) -> pd.DataFrame:
        """n worlds: rows drawn with replacement in proportion to their weights (index `world`)."""
        from sim.uncertainty.priors import _seed
        from sim.uncertainty.worlds import from_posterior

        return from_posterior(self.table, n, _seed(seed), source=self.source)

    def apply(self, scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
        return self.priors.apply(scenario, values)

    def check_scenario(self, scenario: Scenario) -> None:
        """Raise ScenarioError unless every row can be applied to the scenario."""
        problems = []
        for i in range(len(self.table)):
            try:
                self.priors.apply(scenario, self.table.loc[i, self.keys()].to_dict())
            except ScenarioError as exc:
                problems += [Problem(self.source, None, p.path, f"row {i}: {p.message}", p.value)
                             for p in exc.problems]
            if len(problems) >= ROWS_SHOWN:
                break
        if problems:
            raise ScenarioError(problems)


def load_posterior(source: str | Path | pd.DataFrame, priors: Priors) -> Posterior:
    """Read and check a posterior table; raise ScenarioError naming the file, column and rows of each problem."""
    if isinstance(source, pd.DataFrame):
        name, table = "<posterior table>", source.copy()
    else:
        name = str(source)
        try:
            table = pd.read_parquet(source)
        except FileNotFoundError:
            raise ScenarioError([Problem(name, None, "", "file not found")]) from None
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise ScenarioError([Problem(name, None, "", f"cannot read as Parquet: {exc}")]) from None
    problems = _check(table, name)
    if problems:
        raise ScenarioError(problems)
    return Posterior(table, priors, name)


def _check(table: pd.DataFrame, name: str) -> list[Problem]:
    problems = []
    if len(table) == 0:
        problems.append(Problem(name, None, "", "the posterior has no rows"))
    if WEIGHT not in table.columns:
        problems.append(Problem(name, None, WEIGHT, "missing column: each row needs a weight (the weights sum to 1)"))
    for column in table.columns:
        if column == WEIGHT:
            problems += _check_weights(table[column], name)
            continue
        info = numeric_key(str(column))
        if info is None:
            message, suggestion = unknown_key_message(str(column))
            problems.append(Problem(name, None, str(column), f"{message} (the columns are scenario key paths and "
                                    f"{WEIGHT})", suggestion=suggestion))
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            problems.append(Problem(name, None, str(column), f"not a finite number in rows {_rows(bad)}"))
            continue
        outside = ~values.map(info.admits).to_numpy(dtype=bool)
        if outside.any():
            problems.append(Problem(name, None, str(column), f"values outside what the scenario accepts "
                                    f"({info.describe_bounds()}) in rows {_rows(outside)}"))
        if info.kind == "int" and not np.allclose(values, np.round(values), rtol=0, atol=1e-9):
            problems.append(Problem(name, None, str(column), f"a whole-number key, but rows "
                                    f"{_rows(~np.isclose(values, np.round(values), rtol=0, atol=1e-9))} are not whole"))
    return problems


def _check_weights(column: pd.Series, name: str) -> list[Problem]:
    weights = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(weights).all() or (weights < 0).any():
        return [Problem(name, None, WEIGHT, f"weights must be finite and not negative (rows "
                        f"{_rows(~np.isfinite(weights) | (weights < 0))})")]
    total = float(weights.sum())
    if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-6):
        return [Problem(name, None, WEIGHT, "weights must sum to 1", round(total, 9))]
    return []


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r) for r in rows[:ROWS_SHOWN])
    return shown + (f" and {rows.size - ROWS_SHOWN} more" if rows.size > ROWS_SHOWN else "")
