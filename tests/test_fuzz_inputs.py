"""A few hundred of benchmarks/fuzz_inputs.py's malformed files, in this process: no traceback, exit 0 or 2,
every problem located. (The 10,000-case run, with its timings, is the benchmark's; docs/performance.md.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.fuzz_inputs import check, make_case, workspace

CASES = 300
SEED = 17


@pytest.fixture(scope="module")
def folder() -> Path:
    where = workspace()
    yield where
    shutil.rmtree(where, ignore_errors=True)


@pytest.mark.parametrize("block", range(6))
def test_malformed_files_get_located_errors_and_never_a_traceback(folder: Path, block: int) -> None:
    size = CASES // 6
    failures = []
    for index in range(block * size, (block + 1) * size):
        outcome = check(make_case(SEED, index), folder / str(block), slow_seconds=None)
        if outcome.failure:
            failures.append(f"case {index} ({outcome.case.kind}, {outcome.case.mutator}): {outcome.failure}")
    assert not failures, "\n".join(failures)
