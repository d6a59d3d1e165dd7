"""`critical-mass run SCENARIO`: run replicates, print a summary a strategy team can read, save tidy results."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer

from sim.cli.common import SetOption, UsageError, given_options, out, result_folder, workers_for
from sim.cli.progress import DelayedProgress
from sim.figure_process import FigureProcess
from sim.result_folder import complete_folder
from sim.scenario import load_scenario, parse_overrides
from sim.scenario.schema import MAX_YEARS


def run_command(
    context: typer.Context,
    scenario_file: Path = typer.Argument(None, metavar="SCENARIO", help="A scenario YAML file."),  # noqa: B008
    years: int = typer.Option(
        None, "--years", min=1, max=MAX_YEARS, help="Years to simulate (default: the scenario's)."
    ),
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
        # a replay takes its seed and years from the sweep, runs once here and writes nothing: say so rather
        # than ignore these options
        given = given_options(context, among=("out_dir", "workers", "replicates", "seed"))
        if given:
            raise UsageError(f"a replay (--from-sweep) runs the sweep's run once, with its seed, and writes no "
                             f"files: {', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply")
        return _replay(from_sweep, run_id)
    if scenario_file is None:
        raise UsageError("give a SCENARIO file (or --from-sweep DIR --run ID)")
    changes = parse_overrides(overrides)
    if years is not None:
        changes["years"] = years  # validated like the file, and saved with the scenario that ran
    scenario = load_scenario(scenario_file, changes)
    directory = result_folder(out_dir, Path("results"), scenario.name)
    workers = workers_for(scenario, workers, replicates, str(scenario_file))  # fits in memory

    from sim.analysis.runs import run_scenario  # pandas loads here, not at start-up
    from sim.cli.printing import print_summary

    # a run in this process leaves the second core free: matplotlib loads and the report's figures are drawn
    # there, overlapping the run (sim/figure_process.py)
    drawer = FigureProcess.start_if_useful() if workers == 1 else None
    with drawer or nullcontext():
        with DelayedProgress(f"{scenario.name}: {replicates} x {scenario.years} years",
                             replicates * scenario.years) as progress:
            result = run_scenario(scenario, replicates, seed, workers, progress.advance, overrides)
        # written aside and swapped in whole, so the folder never mixes two runs (sim/result_folder.py)
        with complete_folder(directory, "run", {"scenario": scenario.name, "seed": seed}) as staging:
            report = directory / result.write(staging, drawer).relative_to(staging)
    print_summary(result.summary, scenario)
    out.print(f"\nResults: {directory}/ (yearly, districts, roles as Parquet; summary.json; scenario.yaml)",
              markup=False)
    out.print(f"Report: {report} (self-contained HTML; figures also as PNG in {directory}/figures/)", markup=False)


def _replay(directory: Path, run_id: str) -> None:
    """Re-run one run of a sweep from the folder's manifest; exit 1 if it does not reproduce."""
    from sim.analysis.summary import describe_rule, summarise
    from sim.cli.common import err
    from sim.cli.printing import print_summary
    from sim.sweep.replay import replay_run

    replay = replay_run(directory, run_id)
    settings = ", ".join(f"{k}={v}" for k, v in replay.overrides.items())
    out.print(f"Replaying {replay.spec.run_id} of {directory}: seed {replay.spec.seed}, {replay.years} years, "
              f"{settings}", markup=False)
    yearly = replay.frames["yearly"].assign(replicate=replay.spec.replicate)
    print_summary(summarise(yearly, replay.scenario.name, describe_rule(replay.scenario)), replay.scenario)
    if replay.stored is None:
        err.print(f"{replay.spec.run_id} has not finished in this sweep yet; nothing to compare with.", markup=False)
        raise typer.Exit(1)
    if not replay.reproduced:
        err.print(f"does NOT reproduce the stored results of {replay.spec.run_id}:", markup=False)
        for column, (before, now) in replay.differences.items():
            err.print(f"  {column}: stored {before}, replayed {now}", markup=False)
        raise typer.Exit(1)
    out.print(f"Reproduces the stored outcomes of {replay.spec.run_id} exactly.", markup=False)
