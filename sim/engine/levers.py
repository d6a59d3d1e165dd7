"""Which scenario values a running batch reads every year (live levers), and which only when built.

`Batch.set_scenarios` (and assigning `model.scenario`) changes values from the next year. A value read
only when the system is built cannot change that way: the system's size and make-up, the programme's
members, placement, the network, starting levels and the tipping rule's metric and scope. A change to
one of them is refused, naming the key, rather than silently ignored. Everything else is read every
year; tests/test_engine.py checks this list against the values a year's step actually reads.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sim.scenario import Scenario
from sim.scenario.problems import Problem, ScenarioError

_SYSTEM = "the system's size and make-up are drawn when it is built"
_MEMBERS = "every fellow the scenario will recruit is drawn when the system is built"
_TRAITS = "members' traits are drawn when the system is built"
_PLACEMENT = "host schools are chosen when the system is built"
_RULE = "the tipping rule's metric and scope define what a run measures; measure another in another run"
_SCOPE = "the tipping scope's districts are fixed when the system is built"

# key (or section) -> why it is read only when the system is built
BUILD_ONLY: dict[str, str] = {
    "system.districts": _SYSTEM, "system.district_names": _SYSTEM, "system.schools_per_district": _SYSTEM,
    "system.teachers_per_school": _SYSTEM, "system.school_size_spread": _SYSTEM,
    "system.students_per_teacher": "enrolment is set when the system is built",
    "system.grades": "grade cohorts are sized when the system is built",
    "system.disadvantage": "disadvantage is drawn when the system is built",
    "teachers.initial_practice": "the share practising at the start",
    "programme.cohort_size": _MEMBERS, "programme.cohorts": _MEMBERS, "programme.cohort_sizes": _MEMBERS,
    "programme.strength": _TRAITS, "programme.orientation": _TRAITS, "programme.rootedness": _TRAITS,
    "placement.districts": _PLACEMENT, "placement.district_count": _PLACEMENT, "placement.district_names": _PLACEMENT,
    "placement.clustering": _PLACEMENT, "placement.host_schools": _PLACEMENT, "placement.fellows_per_host": _PLACEMENT,
    "placement.school_priority": _PLACEMENT,
    "network": "ties are drawn when the system is built",
    "institutions.leader_staff_needed_mean": "leaders' readiness is drawn when the system is built",
    "institutions.leader_staff_needed_sd": "leaders' readiness is drawn when the system is built",
    "partners.initial": "backbone partners are opened when the system is built",
    "partners.schools_per_partner": "partner rows are sized when the system is built",
    "students.entry_gap": "each school's entry level is set when the system is built",
    "tipping.metric": _RULE, "tipping.scope": _RULE,
    "tipping.district_count": _SCOPE, "tipping.district_names": _SCOPE,
}


def build_only_reason(key: str) -> str | None:
    """Why a dotted key is read only when the system is built, or None for a live lever."""
    for prefix, why in BUILD_ONLY.items():
        if key == prefix or key.startswith(prefix + "."):
            return why
    return None


def _value(scenario: Scenario, key: str) -> Any:
    value: Any = scenario
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _differences(key: str, before: Any, after: Any) -> list[tuple[str, Any]]:
    """The keys under `key` (itself, or the leaves of a section) whose values differ."""
    if isinstance(before, BaseModel) and isinstance(after, BaseModel):
        return [d for name in type(before).model_fields
                for d in _differences(f"{key}.{name}", getattr(before, name), getattr(after, name))]
    return [] if before == after else [(key, after)]


def check_live_change(before: Scenario, after: Scenario, system: int | None = None) -> None:
    """Raise ScenarioError naming every build-only value that differs between two scenarios of one system."""
    if before is after:
        return
    where = "a running model" if system is None else f"system {system} of a running batch"
    problems = [
        Problem(where, None, leaf, f"is only used when the system is built ({why}), so it cannot change mid-run; "
                "build a new model with it", value)
        for key, why in BUILD_ONLY.items()
        for leaf, value in _differences(key, _value(before, key), _value(after, key))
    ]
    if problems:
        raise ScenarioError(problems)
