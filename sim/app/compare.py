"""Side by side: the same programme spread out or clustered, on the same seed, year by year."""

from __future__ import annotations

import matplotlib
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.app.maps import draw_map
from sim.app.style import LINE_COLOURS, PRACTICE_CMAP, PROJECTOR, THRESHOLD_COLOUR
from sim.mechanisms.institutions import school_practising_share
from sim.model import SchoolSystemModel


def comparison_figure(models: dict[str, SchoolSystemModel]) -> Figure:
    """A practice map for each setting above one chart of the tipping metric for both."""
    with matplotlib.rc_context(PROJECTOR):
        fig = Figure(figsize=(8.5, 6.8))
        grid = fig.add_gridspec(2, len(models), height_ratios=(1.1, 1), left=0.1, right=0.98, top=0.93,
                                bottom=0.1, hspace=0.3, wspace=0.06)
        chart = fig.add_subplot(grid[1, :])
        years = 1
        for i, ((name, model), colour) in enumerate(zip(models.items(), LINE_COLOURS[:: -1], strict=False)):
            ax = fig.add_subplot(grid[0, i])
            yearly = model.yearly()
            draw_map(ax, model, school_practising_share(model.state), PRACTICE_CMAP, Normalize(0, 1),
                     f"{name}: {yearly['tipping_metric'].iloc[-1]:.0%}")
            chart.plot(yearly["year"], yearly["tipping_metric"], color=colour, marker="o", markersize=7,
                       label=name + (f": tipped in year {model.tipped_year}" if model.tipped_year is not None else ""))
            tip, years = model.config.tipping, max(years, model.config.years)
        chart.axhline(tip.threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2.5)
        chart.set_xlim(0, years)
        chart.set_ylim(0, 1)
        chart.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        chart.set_xlabel("year")
        chart.set_title("Practising where fellows work", loc="left")
        chart.legend(loc="upper left", frameon=False)
        return fig
