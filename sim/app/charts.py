"""The room's charts over the years: practice, achievement, the gap and the leadership index.

Built once per model and updated in place each year (building costs as much as drawing).
Pure matplotlib (no Solara), so tests can draw them without a browser.
"""

from __future__ import annotations

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.app.style import LINE_COLOURS, PROJECTOR, THRESHOLD_COLOUR
from sim.scenario import Scenario

PANELS = (
    ("practising_share", "Teachers practising", "share"),
    ("mean_achievement", "Achievement", "SD"),
    ("achievement_gap", "Achievement gap", "SD"),
    ("leadership_index", "Leadership index", "0 to 1"),
)
MIN_SPAN_SD = 0.3  # a year's noise should not fill the panel and look like a trend


class OutcomeCharts:
    """Four panels with the x axis fixed to the whole run, so the room sees how far there is to go."""

    def __init__(self, scenario: Scenario) -> None:
        tip = scenario.tipping
        with matplotlib.rc_context(PROJECTOR):
            self.figure = fig = Figure(figsize=(8.5, 6.2))
            fig.subplots_adjust(left=0.1, right=0.98, top=0.93, bottom=0.1, hspace=0.3, wspace=0.3)
            axes = fig.subplots(2, 2, sharex=True)
            self.lines: dict[str, object] = {}
            self.axes = dict(zip((p[0] for p in PANELS), axes.flat, strict=True))
            for ax, (column, title, unit), colour in zip(axes.flat, PANELS, LINE_COLOURS, strict=True):
                self.lines[column] = ax.plot([], [], color=colour, marker="o", markersize=7, label="all schools")[0]
                ax.set_title(title, loc="left")
                ax.set_ylabel(unit)
                ax.set_xlim(0, scenario.years)
                ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
                ax.set_ylim(0, 1)
            for ax in axes[1]:
                ax.set_xlabel("year")
            ax = self.axes[tip.metric]
            if tip.scope == "programme_districts":
                # the rule is judged where fellows work: show that line too, or a tip would look missing
                self.lines["tipping_metric"] = ax.plot([], [], color="#f18f01", label="where fellows work")[0]
            ax.axhline(tip.threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2.5,
                       label=f"tipping line ({tip.threshold:g})")
            ax.legend(loc="upper left", frameon=False, fontsize=13)
            self.tipped = ax.axvline(0, color=THRESHOLD_COLOUR, linewidth=2.5, visible=False)
            self.tipped_text = ax.text(0, 0.02, "", fontsize=14, fontweight="bold", transform=ax.get_xaxis_transform())

    def update(self, yearly: pd.DataFrame, tipped_year: int | None = None) -> Figure:
        for column, line in self.lines.items():
            line.set_data(yearly["year"], yearly[column])  # type: ignore[attr-defined]
        for column, _, unit in PANELS:
            if unit == "SD":
                _at_least(self.axes[column], yearly[column], MIN_SPAN_SD)
        self.tipped.set_visible(tipped_year is not None)
        if tipped_year is not None:
            self.tipped.set_xdata([tipped_year, tipped_year])
            self.tipped_text.set_x(tipped_year)
            self.tipped_text.set_text(f" tipped: year {tipped_year}")
        else:
            self.tipped_text.set_text("")
        return self.figure


def _at_least(ax: Axes, values: pd.Series, span: float) -> None:
    low, high = float(values.min()), float(values.max())
    middle, half = (low + high) / 2, max(high - low, span) / 2 * 1.1
    ax.set_ylim(middle - half, middle + half)


def outcome_charts(yearly: pd.DataFrame, scenario: Scenario, tipped_year: int | None = None) -> Figure:
    return OutcomeCharts(scenario).update(yearly, tipped_year)
