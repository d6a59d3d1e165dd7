"""`critical-mass sweep` through the command line: SIGKILL and --resume and orphans (real processes), replay,
Dask, bad files (in-process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.parallel.forking import NO_FORK_ENV
from sim.parallel.processes import InProcess
from sim.sweep import read_manifest, read_runs, resolve, run_sweep
from sim.sweep.store import RUNS
from tests import helpers
from tests.test_sweep import TINY_EXPERIMENT, comparable, write_experiment

CLI = [str(Path(sys.executable).with_name("critical-mass"))]

# long enough (about 100 runs) that a kill lands in the middle of it
LONG_EXPERIMENT = TINY_EXPERIMENT.replace(
    "values: [0.0, 0.5, 1.0]", "range: {start: 0.0, stop: 1.0, step: 0.1}"
).replace("replicates: 2", "replicates: 3")


def process(*args: str, cwd: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120", **env_vars}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_sigkill_mid_sweep_then_resume_equals_an_uninterrupted_sweep(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, LONG_EXPERIMENT)
    plan = resolve(path)
    assert plan.total_runs == 99

    # a run a batch: the sweep lasts about a second and a half, so the kill after the second part lands mid-sweep
    # (4 a batch, with workers forked at once, the sweep could end before its second part was saved)
    sweep = subprocess.Popen(
        [*CLI, "sweep", str(path), "--out", "killed", "--workers", "2", "--save-every", "0.2", "--no-figures",
         "--batch-size", "1"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    runs = tmp_path / "killed" / RUNS
    deadline = time.monotonic() + 120
    while len(list(runs.glob("part-*.parquet"))) < 2 and sweep.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    # the whole process group, as the OOM killer or a cluster's job limit would: no chance to clean up
    os.killpg(sweep.pid, signal.SIGKILL)
    sweep.wait(timeout=30)
    saved = len(read_runs(tmp_path / "killed"))
    assert 0 < saved < plan.total_runs, f"the kill should land mid-sweep ({saved} runs saved)"

    resumed = process("sweep", str(path), "--out", "killed", "--workers", "2", "--resume", "--no-figures",
                      cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{saved} were already done" in resumed.stdout
    assert "Sweep: 99 runs, 99 ok, 0 failed, 0 missing" in resumed.stdout

    run_sweep(plan, tmp_path / "whole", InProcess())
    whole, killed = comparable(tmp_path / "whole"), comparable(tmp_path / "killed")
    pd.testing.assert_frame_equal(whole[0], killed[0])
    pd.testing.assert_frame_equal(whole[1], killed[1])
    assert read_manifest(tmp_path / "killed")["sessions"][-1]["status"] == "complete"


@pytest.mark.parametrize(("command", "sig", "fork"), [
    ("sweep", signal.SIGKILL, True), ("sweep", signal.SIGTERM, True), ("sweep", signal.SIGINT, True),
    ("compare", signal.SIGKILL, True), ("compare", signal.SIGTERM, True), ("sweep", signal.SIGKILL, False),
])
def test_killing_the_main_process_alone_leaves_no_process_behind(tmp_path: Path, command: str,
                                                                  sig: signal.Signals, fork: bool) -> None:
    """A signal to the main process only (not its group): its workers end with it, forked from it or (where it
    may not fork) from the launcher, which ends too."""
    import psutil

    if command == "sweep":
        path = write_experiment(tmp_path, LONG_EXPERIMENT)
        args = ["sweep", str(path), "--out", "alone", "--workers", "2", "--no-figures", "--batch-size", "2"]
    else:
        scenario = helpers.ROOT / "scenarios" / "clustered.yaml"
        args = ["compare", str(scenario), str(scenario), "--set", "placement.host_schools=8", "--replicates", "400",
                "--workers", "2", "--out", "alone"]
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr, helpers.ctrl_c_as_in_a_terminal():
        main_process = subprocess.Popen([*CLI, *args], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr,
                                        start_new_session=True, env={**os.environ, NO_FORK_ENV: "" if fork else "1"})
    main = psutil.Process(main_process.pid)
    deadline = time.monotonic() + 60
    # the family as first seen whole (2 workers, and the launcher that forked them if any), not listed a second
    # time: the sweep lasts a few seconds, and a child that ended in between made it look as if none had started
    whole = 2 if fork else 3
    family = main.children(recursive=True)
    while len(family) < whole and main_process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        family = main.children(recursive=True)
    assert len(family) >= whole, f"the command started its worker processes: {family}\n{errors.read_text()}"
    served = any("forkserver" in " ".join(p.cmdline()) for p in family)
    assert served != fork, [p.cmdline() for p in family]
    main_process.send_signal(sig)
    main_process.wait(timeout=30)
    _gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, f"left behind after {sig.name}: {[(p.pid, p.name()) for p in alive]}"


def test_sweep_summary_figures_and_replay_of_one_run(tmp_path: Path) -> None:
    path = write_experiment(tmp_path)
    done = helpers.cli("sweep", str(path), "--out", "out", "--workers", "1", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    assert "Sweep: 18 runs, 18 ok, 0 failed, 0 missing" in done.stdout
    assert len(list((tmp_path / "out" / "figures").glob("heatmap_*.png"))) == 4
    assert (tmp_path / "out" / "figures" / "frontier_tipped.png").exists()
    manifest = read_manifest(tmp_path / "out")
    assert manifest["package_version"] and manifest["experiment"] == path.read_text(encoding="utf-8")
    assert manifest["total_runs"] == 18 and len(manifest["points"]) == 9

    # the scenario file may change after the sweep; the replay uses what the manifest recorded
    (tmp_path / "tiny.yaml").write_text("years: 1\n", encoding="utf-8")
    replay = helpers.cli("run", "--from-sweep", "out", "--run", "p4-r1", cwd=tmp_path)
    assert replay.exit_code == 0, replay.output
    assert "Reproduces the stored outcomes of p004-r01 exactly" in replay.stdout

    again = helpers.cli("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert again.exit_code == 2 and "already holds a sweep" in again.stderr


def test_bad_experiment_file_exits_2_with_line_and_suggestion(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, TINY_EXPERIMENT.replace("key: placement.clustering", "key: placement.clustring"))
    result = helpers.cli("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"{path}:4: placement.clustring: unknown key" in result.stderr
    assert "did you mean 'placement.clustering'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists(), "nothing runs before the experiment is valid"


def test_sweep_on_a_dask_scheduler_by_address(tmp_path: Path) -> None:
    from distributed import LocalCluster

    path = write_experiment(tmp_path)
    # threads of this process, but reached over TCP on the loopback, as a real scheduler would be
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      protocol="tcp", host="127.0.0.1", scheduler_port=0) as cluster:
        result = helpers.cli("sweep", str(path), "--out", "out", "--dask", cluster.scheduler_address,
                             "--no-figures", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "Running on Dask at tcp://" in result.stdout
    run_sweep(resolve(path), tmp_path / "local", InProcess())
    pd.testing.assert_frame_equal(comparable(tmp_path / "local")[0], comparable(tmp_path / "out")[0])

    unreachable = process("sweep", str(path), "--out", "nowhere", "--dask", "tcp://127.0.0.1:9", cwd=tmp_path,
                          DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s")
    assert unreachable.returncode == 2 and "cannot reach a Dask scheduler" in unreachable.stderr
