"""Answers that carry their assumptions: plausible ranges of the assumptions, worlds drawn from them, and
comparisons that hold (or not) across those worlds.

    priors = load_priors()                                   # the shipped ranges, or a file of your own
    worlds = priors.sample_lhs(200, seed=1)                  # or priors.from_posterior("posterior.parquet")
    # ... run every strategy in every world, replicates on matched seeds, into a tidy table ...
    result = compare_over_worlds(runs, {"mean_achievement": True}, baseline="dispersed")
    robust_sentence(result.summaries[0], Uncertainty.RANGES)

Drawing and comparing are pure functions over tables; running the worlds is sim.uncertainty.run_worlds.
"""

from sim.uncertainty.robust import RobustResult, RobustSummary, compare_over_worlds, robust_sentence, summaries_frame
from sim.uncertainty.worlds import MIN_WORLDS, from_posterior, latin_hypercube

__all__ = [
    "MIN_WORLDS", "RobustResult", "RobustSummary", "compare_over_worlds", "from_posterior", "latin_hypercube",
    "robust_sentence", "summaries_frame",
]
