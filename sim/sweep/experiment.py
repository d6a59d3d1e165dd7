"""Experiment files: what a sweep varies, how often, and what it keeps.

Read and validated with the same machinery as scenario files (sim.scenario.yaml_source), so a
mistake is reported with its file, line, key path, value and a suggestion, never a traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.engine.observe import SYSTEM_COLUMNS
from sim.scenario import DIMENSIONS, ROLES
from sim.scenario.problems import Problem, ScenarioError, closest
from sim.scenario.schema import _Section
from sim.scenario.yaml_source import KeyPath, read_yaml, validate

# every column of the model's yearly frame that can be kept as an outcome (tests check this
# against a real run, so a new model column cannot silently go missing here); once each, as the
# system columns already hold most of the others
OUTCOME_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((
    *(c for c in SYSTEM_COLUMNS if c != "tipped"),
    *(f"dim_{d}" for d in DIMENSIONS),
    *(f"alumni_{r}" for r in ROLES),
    "unplaced_fellows",
    "tipping_metric",
)))
DEFAULT_OUTCOMES = (
    "practising_share", "mean_achievement", "achievement_gap",
    "leadership_index", "district_support", "ministry_alignment",
)
# grid: every combination; latin_hypercube / sobol_sequence: `samples` points spread over the bounds
# (a space-filling sample for tipping boundaries, PRIM/CART and metamodels); table: the points of a
# CSV or Parquet file (a Saltelli design from SALib, an EMA Workbench sampler's output, a user's own list)
Design = Literal["grid", "latin_hypercube", "sobol_sequence", "table"]
SAMPLED = ("latin_hypercube", "sobol_sequence")
Scalar = bool | int | float | str


class Steps(_Section):
    """start, start + step, ... up to and including stop."""

    start: float
    stop: float
    step: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Steps:
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop:g}) is below start ({self.start:g})")
        if (self.stop - self.start) / self.step > 10_000:
            raise ValueError("more than 10,000 steps; use a larger step or a sampled design")
        return self

    def count(self) -> int:
        """How many levels, without listing them."""
        return math.floor((self.stop - self.start) / self.step + 1e-9) + 1

    def levels(self) -> list[float | int]:
        count = self.count()
        # rounding keeps 0.1 + 0.2 from becoming 0.30000000000000004 in tables and file names
        values = [round(self.start + k * self.step, 12) for k in range(count)]
        if all(float(v).is_integer() for v in (self.start, self.step)):
            return [int(v) for v in values]
        return values


class Parameter(_Section):
    """One scenario value to vary: listed values, a range with a step, or bounds to sample between."""

    key: str = Field(min_length=1, description="scenario key path, e.g. placement.clustering")
    values: list[Scalar] | None = Field(None, min_length=1)
    range: Steps | None = None
    between: tuple[float, float] | None = Field(None, description="bounds for latin_hypercube or sobol_sequence "
                                                                  "designs")
    integer: bool = Field(False, description="round sampled values to whole numbers")
    balance: str | None = Field(
        None,
        description="key path of a share that gives or takes the change, so shares that must sum to 1 still do",
    )

    @model_validator(mode="after")
    def _one_way(self) -> Parameter:
        given = [name for name in ("values", "range", "between") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of values, range or between (got {', '.join(given) or 'none'})")
        if self.between is not None and self.between[1] <= self.between[0]:
            raise ValueError(f"between needs [low, high] with low < high, got {list(self.between)}")
        if self.balance is not None and self.balance == self.key:
            raise ValueError("balance must name another key than the one varied")
        return self

    def level_count(self) -> int | None:
        """How many discrete values, without listing them; None for a continuous interval."""
        if self.values is not None:
            return len(self.values)
        return self.range.count() if self.range is not None else None

    def levels(self) -> list[Scalar] | None:
        """The discrete values, or None for a continuous interval."""
        if self.values is not None:
            return list(self.values)
        if self.range is not None:
            return list(self.range.levels())
        return None


class Experiment(_Section):
    """A validated experiment file."""

    name: str = "experiment"
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to the experiment file")
    set: dict[str, Any] = Field(default_factory=dict, description="fixed overrides applied to every run")
    parameters: list[Parameter] = Field(default_factory=list, description="what to vary (with design: table, the "
                                        "table's columns instead)")
    design: Design = "grid"
    points: str | None = Field(None, description="design: table: a CSV or Parquet file of points, one column per "
                               "key path, relative to the experiment file")
    samples: int | None = Field(None, ge=1, le=1_000_000, description="points drawn by a sampled design")
    replicates: int = Field(1, ge=1, le=100_000)
    years: int | None = Field(None, ge=1, le=500, description="default: the scenario's")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, outcomes: list[str]) -> list[str]:
        unknown = [o for o in outcomes if o not in OUTCOME_COLUMNS]
        if unknown:
            hints = [f"{o!r}" + (f" (did you mean {near!r}?)" if (near := closest(o, OUTCOME_COLUMNS)) else "")
                     for o in unknown]
            raise ValueError(f"unknown outcome(s) {', '.join(hints)}; known: {', '.join(sorted(OUTCOME_COLUMNS))}")
        if len(set(outcomes)) != len(outcomes):
            raise ValueError("an outcome is listed twice")
        return outcomes

    @field_validator("design", mode="before")
    @classmethod
    def _renamed_design(cls, design: Any) -> Any:
        if design == "sobol":
            raise ValueError(
                "design 'sobol' is now called 'sobol_sequence': it is a quasi-random Sobol' sequence, not a Saltelli "
                "design, and Sobol' indices cannot be computed from it. For Sobol' indices run `critical-mass tipping "
                "sensitivity EXPERIMENT --method sobol`, or give SALib's Saltelli samples as design: table")
        return design

    @model_validator(mode="after")
    def _design_fits(self) -> Experiment:
        keys = [p.key for p in self.parameters]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a parameter key is listed twice: {keys}")
        if self.design == "table":
            if self.points is None:
                raise ValueError("design table needs points: a CSV or Parquet file with one column per key path")
            if self.parameters or self.samples is not None:
                raise ValueError("with design table the table's columns are the parameters and its rows the points: "
                                 "leave out parameters and samples")
            return self
        if self.points is not None:
            raise ValueError("points is for design: table (a file of points); this design makes its own points")
        if not self.parameters:
            raise ValueError("parameters needs at least one entry (or use design: table with a file of points)")
        if self.design == "grid":
            if self.samples is not None:
                raise ValueError("samples is for latin_hypercube or sobol_sequence designs; a grid runs every "
                                 "combination")
            continuous = [p.key for p in self.parameters if p.between is not None]
            if continuous:
                raise ValueError(
                    f"{continuous} give between bounds, which only a sampled design can use; "
                    "use values or range for a grid, or design: latin_hypercube / sobol_sequence"
                )
        else:
            if self.samples is None:
                raise ValueError(f"design {self.design} needs samples: the number of points to draw")
            if self.design == "sobol_sequence" and self.samples & (self.samples - 1):
                lower = 1 << (self.samples.bit_length() - 1)
                raise ValueError(
                    f"a Sobol design keeps its balance only with a power of two samples; "
                    f"use {lower} or {lower * 2}, not {self.samples}"
                )
        return self


class LoadedExperiment:
    """An experiment with where it came from: its file, text and the line of every key."""

    def __init__(self, experiment: Experiment, path: Path, text: str, lines: dict[KeyPath, int]) -> None:
        self.experiment = experiment
        self.path = path
        self.text = text
        self.lines = lines

    @property
    def scenario_path(self) -> Path:
        return (self.path.parent / self.experiment.scenario).resolve()

    @property
    def points_path(self) -> Path | None:
        """design: table: the file of points, relative to the experiment file."""
        points = self.experiment.points
        return None if points is None else (self.path.parent / points).resolve()

    def line_of(self, *path: str | int) -> int | None:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None


def is_experiment(path: str | Path) -> bool:
    """Whether a file reads as an experiment (its top level names a base scenario and what to vary:
    parameters, or a design such as a table of points).

    A file that cannot be read is not an experiment; loading it as a scenario then says why."""
    try:
        data, _ = read_yaml(path)  # parsed once: loading it next reuses this parse
    except ScenarioError:
        return False
    return "scenario" in data and any(k in data for k in ("parameters", "design", "points"))


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file; raise ScenarioError listing every problem."""
    path = Path(path)
    data, lines = read_yaml(path)
    data.setdefault("name", path.stem)
    experiment = validate(Experiment, data, str(path), lines)
    loaded = LoadedExperiment(experiment, path, path.read_text(encoding="utf-8"), lines)  # type: ignore[arg-type]
    try:
        found = loaded.scenario_path.is_file()
        why = f"base scenario file not found at {loaded.scenario_path}"
    except (OSError, ValueError) as exc:  # a name too long for the filesystem, a NUL character
        found, why = False, f"not a usable file name ({getattr(exc, 'strerror', None) or exc})"
    if not found:
        raise ScenarioError([Problem(
            str(path), loaded.line_of("scenario"), "scenario", why, experiment.scenario,  # type: ignore[attr-defined]
        )])
    return loaded
