"""Finding the tipping point: thresholds with intervals, adaptive search, hysteresis, early warning, sensitivity.

    from sim.tipping import find_threshold
    result = find_threshold(f, low, high, tolerance=0.01, confidence=0.95, rng=0)  # f(x, rng) -> bool
    result.threshold, result.ci, result.runs

Reads results and runs models; the model itself knows nothing of this package.
"""

from sim.tipping.fit import Binomial, LogisticFit, SigmoidFit, fit_logistic, fit_sigmoid
from sim.tipping.search import NoTransition, ThresholdResult, find_threshold, grid_threshold

__all__ = [
    "Binomial", "LogisticFit", "NoTransition", "SigmoidFit", "ThresholdResult", "find_threshold", "fit_logistic",
    "fit_sigmoid", "grid_threshold",
]
