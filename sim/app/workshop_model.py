"""The one place the workshop app touches the model: scenario values, the model's state, its results.

Everything else in sim.app works on the plain data this module hands out (arrays, frames, small
dataclasses), so when the model changes, this module and the key table (`sim.app.scenario_keys`)
are what to adapt. It reads and writes scenarios only through that table's key paths.

A run here is one session's: the main model, and beside it the same settings placed dispersed and
clustered on the same seed (the side by side; a placement equal to the main run's reuses it). Live
settings change between years: the engine compiles `model.scenario` into the arrays its mechanisms
read every year, so a new Scenario assigned there acts from the next year; two settings also move
the model's state (see LIVE_WRITERS). A room must never see a traceback: settings the model refuses
fall back to the preset with a message, and a failing year stops the run with one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.app.layout import DistrictLayout, district_layout
from sim.app.scenario_keys import BY_NAME, COMPARE_PRESETS, KEYS, PLACEMENT_KEYS, PLACEMENT_WAYS, SETTINGS, Setting
from sim.engine import Batch
from sim.engine.build import fellows_in_post
from sim.engine.state import ALUMNUS, FELLOW, SCHOOL_LEADER
from sim.mechanisms.institutions import school_practising_share
from sim.mechanisms.students import school_achievement
from sim.model import SchoolSystemModel
from sim.scenario import ROLES, Scenario, load_scenario
from sim.scenario.schema import TIPS_DOWNWARD
from sim.scenario.yaml_source import value_at

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"
MAX_COHORT = 5_000  # well beyond any programme's yearly intake; keeps memory bounded
MAX_SIDE_BY_SIDE_TEACHERS = 100_000  # two more models of a bigger system would slow every year
SERIES = ("practising_share", "tipping_metric", "mean_achievement", "achievement_gap", "leadership_index",
          "district_support", "ministry_alignment")
METRIC_LABELS = {"practising_share": "teachers practising", "mean_achievement": "achievement",
                 "achievement_gap": "the achievement gap",
                 "achievement_gain": "achievement above the no-programme path",
                 "leadership_index": "leadership index", "district_support": "district support"}


# --- scenario values ------------------------------------------------------------------------

@lru_cache(maxsize=64)
def load(path: str) -> Scenario:
    """A scenario file, read once per process (presets are read on every Reset)."""
    return load_scenario(path)


def read(scenario: Scenario, name: str, **where: Any) -> Any:
    """The scenario's value at KEYS[name] (formatted with `where`, e.g. stage=1)."""
    return value_at(_dump(scenario), KEYS[name].format(**where))


def value_of(scenario: Scenario, key: str) -> Any:
    """The value at any dotted key path, for tables whose columns name keys (tipping results)."""
    return value_at(_dump(scenario), key)


def _dump(scenario: Scenario) -> dict:
    # dumping validates nothing and costs a millisecond; the same scenario is read many times
    cached = _DUMPS.get(id(scenario))
    if cached is None or cached[0] is not scenario:
        if len(_DUMPS) > 64:
            _DUMPS.clear()
        cached = _DUMPS[id(scenario)] = (scenario, scenario.model_dump(mode="python"))
    return cached[1]


_DUMPS: dict[int, tuple[Scenario, dict]] = {}


def name_of(scenario: Scenario) -> str:
    return str(read(scenario, "name"))


def years_of(scenario: Scenario) -> int:
    return int(read(scenario, "years"))


def teachers(scenario: Scenario) -> int:
    return round(read(scenario, "districts") * read(scenario, "schools_per_district")
                 * read(scenario, "teachers_per_school"))


def cohort_sizes(scenario: Scenario) -> list[int]:
    sizes = read(scenario, "cohort_sizes")
    return list(sizes) if sizes is not None else [read(scenario, "cohort_size")] * read(scenario, "cohorts")


def _last_stage(scenario: Scenario) -> int:
    return len(read(scenario, "alumni_stages")) - 1


def _roles(scenario: Scenario) -> dict[str, float]:
    return dict(read(scenario, "stage_roles", stage=_last_stage(scenario)))


AS_PRESET = "as the preset"  # a choice setting whose preset value is none of its choices


def setting_value(scenario: Scenario, setting: Setting) -> Any:
    """What a setting's control shows for a scenario before anyone moves it."""
    if setting.apply == "seed":
        return 0
    if setting.apply == "cohort":
        sizes = cohort_sizes(scenario)
        return sizes[0] if sizes else 0
    if setting.apply == "school_leaders":
        return float(_roles(scenario)[KEYS["school_leader"]])
    if setting.apply == "host_schools":
        return host_schools(scenario)
    if setting.choices:
        return _choice_of(scenario, setting)
    return value_of(scenario, setting.key)


def _choice_values(setting: Setting) -> tuple[Any, ...]:
    return setting.choice_values or setting.choices


def _choice_of(scenario: Scenario, setting: Setting) -> str:
    """The choice the scenario's value is: the one it equals (on the keys a choice writes), else the one of
    its kind (a choice's first key, e.g. the same rule with another share), else AS_PRESET."""
    current = value_of(scenario, setting.key)
    pairs = list(zip(setting.choices, _choice_values(setting), strict=True))
    for label, value in pairs:
        if isinstance(value, dict) and isinstance(current, dict):
            if all(current.get(k) == v for k, v in value.items()):
                return label
        elif current == value:
            return label
    for label, value in pairs:
        if isinstance(value, dict) and isinstance(current, dict) and value:
            first = next(iter(value))
            if current.get(first) == value[first]:
                return label
    return AS_PRESET


def eligible_schools(scenario: Scenario) -> int:
    """Schools of the districts the programme may place fellows in."""
    districts = int(read(scenario, "districts"))
    rule = read(scenario, "placement_districts")
    if rule == "all":
        chosen = districts
    elif rule == "named":
        chosen = len(read(scenario, "placement_district_names"))
    else:
        chosen = min(int(read(scenario, "placement_district_count")), districts)
    return chosen * int(read(scenario, "schools_per_district"))


def host_schools(scenario: Scenario) -> int:
    """How many schools the scenario asks to host fellows, counted as the engine counts them
    (sim.engine.build: `host_schools` exactly, enough schools for `fellows_per_host` fellows each, or from
    `clustering` a log-scale step between every eligible school and one). The engine adds schools when
    the fellows in post would not fit (placement.max_fellow_share); the map shows the schools that host."""
    size = eligible_schools(scenario)
    given, per_host = read(scenario, "host_schools"), read(scenario, "fellows_per_host")
    if given is not None:
        wanted = int(given)
    elif per_host is not None:
        wanted = math.ceil(fellows_in_post(scenario) / per_host)
    else:
        wanted = round(size ** (1.0 - (read(scenario, "clustering") or 0.0)))
    return max(1, min(size, wanted))


def preset_values(scenario: Scenario) -> dict[str, Any]:
    return {s.name: setting_value(scenario, s) for s in SETTINGS}


def setting_range(setting: Setting, scenario: Scenario) -> tuple[float, float, float]:
    """(low, high, step) for a setting's control on a scenario, such that its value is one of the stops."""
    if setting.choices:
        return 0, len(setting.choices) - 1, 1
    preset_value = setting_value(scenario, setting)
    if setting.apply == "host_schools":
        high = float(eligible_schools(scenario))
    else:
        high = setting.high if setting.high is not None else max(60, 4 * preset_value)
    step = setting.step
    if not setting.integer:
        # a value off the grid (0.125 on a 0.01 grid) gets a finer grid, so Reset reproduces the file exactly
        while step > 1e-6 and abs(round(preset_value / step) * step - preset_value) > 1e-9:
            step /= 10
    return setting.low, max(high, preset_value), step


def clamp(value: Any, low: float, high: float) -> float | None:
    """A number within [low, high], or None for anything that is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else min(max(number, low), high)


def clean(setting: Setting, value: Any, scenario: Scenario) -> Any:
    """A control's value made valid for a scenario: clamped to the setting's range, on its grid, one of its
    choices; else the scenario's own."""
    preset_value = setting_value(scenario, setting)
    if setting.choices:
        return value if value in setting.choices or value == preset_value else preset_value
    low, high, step = setting_range(setting, scenario)
    number = clamp(value, low, MAX_COHORT if setting.apply == "cohort" else high)
    if number is None:
        return preset_value
    if setting.integer:
        return round(number)
    decimals = max(0, -math.floor(math.log10(step)))
    return round(round(number / step) * step, decimals)


def build_scenario(base: Scenario, values: dict[str, Any]) -> Scenario:
    """The base scenario with the structural and live settings' values (a setting left at the base's
    own value is not written, so untouched controls reproduce the file exactly)."""
    out: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name not in values or setting.apply == "seed":
            continue
        value = values[setting.name]
        if value == setting_value(base, setting):
            continue
        if setting.apply == "cohort":
            if read(base, "cohort_sizes") is not None:
                # an explicit list of sizes would win over cohort_size: as many even cohorts instead
                out[KEYS["cohorts"]] = len(read(base, "cohort_sizes"))
                out[KEYS["cohort_sizes"]] = None
            out[KEYS["cohort_size"]] = round(value)
        elif setting.apply == "school_leaders":
            out.update(_school_leader_override(base, value))
        elif setting.apply == "host_schools":
            # a scenario gives one way of placing: the number of host schools replaces the others
            out.update({KEYS[way]: None for way in PLACEMENT_WAYS})
            out[KEYS["host_schools"]] = round(value)
        elif setting.choices:
            out[setting.key] = _choice_values(setting)[setting.choices.index(value)]
        else:
            out[setting.key] = value
    return base.with_overrides(out) if out else base


def _school_leader_override(scenario: Scenario, share: float) -> dict[str, Any]:
    path = KEYS["stage_roles"].format(stage=_last_stage(scenario))
    return {path: with_school_leaders(_roles(scenario), share)}


def with_school_leaders(roles: dict[str, float], share: float) -> dict[str, float]:
    """Role shares with school leaders at `share`, still summing to 1: the change is taken from (or
    given back to) the alumni who leave education; when they have too little left, the other roles
    are scaled down in proportion to make room."""
    leader, outside = KEYS["school_leader"], KEYS["outside"]
    shares = {r: float(roles.get(r, 0.0)) for r in ROLES}
    if abs(share - shares[leader]) < 1e-9:
        return shares  # untouched, so an unmoved slider reproduces the preset exactly
    shares[outside] -= share - shares[leader]
    shares[leader] = share
    if shares[outside] < 0:
        shares[outside] = 0.0
        others = [r for r in ROLES if r != leader]
        total = sum(shares[r] for r in others)
        for r in others:
            shares[r] = shares[r] / total * (1.0 - share) if total > 0 else 0.0
        if total <= 0:
            shares[ROLES[0]] = 1.0 - share
    # rounding can leave the sum a hair off 1; give the remainder to the largest share
    largest = max(shares, key=shares.__getitem__)
    shares[largest] += 1.0 - sum(shares.values())
    return shares


def tipping_rule(scenario: Scenario) -> TippingRule:
    scope = read(scenario, "tipping_scope")
    metric = read(scenario, "tipping_metric")
    if scope == "programme_districts":
        where = "where fellows work"
    elif scope == "most_disadvantaged":
        count = int(read(scenario, "tipping_district_count"))
        where = "in the most disadvantaged district" if count == 1 else f"in the {count} most disadvantaged districts"
    elif scope == "named":
        where = "in " + ", ".join(read(scenario, "tipping_district_names"))
    else:
        where = "in the whole system"
    by_district = bool(read(scenario, "tipping_by_district"))
    return TippingRule(
        metric=metric, label=METRIC_LABELS.get(metric, metric.replace("_", " ")),
        level=float(read(scenario, "tipping_level")), years=int(read(scenario, "tipping_years")), where=where,
        downward=metric in TIPS_DOWNWARD, system_wide=scope == "system",
        district_share=float(read(scenario, "tipping_district_share")) if by_district else None,
    )


@dataclass(frozen=True)
class TippingRule:
    metric: str
    label: str  # "teachers practising"
    level: float
    years: int  # years running at or above the level (at or below, for a downward metric)
    where: str  # "where fellows work", "in the 2 most disadvantaged districts", "in the whole system"
    downward: bool = False  # tips at or below the level (the achievement gap)
    system_wide: bool = True  # judged over the whole system, so the headline's all-teachers figure is it
    district_share: float | None = None  # judged district by district: this share of them, each

    @property
    def place(self) -> str:
        """Where it is judged, as a name: "the 2 most disadvantaged districts", "where fellows work"."""
        return self.where.removeprefix("in ")

    def text(self) -> str:
        side = "at or below" if self.downward else "at or above"
        if self.district_share is not None:
            return (f"{self.label} {side} {self.level:g} for {self.years} years running in at least "
                    f"{self.district_share:.0%} of {self.place}, each")
        return f"{self.label} {self.where} {side} {self.level:g} for {self.years} years running"


def describe(scenario: Scenario) -> dict[str, Any]:
    """Facts about a scenario for the page and the script: size, programme, tipping rule."""
    sizes = cohort_sizes(scenario)
    return {
        "name": name_of(scenario), "years": years_of(scenario), "districts": int(read(scenario, "districts")),
        "schools": int(read(scenario, "districts") * read(scenario, "schools_per_district")),
        "teachers": teachers(scenario), "fellows_a_year": sizes[0] if sizes else 0, "cohorts": len(sizes),
        "fellows": int(sum(sizes)), "host_schools": host_schools(scenario),
        "eligible_schools": eligible_schools(scenario),
        "programme_districts": eligible_schools(scenario) // int(read(scenario, "schools_per_district")),
    }


def comparison_placements() -> dict[str, dict[str, Any]] | None:
    """Placement overrides of the shipped dispersed and clustered scenarios, or None if either is missing."""
    found = {}
    for name in COMPARE_PRESETS:
        file = SHIPPED / f"{name}.yaml"
        if not file.is_file():
            return None
        scenario = load(str(file))
        found[name] = {KEYS[k]: read(scenario, k) for k in PLACEMENT_KEYS}
    return found


def placed(scenario: Scenario, placement: str) -> Scenario:
    """The scenario placed as the shipped `dispersed` or `clustered` scenario places its fellows."""
    placements = comparison_placements()
    if placements is None:
        raise FileNotFoundError("the side by side needs scenarios/dispersed.yaml and clustered.yaml")
    return scenario.with_overrides(placements[placement])


def tipped_years(base: Scenario, values: dict[str, Any], seeds: Sequence[int],
                 placement: str | None = None) -> list[int | None]:
    """The year each seed's run tips (None: not within its years), as WorkshopRun(base, values, seed) runs
    it (or its side by side's `placement`), for many seeds at once: one batch of systems, each identical
    to a run of its own (sim.engine.Batch)."""
    scenario = build_scenario(base, {**preset_values(base), **values})
    if placement is not None:
        scenario = placed(scenario, placement)
    batch = Batch([scenario] * len(seeds), [int(s) for s in seeds], years=scenario.years)
    batch.run()
    return [None if year < 0 else int(year) for year in batch.recorder.tipped_year.tolist()]


# --- a session's run --------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """A live setting changed between years: acts from the year after `year`."""

    year: int
    setting: str
    value: float

    def text(self) -> str:
        setting = BY_NAME[self.setting]
        return f"year {self.year}: {setting.label.lower()} {format_value(setting, self.value)}"


def format_value(setting: Setting, value: Any) -> str:
    if setting.choices or isinstance(value, str):
        return str(value)
    if setting.integer:
        return f"{int(value)}"
    if setting.percent:
        return f"{value * 100:.{_decimals(value * 100)}f}%"
    return f"{value:.{max(2, _decimals(value))}f}"


def _decimals(value: float) -> int:
    for places in range(6):
        if abs(round(value, places) - value) < 1e-9:
            return places
    return 6


@dataclass(frozen=True)
class Schools:
    """What the map draws for one model in one year: per school, and per district."""

    layout: DistrictLayout
    practice: np.ndarray  # share of each school's teachers practising
    achievement: np.ndarray  # SD units
    fellows: np.ndarray  # bool: a fellow teaches there now
    leaders: np.ndarray  # bool: led by an alumnus
    hosted: np.ndarray  # bool: hosts or has hosted fellows
    programme: np.ndarray  # per district: receives fellows
    teachers: np.ndarray  # per school, for district means

    def district_mean(self, values: np.ndarray) -> np.ndarray:
        district = self.layout.district
        weights = np.bincount(district, weights=self.teachers, minlength=len(self.layout.names))
        return np.bincount(district, weights=values * self.teachers, minlength=weights.size) / np.maximum(weights, 1)


@dataclass(frozen=True)
class Companion:
    """One side of the side by side."""

    placement: str  # "dispersed" or "clustered"
    this_run: bool  # the main run itself (same scenario and seed)
    yearly: pd.DataFrame  # year, tipping_metric
    tipped_year: int | None
    schools: Schools


def _layout(model: SchoolSystemModel) -> DistrictLayout:
    s = model.state.schools
    return district_layout(s.district, model.state.districts.names, order=s.disadvantage)


def _schools(model: SchoolSystemModel, layout: DistrictLayout) -> Schools:
    state = model.state
    m, n = state.members, state.schools.size
    fellows, leaders = np.zeros(n, bool), np.zeros(n, bool)
    fellows[m.school[(m.status == FELLOW) & (m.school >= 0)]] = True
    leaders[m.school[(m.status == ALUMNUS) & (m.role == SCHOOL_LEADER) & (m.school >= 0)]] = True
    return Schools(layout, school_practising_share(state), school_achievement(state), fellows, leaders,
                   state.schools.hosted.copy(), state.districts.programme.copy(), state.schools.teachers)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _push_threshold(model: SchoolSystemModel, old: float, new: float) -> None:
    # fellows and alumni are teachers too, and carry their own threshold to every post they take
    # (including the cohorts not yet recruited, drawn when the system was built): all move by the change
    for thresholds in (model.state.posts.adoption_threshold, model.state.members.adoption_threshold):
        np.clip(thresholds + (new - old), 0.0, 1.0, out=thresholds)
    model.scenario = model.scenario.with_overrides({KEYS["threshold_mean"]: new})


def _push_ministry(model: SchoolSystemModel, old: float, new: float) -> None:
    model.state.systems.ministry_alignment[:] = float(new)
    # the scenario's starting alignment is also the level it rests at: the push holds unless pressure raises it
    model.scenario = model.scenario.with_overrides({KEYS["ministry_start"]: new})


def _write_key(setting: Setting) -> Callable[[SchoolSystemModel, float, float], None]:
    def write(model: SchoolSystemModel, old: float, new: float) -> None:
        model.scenario = model.scenario.with_overrides({setting.key: new})
    return write


def _write_school_leaders(model: SchoolSystemModel, old: float, new: float) -> None:
    model.scenario = model.scenario.with_overrides(_school_leader_override(model.scenario, new))


# How a live setting acts between years, by Setting.apply. Assigning model.scenario recompiles the
# engine's parameter arrays, read from the next year. Teachers' thresholds and the ministry's alignment
# are also state (drawn or set when the system is built), so those two move the state as well.
LIVE_WRITERS: dict[str, Callable[[Setting], Callable[[SchoolSystemModel, float, float], None]]] = {
    "key": _write_key,
    "school_leaders": lambda s: _write_school_leaders,
    "threshold_push": lambda s: _push_threshold,
    "ministry_push": lambda s: _push_ministry,
}


class WorkshopRun:
    """One session's run: the main model and the side by side, stepped together a year at a time."""

    def __init__(self, base: Scenario, values: dict[str, float], seed: int, compare: bool = True) -> None:
        self.problem: str | None = None
        self.seed = int(seed)
        self.values = {**preset_values(base), **values}
        try:
            scenario = build_scenario(base, self.values)
        except Exception as exc:  # a room sees a message, not a traceback
            self.problem = f"Those settings could not run ({_short(exc)}); showing the preset as shipped."
            scenario, self.values = base, preset_values(base)
        self.main = SchoolSystemModel(scenario, rng=self.seed)
        self.layout = _layout(self.main)
        self.rule = tipping_rule(scenario)
        self.years = years_of(scenario)
        self.events: list[Event] = []
        self._pending: dict[str, float] = {}
        self.stopped = False
        self.side_by_side_note = ""
        self.companions: dict[str, SchoolSystemModel] = {}
        if compare:
            self._start_companions(scenario)

    def _start_companions(self, scenario: Scenario) -> None:
        placements = comparison_placements()
        if placements is None:
            self.side_by_side_note = "Side by side needs scenarios/dispersed.yaml and clustered.yaml."
            return
        if teachers(scenario) > MAX_SIDE_BY_SIDE_TEACHERS:
            self.side_by_side_note = (f"Side by side is offered for systems of up to {MAX_SIDE_BY_SIDE_TEACHERS:,} "
                                      f"teachers; this one has {teachers(scenario):,}.")
            return
        try:
            for name, overrides in placements.items():
                other = scenario.with_overrides(overrides)
                self.companions[name] = self.main if other == scenario else SchoolSystemModel(other, rng=self.seed)
        except Exception as exc:
            self.companions = {}
            self.side_by_side_note = f"No side by side for this system ({_short(exc)})."

    def models(self) -> list[SchoolSystemModel]:
        unique = [self.main]
        unique += [m for m in self.companions.values() if m is not self.main]
        return unique

    @property
    def year(self) -> int:
        return int(self.main.time)

    @property
    def finished(self) -> bool:
        return self.stopped or self.year >= self.years

    @property
    def tipped_year(self) -> int | None:
        return self.main.tipped_year

    @property
    def scenario(self) -> Scenario:
        return self.main.scenario

    def set_live(self, name: str, value: float) -> None:
        """A live setting's new value: it acts from the next year (several changes in a year: the last)."""
        self._pending[name] = value

    def pending_live(self) -> dict[str, float]:
        return {k: v for k, v in self._pending.items() if v != self.values[k]}

    def step(self) -> bool:
        """One year for every model; False when the run is over."""
        if self.finished:
            return False
        try:
            self._apply_pending()
            for model in self.models():
                model.step()
        except Exception as exc:  # stop the run and say why, rather than break the page
            self.problem = f"The model stopped in year {self.year}: {_short(exc)}"
            self.stopped = True
            return False
        return True

    def _apply_pending(self) -> None:
        for name, value in self._pending.items():
            old = self.values[name]
            if value == old:
                continue
            setting = BY_NAME[name]
            write = LIVE_WRITERS[setting.apply](setting)
            for model in self.models():
                write(model, old, value)
            self.values[name] = value
            self.events = [e for e in self.events if not (e.year == self.year and e.setting == name)]
            self.events.append(Event(self.year, name, value))
        self._pending.clear()

    # --- what the page draws ----------------------------------------------------------------

    def yearly(self) -> pd.DataFrame:
        return self.main.yearly()[["year", *SERIES]]

    def schools(self) -> Schools:
        return _schools(self.main, self.layout)

    def side_by_side(self) -> list[Companion]:
        shown = []
        for name, model in self.companions.items():
            layout = self.layout if model is self.main else _companion_layout(model)
            shown.append(Companion(name, model is self.main, model.yearly()[["year", "tipping_metric"]],
                                   model.tipped_year, _schools(model, layout)))
        return shown

    def report_frames(self) -> tuple[pd.DataFrame, Scenario]:
        """The main run as `critical-mass run` frames one replicate, and its scenario (live settings as
        they are now; the description lists every change and when it was made)."""
        yearly = self.main.yearly()
        yearly.insert(0, "seed", np.uint64(self.seed))
        yearly.insert(0, "replicate", 0)  # the columns `critical-mass run` writes for one replicate
        changes = "; ".join(e.text() for e in self.events) or "none"
        note = (f"Workshop app session, seed {self.seed}, up to year {self.year}. "
                f"Settings changed during the run: {changes}.")
        description = f"{read(self.scenario, 'description').strip()}\n{note}".strip()
        return yearly, self.scenario.with_overrides({KEYS["description"]: description})


def _companion_layout(model: SchoolSystemModel) -> DistrictLayout:
    cached = getattr(model, "_workshop_layout", None)
    if cached is None:
        cached = _layout(model)
        model._workshop_layout = cached
    return cached
