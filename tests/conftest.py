"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

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
