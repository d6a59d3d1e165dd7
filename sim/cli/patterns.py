"""`critical-mass patterns`: measure what the model gives for each published pattern (docs/validation.md)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from sim.cli.common import out


def patterns_command(
    out_dir: Path = typer.Option(Path("docs"), "--out", help="Folder for validation.md and its figures."),  # noqa: B008
    quick: bool = typer.Option(False, "--quick", help="Few replicates, no national scenario: a smoke test in "
                               "seconds (the committed document is a full run)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Processes to use (default: every core)."),
) -> None:
    """Check the model against published patterns (Granovetter, Centola, effect sizes, alumni careers)."""
    if out_dir.exists() and not out_dir.is_dir():
        from sim.cli.common import UsageError

        raise UsageError(f"--out {out_dir} exists and is not a folder")
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
