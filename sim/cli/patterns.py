"""`critical-mass patterns`: measure what the model gives for each published pattern (docs/validation.md)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from sim.cli.common import out

QUICK_OUT = Path("results") / "patterns-quick"


def patterns_command(
    out_dir: Path = typer.Option(  # noqa: B008
        None, "--out", help=f"Folder for validation.md and its figures (default: docs, or {QUICK_OUT} with --quick)."),
    quick: bool = typer.Option(False, "--quick", help="Few replicates, no national scenario: a smoke test in "
                               "seconds (the committed document is a full run)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Processes to use (default: every core)."),
) -> None:
    """Check the model against published patterns (Granovetter, Centola, effect sizes, alumni careers)."""
    # a smoke test must not replace the committed document, which a full run writes
    out_dir = out_dir or (QUICK_OUT if quick else Path("docs"))
    _check_writable(out_dir)  # before minutes of runs, not after
    from sim.validation import run_validation, write

    started = time.perf_counter()
    report = run_validation(quick, workers=workers)
    paths = write(report, out_dir)
    passed, failed, reported = report.counts()
    view = Table(show_edge=False, title="What the model gives for each published pattern (seed noise only)")
    view.add_column("result")
    view.add_column("pattern")
    for row in report.rows.itertuples():
        view.add_row(str(row.status), str(row.pattern))
    out.print(view)
    out.print(f"{passed} pass, {failed} fail, {reported} reported, in {time.perf_counter() - started:.0f} s; "
              f"wrote {', '.join(str(p) for p in paths)}", markup=False)


def _check_writable(folder: Path) -> None:
    import os
    import tempfile

    from sim.cli.common import UsageError

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--out {folder} cannot be written: {exc.strerror or exc}") from None
