"""Hostile and broken input through the command line, in this process: a located error and exit 2, never a
traceback. (Speed is measured by benchmarks/fuzz_inputs.py, not here.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.bounded_yaml import MAX_BYTES, MAX_DEPTH, MAX_DIGITS, MAX_NODES
from tests.helpers import SCENARIOS, invoke

TINY = "years: 3\nsystem: {districts: 2, schools_per_district: 3, teachers_per_school: 6}\n"
BOMB = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefg", "bcdefgh", strict=True)]
) + "\n"


def write(folder: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> str:
    result = invoke("validate", path)
    assert result.exit_code == 2, result.stdout + result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BOMB, f"bad.yaml:5: e.5: more than {MAX_NODES:,} values, counting what each alias repeats"),
        ("a: &a [*a]\n", "bad.yaml:1: a.0: the alias *a is inside the collection it names (an endless loop)"),
        ("a: &a {k: *a}\n", "the alias *a is inside the collection it names"),
        ("years: " + "[" * 60 + "]" * 60 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
        ("years: " + "[" * 5000 + "]" * 5000 + "\n", "bad.yaml:1: years"),
        ("".join(f"{'  ' * i}k{i}:\n" for i in range(80)) + "  " * 80 + "x: 1\n", f"nested more than {MAX_DEPTH}"),
        ("years: 1" + "0" * 5000 + "\n", f"bad.yaml:1: years: a whole number of 5001 digits; numbers here have at most "
                                         f"{MAX_DIGITS}"),
        ("years: 3\n---\nyears: 4\n", "bad.yaml:2: expected one document"),
        ("years: !!bool maybe\n", "bad.yaml:1: years: not valid YAML: cannot read 'maybe'"),
        ("years: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("? [a, b]\n: 1\n", "found unhashable key"),
        ("undefined: *nothing\n", "found undefined alias *nothing"),
        ("years: 12:30:45\n", "bad.yaml:1: years: Input should be a valid integer, unable to parse string as an "
                               "integer (got '12:30:45')"),
    ],
    ids=["billion-laughs", "loop", "loop-in-mapping", "deep-flow", "deeper-than-libyaml", "deep-block",
         "huge-integer", "two-documents", "bad-tag-value", "unsafe-tag", "unhashable-key", "undefined-alias",
         "base-60-number"],
)
def test_hostile_yaml_gets_a_located_error(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in problems(write(tmp_path, text))


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = write(tmp_path, "years: 3\n" + "#" * (MAX_BYTES + 10))
    assert f"the file is larger than {MAX_BYTES // 1_000_000} MB" in problems(path)


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, b"years: 3\nname: caf\xe9\n")
    assert "bad.yaml:2: not UTF-8 text" in problems(path)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_are_refused_everywhere(tmp_path: Path, value: str) -> None:
    # NaN passes every bound (every comparison with it is false), so it must be refused as such
    path = write(tmp_path, f"students:\n  leader_effect: {value}\n")
    assert "bad.yaml:2: students.leader_effect: Input should be a finite number" in problems(path)


def test_sizes_without_a_natural_bound_are_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, "system:\n  district_office_staff: 100000000000000000000000\n")
    assert "bad.yaml:2: system.district_office_staff: Input should be less than or equal to" in problems(path)


def test_a_key_with_markup_is_named_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, 'system:\n  "[bold red]x[/]": 1\n  "list[int]": 2\n')
    stderr = problems(path)
    assert "bad.yaml:2: system.[bold red]x[/]: unknown key" in stderr
    assert "bad.yaml:3: system.list[int]: unknown key" in stderr


def test_markup_in_a_name_and_description_prints_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, 'name: "[bold]x[/]"\ndescription: "[red]unclosed"\n' + TINY)
    result = invoke("run", path, "--replicates", "1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "[bold]x[/]  [red]unclosed" in result.stdout


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("nothing", "expected KEY.PATH=VALUE"),
        ("=1", "the key path is empty"),
        (".=1", "the key path has an empty part"),
        ("a..b=1", "the key path has an empty part"),
        ("years.=1", "the key path has an empty part"),
        ("years.0=1", "years is a plain value (3), with no keys inside"),
        ("years.a.b=1", "years is a plain value (3), with no keys inside"),
        ("alumni.stages.5.roles.classroom=1", "alumni.stages is a list of 2; no item 5"),
        ("alumni.stages.-1.after_years=1", "alumni.stages is a list of 2; no item -1"),
        ("alumni.stages.²=1", "alumni.stages is a list of 2; no item ²"),
        ("alumni.stages.99999999999999999999=1", "no item 99999999999999999999"),
        ("programme.cohort_sizes.0=5", "programme.cohort_sizes is a list of 0; no item 0"),
        ("0=1", "--set: 0: Keys should be strings"),
        ("years=.nan", "--set: years: Input should be a finite number"),
        ("years=1e999", "--set: years"),
        ("years=&a [*a]", "--set: years"),
        ("[bold]=1", "--set: [bold]: unknown key"),
        ("system=5", "--set: system: Input should be a valid dictionary"),
    ],
)
def test_every_set_form_gets_a_clear_error(tmp_path: Path, override: str, expected: str) -> None:
    stages = "alumni:\n  stages:\n" + "".join(f"    - {{after_years: {y}, roles: {{classroom: 1}}}}\n" for y in (0, 3))
    scenario = write(tmp_path, TINY + stages, "tiny.yaml")
    result = invoke("run", scenario, "--set", override, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()


def test_years_is_validated_like_the_file() -> None:
    result = invoke("run", SCENARIOS / "ancash.yaml", "--years", "501")
    assert result.exit_code == 2 and "--years" in result.stderr


def test_nan_in_a_sweep_range_is_located(tmp_path: Path) -> None:
    write(tmp_path, TINY, "tiny.yaml")
    path = write(tmp_path, "scenario: tiny.yaml\nparameters:\n  - key: placement.clustering\n"
                           "    range: {start: .nan, stop: 1, step: 0.1}\n", "experiment.yaml")
    result = invoke("sweep", path, "--dry-run")
    assert result.exit_code == 2
    assert "experiment.yaml:4: parameters.0.range.start: Input should be a finite number" in result.stderr


def test_a_parameter_of_numbers_and_words_is_listed_in_order(tmp_path: Path) -> None:
    write(tmp_path, TINY, "tiny.yaml")
    path = write(tmp_path, "scenario: tiny.yaml\nparameters:\n  - key: teachers.initial_practice\n"
                           "    values: [equilibrium, 0.3, 0.1]\n", "experiment.yaml")
    result = invoke("sweep", path, "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "teachers.initial_practice: 0.1, 0.3, equilibrium" in result.stdout


@pytest.mark.parametrize("budget", ["inf", "1e7", "0.001"])
def test_a_memory_budget_out_of_range_is_refused_before_the_plan(tmp_path: Path, budget: str) -> None:
    write(tmp_path, TINY, "tiny.yaml")
    path = write(tmp_path, "scenario: tiny.yaml\nparameters:\n  - key: placement.clustering\n"
                           "    values: [0.2, 0.8]\n", "experiment.yaml")
    result = invoke("sweep", path, "--dry-run", "--memory-budget", budget)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "--memory-budget" in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_a_huge_plan_is_counted_and_refused_before_anything_is_listed(tmp_path: Path) -> None:
    write(tmp_path, TINY, "tiny.yaml")
    path = write(tmp_path, "scenario: tiny.yaml\nreplicates: 1000\nparameters:\n"
                           "  - key: placement.clustering\n    range: {start: 0, stop: 1, step: 0.0001}\n"
                           "  - key: programme.cohort_size\n    range: {start: 0, stop: 10000, step: 1}\n",
                 "experiment.yaml")
    result = invoke("sweep", path, "--dry-run")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "100,020,001 design points x 1,000 replicate(s) = 100,020,001,000 runs" in result.stdout
    assert "Estimated time: 100,020,001,000 runs x" in result.stdout
    assert "above the limit of 10,000,000" in result.stderr and "--allow-huge" in result.stderr
    assert "above the limit" in invoke("validate", path).stderr


def test_every_sweep_prints_its_runs_and_an_estimated_time(tmp_path: Path) -> None:
    write(tmp_path, TINY, "tiny.yaml")
    path = write(tmp_path, "scenario: tiny.yaml\nreplicates: 3\nparameters:\n"
                           "  - key: placement.clustering\n    values: [0, 1]\n", "experiment.yaml")
    result = invoke("sweep", path, "--dry-run", "--workers", "2")
    assert result.exit_code == 0, result.stderr
    assert "2 design points (grid) x 3 replicate(s) = 6 runs of 3 years" in result.stdout
    assert "Estimated time: 6 runs x" in result.stdout and "2 local worker(s)" in " ".join(result.stdout.split())


@pytest.mark.parametrize("dry_run", [["--dry-run"], []])
@pytest.mark.parametrize(("out", "expected"), [("file/sub", "file is a file, not a folder"),
                                               ("file", "file is a file, not a folder")])
def test_a_sweep_folder_that_cannot_be_made_is_refused_before_anything_runs(
        tmp_path: Path, dry_run: list[str], out: str, expected: str) -> None:
    # the dry run passed, and the run said "Every run saved before this is kept in ..." though none had run
    write(tmp_path, TINY, "tiny.yaml")
    path = write(tmp_path, "scenario: tiny.yaml\nreplicates: 2\nparameters:\n"
                           "  - key: placement.clustering\n    values: [0, 1]\n", "experiment.yaml")
    (tmp_path / "file").write_text("mine\n", encoding="utf-8")
    result = invoke("sweep", path, "--out", tmp_path / out, "--workers", "1", *dry_run)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"--out: {tmp_path / out}" in result.stderr and expected in result.stderr
    assert "--resume" not in result.stderr and "Running on" not in result.stdout
    assert (tmp_path / "file").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("address", ["", " "])
@pytest.mark.parametrize("command", ["sweep", "calibrate"])
def test_an_empty_dask_address_is_refused_not_taken_for_no_dask(tmp_path: Path, command: str, address: str) -> None:
    write(tmp_path, TINY, "tiny.yaml")
    experiment = write(tmp_path, "scenario: tiny.yaml\nparameters:\n  - key: placement.clustering\n"
                                 "    values: [0.2, 0.8]\n", "experiment.yaml")
    root = Path(__file__).resolve().parents[1]
    args = ([experiment, "--dry-run"] if command == "sweep"
            else [root / "calibrations" / "london_roles.yaml", "--resume", "--out", tmp_path / "calibration"])
    result = invoke(command, *args, "--dask", address)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"--dask {address!r} is empty" in result.stderr and "tcp://" in result.stderr


def test_a_manifest_that_is_not_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({}), encoding="utf-8")
    result = invoke("tipping", "points", tmp_path)
    assert result.exit_code == 2
    assert "not a complete sweep manifest (missing name, experiment_file" in result.stderr


def test_load_scenario_raises_scenario_error_for_every_bound(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="digits"):
        load_scenario(write(tmp_path, "seed: 123456789012345678901234567890123\n"))
