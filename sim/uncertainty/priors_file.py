"""Reading a priors file: its format, and every check that can fail with the file and line to fix.

The shipped file is sim/scenario/priors.yaml. A user's file either stands alone or starts from the
shipped ranges (`extends: shipped`) and changes, adds or drops some:

    extends: shipped
    ranges:
      teachers.adoption_threshold_mean: {range: [0.40, 0.50], why: our staff survey, 2025}
    drop: [contagion.rounds_per_year]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.scenario import ROLES, Problem, ScenarioError
from sim.scenario.problems import closest
from sim.scenario.yaml_source import KeyPath, read_yaml, validate
from sim.uncertainty.keys import key_info, numeric_key, roles_group, schema_keys, unknown_key_message

SHIPPED = "sim/scenario/priors.yaml"
BASES = ("sourced", "assumption")


def shipped_path() -> Path:
    return Path(str(resources.files("sim.scenario").joinpath("priors.yaml")))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeSpec(_Strict):
    range: tuple[float, float] = Field(description="plausible [low, high], drawn uniformly")
    integer: bool | None = Field(None, description="whole numbers only; as the schema says if omitted")
    default: float | None = Field(None, description="the schema's default, stated for readers; checked")
    basis: Literal[BASES] = "assumption"  # type: ignore[valid-type]
    why: str = Field(min_length=1, description="the source, or the reasoning behind the range")


class BalanceSpec(_Strict):
    role: Literal[ROLES]  # type: ignore[valid-type]
    why: str = Field(min_length=1)


class PriorsFile(_Strict):
    version: Literal[1] = 1
    extends: Literal["shipped"] | None = None
    ranges: dict[str, RangeSpec] = Field(default_factory=dict)
    balance: dict[str, BalanceSpec] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)
    excluded: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class Range:
    """One assumption's plausible range, where it was stated, and why."""

    key: str
    low: float
    high: float
    integer: bool
    default: Any
    basis: str
    why: str
    source: str
    line: int | None = None


@dataclass(frozen=True)
class Balance:
    """The role share of a career stage that takes up what its ranged shares leave."""

    group: str
    role: str
    why: str
    source: str
    line: int | None = None

    @property
    def key(self) -> str:
        return f"{self.group}.{self.role}"


@dataclass(frozen=True)
class Contents:
    ranges: dict[str, Range]
    balance: dict[str, Balance]
    excluded: dict[str, str]
    source: str


def read_priors(path: str | Path | None) -> Contents:
    """Read, merge (for `extends: shipped`) and check a priors file; raise ScenarioError listing every problem."""
    path = shipped_path() if path is None else Path(path)
    source = SHIPPED if path == shipped_path() else str(path)
    data, lines = read_yaml(path)
    spec: PriorsFile = validate(PriorsFile, data, source, lines)  # type: ignore[assignment]
    problems: list[Problem] = []
    own = _contents(spec, source, lines, problems)
    if spec.extends == "shipped":
        base = read_priors(None)
        merged = _overlay(base, own, spec.drop, source, lines, problems)
    else:
        if spec.drop:
            problems.append(Problem(source, lines.get(("drop",)), "drop",
                                    "drop removes keys from the shipped ranges: add `extends: shipped`"))
        merged = own
    problems += check(merged)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.source != source, p.line or 0)))
    return merged


def _contents(spec: PriorsFile, source: str, lines: dict[KeyPath, int], problems: list[Problem]) -> Contents:
    ranges = {}
    for key, r in spec.ranges.items():
        info = key_info(key)
        integer = r.integer if r.integer is not None else bool(info and info.kind == "int")
        line = lines.get(("ranges", key))
        if r.default is not None and info is not None and info.numeric and not _same(r.default, info.default):
            problems.append(Problem(source, lines.get(("ranges", key, "default"), line), key,
                                    f"default {r.default:g} is not the schema's default "
                                    f"({_show(info.default)}, sim/scenario/schema.py); correct it or leave it out"))
        ranges[key] = Range(key, r.range[0], r.range[1], integer, info.default if info else None, r.basis, r.why,
                            source, line)
    balance = {group: Balance(group, b.role, b.why, source, lines.get(("balance", group)))
               for group, b in spec.balance.items()}
    for key in spec.excluded:
        if key in spec.ranges:
            problems.append(Problem(source, lines.get(("excluded", key)), key, "both ranged and excluded"))
        elif not _is_key_or_section(key):
            problems.append(Problem(source, lines.get(("excluded", key)), key, "not a scenario key or section",
                                    suggestion=closest(key, schema_keys())))
    return Contents(ranges, balance, dict(spec.excluded), source)


def _overlay(base: Contents, own: Contents, drop: list[str], source: str, lines: dict[KeyPath, int],
             problems: list[Problem]) -> Contents:
    ranges = dict(base.ranges)
    for i, key in enumerate(drop):
        if key not in ranges:
            problems.append(Problem(source, lines.get(("drop", i)), key, "not ranged in the shipped priors, so "
                                    "nothing to drop", suggestion=closest(key, list(ranges))))
        ranges.pop(key, None)
    ranges.update(own.ranges)
    excluded = {k: v for k, v in base.excluded.items() if k not in own.ranges}
    excluded.update(own.excluded)
    return Contents(ranges, {**base.balance, **own.balance}, excluded, source)


def check(contents: Contents) -> list[Problem]:
    """Every range a real numeric key within the schema's bounds; role shares balanced and able to balance."""
    problems = []
    for r in contents.ranges.values():
        problems += _check_range(r, contents.balance)
    for b in contents.balance.values():
        problems += _check_balance(b, contents)
    return problems


def _check_range(r: Range, balance: dict[str, Balance]) -> list[Problem]:
    info = numeric_key(r.key)
    if info is None:
        message, suggestion = unknown_key_message(r.key)
        return [Problem(r.source, r.line, r.key, message, suggestion=suggestion)]
    out = []
    if not r.low < r.high:
        out.append(Problem(r.source, r.line, r.key, f"range [{r.low:g}, {r.high:g}]: low must be below high"))
    if not (info.admits(r.low) and info.admits(r.high)):
        out.append(Problem(r.source, r.line, r.key, f"range [{r.low:g}, {r.high:g}] goes outside what the "
                           f"scenario accepts ({info.describe_bounds()})"))
    if r.integer != (info.kind == "int"):
        want = "whole numbers" if info.kind == "int" else "any number"
        out.append(Problem(r.source, r.line, r.key, f"integer: {str(r.integer).lower()} does not match the "
                           f"schema, which takes {want}"))
    elif r.integer and not (float(r.low).is_integer() and float(r.high).is_integer()):
        out.append(Problem(r.source, r.line, r.key, f"range [{r.low:g}, {r.high:g}] of a whole-number key must "
                           "have whole-number ends"))
    group = roles_group(r.key)
    if group is not None:
        b = balance.get(group[0])
        if b is None:
            out.append(Problem(r.source, r.line, r.key, "role shares must keep summing to 1: name the share that "
                               f"takes up the change, e.g. balance: {{{group[0]}: {{role: outside, why: ...}}}}"))
        elif b.role == group[1]:
            out.append(Problem(r.source, r.line, r.key, f"{group[1]} balances {group[0]}, so it cannot also be "
                               "ranged: range the other roles, or balance with another"))
    return out


def _check_balance(b: Balance, contents: Contents) -> list[Problem]:
    if numeric_key(b.key) is None or roles_group(b.key) is None:
        return [Problem(b.source, b.line, b.group, "balance names a career stage's role shares, "
                        "e.g. alumni.stages.1.roles")]
    info = key_info(b.key)
    if info is None or info.default is None:  # a stage the default scenario lacks: checked against each scenario
        return []
    low, high = implied_range(contents.ranges, b, None)
    if low < -1e-9 or high > 1 + 1e-9:
        # report it where it was caused: a range added over the file that set the balance, if any
        cause = next((r for k, r in contents.ranges.items() if k.startswith(b.group + ".") and r.source != b.source), b)
        return [Problem(cause.source, cause.line, cause.key if cause is not b else b.group,
                        f"at the ends of the ranges of {b.group}, {b.key} would have to be {low:.3g} to {high:.3g}, "
                        "outside 0-1: narrow the ranged shares of this stage")]
    return []


def implied_range(ranges: dict[str, Range], b: Balance, shares: dict[str, float] | None) -> tuple[float, float]:
    """The balancing share's lowest and highest value, given the stage's other shares (the defaults if None)."""
    low = high = 1.0
    for role in ROLES:
        if role == b.role:
            continue
        key = f"{b.group}.{role}"
        if key in ranges:
            low -= ranges[key].high
            high -= ranges[key].low
        else:
            info = key_info(key)
            fallback = info.default if shares is None and info is not None else 0.0
            value = (shares or {}).get(role, fallback) or 0.0
            low -= value
            high -= value
    return low, high


def _is_key_or_section(path: str) -> bool:
    return key_info(path) is not None or any(k.startswith(path + ".") for k in schema_keys())


def _same(a: Any, b: Any) -> bool:
    return isinstance(b, int | float) and not isinstance(b, bool) and math.isclose(a, b, rel_tol=0, abs_tol=1e-12)


def _show(value: Any) -> str:
    return "none" if value is None else f"{value:g}" if isinstance(value, int | float) else repr(value)
