"""The `critical-mass` command line. Each command lives in its own module; this file wires them up."""

from __future__ import annotations

import logging
import sys

import typer

from sim.cli.app import app_command
from sim.cli.calibrate import calibrate_command
from sim.cli.common import CleanTyper, fail_cleanly
from sim.cli.compare import compare_command
from sim.cli.patterns import patterns_command
from sim.cli.run import run_command
from sim.cli.sweep import sweep_command
from sim.cli.tipping import tipping_app
from sim.cli.validate import validate_command

app = CleanTyper(
    name="critical-mass",
    help="Simulate how collective leadership spreads through a school system and where it tips outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
@app.callback()
def options(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say what the tool is doing (batches, workers)."),
) -> None:
    """Simulate how collective leadership spreads through a school system and where it tips outcomes."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


app.command("run")(run_command)
app.command("validate")(validate_command)
app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("app")(app_command)
app.command("patterns")(patterns_command)
app.add_typer(tipping_app, name="tipping")
app.command("calibrate")(calibrate_command)


def main() -> None:
    with fail_cleanly():
        app()
    sys.exit(0)
