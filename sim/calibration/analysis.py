"""What a posterior says: intervals, how much each parameter was narrowed, trade-offs, and the fit to each target.

Every interval here is a calibrated posterior interval (weighted particles of the last population):
it includes the targets' stated uncertainty (their sd) and the model's seed noise, and nothing else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.schema import LoadedCalibration

INTERVAL = (0.05, 0.95)  # the 90% interval reported everywhere
NARROWED = 0.5  # a 90% interval under half the prior's 90% width counts as identified
BARELY = 0.8  # above this share of the prior's width the data say little about the parameter
STRONG_CORRELATION = 0.5


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of weighted values (the smallest value whose cumulative weight reaches q)."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, dtype=np.float64)[order], np.asarray(weights, dtype=np.float64)[order]
    cumulative = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cumulative, q - 1e-12)), v.size - 1)])


def parameter_table(posterior: pd.DataFrame, loaded: LoadedCalibration) -> pd.DataFrame:
    """Per calibrated parameter: prior, posterior mean, median and 90% interval, and the interval's width
    as a share of the prior's 90% width (1 = the data did not narrow it at all)."""
    w = posterior["weight"].to_numpy()
    rows = []
    for prior in loaded.calibration.parameters:
        x = posterior[prior.key].to_numpy(dtype=np.float64)
        low, high = prior.between
        lo, hi = (weighted_quantile(x, w, q) for q in INTERVAL)
        share = (hi - lo) / (0.9 * (high - low))
        rows.append({
            "parameter": prior.key, "prior_low": low, "prior_high": high, "mean": float(np.sum(w * x)),
            "median": weighted_quantile(x, w, 0.5), "low_90": lo, "high_90": hi, "width_share": share,
            "verdict": verdict(share),
        })
    return pd.DataFrame(rows)


def verdict(width_share: float) -> str:
    if width_share < NARROWED:
        return "identified"
    if width_share < BARELY:
        return "narrowed"
    return "not identified (about as wide as the prior)"


def correlations(posterior: pd.DataFrame, loaded: LoadedCalibration) -> pd.DataFrame:
    """Weighted correlations between calibrated parameters stronger than STRONG_CORRELATION: trade-offs
    (ridges) along which the targets cannot tell values apart."""
    keys = loaded.keys
    w = posterior["weight"].to_numpy()
    x = posterior[keys].to_numpy(dtype=np.float64)
    mean = w @ x
    centred = x - mean
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    rows = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if sd[i] > 0 and sd[j] > 0:
                r = cov[i, j] / (sd[i] * sd[j])
                if abs(r) >= STRONG_CORRELATION:
                    rows.append({"first": keys[i], "second": keys[j], "correlation": float(r)})
    return pd.DataFrame(rows, columns=["first", "second", "correlation"])


def predictive_table(last: pd.DataFrame, loaded: LoadedCalibration) -> pd.DataFrame:
    """Per target: its value and sd, and what the posterior's runs gave (median and 90% interval of the
    simulated outcome, before the target's error is added), with the median's distance in sds."""
    w = last["weight"].to_numpy()
    rows = []
    for i, target in enumerate(loaded.calibration.targets):
        label = loaded.label(i)
        x = last[label].to_numpy(dtype=np.float64)
        median = weighted_quantile(x, w, 0.5)
        rows.append({
            "target": label, "value": target.value, "sd": target.sd, "median": median,
            "low_90": weighted_quantile(x, w, INTERVAL[0]), "high_90": weighted_quantile(x, w, INTERVAL[1]),
            "off_by_sd": (median - target.value) / target.sd, "source": target.source,
        })
    return pd.DataFrame(rows)
