"""The page each browser gets: its own session, the controls, and the room's views.

Written as Solara components rather than through Mesa's SolaraViz: SolaraViz's controls (play
interval, render interval, threads, page tabs) are not for a room, its sliders show no values and act
only on Reset, its pause stops a year late, and its figures are fixed-size pictures. Solara runs
`Page` once per browser session, so the session made in it belongs to that browser alone.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path
from typing import Any

import reacton.ipyvuetify as rv
import solara
import solara.lab

from sim.app import presets
from sim.app.echarts_widget import Chart
from sim.app.network import is_loopback, qr_svg
from sim.app.pace import PACE, each_year_in_turn, sleep_until
from sim.app.scenario_keys import SETTINGS, Setting
from sim.app.session import Session
from sim.app.slider_widget import Slider
from sim.app.style import CSS
from sim.app.svg_map import PROGRAMME_EDGE, gradient
from sim.app.take_home import report_html, report_name
from sim.app.view import (
    ACHIEVEMENT_CMAP,
    ACHIEVEMENT_RANGE,
    PRACTICE_CMAP,
    MapView,
    Notes,
    View,
    build,
    control_text,
    notes,
)
from sim.app.view import find_tipping_curve as find_curve
from sim.app.workshop_model import setting_range

# set by `critical-mass app` (sim.app.serve) before this module is imported
LAUNCH = Path(os.environ.get("CRITICAL_MASS_SCENARIO") or presets.DEFAULT)
PUBLIC_URL = os.environ.get("CRITICAL_MASS_PUBLIC_URL") or None  # set when others on the network may join
RESULTS = Path("results")  # relative to where the app was started, as `critical-mass run` writes it
PRESETS = presets.available(LAUNCH)
SPEED = {"low": 0.5, "high": 10.0, "step": 0.5, "start": 1.0}  # years per second
DRAW_WAIT_SECONDS = 2.0  # the longest a playing run waits for the browser to show a year


def facilitator_here() -> bool:
    """A browser on the machine running the app (it reached it by a loopback name) is the facilitator's,
    unless its address asks to be a participant (`?participant`, to see what participants see)."""
    headers = solara.lab.headers.value or {}  # type: ignore[attr-defined]  # re-exported where mypy cannot see
    host = (headers.get("host") or [""])[0]
    name = host.split("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
    router = solara.use_router()
    return is_loopback(name) and "participant" not in (router.search or "")


@solara.component
def Layout(children: list = []) -> None:  # noqa: B006 (Solara's signature)
    """The whole window for the page: no app bar, no page tabs."""
    solara.Column(children=children, style={"padding": "0", "margin": "0"}, gap="0")


@solara.component
def Page() -> None:
    facilitator = facilitator_here()
    session = solara.use_memo(lambda: Session(PRESETS, compare=True), [])
    _, set_version = solara.use_state(session.version)  # a change re-renders the page
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(SPEED["start"])
    room, set_room = solara.use_state(False)
    show_join, set_show_join = solara.use_state(False)
    curve = solara.use_memo(lambda: find_curve(session, RESULTS), [session.run])
    view: View = solara.use_memo(lambda: build(session, room, curve=curve), [session.frame, room, curve])
    lines = notes(session)  # changes with the controls too (version)

    def show() -> None:
        set_version(session.version)

    def play_loop(cancelled: threading.Event) -> None:
        if not playing:
            return
        while not cancelled.is_set():
            started = time.monotonic()
            with PACE.turn(facilitator):
                if cancelled.is_set() or not session.playing:
                    return  # paused while waiting: no year starts after a pause
                stepped = session.step()
                show()  # drawn inside the turn: drawing is most of a year's cost
            if not stepped or session.run.finished:
                session.playing = False
                set_playing(False)
                return
            # the next year waits until the browser shows this one: no backlog of years that a pause
            # would leave still arriving on screen
            session.wait_drawn(session.frame, DRAW_WAIT_SECONDS)
            took = time.monotonic() - started
            deadline = max(started + 1 / speed, time.monotonic() + PACE.rest_after(facilitator, took))
            if sleep_until(deadline, cancelled):
                return

    solara.use_thread(play_loop, dependencies=[playing, speed], intrusive_cancel=False)

    def play() -> None:
        if session.run.finished:
            with PACE.turn(facilitator):
                session.reset()
                show()
        session.playing = True
        set_playing(True)

    def pause() -> None:
        session.playing = False  # read by the loop before each year: none starts after this
        set_playing(False)

    def step() -> None:
        with PACE.turn(facilitator):
            session.step()
            show()

    def to_end() -> None:
        """The remaining years at once, drawn once: where this run ends (each year still takes its turn, and a
        participant rests between years as when playing)."""
        pause()
        each_year_in_turn(lambda: not session.run.finished and session.step() and not session.run.finished,
                          facilitator)
        show()

    def reset() -> None:
        pause()
        with PACE.turn(facilitator):
            session.reset()
            show()

    solara.Style(CSS)
    with solara.Div(classes=["cm-app", "cm-room" if room else "cm-normal"]):
        with solara.Div(classes=["cm-bar"]):
            solara.Text(f"Critical Mass · {view.preset}", classes=["cm-title"])
            if playing:
                solara.Button("❚❚ Pause", on_click=pause, classes=["cm-play"], color="primary")
            elif view.finished:
                solara.Button("⟲ Play again", on_click=play, classes=["cm-play"], color="primary")
            else:
                solara.Button("▶ Play", on_click=play, classes=["cm-play"], color="primary")
            solara.Button("Step", on_click=step, disabled=playing or view.finished, classes=["cm-step"])
            solara.Button("▶▶ End", on_click=to_end, disabled=playing or view.finished, classes=["cm-end"])
            solara.Button("Reset", on_click=reset, classes=["cm-reset"])
            solara.Button("Leave room mode" if room else "Room mode", on_click=lambda: set_room(not room),
                          classes=["cm-room-toggle"], outlined=True)
            if PUBLIC_URL:
                solara.Button("Hide join code" if show_join else "Join code", outlined=True,
                              on_click=lambda: set_show_join(not show_join), classes=["cm-join-toggle"])
            solara.Text("facilitator's screen" if facilitator else "participant", classes=["cm-role"])
        with solara.Div(classes=["cm-body"]):
            if not room:
                with solara.Div(classes=["cm-controls"]):
                    # the session changes inside: its panel count renders the controls again (not each year)
                    Controls(session, session.panel, speed, set_speed, show, playing)
                    TakeHome(session, session.run.year)
                    if PUBLIC_URL:
                        Join(big=False)
            with solara.Div(classes=["cm-main"]):
                if PUBLIC_URL and show_join:
                    Join(big=True)
                Headline(view, lines, room)
                Figures(view, room, session.frame, session.mark_drawn)


@solara.component
def Controls(session: Session, panel: int, speed: float, set_speed, show, playing: bool) -> None:
    pending = {p.setting for p in session.pending()}
    with solara.Div(classes=["cm-panel"]):
        with solara.Div(classes=["cm-control", "cm-speed"]):
            ControlHead("Speed", f"{speed:g} year{'s' if speed != 1 else ''} per second")
            Slider("speed", "Speed", speed, lambda v: set_speed(float(v)), SPEED["low"], SPEED["high"], SPEED["step"])

        solara.Text("Settings for the next Reset are marked “pending”; live ones act from the next year.",
                    classes=["cm-hint"])
        with solara.Div(classes=["cm-control", "cm-structural", "cm-pending" if "preset" in pending else ""]):
            def choose(name: str) -> None:
                session.choose_preset(name)
                show()

            solara.Select("Preset", value=session.preset, values=list(session.presets), on_value=choose,
                          classes=["cm-preset"])
            if "preset" in pending:
                solara.Text("pending until Reset", classes=["cm-pending-note"])
            solara.Button("Preset's values", on_click=lambda: choose(session.preset), text=True, small=True,
                          classes=["cm-preset-values"])
        for setting in SETTINGS:
            SettingControl(session, setting, session.controls[setting.name], setting.name in pending, show)


@solara.component
def SettingControl(session: Session, setting: Setting, value: Any, pending: bool, show) -> None:
    low, high, step = setting_range(setting, session.base())

    def moved(new: Any) -> None:
        session.set_control(setting.name, new)
        show()

    kind = "cm-live" if setting.live else "cm-structural"
    with solara.Div(classes=["cm-control", kind, f"cm-control-{setting.name}", "cm-pending" if pending else ""]):
        if setting.choices:
            shown = list(setting.choices) + ([value] if value not in setting.choices else [])  # AS_PRESET
            solara.Select(setting.label, value=value, values=shown, on_value=moved,
                          classes=[f"cm-select-{setting.name}"])
        else:
            ControlHead(setting.label, control_text(setting.name, value))
            Slider(setting.name, setting.label, value, moved, low, high, step)
        note = "pending until Reset" if pending else ("live: acts from the next year" if setting.live else "")
        if note:
            solara.Text(note, classes=["cm-pending-note" if pending else "cm-live-note"])


@solara.component
def ControlHead(label: str, value: str) -> None:
    solara.HTML(tag="div", classes=["cm-control-head"], unsafe_innerHTML=(
        f'<span class="cm-control-label">{html.escape(label)}</span>'
        f'<span class="cm-control-value">{html.escape(value)}</span>'))


@solara.component
def TakeHome(session: Session, year: int) -> None:
    data = solara.use_memo(lambda: (lambda: _report(session)), [])
    solara.FileDownload(data, filename=report_name(session.run), label="Save report (HTML)",
                        mime_type="text/html")


def _report(session: Session) -> bytes:
    with session.lock:
        return report_html(session.run)


@solara.component
def Join(big: bool) -> None:
    with solara.Div(classes=["cm-join", "cm-join-big" if big else "cm-join-small"]):
        solara.Text("Join on your own device:", classes=["cm-join-title"])
        solara.Text(PUBLIC_URL or "", classes=["cm-join-url"])
        solara.HTML(tag="div", unsafe_innerHTML=qr_svg(PUBLIC_URL or ""), classes=["cm-qr"])


@solara.component
def Headline(view: View, lines: Notes, room: bool) -> None:
    tipped = view.tipped_year is not None
    attributes = {"data-run": str(view.run_number), "data-year": str(view.year), "data-years": str(view.years),
                  "data-tipped-year": "" if not tipped else str(view.tipped_year),
                  "data-practising": f"{view.practising:.4f}", "data-metric": f"{view.metric:.4f}"}
    with rv.Html(tag="div", attributes=attributes, class_="cm-headline " + ("cm-tipped" if tipped else "")):
        with solara.Div(classes=["cm-head-row"]):
            solara.Text(f"Year {view.year} of {view.years}", classes=["cm-year"])
            if tipped:
                solara.Text(f"TIPPED in year {view.tipped_year}", classes=["cm-banner"])
        solara.Text(view.figures, classes=["cm-figures-line"])
        solara.Text(f"achievement {view.achievement:+.2f} SD · gap {view.gap:.2f} SD · tipping: {view.rule}",
                    classes=["cm-sub-line"])
    if room and not (lines.next_year or view.events or view.problem):
        return  # the room needs no more than the headline
    with solara.Div(classes=["cm-notes"]):
        if not room:
            solara.Text(f"Running: {lines.running}", classes=["cm-running"])
            if lines.pending:
                solara.Text("Pending until Reset: " + "; ".join(lines.pending), classes=["cm-pending-line"])
        if lines.next_year:
            solara.Text(f"From year {view.year + 1}: " + "; ".join(lines.next_year), classes=["cm-next-line"])
        if view.events:
            solara.Text("Changes this run: " + "; ".join(view.events), classes=["cm-events-line"])
        if view.problem:
            solara.Error(view.problem)


@solara.component
def Figures(view: View, room: bool, frame: int, on_drawn) -> None:
    with solara.Div(classes=["cm-grid"]):
        with solara.Div(classes=["cm-card", "cm-primary", "cm-card-practice-map"]):
            solara.Text("Practising, school by school", classes=["cm-card-title"])
            SchoolMap(view.practice_map, "cm-figure")
            MapKey(PRACTICE_CMAP, ("0%", "50%", "100%"), "of a school's teachers practising", view.practice_map)
        with solara.Div(classes=["cm-card", "cm-primary", "cm-card-practice-chart"]):
            solara.Text("Teachers practising", classes=["cm-card-title"])
            with solara.Div(classes=["cm-figure"]):
                Chart(view.practice_chart, view.year, frame, on_drawn)
        if view.sides:
            with solara.Div(classes=["cm-card", "cm-card-side"]):
                solara.Text("Side by side: these settings, dispersed and clustered (same seed)",
                            classes=["cm-card-title"])
                with solara.Div(classes=["cm-side-maps"]):
                    for side in view.sides:
                        with solara.Div(classes=["cm-side-map"]):
                            tipped = f" · tipped in year {side.tipped_year}" if side.tipped_year is not None else ""
                            solara.Text(f"{side.label}: {side.metric:.0%}{tipped}", classes=["cm-side-label"])
                            SchoolMap(side.map, "cm-side-figure")
                with solara.Div(classes=["cm-figure", "cm-side-chart"]):
                    Chart(view.comparison_chart or {}, view.year)
        elif view.side_note:
            with solara.Div(classes=["cm-card", "cm-card-side"]):
                solara.Text(view.side_note, classes=["cm-hint"])
        with solara.Div(classes=["cm-card", "cm-card-achievement-map"]):
            solara.Text("Achievement, school by school", classes=["cm-card-title"])
            SchoolMap(view.achievement_map, "cm-figure")
            low, high = ACHIEVEMENT_RANGE
            MapKey(ACHIEVEMENT_CMAP, (f"{low:+.1f}", f"{(low + high) / 2:+.1f}", f"{high:+.1f}"),
                   "SD, students' achievement", view.achievement_map)
        with solara.Div(classes=["cm-card", "cm-card-outcomes"]):
            solara.Text("Achievement, the gap, leadership and institutions", classes=["cm-card-title"])
            with solara.Div(classes=["cm-figure"]):
                Chart(view.outcome_charts, view.year)
        if view.curve_chart is not None:
            with solara.Div(classes=["cm-card", "cm-card-curve"]):
                solara.Text("How surely it tips (from a sweep run before the day)", classes=["cm-card-title"])
                with solara.Div(classes=["cm-figure"]):
                    Chart(view.curve_chart, 0)


@solara.component
def SchoolMap(shown: MapView, classes: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=shown.svg, classes=[classes, "cm-map-box"])


@solara.component
def MapKey(cmap: str, ticks: tuple[str, str, str], unit: str, shown: MapView) -> None:
    """The colour scale and the marks, as one piece of HTML (one widget, not a dozen)."""
    solara.HTML(tag="div", classes=["cm-key"], unsafe_innerHTML=(
        '<div class="cm-key-scale">'
        f'<div class="cm-key-bar" style="background: {gradient(cmap)}"></div>'
        '<div class="cm-key-ticks">' + "".join(f"<span>{html.escape(t)}</span>" for t in ticks) + "</div>"
        f'<span class="cm-key-unit">{html.escape(unit)}</span></div>'
        '<div class="cm-key-marks">'
        f'<span class="cm-mark-fellows">◯ fellows teaching ({shown.fellows} schools)</span>'
        f'<span class="cm-mark-leaders">★ led by an alumnus ({shown.leaders})</span>'
        f'<span class="cm-mark-districts" style="color: {PROGRAMME_EDGE}">▭ district with fellows</span></div>'))
