"""`run`'s figure process (sim/figure_process.py): the same report, byte for byte, and no process left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sim import load_scenario
from sim.analysis.runs import ScenarioRun, run_scenario
from sim.figure_process import FigureProcess, usable_cores
from sim.report import report_figures
from tests.helpers import ROOT, SCENARIOS, ctrl_c_as_in_a_terminal

CLI = [str(Path(sys.executable).with_name("critical-mass"))]
RESULT_FILES = ["report.html", "summary.json", "scenario.yaml", *(f"figures/{name}.png" for name in (
    "trajectory_practising_share", "trajectory_mean_achievement", "trajectory_achievement_gap",
    "trajectory_leadership_index", "dimensions"))]


@pytest.fixture(scope="module")
def ancash_run() -> ScenarioRun:
    return run_scenario(load_scenario(SCENARIOS / "ancash.yaml", {"years": 4}), replicates=1, seed=3)


# forked directly: pytest-xdist's worker has a thread of its own, beside which start_if_useful (and so `run`)
# would not fork; the threads here hold no lock the figure processes need
def test_the_process_draws_the_same_report_and_a_dead_one_costs_time_not_the_report(
        ancash_run: ScenarioRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    ancash_run.write(tmp_path / "here")
    with FigureProcess() as drawer, FigureProcess() as dead, FigureProcess() as lost_sibling:
        # forked already: the figures are drawn in the processes, or by this one only if one fails
        drawn_here: list[Path] = []
        monkeypatch.setattr("sim.report.report_figures",
                            lambda yearly, directory: drawn_here.append(directory) or report_figures(yearly, directory))
        ancash_run.write(tmp_path / "there", drawer)
        assert drawn_here == [], "the figure process drew the figures"
        dead._process.kill()  # as the OOM killer would
        dead._process.join()
        ancash_run.write(tmp_path / "dead", dead)
        assert drawn_here == [tmp_path / "dead"], "with its process dead, this process drew the figures"
        # the process forks its sibling once it has loaded matplotlib
        while not (sibling := psutil.Process(lost_sibling._process.pid).children()):
            time.sleep(0.01)
        sibling[0].kill()  # it runs no more code; its parent reaps it when it finds it gone
        ancash_run.write(tmp_path / "lost_sibling", lost_sibling)
        assert drawn_here == [tmp_path / "dead"], "the figure process drew its lost sibling's share itself"
    for name in RESULT_FILES:
        here = (tmp_path / "here" / name).read_bytes()
        for folder in ("there", "dead", "lost_sibling"):
            assert (tmp_path / folder / name).read_bytes() == here, (folder, name)
    assert (tmp_path / "there" / "report.html").read_text().count('src="data:image/png;base64,') == 5


def test_run_through_the_command_line_writes_the_same_report_as_drawing_here(
        ancash_run: ScenarioRun, tmp_path: Path) -> None:
    """A real process, where `run` forks its figure process (one thread, and two cores if the machine has them)."""
    done = subprocess.run([*CLI, "run", str(SCENARIOS / "ancash.yaml"), "--years", "4", "--replicates", "1",
                           "--seed", "3", "--out", str(tmp_path / "cli")], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    ancash_run.write(tmp_path / "here")
    for name in RESULT_FILES:
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(usable_cores() < 2, reason="`run` starts its figure process only with a second core free")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killing_run_mid_run_leaves_no_figure_process_behind(tmp_path: Path, sig: signal.Signals) -> None:
    """A signal to `run` alone (not its group) while the model runs: its figure process ends with it."""
    import psutil

    # one process (--workers 1 keeps the figure process) and a long run: the model runs for about 20 s, so the
    # signal lands mid-run however fast the engine is and however slowly matplotlib loads on a busy machine;
    # killed at once, it costs no more than a short run. (Runs that ended with the report written, seen in suites
    # started in the background, were a SIGINT ignored by inheritance: ctrl_c_as_in_a_terminal.)
    with ctrl_c_as_in_a_terminal():
        main_process = subprocess.Popen([*CLI, "run", str(SCENARIOS / "london.yaml"), "--years", "100",
                                         "--replicates", "32", "--workers", "1", "--out", str(tmp_path / "out")],
                                        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
    main = psutil.Process(main_process.pid)
    deadline = time.monotonic() + 60
    # the figure process, and its sibling once it has loaded matplotlib (the model is still running)
    while len(main.children(recursive=True)) < 2 and main_process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    family = main.children(recursive=True)
    assert len(family) >= 2, "run started its figure processes"
    main_process.send_signal(sig)
    _out, err = main_process.communicate(timeout=30)
    _gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, f"left behind after {sig.name}: {[(p.pid, p.name()) for p in alive]}"
    landed = not (tmp_path / "out" / "report.html").exists()
    assert landed, f"the signal landed mid-run (exit {main_process.returncode}: {err})"
    if sig == signal.SIGINT:
        assert main_process.returncode != 0 and "Process critical-mass figures" not in err, err


def test_no_figure_process_on_one_core_or_beside_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sim.figure_process.usable_cores", lambda: 1)
    assert FigureProcess.start_if_useful() is None, "one core: nothing to overlap with"
    monkeypatch.setattr("sim.figure_process.usable_cores", lambda: 2)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert FigureProcess.start_if_useful() is None, "forking beside another thread could deadlock"
    finally:
        release.set()
        other.join()
