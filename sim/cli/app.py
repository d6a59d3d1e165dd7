"""`critical-mass app [SCENARIO]`: the workshop app in a browser, served from this machine, offline."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import typer

from sim.cli.common import UsageError, err, out
from sim.scenario import load_scenario

WILDCARDS = ("0.0.0.0", "::")  # every interface: this machine's own names reach it too


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
    if not host.strip():
        # the socket layer takes an empty host for every interface: the app would be open to the network
        # though no address was given
        raise UsageError(f"--host {host!r} is empty: give the address to listen on, 127.0.0.1 (this machine "
                         "only, the default) or 0.0.0.0 (every network this machine is on)")
    # the model and the web stack load only for this command, not whenever the command line starts
    from sim.app import presets
    from sim.app.network import is_loopback, public_url

    scenario_file = scenario_file or presets.DEFAULT
    scenario = load_scenario(scenario_file)  # a bad file stops here with its problems, exit code 2
    _check_free(host, port)
    public = public_url(host, port)
    # bound to one address, the app answers there only; on every interface or loopback, localhost works
    shown = "localhost" if host in WILDCARDS or is_loopback(host) else (f"[{host}]" if ":" in host else host)
    out.print(f"Critical Mass workshop app: {scenario.name}. Open http://{shown}:{port}/ in a browser on "
              "this machine (Ctrl+C stops it).", markup=False)
    if not is_loopback(host):
        who = ("anyone on the networks this machine is on" if host in WILDCARDS
               else f"anyone who can reach {host}")
        err.print(f"WARNING: listening on {host}:{port}, so {who} can open the app"
                  f"{f' at {public}' if public else ''} and run models on it. Use it only on a network you "
                  "trust (a phone hotspot or the room's own Wi-Fi); without --host only this machine can.",
                  markup=False)
        if public:
            out.print(f"Participants: {public} (the page shows this address and a QR code).", markup=False)
        if host not in WILDCARDS:
            # the facilitator's screen is the browser that reaches the app by a loopback name; bound to one
            # address, this machine's browser comes in by that address, as participants do
            err.print(f"note: bound to {host} alone, the app cannot tell this machine's browser from a "
                      f"participant's, so no screen gets the facilitator's priority; --host 0.0.0.0 keeps it "
                      f"(this machine then opens http://localhost:{port}/).", markup=False)
    from sim.app.serve import serve

    serve(scenario_file, host, port, public)


def _check_free(host: str, port: int) -> None:
    """Say so plainly if the address is taken or wrong, rather than a server's traceback."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # "::" or "::1": an IPv6 socket
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} is already in use (is the app already running?); "
                             f"try --port {port + 1 if port < 65535 else 8765}") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
