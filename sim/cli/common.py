"""What every command shares: the consoles, turning known errors into exit code 2, --set parsing."""

from __future__ import annotations

import contextlib
import errno
import functools
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from sim.scenario import ScenarioError

# A pipe or a CI log gets lines wide enough for the summary table instead of rich's 80 columns.
# Markup is off unless a call asks for it (markup=True, with user text escaped): names, keys and values
# come from files anyone may have shared, and "[bold]" or "[/]" in them must print as written.
out = Console(highlight=False, markup=False, width=None if Console().is_terminal else 110)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


class UsageError(Exception):
    """A mistake in what the user asked for, reported without a traceback (exit code 2)."""


def bold(text: str) -> Text:
    """User text (a name from a file) in bold, printed as written whatever brackets it holds."""
    return Text(str(text), style="bold")


MAX_PROBLEMS_SHOWN = 50


def report_problems(error: ScenarioError) -> None:
    err.print(f"[bold red]error:[/] {len(error.problems)} problem(s) found", markup=True)
    for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
        err.print(f"  {_printable(str(problem))}", markup=False)
    if len(error.problems) > MAX_PROBLEMS_SHOWN:
        err.print(f"  ... and {len(error.problems) - MAX_PROBLEMS_SHOWN} more", markup=False)


def _printable(text: str) -> str:
    """Text any terminal can show: a file may hold lone surrogates or control characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


# An OSError's errno: what the user can fix by choosing another place (exit 2), or what the machine
# lacks (exit 1: a full disk, a failing device).
_USER_FIXABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR,
                 errno.ENAMETOOLONG, errno.EEXIST}


def report_os_error(exc: OSError) -> int:
    """Say what could not be read or written, without a traceback; return the exit code."""
    where = f": {exc.filename}" if exc.filename else ""
    what = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what += " (free some space and run the command again)"
    err.print(f"error: {what}{where}", markup=False)
    return 2 if exc.errno in _USER_FIXABLE else 1


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """Warnings meant for users (a renamed scenario key, damaged sweep parts: any with `plain = True`) as
    one plain line; others as Python shows them."""
    from sim.scenario.renames import RenamedKey

    if issubclass(category, RenamedKey) or getattr(category, "plain", False):
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
    except OSError as exc:  # a full disk, a folder that cannot be written: said plainly, exit 1 or 2
        raise SystemExit(report_os_error(exc)) from None
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


def given_options(context: typer.Context, *, among: tuple[str, ...] | None = None,
                  besides: tuple[str, ...] = ()) -> list[str]:
    """The options the user gave (on the command line or through the environment), as written in --help:
    of the parameters named in `among` (default: all), other than those named in `besides`."""
    given = []
    for param in context.command.params:
        wanted = among is None or param.name in among
        if param.param_type_name != "option" or param.name in besides or not wanted:
            continue
        source = context.get_parameter_source(param.name or "")
        if getattr(source, "name", "") in ("COMMANDLINE", "ENVIRONMENT"):
            given.append("/".join([*param.opts, *param.secondary_opts]))
    return given


def result_folder(out_dir: Path | None, parent: Path, name: str) -> Path:
    """--out as given, or parent/<name made safe as a folder name>; refuses a path that is a file, under a
    file, or a folder of other files (sim.result_folder.check_target)."""
    from sim.folder_names import folder_name
    from sim.result_folder import check_target

    directory = out_dir or parent / folder_name(name)
    check_target(directory)
    return directory


def workers_for(scenario: Any, asked: int | None, runs: int, source: str, gathered: int | None = None) -> int:
    """The workers for `runs` replicates: as asked (no more than the runs), if their batches fit in memory
    together, or by default as many as fit up to one per core (sim.memory); TooBigForMemory (exit 2) if not
    even one run fits.
    gathered: runs whose frames this process keeps at once (default `runs`; a comparison keeps every
    scenario's, and every world's)."""
    from sim.memory import busy_workers, check_fits, fitting_workers
    from sim.parallel import default_workers

    gathered = runs if gathered is None else gathered
    if asked:
        check_fits(scenario, asked, runs=runs, gathered=gathered, source=source)
        return busy_workers(asked, runs)
    return fitting_workers(scenario, default_workers(runs), runs=runs, gathered=gathered, source=source)


SetOption = typer.Option(
    None, "--set", metavar="KEY.PATH=VALUE",
    help="Override a scenario value, e.g. placement.clustering=0.8 (repeatable).",
)
