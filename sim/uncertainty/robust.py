"""Does B beat A whatever the unknown assumptions? Paired comparisons inside each world, shares across worlds.

Input: a tidy table with one row per run: `world`, `replicate`, `strategy` and one column per outcome
(final-year values). Replicate r of every strategy in a world ran on the same seed (common random
numbers), so within a world the difference between strategies is paired replicate by replicate.

Inside each world the rule is exactly `critical-mass compare`'s (sim.analysis.compare): a t interval
on the paired differences, or Newcombe's interval for a 0/1 outcome such as "tipped by the horizon".
A world says "better" or "worse" when that interval excludes zero, else "within the noise". Across
worlds: the share of worlds in each verdict with a Wilson interval, quantiles of the difference, and
the worlds whose verdict opposes the majority (the flips).

How to read it: a world's verdict carries seed noise (at 95%, about 1 world in 40 where B and A are
truly equal still comes out "better", and as many "worse"), and "within the noise" is "not told apart
with these replicates", not "equal". The share's interval covers the finite number of worlds drawn;
what the share means depends on where the worlds came from (a box of plausible ranges, or a calibrated
posterior), which the caller says when it asks for a sentence.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.compare import agreement_p, paired_difference, proportion_difference, wilson
from sim.analysis.plain_words import Uncertainty, number, share, uncertainty
from sim.scenario.problems import Problem, ScenarioError, closest

BETTER, WORSE, WITHIN, UNDECIDED = "better", "worse", "within noise", "too few runs"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
KEYS = ("world", "replicate", "strategy")


@dataclass(frozen=True)
class RobustSummary:
    """One outcome, one strategy against the baseline, across worlds."""

    outcome: str
    baseline: str
    strategy: str
    higher_is_better: bool
    worlds: int  # worlds with a verdict (at least 2 matched replicates)
    replicates: int  # the fewest matched replicates in a world with a verdict
    better: int
    worse: int
    within: int
    better_share: float
    better_ci: tuple[float, float]
    worse_share: float
    worse_ci: tuple[float, float]
    within_share: float
    within_ci: tuple[float, float]
    difference_quantiles: dict[float, float]  # strategy minus baseline, in the outcome's units, across worlds
    majority: str | None  # BETTER or WORSE among the worlds beyond the noise, None if no world is
    flips: tuple = field(default_factory=tuple)  # worlds beyond the noise against the majority
    confidence: float = 0.95

    def as_dict(self) -> dict:
        out = asdict(self)
        out["difference_quantiles"] = {f"q{int(q * 100):02d}": v for q, v in self.difference_quantiles.items()}
        out["flips"] = list(self.flips)
        return out


@dataclass(frozen=True)
class RobustResult:
    per_world: pd.DataFrame  # one row per world x outcome x strategy: the paired difference and its verdict
    summaries: list[RobustSummary]


def compare_over_worlds(
    runs: pd.DataFrame, directions: Mapping[str, bool], *, baseline: str | None = None,
    binary: Collection[str] | None = None, confidence: float = 0.95, source: str = "runs", worth: float = 1.0,
) -> RobustResult:
    """Every strategy against `baseline` (default: the first strategy in the table) on every outcome
    in `directions` ({outcome column: higher is better?}).

    binary: outcome columns that are 0/1 per run (Newcombe's interval instead of a t interval);
    default: the bool columns and those whose values are all 0 or 1. A run with a missing outcome
    (e.g. the year it tipped, when it did not) drops out of that outcome's pairs. worth: how many
    independent worlds one world of the table is worth in a share's interval (below 1 for worlds drawn
    with replacement from a weighted posterior: sim.uncertainty.posterior.Posterior.worth_of_a_draw).
    """
    strategies = _validate(runs, directions, baseline, source)
    if not 0 < worth <= 1:
        raise ScenarioError([Problem(source, None, "worth", "needs a number above 0 and at most 1: the independent "
                                     "worlds one world of the table is worth", worth)])
    baseline = baseline if baseline is not None else strategies[0]
    if binary is None:
        binary = [o for o in directions if _looks_binary(runs[o])]

    rows = []
    by_strategy = {s: frame.set_index(["world", "replicate"]) for s, frame in runs.groupby("strategy", sort=False)}
    base = by_strategy[baseline]
    for strategy in (s for s in strategies if s != baseline):
        other = by_strategy[strategy]
        shared = base.index.intersection(other.index).sort_values()
        for outcome, higher in directions.items():
            a_all = base.loc[shared, outcome].to_numpy(float)
            b_all = other.loc[shared, outcome].to_numpy(float)
            interval = proportion_difference if outcome in binary else paired_difference
            world_ids, starts = np.unique(shared.get_level_values("world").to_numpy(), return_index=True)
            for world, rows_of in zip(world_ids, np.split(np.arange(shared.size), starts[1:]), strict=True):
                a, b = a_all[rows_of], b_all[rows_of]
                a, b = a[~np.isnan(a) & ~np.isnan(b)], b[~np.isnan(a) & ~np.isnan(b)]
                row = {"world": world, "outcome": outcome, "baseline": baseline, "strategy": strategy,
                       "pairs": int(a.size)}
                if a.size < 2:
                    rows.append({**row, "baseline_mean": np.nan, "strategy_mean": np.nan, "difference": np.nan,
                                 "ci_low": np.nan, "ci_high": np.nan, "sign_test_p": np.nan, "verdict": UNDECIDED})
                    continue
                mean, low, high = interval(a, b, confidence)
                p = agreement_p(a, b) if np.isnan(low) else np.nan
                rows.append({**row, "baseline_mean": float(a.mean()), "strategy_mean": float(b.mean()),
                             "difference": mean, "ci_low": low, "ci_high": high, "sign_test_p": p,
                             "verdict": _verdict(mean, low, high, p, higher, confidence)})
    per_world = pd.DataFrame(rows)
    summaries = [
        _summarise(group, directions[outcome], confidence, worth)
        for (outcome, strategy), group in per_world.groupby(["outcome", "strategy"], sort=False)
    ]
    return RobustResult(per_world, summaries)


def _validate(runs: pd.DataFrame, directions: Mapping[str, bool], baseline: str | None, source: str) -> list[str]:
    columns = list(map(str, runs.columns))
    problems = [Problem(source, None, c, "missing column: every run needs world, replicate and strategy",
                        suggestion=closest(c, columns)) for c in KEYS if c not in runs.columns]
    if not directions:
        problems.append(Problem(source, None, "", "name at least one outcome to compare"))
    problems += [Problem(source, None, o, "no such outcome column", suggestion=closest(o, columns))
                 for o in directions if o not in runs.columns]
    problems += [Problem(source, None, o, "needs True (higher is better) or False (lower is better)", higher)
                 for o, higher in directions.items() if not isinstance(higher, bool | np.bool_)]
    if problems:
        raise ScenarioError(problems)
    strategies = list(pd.unique(runs["strategy"]))
    if baseline is not None and baseline not in strategies:
        raise ScenarioError([Problem(source, None, "strategy", f"the baseline {baseline!r} has no runs",
                                     suggestion=closest(str(baseline), map(str, strategies)))])
    if len(strategies) < 2:
        raise ScenarioError([Problem(source, None, "strategy", "needs runs of at least two strategies",
                                     strategies)])
    duplicated = runs.duplicated(list(KEYS))
    if duplicated.any():
        first = runs.loc[duplicated, list(KEYS)].iloc[0].to_dict()
        raise ScenarioError([Problem(source, None, "replicate", "each world, replicate and strategy needs "
                                     "exactly one run", first)])
    for outcome in directions:
        values = pd.to_numeric(runs[outcome], errors="coerce")
        if (values.isna() & runs[outcome].notna()).any():
            raise ScenarioError([Problem(source, None, outcome, "needs numbers",
                                         runs[outcome][values.isna() & runs[outcome].notna()].iloc[0])])
    return strategies


def _looks_binary(column: pd.Series) -> bool:
    if column.dtype == bool:
        return True
    values = pd.to_numeric(column, errors="coerce").dropna()
    return values.size > 0 and bool(values.isin([0, 1]).all())


def _verdict(mean: float, low: float, high: float, sign_p: float, higher_is_better: bool, confidence: float) -> str:
    if np.isnan(low):
        # no interval: pairs that all agree decide by a sign test when there are enough of them
        # (sim.analysis.compare.agreement_p); pairs all without a difference are not told apart
        if not np.isnan(sign_p) and mean == 0:
            return WITHIN
        if np.isnan(sign_p) or sign_p > 1 - confidence:
            return UNDECIDED
    elif low <= 0 <= high:
        return WITHIN
    return BETTER if (mean > 0) == higher_is_better else WORSE


def _summarise(group: pd.DataFrame, higher_is_better: bool, confidence: float, worth: float) -> RobustSummary:
    decided = group[group["verdict"] != UNDECIDED]
    n = len(decided)
    counts = {v: int((decided["verdict"] == v).sum()) for v in (BETTER, WORSE, WITHIN)}

    def interval(k: int) -> tuple[float, float]:
        if not n:
            return (np.nan, np.nan)
        low, high = wilson(k * worth, n * worth, confidence)
        return float(low), float(high)

    differences = decided["difference"].to_numpy(float)
    quantiles = ({q: float(v) for q, v in zip(QUANTILES, np.quantile(differences, QUANTILES), strict=True)}
                 if n else {q: np.nan for q in QUANTILES})
    majority = _majority(counts[BETTER], counts[WORSE], differences, higher_is_better)
    against = {BETTER: WORSE, WORSE: BETTER}.get(majority) if majority else None
    flips = tuple(decided.loc[decided["verdict"] == against, "world"]) if against else ()
    return RobustSummary(
        outcome=str(group["outcome"].iloc[0]), baseline=str(group["baseline"].iloc[0]),
        strategy=str(group["strategy"].iloc[0]), higher_is_better=higher_is_better, worlds=n,
        replicates=int(decided["pairs"].min()) if n else 0, better=counts[BETTER], worse=counts[WORSE],
        within=counts[WITHIN],
        better_share=counts[BETTER] / n if n else np.nan, better_ci=interval(counts[BETTER]),
        worse_share=counts[WORSE] / n if n else np.nan, worse_ci=interval(counts[WORSE]),
        within_share=counts[WITHIN] / n if n else np.nan, within_ci=interval(counts[WITHIN]),
        difference_quantiles=quantiles, majority=majority, flips=flips, confidence=confidence,
    )


def _majority(better: int, worse: int, differences: np.ndarray, higher_is_better: bool) -> str | None:
    """BETTER or WORSE by the count of worlds beyond the noise; a tie goes by the median difference."""
    if better != worse:
        return BETTER if better > worse else WORSE
    if better == 0 or differences.size == 0:
        return None
    median = float(np.median(differences))
    if median == 0:
        return None
    return BETTER if (median > 0) == higher_is_better else WORSE


def summaries_frame(summaries: list[RobustSummary]) -> pd.DataFrame:
    return pd.DataFrame([s.as_dict() for s in summaries])


def robust_sentence(
    summary: RobustSummary, included: Uncertainty | str, *, strategy: str | None = None,
    baseline: str | None = None, outcome: str | None = None, unit: str = "",
) -> str:
    """The shares in plain words, saying which uncertainty they include.

    included: where the worlds came from (Uncertainty.RANGES for plausible ranges, POSTERIOR for a
    calibration); seed noise is always inside each world's verdict.
    """
    words = uncertainty(included)
    strategy = strategy or summary.strategy
    baseline = baseline or summary.baseline
    outcome = outcome or summary.outcome
    if summary.worlds == 0:
        return f"No world had at least two matched replicates of {strategy} and {baseline} on {outcome}."
    level = f"{summary.confidence:.0%}"

    def part(k: float, ci: tuple[float, float]) -> str:
        return f"{share(k)} ({share(ci[0])}–{share(ci[1])})"

    q = summary.difference_quantiles
    kind = "worlds drawn from a calibrated posterior" if words is Uncertainty.POSTERIOR else "plausible worlds"
    text = (f"Against {baseline}, {strategy} is better on {outcome} beyond the seed noise in "
            f"{part(summary.better_share, summary.better_ci)} of {summary.worlds} {kind}, worse in "
            f"{part(summary.worse_share, summary.worse_ci)} and within the noise in "
            f"{part(summary.within_share, summary.within_ci)} ({level} intervals; {words}; "
            f"{summary.replicates}+ replicates a world). "
            f"The difference ({strategy} minus {baseline}) has median {number(q[0.5])}{unit} and lies between "
            f"{number(q[0.05])} and {number(q[0.95])}{unit} in 90% of worlds.")
    if summary.within > summary.better + summary.worse:
        text += " In most worlds the two are not told apart with these replicates."
    elif summary.flips:
        against = "worse" if summary.majority == BETTER else "better"
        text += (f" The answer flips ({strategy} {against} beyond the noise) in {len(summary.flips)} of them: "
                 "the table of worlds says which.")
    return text
