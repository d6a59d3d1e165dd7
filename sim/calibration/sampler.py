"""A pyabc sampler that evaluates candidates in rounds, each round one batch of model runs.

pyabc's own samplers evaluate one particle per call of `simulate_one`, which would run the model
one system at a time. This sampler draws a whole round of candidate parameters from pyabc's
proposal (the prior, or the fitted transition kernel), hands them to `evaluate_round` (which runs
them as batched systems on the project's parallel layer, sim.calibration.evaluate), and then lets
pyabc judge each candidate in proposal order with its own pieces (`evaluate_proposal`: distance,
acceptor, importance weight). The population is the first n accepted in proposal order, exactly
what pyabc's single-core sampler would accept from the same draws; candidates simulated past the
n-th acceptance are discarded and not counted as evaluations.

Reproducible: every population reseeds NumPy's global generator (which pyabc's proposals and its
stochastic acceptor draw from) from (seed, population), round sizes depend only on the population
size and the acceptance seen so far in this population, and model seeds derive from (seed,
population, candidate, replicate). So a population does not depend on the number of workers, on
the backend, or on whether the run was resumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyabc.inference_util import (
    create_prior_pdf,
    create_transition_pdf,
    create_weight_function,
    evaluate_proposal,
    generate_valid_proposal,
)
from pyabc.model import Model
from pyabc.population import Particle
from pyabc.sampler import Sampler

from sim.runner import derive_seed

# how many times the candidates still needed, over the acceptance rate seen, a round simulates: a
# little more than expected, so that a population rarely needs a round for its last few particles
OVERSHOOT = 1.15
MOST_ROUNDS_PER_POPULATION_SIZE = 20  # a round is at most this many times the population size


@dataclass
class RoundReport:
    t: int
    accepted: int
    wanted: int
    evaluations: int
    epsilon: float


class _Computed(Model):
    """A model whose result is already known: the sampler's round has run it."""

    def __init__(self, statistics: dict[str, float]) -> None:
        super().__init__(name="critical-mass")
        self.statistics = statistics

    def sample(self, pars: object) -> dict[str, float]:
        return self.statistics


def population_seed(seed: int, t: int) -> int:
    # pyabc numbers its calibration sample -1; NumPy's legacy seeding takes 32 bits
    return derive_seed(seed, 7, t + 1) % 2**32


class BatchSampler(Sampler):
    """evaluate_round(parameters, t, first_candidate) -> statistics, one dict per candidate (None: rejected
    outright, e.g. an outcome that does not exist in that run)."""

    def __init__(self, evaluate_round: Callable[[list[dict[str, float]], int, int], list[dict[str, float] | None]],
                 seed: int, on_round: Callable[[RoundReport], None] | None = None,
                 on_sample: Callable[[int, object, int], None] | None = None) -> None:
        super().__init__()
        self.on_sample = on_sample  # called with (t, sample, evaluations) before pyabc stores the population
        self.evaluate_round = evaluate_round
        self.seed = seed
        self.on_round = on_round
        self.simulated = 0  # candidates simulated in the last population, discarded ones included

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        if ana_vars is None:
            raise TypeError("BatchSampler needs pyabc's analysis variables (pyabc 0.13)")
        np.random.seed(population_seed(self.seed, t))
        sample = self._create_empty_sample()
        judge = self._prior_judge() if all_accepted else self._judge(t, ana_vars)
        epsilon = np.inf if all_accepted else float(ana_vars.eps(t))
        accepted = evaluations = candidate = 0
        self.simulated = 0
        size = n
        while accepted < n and evaluations < max_eval:
            size = min(size, int(min(max_eval - evaluations, MOST_ROUNDS_PER_POPULATION_SIZE * n)))
            if size < 1:  # pyabc's cap n / min_acceptance_rate need not be whole: less than a candidate is left
                break
            proposals = [generate_valid_proposal(
                t=max(t, 0), m=np.array([0]), p=np.array([1.0]), model_prior=ana_vars.model_prior,
                parameter_priors=ana_vars.parameter_priors,
                model_perturbation_kernel=ana_vars.model_perturbation_kernel, transitions=ana_vars.transitions,
            )[1] for _ in range(size)]
            statistics = self.evaluate_round([dict(theta) for theta in proposals], t, candidate)
            candidate += size
            self.simulated += size
            for theta, stats in zip(proposals, statistics, strict=True):
                particle = judge(theta, stats)
                sample.append(particle)
                evaluations += 1
                accepted += bool(particle.accepted)
                if accepted >= n or evaluations >= max_eval:
                    break
            if self.on_round:
                self.on_round(RoundReport(t, accepted, n, evaluations, epsilon))
            rate = accepted / evaluations
            remaining = n - accepted
            # a round also has a floor: each costs a batch build and a dispatch to the workers
            size = 4 * size if accepted == 0 else max(math.ceil(OVERSHOOT * remaining / rate), n // 4, 8)
        self.nr_evaluations_ = evaluations
        if accepted < n:
            sample.ok = False
        elif self.on_sample:
            self.on_sample(t, sample, evaluations)
        return sample

    @staticmethod
    def _prior_judge() -> Callable[[object, dict[str, float] | None], Particle]:
        """pyabc's calibration sample: prior draws, all accepted (they only set the first temperature)."""

        def judge(theta: object, stats: dict[str, float] | None) -> Particle:
            if stats is None:
                return _rejected(theta)
            return Particle(m=0, parameter=theta, weight=1.0, sum_stat=stats, distance=np.inf, accepted=True,
                            proposal_id=0, preliminary=False)

        return judge

    @staticmethod
    def _judge(t: int, ana_vars: object) -> Callable[[object, dict[str, float] | None], Particle]:
        v = ana_vars
        prior_pdf = create_prior_pdf(model_prior=v.model_prior, parameter_priors=v.parameter_priors)  # type: ignore[attr-defined]
        transition_pdf = prior_pdf if t == 0 else create_transition_pdf(
            transitions=v.transitions, model_probabilities=pd.DataFrame({"p": [1.0]}, index=[0]),  # type: ignore[attr-defined]
            model_perturbation_kernel=v.model_perturbation_kernel,  # type: ignore[attr-defined]
        )
        weight_function = create_weight_function(prior_pdf=prior_pdf, transition_pdf=transition_pdf)

        def judge(theta: object, stats: dict[str, float] | None) -> Particle:
            if stats is None:
                return _rejected(theta)
            return evaluate_proposal(
                0, theta, t=t, models=[_Computed(stats)], summary_statistics=v.summary_statistics,  # type: ignore[attr-defined]
                distance_function=v.distance_function, eps=v.eps, acceptor=v.acceptor, x_0=v.x_0,  # type: ignore[attr-defined]
                weight_function=weight_function, proposal_id=0,
            )

        return judge


def _rejected(theta: object) -> Particle:
    """A candidate whose run gave no value for some target: density 0 (a log-density of -inf, as the
    stochastic kernel's 'distance' is), so it is rejected and counts as one evaluation."""
    return Particle(m=0, parameter=theta, weight=0.0, sum_stat={}, distance=-np.inf, accepted=False, proposal_id=0,
                    preliminary=False)
