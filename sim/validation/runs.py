"""Replicates of a shipped scenario, with what several patterns read from the model's state on the way:
each year, the classes of first- and second-year programme teachers against other teachers' classes in
the same schools; at the end, where the alumni are.

A scenario is run once per validation and shared (London's run gives its alumni roles and its class
gains). Replicates run as one batch of systems, each bit-identical to a run of its seed alone, so
replicate r is what `critical-mass run <scenario> --seed 0` gives for its replicate r.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine import Batch
from sim.engine.params import Section
from sim.engine.state import (
    ALUMNUS,
    CLASSROOM,
    DISTRICT_OFFICIAL,
    FELLOW,
    GONE,
    MINISTRY,
    NONPROFIT,
    SCHOOL_LEADER,
    SystemState,
)
from sim.mechanisms import students
from sim.validation import systems
from sim.validation.jobs import Job, scenario_cost
from sim.validation.systems import Effort

EDUCATION_OR_SOCIAL = (CLASSROOM, SCHOOL_LEADER, DISTRICT_OFFICIAL, MINISTRY, NONPROFIT)
SENIOR = (SCHOOL_LEADER, DISTRICT_OFFICIAL, MINISTRY)


@dataclass
class ClassSums:
    """Per system, summed over years and over fellows in schools that also have other teachers."""

    fellow_years: np.ndarray
    fellow_class: np.ndarray  # sum over fellows of their class's yearly gain from its teacher's practice
    other_class: np.ndarray  # sum over fellows of the mean such gain of the other teachers' classes in their school
    fellows_practising: np.ndarray
    others_practising: np.ndarray  # sum over fellows of the share of other teachers practising in their school

    @classmethod
    def empty(cls, b: int) -> ClassSums:
        return cls(*(np.zeros(b) for _ in range(5)))


def class_gains(state: SystemState, params: Section) -> dict[str, np.ndarray]:
    """This year's gain of each class from its own teacher's practice, through the model's gain rule.

    The model has no classes: a school's yearly gain is linear in the shares of its posts held by
    practising programme members and by other practising teachers, and every other term (leader,
    district, turnover, disadvantage) is shared by all its classes. So a class's own part is what the
    school's gain loses when its teacher stops practising, times the school's teachers; switching a
    whole group off at once gives the group's total exactly."""
    p, s, m = state.posts, state.schools, state.members
    held = p.member >= 0
    fellow = held & (m.status[np.where(held, p.member, 0)] == FELLOW)
    other = ~held
    saved = p.practising.copy()
    gain = students.yearly_gain(state, params, s.leavers)
    try:
        p.practising[fellow] = False
        without_fellows = students.yearly_gain(state, params, s.leavers)
        p.practising[:] = saved
        p.practising[other] = False
        without_others = students.yearly_gain(state, params, s.leavers)
    finally:
        p.practising[:] = saved
    n_fellows = np.bincount(p.school[fellow], minlength=s.size)
    n_others = np.bincount(p.school[other], minlength=s.size)
    return {
        "fellows": n_fellows.astype(float),
        "others": n_others.astype(float),
        "fellow_total": (gain - without_fellows) * s.teachers,
        "other_total": (gain - without_others) * s.teachers,
        "fellows_practising": np.bincount(p.school[fellow & saved], minlength=s.size).astype(float),
        "others_practising": np.bincount(p.school[other & saved], minlength=s.size).astype(float),
    }


def add_class_year(sums: ClassSums, state: SystemState, params: Section) -> None:
    c, s = class_gains(state, params), state.schools
    both = (c["fellows"] > 0) & (c["others"] > 0)
    w = np.where(both, c["fellows"], 0.0)
    others = np.maximum(c["others"], 1.0)
    b = state.batch_size

    def per_system(values: np.ndarray) -> np.ndarray:
        return np.bincount(s.sys, weights=np.where(both, values, 0.0), minlength=b)

    sums.fellow_years += per_system(w)
    sums.fellow_class += per_system(c["fellow_total"])
    sums.other_class += per_system(w * c["other_total"] / others)
    sums.fellows_practising += per_system(c["fellows_practising"])
    sums.others_practising += per_system(w * c["others_practising"] / others)


def low_income_schools(state: SystemState, fraction: float) -> np.ndarray:
    """The most disadvantaged `fraction` of each district's schools."""
    s, d = state.schools, state.districts
    order = np.lexsort((-s.disadvantage, s.district))  # schools by district, most disadvantaged first
    rank = np.empty(s.size, dtype=np.int64)
    rank[order] = np.arange(s.size) - d.first_school[s.district[order]]
    size = np.diff(d.first_school)[s.district]
    return rank < np.ceil(size * fraction - 1e-9)


def where_alumni_are(state: SystemState, params: Section) -> dict[str, np.ndarray]:
    """Per system, at the end of the run: counts of alumni by what they do, and members' share of the
    teaching posts in low-income schools."""
    m, p, b = state.members, state.posts, state.batch_size

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(m.sys[mask], minlength=b).astype(float)

    alumni = (m.status == ALUMNUS) | (m.status == GONE)
    completed = alumni & (m.years_in_programme >= params.programme.commitment_years[m.sys])
    in_sector = (m.status == ALUMNUS) & np.isin(m.role, EDUCATION_OR_SOCIAL)
    founder = m.founded_partner >= 0
    senior = (m.status == ALUMNUS) & np.isin(m.role, SENIOR)
    shares = {}
    for label, fraction in (("third", 1 / 3), ("half", 1 / 2), ("all", 1.0)):
        low = low_income_schools(state, fraction)[p.school]
        shares[f"member_posts_{label}"] = np.bincount(p.sys[low & (p.member >= 0)], minlength=b).astype(float)
        shares[f"posts_{label}"] = np.bincount(p.sys[low], minlength=b).astype(float)
    return {
        **shares,
        "alumni": count(alumni),
        "alumni_in_sector": count(alumni & in_sector),
        "completed": count(completed),
        "completed_in_sector": count(completed & in_sector),
        "completed_gone": count(completed & (m.status == GONE)),
        "completed_senior_or_founder": count(completed & (senior | founder)),
        "founders": count(founder),
        "completed_founders": count(completed & founder),
        "influence": count((m.status == ALUMNUS) & np.isin(m.role, (*SENIOR, NONPROFIT))),
    }


@dataclass
class ScenarioRun:
    name: str
    seeds: list[int]
    years: int
    yearly: pd.DataFrame  # `system` is the replicate
    classes: ClassSums
    end: dict[str, np.ndarray]  # per replicate

    @property
    def replicates(self) -> int:
        return len(self.seeds)


def run_with_probes(name: str, replicates: int) -> ScenarioRun:
    scenario = systems.load(name)
    seeds = systems.seeds(replicates)
    batch = Batch([scenario] * replicates, seeds)
    sums = ClassSums.empty(replicates)
    for _ in range(scenario.years):
        batch.step()
        add_class_year(sums, batch.state, batch.params)
    return ScenarioRun(name, seeds, scenario.years, batch.yearly(), sums, where_alumni_are(batch.state, batch.params))


def jobs(effort: Effort) -> list[Job]:
    """One job per shipped scenario but national (a million teachers: its baseline and envelope are checked,
    and its class gains would say what the others do)."""
    return [Job(f"run:{name}", "runs:run_with_probes", (name, effort.replicates(name)),
                cost=scenario_cost(name, replicates=effort.replicates(name)))
            for name in effort.scenarios if name != "national"]
