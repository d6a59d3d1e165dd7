"""Finding the tipping point: tipping points with intervals, adaptive search, hysteresis, early warning, sensitivity.

    from sim.tipping import find_tipping_point
    result = find_tipping_point(f, low, high, tolerance=0.01, confidence=0.95, rng=0)  # f(x, rng) -> bool
    result.tipping_point, result.ci, result.runs

Reads results and runs models; the model itself knows nothing of this package.
"""

from sim.tipping.fit import Binomial, LogisticFit, SigmoidFit, fit_logistic, fit_sigmoid
from sim.tipping.search import NoTransition, TippingPointResult, find_tipping_point, grid_tipping_point

__all__ = [
    "Binomial", "LogisticFit", "NoTransition", "SigmoidFit", "TippingPointResult", "find_tipping_point", "fit_logistic",
    "fit_sigmoid", "grid_tipping_point",
]
