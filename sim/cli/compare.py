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
    replicates: int = typer.Option(20, "--replicates", min=2, help="Matched replicates per scenario."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed from which every replicate's seed derives."),
    years: int = typer.Option(
        None, "--years", min=1, max=MAX_YEARS, help="Years to simulate (default: each scenario's)."
    ),
    out_dir: Path = typer.Option(None, "--out", help="Results folder (default: results/compare-A-B/)."),  # noqa: B008
    workers: int = typer.Option(None, "--workers", min=1, help="Processes to use (default: up to all cores)."),
) -> None:
    """Compare scenarios on matched seeds; report differences with 95% intervals, and an HTML report."""
    if len(scenario_files) < 2:
        raise UsageError("give at least two scenario files to compare")
    shared = parse_overrides(overrides)
    if years is not None:
        shared["years"] = years
    scenarios: dict[str, Scenario] = {}
    for path in scenario_files:
        scenario = load_scenario(path, shared)
        # each scenario's results go in a folder of its name, so the name must be safe and distinct as a folder
        name = folder_name(scenario.name, "scenario")
        name = name if name not in scenarios else f"{name}-{len(scenarios) + 1}"
        scenarios[name] = scenario
    directory = result_folder(out_dir, Path("results"), "compare-" + "-".join(scenarios))
    workers = min(workers_for(s, workers, replicates, str(p))  # every scenario fits in memory
                  for s, p in zip(scenarios.values(), scenario_files, strict=True))

    from sim.analysis.comparison import compare_scenarios  # the model and pandas load here

    total = replicates * sum(s.years for s in scenarios.values())
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


def print_differences(differences: list, replicates: int) -> None:
    out.print(f"Differences in the final year, {replicates} matched replicates, 95% intervals (seed noise only):")
    table = Table(show_edge=False)
    for column in ("Outcome", "Comparison", "Measured over", "Difference", "95% interval", "Significant?"):
        table.add_column(column, justify="left" if column in ("Outcome", "Comparison", "Measured over") else "right")
    for d in differences:
        if d.pairs == 0:
            table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, "n/a", "n/a", "too few tipped")
            continue
        table.add_row(d.label, f"{d.scenario} vs {d.baseline}", d.population, f"{d.difference:+.3f}",
                      f"{d.ci_low:+.3f} to {d.ci_high:+.3f}", "within the noise" if d.within_noise else "yes")
    out.print(table)
