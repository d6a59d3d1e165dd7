"""Fitting a transition: a logistic curve to yes/no outcomes, a sigmoid to continuous ones.

P(tipped | x) = 1 / (1 + exp(-b (x - t))): t is the tipping point (P = 0.5), 1/|b| the scale, and the
transition's width, from P = 0.1 to P = 0.9, is 2 ln 9 / |b| (about 4.4 scales).

Intervals for t come from the profile likelihood: for each candidate t the best slope is found,
and t is kept while twice the log-likelihood lost is within the chi-square(1) quantile. Unlike a
Wald interval (t_hat +/- z se) it needs no normal approximation of a ratio of coefficients, stays
honest when the data are perfectly separated (a step sharper than the points can resolve), and is
the interval whose coverage the tests check on problems with a known tipping point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from scipy.special import expit, log_expit

WIDTH_PER_SCALE = 2 * np.log(9.0)  # x(P=0.9) - x(P=0.1) for a unit scale
# A slope beyond this many transitions per data range counts as a step: it keeps Newton finite
# when the data are separated, and is far sharper than any design can resolve.
MAX_SLOPE_PER_RANGE = 2000.0


@dataclass(frozen=True)
class Binomial:
    """Yes/no outcomes pooled by x: k successes of n trials at each distinct x."""

    x: np.ndarray
    n: np.ndarray
    k: np.ndarray

    @classmethod
    def from_outcomes(cls, x: np.ndarray, y: np.ndarray) -> Binomial:
        x, y = np.asarray(x, float), np.asarray(y, bool)
        values, inverse = np.unique(x, return_inverse=True)
        n = np.bincount(inverse, minlength=values.size).astype(float)
        k = np.bincount(inverse, weights=y.astype(float), minlength=values.size)
        return cls(values, n, k)

    @property
    def runs(self) -> int:
        return int(self.n.sum())

    @property
    def mixed(self) -> bool:
        """Both outcomes seen: without that no tipping point can be located."""
        return 0 < self.k.sum() < self.n.sum()


@dataclass(frozen=True)
class LogisticFit:
    midpoint: float
    ci: tuple[float, float]  # profile-likelihood interval at `confidence`
    slope: float  # b; its sign says whether P rises (+) or falls (-) with x
    confidence: float
    separated: bool  # the best slope is a step: the data say where, not how sharp
    ci_open: bool  # an end of the interval is the edge of the domain searched, not a data-driven bound
    domain: tuple[float, float]

    @property
    def width(self) -> float:
        return self.ci[1] - self.ci[0]

    @property
    def transition_width(self) -> float:
        """x from P = 0.1 to P = 0.9 (0 for a step)."""
        return 0.0 if self.separated else WIDTH_PER_SCALE / abs(self.slope)

    def probability(self, x: np.ndarray) -> np.ndarray:
        return expit(self.slope * (np.asarray(x, float) - self.midpoint))


def no_crossing(data: Binomial, name: str) -> str | None:
    """Why there is no tipping point inside the values tried, or None when P(tipped) crosses 1/2 there.

    When the share tipped is on one side of 1/2 at every value, the best logistic midpoint is pinned to
    the edge of the values and its interval hugs it: that is "not within these values", not a tipping
    point found at the edge."""
    share = data.k / data.n
    # which end a crossing lies beyond is a guess when the share hardly moves: the words do not guess
    values = f"{data.x.min():g} to {data.x.max():g}"
    if (share >= 0.5).all():
        return f"P(tipped) at or above 1/2 at every value of {name} ({values}): no tipping point inside them"
    if (share < 0.5).all():
        return f"P(tipped) below 1/2 at every value of {name} ({values}): no tipping point inside them"
    return None


def separated(data: Binomial) -> bool:
    """Whether a step fits perfectly (complete or quasi-complete separation): then the maximum-
    likelihood slope is infinite and the data say where the step is, not how sharp it is."""
    yes, no = data.x[data.k > 0], data.x[data.k < data.n]
    if yes.size == 0 or no.size == 0:
        return True
    return bool(no.max() <= yes.min() or yes.max() <= no.min())


def _loglik(x: np.ndarray, n: np.ndarray, k: np.ndarray, t: np.ndarray, b: np.ndarray) -> np.ndarray:
    eta = b[:, None] * (x[None, :] - t[:, None])
    return (k * log_expit(eta) + (n - k) * log_expit(-eta)).sum(axis=1)


def profile(
    data: Binomial, t: np.ndarray, max_slope: float, start: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """For each t, the slope that maximises the likelihood and that maximum (vectorised Newton).

    With t fixed the log-likelihood is concave in b, so Newton with step halving converges; the
    slope is capped at +/- max_slope so that separated data give a finite, near-step answer.
    """
    x, n, k = data.x, data.n, data.k
    t = np.asarray(t, float)
    b = np.broadcast_to(np.asarray(start, float), t.shape).copy()
    ll = _loglik(x, n, k, t, b)
    active = np.arange(t.size)
    for _ in range(60):
        ta, ba, lla = t[active], b[active], ll[active]
        z = x[None, :] - ta[:, None]
        p = expit(ba[:, None] * z)
        grad = (z * (k - n * p)).sum(axis=1)
        info = (z * z * n * p * (1 - p)).sum(axis=1)
        step = np.where(info > 1e-300, grad / np.maximum(info, 1e-300), np.sign(grad) * max_slope)
        new_b = np.clip(ba + step, -max_slope, max_slope)
        new_ll = _loglik(x, n, k, ta, new_b)
        for _ in range(30):  # halve the step where it went downhill
            worse = new_ll < lla - 1e-12
            if not worse.any():
                break
            new_b[worse] = (ba[worse] + new_b[worse]) / 2
            new_ll[worse] = _loglik(x, n, k, ta[worse], new_b[worse])
        moved = np.abs(new_b - ba)
        b[active], ll[active] = new_b, np.maximum(new_ll, lla)
        active = active[moved > 1e-8 * np.maximum(1.0, np.abs(new_b))]
        if active.size == 0:
            break
    return ll, b


def fit_logistic(
    data: Binomial, domain: tuple[float, float] | None = None, confidence: float = 0.95
) -> LogisticFit:
    """Maximum-likelihood tipping point and its profile-likelihood interval within domain.

    domain bounds where the tipping point may lie (default: the range of x); an interval end that
    reaches it is reported as open. Needs both outcomes among the data.
    """
    if not data.mixed:
        raise ValueError("every outcome is the same: no tipping point can be located from these data")
    low, high = domain if domain is not None else (float(data.x.min()), float(data.x.max()))
    if not high > low:
        raise ValueError(f"the domain must have low < high, got ({low}, {high})")
    span = high - low
    max_slope = MAX_SLOPE_PER_RANGE / span
    cutoff = stats.chi2.ppf(confidence, 1) / 2

    # a coarse grid over the domain, plus the data points when the data are separated (a step's
    # best t sits between two of them)
    points = data.x[(data.x >= low) & (data.x <= high)] if separated(data) else np.empty(0)
    grid = np.unique(np.concatenate([np.linspace(low, high, 61), points]))
    # Newton for each t starts from the overall maximum-likelihood slope, close to the answer near
    # the maximum, which saves most of the iterations a start from zero takes on thousands of runs
    _, overall = _newton_many(data.x, data.n, data.k[None, :])
    start = float(np.clip(overall[0], -max_slope, max_slope)) if np.isfinite(overall[0]) else 0.0
    ll, slopes = profile(data, grid, max_slope, start)
    t_hat = float(grid[int(np.argmax(ll))])
    # a dense local grid around the maximum, geometric in distance from it, so that both the
    # maximum and a narrow interval are resolved; the coarse slopes start Newton close by
    offsets = span * np.geomspace(1e-7, 1.0, 50)
    local = np.unique(np.clip(np.concatenate([t_hat - offsets, t_hat + offsets, [t_hat]]), low, high))
    local_ll, local_slopes = profile(data, local, max_slope, np.interp(local, grid, slopes))
    grid, where = np.unique(np.concatenate([grid, local]), return_index=True)
    ll, slopes = np.concatenate([ll, local_ll])[where], np.concatenate([slopes, local_slopes])[where]
    best = int(np.argmax(ll))
    t_hat, ll_hat, slope = float(grid[best]), float(ll[best]), float(slopes[best])
    inside = ll_hat - ll <= cutoff
    # the hull of every t not rejected: conservative if the profile has more than one mode
    first, last = int(np.argmax(inside)), int(len(inside) - 1 - np.argmax(inside[::-1]))

    def deficit(t: float) -> float:
        start = float(np.interp(t, grid, slopes))
        return ll_hat - float(profile(data, np.array([t]), max_slope, start)[0][0]) - cutoff

    lo = low if first == 0 else optimize.brentq(deficit, grid[first - 1], grid[first], xtol=span * 1e-9)
    hi = high if last == len(grid) - 1 else optimize.brentq(deficit, grid[last], grid[last + 1], xtol=span * 1e-9)
    return LogisticFit(
        midpoint=t_hat, ci=(float(lo), float(hi)), slope=slope, confidence=confidence,
        separated=separated(data), ci_open=(first == 0 or last == len(grid) - 1),
        domain=(low, high),
    )


# --- bootstrap, for sweep results: design points with replicates ---------------------------------


@dataclass(frozen=True)
class Bootstrapped:
    estimate: float
    ci: tuple[float, float]
    draws: np.ndarray  # the estimate in each resample (NaN where it could not be made)


def bootstrap_logistic(
    data: Binomial, domain: tuple[float, float], confidence: float = 0.95, resamples: int = 1000,
    rng: np.random.Generator | int | None = 0,
) -> tuple[Bootstrapped, Bootstrapped]:
    """Threshold and transition width with percentile intervals from a bootstrap stratified by x.

    Each resample redraws every design point's runs with replacement (k* ~ Binomial(n, k/n)) and
    refits by maximum likelihood. When the data are separated every resample is too, and the
    interval collapses: callers should then report the bracket between design points instead.
    """
    rng = np.random.default_rng(rng)
    fit = fit_logistic(data, domain, confidence)
    k = rng.binomial(data.n.astype(np.int64), data.k / data.n, size=(resamples, data.x.size)).astype(float)
    midpoints, slopes = _newton_many(data.x, data.n, k)
    widths = np.where(np.isfinite(slopes), WIDTH_PER_SCALE / np.abs(slopes), 0.0)
    mixed = (k.sum(axis=1) > 0) & (k.sum(axis=1) < data.n.sum())
    midpoints, widths = np.where(mixed, midpoints, np.nan), np.where(mixed, widths, np.nan)
    alpha = (1 - confidence) / 2
    return (
        Bootstrapped(fit.midpoint, _percentiles(midpoints, alpha), midpoints),
        Bootstrapped(fit.transition_width, _percentiles(widths, alpha), widths),
    )


def _newton_many(x: np.ndarray, n: np.ndarray, k: np.ndarray, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood (tipping point, slope) for many outcome vectors k at the same x, at once.

    A separated resample has no finite slope: it gets the midpoint of its gap and an infinite slope
    (a transition width of 0)."""
    center, span = float(np.average(x, weights=n)), float(x.max() - x.min()) or 1.0
    u = (x - center) / span
    a, b = np.zeros(k.shape[0]), np.zeros(k.shape[0])
    active = np.arange(k.shape[0])
    for _ in range(iterations):
        ka = k[active]
        p = expit(a[active, None] + b[active, None] * u)
        w = n * p * (1 - p)
        r = ka - n * p
        g0, g1 = r.sum(axis=1), (r * u).sum(axis=1)
        h00, h01, h11 = w.sum(axis=1), (w * u).sum(axis=1), (w * u * u).sum(axis=1)
        det = h00 * h11 - h01 * h01
        safe = det > 1e-12
        da = np.clip(np.where(safe, (h11 * g0 - h01 * g1) / np.where(safe, det, 1.0), 0.0), -5, 5)
        db = np.clip(np.where(safe, (h00 * g1 - h01 * g0) / np.where(safe, det, 1.0), 0.0), -50, 50)
        a[active] += da
        b[active] += db
        # a row whose step is down to rounding error has converged (Newton's error squares each step):
        # it stops, and the rest go on; a separated row's slope keeps growing until the iterations end
        moving = (np.abs(da) > 1e-13 * np.maximum(1.0, np.abs(a[active]))) | (
            np.abs(db) > 1e-13 * np.maximum(1.0, np.abs(b[active])))
        active = active[moving]
        if active.size == 0:
            break
    midpoints = center - a / np.where(b != 0, b, np.nan) * span
    slopes = b / span
    for row in range(k.shape[0]):
        sample = Binomial(x, n, k[row])
        if sample.mixed and separated(sample):
            # the step lies between the last value where none tipped and the first where all did
            # (a mixed value between them is where it is)
            rising = x[k[row] < n].max() <= x[k[row] > 0].min()
            none, every = x[k[row] == 0], x[k[row] == n]
            mixed = x[(k[row] > 0) & (k[row] < n)]
            if mixed.size == 1 or none.size == 0 or every.size == 0:
                # quasi-separation at one mixed value (with nothing all-none or all-tipped on one side)
                midpoints[row] = float(mixed[0])
            else:
                lo = none.max() if rising else every.max()
                hi = every.min() if rising else none.min()
                midpoints[row] = (lo + hi) / 2
            slopes[row] = np.inf
    return midpoints, slopes


def _percentiles(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    ok = draws[np.isfinite(draws)]
    if ok.size < 10:
        return (np.nan, np.nan)
    return float(np.quantile(ok, alpha)), float(np.quantile(ok, 1 - alpha))


# --- sigmoid, for continuous outcomes --------------------------------------------------------------


@dataclass(frozen=True)
class SigmoidFit:
    """y = lower + (upper - lower) / (1 + exp(-(x - tipping point) / scale)), scale > 0."""

    midpoint: float
    scale: float
    lower: float
    upper: float
    ci: tuple[float, float]  # bootstrap percentile interval of the tipping point
    width_ci: tuple[float, float]
    inside: bool  # the midpoint lies within the x range and the rise is steeper than the range

    @property
    def transition_width(self) -> float:
        return WIDTH_PER_SCALE * self.scale

    def value(self, x: np.ndarray) -> np.ndarray:
        return self.lower + (self.upper - self.lower) * expit((np.asarray(x, float) - self.midpoint) / self.scale)


def _sigmoid_params(x: np.ndarray, y: np.ndarray, start: np.ndarray | None = None,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """Least squares of a sigmoid through (x, y); with weights, y are means of that many runs at each x
    (the same fit as through the runs themselves: their spread around each mean is a constant)."""
    span = float(x.max() - x.min())
    root = np.ones_like(y) if weights is None else np.sqrt(weights)
    if start is None:
        levels = np.unique(x)
        if weights is None:
            means = np.array([y[x == v].mean() for v in levels])
        else:
            means = np.array([np.average(y[x == v], weights=weights[x == v]) for v in levels])
        lower, upper = float(means[0]), float(means[-1])
        middle = (lower + upper) / 2
        crossing = np.flatnonzero(np.diff(np.sign(means - middle)) != 0)
        t0 = float((levels[crossing[0]] + levels[crossing[0] + 1]) / 2) if crossing.size else float(np.median(x))
        start = np.array([t0, np.log(span / 8), lower, upper])

    def residuals(theta: np.ndarray) -> np.ndarray:
        t, log_s, lower, upper = theta
        return (lower + (upper - lower) * expit((x - t) / np.exp(log_s)) - y) * root

    # the tipping point may sit a range beyond the data (then the fit says "no transition here")
    bounds = (
        [x.min() - span, np.log(span * 1e-4), -np.inf, -np.inf],
        [x.max() + span, np.log(span * 10), np.inf, np.inf],
    )
    return optimize.least_squares(residuals, np.clip(start, *bounds), bounds=bounds).x


# above this many runs at one value, the sigmoid is fitted through point means (fast at a million runs);
# below it, through the runs themselves, as every shipped sweep is
LARGE_SWEEP_POINT = 2000


def fit_sigmoid(
    x: np.ndarray, y: np.ndarray, confidence: float = 0.95, resamples: int = 100,
    rng: np.random.Generator | int | None = 0,
) -> SigmoidFit:
    """Least-squares sigmoid through run-level outcomes; bootstrap over runs within each x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if np.unique(x).size < 4:
        raise ValueError("a sigmoid has four parameters: it needs at least four distinct x values")
    levels, group, counts = np.unique(x, return_inverse=True, return_counts=True)
    if counts.max() > LARGE_SWEEP_POINT:
        # many runs a point: fit the point means, weighted by their runs (the same least squares)
        theta = _sigmoid_params(levels, np.bincount(group, weights=y) / counts, weights=counts.astype(float))
    else:
        theta = _sigmoid_params(x, y)
    rng = np.random.default_rng(rng)
    groups = [np.flatnonzero(group == j) for j in range(levels.size)]
    draws = np.full((resamples, 2), np.nan)
    for r in range(resamples):
        if counts.max() > LARGE_SWEEP_POINT:
            means = np.array([y[rng.choice(g, g.size)].mean() for g in groups])
            t, log_s, _, _ = _sigmoid_params(levels, means, theta, weights=counts.astype(float))
        else:
            rows = np.concatenate([rng.choice(g, g.size) for g in groups])
            t, log_s, _, _ = _sigmoid_params(x[rows], y[rows], theta)
        draws[r] = t, WIDTH_PER_SCALE * np.exp(log_s)
    alpha = (1 - confidence) / 2
    t, log_s, lower, upper = (float(v) for v in theta)
    span = float(x.max() - x.min())
    inside = bool(x.min() <= t <= x.max() and WIDTH_PER_SCALE * np.exp(log_s) < span)
    return SigmoidFit(
        midpoint=t, scale=float(np.exp(log_s)), lower=lower, upper=upper,
        ci=_percentiles(draws[:, 0], alpha), width_ci=_percentiles(draws[:, 1], alpha), inside=inside,
    )


# --- Firth's bias-reduced fit, for planning --------------------------------------------------------


def firth_logistic(data: Binomial, iterations: int = 100) -> tuple[float, float]:
    """Threshold and slope by Firth's penalised likelihood (Firth 1993; Heinze & Schemper 2002).

    Maximum likelihood overstates the slope in small samples (and makes it infinite when the data
    happen to be separated); Firth's penalty, half the log-determinant of the information, removes
    that first-order bias and always gives a finite slope. Used to plan a batch: an overstated
    slope would plan a batch too narrow and too small.
    """
    center = float(np.average(data.x, weights=data.n))
    span = float(data.x.max() - data.x.min()) or 1.0
    u = (data.x - center) / span  # scaled, so the Newton steps are well conditioned
    design = np.column_stack([np.ones_like(u), u])
    beta = np.zeros(2)

    def penalised(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        eta = design @ b
        p = expit(eta)
        w = data.n * p * (1 - p)
        info = design.T @ (design * w[:, None])
        sign, logdet = np.linalg.slogdet(info)
        ll = float((data.k * log_expit(eta) + (data.n - data.k) * log_expit(-eta)).sum())
        return ll + 0.5 * logdet if sign > 0 else -np.inf, p, w, info

    value, p, w, info = penalised(beta)
    for _ in range(iterations):
        inverse = np.linalg.inv(info)
        hat = w * np.einsum("ij,jk,ik->i", design, inverse, design)
        score = design.T @ (data.k - data.n * p + hat * (0.5 - p))
        step = inverse @ score
        for _ in range(30):
            new_value, new_p, new_w, new_info = penalised(beta + step)
            if new_value >= value - 1e-12:
                break
            step = step / 2
        beta = beta + step
        value, p, w, info = new_value, new_p, new_w, new_info
        if np.max(np.abs(step)) < 1e-10:
            break
    slope = beta[1] / span
    midpoint = center - beta[0] * span / beta[1] if beta[1] != 0 else center
    return float(midpoint), float(slope)
