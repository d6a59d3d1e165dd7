"""What every command shares: the consoles, turning known errors into exit code 2, --set parsing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console

from sim.scenario import ScenarioError

# a pipe or a CI log gets lines wide enough for the summary table instead of rich's 80 columns
out = Console(highlight=False, width=None if Console().is_terminal else 110)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """A mistake in what the user asked for, reported without a traceback (exit code 2)."""


def report_problems(error: ScenarioError) -> None:
    err.print(f"[bold red]error:[/] {len(error.problems)} problem(s) found", markup=True)
    for problem in error.problems:
        err.print(f"  {problem}", markup=False)


@contextlib.contextmanager
def fail_cleanly() -> Iterator[None]:
    try:
        yield
    except ScenarioError as exc:
        report_problems(exc)
        raise SystemExit(2) from None
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        raise SystemExit(130) from None


SetOption = typer.Option(
    None, "--set", metavar="KEY.PATH=VALUE",
    help="Override a scenario value, e.g. placement.clustering=0.8 (repeatable).",
)
