"""Calibration files: which scenario values are uncertain (uniform priors) and what the model must reproduce.

    name: london_roles
    scenario: ../scenarios/london.yaml   # relative to this file
    set: {}                              # fixed overrides applied first
    parameters:                          # uniform priors over [low, high]
      - key: alumni.exit_rate
        between: [0.0, 0.1]
    targets:
      - outcome: alumni_school_leader    # see sim.calibration.outcomes for the syntax
        year: 20
        value: 100
        sd: 25                           # the target's uncertainty: a normal error of this SD
        source: "literature.md: about 100 head teachers"
    replicates: 1

Read with the scenario machinery (sim.scenario.yaml_source), so every mistake is reported with its
file, line, key path and value, and nothing runs until every candidate the priors allow is a valid
scenario (the corners of the prior box are checked; role shares move linearly, so the corners bound
every case).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.calibration.outcomes import Outcome, OutcomeError, district_names_used, parse_outcome
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.problems import Problem
from sim.scenario.schema import _Section
from sim.scenario.yaml_source import KeyPath, read_yaml, validate, value_at

MAX_CORNER_CHECKS = 256


class Prior(_Section):
    """A scenario value the calibration learns: a uniform prior over `between`."""

    key: str = Field(min_length=1, description="scenario key path, e.g. alumni.exit_rate")
    between: tuple[float, float]
    integer: bool = Field(False, description="round to a whole number before it enters the scenario")
    balance: str | None = Field(
        None, description="key path of a share that takes the opposite change, so shares that must sum to 1 still do"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        low, high = self.between
        if not high > low:
            raise ValueError(f"between needs [low, high] with low < high, got {list(self.between)}")
        if self.balance == self.key:
            raise ValueError("balance must name another key than the one calibrated")
        return self


class Target(_Section):
    """A pattern the model must reproduce: an outcome at a year, its value and the uncertainty of that value."""

    outcome: str = Field(min_length=1)
    year: int | None = Field(None, ge=0, le=500, description="default: the last year")
    value: float
    sd: float = Field(gt=0, description="the value's uncertainty; a normal error of this SD")
    source: str = Field("", description="where the value comes from")

    @field_validator("outcome")
    @classmethod
    def _readable(cls, text: str) -> str:
        try:
            parse_outcome(text)
        except OutcomeError as exc:
            raise ValueError(str(exc)) from None
        return text

    @property
    def parsed(self) -> Outcome:
        return parse_outcome(self.outcome)


class Calibration(_Section):
    """A validated calibration file."""

    name: str = "calibration"
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to the calibration file")
    set: dict[str, Any] = Field(default_factory=dict, description="fixed overrides applied to every run")
    parameters: list[Prior] = Field(min_length=1, max_length=20)
    targets: list[Target] = Field(min_length=1, max_length=50)
    replicates: int = Field(1, ge=1, le=1000, description="model runs per candidate; the target is their mean")
    years: int | None = Field(None, ge=1, le=500, description="default: the scenario's")
    seed: int = Field(0, ge=0)
    populations: int = Field(6, ge=1, le=100, description="SMC populations; the last is the posterior")
    population_size: int = Field(200, ge=10, le=100_000, description="accepted particles per population")
    min_acceptance_rate: float = Field(
        0.002, ge=0, lt=1, description="stop (keeping the last finished population) below this acceptance rate"
    )

    @model_validator(mode="after")
    def _distinct(self) -> Calibration:
        keys = [p.key for p in self.parameters]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a parameter key is listed twice: {keys}")
        targets = [(t.outcome.replace(" ", ""), t.year) for t in self.targets]
        if len(set(targets)) != len(targets):
            raise ValueError("a target (outcome and year) is listed twice")
        return self


@dataclass
class LoadedCalibration:
    """A calibration with where it came from and its resolved base scenario."""

    calibration: Calibration
    path: Path
    text: str
    lines: dict[KeyPath, int]
    base: dict[str, Any]  # the base scenario with `set` applied, as plain data
    years: int

    @property
    def scenario_path(self) -> Path:
        return (self.path.parent / self.calibration.scenario).resolve()

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.calibration.parameters]

    @property
    def measures(self) -> list[tuple[str, int]]:
        return [(t.outcome, self.year_of(t)) for t in self.calibration.targets]

    def year_of(self, target: Target) -> int:
        return self.years if target.year is None else target.year

    def label(self, index: int) -> str:
        """The name a target's statistic has in the history and in tables: outcome@year."""
        target = self.calibration.targets[index]
        return f"{target.outcome.replace(' ', '')}@{self.year_of(target)}"

    def line_of(self, *path: str | int) -> int | None:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def overrides(self, values: dict[str, float]) -> dict[str, Any]:
        """A candidate's scenario overrides: its values (rounded where integer) and the balancing shares."""
        out: dict[str, Any] = {}
        for prior in self.calibration.parameters:
            x = float(values[prior.key])
            out[prior.key] = round(x) if prior.integer else x
        for prior in self.calibration.parameters:
            if prior.balance:
                start = out.get(prior.balance, value_at(self.base, prior.balance))
                out[prior.balance] = round(start - (out[prior.key] - value_at(self.base, prior.key)), 12)
        return out

    def scenario(self, values: dict[str, float]) -> Scenario:
        return Scenario.from_dict(self.base, self.overrides(values))


def load_calibration(path: str | Path) -> LoadedCalibration:
    """Read and validate a calibration file and its base scenario; raise ScenarioError listing every problem."""
    path = Path(path)
    data, lines = read_yaml(path)
    data.setdefault("name", path.stem)
    calibration: Calibration = validate(Calibration, data, str(path), lines)  # type: ignore[assignment]
    text = path.read_text(encoding="utf-8")
    loaded = LoadedCalibration(calibration, path, text, lines, {}, 0)
    if not loaded.scenario_path.is_file():
        raise ScenarioError([Problem(str(path), loaded.line_of("scenario"), "scenario",
                                     f"base scenario file not found at {loaded.scenario_path}", calibration.scenario)])
    scenario = load_scenario(loaded.scenario_path)
    if calibration.set:
        scenario = _relocated(loaded, lambda: scenario.with_overrides(dict(calibration.set)), "set")
    loaded.base = scenario.model_dump(mode="json")
    loaded.years = calibration.years or scenario.years
    _check_parameters(loaded)
    _check_targets(loaded, scenario)
    _check_corners(loaded)
    return loaded


def _relocated(loaded: LoadedCalibration, build: Any, *where: str | int) -> Scenario:
    """Build a scenario; restate its problems at the calibration file's line that caused them."""
    try:
        return build()
    except ScenarioError as exc:
        raise ScenarioError([
            Problem(str(loaded.path), loaded.line_of(*where), p.path, p.message, p.value, p.suggestion)
            for p in exc.problems
        ]) from None


def _check_parameters(loaded: LoadedCalibration) -> None:
    problems = []
    for i, prior in enumerate(loaded.calibration.parameters):
        for key, field in ((prior.key, "key"), (prior.balance, "balance")):
            if key is None:
                continue
            value = value_at(loaded.base, key)
            if value is None:
                problems.append(Problem(str(loaded.path), loaded.line_of("parameters", i, field), key,
                                        "no such scenario key (list items are numbered from 0, e.g. "
                                        "alumni.stages.1.roles.school_leader)"))
            elif isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Problem(str(loaded.path), loaded.line_of("parameters", i, field), key,
                                        "must be a number to calibrate", value))
    if problems:
        raise ScenarioError(problems)


def _check_targets(loaded: LoadedCalibration, scenario: Scenario) -> None:
    problems = []
    names = scenario.district_names()
    for i, target in enumerate(loaded.calibration.targets):
        year = loaded.year_of(target)
        if year > loaded.years:
            problems.append(Problem(str(loaded.path), loaded.line_of("targets", i, "year"), f"targets.{i}.year",
                                    f"the runs last {loaded.years} years", year))
        for name in district_names_used(target.parsed):
            if name not in names:
                problems.append(Problem(str(loaded.path), loaded.line_of("targets", i, "outcome"),
                                        f"targets.{i}.outcome", f"no district {name!r} in the scenario (known: "
                                        f"{', '.join(names[:10])}{'...' if len(names) > 10 else ''})"))
    if problems:
        raise ScenarioError(problems)


def prior_corners(priors: list[Any]) -> list[tuple[float, ...]]:
    """The corners of the prior box to check: all of them for up to 8 parameters. With more (2^k grows
    past what can be built), every corner of each group of parameters that share a balance (the shares
    a constraint sums), with the others at their low ends, each parameter at either end, and
    MAX_CORNER_CHECKS corners drawn at random (seeded: the same file, the same check)."""
    ends = [tuple(p.between) for p in priors]
    if 2 ** len(priors) <= MAX_CORNER_CHECKS:
        return list(itertools.product(*ends))
    low = [e[0] for e in ends]
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(priors):
        groups.setdefault(p.balance or f"#{i}", []).append(i)
    chosen: dict[tuple[float, ...], None] = {}
    for members in groups.values():
        for values in itertools.islice(itertools.product(*(ends[i] for i in members)), MAX_CORNER_CHECKS):
            corner = list(low)
            for i, v in zip(members, values, strict=True):
                corner[i] = v
            chosen[tuple(corner)] = None
    rng = np.random.default_rng(0)
    for pick in rng.integers(0, 2, size=(MAX_CORNER_CHECKS, len(priors))):
        chosen[tuple(e[b] for e, b in zip(ends, pick, strict=True))] = None
    return list(chosen)


def _check_corners(loaded: LoadedCalibration) -> None:
    """Every corner of the prior box must be a valid scenario (and so, by linearity, every point inside);
    which corners are checked: prior_corners."""
    priors = loaded.calibration.parameters
    for corner in prior_corners(list(priors)):
        values = dict(zip((p.key for p in priors), corner, strict=True))
        try:
            loaded.scenario(values)
        except ScenarioError as exc:
            where = ", ".join(f"{k}={v:g}" for k, v in values.items())
            problems = []
            for p in exc.problems:
                index = next((i for i, q in enumerate(priors) if p.path in (q.key, q.balance)
                              or p.path.startswith(q.key.rsplit(".", 1)[0])), None)
                line = loaded.line_of("parameters", index, "between") if index is not None else None
                problems.append(Problem(str(loaded.path), line, p.path,
                                        f"{p.message} (with {where}: narrow `between`, or add `balance`)", p.value))
            raise ScenarioError(problems) from None
