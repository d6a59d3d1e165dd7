"""Hysteresis: ramp a parameter up, then back down, carrying the system's state from step to step.

A system that tipped may not tip back when what tipped it is withdrawn: the institutional loop
(aligned leaders raise district support, which lowers every teacher's threshold) and threshold
contagion itself (a school where everyone practises gives every newcomer full exposure) can hold
the high state. This runs one model per replicate: a burn-in at the start value, then `steps`
values from start to stop and the same values back, `years_per_step` years each. The mechanisms
read `model.config` every year, so swapping in `scenario.with_overrides({key: value})` between
steps changes the parameter and keeps everything else: teachers, alumni, support, practice.

Parameters read only when the system is built (its size, the programme's members and cohorts,
placement, the network, starting levels) cannot be ramped this way and are refused.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
import pandas as pd

from sim.model import SchoolSystemModel
from sim.runner import derive_seed
from sim.scenario import ScenarioError
from sim.scenario.problems import Problem
from sim.scenario.schema import TippingSection
from sim.tipping.fit import Binomial, LogisticFit, fit_logistic
from sim.tipping.trials import Base, numeric_value, overrides_for

# Read by sim/build.py (or the model's constructor) and never again: changing them mid-run would do
# nothing, or, for array shapes, break the state. Checked by tests against a mid-run change.
BUILD_ONLY: dict[str, str] = {
    "name": "a label", "description": "a label", "years": "the run length",
    "system": "the system's size and make-up are drawn when it is built",
    "teachers.initial_practice": "the share practising at the start",
    "programme.cohort_size": "every fellow the scenario will recruit is drawn when the system is built",
    "programme.cohorts": "every fellow the scenario will recruit is drawn when the system is built",
    "programme.cohort_sizes": "every fellow the scenario will recruit is drawn when the system is built",
    "programme.strength": "members' traits are drawn when the system is built",
    "programme.orientation": "members' traits are drawn when the system is built",
    "programme.representation": "members' traits are drawn when the system is built",
    "placement": "host schools are chosen when the system is built",
    "network": "ties are drawn when the system is built",
    "institutions.leader_threshold_mean": "leaders' thresholds are drawn when the system is built",
    "institutions.leader_threshold_sd": "leaders' thresholds are drawn when the system is built",
    "institutions.district.initial": "a starting level",
    "institutions.ministry.initial": "a starting level",
    "partners.initial": "backbone partners are opened when the system is built",
    "partners.schools_per_partner": "partner rows are sized when the system is built",
    "students.entry_gap": "each school's entry level is set when the system is built",
    "students.grades": "grade cohorts are sized when the system is built",
    "tipping": "the tipping rule defines the outcome; ramping it would move the goalposts",
}
# Read every year, but only for teachers who join later: a ramp over them acts slowly, through turnover.
NEWCOMERS_ONLY = ("teachers.threshold_mean", "teachers.threshold_sd", "teachers.strength_mean",
                  "teachers.orientation_mean", "teachers.rootedness_mean")
# system.ministry_staff is read every year, unlike the rest of `system`
RUNTIME_EXCEPTIONS = ("system.ministry_staff", "placement.max_fellow_share")


def check_rampable(key: str, source: str = "--hysteresis") -> None:
    """Raise ScenarioError if key is read only when the system is built."""
    if any(key == k or key.startswith(k + ".") for k in RUNTIME_EXCEPTIONS):
        return
    for prefix, why in BUILD_ONLY.items():
        if key == prefix or key.startswith(prefix + "."):
            raise ScenarioError([Problem(
                source, None, key,
                f"is only used when the system is built ({why}), so changing it between years would do "
                "nothing; ramp a parameter the mechanisms read every year, e.g. support.district, "
                "contagion.adoption_probability, institutions.district.threshold or an alumni role share",
            )])


@dataclass(frozen=True)
class Ramp:
    key: str
    values: list[float]  # the forward branch, start to stop; the back branch is the same values reversed
    years_per_step: int
    burn_in: int
    balance: str | None = None


def ramp_once(base: Base, ramp: Ramp, seed: int) -> pd.DataFrame:
    """One replicate: burn-in at the first value, then forward to the last and back; a row per step."""
    scenarios = {v: base.build(overrides_for(base, ramp.key, v, ramp.balance)) for v in ramp.values}
    first = scenarios[ramp.values[0]]
    rule = first.tipping
    model = SchoolSystemModel(first, rng=seed)
    model.run_for(ramp.burn_in)
    # the control: the same seed held at the start value for as long, so that a transition that
    # time alone would bring (alumni accumulating, spontaneous adoption) is not read as the ramp's
    control = SchoolSystemModel(first, rng=seed)
    control.run_for(ramp.burn_in)
    rows = []
    schedule = [("forward", v) for v in ramp.values] + [("back", v) for v in reversed(ramp.values)]
    for step, (branch, value) in enumerate(schedule):
        model.config = scenarios[value]
        model.run_for(ramp.years_per_step)
        control.run_for(ramp.years_per_step)
        rows.append({"step": step, "branch": branch, "value": value, "year": int(model.time),
                     **_state(model, rule, ramp.years_per_step)})
        rows.append({"step": step, "branch": "control", "value": ramp.values[0], "year": int(control.time),
                     **_state(control, rule, ramp.years_per_step)})
    return pd.DataFrame(rows)


def _state(model: SchoolSystemModel, rule: TippingSection, years: int) -> dict[str, float | bool]:
    metric = model.yearly()["tipping_metric"].to_numpy()
    # "tipped" at a step is the scenario's rule applied to the step's own last years: the run's
    # tipped_year only ever records the first time, and a ramp asks about now
    held = metric[-min(rule.sustained_years, years):]
    return {"tipping_metric": float(metric[-1]), "tipped": bool(np.all(held >= rule.threshold))}


def _replicate(args: tuple[Base, Ramp, int, int]) -> pd.DataFrame:
    base, ramp, seed, replicate = args
    frame = ramp_once(base, ramp, derive_seed(seed, replicate))
    frame.insert(0, "replicate", replicate)
    return frame


def run_hysteresis(base: Base, ramp: Ramp, replicates: int, seed: int, workers: int = 1) -> pd.DataFrame:
    """Every replicate's ramp, one row per replicate and step."""
    check_rampable(ramp.key)
    numeric_value(base, ramp.key)
    base.build(overrides_for(base, ramp.key, ramp.values[-1], ramp.balance))  # validate both ends first
    jobs = [(base, ramp, seed, r) for r in range(replicates)]
    if workers <= 1 or replicates <= 1:
        frames = [_replicate(job) for job in jobs]
    else:
        context = get_context("forkserver")
        context.set_forkserver_preload(["sim.model", "sim.tipping.hysteresis"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            frames = list(pool.map(_replicate, jobs))
    return pd.concat(frames, ignore_index=True)


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
        there = self.forward.fit.threshold
        if self.back.fit is not None:
            back = self.back.fit.threshold
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
    if not (data.mixed and data.x.size >= 2):
        return BranchFit(branch, None, share)
    fit = fit_logistic(data, (low, high), confidence)
    # an interval spanning the whole ramp means the share tipped does not change along it
    flat = fit.ci[0] <= low and fit.ci[1] >= high
    return BranchFit(branch, None if flat else fit, share)


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
