"""`critical-mass validate FILE...`: check scenario and experiment files and report every problem at once."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.common import err, out, report_problems
from sim.scenario import Scenario, ScenarioError, load_scenario


def validate_command(files: list[Path] = typer.Argument(..., help="Scenario or experiment files to check.")) -> None:  # noqa: B008
    """Check scenario and experiment files; exit 2 if any has a problem."""
    from sim.sweep.experiment import is_experiment

    bad = 0
    for path in files:
        try:
            line = _experiment(path) if is_experiment(path) else _scenario(load_scenario(path))
        except ScenarioError as exc:
            bad += 1
            report_problems(exc)
            continue
        out.print(f"ok  {path}  ({line})", markup=False)
    if bad:
        err.print(f"{bad} of {len(files)} file(s) have problems", markup=False)
        raise typer.Exit(2)


def _scenario(scenario: Scenario) -> str:
    from sim.memory import describe_bytes, estimate

    sizes = scenario.programme.sizes()
    return (f"{scenario.name}: {scenario.system.districts} districts, {sum(sizes)} fellows over {len(sizes)} "
            f"cohorts; a run needs about {describe_bytes(estimate(scenario).bytes)} of memory beyond the program's own")


def _experiment(path: Path) -> str:
    from sim.sweep.plan import resolve

    plan = resolve(path)  # every design point checked against the base scenario; above 10 million runs, refused
    return (f"experiment {plan.name}: {len(plan.points):,} design points ({plan.design}) x {plan.replicates} "
            f"replicate(s) = {plan.total_runs:,} runs of {plan.years} years")

