"""`critical-mass validate FILE...`: check scenario files and report every problem at once."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.common import err, out, report_problems
from sim.scenario import ScenarioError, load_scenario


def validate_command(files: list[Path] = typer.Argument(..., help="Scenario files to check.")) -> None:  # noqa: B008
    """Check scenario files; exit 2 if any has a problem."""
    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            report_problems(exc)
            continue
        out.print(f"ok  {path}  ({scenario.name}: {scenario.system.districts} districts, "
                  f"{sum(scenario.programme.sizes())} fellows over {len(scenario.programme.sizes())} cohorts)")
    if bad:
        err.print(f"{bad} of {len(files)} file(s) have problems")
        raise typer.Exit(2)
