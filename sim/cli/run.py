"""`critical-mass run SCENARIO`: run replicates, print a summary a strategy team can read, save tidy results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
import yaml
from rich.table import Table

from sim.cli.common import SetOption, UsageError, out
from sim.cli.progress import DelayedProgress
from sim.parallel import default_workers
from sim.scenario import Scenario, load_scenario, parse_overrides

if TYPE_CHECKING:
    from sim.analysis.summary import RunSummary


def run_command(
    scenario_file: Path = typer.Argument(None, metavar="SCENARIO", help="A scenario YAML file."),  # noqa: B008
    years: int = typer.Option(None, "--years", min=1, help="Years to simulate (default: the scenario's)."),
    replicates: int = typer.Option(5, "--replicates", min=1, help="Independent runs with derived seeds."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed from which every replicate's seed derives."),
    overrides: list[str] = SetOption,
    out_dir: Path = typer.Option(None, "--out", help="Results folder (default: results/<scenario name>/)."),  # noqa: B008
    workers: int = typer.Option(None, "--workers", min=1, help="Processes to use (default: up to all cores)."),
    from_sweep: Path = typer.Option(None, "--from-sweep", metavar="DIR", help="Replay one run of this sweep folder."),  # noqa: B008
    run_id: str = typer.Option(None, "--run", metavar="ID", help="With --from-sweep: the run id, e.g. p003-r01."),
) -> None:
    """Run a scenario and summarise what happened to student outcomes."""
    if from_sweep or run_id:
        if not (from_sweep and run_id) or scenario_file or overrides or years:
            raise UsageError("give --from-sweep DIR and --run ID together, without a SCENARIO, --set or --years")
        from sim.cli.sweep import replay_from_sweep

        return replay_from_sweep(from_sweep, run_id)
    if scenario_file is None:
        raise UsageError("give a SCENARIO file (or --from-sweep DIR --run ID)")
    scenario = load_scenario(scenario_file, parse_overrides(overrides))
    years = years or scenario.years
    directory = out_dir or Path("results") / scenario.name
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out {directory} exists and is not a folder")
    workers = workers or default_workers(replicates)

    # the model, pandas and matplotlib load here, not when the command line starts
    from sim.analysis.summary import summarise
    from sim.report import run_report
    from sim.results_io import write_frames, write_json, write_text
    from sim.runner import run_replicates

    with DelayedProgress(f"{scenario.name}: {replicates} x {years} years", replicates * years) as progress:
        frames = run_replicates(scenario, replicates, seed, years, workers, progress.advance)

    summary = summarise(frames["yearly"], scenario.name, tipping_rule(scenario))
    write_frames(frames, directory)
    write_json({**summary.as_dict(), "seed": seed, "overrides": overrides or []}, directory / "summary.json")
    write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False), directory / "scenario.yaml")
    report = run_report(summary, frames["yearly"], scenario, directory)
    print_summary(summary, scenario)
    out.print(f"\nResults: {directory}/ (yearly, districts, roles as Parquet; summary.json; scenario.yaml)")
    out.print(f"Report: {report} (self-contained HTML; figures also as PNG in {directory}/figures/)")


def tipping_rule(scenario: Scenario) -> str:
    t = scenario.tipping
    where = {
        "system": "the whole system",
        "programme_districts": "the districts that receive fellows",
        "most_disadvantaged": f"the {t.district_count} most disadvantaged district(s)",
        "named": ", ".join(t.district_names),
    }[t.scope]
    how = f"{t.metric} {'<=' if t.downward else '>='} {t.level:g} for {t.sustained_years} years running"
    if t.by_district:
        return f"{how} in at least {t.district_share:.0%} of the districts of {where}, each"
    return f"{how}, over {where}"


def print_summary(summary: RunSummary, scenario: Scenario) -> None:
    headline = scenario.description.strip().splitlines()[0] if scenario.description.strip() else ""
    out.print(f"[bold]{scenario.name}[/]  {headline}")
    out.print(f"{summary.replicates} replicate(s), {summary.years} years; "
              "end values are the mean and the 5-95% range over replicates.")
    table = Table(show_edge=False)
    table.add_column("Outcome")
    table.add_column("Start", justify="right")
    table.add_column("End", justify="right")
    table.add_column("End range", justify="right")
    table.add_column("Change", justify="right")
    for o in summary.outcomes:
        table.add_row(o.label, f"{o.start_mean:.3f}", f"{o.end_mean:.3f}",
                      f"{o.end_low:.3f} to {o.end_high:.3f}", f"{o.change_mean:+.3f}")
    out.print(table)
    if summary.tipped_replicates:
        out.print(
            f"Tipped in {summary.tipped_replicates} of {summary.replicates} replicate(s); "
            f"median year of tipping: {summary.tipped_year_median:g}. Rule: {summary.tipping_rule}."
        )
    else:
        out.print(f"Did not tip in any replicate within {summary.years} years. Rule: {summary.tipping_rule}.")
    roles = ", ".join(f"{k} {v:.0f}" for k, v in summary.alumni_roles.items())
    out.print(f"Alumni by role at the end (mean): {roles}")
