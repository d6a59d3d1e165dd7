"""Compare scenarios run on matched seeds (common random numbers): paired differences with intervals.

Replicate r of every scenario uses the same seed, so the difference between two scenarios in
replicate r cancels the luck they share; the interval is a t interval over those paired differences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

# outcome column -> (label, higher is better?)
COMPARED = {
    "mean_achievement": ("Mean achievement (SD)", True),
    "achievement_gap": ("Gap, least vs most disadvantaged (SD)", False),
    "practising_share": ("Teachers practising", True),
    "leadership_index": ("Collective-leadership index", True),
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

    def as_dict(self) -> dict:
        return asdict(self)


def end_values(yearly: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate: outcomes in the final year, and whether and when it tipped."""
    last = yearly[yearly["year"] == yearly["year"].max()].set_index("replicate")
    out = last[[c for c in COMPARED if c in last.columns and c != "tipped_year"]].astype(float)
    out["tipped_by_horizon"] = last["tipped_year"].notna().astype(float)
    out["tipped_year"] = pd.to_numeric(last["tipped_year"], errors="coerce").astype(float)
    return out


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of b - a and its t interval; identical pairs give a zero-width interval."""
    diff = b - a
    mean = float(diff.mean())
    if diff.size < 2 or np.all(diff == diff[0]):
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
    return mean, mean - half, mean + half


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
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


def compare(yearly_by_scenario: dict[str, pd.DataFrame], confidence: float = 0.95) -> list[Difference]:
    """Each scenario against the first, outcome by outcome."""
    names = list(yearly_by_scenario)
    ends = {name: end_values(frame) for name, frame in yearly_by_scenario.items()}
    base_name, base = names[0], ends[names[0]]
    result = []
    for name in names[1:]:
        other = ends[name]
        shared = base.index.intersection(other.index)
        for outcome, (label, _) in COMPARED.items():
            a, b = base.loc[shared, outcome].to_numpy(), other.loc[shared, outcome].to_numpy()
            if outcome == "tipped_year":
                both = ~np.isnan(a) & ~np.isnan(b)
                a, b = a[both], b[both]
            if a.size == 0:
                result.append(Difference(outcome, label, base_name, name, np.nan, np.nan, np.nan,
                                         np.nan, np.nan, 0, True))
                continue
            interval = proportion_difference if outcome == "tipped_by_horizon" else paired_difference
            mean, low, high = interval(a, b, confidence)
            result.append(Difference(
                outcome, label, base_name, name, float(a.mean()), float(b.mean()), mean, low, high,
                int(a.size), bool(low <= 0 <= high),
            ))
    return result


def differences_frame(differences: list[Difference]) -> pd.DataFrame:
    return pd.DataFrame([d.as_dict() for d in differences])
