"""The dose-response knee: where an outcome bends against a swept parameter, with honest intervals.

    fit = fit_knee(runs, "programme.cohort_size", "achievement_gap")   # runs: one row per run
    knee_sentence(fit, Uncertainty.SEED, outcome="the gap", parameter="fellows a year", unit=" SD",
                  per="additional fellow")
    # 'Above about 23 fellows a year (95% interval 20–25; seed noise only), the gap changes by −0.006 SD
    #  per additional fellow (…), against −0.0024 SD below it (…): it falls 0.0036 SD faster per additional fellow.'

The model: a continuous line with one bend, y = a + b x + c (x - k)+, fitted by least squares over
every run (so design points weigh by their replicates). For a fixed bend k the fit is ordinary least
squares; k itself is found by profiling the residual sum of squares over a fine grid between the
second-lowest and second-highest swept values (so each segment rests on at least two design values),
then refined between grid points.

The interval on the bend is the profile-likelihood interval: every bend whose residual sum of squares
is within an F(1, n - 4) margin of the best, {k : RSS(k) <= RSS_min (1 + F / (n - 4))} (Hudson 1966;
Seber & Wild 2003, ch. 9), its hull if the set is broken. The slopes' intervals come from a bootstrap
that resamples runs *within* design points (the design stays as it was; only the seed luck is
redrawn; residuals scaled by sqrt(r / (r - 1)) so a point with few replicates does not understate its
noise), refitting the bend each time, so the bend's uncertainty is carried into the slopes. The
bootstrap's own percentile interval for the bend is kept as `breakpoint_ci_bootstrap`.

Why the profile interval for the bend: in the coverage study (benchmarks/knee_coverage.py, 1,000
toys a setting, nominal 95%) it covered the true bend 0.953 / 0.928 / 0.939 / 0.935 of the time
(clear knee, 9 values x 8 replicates; faint knee; 6 values x 4 replicates; noise growing with the
dose) against the bootstrap percentile's 0.939 / 0.972 / 0.917 / 0.926, and was 6-18% narrower; the
bootstrap under-covers with few replicates, where its resamples cannot show the whole noise. (The
delta-method interval of the piecewise-regression package, Muggeo's method, covered 0.92 / 0.62 /
0.76 / 0.90 on 200 toys a setting and did not always converge, so this module profiles with numpy.)

Is there a knee at all? The bend parameter does not exist under a straight line, so the usual F test
does not hold (Davies' problem). The test statistic is the largest F of "one bend" against "a line"
over all bends (sup-F); its null distribution is bootstrapped from the fitted line plus the runs'
own seed noise (residuals from their design point's mean, resampled within points). A small p means
"a straight line does not describe this as well as a bend, beyond the seed noise". Measured on the
same toys at 5%: it said "knee" on 4.2-6.8% of straight lines, and found 100% of clear knees, 86% with
6 values x 4 replicates, 50% of faint ones.

When to trust it: at least 5 distinct swept values and 2 replicates at each (the function refuses
fewer than 4 and 2); the bend inside the swept range, not at its edge (the fit says when its interval
reaches an edge); an outcome that bends once. If it bends smoothly or twice, the lack-of-fit test
against the replicate noise says so, and the knee is a summary of where most of the bending happens.
The intervals include seed noise only: they say nothing about the assumptions held fixed in the sweep.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.analysis.plain_words import Uncertainty, number, uncertainty
from sim.scenario.problems import Problem, ScenarioError

GRID = 200  # candidate bends across the searchable range: resolution (range / 200) far below any interval


@dataclass(frozen=True)
class KneeFit:
    parameter: str
    outcome: str
    breakpoint: float
    breakpoint_ci: tuple[float, float]  # profile likelihood
    breakpoint_ci_bootstrap: tuple[float, float]  # percentile, runs resampled within design points
    slope_before: float
    slope_before_ci: tuple[float, float]
    slope_after: float
    slope_after_ci: tuple[float, float]
    line_slope: float  # the straight line's slope, for the "no knee" answer
    line_slope_ci: tuple[float, float]
    p_value: float  # one bend against a straight line (bootstrapped sup-F)
    lack_of_fit_p: float  # one bend against the replicate noise (nan when there is no spare design point)
    delta_aic: float  # AIC(bend) - AIC(line): negative favours the bend
    confidence: float
    points: int
    runs: int
    low: float  # swept range
    high: float
    ci_at_low_edge: bool  # the bend's (profile) interval reaches the lowest searchable bend
    ci_at_high_edge: bool

    @property
    def present(self) -> bool:
        """A knee beyond seed noise at the fit's level (p below 1 - confidence)."""
        return self.p_value < 1 - self.confidence

    def as_dict(self) -> dict:
        return {**asdict(self), "present": self.present}


@dataclass(frozen=True)
class _Data:
    x: np.ndarray  # one value per run, sorted by value (so each design point's runs are contiguous)
    y: np.ndarray
    group: np.ndarray  # design-point index of each run
    values: np.ndarray  # distinct swept values
    counts: np.ndarray  # runs at each
    starts: np.ndarray  # first row of each


def fit_knee(
    runs: pd.DataFrame, parameter: str, outcome: str, *, confidence: float = 0.95, resamples: int = 999,
    seed: int = 0, source: str = "runs",
) -> KneeFit:
    """Fit one continuous bend of `outcome` against `parameter` over every run in `runs`.

    runs: one row per run, with the swept value in column `parameter` and the outcome (e.g. a final
    year's value) in column `outcome`; runs sharing a value of `parameter` are replicates of a design
    point (with common random numbers or not). resamples: bootstrap draws for the intervals and the
    test. seed fixes the bootstrap, so the same runs give the same answer in any row order.
    """
    data = _prepare(runs, parameter, outcome, source)
    rng = np.random.default_rng(seed)
    grid = _grid(data.values)
    x, y, n = data.x, data.y, data.x.size

    means = _point_means(data)
    centred = y - means[data.group]
    within = float(np.sum(centred**2))
    rss_lines, rss_grid = _profile(data, means[:, None], np.array([within]), grid)
    rss_line = float(rss_lines[0])
    k = _refine(x, y, grid, rss_grid[:, 0])
    coef, rss = _fit_at(x, y, k)
    line_slope = float(_line_slopes(data, means[:, None])[0])

    # bootstrap: the same design, runs redrawn within each design point
    noise_means, noise_within = _resample(data, centred, resamples, rng)
    boot_means = means[:, None] + noise_means
    _, rss_boot = _profile(data, boot_means, noise_within, grid)
    k_boot = grid[np.argmin(rss_boot, axis=0)]
    coef_boot = _coefficients(data, boot_means, k_boot)
    line_boot = _line_slopes(data, boot_means)

    # test: is one bend better than a line beyond the seed noise? null = fitted line + the runs' own noise
    spread = float(np.sum((y - y.mean()) ** 2))
    if within == 0 or spread == 0:
        # no seed noise at all (a deterministic outcome): any bend beyond rounding is real
        p_value = 0.0 if spread > 0 and (rss_line - rss) > 1e-9 * spread else 1.0
    else:
        noise_means, noise_within = _resample(data, centred, resamples, rng)
        null_line = means - _project_out_line(data, means[:, None])[:, 0] / np.sqrt(data.counts)
        null_rss_line, null_rss = _profile(data, null_line[:, None] + noise_means, noise_within, grid)
        f_obs = _sup_f(rss_line, rss, n)
        f_null = _sup_f(null_rss_line, null_rss.min(axis=0), n)
        p_value = float((1 + np.sum(f_null >= f_obs * (1 - 1e-9))) / (resamples + 1))

    tail = (1 - confidence) / 2 * 100
    k_ci = _profile_interval(grid, rss_grid[:, 0], k, rss, n, confidence)
    return KneeFit(
        parameter=parameter, outcome=outcome, breakpoint=float(k), breakpoint_ci=k_ci,
        breakpoint_ci_bootstrap=_percentiles(k_boot, tail),
        slope_before=float(coef[1]), slope_before_ci=_percentiles(coef_boot[:, 1], tail),
        slope_after=float(coef[1] + coef[2]), slope_after_ci=_percentiles(coef_boot[:, 1] + coef_boot[:, 2], tail),
        line_slope=line_slope, line_slope_ci=_percentiles(line_boot, tail),
        p_value=p_value, lack_of_fit_p=_lack_of_fit(data, rss), delta_aic=_delta_aic(rss, rss_line, n),
        confidence=confidence, points=data.values.size, runs=n,
        low=float(data.values[0]), high=float(data.values[-1]),
        ci_at_low_edge=bool(k_ci[0] <= grid[0]), ci_at_high_edge=bool(k_ci[1] >= grid[-1]),
    )


def _prepare(runs: pd.DataFrame, parameter: str, outcome: str, source: str) -> _Data:
    missing = [c for c in (parameter, outcome) if c not in runs.columns]
    if missing:
        raise ScenarioError([Problem(source, None, c, "no such column in the runs table") for c in missing])
    frame = runs[[parameter, outcome]]
    problems = []
    for column in (parameter, outcome):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(values)
        if bad.any():
            problems.append(Problem(source, None, column, "needs a finite number in every run",
                                    frame[column].iloc[int(np.argmax(bad))]))
    if problems:
        raise ScenarioError(problems)
    # sorted by value then outcome: the bootstrap then depends on the runs, not on the table's row order
    frame = frame.astype(float).sort_values([parameter, outcome], kind="stable").reset_index(drop=True)
    values, group, counts = np.unique(frame[parameter].to_numpy(), return_inverse=True, return_counts=True)
    if values.size < 4:
        raise ScenarioError([Problem(source, None, parameter, "a knee needs at least 4 swept values (5 or more "
                                     "to trust it)", values.size)])
    if counts.min() < 2:
        raise ScenarioError([Problem(source, None, parameter, "a knee's interval needs at least 2 replicates "
                                     "at every swept value", f"{values[counts.argmin()]:g} has {counts.min()}")])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return _Data(frame[parameter].to_numpy(), frame[outcome].to_numpy(), group, values, counts, starts)


def _grid(values: np.ndarray) -> np.ndarray:
    low, high = values[1], values[-2]
    inside = values[(values >= low) & (values <= high)]
    return np.unique(np.concatenate([np.linspace(low, high, GRID), inside]))


# Least squares over every run equals weighted least squares over the design points' means (weights:
# replicates) plus the runs' spread around their point's mean, so the profile and the bootstrap work on
# K points, not on every run: rows below are scaled by sqrt(replicates).

def _project_out_line(data: _Data, m: np.ndarray) -> np.ndarray:
    """sqrt(w) m minus its weighted least-squares projection on [1, value], column by column."""
    root = np.sqrt(data.counts)[:, None]
    q, _ = np.linalg.qr(root * np.column_stack([np.ones_like(data.values), data.values]))
    scaled = root * m
    return scaled - q @ (q.T @ scaled)


def _profile(data: _Data, means: np.ndarray, within: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RSS of the line (per column of means) and of the one-bend fit at each grid bend (grid x columns).

    Adding the column h = (x - k)+ to a line lowers the line's RSS by (h'r)^2 / h'h once h and the
    outcome r are both residualised on the line: one small matrix product for every bend and draw.
    """
    h = _project_out_line(data, np.maximum(data.values[:, None] - grid[None, :], 0.0))
    r = _project_out_line(data, means)
    hh = np.sum(h * h, axis=0)
    gain = (h.T @ r) ** 2 / np.where(hh > 0, hh, np.inf)[:, None]
    rss_line = within + np.sum(r * r, axis=0)
    return rss_line, np.maximum(rss_line[None, :] - gain, within[None, :])


def _profile_interval(
    grid: np.ndarray, rss_grid: np.ndarray, k: float, rss: float, n: int, confidence: float,
) -> tuple[float, float]:
    """Hull of the bends whose RSS is within the F margin of the best, edges interpolated between grid
    values (the grid's spacing is far below any interval's width)."""
    cut = rss * (1 + stats.f.ppf(confidence, 1, n - 4) / (n - 4))
    inside = np.flatnonzero(rss_grid <= cut)
    if inside.size == 0:
        return float(k), float(k)

    def edge(i: int, j: int) -> float:  # i inside, j outside: where RSS crosses the cut between them
        if not 0 <= j < grid.size:
            return float(grid[i])
        share = (cut - rss_grid[i]) / (rss_grid[j] - rss_grid[i])
        return float(grid[i] + share * (grid[j] - grid[i]))

    low, high = edge(inside[0], inside[0] - 1), edge(inside[-1], inside[-1] + 1)
    return min(low, float(k)), max(high, float(k))


def _fit_at(x: np.ndarray, y: np.ndarray, k: float) -> tuple[np.ndarray, float]:
    design = np.column_stack([np.ones_like(x), x, np.maximum(x - k, 0.0)])
    coef = np.linalg.solve(design.T @ design, design.T @ y)  # 3 x 3: well conditioned inside the grid
    return coef, float(np.sum((y - design @ coef) ** 2))


def _refine(x: np.ndarray, y: np.ndarray, grid: np.ndarray, rss: np.ndarray) -> float:
    """The grid's best bend, polished between its neighbours (RSS is smooth between design values)."""
    i = int(np.argmin(rss))
    low, high = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    if high <= low:
        return float(grid[i])
    best = optimize.minimize_scalar(lambda k: _fit_at(x, y, k)[1], bounds=(low, high), method="bounded",
                                    options={"xatol": (high - low) * 1e-4})
    return float(best.x) if best.fun <= _fit_at(x, y, grid[i])[1] else float(grid[i])


def _coefficients(data: _Data, means: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Weighted least-squares a, b, c for each column of means with its own bend k (batched 3 x 3 solves)."""
    v, w = data.values, data.counts.astype(float)
    design = np.stack([np.ones((k.size, v.size)), np.broadcast_to(v, (k.size, v.size)),
                       np.maximum(v[None, :] - k[:, None], 0.0)], axis=2)  # draws x points x 3
    xtx = np.einsum("bki,k,bkj->bij", design, w, design)
    xty = np.einsum("bki,k,kb->bi", design, w, means)
    return np.linalg.solve(xtx, xty[..., None])[..., 0]


def _line_slopes(data: _Data, means: np.ndarray) -> np.ndarray:
    w = data.counts / data.counts.sum()
    centred = data.values - w @ data.values
    return (w * centred) @ means / (w @ centred**2)


def _point_means(data: _Data) -> np.ndarray:
    return np.add.reduceat(data.y, data.starts) / data.counts


def _resample(
    data: _Data, centred: np.ndarray, resamples: int, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Residuals redrawn within each design point, scaled so their spread is unbiased: per draw, each
    point's mean residual (points x draws) and the spread around those means (draws)."""
    means = np.empty((data.values.size, resamples))
    within = np.zeros(resamples)
    for g, (start, count) in enumerate(zip(data.starts, data.counts, strict=True)):
        if count >= LARGE_POINT:
            means[g], part = _large_point(centred[start: start + count], resamples, rng)
            within += part
            continue
        drawn = centred[start + rng.integers(0, count, size=(count, resamples))] * np.sqrt(count / (count - 1))
        means[g] = drawn.mean(axis=0)
        within += np.sum((drawn - means[g]) ** 2, axis=0)
    return means, within


# A design point with this many runs is resampled through the central limit theorem instead of draw by
# draw: redrawing a million runs 999 times would take minutes and gigabytes, and at this size the mean of
# a resample is normal to well within the bootstrap's own noise. Sweeps with fewer runs a point (every
# shipped one) are resampled exactly as before.
LARGE_POINT = 2000


def _large_point(residuals: np.ndarray, resamples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The resampled mean and within-point sum of squares of one large point, by their normal limits."""
    count = residuals.size
    scaled = residuals * np.sqrt(count / (count - 1))
    squares = scaled**2
    mean = rng.normal(scaled.mean(), scaled.std() / np.sqrt(count), resamples)
    total = rng.normal(squares.sum(), squares.std() * np.sqrt(count), resamples)
    return mean, np.maximum(total - count * mean**2, 0.0)


def _sup_f(rss_line: np.ndarray | float, rss_bend: np.ndarray | float, n: int) -> np.ndarray:
    rss_bend = np.maximum(rss_bend, 1e-300)
    return (np.asarray(rss_line) - rss_bend) / (rss_bend / (n - 4))


def _lack_of_fit(data: _Data, rss: float) -> float:
    """Classical lack-of-fit F test of the bend against the replicate (pure) error."""
    pure = float(np.sum((data.y - _point_means(data)[data.group]) ** 2))
    df_lof, df_pure = data.values.size - 4, data.x.size - data.values.size
    if df_lof <= 0 or pure <= 0:
        return float("nan")
    f = max(rss - pure, 0.0) / df_lof / (pure / df_pure)
    return float(stats.f.sf(f, df_lof, df_pure))


def _delta_aic(rss_bend: float, rss_line: float, n: int) -> float:
    tiny = 1e-300
    return float(n * np.log(max(rss_bend, tiny) / n) + 2 * 5 - n * np.log(max(rss_line, tiny) / n) - 2 * 3)


def _percentiles(draws: np.ndarray, tail: float) -> tuple[float, float]:
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def knee_sentence(
    fit: KneeFit, included: Uncertainty | str, *, outcome: str | None = None, parameter: str | None = None,
    unit: str = "", per: str | None = None, digits: int = 2,
) -> str:
    """The fit in one or two plain sentences, saying which uncertainty its intervals include.

    outcome / parameter: words for the column names ("the gap", "fellows a year"); unit: appended to
    outcome numbers (" SD"); per: the step of the parameter ("additional fellow"; default "unit of
    <parameter>").
    """
    words = uncertainty(included)
    outcome = outcome or fit.outcome
    parameter = parameter or fit.parameter
    per = per or f"unit of {parameter}"
    level = f"{fit.confidence:.0%}"
    slope = number

    if not fit.present:
        return (f"No knee: {outcome} changes linearly over the values swept ({number(fit.low, 3)}–"
                f"{number(fit.high, 3)} {parameter}), by {slope(fit.line_slope, digits)}{unit} per {per} "
                f"({level} interval {slope(fit.line_slope_ci[0], digits)} to {slope(fit.line_slope_ci[1], digits)}; "
                f"{words}); a bend is not distinguishable from the seed noise (p = {fit.p_value:.2f}).")

    low, high = fit.breakpoint_ci
    edge = ""
    if fit.ci_at_low_edge or fit.ci_at_high_edge:
        edge = " The interval reaches the edge of the values swept: sweep further to pin the knee down."
    after, before = fit.slope_after, fit.slope_before
    text = (f"Above about {number(fit.breakpoint, 2)} {parameter} ({level} interval {number(low, 2)}–"
            f"{number(high, 2)}; {words}), {outcome} changes by {slope(after, digits)}{unit} per {per} "
            f"({slope(fit.slope_after_ci[0], digits)} to {slope(fit.slope_after_ci[1], digits)}), against "
            f"{slope(before, digits)}{unit} below it ({slope(fit.slope_before_ci[0], digits)} to "
            f"{slope(fit.slope_before_ci[1], digits)})")
    if after * before > 0:
        verb = "rises" if after > 0 else "falls"
        pace = "faster" if abs(after) > abs(before) else "more slowly"
        text += f": it {verb} {slope(abs(after - before), digits)}{unit} {pace} per {per}."
    elif after * before < 0:
        text += f": it turns from {'rising' if before > 0 else 'falling'} to {'rising' if after > 0 else 'falling'}."
    else:
        text += "."
    if fit.lack_of_fit_p < 1 - fit.confidence:
        text += (f" One bend does not describe the whole curve (lack of fit p = {fit.lack_of_fit_p:.2g}): "
                 "read the knee as where most of the bending happens.")
    return text + edge
