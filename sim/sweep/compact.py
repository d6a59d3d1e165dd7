"""Fewer, larger part files: a sweep of a million runs written batch by batch leaves thousands of parts,
which every reader (pandas, DuckDB, `critical-mass tipping`) must open one by one.

Compaction streams the parts of a group into one new file each for runs/ and series/ (row group by
row group, so memory stays flat whatever the sweep's size), series first and runs second under the
same name, as the store always writes, then removes the parts it replaced. A crash at any instant
leaves either the old parts or both: readers drop duplicate runs, so results never change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from sim.results_io import atomic_write
from sim.sweep.store import RUNS, SERIES, _parts


@dataclass(frozen=True)
class Compaction:
    parts_before: int
    parts_after: int
    runs: int


def compact(directory: str | Path, rows_per_part: int = 500_000) -> Compaction:
    """Merge the runs parts (and their series parts) into parts of up to rows_per_part runs."""
    directory = Path(directory)
    parts = _parts(directory, RUNS)
    groups: list[list[Path]] = [[]]
    rows = 0
    total = 0
    for part in parts:
        n = pq.ParquetFile(part).metadata.num_rows
        total += n
        if groups[-1] and rows + n > rows_per_part:
            groups.append([])
            rows = 0
        groups[-1].append(part)
        rows += n
    token = uuid.uuid4().hex[:8]
    after = 0
    for k, group in enumerate(g for g in groups if g):
        after += 1
        if len(group) == 1:
            continue
        name = f"part-compact-{token}-{k:05d}.parquet"
        series = [directory / SERIES / p.name for p in group if (directory / SERIES / p.name).exists()]
        if series:
            _merge(series, directory / SERIES / name)
        _merge(group, directory / RUNS / name)
        for old in group:  # runs first: a series part without its runs part is ignored by readers
            old.unlink()
        for old in series:
            old.unlink(missing_ok=True)
    return Compaction(len(parts), after, total)


def _merge(parts: list[Path], target: Path) -> None:
    schema = pq.read_schema(parts[0])

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                writer.write_table(pq.read_table(part, schema=schema))

    atomic_write(target, write)
