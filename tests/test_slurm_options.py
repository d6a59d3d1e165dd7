"""The --slurm-* options: every bad value is exit 2 with a message naming the option (no SLURM needed).

The sweeps themselves run on a real SLURM cluster in tests/test_sweep_slurm.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from sim import Scenario
from sim.cli import main
from sim.jobs import batch_size, system_bytes
from sim.sweep.slurm import SlurmOptionError, SlurmOptions, parse_extra, parse_memory, parse_partition, parse_walltime
from tests.helpers import SCENARIOS
from tests.test_sweep import TINY_SCENARIO, write_experiment


@pytest.mark.parametrize(("given", "expected"), [
    ("90", "01:30:00"), ("30:00", "00:30:00"), ("02:00:00", "02:00:00"), ("1-12", "1-12:00:00"),
    ("1-12:30", "1-12:30:00"), ("2-00:00:00", "2-00:00:00"), (" 45 ", "00:45:00"), ("36:00:00", "1-12:00:00"),
])
def test_walltimes_in_slurm_formats_are_normalised(given: str, expected: str) -> None:
    assert parse_walltime(given) == expected


@pytest.mark.parametrize("given", ["1h", "", "0", "00:00:00", "1:2:3:4", "-5", "1-", "two hours"])
def test_a_walltime_slurm_would_not_read_is_refused(given: str) -> None:
    with pytest.raises(SlurmOptionError, match="--slurm-walltime"):
        parse_walltime(given)


@pytest.mark.parametrize(("given", "cores", "mib"), [
    ("4G", 1, 4096), ("4GB", 1, 4096), ("4gib", 1, 4096), ("4000M", 1, 4000), ("4000", 1, 4000),
    ("1.5G", 1, 1536), ("1T", 1, 1024 * 1024), ("2048M", 4, 2048),
])
def test_memory_is_read_as_sbatch_mem_reads_it(given: str, cores: int, mib: int) -> None:
    assert parse_memory(given, cores) == mib


@pytest.mark.parametrize(("given", "cores", "says"), [
    ("lots", 1, "expected a size"), ("4 G B", 1, "expected a size"), ("-1G", 1, "expected a size"),
    ("256M", 1, "at least 512 MiB"), ("1G", 4, "ask for 2048M or more"),
])
def test_memory_that_cannot_work_is_refused(given: str, cores: int, says: str) -> None:
    with pytest.raises(SlurmOptionError, match="--slurm-memory") as info:
        parse_memory(given, cores)
    assert says in str(info.value)


def test_extra_lines_are_sbatch_options_not_already_set_by_another_option() -> None:
    assert parse_extra("--account=my-project") == "--account=my-project"
    assert parse_extra("#SBATCH --qos=short") == "--qos=short"
    assert parse_extra("  --exclusive ") == "--exclusive"
    for bad, says in [("account=x", "expected one sbatch option"), ("-", "expected one sbatch option"),
                      ("--a\n--b", "expected one sbatch option"), ("--time=10", "--slurm-walltime"),
                      ("-p debug", "--slurm-partition"), ("--mem=4G", "--slurm-memory"),
                      ("--cpus-per-task=4", "--slurm-cores"), ("--array=1-10", "--slurm-jobs")]:
        with pytest.raises(SlurmOptionError, match="--slurm-extra") as info:
            parse_extra(bad)
        assert says in str(info.value), bad


def test_partitions_and_defaults() -> None:
    assert parse_partition("gpu") == "gpu" and parse_partition("short,long") == "short,long"
    with pytest.raises(SlurmOptionError, match="--slurm-partition"):
        parse_partition("my partition")
    default = SlurmOptions.parse()
    assert (default.jobs, default.cores, default.memory_mib, default.walltime, default.partition) == \
        (1, 1, 2048, "01:00:00", None)
    assert SlurmOptions.parse(cores=4).memory_mib == 8192, "2 GiB per core unless told"
    for bad in [{"jobs": 0}, {"cores": -1}, {"wait": 0}, {"wait": float("inf")}, {"wait": float("nan")}]:
        with pytest.raises(SlurmOptionError):
            SlurmOptions.parse(**bad)


def test_batches_are_sized_to_take_at_most_half_of_a_workers_memory() -> None:
    options = SlurmOptions.parse(jobs=2, cores=4, memory="8G")  # 8 workers of 2 GiB
    assert options.workers == 8
    assert options.batch_budget(100 * 1024**3) == 8 * 1024**3, "1 GiB a worker"
    assert options.batch_budget(2 * 1024**3) == 2 * 1024**3, "a smaller --memory-budget stands"
    assert options.batch_budget(None) == 8 * 1024**3, "none asked: this machine's 2 GB default does not apply"
    many = SlurmOptions.parse(jobs=8, cores=16, memory="32G")  # docs/sweeps.md's example: 128 workers of 2 GiB
    assert many.batch_budget(None) // many.workers == 1024**3
    small_jobs = SlurmOptions.parse(jobs=1, cores=2, memory="1G")  # 2 workers of 512 MiB
    ancash = Scenario.load(SCENARIOS / "ancash.yaml")
    runs = batch_size([ancash], 20, 10_000, small_jobs.workers, small_jobs.batch_budget(2 * 1024**3))
    assert runs * system_bytes(ancash, 20) <= 256 * 1024**2 < 2 * runs * system_bytes(ancash, 20)


def test_a_run_too_big_for_a_workers_share_of_the_job_is_refused_with_enough_memory_named() -> None:
    options = SlurmOptions.parse(cores=2, memory="1G")  # 2 workers of 512 MiB, batches of up to 256 MiB
    assert (options.worker_bytes, options.batch_bytes) == (512 * 1024**2, 256 * 1024**2)
    options.check_fits(256 * 1024**2, None, "point 0")  # one run fills a batch exactly
    options.check_fits(64 * 1024**2, 4, "point 0")
    for run, batch, says in [(300 * 1024**2, None, "one run needs about 300 MiB"),
                             (64 * 1024**2, 5, "a batch of 5 runs needs about 320 MiB")]:
        with pytest.raises(SlurmOptionError, match="--slurm-memory 1024M: point 0: ") as info:
            options.check_fits(run, batch, "point 0")
        assert says in str(info.value) and "256 MiB of 512 MiB (2 worker(s) a job)" in str(info.value)
        assert "(or fewer --slurm-cores)" in str(info.value)
        assert ("a smaller --batch-size" in str(info.value)) == (batch is not None)
        enough = re.search(r"--slurm-memory (\d+M) or more", str(info.value))
        assert enough, info.value
        SlurmOptions.parse(cores=2, memory=enough.group(1)).check_fits(run, batch, "point 0")  # the advice works


def sweep(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
          *options: str, scenario: str = TINY_SCENARIO) -> tuple[int, str]:
    """`critical-mass sweep` in this process, as the command line runs it; returns (exit code, stderr)."""
    path = write_experiment(tmp_path, scenario=scenario)
    monkeypatch.setattr(sys, "argv", ["critical-mass", "sweep", str(path), "--out", str(tmp_path / "out"), *options])
    with pytest.raises(SystemExit) as exit_:
        main()
    return exit_.value.code, capsys.readouterr().err


@pytest.mark.parametrize(("options", "says"), [
    (["--slurm", "--slurm-walltime", "1h"], "--slurm-walltime '1h': expected SLURM's time format"),
    (["--slurm", "--slurm-memory", "lots"], "--slurm-memory 'lots': expected a size"),
    (["--slurm", "--slurm-jobs", "0"], "--slurm-jobs 0: expected a whole number of at least 1"),
    (["--slurm", "--slurm-cores", "0"], "--slurm-cores 0: expected a whole number of at least 1"),
    (["--slurm", "--slurm-wait", "-5"], "--slurm-wait -5.0: expected a number of seconds above 0"),
    (["--slurm", "--slurm-partition", "a b"], "--slurm-partition 'a b': expected a partition name"),
    (["--slurm", "--slurm-extra", "--time=5"], "set this with --slurm-walltime instead"),
    (["--slurm-partition", "gpu", "--slurm-jobs", "4"], "--slurm-partition, --slurm-jobs only apply with --slurm"),
    (["--slurm", "--dask", "local"], "--slurm and --dask are two ways to run the sweep: choose one"),
    (["--slurm", "--workers", "2"], "with --slurm, --slurm-jobs x --slurm-cores workers run it"),
    (["--slurm", "--slurm-cores", "two"], "Invalid value for '--slurm-cores'"),
])
def test_bad_slurm_options_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, options: list[str], says: str,
) -> None:
    code, stderr = sweep(tmp_path, capsys, monkeypatch, *options)
    assert code == 2 and says in stderr, stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "out").exists()


BIG_SCENARIO = """\
name: big
years: 5
system: {districts: 20, schools_per_district: 100, teachers_per_school: 200}
"""


def test_a_sweep_too_big_for_its_slurm_workers_exits_2_before_anything_is_submitted(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch: nothing could be submitted, yet the check comes first
    monkeypatch.delenv("CRITICAL_MASS_SKIP_MEMORY_CHECK", raising=False)
    # 400,000 teachers: about 420 MiB a run
    code, stderr = sweep(tmp_path, capsys, monkeypatch, "--slurm", "--slurm-cores", "4", "--slurm-memory", "2G",
                         "--dry-run", scenario=BIG_SCENARIO)
    assert code == 2, stderr
    assert "--slurm-memory 2048M: " in stderr and "(design point " in stderr and "one run needs about" in stderr
    assert "256 MiB of 512 MiB (4 worker(s) a job)" in stderr and "(or fewer --slurm-cores)" in stderr
    assert "Traceback" not in stderr and not (tmp_path / "out").exists()


def test_without_slurm_commands_the_sweep_says_where_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch here
    code, stderr = sweep(tmp_path, capsys, monkeypatch, "--slurm")
    assert code == 2 and "--slurm needs SLURM's commands (sbatch, squeue, scancel) on PATH" in stderr, stderr
    assert "scripts/local-slurm start" in stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize("name, expected", [
    ("tiny_sweep", "critical-mass-tiny_sweep"),
    ("../logs elsewhere/x", "critical-mass-logs_elsewhere_x"),
    ("Áncash: 2024", "critical-mass-Ancash_2024"),
    ("...", "critical-mass-sweep"),
])
def test_a_job_name_from_a_shared_file_is_safe_for_sbatch_and_log_paths(name: str, expected: str) -> None:
    from sim.cli.backends import job_name

    assert job_name(name) == expected
