"""One browser's session: the controls as set on its panel, the run they started, and what is pending.

Live settings go to the run at once and act from its next year; structural ones (and a different
preset) wait for Reset, and `pending()` lists them so the room sees what Reset will change. No web
framework here: the page calls these methods, and tests call them directly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sim.app.scenario_keys import BY_NAME, SETTINGS, Setting
from sim.app.workshop_model import WorkshopRun, clean, format_value, load, preset_values
from sim.scenario import Scenario


@dataclass(frozen=True)
class Pending:
    setting: str  # a Setting's name, or "preset"
    text: str  # "fellows per year 15 (running: 40)"


class Session:
    """The panel's values and the run. Every method may be called from any thread."""

    def __init__(self, presets: dict[str, str], preset: str | None = None, compare: bool = True) -> None:
        self.presets = presets
        self.compare = compare
        self.lock = threading.RLock()
        self.preset = preset or next(iter(presets))
        self.controls: dict[str, Any] = preset_values(self.base())
        self.version = 0  # bumped on every change the page must show
        self.frame = 0  # bumped when the run moves (a year, a Reset): the figures change only then
        self.runs = 0  # runs started (each Reset)
        self.panel = 0  # bumped when what the panel shows changes (a control, a preset, a Reset)
        self.playing = False
        self._drawn = threading.Condition()
        self.drawn_frame = -1  # the last frame the browser reported on screen
        self._start()

    def base(self, preset: str | None = None) -> Scenario:
        return load(self.presets[preset or self.preset])

    def _start(self) -> None:
        self.run_preset = self.preset
        values = {k: v for k, v in self.controls.items() if k != "seed"}
        self.run = WorkshopRun(self.base(), values, int(self.controls["seed"]), self.compare)
        self.version += 1
        self.frame += 1
        self.runs += 1
        self.panel += 1

    # --- the panel ----------------------------------------------------------------------------

    def preset_value(self, setting: Setting) -> Any:
        return preset_values(self.base())[setting.name]

    def set_control(self, name: str, value: object) -> Any:
        """A control moved: cleaned to the setting's range and grid; live ones go to the run."""
        setting = BY_NAME[name]
        with self.lock:
            number = clean(setting, value, self.base())
            self.controls[name] = number
            if setting.live and self.preset == self.run_preset:
                self.run.set_live(name, number)
            self.version += 1
            self.panel += 1
            return number

    def choose_preset(self, preset: str) -> None:
        """A preset on the panel (another, or the running one again): every control shows its values (the
        seed stays); Reset runs it."""
        if preset not in self.presets:
            raise KeyError(preset)
        with self.lock:
            self.preset = preset
            self.controls = {**preset_values(self.base()), "seed": self.controls["seed"]}
            if preset == self.run_preset:  # the running preset's values: live ones act as if moved
                for setting in SETTINGS:
                    if setting.live:
                        self.run.set_live(setting.name, self.controls[setting.name])
            self.version += 1
            self.panel += 1

    def pending(self) -> list[Pending]:
        """What Reset would change: another preset, structural settings, and (with another preset) all."""
        with self.lock:
            out = []
            other_preset = self.preset != self.run_preset
            if other_preset:
                out.append(Pending("preset", f"preset {self.preset} (running: {self.run_preset})"))
            running = {**self.run.values, "seed": self.run.seed}
            for setting in SETTINGS:
                if (setting.live and not other_preset) or self.controls[setting.name] == running[setting.name]:
                    continue
                shown = format_value(setting, self.controls[setting.name])
                was = format_value(setting, running[setting.name])
                out.append(Pending(setting.name, f"{setting.label.lower()} {shown} (running: {was})"))
            return out

    def next_year_changes(self) -> list[str]:
        """Live changes made this year, acting from the next."""
        with self.lock:
            return [f"{BY_NAME[k].label.lower()} {format_value(BY_NAME[k], v)}"
                    for k, v in self.run.pending_live().items()]

    # --- the run --------------------------------------------------------------------------------

    def reset(self) -> None:
        """A new run with everything on the panel (a preset chosen, structural and live settings)."""
        with self.lock:
            self._start()

    def mark_drawn(self, frame: int) -> None:
        with self._drawn:
            self.drawn_frame = max(self.drawn_frame, frame)
            self._drawn.notify_all()

    def wait_drawn(self, frame: int, timeout: float) -> bool:
        """Until the browser has drawn `frame` (False after `timeout` seconds: a hidden tab draws nothing)."""
        with self._drawn:
            return self._drawn.wait_for(lambda: self.drawn_frame >= frame, timeout)

    def step(self) -> bool:
        with self.lock:
            stepped = self.run.step()
            self.version += 1
            self.frame += 1
            return stepped
