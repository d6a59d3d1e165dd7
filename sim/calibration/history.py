"""Read a calibration's pyabc history into tidy tables: particles of every population, and diagnostics.

    particles = read_particles(directory, loaded)      # t, parameters, balancing shares, outcomes, weight
    diagnostics = read_diagnostics(directory, loaded)  # per population: epsilon, acceptance, ESS, ...
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.analysis import weighted_quantile
from sim.calibration.schema import LoadedCalibration
from sim.calibration.smc import HISTORY


def _history(directory: Path) -> object:
    import pyabc

    return pyabc.History("sqlite:///" + str((directory / HISTORY).resolve()), _id=1)


def read_particles(directory: Path, loaded: LoadedCalibration) -> pd.DataFrame:
    """One row per accepted particle of every finished population: t, each overridden key path (the
    calibrated values as they entered the scenario, then any balancing share), each target's simulated
    value (its label outcome@year), and the weight (summing to 1 within a population)."""
    history = _history(directory)
    labels = [loaded.label(i) for i in range(len(loaded.calibration.targets))]
    rows = []
    for t in range(int(history.max_t) + 1):  # type: ignore[attr-defined]
        population = history.get_population(t=t)  # type: ignore[attr-defined]
        weights = np.array([p.weight for p in population.particles], dtype=np.float64)
        weights = weights / weights.sum()
        for particle, weight in zip(population.particles, weights, strict=True):
            overrides = loaded.overrides({k: float(particle.parameter[k]) for k in loaded.keys})
            stats = {label: float(np.asarray(particle.sum_stat[label]).ravel()[0]) for label in labels}
            rows.append({"t": t, **overrides, **stats, "weight": weight})
    columns = ["t", *loaded.overrides({p.key: p.between[0] for p in loaded.calibration.parameters}), *labels, "weight"]
    return pd.DataFrame(rows, columns=columns)


def posterior(particles: pd.DataFrame, loaded: LoadedCalibration) -> pd.DataFrame:
    """The last population: one column per key path the calibration sets (calibrated values, then any
    balancing share), plus `weight` summing to 1. What `--worlds --posterior` reads."""
    last = particles[particles["t"] == particles["t"].max()]
    keys = list(loaded.overrides({p.key: p.between[0] for p in loaded.calibration.parameters}))
    frame = last[[*keys, "weight"]].reset_index(drop=True)
    frame["weight"] = frame["weight"] / frame["weight"].sum()
    return frame


def read_diagnostics(directory: Path, loaded: LoadedCalibration, particles: pd.DataFrame) -> pd.DataFrame:
    """Per population: epsilon (the temperature; 1 is the exact posterior under the targets' sd),
    evaluations, acceptance rate, effective sample size, median standardised distance, wall seconds."""
    table = _history(directory).get_all_populations()  # type: ignore[attr-defined]
    table = table[table["t"] >= 0].reset_index(drop=True)
    targets = loaded.calibration.targets
    labels = [loaded.label(i) for i in range(len(targets))]
    rows = []
    for row in table.itertuples():
        mine = particles[particles["t"] == row.t]
        w = mine["weight"].to_numpy()
        z = (mine[labels].to_numpy() - np.array([t.value for t in targets])) / np.array([t.sd for t in targets])
        distance = np.sqrt((z**2).sum(axis=1))
        rows.append({
            "population": int(row.t), "epsilon": float(row.epsilon), "evaluations": int(row.samples),
            "accepted": len(mine), "acceptance_rate": len(mine) / max(int(row.samples), 1),
            "ess": float(1.0 / np.sum(w**2)) if len(w) else np.nan,
            "median_distance": weighted_quantile(distance, w, 0.5) if len(w) else np.nan,
            "wall_seconds": float(row.wall_time) if row.wall_time is not None else np.nan,
        })
    return pd.DataFrame(rows)

