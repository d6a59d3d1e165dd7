"""The tipping curve: how surely the system tips against one setting, and where this run sits."""

from __future__ import annotations

import matplotlib
from matplotlib.figure import Figure

from sim.app.style import LINE_COLOURS, PROJECTOR, THRESHOLD_COLOUR
from sim.app.tipping import TippingCurve

KNOB_NAMES = {
    "placement.clustering": "clustering of fellows",
    "programme.cohort_size": "fellows per year",
    "support.district": "district support strength",
    "teachers.threshold_mean": "teachers' mean threshold",
}


def tipping_figure(curve: TippingCurve, current: float) -> Figure:
    """P(tipped) against the swept parameter, with its interval when known, and the current setting."""
    name = KNOB_NAMES.get(curve.parameter, curve.parameter)
    with matplotlib.rc_context(PROJECTOR):
        fig = Figure(figsize=(8.5, 5.0))
        fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.15)
        ax = fig.subplots()
        if curve.low is not None and curve.high is not None:
            ax.fill_between(curve.values, curve.low, curve.high, color=LINE_COLOURS[0], alpha=0.2, linewidth=0)
        ax.plot(curve.values, curve.p_tipped, color=LINE_COLOURS[0], marker="o", markersize=10)
        ax.axhline(0.5, color=THRESHOLD_COLOUR, linestyle=":", linewidth=2.5)
        ax.axvline(current, color=LINE_COLOURS[1], linewidth=4)
        ax.text(current, 0.96, f" these settings: {current:g}", color=LINE_COLOURS[1], fontweight="bold",
                va="top", transform=ax.get_xaxis_transform())
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(name)
        ax.set_ylabel("chance it tips")
        ax.set_title(f"How surely it tips, by {name}", loc="left")
        return fig
