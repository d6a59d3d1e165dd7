"""The page each browser gets: its own model, a preset chooser, and SolaraViz with the room's views.

Solara runs `Page` once per browser session, so the model built in it belongs to that session
alone (a module-level model would be shared by every browser in the room).
"""

from __future__ import annotations

import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz

from sim.app import grid, presets
from sim.app.components import views
from sim.app.controls import HELP, model_params
from sim.app.workshop_model import WorkshopModel

# set by `critical-mass app SCENARIO` (sim.app.serve) before this module is imported
LAUNCH = Path(os.environ.get("CRITICAL_MASS_SCENARIO") or presets.DEFAULT)
PRESETS = presets.available(LAUNCH)
FIRST = next(iter(PRESETS))
grid.install()


@solara.component
def Page() -> None:
    name, set_name = solara.use_state(FIRST)
    file = PRESETS[name]
    params = solara.use_memo(lambda: model_params(file), [file])
    model = solara.use_memo(lambda: WorkshopModel(preset=file, compare=params["compare"]), [file])
    with solara.Sidebar(), solara.Card("Preset"):
        solara.Select("Preset", value=name, values=list(PRESETS), on_value=set_name)
        solara.Text(HELP, style={"font-size": "14px"})
    # keyed by preset: choosing another remounts SolaraViz, so its sliders start at that preset's values
    SolaraViz(model, components=views(model), model_params=params, name=f"Critical Mass · {name}").key(name)
