"""critical-mass calibrate: the file's validation, what targets measure, batched evaluation, the ABC run end to
end (reproducible on 1 or 2 workers, resumable after kill -9), and a small simulation-based calibration."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from click.testing import CliRunner

from sim.calibration.evaluate import simulate
from sim.calibration.outcomes import OutcomeError, parse_outcome
from sim.calibration.schema import load_calibration
from sim.cli import app
from sim.cli.common import fail_cleanly
from sim.engine import Batch
from sim.parallel import local
from sim.scenario import Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
TINY = {"years": 6, "system": {"districts": 2, "schools_per_district": 5, "teachers_per_school": 8},
        "programme": {"cohort_size": 10, "cohorts": 4}}
GOOD = {
    "name": "tiny", "scenario": "tiny.yaml",
    "parameters": [{"key": "alumni.exit_rate", "between": [0.0, 0.25]},
                   {"key": "programme.practise_on_arrival", "between": [0.3, 1.0]}],
    "targets": [{"outcome": "alumni_in_education_share", "value": 0.7, "sd": 0.05},
                {"outcome": "fellow_class_effect", "year": 3, "value": 0.07, "sd": 0.01}],
    "populations": 2, "population_size": 20,
}


def write(folder: Path, calibration: dict, scenario: dict | None = None) -> Path:
    (folder / "tiny.yaml").write_text(yaml.safe_dump(scenario or TINY), encoding="utf-8")
    path = folder / "calibration.yaml"
    path.write_text(yaml.safe_dump(calibration, sort_keys=False), encoding="utf-8")
    return path


class _AsMain:
    """The app as `critical-mass` runs it (sim.cli.main): known errors become messages and exit code 2."""

    name = "critical-mass"

    def main(self, *args: object, **kwargs: object) -> object:
        with fail_cleanly():
            return typer.main.get_command(app).main(*args, **kwargs)


def calibrate(*args: str) -> object:
    return CliRunner().invoke(_AsMain(), ["calibrate", *args])  # type: ignore[arg-type]


# --- the file -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change, message", [
    ({"targets": [{"outcome": "alumni_schol_leader", "value": 1, "sd": 1}]}, "did you mean 'alumni_school_leader'"),
    ({"targets": [{"outcome": "districts.practising_share[Nowhere]", "value": 1, "sd": 1}]}, "no district 'Nowhere'"),
    ({"targets": [{"outcome": "roles.alumni[pilot]", "value": 1, "sd": 1}]}, "the role must be one of"),
    ({"targets": [{"outcome": "practising_share", "year": 9, "value": 1, "sd": 1}]}, "the runs last 6 years"),
    ({"targets": [{"outcome": "practising_share", "value": 1, "sd": 0}]}, "greater than 0"),
    ({"parameters": [{"key": "alumni.exit_rte", "between": [0, 1]}]}, "no such scenario key"),
    ({"parameters": [{"key": "alumni.exit_rate", "between": [0.5, 0.1]}]}, "low < high"),
    ({"parameters": [{"key": "alumni.stages.1.roles.school_leader", "between": [0.0, 0.2]}]}, "must sum to 1"),
    ({"parameters": [{"key": "alumni.stages.1.roles.school_leader", "between": [0.0, 0.6],
                      "balance": "alumni.stages.1.roles.outside"}]}, "narrow `between`"),
    ({"replicats": 2}, "did you mean 'replicates'"),
])
def test_a_bad_file_is_reported_with_its_line_and_exit_code_2(tmp_path: Path, change: dict, message: str) -> None:
    path = write(tmp_path, {**GOOD, **change})
    result = calibrate(str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert f"{path}:" in result.output  # file:line
    assert not (tmp_path / "out").exists()


def test_outcome_syntax() -> None:
    both = "alumni_district_official + alumni_ministry"
    assert str(parse_outcome(both)) == both
    assert parse_outcome("districts.practising_share[Huari]").terms[0].arg == "Huari"
    assert parse_outcome("member_teacher_share[most_disadvantaged:0.33]").needs_state
    for bad in ("member_teacher_share", "member_teacher_share[most_disadvantaged:2]", "founders[x]",
                "districts.practising_share", "alumni_school_leader +"):
        with pytest.raises(OutcomeError):
            parse_outcome(bad)


def test_a_balanced_share_keeps_the_stage_summing_to_one(tmp_path: Path) -> None:
    prior = {"key": "alumni.stages.1.roles.school_leader", "between": [0.0, 0.2],
             "balance": "alumni.stages.1.roles.outside"}
    path = write(tmp_path, {**GOOD, "parameters": [prior]})
    loaded = load_calibration(path)
    scenario = loaded.scenario({"alumni.stages.1.roles.school_leader": 0.15})
    roles = scenario.alumni.stages[1].roles
    assert roles.school_leader == 0.15
    base = Scenario().alumni.stages[1].roles
    assert roles.outside == pytest.approx(base.outside - (0.15 - base.school_leader))
    assert sum(roles.model_dump().values()) == pytest.approx(1.0)


# --- what targets measure -----------------------------------------------------------------------------


def _measure(scenario: Scenario, outcomes: list[tuple[str, int]], seeds: list[int]) -> np.ndarray:
    values, _ = simulate([scenario] * len(seeds), np.array([[s] for s in seeds]), scenario.years, outcomes, local(1))
    return values[:, 0, :]


def test_frame_outcomes_are_the_frames_values_and_sums_add() -> None:
    scenario = Scenario.from_dict(TINY)
    measured = _measure(scenario, [("alumni_school_leader", 6), ("districts.practising_share[D2]", 4),
                                   ("roles.alumni[classroom] + alumni_outside", 6)], [3, 4])
    batch = Batch([scenario, scenario], [3, 4])
    batch.run()
    yearly, districts = batch.yearly(), batch.districts()
    for b in range(2):
        last = yearly[(yearly.system == b) & (yearly.year == 6)].iloc[0]
        assert measured[b, 0] == last["alumni_school_leader"]
        row = districts[(districts.system == b) & (districts.year == 4) & (districts.district == "D2")].iloc[0]
        assert measured[b, 1] == row["practising_share"]
        assert measured[b, 2] == last["alumni_classroom"] + last["alumni_outside"]


def test_derived_outcomes_match_their_definitions() -> None:
    scenario = Scenario.from_dict(TINY).with_overrides({"alumni.exit_rate": 0.1})
    measured = _measure(scenario, [("alumni_in_education_share", 6), ("member_teacher_share[all]", 6),
                                   ("founders", 6)], [5])[0]
    batch = Batch([scenario], [5])
    batch.run()
    last = batch.yearly().iloc[-1]
    staying = sum(last[f"alumni_{r}"] for r in ("classroom", "school_leader", "district_official", "ministry",
                                                 "nonprofit"))
    assert measured[0] == pytest.approx(staying / (staying + last["alumni_outside"] + last["alumni_gone"]))
    posts = batch.state.posts
    assert measured[1] == pytest.approx((posts.member >= 0).mean())
    assert measured[2] == (batch.state.members.founded_partner >= 0).sum()


def test_a_fellow_class_effect_is_the_programme_teacher_effect_when_every_fellow_practises() -> None:
    # fellows who all practise and never lapse, and no credit for other practising teachers: the within-school
    # difference a fellow's class makes is exactly students.programme_teacher_effect
    scenario = Scenario.from_dict(TINY).with_overrides({
        "programme.practise_on_arrival": 1.0, "contagion.lapse_rate": 0.0, "students.peer_practice_effect": 0.0,
        "students.programme_teacher_effect": 0.11,
    })
    assert _measure(scenario, [("fellow_class_effect", 2)], [1, 2]) == pytest.approx(0.11)
    halved = scenario.with_overrides({"programme.practise_on_arrival": 0.5})
    assert 0.02 < _measure(halved, [("fellow_class_effect", 1)], [1])[0, 0] < 0.09


def test_batched_evaluation_equals_runs_alone_and_does_not_depend_on_workers() -> None:
    scenarios = [Scenario.from_dict(TINY).with_overrides({"alumni.exit_rate": x}) for x in (0.0, 0.1, 0.2)]
    seeds = np.array([[11, 12], [13, 14], [15, 16]])
    measures = [("alumni_in_education_share", 6), ("fellow_class_effect", 2)]
    together, _ = simulate(scenarios, seeds, 6, measures, local(1))
    on_two, _ = simulate(scenarios, seeds, 6, measures, local(2))
    alone = np.array([[simulate([s], np.array([[seed]]), 6, measures, local(1))[0][0, 0] for seed in row]
                      for s, row in zip(scenarios, seeds, strict=True)])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(together, on_two)


# --- the ABC run ----------------------------------------------------------------------------------------


def test_more_workers_than_a_population_has_runs_start_no_more_processes(tmp_path: Path) -> None:
    """--workers 100000000 would have started that many processes; workers beyond a population's runs get none."""
    from sim.calibration.runner import settings_for
    from sim.cli.calibrate import local_workers

    loaded = load_calibration(write(tmp_path, {**GOOD, "population_size": 10, "replicates": 2}))
    settings = settings_for(loaded, None, None, None)
    assert local_workers(loaded, settings, 100_000_000, "calibration.yaml") == 20
    assert local_workers(loaded, settings, 3, "calibration.yaml") == 3


def test_calibrate_end_to_end_and_the_same_posterior_on_one_or_two_workers(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    one = calibrate(str(path), "--out", str(tmp_path / "one"), "--workers", "1", "--seed", "4")
    assert one.exit_code == 0, one.output
    assert "temperature reached 1" in one.output
    two = calibrate(str(path), "--out", str(tmp_path / "two"), "--workers", "2", "--seed", "4")
    assert two.exit_code == 0, two.output
    a = pd.read_parquet(tmp_path / "one" / "posterior.parquet")
    b = pd.read_parquet(tmp_path / "two" / "posterior.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["alumni.exit_rate", "programme.practise_on_arrival", "weight"]
    assert len(a) == 20 and a["weight"].sum() == pytest.approx(1.0, abs=1e-12) and (a["weight"] > 0).all()
    folder = tmp_path / "one"
    for name in ("history.db", "calibration.yaml", "scenario.yaml", "run.json", "diagnostics.csv", "parameters.csv",
                 "predictive.csv", "particles.parquet", "report.html", "figures/marginals.png", "figures/pairs.png",
                 "figures/predictive.png"):
        assert (folder / name).is_file(), name
    assert (folder / "calibration.yaml").read_text() == path.read_text()
    assert Scenario.from_dict(yaml.safe_load((folder / "scenario.yaml").read_text())).system.districts == 2
    diagnostics = pd.read_csv(folder / "diagnostics.csv")
    assert diagnostics["epsilon"].iloc[-1] == 1.0 and diagnostics["epsilon"].is_monotonic_decreasing
    assert ((diagnostics["acceptance_rate"] > 0) & (diagnostics["acceptance_rate"] <= 1)).all()
    assert (diagnostics["ess"] <= 20 + 1e-9).all()
    page = (folder / "report.html").read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace("http-equiv", "")


def test_an_existing_folder_needs_resume_and_resume_needs_the_same_file(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOOD, "populations": 1, "population_size": 10})
    out = str(tmp_path / "out")
    drawn = [tmp_path / "out" / "figures" / f"{name}.png" for name in ("marginals", "pairs", "predictive",
                                                                       "populations")]
    assert calibrate(str(path), "--out", out, "--workers", "1", "--no-figures").exit_code == 0
    assert not any(p.exists() for p in drawn)
    assert "Not drawn (--no-figures)" in (tmp_path / "out" / "report.html").read_text()
    again = calibrate(str(path), "--out", out)
    assert again.exit_code == 2 and "--resume" in again.output
    finished = calibrate(str(path), "--out", out, "--resume", "--workers", "1")
    assert finished.exit_code == 0 and json.loads((tmp_path / "out" / "run.json").read_text())["sittings"][1][
        "model_runs"] == 0  # nothing left to run
    assert all(p.is_file() for p in drawn), "resuming a finished calibration draws what it did not"
    assert "Not drawn" not in (tmp_path / "out" / "report.html").read_text()
    assert calibrate(str(path), "--out", out, "--resume", "--workers", "1", "--no-figures").exit_code == 0
    assert not any(p.exists() for p in drawn), "figures of an earlier sitting are not left beside a newer posterior"
    # a different seed gives a different posterior
    other = calibrate(str(path), "--out", str(tmp_path / "other"), "--workers", "1", "--seed", "5", "--no-figures")
    assert other.exit_code == 0, other.output
    assert not pd.read_parquet(tmp_path / "other" / "posterior.parquet").equals(
        pd.read_parquet(tmp_path / "out" / "posterior.parquet"))
    assert calibrate(str(path), "--out", out, "--resume", "--seed", "9").exit_code == 2
    write(tmp_path, {**GOOD, "populations": 1, "population_size": 11})
    changed = calibrate(str(path), "--out", out, "--resume")
    assert changed.exit_code == 2 and "has changed" in changed.output
    assert calibrate(str(path), "--out", str(tmp_path / "nothing"), "--resume").exit_code == 2
    # another command's results, or a user's files: never mixed with a calibration's
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "report.html").write_text("a run's report", encoding="utf-8")
    mixed = calibrate(str(path), "--out", str(tmp_path / "theirs"), "--workers", "1")
    assert mixed.exit_code == 2 and "holds other files (report.html)" in mixed.output, mixed.output
    assert [p.name for p in (tmp_path / "theirs").iterdir()] == ["report.html"]


def _kill_after(folder: Path, process: subprocess.Popen, population: int) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(folder / "history.db") as db:
                done = db.execute("select max(t) from populations").fetchone()[0]
        except sqlite3.Error:
            continue
        if done is not None and done >= population:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return
    pytest.fail("the calibration ended before it could be killed")


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_posterior(tmp_path: Path) -> None:
    """A calibration killed with SIGKILL after its first population, then resumed, ends with the posterior of an
    uninterrupted run with the same seed, and does not run the finished population again. The killed folder is
    resumed twice, as it is and as a copy with the next population's state removed, as if the kill had landed
    between pyabc storing population 0 and that state being saved: the resume replays that step from the saved
    sample."""
    path = write(tmp_path, {**GOOD, "populations": 3, "population_size": 20})
    whole = calibrate(str(path), "--out", str(tmp_path / "whole"), "--workers", "1", "--seed", "8", "--no-figures")
    assert whole.exit_code == 0, whole.output
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "sim", "calibrate", str(path), "--out", str(killed), "--workers", "2",
               "--seed", "8", "--no-figures"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _kill_after(killed, process, 0)
    with sqlite3.connect(killed / "history.db") as db:
        stored = db.execute("select max(t) from populations").fetchone()[0]
    lost_state = tmp_path / "killed_before_the_state_was_saved"
    shutil.copytree(killed, lost_state)
    (lost_state / "state" / f"t{stored + 1}.pkl").unlink(missing_ok=True)
    total = json.loads((tmp_path / "whole" / "run.json").read_text())["model_runs"]
    for folder in (killed, lost_state):
        resumed = calibrate(str(path), "--out", str(folder), "--resume", "--workers", "1", "--no-figures")
        assert resumed.exit_code == 0, f"{folder.name}: {resumed.output}"
        pd.testing.assert_frame_equal(pd.read_parquet(folder / "particles.parquet"),
                                      pd.read_parquet(tmp_path / "whole" / "particles.parquet"))
        run = json.loads((folder / "run.json").read_text())
        assert len(run["sittings"]) == 1, folder.name  # the killed sitting never finished, so it recorded nothing
        assert run["sittings"][0]["model_runs"] < total, folder.name  # the stored population was not run again


# --- simulation-based calibration (benchmarks/calibration_sbc.py runs the full check) --------------------


@pytest.mark.slow
def test_simulation_based_calibration_small(tmp_path: Path) -> None:
    """Three synthetic problems: the 90% intervals hold the true values, and are narrower than the prior
    (a posterior that ignored the data would also cover the truth)."""
    from sim.calibration.check import solve, synthetic_problem

    backend = local(1)
    solved = [solve(synthetic_problem(tmp_path, i, 31, backend, populations=3, population_size=40), backend)
              for i in range(3)]
    covered = [c for s in solved for c in s.covered.values()]
    assert sum(covered) >= 4, [s.covered for s in solved]
    widths = [w for s in solved for w in s.width_share.values()]
    assert np.mean(widths) < 0.7, widths
    assert all(s.last_epsilon == 1.0 for s in solved)


@pytest.mark.parametrize("name", ["london_roles", "tfi_retention", "first_year_effect"])
def test_shipped_calibrations_are_valid_and_cite_a_source_for_every_target(name: str) -> None:
    loaded = load_calibration(ROOT / "calibrations" / f"{name}.yaml")
    assert all("literature.md" in t.source for t in loaded.calibration.targets)


def test_the_default_folder_is_made_safe_from_the_calibrations_name(tmp_path: Path) -> None:
    """A shared file cannot choose where results go: its name becomes a folder under results/calibrations/."""
    import os

    path = write(tmp_path, {**GOOD, "name": "../../escaped"})
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = calibrate(str(path), "--resume")  # nothing to resume: stops before any run, naming the folder
    finally:
        os.chdir(previous)
    assert result.exit_code == 2, result.output
    assert f"{Path('results') / 'calibrations' / '_.._escaped'} holds no calibration to resume" in result.output


def test_a_collapsing_acceptance_rate_stops_cleanly_whatever_the_rate(tmp_path: Path) -> None:
    """pyabc caps a population at population_size / min_acceptance_rate candidates, here 33.3: the stop is
    the documented one (exit 1, finished work kept), not a crash on the last third of a candidate."""
    path = write(tmp_path, {**GOOD, "populations": 4, "population_size": 10, "min_acceptance_rate": 0.3,
                            "targets": [{"outcome": "alumni_in_education_share", "value": 0.999, "sd": 0.0005},
                                        {"outcome": "fellow_class_effect", "year": 3, "value": 0.5, "sd": 0.0005}]})
    result = calibrate(str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--seed", "1", "--no-figures")
    assert result.exit_code == 1, result.output
    assert "stopped: the acceptance rate fell below min_acceptance_rate 0.3" in result.output
    assert "nan" not in result.output
    assert json.loads((tmp_path / "out" / "run.json").read_text())["status"].startswith("stopped:")


def test_resume_refuses_a_changed_base_scenario_or_model_code(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOOD, "populations": 1, "population_size": 10})
    out = str(tmp_path / "out")
    assert calibrate(str(path), "--out", out, "--workers", "1", "--no-figures").exit_code == 0
    assert calibrate(str(path), "--out", out, "--resume", "--workers", "1", "--no-figures").exit_code == 0  # resumes
    run_file = tmp_path / "out" / "run.json"
    run = json.loads(run_file.read_text())
    run_file.write_text(json.dumps({**run, "versions": {**run["versions"], "model": "0.1.0+000000000000"}}))
    other_code = calibrate(str(path), "--out", out, "--resume")
    assert other_code.exit_code == 2 and "the model's code has changed" in other_code.output
    run_file.write_text(json.dumps(run))
    write(tmp_path, {**GOOD, "populations": 1, "population_size": 10}, {**TINY, "years": TINY["years"] + 1})
    changed = calibrate(str(path), "--out", out, "--resume")
    assert changed.exit_code == 2 and "base scenario" in changed.output and "has changed" in changed.output


@pytest.mark.parametrize("outcome", ["fellow_class_effect", "alumni_in_education_share"])
def test_a_target_with_no_value_at_its_year_is_refused_before_anything_runs(tmp_path: Path, outcome: str) -> None:
    """Year 0, before any cohort has taught or left: every candidate would be rejected, and the first population
    would never fill (the command ran forever); it is a located error instead."""
    targets = [{"outcome": outcome, "year": 0, "value": 0.5, "sd": 0.1}]
    path = write(tmp_path, {**GOOD, "targets": targets})
    result = calibrate(str(path), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.exit_code == 2, result.output
    assert f"{outcome} has no value at year 0" in result.output and "calibration.yaml:" in result.output
    assert not (tmp_path / "out").exists()


def test_with_many_parameters_the_corners_that_share_a_balance_are_still_all_checked(tmp_path: Path) -> None:
    """Ten parameters (1,024 corners): the two shares balanced by the classroom share are each fine alone
    at their high ends, but together they would take more than the classroom has; that corner is checked."""
    shares = [{"key": f"alumni.stages.1.roles.{role}", "between": [low, 0.3],
               "balance": "alumni.stages.1.roles.classroom"}
              for role, low in (("school_leader", 0.05), ("district_official", 0.04))]
    others = [{"key": key, "between": [0.1, 0.2]} for key in (
        "contagion.spontaneous_adoption", "contagion.lapse_rate", "teachers.strength_mean", "teachers.orientation_mean",
        "teachers.rootedness_mean", "careers.turnover", "alumni.exit_rate", "alumni.mobility")]
    path = write(tmp_path, {**GOOD, "parameters": shares + others})
    with pytest.raises(ScenarioError, match="classroom"):
        load_calibration(path)
    from sim.calibration.schema import prior_corners

    priors = load_calibration(write(tmp_path, {**GOOD, "parameters": shares[:1] + others})).calibration.parameters
    assert len(prior_corners(list(priors))) <= 2 * 256 + 2 * len(priors)
