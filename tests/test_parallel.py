"""The one parallel layer: local processes that start safely from scripts, agree with this process, and
never outlive their parent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from sim.parallel import Done, local, run_all
from sim.parallel.processes import InProcess, LocalProcesses
from sim.runner import run_replicates
from tests.helpers import ROOT, small

SCRIPT = """\
from sim.parallel import local
from sim.runner import run_replicates
from tests.helpers import small

print("top level ran")
frames = run_replicates(small(), 6, 0, backend=local(2))
print("rows", len(frames["yearly"]))
"""


def test_a_script_without_a_main_guard_runs_its_top_level_once(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=180,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("top level ran") == 1, result.stdout
    assert "rows 54" in result.stdout and "Traceback" not in result.stderr


def test_workers_give_what_this_process_gives() -> None:
    here = run_replicates(small(), 6, 3, backend=InProcess())
    there = run_replicates(small(), 6, 3, backend=LocalProcesses(2))
    for name in here:
        pd.testing.assert_frame_equal(here[name], there[name])


def test_run_all_keeps_the_order_of_the_jobs() -> None:
    assert run_all(local(2), abs, [-3, 1, -2, 5]) == [3, 1, 2, 5]
    seen: list[int] = []
    run_all(InProcess(), abs, [-1, -2], on_done=lambda done: seen.append(done.value))
    assert seen == [1, 2] and isinstance(Done(1, 2), Done)
