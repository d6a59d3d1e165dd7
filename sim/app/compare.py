"""Side by side: the same programme spread out or clustered, on the same seed, year by year."""

from __future__ import annotations

import matplotlib
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.app.maps import MapPanel
from sim.app.style import LINE_COLOURS, PRACTICE_CMAP, PROJECTOR, THRESHOLD_COLOUR
from sim.mechanisms.institutions import school_practising_share
from sim.model import SchoolSystemModel


class Comparison:
    """A practice map for each setting above one chart of the tipping metric for both; updated in place."""

    def __init__(self, models: dict[str, SchoolSystemModel]) -> None:
        with matplotlib.rc_context(PROJECTOR):
            self.figure = fig = Figure(figsize=(8.5, 6.8))
            grid = fig.add_gridspec(2, len(models), height_ratios=(1.1, 1), left=0.1, right=0.98, top=0.93,
                                    bottom=0.1, hspace=0.3, wspace=0.06)
            chart = fig.add_subplot(grid[1, :])
            self.panels = [MapPanel(fig.add_subplot(grid[0, i]), model, PRACTICE_CMAP, Normalize(0, 1))
                           for i, model in enumerate(models.values())]
            self.lines = [chart.plot([], [], color=colour, marker="o", markersize=7)[0]
                          for colour, _ in zip(LINE_COLOURS[::-1], models, strict=False)]
            any_model = next(iter(models.values()))
            chart.axhline(any_model.config.tipping.threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2.5)
            chart.set_xlim(0, max(m.config.years for m in models.values()))
            chart.set_ylim(0, 1)
            chart.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            chart.set_xlabel("year")
            chart.set_title("Practising where fellows work", loc="left")
            self.chart = chart

    def update(self, models: dict[str, SchoolSystemModel]) -> Figure:
        with matplotlib.rc_context(PROJECTOR):
            for panel, line, (name, model) in zip(self.panels, self.lines, models.items(), strict=True):
                yearly = model.yearly()
                panel.update(model, school_practising_share(model.state),
                             f"{name}: {yearly['tipping_metric'].iloc[-1]:.0%}")
                line.set_data(yearly["year"], yearly["tipping_metric"])
                tipped = f": tipped in year {model.tipped_year}" if model.tipped_year is not None else ""
                line.set_label(name + tipped)
            self.chart.legend(loc="upper left", frameon=False)
        return self.figure


def comparison_figure(models: dict[str, SchoolSystemModel]) -> Figure:
    return Comparison(models).update(models)
