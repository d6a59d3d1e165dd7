"""A sweep folder stays honest: one writer at a time, damaged parts named, set aside and redone, a full disk
survived with --resume, and a plan's size counted before anything is listed."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.parallel.processes import InProcess
from sim.sweep import read_runs, read_series, resolve, run_sweep
from sim.sweep.design import design_points
from sim.sweep.experiment import Experiment
from sim.sweep.heal import DAMAGED, Damaged, DamagedParts, find_damaged, set_aside
from sim.sweep.lock import LOCK, SweepLocked, sweep_lock
from sim.sweep.size import plan_size
from sim.sweep.store import RUNS, SERIES
from tests.helpers import invoke
from tests.test_result_folders import small_tmpfs  # noqa: F401 -- a fixture
from tests.test_sweep import comparable, write_experiment


def swept(folder: Path, name: str = "sweep") -> Path:
    """The tiny experiment (18 runs), a batch and a part per run, so that there are many parts."""
    plan = resolve(folder / "experiment.yaml")
    run_sweep(plan, folder / name, InProcess(), flush_seconds=0, runs_per_batch=1)
    return folder / name


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    return write_experiment(tmp_path)


# --- one writer ---------------------------------------------------------------------------------


def test_a_second_writer_is_refused_naming_the_first(tmp_path: Path, experiment: Path) -> None:
    plan = resolve(experiment)
    with sweep_lock(tmp_path / "sweep"), pytest.raises(SweepLocked) as info:
        run_sweep(plan, tmp_path / "sweep", InProcess())
    assert f"another sweep is writing to this folder: process {os.getpid()} on " in str(info.value)
    assert "--resume" in str(info.value)
    run_sweep(plan, tmp_path / "sweep", InProcess())  # released: the folder is free again
    assert len(read_runs(tmp_path / "sweep")) == plan.total_runs


def test_resume_while_a_sweep_runs_exits_2(tmp_path: Path, experiment: Path) -> None:
    with sweep_lock(tmp_path / "sweep"):
        result = invoke("sweep", experiment, "--out", tmp_path / "sweep", "--resume", "--workers", "1")
    assert result.exit_code == 2 and "another sweep is writing to this folder" in result.stderr


def test_compaction_waits_for_no_writer_and_sets_damaged_parts_aside(tmp_path: Path, experiment: Path) -> None:
    folder = swept(tmp_path)
    with sweep_lock(folder):
        refused = invoke("sweep", "--compact", folder)
    assert refused.exit_code == 2 and "another sweep is writing to this folder" in refused.stderr
    damage(sorted((folder / RUNS).glob("part-*.parquet"))[2], "truncate")
    result = invoke("sweep", "--compact", folder)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "warning: 1 damaged part file(s)" in result.stderr and len(read_runs(folder)) == 17


@pytest.mark.parametrize("options", [["--dry-run"], ["--resume"], ["--workers", "2"], ["--no-figures"]])
def test_compaction_refuses_options_for_a_run_and_touches_nothing(tmp_path: Path, experiment: Path,
                                                                  options: list[str]) -> None:
    folder = swept(tmp_path)
    parts = sorted(p.name for p in (folder / RUNS).glob("part-*.parquet"))
    result = invoke("sweep", "--compact", folder, *options)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert options[0] in result.stderr and "not apply" in result.stderr
    assert sorted(p.name for p in (folder / RUNS).glob("part-*.parquet")) == parts, "a refusal compacts nothing"


def test_a_killed_writer_leaves_no_stale_lock(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    code = (f"from sim.sweep.lock import sweep_lock\nimport time\nwith sweep_lock({str(folder)!r}):\n"
            "    print('held', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SweepLocked, match=f"process {holder.pid}"), sweep_lock(folder):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with sweep_lock(folder):  # the kernel released it with the process
        assert (folder / LOCK).exists()


# --- a damaged store heals --------------------------------------------------------------------------


def damage(part: Path, how: str) -> None:
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2] if how == "truncate" else b"not parquet at all" * 20)


def test_resume_sets_damaged_parts_aside_and_redoes_their_runs(tmp_path: Path, experiment: Path) -> None:
    folder = swept(tmp_path)
    runs_parts = sorted((folder / RUNS).glob("part-*.parquet"))
    damage(runs_parts[3], "truncate")
    damage(folder / SERIES / runs_parts[7].name, "garbage")
    with pytest.warns(DamagedParts) as caught:
        report = run_sweep(resolve(experiment), folder, InProcess(), resume=True, runs_per_batch=1)
    message = str(caught[0].message)
    assert f"runs/{runs_parts[3].name} cannot be read" in message
    assert f"series/{runs_parts[7].name} cannot be read" in message
    assert report.skipped == 16 and report.completed == 2, "the two runs held by damaged parts ran again"
    assert sorted(p.name for p in (folder / DAMAGED / RUNS).iterdir()) == sorted(
        [runs_parts[3].name, runs_parts[7].name])
    # each with its other half: a damaged series part left in series/ would be taken for the redone run's
    assert sorted(p.name for p in (folder / DAMAGED / SERIES).iterdir()) == sorted(
        [runs_parts[3].name, runs_parts[7].name])
    assert not (folder / SERIES / runs_parts[7].name).exists()
    whole = swept(tmp_path, "whole")
    pd.testing.assert_frame_equal(comparable(whole)[0], comparable(folder)[0])
    pd.testing.assert_frame_equal(comparable(whole)[1], comparable(folder)[1])


def _part(path: Path, columns: dict[str, list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def test_a_readable_part_with_other_columns_than_the_sweeps_counts_as_damaged(tmp_path: Path) -> None:
    """A part from another sweep (or another version of the model) reads fine but would mix foreign rows in:
    its footer's columns are checked against the sweep's, not only whether it opens."""
    schemas = {RUNS: pa.schema([("run_id", pa.string()), ("x", pa.float64())]),
               SERIES: pa.schema([("run_id", pa.string()), ("year", pa.int64())])}
    _part(tmp_path / RUNS / "part-a.parquet", {"run_id": ["r1"], "x": [1.0]})
    _part(tmp_path / SERIES / "part-a.parquet", {"run_id": ["r1"], "year": [0]})
    foreign = _part(tmp_path / RUNS / "part-b.parquet", {"run_id": ["r2"], "other": [1.0]})
    _part(tmp_path / SERIES / "part-b.parquet", {"run_id": ["r2"], "year": [0]})
    found = find_damaged(tmp_path, schemas)
    assert [(d.path, d.reason) for d in found] == [(foreign, "has other columns than this sweep's (run_id, other)")]
    assert sorted(str(p.relative_to(tmp_path)) for p in set_aside(tmp_path, found)) == [
        "damaged/runs/part-b.parquet", "damaged/series/part-b.parquet"]


def test_a_second_damaged_part_of_the_same_name_is_kept_beside_the_first(tmp_path: Path) -> None:
    """Part names repeat across sessions' set-asides (a redone run may be damaged again): nothing set aside is
    ever overwritten, so whatever the user wants to inspect or recover stays."""
    first = _part(tmp_path / RUNS / "part-a.parquet", {"n": [1]})
    set_aside(tmp_path, [Damaged(first, "cannot be read")])
    second = _part(tmp_path / RUNS / "part-a.parquet", {"n": [2]})
    _part(tmp_path / SERIES / "part-a.parquet", {"n": [3]})
    moved = set_aside(tmp_path, [Damaged(second, "cannot be read")])
    assert [str(p.relative_to(tmp_path)) for p in moved] == ["damaged/runs/part-a.1.parquet",
                                                             "damaged/series/part-a.parquet"]
    kept = {p.name: pq.read_table(p)["n"].to_pylist() for p in (tmp_path / DAMAGED / RUNS).iterdir()}
    assert kept == {"part-a.parquet": [1], "part-a.1.parquet": [2]}
    assert not list((tmp_path / RUNS).iterdir()) and not list((tmp_path / SERIES).iterdir())


def test_a_truncated_series_part_does_not_pass_for_a_complete_sweep(tmp_path: Path, experiment: Path) -> None:
    folder = swept(tmp_path)
    damage(sorted((folder / SERIES).glob("part-*.parquet"))[0], "truncate")
    with pytest.warns(DamagedParts):
        report = run_sweep(resolve(experiment), folder, InProcess(), resume=True, runs_per_batch=1)
    assert report.completed == 1
    assert len(read_series(folder)) == 18 * 6, "every run's every year is readable again"


def test_readers_name_a_damaged_part_and_read_around_it_moving_nothing(tmp_path: Path, experiment: Path) -> None:
    folder = swept(tmp_path)
    part = sorted((folder / RUNS).glob("part-*.parquet"))[5]
    damage(part, "garbage")
    listing = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    folder.chmod(0o555)  # a sweep someone else owns (root could still write, so nothing moved is checked too)
    for sub in (RUNS, SERIES):
        (folder / sub).chmod(0o555)
    try:
        for _ in range(2):  # the damage stays until --resume sets it aside, and every read says so
            with pytest.warns(DamagedParts, match="finish the sweep with --resume"):
                assert len(read_runs(folder)) == 17
    finally:
        for path in (folder, folder / RUNS, folder / SERIES):
            path.chmod(0o755)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == listing, "a reader moved files"
    with pytest.warns(DamagedParts, match="moved to"):
        run_sweep(resolve(experiment), folder, InProcess(), resume=True, runs_per_batch=1)
    assert not part.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # set aside and run again: the next read is quiet and whole
        assert len(read_runs(folder)) == 18


def test_a_reader_lists_the_parts_again_when_a_compaction_replaced_them(
    tmp_path: Path, experiment: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sim.sweep.store as store
    from sim.sweep.compact import compact

    folder = swept(tmp_path)
    listed = store._parts(folder, RUNS)
    compact(folder, rows_per_part=100)  # what a reader listed is gone
    first = [True]

    def stale_then_fresh(directory: Path, sub: str) -> list[Path]:
        if first[0]:
            first[0] = False
            return listed
        return real(directory, sub)

    real = store._parts
    monkeypatch.setattr(store, "_parts", stale_then_fresh)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is damaged: no warning
        assert len(read_runs(folder)) == 18


def test_tipping_on_a_damaged_folder_warns_in_one_line(tmp_path: Path) -> None:
    write_experiment(tmp_path, "scenario: tiny.yaml\nreplicates: 2\nparameters:\n  - key: placement.clustering\n"
                               "    values: [0, 0.5, 1]\n")
    folder = swept(tmp_path)
    damage(sorted((folder / RUNS).glob("part-*.parquet"))[0], "truncate")
    result = invoke("tipping", "points", folder)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "warning: 1 damaged part file(s)" in result.stderr and "cannot be read" in result.stderr


# --- a full disk ----------------------------------------------------------------------------------------


def test_a_full_disk_mid_sweep_then_resume(tmp_path: Path, experiment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.results_io

    real_fsync, calls = os.fsync, {"n": 0}

    def fill_up(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] > 12:  # the manifest, the session, then a few parts
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(sim.results_io.os, "fsync", fill_up)
    result = invoke("sweep", experiment, "--out", tmp_path / "sweep", "--workers", "1", "--save-every", "0",
                    "--batch-size", "1", "--no-figures")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "No space left on device" in result.stderr and "--resume" in result.stderr
    assert not list((tmp_path / "sweep").rglob(".*.tmp")), "no partial part file"
    monkeypatch.setattr(sim.results_io.os, "fsync", real_fsync)
    resumed = invoke("sweep", experiment, "--out", tmp_path / "sweep", "--workers", "1", "--resume", "--no-figures")
    assert resumed.exit_code == 0, resumed.stdout + resumed.stderr
    assert "Sweep: 18 runs, 18 ok, 0 failed, 0 missing" in resumed.stdout
    # the store writes a batch's series part before its runs part: were it the other way round, a disk
    # that filled between the two would leave runs counted done whose series never reached the disk
    assert len(read_series(tmp_path / "sweep")) == 18 * 6, "every run's every year is on disk"


def test_a_real_full_disk_mid_sweep_then_resume(tmp_path: Path, experiment: Path, small_tmpfs: Path) -> None:  # noqa: F811
    out = small_tmpfs / "sweep"
    first = invoke("sweep", experiment, "--out", out, "--workers", "1", "--save-every", "0", "--batch-size", "1",
                   "--no-figures")
    if first.exit_code == 0:
        pytest.fail("the 96 kB filesystem should have filled up")
    assert first.exit_code == 1 and "No space left on device" in first.stderr, first.stdout + first.stderr
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_tmpfs)], check=True)  # space freed
    resumed = invoke("sweep", experiment, "--out", out, "--workers", "1", "--resume", "--no-figures")
    assert resumed.exit_code == 0, resumed.stdout + resumed.stderr
    assert "Sweep: 18 runs, 18 ok, 0 failed, 0 missing" in resumed.stdout
    assert len(read_series(out)) == 18 * 6, "no run counted done without its series (series part first)"
    shutil.rmtree(out)


# --- counting a plan ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    levels=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    steps=st.tuples(st.integers(0, 50), st.integers(1, 20)),
    replicates=st.integers(1, 5),
)
def test_counting_agrees_with_listing(levels: list[int], steps: tuple[int, int], replicates: int) -> None:
    stop, step = steps
    parameters = [{"key": f"k{i}", "values": list(range(n))} for i, n in enumerate(levels)]
    parameters.append({"key": "r", "range": {"start": 0.0, "stop": stop / 10, "step": step / 100}})
    experiment = Experiment.model_validate({"scenario": "x.yaml", "parameters": parameters, "replicates": replicates})
    size = plan_size(experiment)
    assert size.points == len(design_points(experiment))
    assert size.runs == size.points * replicates
