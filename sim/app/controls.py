"""The sliders in SolaraViz's "Model Parameters" card, set to a preset's own values.

SolaraViz passes these to WorkshopModel as keyword arguments when the facilitator presses Reset.
Ranges cover every valid value; WorkshopModel clamps anything else.
"""

from __future__ import annotations

from typing import Any

from sim.app import presets
from sim.app.knobs import Knobs, preset_knobs

LEADERS_LABEL = "Alumni leading schools"
HELP = (
    "Sliders take effect when you press Reset. "
    f"'{LEADERS_LABEL}' is the share of alumni who become school leaders in their later career stage; "
    "it is taken from (or given back to) alumni who leave education ('outside'), and when too few "
    "of those are left the other roles shrink in proportion, so shares still sum to 1."
)


def _float(label: str, value: float | None, low: float, high: float, step: float) -> dict[str, Any]:
    return {"type": "SliderFloat", "label": label, "value": value, "min": low, "max": high, "step": step}


def model_params(preset_file: str) -> dict[str, Any]:
    """Mesa model_params for a preset: two fixed values, then the sliders."""
    knobs: Knobs = preset_knobs(presets.load(preset_file))
    cohort = int(knobs.cohort_size or 0)
    top = max(30, 4 * cohort)
    return {
        "preset": preset_file,
        "compare": presets.comparison_files() is not None,
        "cohort_size": {"type": "SliderInt", "label": "Fellows per year", "value": cohort,
                        "min": 0, "max": top, "step": max(1, top // 100)},
        "clustering": _float("Clustering", knobs.clustering, 0.0, 1.0, 0.05),
        "school_leaders": _float(LEADERS_LABEL, knobs.school_leaders, 0.0, 1.0, 0.02),
        "district_support": _float("District support", knobs.district_support, 0.0, 1.0, 0.02),
        "threshold_mean": _float("Teacher threshold", knobs.threshold_mean, 0.0, 1.0, 0.02),
        "seed": {"type": "SliderInt", "label": "Seed", "value": 0, "min": 0, "max": 99, "step": 1},
    }
