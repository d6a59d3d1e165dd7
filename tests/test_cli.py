"""End to end through the real command line, as a user types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, SCENARIOS

CLI = [str(Path(sys.executable).with_name("critical-mass"))]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=300)


def test_run_prints_a_summary_and_writes_tidy_results(tmp_path: Path) -> None:
    result = cli("run", str(SCENARIOS / "ancash.yaml"), "--replicates", "3", "--seed", "7", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Teachers practising" in result.stdout and "Tipped in" in result.stdout
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
    assert not list(tmp_path.glob(".*.tmp")), "no temp files left behind"


def test_years_set_and_default_out_dir(tmp_path: Path) -> None:
    result = cli("run", str(SCENARIOS / "clustered.yaml"), "--years", "3", "--replicates", "1",
                 "--set", "placement.clustering=0.9", "--set", "programme.cohort_size=10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    yearly = pd.read_parquet(tmp_path / "results" / "clustered" / "yearly.parquet")
    assert yearly["year"].max() == 3
    saved = (tmp_path / "results" / "clustered" / "scenario.yaml").read_text()
    assert "clustering: 0.9" in saved and "cohort_size: 10" in saved


def test_same_seed_same_results_across_processes_and_worker_counts(tmp_path: Path) -> None:
    runs = []
    for i, workers in enumerate(["1", "2"]):
        out = tmp_path / str(i)
        result = cli("run", str(SCENARIOS / "dispersed.yaml"), "--replicates", "3", "--years", "6",
                     "--seed", "11", "--workers", workers, "--out", str(out))
        assert result.returncode == 0, result.stderr
        runs.append(pd.read_parquet(out / "yearly.parquet"))
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_python_dash_m_works_the_same() -> None:
    result = subprocess.run([sys.executable, "-m", "sim", "validate", str(SCENARIOS / "london.yaml")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "ok" in result.stdout


def test_validate_reports_every_problem_of_every_file_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("years: 0\nplacement:\n  clustring: 0.5\n", encoding="utf-8")
    result = cli("validate", str(SCENARIOS / "ancash.yaml"), str(bad))
    assert result.returncode == 2
    assert "ok" in result.stdout
    assert f"{bad}:1: years" in result.stderr
    assert f"{bad}:3: placement.clustring: unknown key; did you mean 'clustering'?" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.yaml"], "file not found"),
        (["run", "scenarios/ancash.yaml", "--set", "placement.clustring=1"], "did you mean 'clustering'"),
        (["run", "scenarios/ancash.yaml", "--set", "placement.clustering=high"], "placement.clustering"),
        (["run", "scenarios/ancash.yaml", "--set", "nothing"], "KEY.PATH=VALUE"),
        (["run", "scenarios/ancash.yaml", "--replicates", "0"], "replicates"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("run", "scenarios/ancash.yaml", "--replicates", "1", "--out", str(target))
    assert result.returncode == 2 and "not a folder" in result.stderr
