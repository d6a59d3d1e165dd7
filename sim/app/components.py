"""The views SolaraViz shows for a model. Each re-draws when the model steps (update_counter).

Figures are built in a memo keyed on the model and the step counter, so a re-render for any other
reason (a slider moved in the sidebar) does not redraw them.
"""

from __future__ import annotations

from pathlib import Path

import solara
from mesa.visualization.utils import update_counter

from sim.app.charts import headline, outcome_charts, settings_line, tipping_figure
from sim.app.compare import comparison_figure
from sim.app.maps import system_map
from sim.app.tipping import find_curve, value_at
from sim.app.workshop_model import WorkshopModel

RESULTS = Path("results")  # relative to where the app was started, as `critical-mass run` writes it
HEADLINE_STYLE = {"font-size": "24px", "font-weight": "bold", "padding": "4px 8px 0"}
SETTINGS_STYLE = {"font-size": "18px", "padding": "0 8px"}


@solara.component
def Figure(make, model: WorkshopModel, counter: int) -> None:
    """A matplotlib figure drawn once per (model, step); `make` builds it from the model."""
    figure = solara.use_memo(lambda: make(model), [model, counter])
    # fast PNG compression: the image is sent once over a local link, and every step waits for it
    solara.FigureMatplotlib(figure, format="png", dependencies=[model, counter], pil_kwargs={"compress_level": 1})


@solara.component
def SystemView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    with solara.Column(gap="4px"):
        solara.Text(headline(model.yearly(), model.tipped_year), style=HEADLINE_STYLE)
        solara.Text(settings_line(model), style=SETTINGS_STYLE)
        if model.problem:
            solara.Error(model.problem)
        Figure(system_map, model, counter)


@solara.component
def OutcomeView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    Figure(lambda m: outcome_charts(m.yearly(), m.config, m.tipped_year), model, counter)


@solara.component
def CompareView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    if model.companions:
        Figure(lambda m: comparison_figure(m.companions), model, counter)


@solara.component
def TippingView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    curve = solara.use_memo(lambda: find_curve(RESULTS, model.config), [model])
    if curve is not None:
        Figure(lambda m: tipping_figure(curve, float(value_at(m.config, curve.parameter))), model, counter)


def views(model: WorkshopModel) -> list:
    """The views for this model; the tipping curve only when results exist for its scenario."""
    shown = [SystemView, OutcomeView]
    if model.companions:
        shown.append(CompareView)
    if find_curve(RESULTS, model.config) is not None:
        shown.append(TippingView)
    return [(view, 0) for view in shown]
