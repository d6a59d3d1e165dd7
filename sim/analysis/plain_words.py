"""Shared wording for plain-language sentences: which uncertainty a number includes, and numbers for reading.

Every interval or share a user reads must say what it includes. The caller knows (a sweep on one set
of assumptions, a set of plausible worlds, draws from a calibration), so it passes one of these in;
the sentence helpers in sim.tipping.knee, sim.analysis.discovery and sim.uncertainty.robust print it.
"""

from __future__ import annotations

import math
from enum import StrEnum


class Uncertainty(StrEnum):
    """What an interval or share includes, in the words a reader sees."""

    SEED = "seed noise only"
    RANGES = "seed noise and the assumptions' plausible ranges"
    POSTERIOR = "seed noise and a calibrated posterior"


def uncertainty(value: Uncertainty | str) -> Uncertainty:
    """Uncertainty.SEED or its text; anything else is a programming error, so a plain ValueError."""
    try:
        return Uncertainty(value)
    except ValueError:
        choices = ", ".join(repr(u.value) for u in Uncertainty)
        raise ValueError(f"uncertainty must be one of {choices}, not {value!r}") from None


def number(x: float, digits: int = 2) -> str:
    """x to `digits` significant figures without trailing zeros or scientific notation (0.0040 -> '0.004',
    22.94 -> '23'), with a minus sign rather than a hyphen."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    text = f"{round(x, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0.") == "":
        text = "0"
    return text.replace("-", "−")


def share(p: float) -> str:
    """0.637 -> '64%'."""
    return f"{100 * p:.0f}%"
