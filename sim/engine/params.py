"""A batch's scenarios as arrays: every value a mechanism reads, one entry per system.

`params.careers.turnover` is an array of length B (systems of the batch); a mechanism indexes it
with the `sys` column of the rows it updates (`params.careers.turnover[posts.sys]`), so systems in
one batch may differ in any value. Lists that vary in length (career stages) become padded arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.scenario import DIMENSIONS, ROLES, Scenario

# far beyond any career: pads the start year of stages a system does not have
NEVER = 10**9


class Section:
    """A scenario section with one value per system: attribute access returns arrays (or sub-sections)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only reached for names that are not there
        raise AttributeError(f"no scenario value {name!r} in this section")


def _leaves(model: Any) -> dict[str, Any]:
    return {k: getattr(model, k) for k in type(model).model_fields}


def _compile(objects: list[Any]) -> Section:
    first = objects[0]
    out: dict[str, Any] = {}
    for key, value in _leaves(first).items():
        values = [getattr(o, key) for o in objects]
        if isinstance(value, BaseModel):
            out[key] = _compile(values)
        elif isinstance(value, bool | int | float) and all(isinstance(v, bool | int | float) for v in values):
            out[key] = np.array(values)
        else:  # lists, names, literals and mixed types stay per system, as Python objects
            out[key] = values
    return Section(out)


def compile_params(scenarios: Sequence[Scenario]) -> Section:
    """One Section tree for the batch; identical scenario objects are compiled once."""
    unique: dict[int, int] = {}
    order = [unique.setdefault(id(s), len(unique)) for s in scenarios]
    distinct = list({id(s): s for s in scenarios}.values())
    params = _compile(distinct)
    if len(distinct) != len(scenarios):
        params = _take(params, np.array(order))
    _derive(params, list(scenarios))
    return params


def _take(section: Section, index: np.ndarray) -> Section:
    out: dict[str, Any] = {}
    for key, value in section.__dict__.items():
        if isinstance(value, Section):
            out[key] = _take(value, index)
        elif isinstance(value, np.ndarray):
            out[key] = value[index]
        else:
            out[key] = [value[i] for i in index]
    return Section(out)


def _derive(p: Section, scenarios: list[Scenario]) -> None:
    """Arrays the mechanisms need that are not single values of the file."""
    stages = [s.alumni.stages for s in scenarios]
    depth = max(len(x) for x in stages)
    starts = np.full((len(scenarios), depth), NEVER, dtype=np.int64)
    shares = np.zeros((len(scenarios), depth, len(ROLES)))
    for b, listed in enumerate(stages):
        for k, stage in enumerate(listed):
            starts[b, k] = stage.after_years
            shares[b, k] = stage.roles.as_array()
    p.alumni.stage_starts = starts
    p.alumni.role_cumulative = np.cumsum(shares, axis=2)
    p.leadership_index.weight_array = np.array([[s.leadership_index.weights[d] for d in DIMENSIONS]
                                                for s in scenarios])
