"""What every command shares: the consoles, turning known errors into exit code 2, --set parsing."""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """Warnings meant for users (a renamed scenario key) as one plain line; others as Python shows them."""
    from sim.scenario.renames import RenamedKey

    if issubclass(category, RenamedKey):
        err.print(f"warning: {message}", markup=False)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)  # type: ignore[arg-type]


_python_showwarning = warnings.showwarning


@contextlib.contextmanager
def fail_cleanly() -> Iterator[None]:
    warnings.showwarning = _show_warning
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


class CleanTyper(typer.Typer):
    """A Typer app whose every command reports known errors cleanly (exit 2), even when invoked in-process
    (a test's CliRunner, a notebook) rather than through `main`."""

    def command(  # type: ignore[override]  # the same decorator, wrapping what it registers
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def cleanly(*a: Any, **k: Any) -> Any:
                with fail_cleanly():
                    return fn(*a, **k)

            register(cleanly)
            return fn

        return decorator


def result_folder(out_dir: Path | None, parent: Path, name: str) -> Path:
    """--out as given, or parent/<name>; refuses a path that is a file."""
    directory = out_dir or parent / name
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out {directory} exists and is not a folder")
    return directory


SetOption = typer.Option(
    None, "--set", metavar="KEY.PATH=VALUE",
    help="Override a scenario value, e.g. placement.clustering=0.8 (repeatable).",
)
