"""Hysteresis: ramp a parameter up, then back down, carrying the system's state from step to step.

A system that tipped may not tip back when what tipped it is withdrawn: the institutional loop
(aligned leaders raise district support, which lowers every teacher's threshold) and threshold
contagion itself (a school where everyone practises gives every newcomer full exposure) can hold
the high state. This runs one model per replicate: a burn-in at the start value, then `steps`
values from start to stop and the same values back, `years_per_step` years each. The mechanisms
read the scenario's values every year, so setting `scenario.with_overrides({key: value})` between
steps (Batch.set_scenarios) changes the parameter and keeps everything else: teachers, alumni,
support, practice. Every replicate's ramp and its control run as one batch.

Parameters read only when the system is built (its size, the programme's members and cohorts,
placement, the network, starting levels: sim.engine.levers.BUILD_ONLY) cannot be ramped this way and
are refused, as are labels, the run length and the measures that define the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.engine import Batch
from sim.engine.levers import build_only_reason
from sim.parallel import Backend, local, run_all
from sim.runner import derive_seed
from sim.scenario import ScenarioError
from sim.scenario.problems import Problem
from sim.tipping.fit import Binomial, LogisticFit, fit_logistic, no_crossing
from sim.tipping.reports import HysteresisReport
from sim.tipping.trials import Base, end_scenario, numeric_value, overrides_for

# Besides the values read only when the system is built (sim.engine.levers, which Batch.set_scenarios
# refuses to change mid-run), a ramp refuses what is not a parameter of the system: labels and the run
# length, and the measures (the tipping rule, the gap's quantile, the index) that define the outcome.
NOT_RAMPABLE: dict[str, str] = {
    "name": "a label", "description": "a label", "years": "the run length",
    "tipping": "the tipping rule defines the outcome; ramping it would move the goalposts",
    "students.gap_quantile": "it defines the gap measure; ramping it would move the goalposts",
    "leadership_index": "it defines the leadership index; ramping it would move the goalposts",
}
# Read every year, but only for teachers who join later: a ramp over them acts slowly, through turnover.
NEWCOMERS_ONLY = ("teachers.adoption_threshold_mean", "teachers.adoption_threshold_sd", "teachers.strength_mean",
                  "teachers.orientation_mean", "teachers.rootedness_mean")
SUGGESTION = ("ramp a parameter the mechanisms read every year, e.g. support.district, contagion.adoption_probability, "
              "institutions.district.pressure_needed or an alumni role share")


def check_rampable(key: str, source: str = "--key") -> None:
    """Raise ScenarioError if key is read only when the system is built, or is not a parameter of the system."""
    why = build_only_reason(key)
    if why is not None:
        raise ScenarioError([Problem(
            source, None, key,
            f"is only used when the system is built ({why}), so changing it between years would do nothing; "
            + SUGGESTION,
        )])
    for prefix, why in NOT_RAMPABLE.items():
        if key == prefix or key.startswith(prefix + "."):
            raise ScenarioError([Problem(source, None, key, f"cannot be ramped ({why}); {SUGGESTION}")])


@dataclass(frozen=True)
class Ramp:
    key: str
    values: list[float]  # the forward branch, start to stop; the back branch is the same values reversed
    years_per_step: int
    burn_in: int
    balance: str | None = None


@dataclass(frozen=True)
class RampJob:
    base: Base
    ramp: Ramp
    seeds: tuple[int, ...]  # one per replicate in this job
    replicates: tuple[int, ...]


def ramp_job(job: RampJob) -> pd.DataFrame:
    """Replicates of the ramp, each beside its control (the same seed held at the start value for as
    long, so that a transition time alone would bring is not read as the ramp's), as one batch."""
    base, ramp = job.base, job.ramp
    scenarios = {v: base.build(overrides_for(base, ramp.key, v, ramp.balance)) for v in ramp.values}
    first = scenarios[ramp.values[0]]
    n = len(job.seeds)
    batch = Batch([first] * (2 * n), [*job.seeds, *job.seeds])
    batch.run(ramp.burn_in)
    rule = first.tipping
    rows = []
    schedule = [("forward", v) for v in ramp.values] + [("back", v) for v in reversed(ramp.values)]
    for step, (branch, value) in enumerate(schedule):
        batch.set_scenarios([scenarios[value]] * n + [first] * n)
        batch.run(ramp.years_per_step)
        metric = batch.recorder.system["tipping_metric"][: batch.state.year + 1]
        # "tipped" at a step is the scenario's rule applied to the step's own last years: the run's
        # tipped_year only records the first time, and a ramp asks about now
        held = metric[-min(rule.sustained_years, ramp.years_per_step):]
        reached = held <= rule.level if rule.downward else held >= rule.level
        tipped = reached.all(axis=0)
        for i, replicate in enumerate(job.replicates):
            rows.append({"replicate": replicate, "step": step, "branch": branch, "value": value,
                         "year": batch.state.year, "tipping_metric": float(metric[-1, i]), "tipped": bool(tipped[i])})
            rows.append({"replicate": replicate, "step": step, "branch": "control", "value": ramp.values[0],
                         "year": batch.state.year, "tipping_metric": float(metric[-1, n + i]),
                         "tipped": bool(tipped[n + i])})
    return pd.DataFrame(rows)


def check_ramp(base: Base, ramp: Ramp) -> None:
    """Raise ScenarioError, naming --key, --from or --to, unless both ends of the ramp are valid scenarios."""
    check_rampable(ramp.key)
    numeric_value(base, ramp.key)
    end_scenario(base, ramp.key, ramp.values[0], ramp.balance, "--from")
    end_scenario(base, ramp.key, ramp.values[-1], ramp.balance, "--to")


def run_hysteresis(base: Base, ramp: Ramp, replicates: int, seed: int, workers: int = 1,
                   backend: Backend | None = None) -> pd.DataFrame:
    """Every replicate's ramp, one row per replicate and step (and its control)."""
    check_ramp(base, ramp)
    backend = backend or local(min(workers, replicates))
    per_job = max(1, -(-replicates // backend.workers))
    jobs = [RampJob(base, ramp, tuple(derive_seed(seed, r) for r in chunk), tuple(chunk))
            for chunk in (range(lo, min(lo + per_job, replicates)) for lo in range(0, replicates, per_job))]
    frame = pd.concat(run_all(backend, ramp_job, jobs), ignore_index=True)
    return frame.sort_values(["replicate", "step", "branch"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class BranchFit:
    branch: str
    fit: LogisticFit | None  # None when the branch shows no transition
    tipped_share: float  # share of replicate-steps tipped on the branch


@dataclass(frozen=True)
class Hysteresis:
    forward: BranchFit
    back: BranchFit
    start: float
    persisted: float  # of replicates tipped at the end of the forward branch, the share still tipped at the end
    tipped_forward: int  # replicates tipped at the end of the forward branch
    control_tipped: float  # share of replicates tipped at the end with the value held at the start

    @property
    def interval(self) -> tuple[float, float] | None:
        """Values where the state depends on the path: between the back and forward thresholds.

        When the back branch never tips back, the interval reaches the start of the ramp: the
        tipped state held everywhere the ramp went."""
        if self.forward.fit is None:
            return None
        there = self.forward.fit.midpoint
        if self.back.fit is not None:
            back = self.back.fit.midpoint
            return (min(there, back), max(there, back))
        if self.tipped_forward and self.persisted >= 0.5:
            return (min(self.start, there), max(self.start, there))
        return None

    @property
    def significant(self) -> bool:
        """The branches' thresholds differ beyond both intervals, or most tipped replicates stayed
        tipped all the way back while the control (held at the start) did not tip."""
        if self.forward.fit is None:
            return False
        if self.back.fit is not None:
            a, b = self.forward.fit.ci, self.back.fit.ci
            return a[1] < b[0] or b[1] < a[0]
        return bool(self.tipped_forward and self.persisted >= 0.5 and not self.control_tipped >= 0.5)


def _branch(part: pd.DataFrame, branch: str, low: float, high: float, confidence: float) -> BranchFit:
    data = Binomial.from_outcomes(part["value"].to_numpy(float), part["tipped"].to_numpy(bool))
    share = float(data.k.sum() / data.n.sum()) if data.n.sum() else float("nan")
    if not (data.mixed and data.x.size >= 2) or no_crossing(data, "value") is not None:
        return BranchFit(branch, None, share)  # no threshold on this branch inside the ramp
    fit = fit_logistic(data, (low, high), confidence)
    # an interval spanning the whole ramp means the share tipped does not change along it
    if fit.ci[0] <= low and fit.ci[1] >= high:
        return BranchFit(branch, None, share)
    # the logistic fit counts every step of a replicate as a run of its own, but a replicate is one run
    # carried along the ramp: its interval would be too narrow. The interval kept is the replicates'.
    ci, open_ = crossing_interval(part, branch == "forward", low, high, confidence)
    return BranchFit(branch, replace(fit, ci=ci, ci_open=open_), share)


def crossing_interval(part: pd.DataFrame, forward: bool, low: float, high: float,
                      confidence: float) -> tuple[tuple[float, float], bool]:
    """A distribution-free interval for the median value at which replicates cross on a branch.

    Each replicate counts once: it crosses (tips going forward, falls back going back) somewhere between
    two steps, or beyond an end of the ramp. The interval runs from the k-th lowest of the replicates'
    lower edges to the k-th highest of their upper edges, with k the largest order that still covers
    the median at `confidence` (a binomial count, as for any median); with too few replicates for that,
    it is the whole ramp, and open."""
    from scipy import stats

    lower, upper = [], []
    for _, steps in part.sort_values("step").groupby("replicate", sort=True):
        values, tipped = steps["value"].to_numpy(float), steps["tipped"].to_numpy(bool)
        crossed = tipped if forward else ~tipped
        i = int(np.argmax(crossed)) if crossed.any() else values.size
        before = values[i - 1] if i > 0 else (-np.inf if forward else np.inf)
        after = values[i] if i < values.size else (np.inf if forward else -np.inf)
        lower.append(min(before, after))
        upper.append(max(before, after))
    n = len(lower)
    k = 0  # the largest k with P(k <= Binomial(n, 1/2) <= n - k) >= confidence
    while k + 1 <= n // 2 and 1 - 2 * stats.binom.cdf(k, n, 0.5) >= confidence:
        k += 1
    if k == 0:
        return (low, high), True
    lo, hi = float(np.sort(lower)[k - 1]), float(np.sort(upper)[n - k])
    return (max(lo, low), min(hi, high)), bool(lo <= low or hi >= high)


def analyse(frame: pd.DataFrame, confidence: float = 0.95) -> Hysteresis:
    """Fit P(tipped) against the value on each branch; the bistable interval lies between them."""
    low, high = float(frame["value"].min()), float(frame["value"].max())
    start = float(frame.loc[frame["step"] == 0, "value"].iloc[0])
    forward, back = frame[frame["branch"] == "forward"], frame[frame["branch"] == "back"]
    end_forward = forward[forward["step"] == forward["step"].max()].set_index("replicate")["tipped"]
    end_back = back[back["step"] == back["step"].max()].set_index("replicate")["tipped"]
    tipped = end_forward[end_forward].index
    persisted = float(end_back.loc[tipped].mean()) if len(tipped) else float("nan")
    control = frame[frame["branch"] == "control"]
    at_end = control[control["step"] == control["step"].max()]["tipped"].mean() if len(control) else np.nan
    return Hysteresis(
        _branch(forward, "forward", low, high, confidence), _branch(back, "back", low, high, confidence),
        start, persisted, len(tipped), float(at_end),
    )


def hysteresis_report(base: Base, ramp: Ramp, replicates: int, seed: int, confidence: float = 0.95,
                      workers: int = 1) -> HysteresisReport:
    """Run every replicate's ramp and say whether the state depends on the path."""
    frame = run_hysteresis(base, ramp, replicates, seed, workers)
    return HysteresisReport(base.name, ramp.key, ramp.values[0], ramp.values[-1], len(ramp.values),
                            ramp.years_per_step, ramp.burn_in, replicates, seed, confidence, frame,
                            analyse(frame, confidence))
