"""`critical-mass tipping`: find the tipping point, with honest uncertainty.

    critical-mass tipping SWEEP_DIR                        thresholds (1 parameter) or the boundary (2)
    critical-mass tipping EXPERIMENT --search KEY.PATH     adaptive search for the threshold in KEY.PATH
    critical-mass tipping SCENARIO --hysteresis KEY.PATH --from A --to B --steps N --years-per-step K
    critical-mass tipping SCENARIO --early-warning         variance and autocorrelation before tipping
    critical-mass tipping EXPERIMENT --sensitivity         Morris ranking of the experiment's parameters
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from sim.cli.common import SetOption, UsageError, err, out
from sim.cli.progress import DelayedProgress
from sim.folder_names import folder_name
from sim.results_io import write_json, write_parquet, write_text
from sim.scenario import parse_overrides
from sim.tipping.trials import Base, load_base


def tipping_command(
    target: Path = typer.Argument(..., metavar="TARGET", help="A sweep folder, an experiment or a scenario file."),  # noqa: B008
    search: str = typer.Option(None, "--search", metavar="KEY.PATH", help="Search for the threshold in this value."),
    low: float = typer.Option(None, "--low", help="--search: lowest value (default: the experiment's)."),
    high: float = typer.Option(None, "--high", help="--search: highest value (default: the experiment's)."),
    tolerance: float = typer.Option(
        None, "--tolerance", min=0, help="--search: stop when the interval is narrower (default: 2% of the range)."
    ),
    max_runs: int = typer.Option(3000, "--max-runs", min=50, help="--search: most runs to spend."),
    hysteresis: str = typer.Option(None, "--hysteresis", metavar="KEY.PATH", help="Ramp this value up and back."),
    start: float = typer.Option(None, "--from", help="--hysteresis: start value."),
    stop: float = typer.Option(None, "--to", help="--hysteresis: turning value."),
    steps: int = typer.Option(7, "--steps", min=2, help="--hysteresis: values from --from to --to."),
    years_per_step: int = typer.Option(5, "--years-per-step", min=1, help="--hysteresis: years at each value."),
    burn_in: int = typer.Option(
        None, "--burn-in", min=0, help="--hysteresis: years at --from first (default: the scenario's)."
    ),
    early_warning: bool = typer.Option(False, "--early-warning", help="Early-warning indicators before tipping."),
    years: int = typer.Option(None, "--years", min=1, help="--early-warning: years to run (default: the scenario's)."),
    sensitivity: bool = typer.Option(False, "--sensitivity", help="Morris screening of an experiment's parameters."),
    trajectories: int = typer.Option(6, "--trajectories", min=2, help="--sensitivity: Morris trajectories."),
    replicates: int = typer.Option(None, "--replicates", min=1, help="Replicates per ramp, point or scenario."),
    along: str = typer.Option(
        None, "--along", metavar="KEY.PATH", help="Two-parameter sweep: the parameter to find thresholds in."
    ),
    confidence: float = typer.Option(0.95, "--confidence", min=0.5, max=0.999, help="Confidence of every interval."),
    overrides: list[str] = SetOption,
    seed: int = typer.Option(None, "--seed", min=0, help="Seed (default: the experiment's, or 0)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Processes (default: all cores)."),
    out_dir: Path = typer.Option(None, "--out", help="Results folder (default: DIR/tipping/ or results/tipping/...)."),  # noqa: B008
) -> None:
    """Find where the system tips: thresholds with intervals, search, hysteresis, early warning, sensitivity."""
    modes = [name for name, on in (("--search", search), ("--hysteresis", hysteresis),
                                   ("--early-warning", early_warning), ("--sensitivity", sensitivity)) if on]
    if len(modes) > 1:
        raise UsageError(f"choose one of {', '.join(modes)}")
    workers = workers or max(1, os.cpu_count() or 1)
    if not modes:
        if overrides:
            raise UsageError("--set applies to a scenario or experiment, not to a finished sweep")
        return _detect(target, along, confidence, out_dir)
    if target.is_dir():
        raise UsageError(f"{modes[0]} runs the model: give a scenario or experiment file, not the folder {target}")
    base = _base(target, overrides)
    seed = base.seed if seed is None else seed
    if search:
        return _search(base, search, low, high, tolerance, confidence, max_runs, seed, workers, out_dir)
    if hysteresis:
        if start is None or stop is None:
            raise UsageError("--hysteresis needs --from and --to")
        return _hysteresis(base, hysteresis, start, stop, steps, years_per_step, burn_in, replicates or 6, seed,
                           confidence, workers, out_dir)
    if early_warning:
        return _warning(base, years, replicates or 20, seed, workers, out_dir)
    return _sensitivity(target, base, trajectories, replicates or 8, seed, workers, out_dir)


def _base(path: Path, overrides: list[str]) -> Base:
    base = load_base(path)
    if overrides:
        scenario = base.build(parse_overrides(overrides))
        base = dataclasses.replace(base, scenario=scenario.model_dump(mode="json"))
    return base


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _folder(out_dir: Path | None, default: Path) -> Path:
    directory = out_dir or default
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out {directory} exists and is not a folder")
    return directory


def _num(value: float, digits: int = 3) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}g}"


def _write_table(frame: pd.DataFrame, directory: Path, name: str) -> None:
    write_parquet(frame, directory / f"{name}.parquet")
    write_text(frame.to_csv(index=False), directory / f"{name}.csv")


# --- a finished sweep --------------------------------------------------------------------------------


def _detect(directory: Path, along: str | None, confidence: float, out_dir: Path | None) -> None:
    from sim.sweep.store import read_manifest, read_runs
    from sim.tipping import detect

    if not directory.is_dir():
        raise UsageError(f"{directory} is not a sweep folder; to run the model give --search, --hysteresis, "
                         "--early-warning or --sensitivity")
    manifest = read_manifest(directory)
    runs = read_runs(directory)
    parameters, outcomes = list(manifest["parameters"]), list(manifest["outcomes"])
    ok = detect.ok_runs(runs)
    if ok.empty:
        raise UsageError(f"{directory} has no finished runs yet")
    numeric = [p for p in parameters if pd.api.types.is_numeric_dtype(ok[p]) and not pd.api.types.is_bool_dtype(ok[p])]
    if numeric != parameters:
        raise UsageError(f"thresholds need numeric parameters; {', '.join(set(parameters) - set(numeric))} are not")
    target = _folder(out_dir, directory / "tipping")
    out.print(f"[bold]{escape(manifest['name'])}[/]: {len(ok)} finished runs; tipped means the scenario's own rule.",
              markup=True)
    if len(parameters) == 1:
        _one_parameter(ok, parameters[0], outcomes, confidence, target, manifest["name"])
    elif len(parameters) == 2:
        _two_parameters(ok, parameters, along, confidence, target, manifest["name"])
    else:
        raise UsageError(f"this sweep varies {len(parameters)} parameters; thresholds are drawn for 1, the boundary "
                         "for 2 (for more, --sensitivity ranks them)")


def _one_parameter(runs: pd.DataFrame, parameter: str, outcomes: list[str], confidence: float, target: Path,
                   name: str) -> None:
    from sim.analysis.tipping_plots import threshold_curve
    from sim.tipping import detect
    from sim.tipping.fit import Binomial, fit_logistic

    table = detect.thresholds(runs, parameter, outcomes, confidence)
    points = detect.tipped_by_point(runs, [parameter])
    _write_table(table, target, "thresholds")
    _write_table(points, target, "points")
    view = Table(show_edge=False, title=f"Thresholds in {parameter} ({confidence:.0%} bootstrap intervals)")
    for column in ("outcome", "threshold", "interval", "transition width (10-90%)", "direction", "note"):
        view.add_column(column, justify="left" if column in ("outcome", "note", "direction") else "right")
    for row in table.to_dict("records"):
        view.add_row(row["outcome"] if row["outcome"] != "tipped" else "P(tipped)", _num(row["threshold"]),
                     f"{_num(row['ci_low'])} to {_num(row['ci_high'])}", _num(row["transition_width"]),
                     row["direction"], row["note"])
    out.print(view)
    first = table.iloc[0]
    slope = None
    data = Binomial.from_outcomes(runs[parameter].to_numpy(float), runs["tipped"].to_numpy(bool))
    if data.mixed and data.x.size > 1:
        slope = fit_logistic(data, (float(data.x.min()), float(data.x.max())), confidence).slope
    figure = threshold_curve(points, parameter, float(first["threshold"]), (first["ci_low"], first["ci_high"]), slope,
                             f"{name}: P(tipped) against {parameter}", target / f"tipping_{_slug(parameter)}.png")
    out.print(f"Tables: {target}/thresholds.csv, points.csv (and .parquet); figure: {figure}", markup=False)


def _two_parameters(runs: pd.DataFrame, parameters: list[str], along: str | None, confidence: float, target: Path,
                    name: str) -> None:
    from sim.analysis.tipping_plots import boundary_map
    from sim.tipping import boundary, detect

    if along is not None and along not in parameters:
        raise UsageError(f"--along must be one of the sweep's parameters: {', '.join(parameters)}")
    # default: find thresholds in the parameter with more values, one fit per level of the other
    across = along or max(parameters, key=lambda p: runs[p].nunique())
    level = next(p for p in parameters if p != across)
    levels = boundary.along(runs, across, level, confidence)
    contour = boundary.surface(runs, across, level, confidence)
    points = detect.tipped_by_point(runs, parameters)
    _write_table(levels, target, "boundary_levels")
    _write_table(contour, target, "boundary_contour")
    _write_table(points, target, "points")
    view = Table(show_edge=False, title=f"Threshold in {across} at each {level} ({confidence:.0%} profile intervals)")
    for column in (level, "threshold", "interval", "note"):
        view.add_column(column, justify="right" if column != "note" else "left")
    for row in levels.to_dict("records"):
        view.add_row(f"{row[level]:g}", _num(row["threshold"]), f"{_num(row['ci_low'])} to {_num(row['ci_high'])}",
                     row["note"])
    out.print(view)
    figure = boundary_map(points, across, level, levels, contour, f"{name}: where P(tipped) = 1/2",
                          target / f"boundary_{_slug(across)}.png")
    out.print(f"Tables: {target}/boundary_levels.csv, boundary_contour.csv, points.csv; figure: {figure}", markup=False)


# --- adaptive search -----------------------------------------------------------------------------------


def _search(base: Base, key: str, low: float | None, high: float | None, tolerance: float | None, confidence: float,
            max_runs: int, seed: int, workers: int, out_dir: Path | None) -> None:
    from sim.analysis.tipping_plots import search_runs
    from sim.sweep.execute import local_executor
    from sim.tipping.search import NoTransition, find_threshold
    from sim.tipping.trials import ModelTrial, numeric_value

    numeric_value(base, key)
    bounds = base.bounds.get(key)
    low = low if low is not None else (bounds[0] if bounds else None)
    high = high if high is not None else (bounds[1] if bounds else None)
    if low is None or high is None:
        raise UsageError(f"give --low and --high: {base.source} does not vary {key}")
    if not high > low:
        raise UsageError(f"--low must be below --high (got {low:g} and {high:g})")
    tolerance = tolerance or 0.02 * (high - low)
    trial = ModelTrial(base, key, base.balances.get(key))
    trial.scenario(low), trial.scenario(high)  # both ends must be valid scenarios before anything runs
    target = _folder(out_dir, Path("results") / "tipping" / f"{folder_name(base.name)}-search-{_slug(key)}")
    out.print(f"[bold]{escape(base.name)}[/]: searching {key} in [{low:g}, {high:g}] to within {tolerance:g} "
              f"({confidence:.0%} interval), at most {max_runs} runs of {base.years} years; seed {seed}.",
              markup=True)
    executor = local_executor(workers)
    progress = DelayedProgress(f"search {key}", max_runs, console=err)

    def on_round(result: object) -> None:
        progress.advance(result.runs - progress_done[0])  # type: ignore[attr-defined]
        progress_done[0] = result.runs  # type: ignore[attr-defined]

    progress_done = [0]
    try:
        with progress:
            result = find_threshold(trial, low, high, tolerance, confidence, np.random.default_rng(seed),
                                    max_runs=max_runs, map_batch=trial.on(executor), on_round=on_round)
    except NoTransition as exc:
        raise UsageError(f"{exc}; widen --low/--high") from None
    phase = np.where(np.arange(result.runs) < result.runs - result.measured_runs, "locate", "measure")
    write_parquet(pd.DataFrame({"run": np.arange(result.runs), key: result.x, "tipped": result.y, "phase": phase}),
                  target / "runs.parquet")
    grid = np.linspace(low, high, 101)
    write_text(pd.DataFrame({key: grid, "p_tipped": result.fit.probability(grid)}).to_csv(index=False),
               target / "curve.csv")
    summary = {
        "key": key, "low": low, "high": high, "tolerance": tolerance, "confidence": confidence, "seed": seed,
        "threshold": result.threshold, "ci": list(result.ci), "width": result.width, "runs": result.runs,
        "measured_runs": result.measured_runs, "converged": result.converged,
        "transition_width": result.transition_width, "slope": result.fit.slope, "years": base.years,
        "source": str(base.source),
    }
    write_json(summary, target / "summary.json")
    figure = search_runs(result.x, result.y.astype(float), result.measured_runs, result.threshold, result.ci,
                         result.fit.slope, key, f"{base.name}: search for the threshold in {key}",
                         target / "search.png")
    state = "converged" if result.converged else f"NOT converged within {max_runs} runs"
    out.print(f"Threshold: {key} = {result.threshold:.4g}, {confidence:.0%} interval {result.ci[0]:.4g} to "
              f"{result.ci[1]:.4g} (width {result.width:.3g}; {state}).", markup=False)
    out.print(f"Runs used: {result.runs} ({result.runs - result.measured_runs} locating, {result.measured_runs} in the "
              f"measuring batch the interval comes from); transition width (P 0.1 to 0.9): "
              f"{_num(result.transition_width)}.", markup=False)
    out.print(f"Results: {target}/ (summary.json, runs.parquet, curve.csv); figure: {figure}", markup=False)
    if not result.converged:
        raise typer.Exit(1)


# --- hysteresis ------------------------------------------------------------------------------------------


def _hysteresis(base: Base, key: str, start: float, stop: float, steps: int, years_per_step: int,
                burn_in: int | None, replicates: int, seed: int, confidence: float, workers: int,
                out_dir: Path | None) -> None:
    from sim.analysis.tipping_plots import hysteresis_loop
    from sim.tipping.hysteresis import Ramp, analyse, check_rampable, run_hysteresis

    check_rampable(key)
    if start == stop:
        raise UsageError("--from and --to must differ")
    ramp = Ramp(key, [float(v) for v in np.linspace(start, stop, steps)], years_per_step,
                base.years if burn_in is None else burn_in, base.balances.get(key))
    target = _folder(out_dir, Path("results") / "tipping" / f"{folder_name(base.name)}-hysteresis-{_slug(key)}")
    total = ramp.burn_in + 2 * steps * years_per_step
    out.print(f"[bold]{escape(base.name)}[/]: {key} from {start:g} to {stop:g} and back in {steps} steps of "
              f"{years_per_step} year(s), after {ramp.burn_in} years at {start:g} ({total} years); "
              f"{replicates} replicate(s), seed {seed}.", markup=True)
    frame = run_hysteresis(base, ramp, replicates, seed, min(workers, replicates))
    result = analyse(frame, confidence)
    write_parquet(frame, target / "steps.parquet")
    view = Table(show_edge=False, title="Share of replicates tipped at the end of each step")
    view.add_column(key, justify="right")
    view.add_column("forward", justify="right")
    view.add_column("back", justify="right")
    shares = frame[frame["branch"] != "control"].pivot_table(index="value", columns="branch", values="tipped",
                                                             aggfunc="mean")
    for value, row in shares.iterrows():
        view.add_row(f"{value:g}", f"{row.get('forward', np.nan):.0%}", f"{row.get('back', np.nan):.0%}")
    out.print(view)
    lines = []
    for branch in (result.forward, result.back):
        if branch.fit is not None:
            lines.append(f"{branch.branch}: threshold {branch.fit.threshold:.4g} ({confidence:.0%} interval "
                         f"{branch.fit.ci[0]:.4g} to {branch.fit.ci[1]:.4g})")
        else:
            lines.append(f"{branch.branch}: no transition (tipped in {branch.tipped_share:.0%} of replicate-steps)")
    for line in lines:
        out.print(line, markup=False)
    if result.tipped_forward:
        out.print(f"Of {result.tipped_forward} replicate(s) tipped at {stop:g}, {result.persisted:.0%} were still "
                  f"tipped back at {start:g}.", markup=False)
    out.print(f"Control, held at {start:g} for the same {total} years: {result.control_tipped:.0%} tipped.",
              markup=False)
    if result.interval is not None and result.significant:
        verdict = (f"Bistable (path-dependent) interval: {key} from {result.interval[0]:.4g} to "
                   f"{result.interval[1]:.4g}: there the state depends on where the system came from.")
    elif result.interval is not None:
        verdict = (f"The branches' thresholds differ ({result.interval[0]:.4g} to {result.interval[1]:.4g}) but not "
                   "beyond their intervals: no bistability shown at this resolution.")
    else:
        verdict = "No bistable interval: the forward ramp did not tip the system, or the back ramp undid it alike."
    out.print(verdict, markup=False)
    summary = {
        "key": key, "from": start, "to": stop, "steps": steps, "years_per_step": years_per_step,
        "burn_in": ramp.burn_in, "replicates": replicates, "seed": seed,
        "forward_threshold": result.forward.fit.threshold if result.forward.fit else None,
        "forward_ci": list(result.forward.fit.ci) if result.forward.fit else None,
        "back_threshold": result.back.fit.threshold if result.back.fit else None,
        "back_ci": list(result.back.fit.ci) if result.back.fit else None,
        "persisted": result.persisted, "tipped_forward": result.tipped_forward,
        "control_tipped": result.control_tipped, "interval": list(result.interval) if result.interval else None,
        "significant": result.significant, "verdict": verdict,
    }
    write_json(summary, target / "summary.json")
    figure = hysteresis_loop(frame, key, result.interval if result.significant else None,
                             f"{base.name}: {key} ramped {start:g} -> {stop:g} -> {start:g}", target / "hysteresis.png")
    out.print(f"Results: {target}/ (steps.parquet, summary.json); figure: {figure}", markup=False)


# --- early warning ---------------------------------------------------------------------------------------


def _warning(base: Base, years: int | None, replicates: int, seed: int, workers: int, out_dir: Path | None) -> None:
    from sim.analysis.tipping_plots import warning_panel
    from sim.runner import run_replicates
    from sim.tipping.warning import before_tipping, summarise

    scenario = base.build()
    years = years or base.years
    target = _folder(out_dir, Path("results") / "tipping" / f"{folder_name(base.name)}-warning")
    out.print(f"[bold]{escape(base.name)}[/]: {replicates} replicate(s) of {years} years, seed {seed}; "
              "indicators on the tipping metric before the year each replicate tipped.", markup=True)
    with DelayedProgress(f"{base.name}: {replicates} x {years} years", replicates * years, console=err) as progress:
        frames = run_replicates(scenario, replicates, seed, years, min(workers, replicates), progress.advance)
    runups = before_tipping(frames["yearly"], "tipping_metric")
    summary, table = summarise(runups)
    _write_table(table, target, "indicators")
    tipped = len(runups)
    out.print(f"{tipped} of {replicates} replicate(s) tipped; {summary.replicates} had a run-up of 8+ years to "
              f"analyse ({summary.too_short} tipped sooner).", markup=False)
    if summary.replicates:
        out.print(f"Rolling variance rose (Kendall tau > 0) in {summary.variance_rising} of {summary.replicates} "
                  f"(median tau {summary.median_variance_tau:+.2f}); lag-1 autocorrelation in "
                  f"{summary.autocorrelation_rising} (median {summary.median_autocorrelation_tau:+.2f}); both in "
                  f"{summary.both_rising}.", markup=False)
        out.print(f"Rising beyond what the trend alone gives (surrogates: the smooth trend plus constant AR(1) "
                  f"noise, p < 0.05): variance in {summary.variance_beyond_trend}, autocorrelation in "
                  f"{summary.autocorrelation_beyond_trend} of {summary.replicates}.", markup=False)
    write_json({**dataclasses.asdict(summary), "tipped": tipped, "replicates_run": replicates, "years": years,
                "seed": seed}, target / "summary.json")
    figure = warning_panel(runups, table, "tipping_metric", f"{base.name}: the run-up to tipping",
                           target / "warning.png")
    out.print(f"Results: {target}/ (indicators.csv, summary.json); figure: {figure}", markup=False)


# --- sensitivity -----------------------------------------------------------------------------------------


def _sensitivity(path: Path, base: Base, trajectories: int, replicates: int, seed: int, workers: int,
                 out_dir: Path | None) -> None:
    from sim.analysis.tipping_plots import sensitivity_bars
    from sim.sweep.execute import local_executor
    from sim.sweep.experiment import load_experiment
    from sim.tipping import sensitivity as morris
    from sim.tipping.trials import is_experiment

    if not is_experiment(path):
        raise UsageError("--sensitivity needs an experiment file: its parameters and their ranges are the factors")
    factors = morris.factors(base, load_experiment(path).experiment.parameters)
    points = morris.design(factors, trajectories, seed)
    total = len(points) * replicates
    target = _folder(out_dir, Path("results") / "tipping" / f"{folder_name(base.name)}-sensitivity")
    out.print(f"[bold]{escape(base.name)}[/]: Morris screening of {len(factors)} parameters, "
              f"{trajectories} trajectories = {len(points)} points x {replicates} replicates (same seeds at every "
              f"point) = {total} runs of {base.years} years.", markup=True)
    with DelayedProgress("sensitivity", total, console=err) as progress:
        runs = morris.run_design(base, factors, points, replicates, local_executor(min(workers, total)),
                                 on_run=lambda: progress.advance(1))
    outcomes = morris.point_outcomes(runs, len(points), base.years)
    table = morris.analyse(factors, points, outcomes, seed)
    write_parquet(runs, target / "runs.parquet")
    _write_table(table, target, "morris")
    view = Table(show_edge=False, title="Morris mu* (95% bootstrap half-width): mean absolute effect of a step "
                                        "across each range")
    view.add_column("rank", justify="right")
    view.add_column("parameter")
    view.add_column("range", justify="right")
    for outcome in morris.OUTCOMES:
        view.add_column(outcome, justify="right")
    wide = table.pivot_table(index="parameter", columns="outcome", values=["mu_star", "mu_star_conf", "rank"])
    for parameter in wide.sort_values(("rank", "p_tipped")).index:
        factor = next(f for f in factors if f.key == parameter)
        cells = [f"{wide.loc[parameter, ('mu_star', o)]:.3g} ±{wide.loc[parameter, ('mu_star_conf', o)]:.2g}"
                 for o in morris.OUTCOMES]
        view.add_row(str(int(wide.loc[parameter, ("rank", "p_tipped")])), parameter, f"{factor.low:g}-{factor.high:g}",
                     *cells)
    out.print(view)
    figure = sensitivity_bars(table, "p_tipped", f"{base.name}: which parameter moves P(tipped) most (Morris)",
                              target / "sensitivity.png")
    write_text(json.dumps({"trajectories": trajectories, "replicates": replicates, "points": len(points),
                           "runs": total, "seed": seed}, indent=2) + "\n", target / "design.json")
    out.print(f"Results: {target}/ (morris.csv, runs.parquet); figure: {figure}", markup=False)
