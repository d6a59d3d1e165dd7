"""A damaged sweep folder heals: unreadable part files are named, moved aside, and their runs redone.

A part file can be damaged after it was written whole: a disk that filled up while a copy or a
sync ran, a file cut short on a network filesystem, a stray write. Before, `--resume` and `tipping`
stopped on it with pyarrow's traceback; a cut-short series part even let `--resume` report the
sweep complete, since only the runs parts say which runs are done. Now:

- every `--resume` checks every part's Parquet footer and columns (cheap: it reads no data);
- a reader (read_runs, read_series, and so `tipping`) that fails on the folder reads each part
  in full to find the culprits, then reads the rest without them and names them; a reader moves
  nothing (the folder may be read-only, or a sweep may be writing it);
- `--resume` and `--compact` move a damaged part to DIR/damaged/, together with the part of the same name in the other
  table (a run is done only when both its runs row and its series are readable), and a
  DamagedParts warning names each file and why; the runs they held are then missing, so `--resume`
  runs them again.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.scenario import Problem, ScenarioError

DAMAGED = "damaged"
TABLES = ("runs", "series")
MANIFEST_KEYS = {
    "name": str, "experiment_file": str, "experiment": str, "package_version": str, "fingerprint": str,
    "design": str, "seed": int, "replicates": int, "years": int, "outcomes": list, "parameters": list,
    "base_scenario": dict, "points": list,
}


class DamagedParts(UserWarning):
    """Part files that could not be read were moved aside (shown to CLI users as one plain line)."""

    plain = True


@dataclass(frozen=True)
class Damaged:
    path: Path  # the part file, inside DIR/runs or DIR/series
    reason: str


def check_manifest(manifest: Any, path: Path) -> dict[str, Any]:
    """The manifest, if it has every key a sweep's manifest has, with the right kind of value."""
    if not isinstance(manifest, dict):
        raise ScenarioError([Problem(str(path), None, "", "not a sweep manifest (expected a JSON object)")])
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    wrong = [k for k, kind in MANIFEST_KEYS.items() if k in manifest and not isinstance(manifest[k], kind)]
    if "points" in manifest and isinstance(manifest["points"], list) and not all(
        isinstance(p, dict) and {"point_id", "values", "overrides"} <= p.keys() for p in manifest["points"]
    ):
        wrong.append("points")
    if missing or wrong:
        said = "; ".join(part for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"wrong kind of value for {', '.join(wrong)}" if wrong else "",
        ) if part)
        raise ScenarioError([Problem(str(path), None, "", f"not a complete sweep manifest ({said})")])
    return manifest


def find_damaged(directory: Path, schemas: dict[str, pa.Schema], thorough: bool = False) -> list[Damaged]:
    """Parts whose footer (or, if thorough, whose data) cannot be read, or whose columns are not the sweep's."""
    found = []
    for table in TABLES:
        expected = schemas[table].names
        for part in sorted((directory / table).glob("part-*.parquet")):
            reason = _problem(part, expected, thorough)
            if reason:
                found.append(Damaged(part, reason))
    return found


def _problem(part: Path, expected: list[str], thorough: bool) -> str | None:
    try:
        metadata = pq.read_metadata(part)
        names = metadata.schema.to_arrow_schema().names
        if thorough:
            pq.read_table(part)
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot be read: {first[:200]}"
    if names != expected:
        return f"has other columns than this sweep's ({', '.join(names[:6])}{'...' if len(names) > 6 else ''})"
    return None


def set_aside(directory: Path, damaged: Sequence[Damaged]) -> list[Path]:
    """Move each damaged part, and the part of the same name in the other table, into DIR/damaged/."""
    moved = []
    for name in sorted({d.path.name for d in damaged}):
        for table in TABLES:
            part = directory / table / name
            if part.exists():
                target = _free_name(directory / DAMAGED / table / name)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, target)
                moved.append(target)
    return moved


def _free_name(path: Path) -> Path:
    n = 1
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    return candidate


def describe(directory: Path, damaged: Sequence[Damaged]) -> str:
    """Each damaged part, relative to the sweep folder, and why: for the one warning line that names them."""
    return "; ".join(f"{d.path.relative_to(directory)} {d.reason}" for d in damaged)


def heal(directory: Path, schemas: dict[str, pa.Schema], thorough: bool = False, advice: str = "") -> list[Damaged]:
    """Find damaged parts, move them aside and warn naming each; return what was found."""
    damaged = find_damaged(directory, schemas, thorough)
    if damaged:
        set_aside(directory, damaged)
        named = describe(directory, damaged)
        warnings.warn(DamagedParts(
            f"{len(damaged)} damaged part file(s) in {directory} moved to {directory / DAMAGED}/ with their "
            f"other half: {named}. The runs they held are missing now{advice}"
        ), stacklevel=2)
    return damaged
