"""Sweeps in this process: experiment validation, designs, the store, failures, executors that agree."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import Scenario, ScenarioError
from sim.jobs import Job, Run
from sim.parallel.processes import InProcess, LocalProcesses
from sim.runner import derive_seed, run_once
from sim.sweep import read_manifest, read_runs, read_series, resolve, run_sweep
from sim.sweep.experiment import OUTCOME_COLUMNS
from sim.sweep.store import RUNS, SERIES
from tests.helpers import ROOT

TINY_SCENARIO = """\
name: tiny
years: 5
system: {districts: 2, schools_per_district: 5, teachers_per_school: 8}
programme: {cohort_size: 6, cohorts: 3}
"""

TINY_EXPERIMENT = """\
name: tiny_sweep
scenario: tiny.yaml
parameters:
  - key: placement.clustering
    values: [0.0, 0.5, 1.0]
  - key: alumni.stages.1.roles.school_leader
    range: {start: 0.0, stop: 0.2, step: 0.1}
    balance: alumni.stages.1.roles.classroom
replicates: 2
seed: 7
outcomes: [practising_share, mean_achievement, alumni_school_leader]
"""


def write_experiment(folder: Path, text: str = TINY_EXPERIMENT, scenario: str = TINY_SCENARIO) -> Path:
    (folder / "tiny.yaml").write_text(scenario, encoding="utf-8")
    path = folder / "experiment.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def comparable(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with the one column that may differ between identical sweeps: wall-clock seconds."""
    return read_runs(directory).drop(columns="seconds"), read_series(directory)


def problems_of(path: Path) -> dict[str, object]:
    with pytest.raises(ScenarioError) as info:
        resolve(path)
    return {p.path: p for p in info.value.problems}


# --- experiment files ---------------------------------------------------------------------------


def test_shipped_experiments_resolve_against_shipped_scenarios() -> None:
    root = Path(__file__).resolve().parents[1] / "experiments"
    names = {p.stem for p in root.glob("*.yaml")}
    assert {"clustering_x_alumni", "programme_scale"} <= names
    for path in root.glob("*.yaml"):
        plan = resolve(path)
        assert plan.total_runs > 0 and path.read_text(encoding="utf-8").startswith("#")


def test_balance_keeps_role_shares_summing_to_one(tmp_path: Path) -> None:
    plan = resolve(write_experiment(tmp_path))
    assert len(plan.points) == 9 and plan.total_runs == 18
    for point in plan.points:
        roles = plan.scenario(point.index).alumni.stages[1].roles
        assert math.isclose(sum(roles.as_array()), 1.0)
        assert roles.school_leader == point.values["alumni.stages.1.roles.school_leader"]
        assert math.isclose(roles.classroom, 0.40 - (roles.school_leader - 0.10))


def test_misspelt_keys_are_reported_with_line_and_suggestion(tmp_path: Path) -> None:
    text = TINY_EXPERIMENT.replace("replicates: 2", "replicats: 2").replace("values: [0.0", "vales: [0.0")
    problems = problems_of(write_experiment(tmp_path, text))
    assert problems["replicats"].suggestion == "replicates"
    assert problems["replicats"].line == 9
    assert problems["parameters.0.vales"].suggestion == "values"
    assert problems["parameters.0.vales"].line == 5


def test_varied_key_paths_are_checked_against_the_scenario_before_running(tmp_path: Path) -> None:
    text = TINY_EXPERIMENT.replace("key: placement.clustering", "key: placement.clusterin")
    problems = problems_of(write_experiment(tmp_path, text))
    problem = problems["placement.clusterin"]
    assert problem.line == 4 and problem.suggestion == "placement.clustering"
    assert str(tmp_path / "experiment.yaml") in str(problem)

    text = TINY_EXPERIMENT.replace("key: placement.clustering", "key: placment.clustering")
    assert problems_of(write_experiment(tmp_path, text))["placment"].suggestion == "placement.clustering"


def test_out_of_range_value_names_point_value_and_what_was_expected(tmp_path: Path) -> None:
    text = TINY_EXPERIMENT.replace("values: [0.0, 0.5, 1.0]", "values: [0.0, 1.5]")
    problem = problems_of(write_experiment(tmp_path, text))["placement.clustering"]
    assert problem.value == 1.5 and problem.line == 4
    assert "less than or equal to 1" in problem.message and "placement.clustering=1.5" in problem.message


def test_a_role_share_varied_alone_explains_balance(tmp_path: Path) -> None:
    text = TINY_EXPERIMENT.replace("    balance: alumni.stages.1.roles.classroom\n", "")
    problem = problems_of(write_experiment(tmp_path, text))["alumni.stages.1.roles"]
    assert "sum to 1" in problem.message and "balance" in problem.message and problem.line == 6


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        (("seed: 7", "seed: 7\ndesign: sobol_sequence\nsamples: 12"), "", "power of two"),
        (("seed: 7", "seed: 7\ndesign: sobol\nsamples: 16"), "design", "sobol_sequence"),
        (("seed: 7", "seed: 7\ndesign: table\npoints: p.csv"), "", "leave out parameters"),
        (("seed: 7", "seed: 7\npoints: p.csv"), "", "points is for design: table"),
        (("values: [0.0, 0.5, 1.0]", "between: [0, 1]"), "", "sampled design"),
        (("alumni_school_leader]", "alumni_school_leadr]"), "outcomes", "alumni_school_leader"),
        (("scenario: tiny.yaml", "scenario: missing.yaml"), "scenario", "not found"),
        (("range: {start: 0.0, stop: 0.2, step: 0.1}", "range: {start: 0.2, stop: 0.0, step: 0.1}"),
         "parameters.1.range", "below start"),
    ],
)
def test_bad_experiments_are_refused(tmp_path: Path, change: tuple[str, str], path: str, needle: str) -> None:
    text = TINY_EXPERIMENT.replace(*change)
    assert text != TINY_EXPERIMENT
    problems = problems_of(write_experiment(tmp_path, text))
    assert path in problems and needle in str(problems[path])


def test_outcome_names_match_the_models_yearly_columns() -> None:
    scenario = Scenario.from_dict({"years": 1, "system": {"districts": 1, "schools_per_district": 2}})
    columns = set(run_once(scenario, 0, 1)["yearly"].columns) - {"year", "tipped", "tipped_year"}
    assert columns == set(OUTCOME_COLUMNS)


def test_an_unknown_outcome_is_named_with_each_known_outcome_once_in_order(tmp_path: Path) -> None:
    text = TINY_EXPERIMENT.replace("outcomes: [practising_share,", "outcomes: [nope, mean_achievment,")
    message = str(problems_of(write_experiment(tmp_path, text))["outcomes"])
    assert "unknown outcome(s) 'nope', 'mean_achievment' (did you mean 'mean_achievement'?); known: " in message
    assert "None" not in message, "no suggestion is better than 'did you mean None?'"
    known = message.split("known: ", 1)[1].split(", ")
    assert known == sorted(set(known)) and set(known) == set(OUTCOME_COLUMNS)
    assert len(OUTCOME_COLUMNS) == len(set(OUTCOME_COLUMNS))


# --- designs ---------------------------------------------------------------------------------


def test_grid_ranges_and_run_seeds(tmp_path: Path) -> None:
    plan = resolve(write_experiment(tmp_path))
    assert [p.values["placement.clustering"] for p in plan.points[:4]] == [0.0, 0.0, 0.0, 0.5]
    assert sorted({p.values["alumni.stages.1.roles.school_leader"] for p in plan.points}) == [0.0, 0.1, 0.2]
    runs = list(plan.runs())
    assert runs[3].run_id == "p001-r01" and runs[3].seed == derive_seed(7, 1, 1)
    assert len({r.seed for r in runs}) == len(runs)
    assert plan.find_run("p1-r1") == runs[3]


@pytest.mark.parametrize("design", ["latin_hypercube", "sobol_sequence"])
def test_sampled_designs_are_seeded_and_cover_each_slice(tmp_path: Path, design: str) -> None:
    text = TINY_EXPERIMENT.replace("values: [0.0, 0.5, 1.0]", "between: [0.0, 1.0]").replace(
        "range: {start: 0.0, stop: 0.2, step: 0.1}", "between: [0.0, 0.3]"
    ).replace("seed: 7", f"seed: 7\ndesign: {design}\nsamples: 16")
    path = write_experiment(tmp_path, text)
    first, again = resolve(path), resolve(path)
    assert [p.values for p in first.points] == [p.values for p in again.points]
    clustering = [p.values["placement.clustering"] for p in first.points]
    assert len(clustering) == 16
    # both designs put exactly one point in each sixteenth of every parameter's range
    assert sorted(int(c * 16) for c in clustering) == list(range(16))


TABLE_EXPERIMENT = """\
name: table_sweep
scenario: tiny.yaml
design: table
points: {points}
replicates: 2
seed: 3
outcomes: [practising_share]
"""


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_table_of_points_runs_row_by_row(tmp_path: Path, suffix: str) -> None:
    """Any sampler's points (here a hand-made list) run through the crash-safe runner, row i as point i."""
    table = pd.DataFrame({"placement.clustering": [0.9, 0.1, 0.5],
                          "programme.cohort_size": [4, 8, 2], "placement.districts": ["all", "all", "random"]})
    points = tmp_path / f"points.{suffix}"
    table.to_csv(points, index=False) if suffix == "csv" else table.to_parquet(points, index=False)
    path = write_experiment(tmp_path, TABLE_EXPERIMENT.format(points=points.name))
    plan = resolve(path)
    assert plan.parameters == list(table.columns) and plan.design == "table"
    assert [p.values for p in plan.points] == table.to_dict("records")
    run_sweep(plan, tmp_path / "out", InProcess())
    runs = read_runs(tmp_path / "out")
    assert len(runs) == 6 and list(runs.sort_values("run_id")["programme.cohort_size"][::2]) == [4, 8, 2]
    # a changed table is a different sweep: resuming into the old folder is refused
    table.loc[0, "programme.cohort_size"] = 5
    table.to_csv(points, index=False) if suffix == "csv" else table.to_parquet(points, index=False)
    assert resolve(path).fingerprint != plan.fingerprint


def test_validate_reads_a_table_experiment_as_an_experiment(tmp_path: Path) -> None:
    from sim.sweep.experiment import is_experiment
    from tests.helpers import cli

    (tmp_path / "points.csv").write_text("programme.cohort_size\n4\n8\n", encoding="utf-8")
    path = write_experiment(tmp_path, TABLE_EXPERIMENT.format(points="points.csv"))
    assert is_experiment(path)  # it has no parameters: the table is what varies
    result = cli("validate", str(path))
    assert result.exit_code == 0 and "2 design points (table)" in " ".join(result.stdout.split())


@pytest.mark.parametrize(("csv", "line", "path", "needle"), [
    ("placement.clustering\n", None, "points", "at least one column"),
    ("placement.clustering,programme.cohort_size\n0.5,4\n0.2,\n", 3, "programme.cohort_size", "row 2"),
    ("placement.clusterin\n0.5\n", 2, "placement.clusterin", "unknown key"),
    ("placement.clustering\n0.5\n1.7\n", 3, "placement.clustering", "row 2"),
    ("Unnamed: 0,placement.clustering\n0,0.5\n", 1, "Unnamed: 0", "index=False"),
])
def test_a_bad_table_is_refused_at_its_row_and_column(tmp_path: Path, csv: str, line: int | None, path: str,
                                                      needle: str) -> None:
    (tmp_path / "points.csv").write_text(csv, encoding="utf-8")
    problems = problems_of(write_experiment(tmp_path, TABLE_EXPERIMENT.format(points="points.csv")))
    assert path in problems, problems
    assert needle in str(problems[path]) and problems[path].line == line
    assert problems[path].source.endswith("points.csv")


# --- running, failing, resuming ------------------------------------------------------------------


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.jobs as jobs

    original = jobs._run_batch

    def flaky(job: Job, runs: list[Run]):
        if any(job.scenarios[r.point].placement.clustering == 0.5 for r in runs):
            raise FloatingPointError("the model diverged")
        return original(job, runs)

    monkeypatch.setattr(jobs, "_run_batch", flaky)
    plan = resolve(write_experiment(tmp_path))
    report = run_sweep(plan, tmp_path / "out", InProcess())
    assert (report.completed, report.failed, report.missing) == (12, 6, 0)
    runs = read_runs(tmp_path / "out")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["placement.clustering"]) == {0.5} and len(failed) == 6
    assert failed["error"].str.startswith("FloatingPointError: the model diverged").all()
    assert failed["practising_share"].isna().all()
    assert (runs.loc[runs["status"] == "ok", "error"].isna()).all()
    assert set(read_series(tmp_path / "out")["run_id"]) == set(runs.loc[runs["status"] == "ok", "run_id"])
    # a failing system does not lose its batch-mates: the runs beside it in a batch are as if run alone, in a
    # sweep where nothing fails (the reference runs without the failure planted)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(
        # (`tipped` is an object column where failed runs have none: the same values, compared as booleans)
        comparable(tmp_path / "out")[0].query("status == 'ok'").astype({"tipped": bool}).reset_index(drop=True),
        _whole(plan, tmp_path).query("status == 'ok' and `placement.clustering` != 0.5").reset_index(drop=True))


def _whole(plan, tmp_path: Path) -> pd.DataFrame:
    run_sweep(plan, tmp_path / "whole", InProcess())
    return comparable(tmp_path / "whole")[0]


class StopAfter:
    """A backend that dies (as Ctrl-C would) after some batches."""

    description = "stops early"
    workers = 1

    def __init__(self, batches: int) -> None:
        self.batches = batches

    def map_unordered(self, fn, jobs):
        for n, done in enumerate(InProcess().map_unordered(fn, jobs)):
            if n == self.batches:
                raise KeyboardInterrupt
            yield done


def test_interrupted_sweep_resumes_to_the_same_results(tmp_path: Path) -> None:
    plan = resolve(write_experiment(tmp_path))
    run_sweep(plan, tmp_path / "whole", InProcess())

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, tmp_path / "cut", StopAfter(7), flush_seconds=3600, runs_per_batch=1)
    assert len(read_runs(tmp_path / "cut")) == 7, "finished runs are saved on the way out"
    progress = json.loads((tmp_path / "cut" / "progress.json").read_text(encoding="utf-8"))
    assert progress["runs_written"] == 7 and progress["parts"] >= 1  # rewritten with every part
    # debris of a crash mid-write: a temp file and a series part whose runs part never landed
    (tmp_path / "cut" / RUNS / ".part-x.parquet.123.tmp").write_bytes(b"half")
    orphan = next((tmp_path / "cut" / SERIES).glob("part-*.parquet"))
    orphan.rename(orphan.with_name("part-orphan-00000.parquet"))
    assert len(read_series(tmp_path / "cut")) == 0, "a series part counts only with its runs part"

    report = run_sweep(resolve(write_experiment(tmp_path)), tmp_path / "cut", InProcess(), resume=True)
    assert (report.skipped, report.completed) == (7, 11)
    assert not list((tmp_path / "cut" / RUNS).glob(".*.tmp"))
    assert not (tmp_path / "cut" / SERIES / "part-orphan-00000.parquet").exists()
    whole, cut = comparable(tmp_path / "whole"), comparable(tmp_path / "cut")
    # the series of the 7 runs saved before the crash lost their part above; everything else must match
    pd.testing.assert_frame_equal(whole[0], cut[0])
    kept = whole[1][whole[1]["run_id"].isin(cut[1]["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, cut[1])
    sessions = read_manifest(tmp_path / "cut")["sessions"]
    assert [s["status"] for s in sessions] == ["interrupted", "complete"]


def test_resume_refuses_a_changed_experiment(tmp_path: Path) -> None:
    path = write_experiment(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(resolve(path), tmp_path / "out", StopAfter(2), runs_per_batch=1)
    write_experiment(tmp_path, TINY_EXPERIMENT.replace("seed: 7", "seed: 8"))
    with pytest.raises(ScenarioError, match="cannot resume") as info:
        run_sweep(resolve(path), tmp_path / "out", InProcess(), resume=True)
    # it said "(stored 0.1.0+6d86976a4d92, now 0.1.0+6d86976a4d92)": the same model, and not what changed
    message = str(info.value)
    assert "the experiment differs in seed (stored 7, now 8); its results would mix two experiments" in message
    assert "model's code" not in message and "base scenario" not in message
    with pytest.raises(ScenarioError, match="already holds a sweep"):
        run_sweep(resolve(path), tmp_path / "out", InProcess())

    write_experiment(tmp_path, TINY_EXPERIMENT.replace("replicates: 2", "replicates: 3"),
                     TINY_SCENARIO.replace("years: 5", "years: 6"))
    with pytest.raises(ScenarioError) as info:
        run_sweep(resolve(path), tmp_path / "out", InProcess(), resume=True)
    assert ("since this sweep started, the experiment differs in replicates (stored 2, now 3), years (stored 5, "
            "now 6); the base scenario (or the experiment's set: values) differs;") in str(info.value)


def test_a_sweep_never_writes_into_a_folder_of_other_files(tmp_path: Path) -> None:
    # a run's or compare's results (which their next run would replace whole, the sweep with them), or a user's
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / ".critical-mass.json").write_text("{}", encoding="utf-8")
    (theirs / "report.html").write_text("a run's report", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"holds other files \(.critical-mass.json, report.html\)"):
        run_sweep(resolve(write_experiment(tmp_path)), theirs, InProcess())
    assert sorted(p.name for p in theirs.iterdir()) == [".critical-mass.json", ".lock", "report.html"]


def test_resume_refuses_a_sweep_started_by_other_model_code(tmp_path: Path) -> None:
    """The package version stays 0.1.0 while the engine changes (a git pull): the model code's digest is
    part of the version a sweep records, so a resume after such a change is refused, not mixed."""
    import dataclasses
    import shutil

    from sim.model_version import code_digest, model_version

    path = write_experiment(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(resolve(path), tmp_path / "out", StopAfter(2), runs_per_batch=1)
    assert read_manifest(tmp_path / "out")["package_version"] == model_version()
    changed = dataclasses.replace(resolve(path), version=model_version().split("+")[0] + "+000000000000")
    with pytest.raises(ScenarioError, match="the model's code or the package version differs"):
        run_sweep(changed, tmp_path / "out", InProcess(), resume=True)

    # the digest follows the model's code, and only it
    package = Path(__import__("sim").__file__).parent
    copy = tmp_path / "sim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert code_digest(copy) == code_digest(package)
    (copy / "cli" / "run.py").write_text("# the command line does not decide a run\n")
    assert code_digest(copy) == code_digest(package)
    mechanism = copy / "mechanisms" / "practice.py"
    mechanism.write_text(mechanism.read_text() + "\n# a changed mechanism\n")
    assert code_digest(copy) != code_digest(package)


def test_results_are_identical_across_executors_and_worker_counts(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from sim.parallel.dask import DaskBackend

    plan = resolve(write_experiment(tmp_path))
    run_sweep(plan, tmp_path / "one", InProcess())
    run_sweep(plan, tmp_path / "two", LocalProcesses(2))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        report = run_sweep(plan, tmp_path / "dask", DaskBackend(client))
    assert report.completed == 18
    one = comparable(tmp_path / "one")
    for other in ("two", "dask"):
        runs, series = comparable(tmp_path / other)
        pd.testing.assert_frame_equal(one[0], runs)
        pd.testing.assert_frame_equal(one[1], series)
    assert len(one[1]) == 18 * 6  # years 0..5 for every run
    assert read_manifest(tmp_path / "dask")["sessions"][0]["executor"].startswith("Dask at ")


def test_failures_on_dask_are_recorded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster

    import sim.jobs as jobs
    from sim.parallel.dask import DaskBackend

    def broken(job: Job, runs: list[Run]):
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "_run_batch", broken)  # the cluster's workers are threads of this process
    text = TINY_EXPERIMENT.replace("values: [0.0, 0.5, 1.0]", "values: [0.0]")
    plan = resolve(write_experiment(tmp_path, text))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        report = run_sweep(plan, tmp_path / "out", DaskBackend(client))
    assert (report.completed, report.failed) == (0, 6)
    assert (read_runs(tmp_path / "out")["error"].str.startswith("RuntimeError: boom")).all()


def test_figures_for_one_and_two_parameters(tmp_path: Path) -> None:
    from sim.analysis.sweep_plots import plot_sweep
    from sim.analysis.sweep_summary import point_summary

    plan = resolve(write_experiment(tmp_path))
    run_sweep(plan, tmp_path / "out", InProcess())
    runs = read_runs(tmp_path / "out")
    summary = point_summary(runs, plan.parameters, plan.outcomes)
    assert len(summary) == 9 and (summary["runs"] == 2).all()
    assert (summary["practising_share_low"] <= summary["practising_share"]).all()
    two = plot_sweep(runs, plan.parameters, plan.outcomes, tmp_path / "fig2", "t")
    assert {p.name for p in two} == {f"heatmap_{o}.png" for o in [*plan.outcomes, "tipped"]} | {"frontier_tipped.png"}
    one = plot_sweep(runs, plan.parameters[:1], plan.outcomes, tmp_path / "fig1", "t")
    assert [p.name for p in one] == ["curves_placement_clustering.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in [*one, *two])


KILL_A_WORKER = """\
import sys
from pathlib import Path
import pandas as pd
from sim.parallel.processes import InProcess, LocalProcesses
from sim.sweep import resolve, run_sweep
from tests.test_sweep import comparable

plan, folder = resolve(sys.argv[1]), Path(sys.argv[2])
executor, pools, killed = LocalProcesses(2), [], []
start_pool = executor._pool

def counted_pool():
    pools.append(start_pool())
    return pools[-1]

def kill_a_worker(result):
    workers = list((pools[-1][0]._processes or {}).values())  # none yet while a launcher starts them
    if workers and not killed:
        workers[0].kill()
        killed.append(workers[0].pid)

executor._pool = counted_pool
report = run_sweep(plan, folder / "out", executor, on_result=kill_a_worker, runs_per_batch=2)
print("forked:", pools[0][1], "killed:", len(killed), "pools:", len(pools))
print("runs:", report.completed, report.missing, len(report.lost))
run_sweep(plan, folder / "whole", InProcess())
pd.testing.assert_frame_equal(comparable(folder / "whole")[0], comparable(folder / "out")[0])
print("the same as a sweep in one process")
"""


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "from the launcher"])
def test_a_local_worker_killed_mid_sweep_is_replaced_and_its_runs_queued_again(tmp_path: Path, fork: bool) -> None:
    """In a process of its own: the workers are forked from it (as a command's are) unless told not to; a test
    worker of pytest-xdist runs threads, beside which they would always come from the launcher."""
    from sim.parallel.forking import NO_FORK_ENV

    path = write_experiment(tmp_path)
    result = subprocess.run([sys.executable, "-c", KILL_A_WORKER, str(path), str(tmp_path)], capture_output=True,
                            text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT), NO_FORK_ENV: "" if fork else "1"})
    assert result.returncode == 0, result.stderr
    assert f"forked: {fork} killed: 1 pools: 2" in result.stdout, result.stdout + result.stderr  # replaced
    assert "runs: 18 0 0" in result.stdout
    assert "the same as a sweep in one process" in result.stdout


def test_categorical_parameters_keep_their_types_and_plot(tmp_path: Path) -> None:
    from sim.analysis.sweep_plots import plot_sweep

    text = """\
scenario: tiny.yaml
parameters:
  - key: careers.enabled
    values: [true, false]
  - key: tipping.metric
    values: [practising_share, leadership_index]
replicates: 2
outcomes: [practising_share]
"""
    plan = resolve(write_experiment(tmp_path, text))
    run_sweep(plan, tmp_path / "out", InProcess())
    runs = read_runs(tmp_path / "out")
    assert runs["careers.enabled"].dtype == bool
    assert set(runs["tipping.metric"]) == {"practising_share", "leadership_index"}
    assert len(read_series(tmp_path / "out")) == 8 * 6
    paths = plot_sweep(runs, ["tipping.metric"], plan.outcomes, tmp_path / "fig", "t")
    assert paths and paths[0].exists()


def test_a_balance_that_would_go_negative_is_refused_before_running(tmp_path: Path) -> None:
    text = TINY_EXPERIMENT.replace("range: {start: 0.0, stop: 0.2, step: 0.1}", "values: [0.1, 0.6]")
    problems = problems_of(write_experiment(tmp_path, text))
    problem = problems["alumni.stages.1.roles.classroom"]
    assert problem.line == 8 and problem.value == -0.1
    assert "balances alumni.stages.1.roles.school_leader" in problem.message


def test_compaction_keeps_every_result_and_resume_still_finds_them(tmp_path: Path) -> None:
    from sim.sweep.compact import compact

    plan = resolve(write_experiment(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, tmp_path / "out", StopAfter(9), flush_seconds=0, runs_per_batch=1)
    before = comparable(tmp_path / "out")
    assert len(list((tmp_path / "out" / RUNS).glob("part-*.parquet"))) == 9
    done = compact(tmp_path / "out", rows_per_part=4)
    assert (done.parts_before, done.parts_after, done.runs) == (9, 3, 9)
    pd.testing.assert_frame_equal(before[0], comparable(tmp_path / "out")[0])
    pd.testing.assert_frame_equal(before[1], comparable(tmp_path / "out")[1])
    report = run_sweep(plan, tmp_path / "out", InProcess(), resume=True)
    assert (report.skipped, report.completed) == (9, 9)
    pd.testing.assert_frame_equal(comparable(tmp_path / "out")[0], _whole(plan, tmp_path))


@pytest.mark.parametrize("crash_after", ["series merged", "runs merged", "one part removed"])
def test_a_compaction_killed_midway_leaves_no_duplicate_on_disk_once_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_after: str,
) -> None:
    """Readers that do not drop duplicates (DuckDB, pd.read_parquet on runs/) see each run once after the
    next --resume or compaction, wherever the crash landed."""
    import sim.sweep.compact as compaction

    plan = resolve(write_experiment(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, tmp_path / "out", StopAfter(6), flush_seconds=0, runs_per_batch=1)
    before = comparable(tmp_path / "out")
    merge, remove = compaction._merge, compaction._remove

    def crashing_merge(parts: list[Path], target: Path) -> None:
        merge(parts, target)
        if (crash_after, target.parent.name) in (("series merged", SERIES), ("runs merged", RUNS)):
            raise KeyboardInterrupt

    def crashing_remove(directory: Path, names: list[str]) -> None:
        (directory / RUNS / names[0]).unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr(compaction, "_merge", crashing_merge)
    monkeypatch.setattr(compaction, "_remove", crashing_remove if crash_after == "one part removed" else remove)
    with pytest.raises(KeyboardInterrupt):
        compaction.compact(tmp_path / "out", rows_per_part=100)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(before[0], comparable(tmp_path / "out")[0])  # readers drop the duplicates
    pd.testing.assert_frame_equal(before[1], comparable(tmp_path / "out")[1])
    run_sweep(plan, tmp_path / "out", InProcess(), resume=True)
    on_disk = pd.read_parquet(tmp_path / "out" / RUNS)
    assert on_disk["run_id"].is_unique and len(on_disk) == plan.total_runs
    series = pd.read_parquet(tmp_path / "out" / SERIES)
    assert not series.duplicated(["run_id", "year"]).any()
    assert not list((tmp_path / "out" / RUNS).glob(".compacting-*"))
    pd.testing.assert_frame_equal(comparable(tmp_path / "out")[0], _whole(plan, tmp_path))
    # the series too: a compaction that merged the runs before the series, killed between the two, would
    # leave merged runs whose series part was never written; the journal then drops the parts that held them
    pd.testing.assert_frame_equal(comparable(tmp_path / "out")[1], comparable(tmp_path / "whole")[1])


def test_a_design_points_interval_is_students_t_and_tipped_is_wilsons() -> None:
    from scipy import stats

    from sim.analysis.compare import wilson
    from sim.analysis.sweep_summary import point_summary

    rng = np.random.default_rng(3)
    values = rng.normal(0.4, 0.1, 7)
    runs = pd.DataFrame({"point_id": 0, "status": "ok", "x": 1.5, "metric": values,
                         "tipped": [True, False, True, True, False, False, True]})
    row = point_summary(runs, ["x"], ["metric"]).iloc[0]
    low, high = stats.t.interval(0.95, 6, loc=values.mean(), scale=stats.sem(values))
    assert row["metric"] == pytest.approx(values.mean(), abs=1e-15)
    assert (row["metric_low"], row["metric_high"]) == pytest.approx((low, high), abs=1e-12)
    assert (row["tipped_low"], row["tipped_high"]) == pytest.approx(wilson(4, 7), abs=1e-15)
    assert row["runs"] == 7 and row["x"] == 1.5


def test_batches_are_sized_by_the_biggest_design_point_however_late_it_comes(tmp_path: Path) -> None:
    from sim.jobs import batch_size
    from sim.sweep.session import plan_batch_size

    # 1,200 small points first, then 1,200 big ones: the big ones decide how many systems a batch may hold
    path = write_experiment(tmp_path, """\
name: sizes
scenario: tiny.yaml
parameters:
  - key: system.schools_per_district
    values: [5, 60]
  - key: placement.clustering
    range: {start: 0.0, stop: 1.0, step: 0.0008333333333333334}
replicates: 1
""")
    plan = resolve(path)
    assert len(plan.points) > 2000
    firsts, big = [plan.scenario(p.index) for p in plan.points[:1000]], [plan.scenario(len(plan.points) - 1)]
    assert {s.system.schools_per_district for s in firsts} == {5}, "the design's first thousand are all small"
    budget, runs = 64 * 1024**2, plan.total_runs
    assert plan_batch_size(plan, runs, 1, budget) == batch_size(big, plan.years, runs, 1, budget)
    assert plan_batch_size(plan, runs, 1, budget) < batch_size(firsts, plan.years, runs, 1, budget)
