"""The views SolaraViz shows for a model. Each re-draws when the model steps (update_counter).

Each view's figure is built once per model (a memo keyed on the model) and updated in place once
per step (keyed on the step counter too), so a re-render for any other reason redraws nothing.
"""

from __future__ import annotations

from pathlib import Path

import solara
from mesa.visualization.utils import update_counter

from sim.app.charts import OutcomeCharts
from sim.app.compare import Comparison
from sim.app.maps import SystemMap
from sim.app.text import headline, settings_line
from sim.app.tipping import find_curve, value_at
from sim.app.tipping_chart import tipping_figure
from sim.app.workshop_model import WorkshopModel

RESULTS = Path("results")  # relative to where the app was started, as `critical-mass run` writes it
HEADLINE_STYLE = {"font-size": "24px", "font-weight": "bold", "padding": "4px 8px 0"}
SETTINGS_STYLE = {"font-size": "18px", "padding": "0 8px"}


@solara.component
def Picture(build, update, model: WorkshopModel, counter: int) -> None:
    """A matplotlib figure: `build(model)` once per model, `update(built, model)` once per step."""
    built = solara.use_memo(lambda: build(model), [model])
    figure = solara.use_memo(lambda: update(built, model), [model, counter])
    # fast PNG compression: the image crosses a local link once, and every step waits for it
    solara.FigureMatplotlib(figure, format="png", dependencies=[model, counter], pil_kwargs={"compress_level": 1})


@solara.component
def SystemView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    with solara.Column(gap="4px"):
        solara.Text(headline(model.yearly(), model.tipped_year), style=HEADLINE_STYLE)
        solara.Text(settings_line(model), style=SETTINGS_STYLE)
        if model.problem:
            solara.Error(model.problem)
        Picture(SystemMap, lambda built, m: built.update(m), model, counter)


@solara.component
def OutcomeView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    Picture(lambda m: OutcomeCharts(m.config), lambda built, m: built.update(m.yearly(), m.tipped_year),
            model, counter)


@solara.component
def CompareView(model: WorkshopModel) -> None:
    counter = update_counter.get()
    if model.companions:
        Picture(lambda m: Comparison(m.companions), lambda built, m: built.update(m.companions), model, counter)


@solara.component
def TippingView(model: WorkshopModel) -> None:
    # drawn once per model: the curve and the current setting change only on Reset
    curve = solara.use_memo(lambda: find_curve(RESULTS, model.config), [model])
    if curve is not None:
        Picture(lambda m: None, lambda _, m: tipping_figure(curve, float(value_at(m.config, curve.parameter))),
                model, 0)


def views(model: WorkshopModel) -> list:
    """The views for this model; the tipping curve only when results exist for its scenario."""
    shown = [SystemView, OutcomeView]
    if model.companions:
        shown.append(CompareView)
    if find_curve(RESULTS, model.config) is not None:
        shown.append(TippingView)
    return [(view, 0) for view in shown]
