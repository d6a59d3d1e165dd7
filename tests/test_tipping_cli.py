"""`critical-mass tipping ...` end to end: a tiny sweep made here, each subcommand on a tiny scenario, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.parallel import local
from sim.sweep import resolve, run_sweep
from sim.sweep.store import read_runs
from tests.helpers import cli

# a system of 3 districts x 6 small schools: a run takes a few hundredths of a second
TINY = """\
name: tiny
years: 6
system: {districts: 3, schools_per_district: 6, teachers_per_school: 8}
programme: {cohort_size: 6, cohorts: 4}
placement: {districts: most_disadvantaged, district_count: 1, clustering: 0.8}
tipping: {metric: practising_share, level: 0.5, scope: most_disadvantaged, district_count: 1}
"""

EXPERIMENT = """\
name: {name}
scenario: tiny.yaml
parameters:
  - key: programme.cohort_size
    values: [0, 2, 4, 6, 8, 10]
{more}replicates: {replicates}
seed: 5
outcomes: [tipping_metric, practising_share, achievement_gap]
"""
SCHOOL_LEADERS = """\
  - key: alumni.stages.1.roles.school_leader
    values: [0.0, 0.2]
    balance: alumni.stages.1.roles.classroom
"""
SUPPORT = """\
  - key: support.district
    values: [0.1, 0.2]
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tipping")
    (root / "tiny.yaml").write_text(TINY, encoding="utf-8")
    experiments = {"scale": ("", 6), "two": (SCHOOL_LEADERS, 4), "three": (SCHOOL_LEADERS + SUPPORT, 1)}
    for name, (more, replicates) in experiments.items():
        text = EXPERIMENT.format(name=f"tiny_{name}", more=more, replicates=replicates)
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    # points from a table: the keys vary, but over no range to search or screen
    (root / "points.csv").write_text("programme.cohort_size,support.district\n2,0.1\n8,0.2\n", encoding="utf-8")
    (root / "table.yaml").write_text("name: tiny_table\nscenario: tiny.yaml\ndesign: table\npoints: points.csv\n",
                                     encoding="utf-8")
    for name in ("scale", "two", "three"):
        run_sweep(resolve(root / f"{name}.yaml"), root / f"sweep_{name}", local(1))
    return root


def test_tipping_points_from_a_one_parameter_sweep(folder: Path) -> None:
    result = cli("tipping", "points", "sweep_scale", cwd=folder)
    assert result.exit_code == 0, result.output
    assert "P(tipped)" in result.stdout and "Tipping points in programme.cohort_size" in result.stdout
    assert "seed noise only" in result.stdout
    table = pd.read_csv(folder / "sweep_scale" / "tipping" / "tipping_points.csv")
    assert list(table["outcome"]) == ["tipped", "tipping_metric", "practising_share", "achievement_gap"]
    points = pd.read_parquet(folder / "sweep_scale" / "tipping" / "points.parquet")
    assert {"programme.cohort_size", "p_tipped", "p_tipped_low", "p_tipped_high"} <= set(points.columns)
    assert (folder / "sweep_scale" / "tipping" / "tipping_programme_cohort_size.png").stat().st_size > 0
    summary = json.loads((folder / "sweep_scale" / "tipping" / "summary.json").read_text())
    assert summary["uncertainty"].startswith("seed noise only")
    knees = pd.read_csv(folder / "sweep_scale" / "tipping" / "knees.csv")
    assert set(knees["outcome"]) <= {"practising_share", "achievement_gap"} and len(knees)
    assert all("seed noise only" in s for s in knees["sentence"])


def test_the_boundary_of_a_two_parameter_sweep(folder: Path) -> None:
    result = cli("tipping", "points", "sweep_two", "--out", "boundary", cwd=folder)
    assert result.exit_code == 0, result.output
    levels = pd.read_csv(folder / "boundary" / "boundary_levels.csv")
    assert list(levels["alumni.stages.1.roles.school_leader"]) == [0.0, 0.2]
    assert (folder / "boundary" / "boundary_programme_cohort_size.png").exists()


def test_search_converges_and_says_so(folder: Path) -> None:
    search = cli("tipping", "search", "scale.yaml", "--key", "programme.cohort_size", "--tolerance", "4",
                 "--workers", "1", "--out", "search", cwd=folder)
    assert search.exit_code == 0, search.output
    summary = json.loads((folder / "search" / "summary.json").read_text())
    assert summary["converged"] and summary["ci"][1] - summary["ci"][0] <= 4
    assert summary["runs"] == len(pd.read_parquet(folder / "search" / "runs.parquet"))
    assert "Runs used:" in search.stdout
    short = cli("tipping", "search", "scale.yaml", "--key", "programme.cohort_size", "--tolerance", "0.01",
                "--max-runs", "60", "--workers", "1", "--out", "short", cwd=folder)
    assert short.exit_code == 1 and "NOT converged" in short.stdout


def test_discovery_finds_the_box_of_runs_that_tipped(folder: Path) -> None:
    result = cli("tipping", "discover", "sweep_three", "--out", "discover", cwd=folder)
    assert result.exit_code == 0, result.output
    assert "finished runs" in result.stdout and "seed noise only" in result.stdout
    summary = json.loads((folder / "discover" / "prim_summary.json").read_text())
    assert summary["cases"] == len(read_runs(folder / "sweep_three"))
    boxes = pd.read_csv(folder / "discover" / "prim_boxes.csv")
    # tipping needs fellows (none tip below 4 a year here): the first box restricts the cohort from below,
    # and holds every run that tipped
    first = boxes[boxes["box"] == 0]
    cohort = first[first["parameter"] == "programme.cohort_size"]
    assert len(cohort) == 1 and 2 < cohort["low"].iloc[0] <= 4 and np.isnan(cohort["high"].iloc[0])
    assert first["coverage"].iloc[0] == 1.0
    by_level = cli("tipping", "discover", "sweep_three", "--outcome", "practising_share", "--above", "0.2",
                   "--method", "cart", "--out", "cart", cwd=folder)
    assert by_level.exit_code == 0, by_level.output
    assert (folder / "cart" / "cart_boxes.csv").exists()
    flagged = cli("tipping", "points", "sweep_three", "--discover", "--out", "flagged", cwd=folder)
    assert flagged.exit_code == 0, flagged.output
    assert (folder / "flagged" / "prim_summary.json").exists()


def test_the_tipping_point_over_plausible_worlds(folder: Path) -> None:
    result = cli("tipping", "search", "scale.yaml", "--key", "programme.cohort_size", "--worlds", "10",
                 "--steps", "4", "--replicates", "2", "--confidence", "0.9", "--workers", "1", "--out", "worlds",
                 cwd=folder)
    assert result.exit_code == 0, result.output
    assert "seed noise only" in result.stdout  # the scenario's own values
    assert "seed noise and the assumptions' plausible ranges" in result.stdout  # across worlds
    summary = json.loads((folder / "worlds" / "summary.json").read_text())
    assert summary["worlds"] == 10 and summary["grid"] == [0, 3, 7, 10]
    assert summary["confidence"] == 0.9, "--confidence sets the intervals over worlds too"
    points = pd.read_csv(folder / "worlds" / "tipping_points.csv")
    assert list(points["world"]) == list(range(-1, 10))  # -1: the scenario as written
    assert set(points["status"]) <= {"within", "at or below the grid", "beyond the grid", "tips without the programme"}
    # a world that tips with no fellows has no programme tipping point
    assert ((points["p_tipped_without_programme"] >= 0.5) == (points["status"] == "tips without the programme")).all()
    located = points[points["status"] == "within"]
    assert ((located["midpoint"] >= 0) & (located["midpoint"] <= 10)).all()
    runs = pd.read_parquet(folder / "worlds" / "runs.parquet")
    assert len(runs) == 11 * 4 * 2  # plus a no-programme control in each world, kept apart
    assert summary["tips_without_programme"]["of"] == 10
    assert (folder / "worlds" / "tipping_over_worlds.png").stat().st_size > 0
    page = (folder / "worlds" / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "Worlds by status" in page and "http" not in page.lower()


def test_hysteresis_warning_and_sensitivity_on_a_tiny_scenario(folder: Path) -> None:
    ramp = cli("tipping", "hysteresis", "tiny.yaml", "--key", "contagion.spontaneous_adoption", "--from", "0",
               "--to", "0.3", "--steps", "3", "--years-per-step", "2", "--burn-in", "2", "--replicates", "2",
               "--workers", "1", "--out", "ramp", cwd=folder)
    assert ramp.exit_code == 0, ramp.output
    # replicates x steps x (forward, back) x (the ramp, its control)
    assert len(pd.read_parquet(folder / "ramp" / "steps.parquet")) == 2 * 3 * 2 * 2

    warning = cli("tipping", "warning", "tiny.yaml", "--years", "12", "--replicates", "3", "--workers", "1",
                  "--out", "warning", cwd=folder)
    assert warning.exit_code == 0, warning.output
    assert "replicate(s) tipped" in warning.stdout

    morris = cli("tipping", "sensitivity", "two.yaml", "--trajectories", "2", "--replicates", "2",
                 "--workers", "1", "--out", "morris", cwd=folder)
    assert morris.exit_code == 0, morris.output
    table = pd.read_csv(folder / "morris" / "morris.csv")
    assert set(table["parameter"]) == {"programme.cohort_size", "alumni.stages.1.roles.school_leader"}

    sobol = cli("tipping", "sensitivity", "two.yaml", "--method", "sobol", "--samples", "8", "--replicates", "2",
                "--workers", "1", "--out", "sobol", cwd=folder)
    assert sobol.exit_code == 0, sobol.output
    assert "Sobol" in sobol.stdout and "ST" in sobol.stdout
    # the indices' intervals are the design's sampling error, not seed noise alone: said on screen and on file
    said = " ".join(sobol.stdout.split())  # the table's title wraps at the terminal's width
    assert "the design's sampling error" in said and "seed noise only" not in said
    assert json.loads((folder / "sobol" / "summary.json").read_text())["uncertainty"].startswith(
        "the design's sampling error")
    indices = pd.read_csv(folder / "sobol" / "sobol.csv")
    assert {"S1", "ST", "S1_conf", "ST_conf", "noise_share"} <= set(indices.columns)
    assert set(indices["outcome"]) == {"p_tipped", "tipping_metric", "tipped_year"}
    # 8 x (2 + 2) points x 2 replicates
    assert len(pd.read_parquet(folder / "sobol" / "runs.parquet")) == 8 * 4 * 2


@pytest.mark.parametrize("args, message", [
    (["points", "no_such_folder"], "not a sweep folder"),
    (["points", "sweep_three"], "varies 3 parameters"),
    (["discover", "sweep_three", "--outcome", "practising_share"], "exactly one of --above or --below"),
    (["discover", "sweep_three", "--outcome", "practicing_share", "--above", "0.1"], "practising_share"),
    (["discover", "sweep_three", "--method", "tree"], "prim or cart"),
    (["hysteresis", "tiny.yaml", "--key", "network.alumni_ties", "--from", "0", "--to", "4"],
     "only used when the system"),
    (["hysteresis", "tiny.yaml", "--key", "support.district", "--from", "0.1", "--to", "0.1"], "must differ"),
    (["search", "tiny.yaml", "--key", "programme.cohort_size"], "give --low and --high"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--worlds", "4"], "at least 10 worlds"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--priors", "x.yaml"], "add --worlds N"),
    (["search", "tiny.yaml", "--key", "programme.cohort_sise", "--low", "1", "--high", "3"], "no such scenario key"),
    (["sensitivity", "tiny.yaml"], "needs an experiment file"),
    (["sensitivity", "two.yaml", "--method", "sobel"], "morris or sobol"),
    (["search", "sweep_scale", "--key", "programme.cohort_size"], "not the folder"),
    (["points", "sweep_scale", "--along", "programme.cohort_size"], "varies only programme.cohort_size"),
    (["search", "tiny.yaml", "--key", "support.district", "--low", "0", "--high", "0.5", "--tolerance", "0"],
     "--tolerance: must be a finite number above 0"),
    (["search", "tiny.yaml", "--key", "support.district", "--low", "0", "--high", "0.5", "--tolerance", "inf"],
     "--tolerance: must be a finite number above 0"),
    # a bound that is no number (inf) once crashed rounding a whole-numbered key
    (["search", "tiny.yaml", "--key", "programme.cohort_size", "--low", "2", "--high", "inf", "--max-runs", "50"],
     "--high: programme.cohort_size: must be a finite number (got inf)"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--worlds", "10", "--low", "-inf", "--steps", "3",
      "--replicates", "2"], "--low: programme.cohort_size: must be a finite number"),
    (["hysteresis", "tiny.yaml", "--key", "support.district", "--from", "0.1", "--to", "inf"],
     "--to must be a finite number"),
    # a table of points has keys but no ranges
    (["sensitivity", "table.yaml"], "table.yaml gives its points as a table (design: table), which has no ranges"),
    (["search", "table.yaml", "--key", "programme.cohort_size", "--max-runs", "50"],
     "table.yaml varies this key in a table of points (design: table), which sets no range"),
    # each option belongs to one way to search; given to the other, it is refused rather than ignored
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--worlds", "10", "--steps", "3", "--replicates", "2",
      "--tolerance", "-5"], "--tolerance applies only to the adaptive search (without --worlds)"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--worlds", "10", "--steps", "3", "--replicates", "2",
      "--max-runs", "60", "--tolerance", "1"], "--tolerance, --max-runs apply only to the adaptive search"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--max-runs", "50", "--steps", "4"],
     "--steps applies only with --worlds N"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--max-runs", "50", "--replicates", "3"],
     "--replicates applies only with --worlds N"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--worlds", "10", "--low", "2", "--high", "2.4",
      "--steps", "3", "--replicates", "2"], "takes whole numbers, and 2 to 2.4 holds only 2 once rounded"),
    (["search", "scale.yaml", "--key", "programme.cohort_size", "--low", "2", "--high", "2.4", "--max-runs", "50"],
     "takes whole numbers, and 2 to 2.4 holds only 2 once rounded"),
    # a problem is named by the option that caused it
    (["search", "tiny.yaml", "--key", "programme.cohort_size", "--low", "-5", "--high", "4", "--max-runs", "50"],
     "--low: programme.cohort_size: Input should be greater than or equal to 0 (got -5)"),
    (["search", "tiny.yaml", "--key", "placement.host_schools", "--low", "1", "--high", "4", "--max-runs", "50"],
     "placement.host_schools: is unset (null) here, so there is no number to search or ramp over; give it one "
     "first, e.g. --set placement.host_schools=VALUE"),
    (["hysteresis", "tiny.yaml", "--key", "support.district", "--from", "0.1", "--to", "5"],
     "--to: support.district: Input should be less than or equal to 1 (got 5.0)"),
    (["hysteresis", "tiny.yaml", "--key", "support.district", "--from", "-1", "--to", "0.5"],
     "--from: support.district: Input should be greater than or equal to 0 (got -1.0)"),
    (["hysteresis", "tiny.yaml", "--key", "alumni.stages.1.roles.school_leader", "--from", "0.1", "--to", "0.3"],
     "--key: alumni.stages.1.roles.school_leader: moves one role share without another to balance it"),
    (["hysteresis", "tiny.yaml", "--key", "programme.cohort_size", "--from", "1", "--to", "3"],
     "--key: programme.cohort_size: is only used when the system is built"),
    (["sensitivity", "two.yaml", "--method", "sobol", "--samples", "10", "--replicates", "1"],
     "--samples must be a power of two (got 10; try 8 or 16)"),
    (["sensitivity", "two.yaml", "--samples", "16", "--trajectories", "2", "--replicates", "1"],
     "--samples does not apply to --method morris"),
    (["sensitivity", "two.yaml", "--method", "sobol", "--trajectories", "4", "--samples", "8", "--replicates", "1"],
     "--trajectories does not apply to --method sobol"),
    (["warning", "tiny.yaml", "--years", "501", "--replicates", "1", "--out", "long"], "less than or equal to 500"),
    (["hysteresis", "tiny.yaml", "--key", "support.district", "--from", "0.1", "--to", "0.3", "--steps", "50",
      "--years-per-step", "5"], "would run 6 + 2 x 50 x 5 = 506 years; at most 500"),
    (["hysteresis", "tiny.yaml", "--key", "support.district", "--from", "0.1", "--to", "0.3", "--steps", "2",
      "--years-per-step", "1", "--burn-in", "497"], "= 501 years; at most 500"),
])
def test_bad_input_exits_2_with_a_message(folder: Path, args: list[str], message: str) -> None:
    result = cli("tipping", *args, cwd=folder)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not result.stdout, "a plan is printed only once the input is checked"


def test_each_analysis_replaces_its_folder_whole_and_can_run_again(folder: Path) -> None:
    from sim.result_folder import MARKER

    for _ in range(2):  # again into the same folder: the last result replaces the one before, whole
        again = cli("tipping", "points", "sweep_two", "--discover", "--out", "again", cwd=folder)
        assert again.exit_code == 0, again.output
        assert json.loads((folder / "again" / MARKER).read_text())["kind"] == "tipping points"
        # one folder holds the boundary and the boxes of `--discover` together
        written = {p.name for p in (folder / "again").iterdir()}
        assert {"boundary_levels.csv", "prim_boxes.csv", "summary.json"} <= written
    # a file the result does not list is somebody's: the folder is not replaced until it is moved out
    (folder / "again" / "notes.txt").write_text("a user's notes")
    kept = cli("tipping", "points", "sweep_two", "--out", "again", cwd=folder)
    assert kept.exit_code == 2 and "files added to it since (notes.txt)" in kept.output
    (folder / "again" / "notes.txt").unlink()
    assert cli("tipping", "points", "sweep_two", "--out", "again", cwd=folder).exit_code == 0
    assert not (folder / "again" / "prim_boxes.csv").exists(), "the folder was replaced whole"

    # by default, discovery has a folder of its own beside the tipping points, so neither replaces the other
    for _ in range(2):
        assert cli("tipping", "points", "sweep_scale", cwd=folder).exit_code == 0
        assert cli("tipping", "discover", "sweep_scale", cwd=folder).exit_code == 0
    assert (folder / "sweep_scale" / "tipping" / "tipping_points.csv").exists()
    assert (folder / "sweep_scale" / "discovery-prim" / "prim_boxes.csv").exists()

    # a folder of other files is refused, before anything runs
    (folder / "mine").mkdir()
    (folder / "mine" / "notes.txt").write_text("mine")
    refused = cli("tipping", "warning", "tiny.yaml", "--replicates", "1", "--out", "mine", cwd=folder)
    assert refused.exit_code == 2 and "not a Critical Mass result" in refused.output
    assert [p.name for p in (folder / "mine").iterdir()] == ["notes.txt"]


def test_set_years_sets_how_long_the_runs_last(folder: Path) -> None:
    from sim.tipping.trials import load_base

    base = load_base(folder / "scale.yaml")
    assert base.overridden({"years": 3}).years == 3 and base.overridden({"years": 3}).name == base.name
    assert base.overridden({"support.district": 0.3}).years == base.years == 6
    assert base.overridden({"name": "renamed"}).name == "renamed"
    warning = cli("tipping", "warning", "tiny.yaml", "--set", "years=4", "--replicates", "2", "--workers", "1",
                  "--out", "four_years", cwd=folder)
    assert warning.exit_code == 0, warning.output
    assert "2 replicate(s) of 4 years" in warning.stdout


def test_the_sensitivity_seed_seeds_the_model_runs(folder: Path) -> None:
    from sim.sweep.experiment import load_experiment
    from sim.tipping.sensitivity import factors, run_design
    from sim.tipping.trials import load_base

    base = load_base(folder / "two.yaml")
    chosen = factors(base, load_experiment(folder / "two.yaml").experiment.parameters)
    points = np.array([[4.0, 0.0], [8.0, 0.2]])
    runs = {seed: run_design(base, chosen, points, 3, seed, local(1)) for seed in (base.seed, 99)}
    pd.testing.assert_frame_equal(run_design(base, chosen, points, 3, base.seed, local(1)), runs[base.seed])
    assert not np.array_equal(runs[99]["tipping_metric"], runs[base.seed]["tipping_metric"]), \
        "--seed must reach the runs, not only the design"


def test_points_are_written_even_when_discovery_has_nothing_to_tell_apart(folder: Path) -> None:
    text = EXPERIMENT.format(name="tiny_all", more="", replicates=2).replace("[0, 2, 4, 6, 8, 10]", "[6, 8, 10]")
    (folder / "all.yaml").write_text(text, encoding="utf-8")
    run_sweep(resolve(folder / "all.yaml"), folder / "sweep_all", local(1))
    assert read_runs(folder / "sweep_all")["tipped"].all(), "every run of this sweep tips"
    result = cli("tipping", "points", "sweep_all", "--discover", "--out", "all_points", cwd=folder)
    assert result.exit_code == 2 and "every finished run" in result.output
    assert (folder / "all_points" / "tipping_points.csv").exists(), "the points stand without the boxes"


def test_cart_discovery_on_a_small_one_parameter_sweep(folder: Path) -> None:
    # 8 runs: the Workbench asked for leaves of int(0.05 x 8) = 0 runs, and failed on one input's leaves
    text = EXPERIMENT.format(name="tiny_small", more="", replicates=2).replace("[0, 2, 4, 6, 8, 10]", "[0, 2, 8, 10]")
    (folder / "small.yaml").write_text(text, encoding="utf-8")
    run_sweep(resolve(folder / "small.yaml"), folder / "sweep_small", local(1))
    assert read_runs(folder / "sweep_small")["tipped"].nunique() == 2, "some runs tip and some do not"
    result = cli("tipping", "discover", "sweep_small", "--method", "cart", "--out", "small_cart", cwd=folder)
    assert result.exit_code == 0, result.output
    boxes = pd.read_csv(folder / "small_cart" / "cart_boxes.csv")
    assert set(boxes["parameter"]) == {"programme.cohort_size"}


def test_sensitivity_help_says_samples_is_a_power_of_two() -> None:
    result = cli("tipping", "sensitivity", "--help")
    words = " ".join(result.output.replace("│", " ").split())  # the help's box wraps its lines
    assert result.exit_code == 0 and "Sobol base samples N, a power of two" in words
