"""Each system of a batch draws from its own random generator, in the order it would alone.

A mechanism asks for draws for items grouped by system (counts per system) and gets them back
concatenated in system order; system b's slice comes from system b's generator. So a system's
trajectory in a batch is identical, bit for bit, to running it alone with the same seed: a batch
is an implementation detail, never a change of results. A system asked for no draws is skipped,
which is safe because NumPy draws of size zero do not advance a generator (tests check this).

A batch makes one generator call per system and draw, so the Python around each call is most of the
cost of drawing for small systems: uniforms come from the bit generator's raw 64-bit words (what
Generator.random does with them, done once for the whole batch), and the three traits of a newcomer
are drawn in one call per system (Generator.beta with array parameters draws element by element,
exactly as three calls would).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.random import PCG64, PCG64DXSM

from sim.draws import CONCENTRATION

# Generator.random turns one 64-bit word into a double as (word >> 11) * 2**-53 for these bit generators;
# others (MT19937 makes a double from two 32-bit words) are drawn through Generator.random itself
_RAW_DOUBLES = (PCG64, PCG64DXSM)
_TO_UNIT = 1.0 / 9007199254740992.0


class Streams:
    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        self.generators = list(generators)
        self._raw = all(type(g.bit_generator) in _RAW_DOUBLES for g in self.generators)
        self._bits = [g.bit_generator for g in self.generators]

    @property
    def size(self) -> int:
        return len(self.generators)

    def counts(self, sys_of_items: np.ndarray) -> np.ndarray:
        """Items per system, for items grouped (sorted) by system."""
        return np.bincount(sys_of_items, minlength=self.size)

    def _active(self, counts: np.ndarray) -> tuple[list[int], list[int]]:
        drawing = np.flatnonzero(counts)
        return drawing.tolist(), counts[drawing].tolist()

    def random(self, counts: np.ndarray) -> np.ndarray:
        """Uniform [0, 1) draws, counts[b] from system b."""
        systems, sizes = self._active(counts)
        if not systems:
            return np.empty(0)
        if self._raw and len(sizes) * 64 > sum(sizes):  # many small draws: Python around each call dominates
            bits = self._bits
            words = np.concatenate([bits[b].random_raw(n) for b, n in zip(systems, sizes, strict=True)])
            return (words >> np.uint64(11)) * _TO_UNIT
        gens = self.generators
        return np.concatenate([gens[b].random(n) for b, n in zip(systems, sizes, strict=True)])

    def standard_normal(self, counts: np.ndarray) -> np.ndarray:
        systems, sizes = self._active(counts)
        if not systems:
            return np.empty(0)
        gens = self.generators
        return np.concatenate([gens[b].standard_normal(n) for b, n in zip(systems, sizes, strict=True)])

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

    def beta_traits(self, means: Sequence[np.ndarray], counts: np.ndarray) -> list[np.ndarray]:
        """beta_with_mean for several traits (one mean per system each), system by system and trait by
        trait: the same numbers as calling beta_with_mean trait by trait, with one Python loop instead of one
        per trait (Generator.beta with array parameters would be one call, but costs more than three)."""
        mean = np.column_stack([np.asarray(m, dtype=np.float64) for m in means])  # systems x traits
        out = [np.repeat(np.clip(mean[:, t], 0.0, 1.0), counts) for t in range(mean.shape[1])]
        drawn = (mean > 0.0) & (mean < 1.0) & (counts > 0)[:, None]
        a, b = (mean * CONCENTRATION).tolist(), ((1.0 - mean) * CONCENTRATION).tolist()
        ends = np.cumsum(counts).tolist()
        gens = self.generators
        for s in np.flatnonzero(drawn.any(axis=1)).tolist():
            g, n, end = gens[s], int(counts[s]), ends[s]
            for t in np.flatnonzero(drawn[s]).tolist():
                out[t][end - n: end] = g.beta(a[s][t], b[s][t], n)
        return out

    def choose_each(self, pool: np.ndarray, bounds: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """For each system b with picks[b] > 0, that many distinct items of pool[bounds[b]:bounds[b + 1]]."""
        chosen = [self.generators[b].choice(pool[bounds[b]: bounds[b + 1]], k, replace=False)
                  for b in np.flatnonzero(picks).tolist() for k in (int(picks[b]),)]
        return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
