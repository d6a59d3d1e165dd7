"""ABC by sequential Monte Carlo (pyabc), with a measurement-noise model for the targets, resumable.

The targets' sd is taken at its word: a target's value is the model's outcome plus a normal error of
that SD. pyabc's stochastic acceptor accepts a candidate with probability exp(-d^2 / 2T), d being
the standardised distance sqrt(sum((outcome - value) / sd)^2), and anneals the temperature T over
the populations to 1 at the last, where the accepted particles are a sample of the exact posterior
under that error model (Wilkinson 2013; Schälte & Hasenauer 2020). T is what pyabc records as each
population's epsilon.

pyabc keeps every finished population in an SQLite history. Before each population starts, the
state pyabc's schedule carries from one population to the next (temperature, acceptor and kernel)
is saved beside it (state/), so a resumed run picks up exactly where the killed one was and, with
the sampler's per-population seeds (sim.calibration.sampler), gives the same populations as an
uninterrupted run. This module imports pyabc (about 7 s); only `critical-mass calibrate` imports it.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyabc
from pyabc.model import Model

from sim.calibration.evaluate import simulate
from sim.calibration.sampler import BatchSampler, RoundReport
from sim.calibration.schema import LoadedCalibration
from sim.results_io import atomic_write
from sim.runner import derive_seed

HISTORY = "history.db"
STATE = "state"
# pyabc's multivariate normal proposal at twice Silverman's bandwidth: wider proposals keep the importance weights
# even at the last population (its effective sample size), for a little acceptance
SCALING = 2.0


class _NeverRun(Model):
    """pyabc needs a model object; BatchSampler runs the real model in batches, so this is never called."""

    def sample(self, pars: object) -> dict:
        raise AssertionError("the calibration's model runs go through BatchSampler, not pyabc's model")


class _ResumableABCSMC(pyabc.ABCSMC):
    """pyabc.ABCSMC that saves what its schedule carries between populations, and restores it on resume.

    pyabc on its own re-derives the temperature from the last stored population when a run is
    loaded, from less than the uninterrupted run had (its rejected candidates are not stored) and
    counting populations from the resume, so a resumed run would anneal differently. Here, before
    population t starts, the state of the kernel, temperature and acceptor is saved (state/t{t}.pkl),
    and every population's whole sample, rejected candidates included, is saved before pyabc stores
    the population (state/sample{t}.pkl). A resume at t restores state/t{t}.pkl; if the kill came
    after population t-1 was stored but before that file was written, it replays pyabc's step from
    population t-1 to t from the saved sample and state/t{t-1}.pkl instead. Either way the state
    equals the uninterrupted run's.
    """

    state_dir: Path

    def _initialize_dist_eps_acc(self, t: int) -> None:
        saved = read_state(self.state_dir, t)
        if saved is None and t > 0:
            saved = self._replay_step_to(t)
        if saved is not None:
            self.distance_function, self.eps, self.acceptor = saved
            return
        super()._initialize_dist_eps_acc(t)  # a new calibration

    def _replay_step_to(self, t: int) -> tuple | None:
        previous, kept = read_state(self.state_dir, t - 1), read_sample(self.state_dir, t - 1)
        if previous is None or kept is None:
            return None
        self.distance_function, self.eps, self.acceptor = previous
        sample, evaluations = kept
        self._fit_transitions(t - 1)
        sample.normalize_weights()
        population = sample.get_accepted_population()
        self._prepare_next_iteration(t=t, sample=sample, population=population,
                                     acceptance_rate=len(population) / evaluations)
        write_state(self.state_dir, t, (self.distance_function, self.eps, self.acceptor))
        return self.distance_function, self.eps, self.acceptor

    def run_generation(self, t: int) -> dict:
        write_state(self.state_dir, t, (self.distance_function, self.eps, self.acceptor))
        return super().run_generation(t)


def _read(path: Path) -> object | None:
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        return pickle.load(fh)


def _write(path: Path, value: object) -> None:
    data = pickle.dumps(value)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def read_state(directory: Path, t: int) -> tuple | None:
    return _read(directory / f"t{t}.pkl")  # type: ignore[return-value]


def write_state(directory: Path, t: int, state: tuple) -> None:
    _write(directory / f"t{t}.pkl", state)


def read_sample(directory: Path, t: int) -> tuple | None:
    return _read(directory / f"sample{t}.pkl")  # type: ignore[return-value]


def keep_sample(directory: Path, t: int, sample: object, evaluations: int) -> None:
    if t >= 0:  # pyabc's calibration sample (t = -1) is not a population
        _write(directory / f"sample{t}.pkl", (sample, evaluations))


@dataclass
class SmcResult:
    populations_done: int
    last_epsilon: float
    stopped_early: bool  # the acceptance rate fell below the file's min_acceptance_rate
    simulated: int  # candidates simulated in this sitting (each `replicates` model runs)
    model_cpu_seconds: float  # summed over workers


def run_smc(
    loaded: LoadedCalibration,
    directory: Path,
    *,
    populations: int,
    population_size: int,
    seed: int,
    backend: object,
    resume: bool,
    on_round: Callable[[RoundReport], None] | None = None,
) -> SmcResult:
    """Run (or continue) the ABC-SMC populations; every finished population is in DIR/history.db."""
    if "ABC_LOG_LEVEL" not in os.environ:
        logging.getLogger("ABC").setLevel(logging.WARNING)  # the progress bar says what its INFO lines would
    cal = loaded.calibration
    labels = [loaded.label(i) for i in range(len(cal.targets))]
    measures = loaded.measures
    counters = {"simulated": 0, "seconds": 0.0}

    def evaluate_round(candidates: list[dict[str, float]], t: int, first: int) -> list[dict[str, float] | None]:
        scenarios = [loaded.scenario(values) for values in candidates]
        seeds = np.array([[derive_seed(seed, 11, t + 1, first + i, r) for r in range(cal.replicates)]
                          for i in range(len(candidates))], dtype=np.int64)
        values, seconds = simulate(scenarios, seeds, loaded.years, measures, backend)
        counters["simulated"] += len(candidates)
        counters["seconds"] += seconds
        means = values.mean(axis=1)
        return [dict(zip(labels, map(float, row), strict=True)) if np.isfinite(row).all() else None for row in means]

    priors = pyabc.Distribution(**{p.key: pyabc.RV("uniform", p.between[0], p.between[1] - p.between[0])
                                   for p in cal.parameters})
    kernel = pyabc.IndependentNormalKernel(var=[t.sd**2 for t in cal.targets], keys=labels)
    abc = _ResumableABCSMC(
        models=_NeverRun(name="critical-mass"), parameter_priors=priors, distance_function=kernel,
        transitions=pyabc.MultivariateNormalTransition(scaling=SCALING),
        population_size=population_size, eps=pyabc.Temperature(),
        # normalised by the kernel's own peak (a perfect match), so a candidate is accepted with probability
        # exp(-d^2 / 2T) exactly; pyabc's default normalises by the best match found so far, which inflates some
        # weights when the targets cannot all be met (few effective particles)
        acceptor=pyabc.StochasticAcceptor(pdf_norm_method=pyabc.acceptor.pdf_norm_from_kernel),
        sampler=BatchSampler(evaluate_round, seed, on_round,
                             on_sample=lambda t, sample, n: keep_sample(directory / STATE, t, sample, n)),
    )
    abc.state_dir = directory / STATE
    database = "sqlite:///" + str((directory / HISTORY).resolve())
    if resume:
        history = abc.load(database, 1)
    else:
        history = abc.new(database, {label: float(t.value) for label, t in zip(labels, cal.targets, strict=True)})
    done = history.max_t + 1
    stopped = False
    if done < populations and not _reached_one(history):
        abc.run(max_nr_populations=populations - done, min_acceptance_rate=cal.min_acceptance_rate)
        last = history.get_all_populations()
        rate = last["particles"].iloc[-1] / last["samples"].iloc[-1] if len(last) else 1.0
        stopped = (history.max_t + 1 < populations and not _reached_one(history)) or rate < cal.min_acceptance_rate
    final = history.get_all_populations()
    final = final[final["t"] >= 0]
    return SmcResult(int(history.max_t + 1), float(final["epsilon"].iloc[-1]) if len(final) else float("nan"),
                   bool(stopped), int(counters["simulated"]), counters["seconds"])


def _reached_one(history: object) -> bool:
    """The temperature reached 1: the last population is the exact posterior under the targets' errors."""
    table = history.get_all_populations()  # type: ignore[attr-defined]
    table = table[table["t"] >= 0]
    return bool(len(table)) and float(table["epsilon"].iloc[-1]) <= 1.0
