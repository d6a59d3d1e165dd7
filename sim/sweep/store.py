"""The sweep's folder: Parquet part-files written as runs finish, a manifest, and tidy tables read back.

    DIR/manifest.json          the experiment, package version, design points, every run's seed, sessions
    DIR/runs/part-*.parquet    one row per finished run (ok or failed), a part per batch of runs
    DIR/series/part-*.parquet  one row per run and year, the part with the same name as its runs part

Runs finish in batches (sim.jobs), and a batch's rows are written together. Each part is written
atomically (temp file, fsync, rename) series first, runs second: a run counts as
done only once its runs row is on disk, so a crash at any instant leaves nothing half-written and at
worst a series part with no runs part, which readers ignore and --resume removes.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.jobs import JobResult
from sim.result_folder import other_files
from sim.results_io import atomic_write, write_json
from sim.scenario import ScenarioError
from sim.scenario.problems import Problem
from sim.sweep.heal import DAMAGED, check_manifest, heal
from sim.sweep.lock import LOCK
from sim.sweep.plan import Plan

MANIFEST = "manifest.json"
# the session's progress, rewritten with every part (per batch flush): small whatever the plan's size,
# where the manifest (which lists every design point) is written only when a session starts and ends
PROGRESS = "progress.json"
RUNS = "runs"
SERIES = "series"
FIGURES = "figures"
SLURM_LOGS = "slurm-logs"  # the SLURM worker jobs' logs

_ARROW = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "string": pa.string()}


def runs_schema(plan: Plan) -> pa.Schema:
    return pa.schema([
        ("run_id", pa.string()), ("point_id", pa.int64()), ("replicate", pa.int64()),
        *((key, _ARROW[plan.parameter_types[key]]) for key in plan.parameters),
        ("seed", pa.int64()),
        *((o, pa.float64()) for o in plan.outcomes),
        ("tipped", pa.bool_()), ("tipped_year", pa.int64()),
        ("status", pa.string()), ("error", pa.string()), ("seconds", pa.float64()),
    ])


def series_schema(plan: Plan) -> pa.Schema:
    return pa.schema([
        ("run_id", pa.string()), ("point_id", pa.int64()), ("replicate", pa.int64()),
        *((key, _ARROW[plan.parameter_types[key]]) for key in plan.parameters),
        ("year", pa.int64()),
        *((o, pa.float64()) for o in plan.outcomes),
        ("tipped", pa.bool_()),
    ])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SweepStore:
    """Writes finished runs in small batches; at most `flush_seconds` of finished work is ever unsaved."""

    def __init__(self, directory: Path, plan: Plan, flush_runs: int = 200, flush_seconds: float = 5.0) -> None:
        self.directory = Path(directory)
        self.plan = plan
        self.flush_runs = flush_runs
        self.flush_seconds = flush_seconds
        self._runs_schema = runs_schema(plan)
        self._series_schema = series_schema(plan)
        self._rows: list[pd.DataFrame] = []
        self._series: list[pd.DataFrame] = []
        self._pending = 0
        self._last_flush = time.monotonic()
        self._session = uuid.uuid4().hex[:8]
        self._parts = 0
        self._written = 0
        self._started = _now()
        self.manifest: dict[str, Any] = {}

    # --- opening -----------------------------------------------------------------------------

    def create(self) -> None:
        if (self.directory / MANIFEST).exists():
            raise ScenarioError([Problem(
                str(self.directory), None, "", "already holds a sweep; add --resume to finish it, "
                "or choose another --out folder",
            )])
        if self.directory.exists() and not self.directory.is_dir():
            raise ScenarioError([Problem(str(self.directory), None, "", "exists and is not a folder")])
        # made for this sweep before it starts: its lock, its SLURM jobs' logs
        others = other_files(self.directory, ours=(LOCK, SLURM_LOGS))
        if others:  # another command's results, or a user's files: a sweep would mix its own in
            raise ScenarioError([Problem(
                str(self.directory), None, "", f"holds other files ({others}); a sweep needs a new or empty "
                "--out folder",
            )])
        self.manifest = {**self.plan.to_manifest(), "created": _now(), "sessions": []}
        write_json(self.manifest, self.directory / MANIFEST)

    def reopen(self) -> set[str]:
        """Check the folder holds this very sweep, clear debris of a crash, return the ids already done."""
        manifest = read_manifest(self.directory)
        if manifest["fingerprint"] != self.plan.fingerprint:
            stored = Plan.from_manifest(manifest)
            mixed = "two models" if stored.version != self.plan.version else "two experiments"
            raise ScenarioError([Problem(
                str(self.directory), None, "", f"cannot resume: since this sweep started, "
                f"{'; '.join(stored.differences(self.plan))}; its results would mix {mixed}. "
                "Start a new sweep with another --out folder",
            )])
        self.manifest = manifest
        from sim.sweep.compact import finish_interrupted  # it imports this module

        finish_interrupted(self.directory)
        self._clear_debris()
        heal(self.directory, {RUNS: runs_schema(self.plan), SERIES: series_schema(self.plan)},
             advice="; this --resume runs them again")
        return set(completed_ids(self.directory))

    def _clear_debris(self) -> None:
        for sub in (RUNS, SERIES):
            for tmp in (self.directory / sub).glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
        done = {p.name for p in (self.directory / RUNS).glob("part-*.parquet")}
        for orphan in (self.directory / SERIES).glob("part-*.parquet"):
            if orphan.name not in done:
                orphan.unlink(missing_ok=True)

    # --- sessions: when each (re)start ran, on what, and how it went ------------------------------

    def start_session(self, executor: str, workers: int, to_run: int, runs_per_batch: int) -> None:
        self.manifest["sessions"].append({
            "started": _now(), "executor": executor, "workers": workers, "runs_to_do": to_run,
            "runs_per_batch": runs_per_batch,
            "finished": None, "completed": 0, "failed": 0, "lost": 0, "seconds": None,
        })
        write_json(self.manifest, self.directory / MANIFEST)

    def end_session(self, completed: int, failed: int, lost: int, seconds: float, status: str) -> None:
        self.manifest["sessions"][-1].update(
            finished=_now(), completed=completed, failed=failed, lost=lost, seconds=round(seconds, 3), status=status,
        )
        write_json(self.manifest, self.directory / MANIFEST)

    # --- writing --------------------------------------------------------------------------------

    def add(self, result: JobResult) -> None:
        """Keep a finished batch's runs (and series); write them once enough have gathered."""
        self._rows.append(self._with_parameters(result.runs))
        if result.series is not None:
            self._series.append(self._with_parameters(result.series, ids_from=result.runs))
        self._pending += len(result.runs)
        if self._pending >= self.flush_runs or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def _with_parameters(self, frame: pd.DataFrame, ids_from: pd.DataFrame | None = None) -> pd.DataFrame:
        """The frame with point_id, replicate and each parameter's value, as the store's schema has them."""
        frame = frame.copy()
        if ids_from is not None:
            ids = ids_from.set_index("run_id")[["point", "replicate"]]
            frame = frame.join(ids, on="run_id")
        frame = frame.rename(columns={"point": "point_id"})
        for key in self.plan.parameters:
            values = {p.index: p.values[key] for p in self.plan.points}
            column = frame["point_id"].map(values)
            frame[key] = column.astype(str) if self.plan.parameter_types[key] == "string" else column
        return frame

    def flush(self) -> None:
        if not self._rows:
            return
        name = f"part-{self._session}-{self._parts:05d}.parquet"
        if self._series:
            series = _table(pd.concat(self._series, ignore_index=True), self._series_schema)
            atomic_write(self.directory / SERIES / name, lambda tmp: pq.write_table(series, tmp))
        runs = _table(pd.concat(self._rows, ignore_index=True), self._runs_schema)
        atomic_write(self.directory / RUNS / name, lambda tmp: pq.write_table(runs, tmp))
        self._parts += 1
        self._written += len(runs)
        self._rows, self._series, self._pending = [], [], 0
        self._last_flush = time.monotonic()
        write_json({"session": self._session, "started": self._started, "updated": _now(), "parts": self._parts,
                    "runs_written": self._written}, self.directory / PROGRESS)


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    columns = {}
    for f in schema:
        values = frame[f.name]
        if f.name == "seed":
            values = values.astype(np.uint64).astype(np.int64)  # stored signed, as every seed is below 2**63
        columns[f.name] = pa.array(values, type=f.type, from_pandas=True)
    return pa.Table.from_pydict(columns, schema=schema)


# --- reading: a pyarrow dataset read of the folder -------------------------------------------------


def read_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    try:
        return check_manifest(json.loads(path.read_text(encoding="utf-8")), path)
    except FileNotFoundError:
        raise ScenarioError([Problem(str(directory), None, "", "no sweep here (manifest.json is missing)")]) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError([Problem(str(path), None, "", f"cannot read the manifest: {exc}")]) from None


def _parts(directory: Path, sub: str) -> list[Path]:
    done = sorted((directory / RUNS).glob("part-*.parquet"))
    if sub == RUNS:
        return done
    # a series part counts only once its runs part exists: that is what marks its runs done
    return [directory / SERIES / p.name for p in done if (directory / SERIES / p.name).exists()]


def _read(directory: str | Path, sub: str, columns: list[str] | None = None) -> pd.DataFrame:
    directory = Path(directory)
    plan = Plan.from_manifest(read_manifest(directory))
    schema = runs_schema(plan) if sub == RUNS else series_schema(plan)
    try:
        table = _dataset_table(_parts(directory, sub), schema, columns)
    except (pa.ArrowException, OSError):
        table = _read_around_damage(directory, plan, sub, schema, columns)
    frame = table.to_pandas()
    keys = ["run_id"] if sub == RUNS else ["run_id", "year"]
    if columns is None or all(k in columns for k in keys):
        frame = frame.drop_duplicates(subset=keys)
    order = [c for c in ("point_id", "replicate", "year") if c in frame.columns]
    return frame.sort_values(order).reset_index(drop=True) if order else frame


def _read_around_damage(directory: Path, plan: Plan, sub: str, schema: pa.Schema,
                        columns: list[str] | None) -> pa.Table:
    """A reader writes nothing: the folder may be read-only, or a sweep or a compaction may be writing it.
    Parts are listed again (a compaction may have replaced some since), damaged ones are found by reading
    each in full and left out of this read, with their other half, and named; --resume sets them aside
    and runs their runs again (sim/sweep/heal.py)."""
    import warnings

    from sim.sweep.heal import DamagedParts, describe, find_damaged

    damaged = find_damaged(directory, {RUNS: runs_schema(plan), SERIES: series_schema(plan)}, thorough=True)
    left_out = {d.path.name for d in damaged}
    table = _dataset_table([p for p in _parts(directory, sub) if p.name not in left_out], schema, columns)
    if damaged:
        warnings.warn(DamagedParts(
            f"{len(damaged)} damaged part file(s) in {directory} left out of this read, with their other half: "
            f"{describe(directory, damaged)}. The runs they held are missing from it; finish the sweep with "
            f"--resume (--out {directory}), which moves them to {directory / DAMAGED}/ and runs them again"),
            stacklevel=3)
    return table


def _dataset_table(files: list[Path], schema: pa.Schema, columns: list[str] | None) -> pa.Table:
    return ds.dataset([str(f) for f in files], schema=schema, format="parquet").to_table(columns=columns)


def read_runs(directory: str | Path) -> pd.DataFrame:
    """One row per finished run: ids, parameters, seed, outcomes at the last year, tipping, status."""
    return _read(directory, RUNS)


def read_series(directory: str | Path) -> pd.DataFrame:
    """One row per finished run and year: ids, parameters, the kept outcomes and whether tipped."""
    return _read(directory, SERIES)


def completed_ids(directory: str | Path) -> list[str]:
    return list(_read(directory, RUNS, columns=["run_id"])["run_id"])
