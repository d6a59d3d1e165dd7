"""The model as SolaraViz sees it: slider values as keyword arguments, never an exception.

SolaraViz rebuilds the model class with its `model_params` as keyword arguments on Reset, so this
adapter takes plain numbers, turns them into a validated Scenario and runs the ordinary model. A
room must never see a traceback: bad settings fall back to the preset with a message
(`problem`), and a failing year stops the run with one.
"""

from __future__ import annotations

from sim.app import presets
from sim.app.knobs import Knobs, clamp, overrides
from sim.app.layout import DistrictLayout, district_layout
from sim.model import SchoolSystemModel


class WorkshopModel(SchoolSystemModel):
    """A preset scenario with the facilitator's settings; stops at the scenario's last year."""

    def __init__(
        self,
        preset: str = str(presets.DEFAULT),
        cohort_size: float | None = None,
        clustering: float | None = None,
        school_leaders: float | None = None,
        district_support: float | None = None,
        threshold_mean: float | None = None,
        seed: int = 0,
        compare: bool = False,
    ) -> None:
        self.problem: str | None = None
        self.seed = int(clamp(seed, 0, 2**32 - 1) or 0)
        base = presets.load(preset)
        knobs = Knobs(cohort_size, clustering, school_leaders, district_support, threshold_mean)
        try:
            super().__init__(base.with_overrides(overrides(base, knobs)), rng=self.seed)
        except Exception as exc:  # a room sees a message, not a traceback
            self.problem = f"Those settings could not run ({_short(exc)}); showing the preset as shipped."
            super().__init__(base, rng=self.seed)
        self.layout: DistrictLayout = layout_of(self)
        # the side-by-side view: the same seed, advanced with this model year by year
        files = presets.comparison_files() if compare else None
        pairs = zip(presets.COMPARE, files or (), strict=False)
        self.companions = {name: _companion(file, self.seed) for name, file in pairs}

    def step(self) -> None:
        if not self.running:
            return
        try:
            super().step()
            for other in self.companions.values():
                if other.time < min(self.time, other.config.years):
                    other.step()
        except Exception as exc:  # stop the run and say why, rather than break the page
            self.problem = f"The model stopped in year {int(self.time)}: {_short(exc)}"
            self.running = False
            return
        if self.time >= self.config.years:
            self.running = False


def layout_of(model: SchoolSystemModel) -> DistrictLayout:
    s = model.state.schools
    return district_layout(s.district, model.state.districts.names, order=s.disadvantage)


def _companion(file: str, seed: int) -> SchoolSystemModel:
    model = SchoolSystemModel(presets.load(file), rng=seed)
    model.layout = layout_of(model)  # type: ignore[attr-defined]
    return model


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]

