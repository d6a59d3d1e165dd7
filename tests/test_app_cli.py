"""`critical-mass app` refuses bad input with exit code 2 before any server starts."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

CLI = [str(Path(sys.executable).with_name("critical-mass"))]


def app(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "app", *args], capture_output=True, text=True, timeout=60)


def test_a_bad_scenario_file_is_reported_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nplacement:\n  clustring: 0.5\n")
    result = app(str(bad), "--port", "1")
    assert result.returncode == 2
    assert "placement.clustring" in result.stderr and "did you mean 'clustering'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_reported_with_exit_code_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = app("--port", str(port))
    assert result.returncode == 2
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_says_it_binds_to_this_machine_by_default() -> None:
    result = app("--help")
    assert result.returncode == 0
    assert "127.0.0.1" in result.stdout and "8765" in result.stdout
