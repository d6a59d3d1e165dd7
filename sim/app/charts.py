"""The room's charts over the years: practice, achievement, the gap and the leadership index.

Pure matplotlib (no Solara), so tests can draw them without a browser.
"""

from __future__ import annotations

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.app.style import LINE_COLOURS, PROJECTOR, THRESHOLD_COLOUR
from sim.app.tipping import TippingCurve
from sim.model import SchoolSystemModel
from sim.scenario import Scenario

PANELS = (
    ("practising_share", "Teachers practising", "share"),
    ("mean_achievement", "Achievement", "SD"),
    ("achievement_gap", "Achievement gap", "SD"),
    ("leadership_index", "Leadership index", "0 to 1"),
)
MIN_SPAN_SD = 0.3  # a year's noise should not fill the panel and look like a trend


def outcome_charts(yearly: pd.DataFrame, scenario: Scenario, tipped_year: int | None = None) -> Figure:
    """Four panels with the x axis fixed to the whole run, so the room sees how far there is to go."""
    with matplotlib.rc_context(PROJECTOR):
        fig = Figure(figsize=(8.5, 6.2))
        fig.subplots_adjust(left=0.1, right=0.98, top=0.93, bottom=0.1, hspace=0.3, wspace=0.3)
        axes = fig.subplots(2, 2, sharex=True)
        tip = scenario.tipping
        for ax, (column, title, unit), colour in zip(axes.flat, PANELS, LINE_COLOURS, strict=True):
            ax.plot(yearly["year"], yearly[column], color=colour, marker="o", markersize=7, label="all schools")
            ax.set_title(title, loc="left")
            ax.set_ylabel(unit)
            ax.set_xlim(0, scenario.years)
            if column == tip.metric and tip.scope == "programme_districts":
                # the rule is judged where fellows work: show that line too, or a tip would look missing
                ax.plot(yearly["year"], yearly["tipping_metric"], color="#f18f01", label="where fellows work")
            if column == tip.metric:
                ax.axhline(tip.threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2.5,
                           label=f"tipping line ({tip.threshold:g})")
                ax.legend(loc="upper left", frameon=False, fontsize=13)
                if tipped_year is not None:
                    ax.axvline(tipped_year, color=THRESHOLD_COLOUR, linewidth=2.5)
                    ax.text(tipped_year, 0.02, f" tipped: year {tipped_year}", fontsize=14, fontweight="bold",
                            transform=ax.get_xaxis_transform())
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            if unit == "SD":
                _at_least(ax, yearly[column], MIN_SPAN_SD)
            else:
                ax.set_ylim(0, 1)
        for ax in axes[1]:
            ax.set_xlabel("year")
        return fig


def _at_least(ax: Axes, values: pd.Series, span: float) -> None:
    low, high = float(values.min()), float(values.max())
    middle, half = (low + high) / 2, max(high - low, span) / 2 * 1.1
    ax.set_ylim(middle - half, middle + half)


def headline(yearly: pd.DataFrame, tipped_year: int | None) -> str:
    """The line tests and the room read: where the run is now."""
    last = yearly.iloc[-1]
    text = (f"year {int(last['year'])} · practising {last['practising_share']:.3f} · "
            f"achievement {last['mean_achievement']:+.2f} SD · gap {last['achievement_gap']:.2f} SD")
    return text + (f" · tipped in year {tipped_year}" if tipped_year is not None else "")


KNOB_NAMES = {
    "placement.clustering": "clustering of fellows",
    "programme.cohort_size": "fellows per year",
    "support.district": "district support strength",
    "teachers.threshold_mean": "teachers' mean threshold",
}


def tipping_figure(curve: TippingCurve, current: float) -> Figure:
    """P(tipped) against the swept parameter, with where the current settings sit."""
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


def settings_line(model: SchoolSystemModel) -> str:
    """What is running, since the sliders show no numbers and apply only on Reset."""
    c = model.config
    leaders = c.alumni.stages[-1].roles.school_leader
    return (f"{c.name}: {c.programme.sizes()[0] if c.programme.sizes() else 0} fellows a year · "
            f"clustering {c.placement.clustering:.2f} · alumni leading schools {leaders:.2f} · "
            f"district support {c.support.district:.2f} · threshold {c.teachers.threshold_mean:.2f} · "
            f"seed {getattr(model, 'seed', '?')}")
