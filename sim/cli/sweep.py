"""`critical-mass sweep EXPERIMENT`: run a parameter sweep that survives any interruption.

"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from sim.cli.backends import backend_for, check_dask
from sim.cli.common import UsageError, err, given_options, out, report_os_error
from sim.cli.progress import DelayedProgress
from sim.folder_names import folder_name

if TYPE_CHECKING:
    import pandas as pd

    from sim.jobs import JobResult
    from sim.parallel import Backend, Lost
    from sim.sweep.plan import Plan
    from sim.sweep.session import SweepReport
    from sim.sweep.slurm import SlurmOptions

# the sweep machinery (Mesa, pandas, pyarrow) is imported inside the commands, so that
# `critical-mass --help` and the other commands start without it

MAX_POINTS_SHOWN = 30
MAX_ERRORS_SHOWN = 5


def sweep_command(
    context: typer.Context,
    experiment_file: Path = typer.Argument(None, metavar="EXPERIMENT", help="An experiment YAML file."),  # noqa: B008
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
    batch_size: int = typer.Option(
        None, "--batch-size", min=1, metavar="RUNS",
        help="Runs stepped together as one batch (default: as many as a worker's share of --memory-budget "
             "allows).",
    ),
    memory_budget: float | None = typer.Option(
        None, "--memory-budget", min=0.01, metavar="GB",
        help="Memory the batches of all workers may use together, in GB (default: CRITICAL_MASS_MEMORY_BUDGET, "
             "else 2).",
    ),
    compact: Path = typer.Option(  # noqa: B008
        None, "--compact", metavar="DIR",
        help="Merge a finished sweep's part files into a few large ones; run nothing.",
    ),
    allow_huge: bool = typer.Option(
        False, "--allow-huge", help="Run a plan of more than 10,000,000 runs (refused without it)."
    ),
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
    from sim.cli.plan_check import checked_plan, print_plan_estimate, sweep_workers
    from sim.sweep.store import MANIFEST

    if compact is not None:
        if experiment_file is not None:
            raise UsageError("--compact DIR works on a sweep folder alone: give no EXPERIMENT")
        # compacting runs nothing: an option for a run (--dry-run above all) would otherwise be ignored
        given = given_options(context, besides=("compact",))
        if given:
            raise UsageError(f"--compact DIR merges a sweep folder's part files and runs nothing: "
                             f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply")
        return _compact(compact)
    if experiment_file is None:
        raise UsageError("give an EXPERIMENT file (or --compact DIR)")
    check_dask(dask)
    if dask and workers and dask != "local":
        raise UsageError("--workers sets local processes; with --dask ADDRESS the cluster's workers run the sweep")
    slurm_options = _slurm_options(slurm, dask, workers, partition=slurm_partition, walltime=slurm_walltime,
                                   memory=slurm_memory, cores=slurm_cores, jobs=slurm_jobs, extra=slurm_extra or [],
                                   wait=slurm_wait)
    from sim.jobs import DEFAULT_MEMORY_BUDGET, asked_budget

    asked = asked_budget(memory_budget)
    budget = DEFAULT_MEMORY_BUDGET if asked is None else asked
    plan = checked_plan(experiment_file, allow_huge, workers)  # counted, estimated, refused above the limit
    directory = out_dir or Path("results") / "sweeps" / folder_name(plan.name)
    _check_folder(directory)
    print_design(plan, directory)
    if slurm_options:  # the runs go to the jobs' workers, each with its share of --slurm-memory
        budget = slurm_options.batch_budget(asked)
        _check_slurm_memory(plan, slurm_options, batch_size)
    else:
        workers = sweep_workers(plan, workers, dask, batch_size, budget)
    print_plan_estimate(plan, workers)
    if dry_run:
        return
    if not resume and (directory / MANIFEST).exists():
        raise UsageError(f"{directory} already holds a sweep; add --resume to finish it, or choose another --out")

    with backend_for(dask, workers, plan.total_runs, slurm_options, directory, plan.name) as backend:
        out.print(f"Running on {backend.description}.")
        report = _run(plan, directory, backend, resume, save_every, experiment_file, batch_size, budget)
    _compact(directory, quiet=True)

    runs = print_report(report, directory)
    if len(runs):
        _conclude(runs, directory, plan, figures)
    if len(runs) < plan.total_runs or (runs["status"] != "ok").any():
        raise typer.Exit(1)


def _check_folder(directory: Path) -> None:
    """Refuse a sweep folder that cannot be made, before --dry-run says all is well and before a run fails
    at its first save with advice to resume runs that never ran."""
    from sim.result_folder import check_creatable

    check_creatable(directory)
    existing = next((p for p in directory.parents if p.exists()), None)
    if existing is not None and not directory.exists() and not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {directory} cannot be made: {existing} is not writable; choose another --out")


def _compact(directory: Path, quiet: bool = False) -> None:
    """Merge part files; after a sweep only when there are many (a sweep of small batches)."""
    from sim.sweep.compact import compact
    from sim.sweep.heal import heal
    from sim.sweep.lock import sweep_lock
    from sim.sweep.plan import Plan
    from sim.sweep.store import RUNS, SERIES, read_manifest, runs_schema, series_schema

    plan = Plan.from_manifest(read_manifest(directory))  # a clear error if this is not a sweep folder
    if quiet and len(list((directory / RUNS).glob("part-*.parquet"))) <= 64:
        return
    with sweep_lock(directory):  # never while a sweep writes to the folder; damaged parts set aside first
        heal(directory, {RUNS: runs_schema(plan), SERIES: series_schema(plan)},
             advice=f"; finish the sweep with --resume (--out {directory})")
        done = compact(directory)
    if not quiet or done.parts_before != done.parts_after:
        out.print(f"Compacted {directory}: {done.parts_before} part files of {done.runs} runs into "
                  f"{done.parts_after}.", markup=False)


def _run(plan: Plan, directory: Path, backend: Backend, resume: bool, save_every: float, source: Path,
         batch_size: int | None, memory_budget: int) -> SweepReport:
    from sim.parallel import WorkersFailed
    from sim.sweep.session import run_sweep

    progress = DelayedProgress(f"{plan.name}: {plan.total_runs} runs", plan.total_runs, console=err)

    def on_result(result: JobResult | Lost) -> None:
        progress.advance(len(result.job.runs))

    try:
        with progress:
            return run_sweep(
                plan, directory, backend, resume=resume, flush_seconds=save_every, runs_per_batch=batch_size,
                memory_budget=memory_budget,
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
    except OSError as exc:  # a full disk, a folder that cannot be written: what was saved stays whole
        code = report_os_error(exc)
        err.print(f"Every run saved before this is kept in {directory}/; once fixed, continue with:\n"
                  f"  critical-mass sweep {source} --out {directory} --resume", markup=False)
        raise SystemExit(code) from None


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


def _check_slurm_memory(plan: Plan, options: SlurmOptions, batch: int | None) -> None:
    """Exit 2 before anything is submitted if the plan's biggest run (or --batch-size of them) would not fit in
    a worker's share of a job's memory: Dask would stop the worker at 95% of it, again and again."""
    from sim.memory import estimate
    from sim.sweep.slurm import SlurmOptionError

    sizes = [estimate(plan.scenario(i), plan.years).bytes for i in range(len(plan.points))]
    biggest = max(range(len(sizes)), key=sizes.__getitem__)
    try:
        options.check_fits(sizes[biggest], batch and min(batch, plan.total_runs),
                           f"{plan.experiment_file} (design point {biggest})")
    except SlurmOptionError as exc:
        raise UsageError(str(exc)) from None


def _in_order(value: Any) -> tuple[bool, float, str]:
    """Numbers by size, then words (a parameter may take both, e.g. equilibrium, 0.1, 0.3)."""
    number = isinstance(value, int | float)
    return not number, float(value) if number else 0.0, str(value)


def print_design(plan: Plan, directory: Path) -> None:
    values = {key: sorted({p.values[key] for p in plan.points}, key=_in_order) for key in plan.parameters}
    out.print(f"[bold]{escape(plan.name)}[/]: {len(plan.points)} design points ({plan.design}) x {plan.replicates} "
              f"replicate(s) = {plan.total_runs:,} runs of {plan.years} years; seed {plan.seed}", markup=True)
    for key, levels in values.items():
        shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in levels[:12])
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
    from sim.analysis.sweep_summary import point_summary

    summary = point_summary(runs, plan.parameters, plan.outcomes)
    if 0 < len(summary) <= MAX_POINTS_SHOWN:
        _print_points(summary, plan)
    paths = _figures(runs, directory, plan) if figures else []
    if paths:
        out.print(f"Figures: {', '.join(str(p) for p in paths)}", markup=False)
    out.print(f"Tables: {directory}/runs/ and {directory}/series/ (Parquet; sim.sweep.read_runs / read_series)",
              markup=False)


def _figures(runs: pd.DataFrame, directory: Path, plan: Plan) -> list[Path]:
    from sim.analysis.sweep_plots import plot_sweep  # matplotlib: only when figures are asked for
    from sim.sweep.store import FIGURES

    return plot_sweep(runs, plan.parameters, plan.outcomes, directory / FIGURES, plan.name)


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
