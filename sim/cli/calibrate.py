"""`critical-mass calibrate CALIBRATION`: learn uncertain scenario values from patterns programmes have seen.

Parses the command, calls sim.calibration, prints the outcome. pyabc (about 7 s to import) is
imported only when this command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sim.cli.common import UsageError, bold, err, out
from sim.cli.progress import DelayedProgress


class _PopulationProgress(DelayedProgress):
    """Accepted particles over all populations, with the current population and epsilon in the description."""

    def describe(self, text: str) -> None:
        self.description = text
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text)


def calibrate_command(
    calibration_file: Path = typer.Argument(..., metavar="CALIBRATION", help="A calibration YAML file."),  # noqa: B008
    out_dir: Path = typer.Option(  # noqa: B008
        None, "--out", help="Results folder (default: results/calibrations/<calibration name>/)."
    ),
    populations: int = typer.Option(None, "--populations", min=1, help="Most SMC populations (default: the file's)."),
    population_size: int = typer.Option(
        None, "--population-size", min=10, help="Accepted particles per population (default: the file's)."
    ),
    workers: int = typer.Option(None, "--workers", min=1, help="Local worker processes (default: all cores)."),
    dask: str = typer.Option(
        None, "--dask", metavar="ADDRESS", help="Run the model on a Dask scheduler; 'local' starts a LocalCluster."
    ),
    seed: int = typer.Option(None, "--seed", min=0, help="Seed (default: the file's, or 0)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted calibration in --out."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw PNG figures for the report."),
) -> None:
    """Approximate Bayesian computation (ABC-SMC): which parameter values reproduce the targets, and how surely."""
    from sim.calibration.runner import CalibrationError, calibrate, prepare, settings_for
    from sim.calibration.schema import load_calibration
    from sim.cli.backends import backend_for, check_dask
    from sim.folder_names import folder_name

    check_dask(dask)
    if dask and workers and dask != "local":
        raise UsageError("--workers sets local processes; with --dask ADDRESS the cluster's workers run the model")
    loaded = load_calibration(calibration_file)
    directory = out_dir or Path("results") / "calibrations" / folder_name(loaded.calibration.name)
    given = {name for name, value in (("populations", populations), ("population_size", population_size),
                                      ("seed", seed)) if value is not None}
    try:
        settings = prepare(loaded, directory, settings_for(loaded, populations, population_size, seed), resume, given)
    except CalibrationError as exc:
        raise UsageError(str(exc)) from None
    if dask is None or dask == "local":
        workers = local_workers(loaded, settings, workers, str(calibration_file))
    _print_plan(loaded, settings, directory)
    progress = _PopulationProgress("prior sample", settings.populations * settings.population_size, console=err)

    def on_round(report: object) -> None:
        t, eps = report.t, report.epsilon  # type: ignore[attr-defined]
        if t < 0:
            progress.describe(f"prior sample ({report.accepted}/{report.wanted})")  # type: ignore[attr-defined]
            return
        progress.describe(f"population {t + 1}/{settings.populations}, epsilon {eps:.3g}")
        progress.advance(t * settings.population_size + report.accepted - progress.completed)  # type: ignore[attr-defined]

    with backend_for(dask, workers, 10**6) as backend:
        out.print(f"Running on {backend.description}.")
        try:
            with progress:
                finish = calibrate(loaded, directory, settings, backend, resume, on_round, figures)
        except KeyboardInterrupt:
            err.print(f"interrupted: every finished population is saved in {directory}/. Continue with:\n"
                      f"  critical-mass calibrate {calibration_file} --out {directory} --resume", markup=False)
            raise SystemExit(130) from None
    _print_finish(finish)
    if not finish.exact:
        raise typer.Exit(1)


def local_workers(loaded: Any, settings: Any, asked: int | None, source: str) -> int:
    """Workers on this machine: as asked or one a core, no more than a population's runs (more would get none),
    and only as many as fit in memory (sim.memory; TooBigForMemory, exit 2, if not even one)."""
    from sim.cli.common import workers_for
    from sim.scenario import Scenario

    runs = settings.population_size * loaded.calibration.replicates
    return workers_for(Scenario.from_dict(loaded.base), asked, runs, source, gathered=1)


def _print_plan(loaded: object, settings: object, directory: Path) -> None:
    cal = loaded.calibration  # type: ignore[attr-defined]
    out.print(bold(cal.name), f": {len(cal.parameters)} parameter(s), {len(cal.targets)} target(s); at most "
              f"{settings.populations} populations of {settings.population_size}, {cal.replicates} run(s) of "  # type: ignore[attr-defined]
              f"{loaded.years} years per candidate; seed {settings.seed}.", sep="", markup=False)  # type: ignore[attr-defined]
    out.print(f"Results: {directory}/", markup=False)


def _print_finish(finish: object) -> None:
    import pandas as pd

    from sim.calibration.report import LOW_ESS

    directory = finish.directory  # type: ignore[attr-defined]
    out.print(f"{finish.status} ({finish.populations_done} population(s); {finish.model_runs} model runs; "  # type: ignore[attr-defined]
              f"{finish.wall_seconds:.0f} s).", markup=False)  # type: ignore[attr-defined]
    if finish.report is None:  # type: ignore[attr-defined]
        return
    parameters = pd.read_csv(directory / "parameters.csv")
    view = Table(show_edge=False, title="Posterior (90% intervals include the targets' sd and seed noise)")
    for column in ("parameter", "prior", "median", "90% interval", "verdict"):
        view.add_column(column, justify="left" if column in ("parameter", "verdict") else "right")
    for row in parameters.itertuples():
        view.add_row(row.parameter, f"{row.prior_low:.4g} to {row.prior_high:.4g}", f"{row.median:.4g}",
                     f"{row.low_90:.4g} to {row.high_90:.4g}", row.verdict)
    out.print(view)
    predictive = pd.read_csv(directory / "predictive.csv")
    fit = Table(show_edge=False, title="Targets: what the posterior's runs give")
    for column in ("target", "value ± sd", "median", "90% interval", "off by (sd)"):
        fit.add_column(column, justify="left" if column == "target" else "right")
    for row in predictive.itertuples():
        fit.add_row(row.target, f"{row.value:.4g} ± {row.sd:.4g}", f"{row.median:.4g}",
                    f"{row.low_90:.4g} to {row.high_90:.4g}", f"{row.off_by_sd:+.2f}")
    out.print(fit)
    last = pd.read_csv(directory / "diagnostics.csv").iloc[-1]
    size = int(pd.read_parquet(directory / "posterior.parquet").shape[0])
    if last["ess"] < LOW_ESS * size:
        out.print(f"Few effective particles: the last population's effective sample size is {last['ess']:.0f} of "
                  f"{size}; its intervals carry a large Monte Carlo error (a larger --population-size helps).",
                  markup=False)
    out.print(f"Posterior: {directory}/posterior.parquet; report: {finish.report}", markup=False)  # type: ignore[attr-defined]
