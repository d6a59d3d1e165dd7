"""`critical-mass app [SCENARIO]`: the workshop app in a browser, served from this machine, offline."""

from __future__ import annotations

import errno
import ipaddress
import socket
from pathlib import Path

import typer

from sim.app import presets
from sim.cli.common import UsageError, err, out
from sim.scenario import load_scenario


def app_command(
    scenario_file: Path = typer.Argument(  # noqa: B008
        None, metavar="SCENARIO", help="The scenario to open with (default: scenarios/clustered.yaml)."
    ),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", "--host",
        help="Address to listen on. The default is this machine only; 0.0.0.0 lets others on the network in.",
    ),
) -> None:
    """Open the workshop app: play a scenario year by year, move sliders, watch it tip."""
    scenario_file = scenario_file or presets.DEFAULT
    scenario = load_scenario(scenario_file)  # a bad file stops here with its problems, exit code 2
    _check_free(host, port)
    _warn_if_reachable(host, port)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    out.print(f"Critical Mass workshop app: {scenario.name}. Open http://{shown}:{port}/ in a browser "
              "(Ctrl+C stops it).", markup=False)
    from sim.app.serve import serve  # the web stack loads only for this command

    serve(scenario_file, host, port)


def _warn_if_reachable(host: str, port: int) -> None:
    """Say who else can open the app when it listens beyond this machine: it runs the model for anyone."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a host name: whoever can reach that name
    if not loopback:
        who = ("anyone who can reach this machine on the network" if host in ("0.0.0.0", "::")
               else f"anyone who can reach {host}")
        err.print(f"warning: listening on {host}:{port}: {who} can open the app and run the model on this "
                  "machine; the default --host 127.0.0.1 keeps it to this machine.", markup=False)


def _check_free(host: str, port: int) -> None:
    """Say so plainly if the address is taken or wrong, rather than a server's traceback."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} is already in use (is the app already running?); "
                             f"try --port {port + 1 if port < 65535 else 8765}") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
