"""Find the tipping point of a noisy yes/no experiment, spending runs where the answer is uncertain.

    result = find_tipping_point(f, low, high, tolerance=0.01, confidence=0.95, rng=0)
    result.tipping_point, result.ci, result.runs

f(x, rng) -> bool is any experiment whose chance of "yes" rises (or falls) with x, such as "did
the model tip with this many fellows?". The search has two phases:

1. **Locate.** A few points spread evenly over [low, high] show where yes and no lie; then each
   round fits a logistic curve to every run so far (sim.tipping.fit) and draws the next batch
   uniformly over the tipping point's current interval, widened to at least one logistic scale either
   side: near the tipping point a run is most informative (P close to 1/2), and the spread keeps the
   slope estimable. This goes on until the interval is a few tolerances wide.
2. **Measure.** A fresh batch, planned in advance from what was located (spread over the
   tipping point +/- 1.5 scales, sized from the Fisher information to give an interval narrower than
   the tolerance), is run, and the reported interval is the profile-likelihood interval of that
   batch alone. If it is still too wide, another fresh batch is planned and measured.

Why not report the interval from all runs? Because the runs of phase 1 were placed, and the
search would be stopped, according to the data: an interval that happens to be narrow (an
overestimated slope) is then more often both the one that stops the search and one that misses
the truth. On problems with a known tipping point that combination covered the truth in only about
80% of searches meant to cover it in 95%. A batch whose design was fixed before it ran has the
coverage of a fixed design: 93-96% for a nominal 95% over 1,200 known-tipping-point problems
(benchmarks/tipping_search.py; docs/tipping.md gives the figures), and tests/test_tipping_search.py
checks it on 200 on every run. The runs of phase 1 are the price.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.special import expit

from sim.tipping.fit import Binomial, LogisticFit, firth_logistic, fit_logistic

Trial = Callable[[float, np.random.Generator], bool]
# runs a batch: (f, xs, rngs) -> outcomes in order; lets a caller run the batch on several processes
BatchMap = Callable[[Trial, Sequence[float], Sequence[np.random.Generator]], Sequence[bool]]


class NoTransition(ValueError):
    """Every run gave the same answer over [low, high]: the tipping point is outside it."""


@dataclass(frozen=True)
class TippingPointResult:
    tipping_point: float
    ci: tuple[float, float]
    runs: int
    converged: bool  # the interval got narrower than the tolerance within max_runs
    confidence: float
    tolerance: float
    fit: LogisticFit
    x: np.ndarray = field(repr=False)  # every run's x, in the order run
    y: np.ndarray = field(repr=False)  # and its outcome
    rounds: int = 0
    measured_runs: int = 0  # the runs the interval comes from (the last measuring batch)

    @property
    def width(self) -> float:
        return self.ci[1] - self.ci[0]

    @property
    def transition_width(self) -> float:
        return self.fit.transition_width


def _serial(f: Trial, xs: Sequence[float], rngs: Sequence[np.random.Generator]) -> list[bool]:
    return [bool(f(x, r)) for x, r in zip(xs, rngs, strict=True)]


def _check(low: float, high: float, tolerance: float, confidence: float) -> None:
    if not high > low:
        raise ValueError(f"need low < high, got low={low}, high={high}")
    if not tolerance > 0:
        raise ValueError(f"tolerance must be positive, got {tolerance}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


class _Runs:
    """The runs so far; each run gets its own generator spawned from the caller's, in order, so the
    same rng gives the same search however the batches are executed."""

    def __init__(self, f: Trial, rng: np.random.Generator, map_batch: BatchMap | None) -> None:
        self.f, self.rng, self.map = f, rng, map_batch or _serial
        self.x: list[float] = []
        self.y: list[bool] = []

    def run(self, xs: Sequence[float] | np.ndarray) -> None:
        xs = [float(x) for x in xs]
        outcomes = self.map(self.f, xs, self.rng.spawn(len(xs)))
        if len(outcomes) != len(xs):
            raise RuntimeError(f"the batch function returned {len(outcomes)} outcomes for {len(xs)} runs")
        self.x.extend(xs)
        self.y.extend(bool(o) for o in outcomes)

    def data(self) -> Binomial:
        return Binomial.from_outcomes(np.array(self.x), np.array(self.y))

    def __len__(self) -> int:
        return len(self.x)


def find_tipping_point(
    f: Trial,
    low: float,
    high: float,
    tolerance: float = 0.01,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
    *,
    max_runs: int = 5000,
    initial: int = 12,
    batch: int = 8,
    growth: float = 0.2,
    map_batch: BatchMap | None = None,
    on_round: Callable[[TippingPointResult], None] | None = None,
) -> TippingPointResult:
    """The x in [low, high] where P(f(x) is True) = 1/2, to within `tolerance`, with an interval.

    initial: runs spread evenly over [low, high] first. batch, growth: each locating round runs
    max(batch, growth * runs so far) more, so refits stay few as the runs grow. map_batch: runs a
    batch, e.g. on worker processes (default: one after another here). on_round: called with the
    state after every round. Raises NoTransition when the initial runs all agree (the tipping point
    lies outside [low, high]). If max_runs runs out first, the result has converged=False.
    """
    _check(low, high, tolerance, confidence)
    if initial < 4 or max_runs < 4 * initial:
        raise ValueError("need initial >= 4 and max_runs >= 4 * initial")
    rng = np.random.default_rng(rng)
    runs = _Runs(f, rng, map_batch)
    runs.run(np.linspace(low, high, initial))
    search = _Search(runs, rng, low, high, tolerance, confidence, max_runs, on_round)
    while True:
        located, slope = search.locate(min_runs=min(3 * initial, max_runs // 2), batch=batch, growth=growth)
        result = search.measure(located, slope)
        if result is not None:
            return result


class _Search:
    def __init__(
        self, runs: _Runs, rng: np.random.Generator, low: float, high: float, tolerance: float,
        confidence: float, max_runs: int, on_round: Callable[[TippingPointResult], None] | None,
    ) -> None:
        self.runs, self.rng, self.low, self.high = runs, rng, low, high
        self.tolerance, self.confidence, self.max_runs, self.on_round = tolerance, confidence, max_runs, on_round
        self.rounds = 0
        self.last: LogisticFit | None = None  # the latest measuring batch's fit, and its runs
        self.last_runs = 0

    def fit(self, data: Binomial, confidence: float | None = None) -> LogisticFit:
        return fit_logistic(data, (self.low, self.high), confidence or self.confidence)

    def report(self, fit: LogisticFit, measured_runs: int, measured: bool = True) -> TippingPointResult:
        result = _result(fit, self.runs, measured_runs, self.confidence, self.tolerance, self.rounds, measured)
        if self.on_round:
            self.on_round(result)
        return result

    def locate(self, min_runs: int, batch: int, growth: float) -> tuple[LogisticFit, float]:
        """Adaptive rounds on every run so far until the tipping point is located to a few tolerances.

        Returns the located interval (at PLAN_CONFIDENCE) and Firth's bias-reduced slope to plan with."""
        runs = self.runs
        budget = max(self.max_runs // 2, len(runs))
        while True:
            data = runs.data()
            if not data.mixed:
                answer = "yes" if data.k.sum() else "no"
                raise NoTransition(f"all {data.runs} runs between {self.low:g} and {self.high:g} gave {answer}: "
                                   "the tipping point lies outside this range")
            located = self.fit(data)
            self.report(located, len(runs), measured=False)
            # separation in a few runs is often luck: a step is only taken for one once it is as
            # narrow as the tolerance itself
            wide = self.tolerance if located.separated else LOCATE_TOLERANCES * self.tolerance
            if (located.width <= wide and len(runs) >= min_runs) or len(runs) >= budget:
                # the measuring batch spans a wider interval than the one used to stop, so that a
                # located interval that missed still leaves the tipping point inside the batch
                return self.fit(data, PLAN_CONFIDENCE), firth_logistic(data)[1]
            size = min(max(batch, math.ceil(growth * len(runs))), budget - len(runs))
            runs.run(_next_points(located, self.rng, size, self.low, self.high))
            self.rounds += 1

    def measure(self, located: LogisticFit, slope: float) -> TippingPointResult | None:
        """One fresh batch over a design fixed from `located`; its own interval is the answer if it
        is narrow enough. None otherwise: the batch then joins the locating runs and a new one is
        planned (a batch is never topped up and judged again: that would pick intervals that are
        narrow by chance, which are the ones that miss)."""
        runs = self.runs
        size, center, half = _plan_measurement(located, slope, self.tolerance, self.confidence)
        size = min(size, self.max_runs - len(runs))
        if size < MIN_MEASURE:
            return self.report(self.last or located, self.last_runs, measured=self.last is not None)
        start = len(runs)
        runs.run(_stratified(center, half, size, self.rng, self.low, self.high))
        self.rounds += 1
        batch = Binomial.from_outcomes(np.array(runs.x[start:]), np.array(runs.y[start:]))
        if not batch.mixed:
            return None  # aimed wrong: every run of the batch agreed
        measured = self.fit(batch)
        self.last, self.last_runs = measured, size
        result = self.report(measured, size)
        # an estimate in the batch's outer tenths means it was aimed wrong, whatever its width
        aimed = abs(measured.midpoint - center) <= EDGE * half
        if (result.converged and aimed) or len(runs) >= self.max_runs:
            return result
        return None


# phase 1 stops at this many tolerances: the planned batch then does the rest (width ~ 1/sqrt(runs),
# so locating to 3 tolerances costs about a ninth of the runs the measuring batch needs)
LOCATE_TOLERANCES = 3.0
# the measuring batch is sized for this fraction of the tolerance: the slope it is planned from is
# itself an estimate, and a batch that misses is discarded (for the interval) and planned again
PLAN_MARGIN = 0.8
MIN_MEASURE = 16
SPREAD_SCALES = 1.5  # measure over the tipping point +/- 1.5 scales at least: P from about 0.18 to 0.82
PLAN_CONFIDENCE = 0.99  # the located interval the measuring batch spans
EXTRA_SCALES = 0.5  # and this many scales beyond it
EDGE = 0.8  # a batch whose estimate falls in its outer tenths on either side was aimed wrong


def _next_points(fit: LogisticFit, rng: np.random.Generator, size: int, low: float, high: float) -> np.ndarray:
    t = fit.midpoint
    half = max(t - fit.ci[0], fit.ci[1] - t)
    if not fit.separated:
        half = max(half, 1.0 / abs(fit.slope))  # at least one scale: P from about 0.27 to 0.73
    return np.clip(t + half * rng.uniform(-1.0, 1.0, size), low, high)


def _half_spread(fit: LogisticFit, slope: float) -> float:
    """Half the measuring batch's span: the located interval, and half a scale beyond it, and at
    least SPREAD_SCALES either side, so that the tipping point sits well inside the batch even when
    the located estimate is off (an off-centre batch pins the slope, and so the tipping point, badly)."""
    half = max(fit.midpoint - fit.ci[0], fit.ci[1] - fit.midpoint)
    if fit.separated:
        return half
    span = fit.domain[1] - fit.domain[0]
    # a flat curve (no slope to speak of) is measured over the whole domain
    scale = min(1.0 / abs(slope), span) if slope else span
    return max(half + EXTRA_SCALES * scale, SPREAD_SCALES * scale)


def _stratified(
    center: float, half: float, size: int, rng: np.random.Generator, low: float, high: float
) -> np.ndarray:
    """size points spread evenly (one per equal slice, jittered) over center +/- half."""
    u = (np.arange(size) + rng.uniform(0.0, 1.0, size)) / size
    return np.clip(center - half + 2 * half * rng.permutation(u), low, high)


def _plan_measurement(
    fit: LogisticFit, slope: float, tolerance: float, confidence: float
) -> tuple[int, float, float]:
    """Runs, centre and half-span of the measuring batch."""
    half = _half_spread(fit, slope)
    if fit.separated:
        # a step: the interval is about the gap between the points either side of it
        return max(math.ceil(6 * half / (PLAN_MARGIN * tolerance)), MIN_MEASURE), fit.midpoint, half
    slope = max(abs(slope), 1.0 / (fit.domain[1] - fit.domain[0]))  # a flat curve: one scale per domain
    return _size(half, slope, tolerance, confidence), fit.midpoint, half


def _size(half: float, slope: float, tolerance: float, confidence: float) -> int:
    """Runs spread evenly over the tipping point +/- half for an interval of PLAN_MARGIN * tolerance,
    from the Fisher information of the logistic curve with this slope."""
    b = abs(slope)
    u = np.linspace(-half, half, 101)
    w = expit(b * u) * (1 - expit(b * u))
    info = np.array([[b * b * w.sum(), -b * (w * u).sum()], [-b * (w * u).sum(), (w * u * u).sum()]])
    variance_each = np.linalg.inv(info)[0, 0] * u.size  # the tipping point's variance for one run
    z = stats.norm.ppf((1 + confidence) / 2)
    return max(math.ceil(variance_each * (2 * z / (PLAN_MARGIN * tolerance)) ** 2), MIN_MEASURE)


def _result(
    fit: LogisticFit, runs: _Runs, measured_runs: int, confidence: float, tolerance: float, rounds: int,
    measured: bool = True,
) -> TippingPointResult:
    return TippingPointResult(
        tipping_point=fit.midpoint, ci=fit.ci, runs=len(runs),
        converged=measured and fit.width <= tolerance and not fit.ci_open,
        confidence=confidence, tolerance=tolerance, fit=fit, x=np.array(runs.x), y=np.array(runs.y), rounds=rounds,
        measured_runs=measured_runs,
    )


def grid_tipping_point(
    f: Trial,
    low: float,
    high: float,
    tolerance: float = 0.01,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
    *,
    points: int = 21,
    max_runs: int = 50_000,
    map_batch: BatchMap | None = None,
) -> TippingPointResult:
    """The baseline the search is measured against: the same fit and interval on a uniform grid.

    Adds one replicate at every grid point per round until the interval is narrower than
    `tolerance` (or max_runs): what a sweep over evenly spaced values would have needed.
    """
    _check(low, high, tolerance, confidence)
    rng = np.random.default_rng(rng)
    runs = _Runs(f, rng, map_batch)
    grid = np.linspace(low, high, points)
    rounds = 0
    while True:
        runs.run(grid)
        rounds += 1
        data = runs.data()
        if not data.mixed:
            if len(runs) + points > max_runs:
                raise NoTransition(f"all {data.runs} grid runs gave the same answer")
            continue
        fit = fit_logistic(data, (low, high), confidence)
        result = _result(fit, runs, len(runs), confidence, tolerance, rounds)
        if result.converged or len(runs) + points > max_runs:
            return result
