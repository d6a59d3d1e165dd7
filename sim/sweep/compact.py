"""Fewer, larger part files: a sweep of a million runs written batch by batch leaves thousands of parts,
which every reader (pandas, DuckDB, `critical-mass tipping`) must open one by one.

Compaction streams the parts of a group into one new file each for runs/ and series/ (row group by
row group, so memory stays flat whatever the sweep's size), series first and runs second under the
same name, as the store always writes, then removes the parts it replaced. A crash at any instant
leaves either the old parts or both: readers drop duplicate runs, so results never change. Each
group's merge is announced first in a small journal (runs/.compacting-*.json: the merged part and
the parts it replaces); the next compaction or --resume finishes or undoes what a crash left, so the
duplicates do not stay on disk for readers that do not drop them (DuckDB, pd.read_parquet).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from sim.results_io import atomic_write, write_json
from sim.sweep.store import RUNS, SERIES, _parts

JOURNAL = ".compacting-{}.json"  # in runs/: hidden, so no reader takes it for a part


@dataclass(frozen=True)
class Compaction:
    parts_before: int
    parts_after: int
    runs: int


def compact(directory: str | Path, rows_per_part: int = 500_000) -> Compaction:
    """Merge the runs parts (and their series parts) into parts of up to rows_per_part runs."""
    directory = Path(directory)
    finish_interrupted(directory)
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
        journal = directory / RUNS / JOURNAL.format(f"{token}-{k:05d}")
        write_json({"merged": name, "replaces": [p.name for p in group]}, journal)
        series = [directory / SERIES / p.name for p in group if (directory / SERIES / p.name).exists()]
        if series:
            _merge(series, directory / SERIES / name)
        _merge(group, directory / RUNS / name)
        _remove(directory, [p.name for p in group])
        journal.unlink()
    return Compaction(len(parts), after, total)


def finish_interrupted(directory: Path) -> None:
    """Finish or undo a compaction a crash interrupted, from its journals: a merged runs part that was
    written replaces its parts (they go); one that was not leaves them (its series half, if any, goes)."""
    for journal in sorted((Path(directory) / RUNS).glob(JOURNAL.format("*"))):
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
            merged, replaced = str(entry["merged"]), [str(name) for name in entry["replaces"]]
        except (OSError, ValueError, KeyError, TypeError):
            journal.unlink(missing_ok=True)  # written atomically, so only a foreign file could fail here
            continue
        if (directory / RUNS / merged).exists():
            _remove(directory, replaced)
        else:
            (directory / SERIES / merged).unlink(missing_ok=True)
        journal.unlink()


def _remove(directory: Path, names: list[str]) -> None:
    for name in names:  # runs first: a series part without its runs part is ignored by readers
        (directory / RUNS / name).unlink(missing_ok=True)
    for name in names:
        (directory / SERIES / name).unlink(missing_ok=True)


def _merge(parts: list[Path], target: Path) -> None:
    schema = pq.read_schema(parts[0])

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                writer.write_table(pq.read_table(part, schema=schema))

    atomic_write(target, write)
