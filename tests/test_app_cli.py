"""`critical-mass app` refuses bad input with exit code 2 before any server starts, and says who can reach it."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests.helpers import cli


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command in this process (argument and error cases need no process of their own): were it to start
    the server despite bad input, the test fails at once rather than serving until a timeout."""

    def serve(*args: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr("sim.app.serve.serve", serve)


@pytest.mark.usefixtures("no_server")
def test_a_bad_scenario_file_is_reported_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nplacement:\n  clustring: 0.5\n")
    result = cli("app", str(bad), "--port", "1")
    assert result.exit_code == 2, result.output
    assert "placement.clustring" in result.stderr and "did you mean 'clustering'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("no_server")
def test_a_port_in_use_is_reported_with_exit_code_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = cli("app", "--port", str(port))
    assert result.exit_code == 2, result.output
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("no_server")
@pytest.mark.parametrize("host", ["", "  "])
def test_an_empty_host_is_refused_rather_than_listening_everywhere(host: str) -> None:
    result = cli("app", "--host", host, "--port", "1")
    assert result.exit_code == 2, result.output
    assert f"--host {host!r} is empty" in result.stderr and "0.0.0.0" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("no_server")
def test_help_says_it_binds_to_this_machine_by_default() -> None:
    result = cli("app", "--help")
    assert result.exit_code == 0
    assert "127.0.0.1" in result.stdout and "8765" in result.stdout


def test_listening_beyond_this_machine_warns_who_can_reach_it_and_hands_the_address_to_the_page(
    monkeypatch,
) -> None:
    from typer.testing import CliRunner

    from sim.cli import app as typer_app

    command = sys.modules["sim.cli.app"]  # the module (sim.cli.app is also the name of the Typer app)
    served = {}
    monkeypatch.setattr("sim.app.serve.serve", lambda *args: served.update(args=args))
    monkeypatch.setattr(command, "_check_free", lambda host, port: None)
    result = CliRunner().invoke(typer_app, ["app", "--host", "0.0.0.0", "--port", "8899"])
    assert result.exit_code == 0, result.output
    assert "WARNING: listening on 0.0.0.0:8899" in result.output and "anyone on the networks" in result.output
    public = served["args"][3]
    assert public and public.endswith(":8899/") and f"Participants: {public}" in result.output

    served.clear()
    result = CliRunner().invoke(typer_app, ["app", "--port", "8899"])
    assert "WARNING" not in result.output and served["args"][3] is None
    assert "Open http://localhost:8899/" in result.output

    served.clear()  # bound to one address, the app answers there only: that is the address to open
    result = CliRunner().invoke(typer_app, ["app", "--host", "192.0.2.7", "--port", "8899"])
    assert "Open http://192.0.2.7:8899/" in result.output and "anyone who can reach 192.0.2.7" in result.output
    assert "no screen gets the facilitator's priority" in result.output


def test_an_ipv6_address_is_checked_on_an_ipv6_socket() -> None:
    command = sys.modules["sim.cli.app"]
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6) as probe:
            port = probe.getsockname()[1]
    except OSError as exc:
        pytest.skip(f"IPV6 TEST SKIPPED: this machine cannot listen on ::1 ({exc})")
    command._check_free("::1", port)  # free again: no error (an IPv4 socket could not bind ::1 at all)
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as taken, pytest.raises(Exception, match="in use"):
        command._check_free("::1", taken.getsockname()[1])
