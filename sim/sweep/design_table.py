"""design: table: the points of a sweep read from a CSV or Parquet file, one column per scenario key path.

Any sampler's output runs through the crash-safe runner this way: SALib's Saltelli samples (then SALib's
Sobol' analysis reads the sweep's runs in point order), an EMA Workbench sampler's experiments (drop its
scenario/policy/model columns), or a hand-made list. Row i of the table is design point i.
"""

from __future__ import annotations

import math
from pathlib import Path

from sim.scenario.problems import Problem, ScenarioError
from sim.sweep.experiment import Scalar

MAX_ROWS = 1_000_000
RESERVED = ("point", "replicate", "seed", "run_id", "status")


def read_points(path: Path) -> list[dict[str, Scalar]]:
    """The rows of the table as {key path: value}; ScenarioError naming the file, row and column otherwise."""
    import pandas as pd

    source = str(path)
    if not path.is_file():
        raise ScenarioError([Problem(source, None, "points", "no such file (a CSV or Parquet table of points)")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        else:
            raise ScenarioError([Problem(source, None, "points", "needs a .csv or .parquet file", path.name)])
    except ScenarioError:
        raise
    except Exception as exc:  # a damaged or mistyped file: say what the reader said, not a traceback
        raise ScenarioError([Problem(source, None, "points", f"cannot be read as {suffix[1:]}: {exc}")]) from None
    problems = []
    if table.shape[1] == 0 or len(table) == 0:
        problems.append(Problem(source, None, "points", "needs at least one column (a key path) and one row"))
    if len(table) > MAX_ROWS:
        problems.append(Problem(source, None, "points", f"has {len(table)} rows; at most {MAX_ROWS:,} points a sweep"))
    for column in table.columns:
        name = str(column)
        if name in RESERVED or name.startswith("Unnamed:"):
            hint = "an index column written with the table? save it with index=False" if name.startswith("Unnamed") \
                else "a column the sweep writes itself"
            problems.append(Problem(source, 1 if suffix == ".csv" else None, name, f"is not a key path ({hint})"))
    if problems:
        raise ScenarioError(problems)
    line = 2 if suffix == ".csv" else None  # the CSV header is line 1
    rows = []
    for i, record in enumerate(table.to_dict("records")):
        row: dict[str, Scalar] = {}
        for key, value in record.items():
            plain = value.item() if hasattr(value, "item") else value
            if plain is None or (isinstance(plain, float) and not math.isfinite(plain)):
                problems.append(Problem(source, None if line is None else line + i, str(key),
                                        f"row {i + 1} has no finite value", plain))
                continue
            row[str(key)] = plain
        rows.append(row)
        if len(problems) >= 20:
            break
    if problems:
        raise ScenarioError(problems)
    return rows
