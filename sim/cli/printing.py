"""Printing results on the terminal: tables and sentences, shared by the commands that show them."""

from __future__ import annotations

from rich.table import Table

from sim.analysis.summary import RunSummary
from sim.cli.common import out
from sim.scenario import Scenario


def print_summary(summary: RunSummary, scenario: Scenario) -> None:
    headline = scenario.description.strip().splitlines()[0] if scenario.description.strip() else ""
    out.print(f"[bold]{_escape(scenario.name)}[/]  {_escape(headline)}", markup=True)
    out.print(f"{summary.replicates} replicate(s), {summary.years} years; end values are the mean and the 5-95% "
              "range over replicates (seed noise only: the scenario's assumptions are held fixed).")
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
    rule = summary.tipping_rule  # printed as written: the consoles interpret no markup unless asked
    if summary.tipped_replicates:
        out.print(f"Tipped in {summary.tipped_replicates} of {summary.replicates} replicate(s); "
                  f"median year of tipping: {summary.tipped_year_median:g}. Rule: {rule}.")
    else:
        out.print(f"Did not tip in any replicate within {summary.years} years. Rule: {rule}.")
    roles = ", ".join(f"{k} {v:.0f}" for k, v in summary.alumni_roles.items())
    out.print(f"Alumni by role at the end (mean): {roles}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
