"""`critical-mass compare A.yaml B.yaml ...`: run each scenario on matched seeds and report differences."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from sim.cli.common import SetOption, UsageError, out
from sim.cli.progress import DelayedProgress
from sim.parallel import default_workers
from sim.scenario import load_scenario, parse_overrides


def compare_command(
    scenario_files: list[Path] = typer.Argument(..., metavar="A.yaml B.yaml [C.yaml ...]", help="Scenarios; the first is the baseline."),  # noqa: B008, E501
    overrides: list[str] = SetOption,
    replicates: int = typer.Option(20, "--replicates", min=2, help="Matched replicates per scenario."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed from which every replicate's seed derives."),
    years: int = typer.Option(None, "--years", min=1, help="Years to simulate (default: each scenario's)."),
    out_dir: Path = typer.Option(None, "--out", help="Results folder (default: results/compare-A-B/)."),  # noqa: B008
    workers: int = typer.Option(None, "--workers", min=1, help="Processes to use (default: up to all cores)."),
) -> None:
    """Compare scenarios on matched seeds; report differences with 95% intervals, and an HTML report."""
    if len(scenario_files) < 2:
        raise UsageError("give at least two scenario files to compare")
    shared = parse_overrides(overrides)
    scenarios = {}
    for path in scenario_files:
        scenario = load_scenario(path, shared)
        name = scenario.name if scenario.name not in scenarios else f"{scenario.name}-{len(scenarios) + 1}"
        scenarios[name] = scenario
    directory = out_dir or Path("results") / ("compare-" + "-".join(scenarios))
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out {directory} exists and is not a folder")
    workers = workers or default_workers(replicates)

    # the model, pandas and matplotlib load here, not when the command line starts
    from sim.analysis.compare import compare, differences_frame
    from sim.report import compare_report
    from sim.results_io import write_frames, write_parquet
    from sim.runner import run_replicates

    total = sum(replicates * (years or s.years) for s in scenarios.values())
    yearly = {}
    with DelayedProgress(f"{len(scenarios)} scenarios x {replicates} replicates", total) as progress:
        for name, scenario in scenarios.items():
            frames = run_replicates(scenario, replicates, seed, years, workers, progress.advance)
            write_frames(frames, directory / name)
            yearly[name] = frames["yearly"]

    differences = compare(yearly)
    write_parquet(differences_frame(differences), directory / "differences.parquet")
    differences_frame(differences).to_csv(directory / "differences.csv", index=False)
    report = compare_report(yearly, differences, scenarios, directory)
    print_differences(differences, replicates)
    out.print(f"\nResults: {directory}/ (per-scenario Parquet, differences.parquet/.csv)")
    out.print(f"Report: {report} (self-contained HTML; figures also as PNG in {directory}/figures/)")


def print_differences(differences: list, replicates: int) -> None:
    from sim.analysis.narrative import describe_difference

    out.print(f"Differences in the final year, {replicates} matched replicates, 95% intervals:")
    table = Table(show_edge=False)
    for column in ("Outcome", "Comparison", "Difference", "95% interval", "Significant?"):
        table.add_column(column, justify="left" if column in ("Outcome", "Comparison") else "right")
    for d in differences:
        if d.pairs == 0:
            table.add_row(d.label, f"{d.scenario} vs {d.baseline}", "n/a", "n/a", "too few tipped")
            continue
        table.add_row(d.label, f"{d.scenario} vs {d.baseline}", f"{d.difference:+.3f}",
                      f"{d.ci_low:+.3f} to {d.ci_high:+.3f}", "within the noise" if d.within_noise else "yes")
    out.print(table)
    for d in differences:
        out.print("- " + describe_difference(d))
