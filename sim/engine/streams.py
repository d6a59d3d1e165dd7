"""Each system of a batch draws from its own random generator, in the order it would alone.

A mechanism asks for draws for items grouped by system (counts per system) and gets them back
concatenated in system order; system b's slice comes from system b's generator. So a system's
trajectory in a batch is identical, bit for bit, to running it alone with the same seed: a batch
is an implementation detail, never a change of results. A system asked for no draws is skipped,
which is safe because NumPy draws of size zero do not advance a generator (tests check this).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.draws import CONCENTRATION


class Streams:
    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        self.generators = list(generators)

    @property
    def size(self) -> int:
        return len(self.generators)

    def counts(self, sys_of_items: np.ndarray) -> np.ndarray:
        """Items per system, for items grouped (sorted) by system."""
        return np.bincount(sys_of_items, minlength=self.size)

    def random(self, counts: np.ndarray) -> np.ndarray:
        """Uniform [0, 1) draws, counts[b] from system b."""
        out = np.empty(int(counts.sum()))
        start = 0
        for g, n in zip(self.generators, counts.tolist(), strict=True):
            if n:
                g.random(n, out=out[start: start + n])
                start += n
        return out

    def standard_normal(self, counts: np.ndarray) -> np.ndarray:
        out = np.empty(int(counts.sum()))
        start = 0
        for g, n in zip(self.generators, counts.tolist(), strict=True):
            if n:
                g.standard_normal(n, out=out[start: start + n])
                start += n
        return out

    def normal(self, mean: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Normal draws with a mean and SD per system."""
        return np.repeat(mean, counts) + np.repeat(sd, counts) * self.standard_normal(counts)

    def normal_around(self, means: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Normal draws around each item's own mean (items grouped by system), SD per system."""
        return means + np.repeat(sd, counts) * self.standard_normal(counts)

    def clipped_normal(self, mean: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.clip(self.normal(mean, sd, counts), 0.0, 1.0)

    def _each(self, counts: np.ndarray, draw) -> np.ndarray:
        parts = [draw(b, g, n) for b, (g, n) in enumerate(zip(self.generators, counts.tolist(), strict=True)) if n]
        return np.concatenate(parts) if parts else np.empty(0)

    def integers(self, high: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Whole numbers in [0, high[b]) for system b."""
        return self._each(counts, lambda b, g, n: g.integers(0, high[b], n)).astype(np.int64)

    def integers_below(self, low: int, highs: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Whole numbers in [low, highs[i]) for each item (items grouped by system)."""
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return self._each(counts, lambda b, g, n: g.integers(low, highs[starts[b]: starts[b] + n])).astype(np.int64)

    def lognormal(self, mu: np.ndarray, sigma: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.exp(self.normal(mu, sigma, counts))

    def geometric(self, p: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return self._each(counts, lambda b, g, n: g.geometric(p[b], n)).astype(np.int64)

    def beta_with_mean(self, mean: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Beta(m k, (1 - m) k) with k = sim.draws.CONCENTRATION; a mean of 0 or 1 is that value, undrawn."""

        def draw(b: int, g: np.random.Generator, n: int) -> np.ndarray:
            m = float(mean[b])
            if m <= 0.0 or m >= 1.0:
                return np.full(n, float(np.clip(m, 0.0, 1.0)))
            return g.beta(m * CONCENTRATION, (1.0 - m) * CONCENTRATION, n)

        return self._each(counts, draw).astype(np.float64)

    def choose_each(self, pool: np.ndarray, bounds: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """For each system b with picks[b] > 0, that many distinct items of pool[bounds[b]:bounds[b + 1]]."""
        chosen = [self.generators[b].choice(pool[bounds[b]: bounds[b + 1]], k, replace=False)
                  for b in np.flatnonzero(picks).tolist() for k in (int(picks[b]),)]
        return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
