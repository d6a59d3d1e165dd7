"""Scenario key paths read from the schema itself: which exist, which are numbers, and their bounds.

A key path is dotted, list items by index (`alumni.stages.1.roles.classroom`), dict entries by key
(`leadership_index.weights.network`). Bounds come from the pydantic Field constraints (ge, gt, le,
lt), so a range can never allow a value the scenario would reject; the few bounds the schema
enforces in validators instead are listed in VALIDATOR_BOUNDS.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, cast

import annotated_types
from pydantic import BaseModel

from sim.scenario import Scenario
from sim.scenario.problems import closest
from sim.scenario.renames import new_name
from sim.scenario.yaml_source import value_at

# bounds the schema checks in validators rather than in Field(...); keep in step with sim/scenario/schema.py
VALIDATOR_BOUNDS: dict[str, tuple[float, float]] = {
    "teachers.initial_practice": (0.0, 1.0),
    "programme.cohort_sizes.*": (0.0, 1_000_000.0),
    "leadership_index.weights.*": (0.0, math.inf),
}


@dataclass(frozen=True)
class KeyInfo:
    """One scenario key path: its kind, its bounds in the schema, and its default (None where there is none)."""

    path: str
    kind: Literal["int", "float", "other"]
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    default: Any = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    def admits(self, value: float) -> bool:
        """Whether the schema accepts this value."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe_bounds(self) -> str:
        lo = "" if self.low == -math.inf else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = "" if self.high == math.inf else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " and ".join(b for b in (lo, hi) if b) or "any number"


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _kind(annotation: Any) -> Literal["int", "float", "other"]:
    """int or float where the annotation admits a plain number (float | 'equilibrium' counts as float)."""
    args = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (
        annotation,)
    if float in args:
        return "float"
    if int in args:
        return "int"
    return "other"


def _field_bounds(field: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            out.update(low=float(cast(Any, item.ge)))
        elif isinstance(item, annotated_types.Gt):
            out.update(low=float(cast(Any, item.gt)), low_open=True)
        elif isinstance(item, annotated_types.Le):
            out.update(high=float(cast(Any, item.le)))
        elif isinstance(item, annotated_types.Lt):
            out.update(high=float(cast(Any, item.lt)), high_open=True)
    return out


def _list_item(annotation: Any) -> Any | None:
    """The item annotation of list[...] or list[...] | None, else None."""
    candidates = typing.get_args(annotation) if typing.get_origin(annotation) in (
        typing.Union, types.UnionType) else (annotation,)
    for candidate in candidates:
        if typing.get_origin(candidate) is list:
            return typing.get_args(candidate)[0]
    return None


@cache
def _default_data() -> dict[str, Any]:
    return Scenario().model_dump(mode="python")


def key_info(path: str) -> KeyInfo | None:
    """What the schema says about a key path, or None where no scenario could have it."""
    parts = path.split(".")
    current: Any = Scenario
    bounds: dict[str, Any] = {}
    kind: Literal["int", "float", "other"] = "other"
    wildcard: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if not _is_model(current) or part not in current.model_fields:
            return None
        field = current.model_fields[part]
        annotation = field.annotation
        wildcard.append(part)
        item = _list_item(annotation)
        if _is_model(annotation):
            current = annotation
        elif item is not None:
            if i + 1 == len(parts):  # the list itself
                return KeyInfo(path, "other", default=value_at(_default_data(), path))
            index = parts[i + 1]
            longest = _max_length(field)
            if not index.isdigit() or (longest is not None and int(index) >= longest):
                return None
            wildcard.append("*")
            i += 1
            if _is_model(item):
                current = item
            else:  # a list of plain values (cohort_sizes): its items are the leaves
                kind, bounds = _kind(item), {}
                if i + 1 != len(parts):
                    return None
                current = None
        elif typing.get_origin(annotation) is dict:
            key_type, value_type = typing.get_args(annotation)
            if i + 1 != len(parts) - 1 or parts[i + 1] not in typing.get_args(key_type):
                return None
            wildcard.append("*")
            kind, bounds, current = _kind(value_type), {}, None
            i += 1
        else:
            if i + 1 != len(parts):
                return None
            kind, bounds, current = _kind(annotation), _field_bounds(field), None
        i += 1
    if current is not None:  # a section, not a value
        return None
    special = VALIDATOR_BOUNDS.get(".".join(wildcard)) or VALIDATOR_BOUNDS.get(path)
    if special:
        bounds = {"low": special[0], "high": special[1]}
    return KeyInfo(path, kind, default=value_at(_default_data(), path), **bounds)


def _max_length(field: Any) -> int | None:
    for item in field.metadata:
        if isinstance(item, annotated_types.MaxLen):
            return int(item.max_length)
    return None


def numeric_key(path: str) -> KeyInfo | None:
    info = key_info(path)
    return info if info is not None and info.numeric else None


@cache
def schema_keys() -> tuple[str, ...]:
    """Every leaf key path of the default scenario (career stages as the default has them)."""
    out: list[str] = []

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict) and (not prefix or key_info(prefix) is None):
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else key)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                walk(item, f"{prefix}.{index}")
        else:
            out.append(prefix)

    walk(_default_data(), "")
    return tuple(out)


def unknown_key_message(path: str) -> tuple[str, str | None]:
    """Why a path is not a numeric scenario key, and the likely intended key."""
    renamed = new_name(path)
    if renamed is not None:
        return f"renamed: this key is now called {renamed}", None
    info = key_info(path)
    if info is not None and info.kind == "other":
        return "not a number in the scenario (names, switches, rules and lists cannot be ranged)", None
    return "not a scenario key", closest(path, schema_keys())


def roles_group(path: str) -> tuple[str, str] | None:
    """('alumni.stages.1.roles', 'classroom') for a role-share key path, else None."""
    head, _, role = path.rpartition(".")
    if head.endswith(".roles") and head.startswith("alumni.stages."):
        return head, role
    return None
