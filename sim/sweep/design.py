"""Design points: every combination (grid), a Latin hypercube or Sobol' sequence over the parameter space,
or the rows of a table (sim.sweep.design_table)."""

from __future__ import annotations

import inspect
import itertools
import math
from pathlib import Path

import numpy as np

from sim.sweep.experiment import Experiment, Parameter, Scalar


def design_points(experiment: Experiment, points_file: Path | None = None) -> list[dict[str, Scalar]]:
    """The varied values of each design point, keyed by scenario key path, in a fixed order."""
    if experiment.design == "table":
        from sim.sweep.design_table import read_points

        if points_file is None:
            raise ValueError("design table: give the points file (LoadedExperiment.points_path)")
        return read_points(points_file)
    params = experiment.parameters
    if experiment.design == "grid":
        # the first parameter varies slowest, as in the nested loops a reader would write
        levels = [p.levels() or [] for p in params]
        return [dict(zip((p.key for p in params), combo, strict=True)) for combo in itertools.product(*levels)]
    unit = _unit_sample(experiment.design, len(params), experiment.samples or 1, experiment.seed)
    return [
        {p.key: _scale(p, float(u)) for p, u in zip(params, row, strict=True)}
        for row in unit
    ]


def _unit_sample(design: str, dimensions: int, samples: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc  # imported here: it takes a second, and a grid does not need it

    engine_type = qmc.LatinHypercube if design == "latin_hypercube" else qmc.Sobol
    # scipy renamed `seed` to `rng` in 1.15; accept either so older installs still work
    seeding = "rng" if "rng" in inspect.signature(engine_type).parameters else "seed"
    engine = engine_type(dimensions, **{seeding: seed})
    if design == "sobol_sequence":
        return engine.random_base2(int(math.log2(samples)))
    return engine.random(samples)


def _scale(parameter: Parameter, u: float) -> Scalar:
    """Map a point of [0, 1) to the parameter: an interval, or equal slices of its listed levels."""
    levels = parameter.levels()
    if levels is not None:
        return levels[min(int(u * len(levels)), len(levels) - 1)]
    low, high = parameter.between  # type: ignore[misc]
    if parameter.integer:
        # equal slices for each whole number from low to high, both included
        lo, hi = math.ceil(low), math.floor(high)
        return min(lo + int(u * (hi - lo + 1)), hi)
    return round(low + u * (high - low), 12)
