"""What the page shows for a session at one moment: text, maps and chart options, built together.

Built once per change (a year, a Reset, a control moved) under the session's lock, so every view on
the page shows the same year. Plain data: tests check it without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.app import charts
from sim.app.scenario_keys import BY_NAME, KEY_LABELS, SETTINGS
from sim.app.session import Session
from sim.app.svg_map import school_map
from sim.app.tipping import TippingCurve, find_curve
from sim.app.workshop_model import TippingRule, describe, format_value, value_of

PRACTICE_CMAP, ACHIEVEMENT_CMAP = "YlGnBu", "RdYlGn"
ACHIEVEMENT_RANGE = (-0.8, 0.4)  # SD units: holds every shipped scenario's schools, start to end


@dataclass(frozen=True)
class MapView:
    svg: str
    fellows: int  # schools with a fellow teaching now
    leaders: int  # schools led by an alumnus


@dataclass(frozen=True)
class SideView:
    label: str
    tipped_year: int | None
    metric: float  # the tipping metric this year
    map: MapView


@dataclass(frozen=True)
class View:
    preset: str
    run_number: int  # which run of the session (each Reset starts one)
    year: int
    years: int
    tipped_year: int | None
    practising: float  # share of all teachers
    metric: float  # the tipping metric (where fellows work, when the rule is judged there)
    achievement: float
    gap: float
    rule: str  # the tipping rule in words
    figures: str  # the headline's numbers in words
    events: list[str]
    problem: str | None
    finished: bool
    practice_map: MapView
    achievement_map: MapView
    practice_chart: dict
    outcome_charts: dict
    sides: list[SideView] = field(default_factory=list)
    comparison_chart: dict | None = None
    side_note: str = ""
    curve_chart: dict | None = None


def _map(schools, values: np.ndarray, cmap: str, low: float, high: float, year: int, label: str,
         names: bool = True) -> MapView:
    return MapView(school_map(schools, values, cmap, low, high, year, label, names), int(schools.fellows.sum()),
                   int(schools.leaders.sum()))


def figures_line(rule: TippingRule, practising: float, metric: float) -> str:
    line = f"{practising:.1%} of teachers practising"
    if rule.metric != "practising_share":
        return f"{line} · {rule.label} {metric:.2f} {rule.where}"
    return line if rule.system_wide else f"{line} · {metric:.1%} {rule.where}"


def running_line(session: Session) -> str:
    run = session.run
    facts = describe(run.scenario)
    shown = [f"{facts['name']}", f"{facts['fellows_a_year']} fellows a year for {facts['cohorts']} years"]
    for setting in SETTINGS:
        if setting.name == "cohort_size":
            continue
        value = run.seed if setting.name == "seed" else run.values[setting.name]
        shown.append(f"{setting.label.lower()} {format_value(setting, value)}")
    return " · ".join(shown)


def build(session: Session, room: bool = False, results: Path | None = None,
          curve: TippingCurve | None = None) -> View:
    """The page's content for this session now (`curve`: a tipping curve already found, if any)."""
    with session.lock:
        run = session.run
        yearly = run.yearly()
        last = yearly.iloc[-1]
        year, tipped = int(last["year"]), run.tipped_year
        schools = run.schools()
        events = list(run.events)
        practice = _map(schools, schools.practice, PRACTICE_CMAP, 0, 1, year, "share of teachers practising")
        achievement = _map(schools, schools.achievement, ACHIEVEMENT_CMAP, *ACHIEVEMENT_RANGE, year,
                           "students' achievement")
        sides, comparison = [], None
        companions = run.side_by_side()
        if companions:
            for c in companions:
                label = c.placement + (" (this run)" if c.this_run else "")
                shown = _map(c.schools, c.schools.practice, PRACTICE_CMAP, 0, 1, year, label, names=False)
                sides.append(SideView(label, c.tipped_year, float(c.yearly["tipping_metric"].iloc[-1]), shown))
            comparison = charts.comparison_chart(companions, run.rule, events, run.years, room, tipped)
        curve_chart = None
        if curve is not None:
            current = value_of(run.scenario, curve.parameter)
            if current is not None:
                name = KEY_LABELS.get(curve.parameter, curve.parameter)
                curve_chart = charts.tipping_curve_chart(curve, name, float(current), room)
        return View(
            preset=session.run_preset, run_number=session.runs, year=year, years=run.years, tipped_year=tipped,
            practising=float(last["practising_share"]), metric=float(last["tipping_metric"]),
            achievement=float(last["mean_achievement"]), gap=float(last["achievement_gap"]),
            rule=run.rule.text(), figures=figures_line(run.rule, float(last["practising_share"]),
                                                       float(last["tipping_metric"])),
            events=[e.text() for e in events], problem=run.problem,
            finished=run.finished, practice_map=practice, achievement_map=achievement,
            practice_chart=charts.practice_chart(yearly, run.rule, tipped, events, run.years, room),
            outcome_charts=charts.outcome_charts(yearly, tipped, events, run.years, room),
            sides=sides, comparison_chart=comparison, side_note=run.side_by_side_note, curve_chart=curve_chart,
        )


@dataclass(frozen=True)
class Notes:
    """The lines under the headline, which change with the controls as well as with the run."""

    running: str  # what is running
    pending: list[str]  # what Reset would change
    next_year: list[str]  # live changes made this year, acting from the next


def notes(session: Session) -> Notes:
    with session.lock:
        return Notes(running_line(session), [p.text for p in session.pending()], session.next_year_changes())


def find_tipping_curve(session: Session, results: Path) -> TippingCurve | None:
    return find_curve(results, session.run.scenario)


def control_text(name: str, value: float) -> str:
    """A control's value with its unit, as the panel shows it: "40 fellows a year"."""
    setting = BY_NAME[name]
    return f"{format_value(setting, value)} {setting.unit}".strip()
