"""`critical-mass compare A.yaml B.yaml ...`: run each scenario on matched seeds and report differences."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from sim.cli.common import SetOption, UsageError, err, out, result_folder, workers_for
from sim.cli.progress import DelayedProgress
from sim.folder_names import folder_name
from sim.result_folder import complete_folder
from sim.scenario import Scenario, load_scenario, parse_overrides
from sim.scenario.schema import MAX_YEARS


def compare_command(
    scenario_files: list[Path] = typer.Argument(..., metavar="A.yaml B.yaml [C.yaml ...]", help="Scenarios; the first is the baseline."),  # noqa: B008, E501
    overrides: list[str] = SetOption,
    replicates: int = typer.Option(None, "--replicates", min=2, help="Matched replicates per scenario "
                                   "(default 20; 10 a world with --worlds)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed from which every replicate's seed derives."),
    years: int = typer.Option(
        None, "--years", min=1, max=MAX_YEARS,
        help="Years to simulate, the same for every scenario (default: the longest of the scenarios' own).",
    ),
    out_dir: Path = typer.Option(None, "--out", help="Results folder (default: results/compare-A-B/)."),  # noqa: B008
    workers: int = typer.Option(None, "--workers", min=1, help="Processes to use (default: up to all cores)."),
    worlds: int = typer.Option(None, "--worlds", min=1, help="Also draw N plausible worlds of the uncertain "
                               "assumptions and say in how many each strategy wins (N >= 10)."),
    priors: Path = typer.Option(None, "--priors", help="Plausible ranges to draw worlds from (default: the "  # noqa: B008
                                "shipped sim/scenario/priors.yaml)."),
    posterior: Path = typer.Option(None, "--posterior", help="Draw worlds from a calibration's posterior "  # noqa: B008
                                   "(Parquet) instead of the ranges."),
) -> None:
    """Compare scenarios on matched seeds; report differences with 95% intervals, and an HTML report."""
    if len(scenario_files) < 2:
        raise UsageError("give at least two scenario files to compare")
    if worlds is not None and worlds < 10:  # sim.uncertainty.worlds.MIN_WORLDS: shares of fewer say little
        raise UsageError(f"--worlds needs at least 10 worlds (got {worlds}): a share of fewer worlds has an "
                         "interval too wide to read")
    if worlds is None and (priors is not None or posterior is not None):
        raise UsageError("--priors and --posterior choose where worlds come from: add --worlds N")
    shared = parse_overrides(overrides)
    if years is not None:
        shared["years"] = years
    scenarios: dict[str, Scenario] = {}
    for path in scenario_files:
        scenario = load_scenario(path, shared)
        # each scenario's results go in a folder of its name, so the name must be safe and distinct as a folder
        scenarios[_distinct(folder_name(scenario.name, "scenario"), scenarios)] = scenario
    own = sorted({s.years for s in scenarios.values()})
    if years is None and len(own) > 1:  # compared in one final year, so all run as long as the longest
        err.print(f"note: the scenarios run for {', '.join(map(str, own))} years; all are run and compared at year "
                  f"{own[-1]} (--years sets another).", markup=False)
    directory = result_folder(out_dir, Path("results"), "compare-" + "-".join(scenarios)
                              + (f"-{worlds}-worlds" if worlds else ""))
    replicates = replicates or (10 if worlds is not None else 20)
    # every scenario fits in memory, with the frames of all the runs this process keeps to compare them; the
    # runs of every scenario (and world) share the workers, so they are the runs that can keep workers busy
    kept = replicates * len(scenarios) * (worlds or 1)
    workers = min(workers_for(s, workers, kept, str(p), gathered=kept)
                  for s, p in zip(scenarios.values(), scenario_files, strict=True))
    if worlds is not None:
        _compare_in_worlds(scenarios, worlds, replicates, seed, years, workers, priors, posterior, directory,
                           fixed=list(parse_overrides(overrides)))
        return

    from sim.analysis.comparison import compare_scenarios  # the model and pandas load here

    total = replicates * len(scenarios) * (years or own[-1])
    with DelayedProgress(f"{len(scenarios)} scenarios x {replicates} replicates", total) as progress:
        result = compare_scenarios(scenarios, replicates, seed, years, workers, progress.advance)
    with complete_folder(directory, "compare", {"scenarios": list(scenarios), "seed": seed}) as staging:
        report = directory / result.write(staging).relative_to(staging)
    for warning in result.warnings:
        err.print(f"note: {warning}.", markup=False)
    print_differences(result.differences, replicates)
    for sentence in result.sentences():
        out.print("- " + sentence, markup=False)
    out.print(f"\nResults: {directory}/ (per-scenario Parquet, differences.parquet/.csv)", markup=False)
    out.print(f"Report: {report} (self-contained HTML; figures also as PNG in {directory}/figures/)", markup=False)


def _distinct(name: str, taken: dict[str, Scenario]) -> str:
    """name, or name-N with the smallest N from the count so far that no scenario has taken: a later file
    may itself be called "ancash-3". Compared ignoring case, as folders are on macOS and Windows."""
    used = {t.casefold() for t in taken}
    candidate, n = name, len(taken) + 1
    while candidate.casefold() in used:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def print_differences(differences: list, replicates: int) -> None:
    out.print(f"Differences in the final year, {replicates} matched replicates, 95% intervals (seed noise only):")
    table = Table(show_edge=False)
    for column in ("Outcome", "Comparison", "Measured over", "Difference", "95% interval", "Significant?"):
        table.add_column(column, justify="left" if column in ("Outcome", "Comparison", "Measured over") else "right")
    for d in differences:
        if d.pairs == 0:
            table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, "n/a", "n/a", "too few tipped")
            continue
        if d.identical:
            table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, f"{d.difference:+.3f}",
                          f"none: all {d.pairs} pairs equal", "within the noise")
            continue
        if d.decided_by_sign_test:
            table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, f"{d.difference:+.3f}",
                          f"none: all {d.pairs} pairs differ by it", f"yes (sign test p = {d.sign_test_p:.2g})")
            continue
        if not d.has_interval:
            table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, f"{d.difference:+.3f}", "n/a",
                          f"too few ({d.pairs} pair{'s' if d.pairs != 1 else ''})")
            continue
        table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, f"{d.difference:+.3f}",
                      f"{d.ci_low:+.3f} to {d.ci_high:+.3f}", "within the noise" if d.within_noise else "yes")
    out.print(table)


def _compare_in_worlds(scenarios: dict[str, Scenario], worlds: int, replicates: int, seed: int, years: int | None,
                       workers: int | None, priors: Path | None, posterior: Path | None, directory: Path,
                       fixed: list[str]) -> None:
    from sim.analysis.robust_comparison import analyse_worlds
    from sim.uncertainty.priors import load_priors
    from sim.uncertainty.run_worlds import run_in_worlds

    ranges = load_priors(priors)
    source = ranges.from_posterior(posterior) if posterior is not None else ranges
    kind = "a calibrated posterior" if posterior is not None else "the plausible ranges"
    runs = worlds * len(scenarios) * replicates
    horizon = years or max(s.years for s in scenarios.values())
    out.print(f"{len(scenarios)} strategies x {worlds} worlds drawn from {kind} x {replicates} matched replicates "
              f"= {runs} runs of {horizon} years.", markup=False)
    with DelayedProgress(f"{runs} runs, in years simulated", runs * horizon) as progress:
        ran = run_in_worlds(scenarios, source, worlds, replicates, seed, years, workers, progress.advance, fixed)
    report = analyse_worlds(ran)
    details = {"scenarios": list(scenarios), "worlds": worlds, "seed": seed}
    with complete_folder(directory, "compare", details) as staging:  # swapped in whole (sim/result_folder.py)
        written = [directory / p.relative_to(staging) for p in report.write(staging)]
    for note in ran.notes:
        err.print(f"note: {note}.", markup=False)
    table = Table(show_edge=False, title=f"Against {report.baseline}, in how many worlds, beyond the seed noise "
                                         f"({report.included.value}; 95% Wilson intervals)")
    for column in ("Outcome", "Strategy", "Better", "Worse", "Within the noise", "Median difference"):
        table.add_column(column, justify="left" if column in ("Outcome", "Strategy") else "right")
    def share(k: float, ci: tuple[float, float]) -> str:
        return "n/a" if k != k else f"{k:.0%} ({ci[0]:.0%}-{ci[1]:.0%})"  # nan when no world had a verdict

    for s in report.result.summaries:
        table.add_row(s.outcome, s.strategy, share(s.better_share, s.better_ci), share(s.worse_share, s.worse_ci),
                      share(s.within_share, s.within_ci), f"{s.difference_quantiles[0.5]:+.3g}")
    out.print(table)
    for sentence in report.sentences():
        out.print("- " + sentence, markup=False)
    out.print(f"\nResults: {directory}/ ({', '.join(p.name for p in written if p.suffix in ('.csv', '.json'))})",
              markup=False)
    out.print(f"Report: {directory / 'report.html'} (self-contained HTML; figures also as PNG)", markup=False)
