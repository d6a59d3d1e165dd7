"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def small(**overrides: object) -> Scenario:
    base = {
        "years": 8,
        "system": {"districts": 3, "schools_per_district": 6, "teachers_per_school": 10},
        "programme": {"cohort_size": 12, "cohorts": 4},
    }
    return Scenario.from_dict(base).with_overrides(overrides)


@pytest.fixture
def small_scenario() -> Scenario:
    return small()


def invoke(*args: object) -> Any:
    """`critical-mass ARGS` in this process (Typer's CliRunner): fast, for argument and error cases.
    Fails the test if an exception escaped the command, which a user would see as a traceback."""
    from typer.testing import CliRunner

    from sim.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"critical-mass {' '.join(map(str, args))} raised") from result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result
