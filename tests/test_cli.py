"""The command line, as a user types it (in-process, through Typer's runner; a real process where one matters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import ROOT, SCENARIOS, cli


def test_run_prints_a_summary_and_writes_tidy_results(tmp_path: Path) -> None:
    result = cli("run", SCENARIOS / "ancash.yaml", "--replicates", "3", "--seed", "7", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Teachers practising" in result.stdout and "Tipped in" in result.stdout
    assert "seed noise only" in result.stdout
    yearly = pd.read_parquet(tmp_path / "yearly.parquet")
    assert sorted(yearly["replicate"].unique()) == [0, 1, 2]
    assert yearly["year"].max() == 7
    districts = pd.read_parquet(tmp_path / "districts.parquet")
    assert set(districts["district"]) == {"Huari", "San Marcos", "Chavín de Huántar", "Huántar"}
    roles = pd.read_parquet(tmp_path / "roles.parquet")
    assert set(roles["role"]) >= {"classroom", "school_leader", "outside"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    end = {o["outcome"]: o["end_mean"] for o in summary["outcomes"]}
    last = yearly[yearly["year"] == 7]
    assert end["practising_share"] == pytest.approx(last["practising_share"].mean())
    assert "seed noise" in summary["uncertainty"]
    assert not list(tmp_path.glob(".*.tmp")), "no temp files left behind"


def test_years_and_overrides_are_validated_and_saved_with_the_scenario(tmp_path: Path) -> None:
    result = cli("run", SCENARIOS / "clustered.yaml", "--years", "3", "--replicates", "1",
                 "--set", "placement.host_schools=9", "--set", "programme.cohort_size=10", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    yearly = pd.read_parquet(tmp_path / "results" / "clustered" / "yearly.parquet")
    assert yearly["year"].max() == 3
    saved = (tmp_path / "results" / "clustered" / "scenario.yaml").read_text()
    assert "host_schools: 9" in saved and "cohort_size: 10" in saved and "years: 3" in saved
    too_long = cli("run", SCENARIOS / "clustered.yaml", "--years", "501", cwd=tmp_path)
    assert too_long.exit_code == 2 and "years" in too_long.stderr


def test_same_seed_same_results_whatever_the_workers(tmp_path: Path) -> None:
    runs = []
    for i, workers in enumerate(["1", "2"]):
        out = tmp_path / str(i)
        result = cli("run", SCENARIOS / "dispersed.yaml", "--replicates", "6", "--years", "6",
                     "--seed", "11", "--workers", workers, "--out", out)
        assert result.exit_code == 0, result.output
        runs.append(pd.read_parquet(out / "yearly.parquet"))
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_python_dash_m_works_the_same() -> None:
    result = subprocess.run([sys.executable, "-m", "sim", "validate", str(SCENARIOS / "london.yaml")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout


# What `run` must not load: Mesa (only SchoolSystemModel, the API's and app's face, needs it), Dask, and
# SciPy's stats (only comparisons' intervals). Each costs start-up time (docs/performance.md).
NOT_FOR_RUN = ("mesa", "distributed", "dask", "scipy.stats", "matplotlib.pyplot")


def test_run_and_a_sweep_without_figures_import_only_what_they_need(tmp_path: Path) -> None:
    from sim.figure_process import usable_cores

    # with a second core, the report's figures (and matplotlib) are drawn in `run`'s figure process
    not_for_run = (*NOT_FOR_RUN, "matplotlib") if usable_cores() > 1 else NOT_FOR_RUN
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(f"scenario: {SCENARIOS / 'ancash.yaml'}\nyears: 2\nreplicates: 1\n"
                          "parameters:\n  - key: programme.cohort_size\n    values: [5, 10]\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from sim.cli import app\n"
        f"result = CliRunner().invoke(app, ['run', {str(SCENARIOS / 'ancash.yaml')!r}, '--replicates', '1',"
        f" '--years', '2', '--out', {str(tmp_path / 'out')!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print([n for n in {not_for_run!r} if any(m == n or m.startswith(n + '.') for m in sys.modules)])\n"
        # what the sweep imports on top: no matplotlib when no figures are drawn
        "before = set(sys.modules)\n"
        f"result = CliRunner().invoke(app, ['sweep', {str(experiment)!r}, '--out', {str(tmp_path / 'sweep')!r},"
        " '--no-figures', '--workers', '1'])\n"
        "assert result.exit_code == 0, result.output\n"
        "new = set(sys.modules) - before\n"
        "print([n for n in ('matplotlib', 'mesa', 'dask', 'distributed') if any(m == n or m.startswith(n + '.') "
        "for m in new)])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "report.html").exists()
    imported_by_run, imported_by_sweep = result.stdout.strip().splitlines()
    assert imported_by_run == "[]", f"`run` imported {imported_by_run}"
    assert imported_by_sweep == "[]", f"`sweep --no-figures` imported {imported_by_sweep}"
    assert not (tmp_path / "sweep" / "figures").exists()


def test_validate_reports_every_problem_of_every_file_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("years: 0\nplacement:\n  clustring: 0.5\n", encoding="utf-8")
    result = cli("validate", SCENARIOS / "ancash.yaml", bad)
    assert result.exit_code == 2
    assert "ok" in result.stdout
    assert f"{bad}:1: years" in result.stderr
    assert f"{bad}:3: placement.clustring: unknown key; did you mean 'clustering'?" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.yaml"], "file not found"),
        (["run", "scenarios/ancash.yaml", "--set", "placement.clustring=1"], "did you mean 'clustering'"),
        (["run", "scenarios/ancash.yaml", "--set", "placement.clustering=high"], "placement.clustering"),
        (["run", "scenarios/ancash.yaml", "--set", "nothing"], "KEY.PATH=VALUE"),
        (["patterns", "--out", "README.md"], "not a folder"),
        (["patterns", "--out", "/proc/no/such"], "cannot be written"),
        (["run", "scenarios/ancash.yaml", "--replicates", "0"], "replicates"),
        (["run", "scenarios/ancash.yaml", "--set", "students.practice_effect=0.1"], "retired key"),
        (["run"], "give a SCENARIO"),
        (["run", "--from-sweep", "somewhere"], "--from-sweep DIR and --run ID together"),
        (["run", "--from-sweep", "somewhere", "--run", "p0-r0", "--out", "x"], "--out does not apply"),
        (["run", "--from-sweep", "somewhere", "--run", "p0-r0", "--seed", "3", "--workers", "2"],
         "--seed, --workers do not apply"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("run", "scenarios/ancash.yaml", "--replicates", "1", "--out", target)
    assert result.exit_code == 2 and "not a folder" in result.stderr


def test_a_whole_run_through_the_installed_command(tmp_path: Path) -> None:
    """One real process end to end: the entry point, imports, the worker pool and the files together."""
    command = Path(sys.executable).with_name("critical-mass")
    result = subprocess.run([str(command), "run", str(SCENARIOS / "ancash.yaml"), "--replicates", "4",
                             "--workers", "2", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report.html").exists() and "Tipped in" in result.stdout


def test_no_command_module_imports_another_command() -> None:
    """Commands share helpers (common, progress, printing, backends, plan_check), never each other."""
    import ast

    commands = {"app", "calibrate", "compare", "patterns", "run", "sweep", "tipping", "validate"}
    cli = Path(__file__).resolve().parents[1] / "sim" / "cli"
    for name in commands:
        tree = ast.parse((cli / f"{name}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        others = {m for m in imported if m.startswith("sim.cli.") and m.removeprefix("sim.cli.") in commands}
        assert not others - {f"sim.cli.{name}"}, f"sim/cli/{name}.py imports {sorted(others)}"


def test_a_quick_patterns_run_leaves_the_committed_document_alone(tmp_path: Path, monkeypatch) -> None:
    import sim.validation

    def stop(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stopped before the runs")

    monkeypatch.setattr(sim.validation, "run_validation", stop)
    result = cli("patterns", "--quick", cwd=tmp_path)
    assert isinstance(result.exception, RuntimeError)  # it got as far as running, with its folder ready
    assert (tmp_path / "results" / "patterns-quick").is_dir() and not (tmp_path / "docs").exists()
