"""Compare scenarios run on matched seeds (common random numbers): paired differences with intervals.

Replicate r of every scenario uses the same seed, so the difference between two scenarios in
replicate r cancels the luck they share; the interval is a t interval over those paired differences
(seed noise only: the scenarios' assumptions are held fixed; `compare --worlds` varies them).

Every outcome is measured over the same population in every scenario: achievement, the gap and
practice over the whole system, and tipping over the districts any of the compared programmes works
in (each scenario's own rule, applied to that one population), never over a denominator that moves
with where the fellows are placed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

# outcome column -> (label, higher is better?)
COMPARED = {
    "mean_achievement": ("Mean achievement (SD)", True),
    "achievement_gap": ("Gap, least vs most disadvantaged (SD)", False),
    "practising_share": ("Teachers practising", True),
    "leadership_index": ("Collective-leadership index", True),
    "districts_tipped": ("Districts tipped", True),
    "tipped_by_horizon": ("Probability of tipping by the horizon", True),
    "tipped_year": ("Year of tipping (replicates that tipped in both)", False),
}


@dataclass(frozen=True)
class Difference:
    outcome: str
    label: str
    baseline: str
    scenario: str
    baseline_mean: float
    scenario_mean: float
    difference: float  # scenario minus baseline
    ci_low: float
    ci_high: float
    pairs: int
    within_noise: bool
    population: str = "whole system"
    # pairs that all differ by the same amount have no interval; a sign test then decides (agreement_p)
    sign_test_p: float = float("nan")

    def as_dict(self) -> dict:
        return {**asdict(self), "has_interval": self.has_interval}  # files tell "too few" from "within the noise"

    @property
    def has_interval(self) -> bool:
        """False when the replicates cannot give an interval (too few pairs, or pairs that all agree)."""
        return self.pairs > 0 and not np.isnan(self.ci_low)

    @property
    def identical(self) -> bool:
        """Two or more pairs, every one without a difference: not told apart, and no interval to give."""
        return not self.has_interval and self.pairs >= 2 and self.sign_test_p == 1.0 and self.difference == 0

    @property
    def decided_by_sign_test(self) -> bool:
        """Every pair differs by the same amount, in enough pairs to be beyond chance: a direction, no interval."""
        return not self.has_interval and not np.isnan(self.sign_test_p) and not self.within_noise


def end_values(yearly: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate: outcomes in the final year, and whether and when it tipped."""
    last = yearly[yearly["year"] == yearly["year"].max()].set_index("replicate")
    out = last[[c for c in COMPARED if c in last.columns and c != "tipped_year"]].astype(float)
    out["tipped_by_horizon"] = last["tipped_year"].notna().astype(float)
    out["tipped_year"] = pd.to_numeric(last["tipped_year"], errors="coerce").astype(float)
    return out


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of b - a and its t interval; NaN bounds when the pairs cannot give one.

    Pairs that all differ by the same amount, zero included (whole years of tipping often do), have no
    spread, so a t interval would have zero width and claim the difference is known exactly, from one
    pair as from twenty. They give no interval; agreement_p says whether so many pairs agreeing is
    beyond chance."""
    diff = b - a
    mean = float(diff.mean())
    if diff.size < 2 or np.all(diff == diff[0]):
        return mean, float("nan"), float("nan")
    from scipy import stats  # a second to import: not at module top, which every `run` report loads

    half = float(stats.t.ppf(0.5 + confidence / 2, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
    return mean, mean - half, mean + half


def agreement_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided sign test for pairs that all differ by the same amount (NaN for any other pairs).

    Such pairs tell the direction but not the size's uncertainty: under no difference each pair is as
    likely to go either way, so n pairs all going one way have probability 2 * 0.5**n (6 pairs: 0.031,
    beyond chance at 95%; 5 pairs: 0.0625, not). Pairs that are all equal (no difference in any) give 1."""
    diff = b - a
    if diff.size == 0 or np.any(diff != diff[0]):
        return float("nan")
    return 1.0 if diff[0] == 0 else min(1.0, 2 * 0.5**diff.size)


def wilson(successes: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson's interval for successes of n (numbers or arrays of them): honest at 0 and at n."""
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def proportion_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference of two proportions with Newcombe's interval (built from Wilson intervals).

    A t interval on 0/1 differences collapses to zero width when every pair differs the same way;
    Newcombe's interval stays honest at 0% and 100% (it ignores the pairing, so it is conservative).
    """
    n = a.size
    pa, pb = a.mean(), b.mean()
    la, ua = wilson(int(a.sum()), n, confidence)
    lb, ub = wilson(int(b.sum()), n, confidence)
    d = pb - pa
    low = d - np.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
    high = d + np.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    return float(d), float(low), float(high)


def compare(yearly_by_scenario: dict[str, pd.DataFrame], confidence: float = 0.95,
            tipping: pd.DataFrame | None = None, population: str = "whole system") -> list[Difference]:
    """Each scenario against the first, outcome by outcome.

    tipping (optional): per scenario and replicate, `tipped_by_horizon`, `tipped_year` and
    `districts_tipped` measured over one common population (see common_tipping), which then replace
    each scenario's own. population: where tipping is measured ("own tipping scope" when each scenario
    is judged over its own)."""
    names = list(yearly_by_scenario)
    ends = {name: end_values(frame) for name, frame in yearly_by_scenario.items()}
    if tipping is not None:
        for name in names:
            mine = tipping[tipping["scenario"] == name].set_index("replicate")
            ends[name]["tipped_by_horizon"] = mine["tipped_by_horizon"].reindex(ends[name].index).astype(float)
            ends[name]["tipped_year"] = mine["tipped_year"].reindex(ends[name].index).astype(float)
            ends[name]["districts_tipped"] = mine["districts_tipped"].reindex(ends[name].index).astype(float)
    own = population == "own tipping scope"
    base_name, base = names[0], ends[names[0]]
    result = []
    for name in names[1:]:
        other = ends[name]
        shared = base.index.intersection(other.index)
        for outcome, (label, _) in COMPARED.items():
            where = {"tipped_by_horizon": population, "tipped_year": population,
                     "districts_tipped": "each one's tipping scope" if own else population}.get(outcome, "whole system")
            a, b = base.loc[shared, outcome].to_numpy(), other.loc[shared, outcome].to_numpy()
            if outcome == "tipped_year":
                both = ~np.isnan(a) & ~np.isnan(b)
                a, b = a[both], b[both]
            if a.size == 0:
                result.append(Difference(outcome, label, base_name, name, np.nan, np.nan, np.nan,
                                         np.nan, np.nan, 0, True, where))
                continue
            interval = proportion_difference if outcome == "tipped_by_horizon" else paired_difference
            mean, low, high = interval(a, b, confidence)
            p = agreement_p(a, b) if np.isnan(low) else float("nan")
            noise = bool(p > 1 - confidence) if not np.isnan(p) else bool(np.isnan(low) or low <= 0 <= high)
            result.append(Difference(
                outcome, label, base_name, name, float(a.mean()), float(b.mean()), mean, low, high,
                int(a.size), noise, where, p,
            ))
    return result


# --- one population for tipping in every scenario --------------------------------------------------

# tipping metrics that can be pooled over any set of districts from the districts frame (teacher-weighted)
POOLABLE = ("practising_share", "mean_achievement", "achievement_gain", "district_support")


def common_districts(districts_by_scenario: dict[str, pd.DataFrame]) -> dict[int, list[str]]:
    """Per replicate (one drawn system, shared by every scenario through the matched seed): the
    districts any compared programme works in at any time."""
    names: dict[int, set[str]] = {}
    for frame in districts_by_scenario.values():
        hosting = frame.loc[frame["programme"], ["replicate", "district"]].drop_duplicates()
        for replicate, district in hosting.itertuples(index=False):
            names.setdefault(int(replicate), set()).add(district)
    return {r: sorted(v) for r, v in sorted(names.items())}


def common_tipping(districts_by_scenario: dict[str, pd.DataFrame], scenarios: dict,
                   names: dict[int, list[str]]) -> pd.DataFrame:
    """Each scenario's tipping rule applied to the same districts (per replicate): whether
    (tipped_by_horizon) and when (tipped_year, the first year of the run that met the rule) it tipped,
    and how many of those districts had each tipped in the final year (districts_tipped).

    As the engine judges a scope: pooled, the teacher-weighted metric over the districts holds for
    sustained_years running; by_district, at least district_share of the districts have each tipped."""
    chosen = pd.DataFrame([(r, d) for r, ds in names.items() for d in ds], columns=["replicate", "district"])
    rows = []
    for name, frame in districts_by_scenario.items():
        rule = scenarios[name].tipping
        mine = frame.merge(chosen, on=["replicate", "district"])
        final = mine[mine["year"] == mine["year"].max()].groupby("replicate")["tipped"].sum()
        if rule.by_district:
            tipped = mine.groupby(["replicate", "year"])["tipped"].agg(["sum", "size"])
            met = (tipped["sum"] >= np.ceil(rule.district_share * tipped["size"] - 1e-9)).unstack("year")
            held = 1  # each district's own flag already needs sustained_years running
        else:
            weighted = mine.assign(value=mine[rule.metric] * mine["teachers"])
            pooled = weighted.groupby(["replicate", "year"])[["value", "teachers"]].sum()
            metric = (pooled["value"] / pooled["teachers"]).unstack("year")
            met = (metric <= rule.level) if rule.downward else (metric >= rule.level)
            held = rule.sustained_years
        for replicate, row in met.iterrows():
            run, year_tipped = 0, np.nan
            for year, ok in row.items():
                run = run + 1 if ok else 0
                if run >= held:
                    year_tipped = year - rule.sustained_years + 1  # as the engine dates it
                    break
            rows.append({"scenario": name, "replicate": replicate, "tipped_by_horizon": not np.isnan(year_tipped),
                         "tipped_year": year_tipped, "districts_tipped": int(final.get(replicate, 0))})
    return pd.DataFrame(rows)


# --- what a comparison should warn about -----------------------------------------------------------

LEVERS = {
    "where fellows go (districts)": ("placement.districts", "placement.district_count", "placement.district_names"),
    "how fellows cluster into schools": ("placement.clustering", "placement.host_schools", "placement.fellows_per_host",
                                         "placement.max_fellow_share", "placement.school_priority"),
    "where alumni go": ("alumni.placement",),
    "programme size": ("programme.cohort_size", "programme.cohorts", "programme.cohort_sizes"),
    "who the fellows are": ("programme.strength", "programme.orientation", "programme.rootedness",
                            "programme.practise_on_arrival"),
    "how long fellows stay": ("programme.commitment_years", "programme.attrition"),
    "the tipping rule": ("tipping",),
    "the school system": ("system",),
}
# not levers: labels, and the years (compare runs every scenario to the same horizon)
NOT_LEVERS = ("name", "description", "years")


def lever_of(key: str) -> str:
    for lever, prefixes in LEVERS.items():
        if any(key == p or key.startswith(p + ".") for p in prefixes):
            return lever
    return key.split(".")[0]


def changed_levers(differing_keys: list[str]) -> list[str]:
    return sorted({lever_of(k) for k in differing_keys if k not in NOT_LEVERS})


def differences_frame(differences: list[Difference]) -> pd.DataFrame:
    return pd.DataFrame([d.as_dict() for d in differences])
