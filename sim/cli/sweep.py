"""`critical-mass sweep EXPERIMENT`: run a parameter sweep that survives any interruption.

Also `critical-mass run --from-sweep DIR --run ID` (replay_from_sweep), which re-runs one run of a sweep.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sim.cli.common import UsageError, err, out
from sim.cli.progress import DelayedProgress

if TYPE_CHECKING:
    import pandas as pd

    from sim.sweep.execute import Executor, Lost, RunResult
    from sim.sweep.plan import Plan
    from sim.sweep.session import SweepReport
    from sim.sweep.slurm import SlurmOptions

# the sweep machinery (Mesa, pandas, pyarrow) is imported inside the commands, so that
# `critical-mass --help` and the other commands start without it

MAX_POINTS_SHOWN = 30
MAX_ERRORS_SHOWN = 5


def sweep_command(
    experiment_file: Path = typer.Argument(..., metavar="EXPERIMENT", help="An experiment YAML file."),  # noqa: B008
    out_dir: Path = typer.Option(  # noqa: B008
        None, "--out", help="Results folder (default: results/sweeps/<experiment name>/)."
    ),
    workers: int = typer.Option(None, "--workers", min=1, help="Local worker processes (default: all cores)."),
    dask: str = typer.Option(
        None, "--dask", metavar="ADDRESS",
        help="Send the runs to a Dask scheduler, e.g. tcp://head-node:8786; 'local' starts a LocalCluster here.",
    ),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted sweep: run only what is missing."),
    save_every: float = typer.Option(
        5.0, "--save-every", min=0, metavar="SECONDS",
        help="Save finished runs at least this often; a crash loses at most this much finished work.",
    ),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw PNG figures when the sweep ends."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate the experiment and show its design; run nothing."),
    slurm: bool = typer.Option(False, "--slurm", help="Run the sweep in SLURM batch jobs (see docs/sweeps.md).",
                               rich_help_panel="SLURM"),
    slurm_partition: str = typer.Option(None, "--slurm-partition", metavar="NAME", rich_help_panel="SLURM",
                                        help="Partition for the jobs (default: the cluster's default)."),
    slurm_walltime: str = typer.Option(None, "--slurm-walltime", metavar="TIME", rich_help_panel="SLURM",
                                       help="Wall time of each job, e.g. 90 or 02:00:00 (default 01:00:00); "
                                       "a job that reaches it is replaced."),
    slurm_memory: str = typer.Option(None, "--slurm-memory", metavar="SIZE", rich_help_panel="SLURM",
                                     help="Memory of each job, e.g. 8G (default 2G per core)."),
    slurm_cores: int = typer.Option(None, "--slurm-cores", metavar="N", rich_help_panel="SLURM",
                                    help="Cores of each job, one worker per core (default 1)."),
    slurm_jobs: int = typer.Option(None, "--slurm-jobs", metavar="N", rich_help_panel="SLURM",
                                   help="Jobs kept queued or running (default 1)."),
    slurm_extra: list[str] = typer.Option(  # noqa: B008
        None, "--slurm-extra", metavar="OPTION", rich_help_panel="SLURM",
        help="One more sbatch option for every job, e.g. --slurm-extra=--account=my-project (repeatable)."),
    slurm_wait: float = typer.Option(None, "--slurm-wait", metavar="SECONDS", rich_help_panel="SLURM",
                                     help="Give up after this long without a worker (default 3600)."),
) -> None:
    """Vary scenario values over many replicates; results are saved as runs finish and can be resumed."""
    from sim.sweep.plan import resolve
    from sim.sweep.store import MANIFEST

    slurm_options = _slurm_options(slurm, dask, workers, partition=slurm_partition, walltime=slurm_walltime,
                                   memory=slurm_memory, cores=slurm_cores, jobs=slurm_jobs, extra=slurm_extra or [],
                                   wait=slurm_wait)
    plan = resolve(experiment_file)
    directory = out_dir or Path("results") / "sweeps" / plan.name
    print_design(plan, directory)
    if dry_run:
        return
    if not resume and (directory / MANIFEST).exists():
        raise UsageError(f"{directory} already holds a sweep; add --resume to finish it, or choose another --out")
    if dask and workers and dask != "local":
        raise UsageError("--workers sets local processes; with --dask ADDRESS the cluster's workers run the sweep")

    with _executor(dask, workers, plan.total_runs, slurm_options, directory, plan.name) as executor:
        out.print(f"Running on {executor.description}.")
        report = _run(plan, directory, executor, resume, save_every, experiment_file)

    runs = print_report(report, directory)
    if len(runs):
        _conclude(runs, directory, plan, figures)
    if len(runs) < plan.total_runs or (runs["status"] != "ok").any():
        raise typer.Exit(1)


def _run(plan: Plan, directory: Path, executor: Executor, resume: bool, save_every: float, source: Path) -> SweepReport:
    from sim.sweep.execute import WorkersFailed
    from sim.sweep.session import run_sweep

    progress = DelayedProgress(f"{plan.name}: {plan.total_runs} runs", plan.total_runs, console=err)

    def on_result(result: RunResult | Lost) -> None:
        progress.advance(1)

    try:
        with progress:
            return run_sweep(
                plan, directory, executor, resume=resume, flush_seconds=save_every,
                on_start=lambda report: progress.advance(report.skipped) if report.skipped else None,
                on_result=on_result,
            )
    except KeyboardInterrupt:
        err.print(f"interrupted: every finished run is saved in {directory}/. Continue with:\n"
                  f"  critical-mass sweep {source} --out {directory} --resume", markup=False)
        raise SystemExit(130) from None
    except WorkersFailed as exc:
        err.print(f"error: {exc}. Finished runs are saved; continue with --resume.", markup=False)
        raise SystemExit(1) from None


def _slurm_options(slurm: bool, dask: str | None, workers: int | None, **given: object) -> SlurmOptions | None:
    from sim.sweep.slurm import SlurmOptionError, SlurmOptions

    named = [f"--slurm-{key}" for key, value in given.items() if value not in (None, [])]
    if not slurm:
        if named:
            raise UsageError(f"{', '.join(named)} only apply with --slurm")
        return None
    if dask:
        raise UsageError("--slurm and --dask are two ways to run the sweep: choose one")
    if workers:
        raise UsageError("--workers sets local processes; with --slurm, --slurm-jobs x --slurm-cores workers run it")
    try:
        return SlurmOptions.parse(**given)  # type: ignore[arg-type]
    except SlurmOptionError as exc:
        raise UsageError(str(exc)) from None


@contextlib.contextmanager
def _executor(dask: str | None, workers: int | None, runs: int, slurm: SlurmOptions | None = None,
              directory: Path = Path("."), name: str = "") -> Iterator[Executor]:
    from sim.sweep.execute import local_executor

    if slurm:
        yield from _slurm_executor(slurm, directory, name)
        return
    if not dask:
        yield local_executor(workers or max(1, min(os.cpu_count() or 1, runs)))
        return
    from distributed import Client, LocalCluster  # imported only when asked for: it takes a second

    from sim.sweep.execute import DaskCluster

    if dask == "local":
        n = workers or os.cpu_count() or 1
        # one thread per worker: a run holds the GIL most of the time, so threads would not run in parallel
        with LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield DaskCluster(client)
        return
    import dask as dask_config

    try:
        # Dask's own setting (DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT) decides how long to keep trying
        client = Client(dask, timeout=dask_config.config.get("distributed.comm.timeouts.connect"))
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach a Dask scheduler at {dask}: {exc}") from None
    with client:
        yield DaskCluster(client)


def _slurm_executor(options: SlurmOptions, directory: Path, name: str) -> Iterator[Executor]:
    from sim.sweep.slurm import SlurmError, SlurmOptionError, slurm_executor

    logs = directory / "slurm-logs"
    out.print(f"Submitting SLURM jobs: {options.describe()}; their logs go to {logs}/", markup=False)
    try:
        with slurm_executor(options, logs, f"critical-mass-{name}", notify=partial(err.print, markup=False)) as ex:
            yield ex
    except SlurmOptionError as exc:
        raise UsageError(str(exc)) from None
    except SlurmError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(1) from None


def print_design(plan: Plan, directory: Path) -> None:
    values = {key: sorted({p.values[key] for p in plan.points}, key=str) for key in plan.parameters}
    out.print(f"[bold]{plan.name}[/]: {len(plan.points)} design points ({plan.design}) x {plan.replicates} "
              f"replicate(s) = {plan.total_runs} runs of {plan.years} years; seed {plan.seed}")
    for key, levels in values.items():
        shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in sorted(levels)[:12])
        more = f", ... ({len(levels)} values)" if len(levels) > 12 else ""
        out.print(f"  {key}: {shown}{more}", markup=False)
    out.print(f"Results: {directory}/", markup=False)


def print_report(report: SweepReport, directory: Path) -> pd.DataFrame:
    """Print this sitting's work and the state of the whole folder; return the runs table."""
    from sim.sweep.store import read_runs

    rate = report.finished / report.seconds if report.seconds else 0.0
    out.print(f"\n{report.finished} run(s) in {report.seconds:.1f} s ({rate:.1f} runs/s); "
              f"{report.skipped} were already done.")
    runs = read_runs(directory)
    failed = runs[runs["status"] == "failed"]
    missing = report.total - len(runs)
    out.print(f"Sweep: {report.total} runs, {len(runs) - len(failed)} ok, {len(failed)} failed, {missing} missing.")
    if len(failed):
        err.print(f"{len(failed)} run(s) failed; their errors are in the runs table (status, error):", markup=False)
        for row in failed.head(MAX_ERRORS_SHOWN).itertuples():
            err.print(f"  {row.run_id}: {row.error}", markup=False)
    if missing:
        reasons = {lost.reason for lost in report.lost}
        err.print(f"{missing} run(s) are missing ({'; '.join(sorted(reasons)) or 'not run'}); "
                  "run the same command with --resume to finish them.", markup=False)
    return runs


def _conclude(runs: pd.DataFrame, directory: Path, plan: Plan, figures: bool) -> None:
    from sim.analysis.sweep_plots import plot_sweep, point_summary
    from sim.sweep.store import FIGURES

    summary = point_summary(runs, plan.parameters, plan.outcomes)
    if 0 < len(summary) <= MAX_POINTS_SHOWN:
        _print_points(summary, plan)
    paths = plot_sweep(runs, plan.parameters, plan.outcomes, directory / FIGURES, plan.name) if figures else []
    if paths:
        out.print(f"Figures: {', '.join(str(p) for p in paths)}", markup=False)
    out.print(f"Tables: {directory}/runs/ and {directory}/series/ (Parquet; sim.sweep.read_runs / read_series)",
              markup=False)


def _print_points(summary: pd.DataFrame, plan: Plan) -> None:
    shown = plan.outcomes[:3]
    table = Table(show_edge=False, title="Mean over replicates ±95% CI half-width")
    for key in plan.parameters:
        table.add_column(key.split(".")[-1], justify="right")
    table.add_column("runs", justify="right")
    table.add_column("tipped", justify="right")
    for outcome in shown:
        table.add_column(outcome, justify="right")
    for row in summary.to_dict("records"):
        cells = [f"{row[k]:g}" if isinstance(row[k], float) else str(row[k]) for k in plan.parameters]
        cells += [str(row["runs"]), f"{row['tipped']:.0%}"]
        cells += [_with_ci(row, o) for o in shown]
        table.add_row(*cells)
    out.print(table)


def _with_ci(row: dict, outcome: str) -> str:
    mean, low, high = row[outcome], row[f"{outcome}_low"], row[f"{outcome}_high"]
    if low != low:  # NaN: a single replicate has no interval
        return f"{mean:.3f}"
    return f"{mean:.3f} ±{(high - low) / 2:.3f}"


def replay_from_sweep(directory: Path, run_id: str) -> None:
    """Re-run one run of a sweep from the folder's manifest; exit 1 if it does not reproduce."""
    from sim.analysis.summary import summarise
    from sim.cli.run import print_summary, tipping_rule
    from sim.runner import combine
    from sim.sweep.replay import replay_run

    replay = replay_run(directory, run_id)
    settings = ", ".join(f"{k}={v}" for k, v in replay.overrides.items())
    out.print(f"Replaying {replay.spec.run_id} of {directory}: seed {replay.spec.seed}, {replay.years} years, "
              f"{settings}", markup=False)
    frames = combine([(replay.spec.replicate, replay.spec.seed, replay.frames)])
    print_summary(summarise(frames["yearly"], replay.scenario.name, tipping_rule(replay.scenario)), replay.scenario)
    if replay.stored is None:
        err.print(f"{replay.spec.run_id} has not finished in this sweep yet; nothing to compare with.", markup=False)
        raise typer.Exit(1)
    if not replay.reproduced:
        err.print(f"does NOT reproduce the stored results of {replay.spec.run_id}:", markup=False)
        for column, (before, now) in replay.differences.items():
            err.print(f"  {column}: stored {before}, replayed {now}", markup=False)
        raise typer.Exit(1)
    out.print(f"Reproduces the stored outcomes of {replay.spec.run_id} exactly.", markup=False)
