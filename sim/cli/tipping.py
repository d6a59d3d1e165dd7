"""`critical-mass tipping ...`: find where the system tips, with honest uncertainty.

    critical-mass tipping points SWEEP_DIR              tipping points (1 parameter) or the boundary (2)
    critical-mass tipping search TARGET --key KEY.PATH  adaptive search for the tipping point in KEY.PATH
    critical-mass tipping hysteresis SCENARIO --key KEY.PATH --from A --to B
    critical-mass tipping warning SCENARIO              variance and autocorrelation before tipping
    critical-mass tipping sensitivity EXPERIMENT        Morris screening (or --method sobol)

Each command parses, calls sim.tipping and prints; the analyses and their files live there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table

from sim.cli.common import CleanTyper, SetOption, UsageError, bold, err, given_options, out, result_folder
from sim.cli.progress import DelayedProgress
from sim.result_folder import MARKER, complete_folder
from sim.scenario import ScenarioError, parse_overrides
from sim.scenario.schema import MAX_YEARS

tipping_app = CleanTyper(
    name="tipping", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Find where the system tips: tipping points with intervals, search, hysteresis, early warning, "
         "sensitivity.",
)

Confidence = typer.Option(0.95, "--confidence", min=0.5, max=0.999, help="Confidence of every interval.")
Out = typer.Option(None, "--out", help="Results folder (default: beside the input, or results/tipping/...).")
Workers = typer.Option(None, "--workers", min=1, help="Processes (default: all cores).")
Seed = typer.Option(None, "--seed", min=0, help="Seed (default: the experiment's, or 0).")


def _base(path: Path, overrides: list[str] | None):
    from sim.tipping.trials import load_base

    if path.is_dir():
        raise UsageError(f"this command runs the model: give a scenario or experiment file, not the folder {path}")
    base = load_base(path)
    return base.overridden(parse_overrides(overrides)) if overrides else base


def _write_whole(directory: Path, kind: str, *writers: Callable[[Path], list[Path]]) -> None:
    """Each writer fills one staging folder, which then replaces `directory` whole (sim.result_folder): a
    result folder never mixes two analyses, and writing again to it replaces the last result."""
    with complete_folder(directory, f"tipping {kind}") as staging:
        written = [path for write in writers for path in write(staging)]
    _shown([directory / path.relative_to(staging) for path in written], directory)


def _shown(paths: list[Path], directory: Path) -> None:
    figures = [p.name for p in paths if p.suffix == ".png"]
    # the reports return their figures; the tables and summary they wrote are read from the folder
    tables = sorted({p.name for p in paths if p.suffix != ".png"}
                    | {p.name for p in directory.glob("*") if p.suffix in (".csv", ".json", ".html")})
    tables = [name for name in tables if name != MARKER]
    listed = f" ({', '.join(tables)})" if tables else ""
    out.print(f"Results: {directory}/{listed}" + (f"; figures: {', '.join(figures)}" if figures else ""),
              markup=False)


@tipping_app.command("points")
def points_command(
    sweep: Path = typer.Argument(..., metavar="SWEEP_DIR", help="A sweep folder (critical-mass sweep)."),  # noqa: B008
    along: str = typer.Option(None, "--along", metavar="KEY.PATH",
                              help="Two-parameter sweep: the parameter to find tipping points in."),
    confidence: float = Confidence,
    out_dir: Path = Out,
    discover: bool = typer.Option(False, "--discover", help="Also find PRIM boxes of the runs that tipped "
                                  "(as `tipping discover`)."),
) -> None:
    """Tipping points of a finished sweep: P(tipped) = 1/2 in one parameter, or the boundary in two."""
    from sim.sweep.store import read_manifest, read_runs
    from sim.tipping.reports import analyse_sweep, number

    if not sweep.is_dir():
        raise UsageError(f"{sweep} is not a sweep folder (give the --out folder of `critical-mass sweep`)")
    manifest = read_manifest(sweep)
    if discover and len(manifest["parameters"]) > 2:
        discover_command(sweep, "tipped", None, None, "prim", 3, out_dir)
        return
    if along is not None and len(manifest["parameters"]) == 1:
        raise UsageError(f"--along chooses one parameter of a two-parameter sweep; {sweep} varies only "
                         f"{', '.join(manifest['parameters'])}")
    result = analyse_sweep(read_runs(sweep), manifest, along, confidence)
    target = result_folder(out_dir, sweep, "tipping")
    found, not_found = None, None
    if discover:
        try:
            found = _discovery(sweep, "tipped", None, None, "prim", 3)
        except ScenarioError as exc:  # e.g. every run tipped: nothing to tell apart, but the points still stand
            not_found = exc
    out.print(bold(result.name), f": {result.runs} finished runs; tipped means the scenario's own rule; "
              f"intervals: {result.uncertainty}.", sep="")
    if len(result.parameters) == 1:
        view = Table(show_edge=False, title=f"Tipping points in {result.parameters[0]} ({confidence:.0%} intervals)")
        for column in ("outcome", "tipping point", "interval", "transition width (10-90%)", "direction", "note"):
            view.add_column(column, justify="left" if column in ("outcome", "note", "direction") else "right")
        for row in result.tables["tipping_points"].to_dict("records"):
            view.add_row(row["outcome"] if row["outcome"] != "tipped" else "P(tipped)", number(row["tipping_point"]),
                         f"{number(row['ci_low'])} to {number(row['ci_high'])}", number(row["transition_width"]),
                         row["direction"], row["note"])
        out.print(view)
        if result.knees is not None:
            for sentence in result.knees.get("sentence", []):
                out.print("- " + sentence, markup=False)
    else:
        level = result.level or ""
        view = Table(show_edge=False, title=f"Tipping point in {result.across} at each {level} "
                                            f"({confidence:.0%} profile intervals)")
        for column in (level, "tipping point", "interval", "note"):
            view.add_column(column, justify="right" if column != "note" else "left")
        for row in result.tables["boundary_levels"].to_dict("records"):
            view.add_row(f"{row[level]:g}", number(row["tipping_point"]),
                         f"{number(row['ci_low'])} to {number(row['ci_high'])}", row["note"])
        out.print(view)
    if found is None:
        _write_whole(target, "points", result.write)
        if not_found is not None:
            raise not_found  # reported as a problem (exit 2) once the points are written
        return
    for sentence in found.sentences():
        out.print("- " + sentence, markup=False)
    _write_whole(target, "points", result.write, found.write)  # one folder: the points and their boxes


def _discovery(sweep: Path, outcome: str, above: float | None, below: float | None, method: str, max_boxes: int):
    from sim.sweep.store import read_manifest, read_runs
    from sim.tipping.discover import discover_sweep

    return discover_sweep(read_runs(sweep), read_manifest(sweep), outcome=outcome, above=above, below=below,
                          method=method, max_boxes=max_boxes)


@tipping_app.command("discover")
def discover_command(
    sweep: Path = typer.Argument(..., metavar="SWEEP_DIR", help="A sweep folder (critical-mass sweep)."),  # noqa: B008
    outcome: str = typer.Option("tipped", "--outcome", help="tipped (the scenario's rule) or a kept outcome column."),
    above: float = typer.Option(None, "--above", help="With --outcome: runs ending above this are of interest."),
    below: float = typer.Option(None, "--below", help="With --outcome: runs ending below this are of interest."),
    method: str = typer.Option("prim", "--method", help="prim (boxes to read) or cart (a tree's leaves, a check)."),
    max_boxes: int = typer.Option(3, "--boxes", min=1, help="Most boxes to report."),
    out_dir: Path = Out,
) -> None:
    """Scenario discovery: which ranges of the swept parameters hold the runs that tipped (PRIM or CART)."""
    if not sweep.is_dir():
        raise UsageError(f"{sweep} is not a sweep folder (give the --out folder of `critical-mass sweep`)")
    found = _discovery(sweep, outcome, above, below, method, max_boxes)
    # its own folder by default: writing into the tipping points' folder would replace them
    target = result_folder(out_dir, sweep, f"discovery-{method}")
    for sentence in found.sentences():
        out.print("- " + sentence, markup=False)
    _write_whole(target, "discover", found.write)


def _apply(options: list[str]) -> str:
    return "applies" if len(options) == 1 else "apply"


def _finite(option: str, value: float) -> None:
    if not np.isfinite(value):
        raise UsageError(f"{option} must be a finite number (got {value:g})")


# the options of each way to search: the adaptive search places its own runs; --worlds runs a grid in each world
ADAPTIVE_ONLY = ("tolerance", "max_runs")
WORLDS_ONLY = ("steps", "replicates", "priors", "posterior")


@tipping_app.command("search")
def search_command(
    context: typer.Context,
    target: Path = typer.Argument(..., metavar="TARGET", help="An experiment or scenario file."),  # noqa: B008
    key: str = typer.Option(..., "--key", metavar="KEY.PATH", help="Search for the tipping point in this value."),
    low: float = typer.Option(None, "--low", help="Lowest value (default: the experiment's)."),
    high: float = typer.Option(None, "--high", help="Highest value (default: the experiment's)."),
    tolerance: float = typer.Option(None, "--tolerance", help="Without --worlds: stop when the interval is "
                                    "narrower (above 0; default: 2% of the range)."),
    max_runs: int = typer.Option(3000, "--max-runs", min=50, help="Without --worlds: most runs to spend."),
    confidence: float = Confidence,
    overrides: list[str] = SetOption,
    seed: int = Seed,
    workers: int = Workers,
    out_dir: Path = Out,
    worlds: int = typer.Option(None, "--worlds", min=1, help="Instead, locate the tipping point in each of N "
                               "plausible worlds (a grid of --steps values, --replicates each) and report its "
                               "spread (N >= 10)."),
    steps: int = typer.Option(9, "--steps", min=3, help="With --worlds: values from --low to --high."),
    replicates: int = typer.Option(8, "--replicates", min=2, help="With --worlds: replicates at each value."),
    priors: Path = typer.Option(None, "--priors", help="With --worlds: plausible ranges to draw from "  # noqa: B008
                                "(default: the shipped ones)."),
    posterior: Path = typer.Option(None, "--posterior", help="With --worlds: draw worlds from a calibration "  # noqa: B008
                                   "posterior (Parquet)."),
) -> None:
    """Adaptive search for the tipping point in one value: runs placed where the answer is uncertain.
    With --worlds N: the tipping point's distribution over N plausible worlds."""
    from sim.parallel import local
    from sim.tipping.reports import slug
    from sim.tipping.search import NoTransition
    from sim.tipping.trials import check_search, search

    # every option given must act: those of the other way to search are refused, not ignored
    if worlds is None and (misplaced := given_options(context, among=WORLDS_ONLY)):
        raise UsageError(f"{', '.join(misplaced)} {_apply(misplaced)} only with --worlds N (a grid of values in "
                         "each plausible world); the adaptive search without it places its own runs: add --worlds N "
                         "or leave them out")
    if worlds is not None and (misplaced := given_options(context, among=ADAPTIVE_ONLY)):
        raise UsageError(f"{', '.join(misplaced)} {_apply(misplaced)} only to the adaptive search (without "
                         "--worlds); with --worlds the grid is set by --low, --high, --steps and --replicates: leave "
                         "them out")
    if worlds is not None and worlds < 10:
        raise UsageError(f"--worlds needs at least 10 worlds (got {worlds})")
    base = _base(target, overrides)
    if worlds is not None:
        directory = result_folder(out_dir, Path("results") / "tipping", f"{base.name}-worlds-{slug(key)}")
        _search_in_worlds(base, key, low, high, steps, worlds, replicates, seed, workers, priors, posterior,
                          confidence, directory)
        return
    check_search(base, key, low, high, tolerance)  # before the plan is printed: nothing is promised that fails
    directory = result_folder(out_dir, Path("results") / "tipping", f"{base.name}-search-{slug(key)}")
    progress = DelayedProgress(f"search {key}", max_runs, console=err)
    done = [0]

    def on_round(state: Any) -> None:
        progress.advance(state.runs - done[0])
        done[0] = state.runs

    out.print(bold(base.name), f": searching {key}, at most {max_runs} runs of {base.years} years.", sep="")
    try:
        with progress:
            report = search(base, key, low, high, tolerance, confidence, max_runs, seed, local(workers), on_round)
    except NoTransition as exc:
        raise UsageError(f"{exc}; widen --low/--high") from None
    for sentence in report.sentences():
        out.print(sentence, markup=False)
    _write_whole(directory, "search", report.write)
    if not report.result.converged:
        raise typer.Exit(1)


def _search_in_worlds(base: Any, key: str, low: float | None, high: float | None, steps: int, worlds: int,
                      replicates: int, seed: int | None, workers: int | None, priors: Path | None,
                      posterior: Path | None, confidence: float, directory: Path) -> None:
    from sim.parallel import local
    from sim.tipping.over_worlds import analyse_tipping_worlds
    from sim.tipping.trials import end_scenario, numeric_value, search_range
    from sim.uncertainty.priors import load_priors
    from sim.uncertainty.run_worlds import run_tipping_in_worlds

    current = numeric_value(base, key)
    low, high = search_range(base, key, low, high)
    balance = base.balances.get(key)
    end_scenario(base, key, low, balance, "--low"), end_scenario(base, key, high, balance, "--high")
    spaced = np.linspace(low, high, steps)
    grid: list[float] = (sorted({int(x) for x in np.rint(spaced)}) if isinstance(current, int)
                         else [float(x) for x in spaced])
    ranges = load_priors(priors)
    source = ranges.from_posterior(posterior) if posterior is not None else ranges
    seed = base.seed if seed is None else seed
    total = (worlds + 1) * (len(grid) + 1) * replicates  # + 1: each world's run with no programme
    kind = "a calibrated posterior" if posterior is not None else "the plausible ranges"
    out.print(bold(base.name), f": {key} at {len(grid)} values x {replicates} replicates, and once with no "
              f"programme, in {worlds} worlds drawn from {kind} and at the scenario's own values: {total} runs of "
              f"{base.years} years.", sep="", markup=False)
    with DelayedProgress("worlds", total, console=err) as progress:
        ran = run_tipping_in_worlds(base, key, grid, source, worlds, replicates, seed, local(workers),
                                    progress.advance)
    report = analyse_tipping_worlds(ran, confidence)
    for note in ran.notes:
        err.print(f"note: {note}.", markup=False)
    for sentence in report.sentences():
        out.print(sentence, markup=False)
    _write_whole(directory, "search --worlds", report.write)


@tipping_app.command("hysteresis")
def hysteresis_command(
    target: Path = typer.Argument(..., metavar="TARGET", help="A scenario or experiment file."),  # noqa: B008
    key: str = typer.Option(..., "--key", metavar="KEY.PATH", help="Ramp this value up and back."),
    start: float = typer.Option(..., "--from", help="Start value."),
    stop: float = typer.Option(..., "--to", help="Turning value."),
    steps: int = typer.Option(7, "--steps", min=2, help="Values from --from to --to."),
    years_per_step: int = typer.Option(5, "--years-per-step", min=1, help="Years at each value."),
    burn_in: int = typer.Option(None, "--burn-in", min=0, help="Years at --from first (default: the scenario's). "
                                f"The burn-in and both ways of the ramp last at most {MAX_YEARS} years together."),
    replicates: int = typer.Option(6, "--replicates", min=1, help="Replicates of the ramp."),
    confidence: float = Confidence,
    overrides: list[str] = SetOption,
    seed: int = Seed,
    workers: int = Workers,
    out_dir: Path = Out,
) -> None:
    """Ramp a value up and back down, carrying the system along: does it tip back?"""
    from sim.parallel import default_workers
    from sim.tipping.hysteresis import Ramp, check_ramp, check_rampable, hysteresis_report
    from sim.tipping.reports import slug

    check_rampable(key)
    _finite("--from", start)
    _finite("--to", stop)
    if start == stop:
        raise UsageError("--from and --to must differ")
    base = _base(target, overrides)
    burn_in = base.years if burn_in is None else burn_in
    ramp_years = burn_in + 2 * steps * years_per_step
    if ramp_years > MAX_YEARS:  # one model runs them all: as long a run as `run --years` allows, no longer
        raise UsageError(f"--steps, --years-per-step and --burn-in: the ramp would run {burn_in} + 2 x {steps} x "
                         f"{years_per_step} = {ramp_years} years; at most {MAX_YEARS} (the longest run)")
    ramp = Ramp(key, [float(v) for v in np.linspace(start, stop, steps)], years_per_step, burn_in,
                base.balances.get(key))
    check_ramp(base, ramp)  # before the plan is printed: nothing is promised that fails
    directory = result_folder(out_dir, Path("results") / "tipping", f"{base.name}-hysteresis-{slug(key)}")
    seed = base.seed if seed is None else seed
    out.print(bold(base.name), f": {key} from {start:g} to {stop:g} and back in {steps} steps of "
              f"{years_per_step} year(s), after {ramp.burn_in} years at {start:g}; {replicates} replicate(s), "
              f"seed {seed}.", sep="")
    report = hysteresis_report(base, ramp, replicates, seed, confidence, min(workers or default_workers(), replicates))
    view = Table(show_edge=False, title="Share of replicates tipped at the end of each step")
    for column in (key, "forward", "back"):
        view.add_column(column, justify="right")
    for row in report.shares().to_dict("records"):
        view.add_row(f"{row['value']:g}", f"{row.get('forward', np.nan):.0%}", f"{row.get('back', np.nan):.0%}")
    out.print(view)
    for sentence in report.sentences():
        out.print(sentence, markup=False)
    _write_whole(directory, "hysteresis", report.write)


@tipping_app.command("warning")
def warning_command(
    target: Path = typer.Argument(..., metavar="TARGET", help="A scenario or experiment file."),  # noqa: B008
    years: int = typer.Option(None, "--years", min=1, max=MAX_YEARS, help="Years to run (default: the scenario's)."),
    replicates: int = typer.Option(20, "--replicates", min=1, help="Replicates to look for run-ups in."),
    overrides: list[str] = SetOption,
    seed: int = Seed,
    workers: int = Workers,
    out_dir: Path = Out,
) -> None:
    """Early-warning indicators (rising variance and autocorrelation) before each replicate tipped."""
    from sim.tipping.warning import early_warning

    base = _base(target, overrides)
    years = years or base.years
    seed = base.seed if seed is None else seed
    directory = result_folder(out_dir, Path("results") / "tipping", f"{base.name}-warning")
    out.print(bold(base.name), f": {replicates} replicate(s) of {years} years, seed {seed}; indicators on the "
              "tipping metric before the year each replicate tipped.", sep="")
    with DelayedProgress(f"{base.name}: {replicates} x {years} years", replicates * years, console=err) as progress:
        report = early_warning(base, years, replicates, seed, workers, progress.advance)
    for sentence in report.sentences():
        out.print(sentence, markup=False)
    _write_whole(directory, "warning", report.write)


@tipping_app.command("sensitivity")
def sensitivity_command(
    context: typer.Context,
    experiment: Path = typer.Argument(..., metavar="EXPERIMENT", help="An experiment file: its parameters and "  # noqa: B008
                                                                      "ranges are the factors."),
    method: str = typer.Option("morris", "--method", help="morris (a cheap screen) or sobol (variance shares)."),
    trajectories: int = typer.Option(6, "--trajectories", min=2, help="Morris trajectories (--method morris)."),
    samples: int = typer.Option(512, "--samples", min=8, help="Sobol base samples N, a power of two such as 256 "
                                "or 512 (--method sobol; N x (k + 2) points)."),
    replicates: int = typer.Option(8, "--replicates", min=1, help="Replicates per point (same seeds everywhere)."),
    overrides: list[str] = SetOption,
    seed: int = Seed,
    workers: int = Workers,
    out_dir: Path = Out,
) -> None:
    """Which of an experiment's parameters moves P(tipped) most: Morris screening or Sobol indices."""
    from sim.parallel import local
    from sim.sweep.experiment import load_experiment
    from sim.tipping import sensitivity as morris
    from sim.tipping.trials import is_experiment

    if method not in ("morris", "sobol"):
        raise UsageError(f"--method must be morris or sobol, not {method!r}")
    other = {"morris": ("samples",), "sobol": ("trajectories",)}[method]
    if misplaced := given_options(context, among=other):
        raise UsageError(f"{misplaced[0]} does not apply to --method {method}: leave it out")
    if method == "sobol" and samples & (samples - 1):
        # the Sobol' sequence is balanced only at powers of two
        below = 1 << (samples.bit_length() - 1)
        raise UsageError(f"--samples must be a power of two (got {samples}; try {below} or {below * 2})")
    if not is_experiment(experiment):
        raise UsageError("sensitivity needs an experiment file: its parameters and their ranges are the factors")
    loaded = load_experiment(experiment).experiment
    if loaded.design == "table":
        raise UsageError(f"{experiment} gives its points as a table (design: table), which has no ranges to "
                         "screen: sensitivity samples each parameter over its range, so list the parameters with "
                         "values, range or between instead")
    base = _base(experiment, overrides)
    seed = base.seed if seed is None else seed
    parameters = loaded.parameters
    directory = result_folder(out_dir, Path("results") / "tipping", f"{base.name}-sensitivity")
    if method == "morris":
        total = trajectories * (len(parameters) + 1) * replicates
        run = lambda on_run: morris.morris(base, parameters, trajectories, replicates, seed,  # noqa: E731
                                           local(workers), on_run)
    else:
        from sim.tipping import sobol

        total = sobol.runs_needed(len(parameters), samples, replicates)
        run = lambda on_run: sobol.sobol(base, parameters, samples, replicates, seed,  # noqa: E731
                                         local(workers), on_run)
    out.print(bold(base.name), f": {method.capitalize()} over {len(parameters)} parameters, {total} runs of "
              f"{base.years} years (replicate r has the same seed at every point).", sep="")
    with DelayedProgress("sensitivity", total, console=err) as progress:
        report = run(progress.advance)
    view = Table(show_edge=False, title=f"{method.capitalize()} on P(tipped), most influential first "
                                        "(95% intervals: the design's sampling error over these ranges)")
    view.add_column("parameter")
    view.add_column("range", justify="right")
    columns = ("mu_star", "sigma") if method == "morris" else ("S1", "ST")
    for column in columns:
        view.add_column(column, justify="right")
    for row in report.ranking("p_tipped").to_dict("records"):
        cells = [f"{row[c]:.3g}" + (f" ±{row[c + '_conf']:.2g}" if c + "_conf" in row else "") for c in columns]
        view.add_row(row["parameter"], f"{row['low']:g}-{row['high']:g}", *cells)
    out.print(view)
    _write_whole(directory, f"sensitivity --method {method}", report.write)
