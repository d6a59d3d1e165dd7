"""Shared fixtures and the hypothesis profiles (`HYPOTHESIS_PROFILE=thorough pytest` runs more examples)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from sim import Scenario
from tests.helpers import small

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def small_scenario() -> Scenario:
    return small()
