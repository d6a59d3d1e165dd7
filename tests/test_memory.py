"""Memory before work: a scenario too big for the machine is refused from its sizes, before anything is
allocated, with the estimate, the memory available and what to change. (Accuracy against measured peak
memory is benchmarks/memory_estimate.py's job; figures in docs/performance.md.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import Scenario
from sim.memory import BYTES, GIB, TooBigForMemory, check_fits, estimate, fitting_workers, needed, sizes
from tests.helpers import SCENARIOS, invoke

LARGEST = {"system": {"districts": 100_000, "schools_per_district": 100_000, "teachers_per_school": 500}}


def test_the_estimate_grows_with_each_size() -> None:
    base = Scenario.from_dict({"system": {"districts": 10, "schools_per_district": 100}})
    double = Scenario.from_dict({"system": {"districts": 20, "schools_per_district": 100}})
    assert sizes(double).posts == 2 * sizes(base).posts
    assert estimate(double).parts["teaching posts"] == 2 * estimate(base).parts["teaching posts"]
    more = base.with_overrides({"programme.cohort_size": 6000})
    assert estimate(more).parts["programme members"] > 50 * estimate(base).parts["programme members"]
    assert estimate(base).bytes == round(sum(estimate(base).parts.values()))


def test_every_row_kind_has_a_byte_count() -> None:
    assert all(v > 0 for v in BYTES.values())


def test_a_scenario_that_does_not_fit_is_refused_with_what_to_change() -> None:
    scenario = Scenario.from_dict({"programme": {"cohort_size": 1_000_000, "cohorts": 500}})
    with pytest.raises(TooBigForMemory) as info:
        check_fits(scenario, source="big.yaml", available=8 * GIB)
    message = str(info.value)
    assert message.startswith("big.yaml: programme: one run needs about ")
    assert "and this machine has 8.0 GiB available; change programme.cohort_size" in message


def test_workers_are_reduced_to_what_fits_and_a_refusal_says_how_many() -> None:
    scenario = Scenario.from_dict({"system": {"districts": 40, "schools_per_district": 500}})
    room = needed(scenario, 3, runs=8) + 1
    assert fitting_workers(scenario, 8, runs=8, available=room) == 3
    with pytest.raises(TooBigForMemory, match="use --workers 3"):
        check_fits(scenario, 8, runs=8, available=room)


def test_workers_beyond_the_runs_there_are_need_no_memory() -> None:
    # 1000 workers for 2 runs start 2: refused before as "1000 runs at once need about 156.5 GiB"
    scenario = Scenario.load(SCENARIOS / "ancash.yaml")
    room = needed(scenario, 2, runs=2) + 1
    assert needed(scenario, 1000, runs=2) == room - 1
    check_fits(scenario, 1000, runs=2, available=room)
    assert fitting_workers(scenario, 1000, runs=2, available=room) == 2
    with pytest.raises(TooBigForMemory, match=r"2 runs at once need .* use --workers 1,"):
        check_fits(scenario, 1000, runs=2, available=room - 2)


@pytest.fixture
def few_estimates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail, rather than hang, if the memory estimate is tried for every number of workers up to one asked for."""
    import sim.memory

    calls = 0
    measure = sim.memory.needed

    def counted(*args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        assert calls < 10_000, "needed() is called for every number of workers up to the one asked for"
        return measure(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.memory, "needed", counted)


def test_a_huge_number_of_workers_is_answered_at_once(few_estimates: None) -> None:
    """--workers 100000000 spun for ever: the advice was sought by trying every smaller number."""
    scenario = Scenario.from_dict({"system": {"districts": 40, "schools_per_district": 500}})
    room = needed(scenario, 3, runs=10**9) + 1
    with pytest.raises(TooBigForMemory, match=r"100000000 runs at once need .* use --workers 3,"):
        check_fits(scenario, 10**8, runs=10**9, available=room)


def test_a_sweep_asked_for_more_workers_than_runs_uses_one_a_run(tmp_path: Path, few_estimates: None) -> None:
    (tmp_path / "tiny.yaml").write_text("years: 3\nsystem: {districts: 2, schools_per_district: 3}\n")
    (tmp_path / "experiment.yaml").write_text("scenario: tiny.yaml\nreplicates: 3\nparameters:\n"
                                              "  - key: placement.clustering\n    values: [0, 1]\n")
    result = invoke("sweep", tmp_path / "experiment.yaml", "--dry-run", "--workers", "100000000")
    assert result.exit_code == 0, result.stderr
    assert "6 runs x" in result.stdout and "on 6 local worker(s)" in " ".join(result.stdout.split())


def test_the_skip_switch_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITICAL_MASS_SKIP_MEMORY_CHECK", "1")
    check_fits(Scenario.from_dict(LARGEST), available=GIB)


def test_the_largest_system_the_bounds_allow_is_refused_by_the_cli(tmp_path) -> None:
    path = tmp_path / "largest.yaml"
    path.write_text("system: {districts: 100000, schools_per_district: 100000, teachers_per_school: 500}\n")
    result = invoke("run", path, "--replicates", "1", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{path}: system: " in result.stderr and "PiB of memory" in result.stderr
    assert "change network.within_school_ties, network.across_school_ties or the number of teachers" in result.stderr
    assert not (tmp_path / "out").exists()


def test_validate_says_what_a_run_needs() -> None:
    result = invoke("validate", SCENARIOS / "national.yaml")
    assert result.exit_code == 0 and "GiB of memory" in result.stdout


def test_the_batch_budget_comes_from_the_environment_for_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.jobs import batch_size, memory_budget
    from tests.helpers import cli

    scenarios = [Scenario.load(SCENARIOS / "london.yaml")]
    default = batch_size(scenarios, 20, 1000, 1)
    monkeypatch.setenv("CRITICAL_MASS_MEMORY_BUDGET", "0.05")
    assert memory_budget() == int(0.05 * GIB)
    assert batch_size(scenarios, 20, 1000, 1) < default
    monkeypatch.setenv("CRITICAL_MASS_MEMORY_BUDGET", "lots")
    result = cli("run", str(SCENARIOS / "ancash.yaml"), "--replicates", "2", "--years", "2", "--out", "/tmp/never")
    assert result.exit_code == 2 and "CRITICAL_MASS_MEMORY_BUDGET" in result.output and "lots" in result.output
    assert "Traceback" not in result.output


def test_compare_counts_the_frames_of_every_scenario_and_world_it_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comparison keeps every run's frames (scenarios x replicates x worlds) to compare them, not one
    scenario's replicates: the check before any run counts them all."""
    import sim.memory
    from sim.memory import needed
    from tests.helpers import cli

    scenario = Scenario.load(SCENARIOS / "ancash.yaml")
    one_scenario, everything = (needed(scenario, 1, runs=10, gathered=g) for g in (10, 10 * 2 * 10))
    assert everything > one_scenario
    monkeypatch.setattr(sim.memory, "available_bytes", lambda: (one_scenario + everything) // 2)
    result = cli("compare", SCENARIOS / "ancash.yaml", SCENARIOS / "ancash.yaml", "--worlds", "10",
                 "--replicates", "10", "--workers", "1", "--out", "/tmp/never-written")
    assert result.exit_code == 2, result.output
    assert "of memory" in result.output and "Traceback" not in result.output


def test_a_budget_is_asked_for_by_the_option_or_the_variable_or_not_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.jobs import DEFAULT_MEMORY_BUDGET, asked_budget, memory_budget

    monkeypatch.delenv("CRITICAL_MASS_MEMORY_BUDGET", raising=False)
    assert asked_budget(None) is None and memory_budget() == DEFAULT_MEMORY_BUDGET  # SLURM then sizes by its jobs
    monkeypatch.setenv("CRITICAL_MASS_MEMORY_BUDGET", "0.5")
    assert asked_budget(None) == int(0.5 * GIB) and asked_budget(1.0) == GIB  # the option wins
