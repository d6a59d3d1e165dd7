"""The facilitator's sliders as scenario overrides: clamped, so no slider value can break a run.

The alumni slider sets the share of alumni who become school leaders in the *later* career stage
(the last one in the file). Role shares must sum to 1, so the change is taken from, or given back
to, the alumni who leave education ('outside'); when 'outside' has too little left, the other roles
are scaled down in proportion to make room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.scenario import ROLES, Scenario

MAX_COHORT = 5_000  # well beyond any programme's yearly intake; keeps memory bounded


@dataclass(frozen=True)
class Knobs:
    """Slider values; None keeps the preset's own value."""

    cohort_size: float | None = None
    clustering: float | None = None
    school_leaders: float | None = None
    district_support: float | None = None
    threshold_mean: float | None = None


def clamp(value: Any, low: float, high: float) -> float | None:
    """A number within [low, high], or None for anything that is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else min(max(number, low), high)


def preset_knobs(base: Scenario) -> Knobs:
    """What the sliders show for a preset before anyone moves them."""
    return Knobs(
        cohort_size=base.programme.sizes()[0] if base.programme.sizes() else 0,
        clustering=base.placement.clustering,
        school_leaders=base.alumni.stages[-1].roles.school_leader,
        district_support=base.support.district,
        threshold_mean=base.teachers.threshold_mean,
    )


def overrides(base: Scenario, knobs: Knobs) -> dict[str, Any]:
    """Dotted-key overrides for Scenario.with_overrides; out-of-range values are clamped."""
    out: dict[str, Any] = {}
    cohort = clamp(knobs.cohort_size, 0, MAX_COHORT)
    if cohort is not None:
        if base.programme.cohort_sizes is not None:
            # an explicit list of sizes would win over cohort_size: replace it with as many even cohorts
            out["programme.cohorts"] = len(base.programme.cohort_sizes)
            out["programme.cohort_sizes"] = None
        out["programme.cohort_size"] = round(cohort)
    for key, value in (
        ("placement.clustering", knobs.clustering),
        ("support.district", knobs.district_support),
        ("teachers.threshold_mean", knobs.threshold_mean),
    ):
        number = clamp(value, 0.0, 1.0)
        if number is not None:
            out[key] = number
    leaders = clamp(knobs.school_leaders, 0.0, 1.0)
    if leaders is not None:
        last = len(base.alumni.stages) - 1
        out[f"alumni.stages.{last}.roles"] = with_school_leaders(base.alumni.stages[last].roles.model_dump(), leaders)
    return out


def with_school_leaders(roles: dict[str, float], share: float) -> dict[str, float]:
    """Role shares with school_leader = share, still summing to 1 (see the module docstring)."""
    shares = {r: float(roles.get(r, 0.0)) for r in ROLES}
    if abs(share - shares["school_leader"]) < 1e-9:
        return shares  # untouched, so an unmoved slider reproduces the preset exactly
    shares["outside"] -= share - shares["school_leader"]
    shares["school_leader"] = share
    if shares["outside"] < 0:
        shares["outside"] = 0.0
        others = [r for r in ROLES if r != "school_leader"]
        total = sum(shares[r] for r in others)
        for r in others:
            shares[r] = shares[r] / total * (1.0 - share) if total > 0 else 0.0
        if total <= 0:
            shares["classroom"] = 1.0 - share
    # rounding can leave the sum a hair off 1; give the remainder to the largest share
    largest = max(shares, key=shares.get)  # type: ignore[arg-type]
    shares[largest] += 1.0 - sum(shares.values())
    return shares
