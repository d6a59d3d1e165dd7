"""Each system of a batch draws from its own random generator, in the order it would alone.

A mechanism asks for draws for items grouped by system (counts per system) and gets them back
concatenated in system order; system b's slice comes from system b's generator. So a system's
trajectory in a batch is identical, bit for bit, to running it alone with the same seed: a batch
is an implementation detail, never a change of results. A system asked for no draws is skipped,
which is safe because NumPy draws of size zero do not advance a generator (tests check this).

A batch makes one generator call per system and draw, so the Python around each call is most of the
cost of drawing for small systems: many small uniform draws come from the bit generator's raw 64-bit
words (turned into doubles as Generator.random does, once for the whole batch), and a newcomer's
traits are drawn in one loop over the systems rather than one loop per trait.
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
        # bound once: the calls per system and draw are most of a small system's cost of drawing
        self._random_raw = [b.random_raw for b in self._bits]
        self._standard_normal = [g.standard_normal for g in self.generators]
        self._random = [g.random for g in self.generators]
        self._integers = [g.integers for g in self.generators]

    @property
    def size(self) -> int:
        return len(self.generators)

    def counts(self, sys_of_items: np.ndarray) -> np.ndarray:
        """Items per system, for items grouped (sorted) by system."""
        return np.bincount(sys_of_items, minlength=self.size)

    def _each(self, counts: np.ndarray, draw) -> np.ndarray:
        """draw(b, generator, n) for every system b asked for n > 0 draws, concatenated in system order."""
        drawing = np.flatnonzero(counts)
        gens = self.generators
        parts = [draw(b, gens[b], n) for b, n in zip(drawing.tolist(), counts[drawing].tolist(), strict=True)]
        return np.concatenate(parts) if parts else np.empty(0)

    @staticmethod
    def _each_call(counts: np.ndarray, calls: list) -> np.ndarray:
        """calls[b](n) for every system b asked for n > 0 draws, concatenated in system order (_each without
        the function around each call)."""
        drawing = np.flatnonzero(counts)
        parts = [calls[b](n) for b, n in zip(drawing.tolist(), counts[drawing].tolist(), strict=True)]
        return np.concatenate(parts) if parts else np.empty(0)

    def random(self, counts: np.ndarray) -> np.ndarray:
        """Uniform [0, 1) draws, counts[b] from system b."""
        drawing = np.count_nonzero(counts)
        if self._raw and drawing * 64 > counts.sum():  # many small draws: Python around each call dominates
            words = self._each_call(counts, self._random_raw)
            return (words.astype(np.uint64, copy=False) >> np.uint64(11)) * _TO_UNIT
        return self._each_call(counts, self._random)

    def standard_normal(self, counts: np.ndarray) -> np.ndarray:
        return self._each_call(counts, self._standard_normal)

    def normal(self, mean: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Normal draws with a mean and SD per system."""
        return np.repeat(mean, counts) + np.repeat(sd, counts) * self.standard_normal(counts)

    def normal_around(self, means: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Normal draws around each item's own mean (items grouped by system), SD per system."""
        return means + np.repeat(sd, counts) * self.standard_normal(counts)

    def clipped_normal(self, mean: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.clip(self.normal(mean, sd, counts), 0.0, 1.0)

    def integers(self, high: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Whole numbers in [0, high[b]) for system b."""
        drawing = np.flatnonzero(counts)
        calls = self._integers
        parts = [calls[b](0, h, n) for b, h, n in zip(drawing.tolist(), high[drawing].tolist(),
                                                      counts[drawing].tolist(), strict=True)]
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)

    def integers_below(self, low: int, highs: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Whole numbers in [low, highs[i]) for each item (items grouped by system)."""
        drawing = np.flatnonzero(counts)
        sizes = counts[drawing].tolist()
        ends = np.cumsum(counts)[drawing].tolist()
        calls = self._integers
        parts = [calls[b](low, highs[end - n: end]) for b, n, end in zip(drawing.tolist(), sizes, ends, strict=True)]
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)

    def lognormal(self, mu: np.ndarray, sigma: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.exp(self.normal(mu, sigma, counts))

    def geometric(self, p: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return self._each(counts, lambda b, g, n: g.geometric(p[b], n)).astype(np.int64)

    def beta_traits(self, means: Sequence[np.ndarray], counts: np.ndarray) -> list[np.ndarray]:
        """Beta(m k, (1 - m) k) draws, k = sim.draws.CONCENTRATION, for several traits with one mean per system
        each; a mean of 0 or 1 is that value, undrawn. A system draws trait after trait, as separate calls
        would (Generator.beta with array parameters would be one call, but costs more than three)."""
        mean = np.column_stack([np.asarray(m, dtype=np.float64) for m in means])  # systems x traits
        out = [np.repeat(np.clip(mean[:, t], 0.0, 1.0), counts) for t in range(mean.shape[1])]
        drawn = (mean > 0.0) & (mean < 1.0) & (counts > 0)[:, None]
        a, b = (mean * CONCENTRATION).tolist(), ((1.0 - mean) * CONCENTRATION).tolist()
        ends, sizes, traits = np.cumsum(counts).tolist(), counts.tolist(), drawn.tolist()
        gens = self.generators
        for s in np.flatnonzero(drawn.any(axis=1)).tolist():
            g, n, end = gens[s], sizes[s], ends[s]
            for t, draws in enumerate(traits[s]):  # plain lists: NumPy calls here would cost more than the draws
                if draws:
                    out[t][end - n: end] = g.beta(a[s][t], b[s][t], n)
        return out

    def choose_each(self, pool: np.ndarray, bounds: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """For each system b with picks[b] > 0, that many distinct items of pool[bounds[b]:bounds[b + 1]]."""
        chosen = [self.generators[b].choice(pool[bounds[b]: bounds[b + 1]], k, replace=False)
                  for b in np.flatnonzero(picks).tolist() for k in (int(picks[b]),)]
        return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
