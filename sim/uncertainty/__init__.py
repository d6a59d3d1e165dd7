"""Answers that carry their assumptions: plausible worlds and comparisons that hold (or not) across them.

    worlds = latin_hypercube({"contagion.lapse_rate": (0.02, 0.2)}, n=200, seed=1)   # or from_posterior(...)
    # ... run every strategy in every world, replicates on matched seeds, into a tidy table ...
    result = compare_over_worlds(runs, {"mean_achievement": True}, baseline="dispersed")
    robust_sentence(result.summaries[0], Uncertainty.RANGES)

Pure functions over tables: nothing here runs the model or reads files.
"""

from sim.uncertainty.robust import RobustResult, RobustSummary, compare_over_worlds, robust_sentence, summaries_frame
from sim.uncertainty.worlds import MIN_WORLDS, from_posterior, latin_hypercube

__all__ = [
    "MIN_WORLDS", "RobustResult", "RobustSummary", "compare_over_worlds", "from_posterior", "latin_hypercube",
    "robust_sentence", "summaries_frame",
]
