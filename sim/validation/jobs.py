"""The model runs a validation needs, as jobs for the project's parallel layer (sim.parallel).

A job names a measuring function and its arguments; `execute` runs it in whichever process the
backend chooses and returns plain data, which the pattern modules turn into measures and rows in the
main process. Every job draws from its own seeds, so results do not depend on the number of workers.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    key: str  # unique within a validation run, e.g. "run:london"
    function: str  # "module:function" within sim.validation
    args: tuple[Any, ...] = ()
    cost: float = 1.0  # rough relative run time: the longest jobs start first


@dataclass(frozen=True)
class Result:
    value: Any
    seconds: float


def execute(job: Job) -> Result:
    module, name = job.function.split(":")
    function = getattr(importlib.import_module(f"sim.validation.{module}"), name)
    start = time.perf_counter()
    value = function(*job.args)
    return Result(value, time.perf_counter() - start)


def scenario_cost(name: str, years: int | None = None, replicates: int = 1) -> float:
    """Teacher-years: what a run of a shipped scenario costs, roughly."""
    from sim.validation import systems

    s = systems.load(name)
    return s.system.districts * s.system.schools_per_district * s.system.teachers_per_school * (
        years or s.years) * replicates
