"""Random draws for building a system from its own generator (steps draw through sim.engine.streams)."""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import TeachersSection

# Beta(m*k, (1-m)*k) has mean m; k=10 gives an SD near 0.14 at m=0.5, a spread of people
# around a scenario's mean without piling everyone at 0 or 1.
CONCENTRATION = 10.0


def beta_with_mean(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    if mean <= 0.0 or mean >= 1.0:
        return np.full(n, float(np.clip(mean, 0.0, 1.0)), dtype=np.float64)
    return rng.beta(mean * CONCENTRATION, (1.0 - mean) * CONCENTRATION, n).astype(np.float64)


def clipped_normal(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, n), 0.0, 1.0)


def teacher_traits(rng: np.random.Generator, cfg: TeachersSection, n: int) -> dict[str, np.ndarray]:
    """Traits of n teachers from outside the programme at the start (newcomers: sim.mechanisms.positions)."""
    return {
        "threshold": clipped_normal(rng, cfg.adoption_threshold_mean, cfg.adoption_threshold_sd, n),
        "strength": beta_with_mean(rng, cfg.strength_mean, n),
        "orientation": beta_with_mean(rng, cfg.orientation_mean, n),
        "rootedness": beta_with_mean(rng, cfg.rootedness_mean, n),
    }
