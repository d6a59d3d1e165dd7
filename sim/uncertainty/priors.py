"""Plausible ranges of the model's assumptions, and plausible worlds drawn from them.

    priors = load_priors()                 # the shipped ranges (sim/scenario/priors.yaml)
    worlds = priors.sample_lhs(200, seed=1)   # a Latin hypercube: one row per world, one column per key
    scenario = priors.apply(base, worlds.iloc[0])   # the base scenario in the first world

A world sets every ranged key; a role share's change is taken up by its stage's balancing share
(`balance:` in the file), so the shares still sum to 1. A calibration posterior can stand in for
the ranges: `priors.from_posterior("posterior.parquet")` draws worlds from its weighted rows.

`python -m sim.uncertainty.priors --markdown` prints the table of ranges for the docs; with
`--priors FILE` it checks a user's own priors file first (exit code 2 with every problem found).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.scenario import ROLES, Problem, Scenario, ScenarioError
from sim.scenario.yaml_source import value_at
from sim.uncertainty.keys import numeric_key, roles_group, unknown_key_message
from sim.uncertainty.priors_file import Balance, Contents, Range, implied_range, read_priors

if TYPE_CHECKING:
    from sim.uncertainty.posterior import Posterior

Seed = int | np.integer | np.random.Generator


class Priors:
    """Ranged keys (in file order), balancing shares and excluded keys of one priors file."""

    def __init__(self, contents: Contents) -> None:
        self.ranges: dict[str, Range] = dict(contents.ranges)
        self.balance: dict[str, Balance] = dict(contents.balance)
        self.excluded: dict[str, str] = dict(contents.excluded)
        self.source = contents.source

    def __repr__(self) -> str:
        return f"Priors({self.source!r}, {len(self.ranges)} ranged keys)"

    def __len__(self) -> int:
        return len(self.ranges)

    def __contains__(self, key: object) -> bool:
        return key in self.ranges

    def __getitem__(self, key: str) -> Range:
        return self.ranges[key]

    def keys(self) -> list[str]:
        return list(self.ranges)

    def bounds(self, key: str) -> tuple[float, float]:
        """The plausible (low, high) of a ranged key."""
        r = self.ranges[key]
        return r.low, r.high

    def without(self, keys: Iterable[str]) -> Priors:
        """These priors with some keys held at each scenario's own value, e.g. the keys two strategies differ on."""
        drop = set(keys)
        kept = {k: r for k, r in self.ranges.items() if k not in drop}
        return Priors(Contents(kept, self.balance, self.excluded, self.source))

    # --- drawing worlds ---------------------------------------------------------------------

    def sample_lhs(self, n: int, seed: Seed) -> pd.DataFrame:
        """n worlds as a Latin hypercube over the ranges (sim.uncertainty.worlds.latin_hypercube):
        each key's range is cut into n equal slices and every slice is used once; whole-number keys
        take each whole number in their range with equal chance. One row per world (index `world`)."""
        from sim.uncertainty.worlds import latin_hypercube

        integers = [k for k, r in self.ranges.items() if r.integer]
        return latin_hypercube({k: (r.low, r.high) for k, r in self.ranges.items()}, n, _seed(seed),
                               integers=integers, source=self.source)

    def draw(self, n: int, seed: Seed) -> pd.DataFrame:
        """n worlds (the same call on a Posterior draws from its rows)."""
        return self.sample_lhs(n, seed)

    def from_posterior(self, source: str | Path | pd.DataFrame) -> Posterior:
        """A calibration posterior (Parquet file or table: a column per key path plus `weight`) to draw worlds
        from instead of the ranges; role shares balance by these priors' rules."""
        from sim.uncertainty.posterior import load_posterior

        return load_posterior(source, self)

    # --- applying a world -------------------------------------------------------------------

    def apply(self, scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
        """The scenario in one world: its value of every key given replaced, role shares rebalanced."""
        overrides = self.overrides(scenario, values)
        try:
            return scenario.with_overrides(overrides)
        except ScenarioError as exc:
            shown = ", ".join(f"{k}={_fmt(v)}" for k, v in overrides.items())
            raise ScenarioError([Problem(self.source, None, p.path, f"{p.message} (in the world {shown})", p.value)
                                 for p in exc.problems]) from None

    def overrides(self, scenario: Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
        """The key-path overrides that put a scenario in a world, balancing shares included."""
        data = scenario.model_dump(mode="python")
        clean: dict[str, Any] = {}
        problems = []
        for key, value in values.items():
            info = numeric_key(str(key))
            if info is None:
                message, suggestion = unknown_key_message(str(key))
                problems.append(Problem(self.source, None, str(key), message, suggestion=suggestion))
                continue
            number = _number(value)
            if number is None or not math.isfinite(number):
                problems.append(Problem(self.source, None, key, "a world's value must be a finite number", value))
                continue
            missing = _missing_parent(data, key)
            if missing:
                problems.append(Problem(self.source, None, key, missing))
                continue
            clean[key] = round(number) if info.kind == "int" else number
        if problems:
            raise ScenarioError(problems)
        clean.update(self._balancing(data, clean))
        return clean

    def _balancing(self, data: dict, values: dict[str, Any]) -> dict[str, float]:
        out, problems = {}, []
        groups = {g[0] for g in map(roles_group, values) if g is not None}
        for group in sorted(groups):
            b = self.balance.get(group)
            if b is None or b.key in values:
                continue  # shares given in full (a posterior may), or no rule: the scenario checks the sum
            others = sum(float(values.get(f"{group}.{role}", value_at(data, f"{group}.{role}")) or 0.0)
                         for role in ROLES if role != b.role)
            share = 1.0 - others
            if share < -1e-9 or share > 1 + 1e-9:
                problems.append(Problem(self.source, b.line, b.key, f"the other shares of {group} sum to "
                                        f"{others:.4g} in this world, so {b.role} cannot take up the rest; "
                                        "narrow the ranges of this stage's shares", share))
                continue
            out[b.key] = min(max(round(share, 12), 0.0), 1.0)
        if problems:
            raise ScenarioError(problems)
        return out

    # --- checking a scenario before any world is run ----------------------------------------

    def check_scenario(self, scenario: Scenario) -> None:
        """Raise ScenarioError unless every world of these priors can be applied to the scenario:
        every ranged key exists in it, and every balancing share stays within 0-1 at the ranges' ends."""
        data = scenario.model_dump(mode="python")
        problems = []
        for r in self.ranges.values():
            missing = _missing_parent(data, r.key)
            if missing:
                problems.append(Problem(r.source, r.line, r.key, f"{missing} (scenario {scenario.name!r}); drop "
                                        "this range for it"))
        for b in self.balance.values():
            shares = value_at(data, b.group)
            if not isinstance(shares, dict):
                continue
            low, high = implied_range(self.ranges, b, shares)
            if low < -1e-9 or high > 1 + 1e-9:
                problems.append(Problem(b.source, b.line, b.group, f"with scenario {scenario.name!r}'s other shares, "
                                        f"{b.key} would range {low:.3g} to {high:.3g}, outside 0-1: narrow the "
                                        "ranged shares of this stage for it"))
        if problems:
            raise ScenarioError(problems)

    def outside_ranges(self, scenario: Scenario) -> list[tuple[str, float, float, float]]:
        """(key, the scenario's own value, low, high) for each ranged key whose value in the scenario lies
        outside its plausible range: the worlds replace a value the scenario chose on purpose."""
        data = scenario.model_dump(mode="python")
        out = []
        for key, r in self.ranges.items():
            value = value_at(data, key)
            if isinstance(value, int | float) and not isinstance(value, bool) and not r.low <= value <= r.high:
                out.append((key, float(value), r.low, r.high))
        return out

    def implied_range(self, group: str, scenario: Scenario | None = None) -> tuple[float, float]:
        """Lowest and highest value of a stage's balancing share over the ranges (default shares if no scenario)."""
        b = self.balance[group]
        shares = None if scenario is None else value_at(scenario.model_dump(mode="python"), group)
        return implied_range(self.ranges, b, shares)

    def markdown(self) -> str:
        from sim.uncertainty.priors_table import priors_markdown

        return priors_markdown(self)


def load_priors(path: str | Path | None = None) -> Priors:
    """The shipped priors (path None) or a user's file; raises ScenarioError with file and line for each problem."""
    return Priors(read_priors(path))


def _number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _missing_parent(data: dict, key: str) -> str | None:
    """Why a scenario cannot take a value at key (a career stage it does not have), or None."""
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        holder = value_at(data, ".".join(parts[:i])) if i else data
        if isinstance(holder, list) and part.isdigit() and int(part) >= len(holder):
            return f"the scenario has {len(holder)} item(s) in {'.'.join(parts[:i])}, so no item {part}"
    return None


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.uncertainty.priors",
        description="Check a priors file and print its ranges (the shipped sim/scenario/priors.yaml by default).",
    )
    parser.add_argument("--priors", metavar="FILE", help="a priors file of your own (default: the shipped ranges)")
    parser.add_argument("--markdown", action="store_true", help="print the table of ranges as markdown")
    parser.add_argument("--out", metavar="FILE", help="write the markdown to FILE instead of printing it")
    args = parser.parse_args(argv)
    try:
        priors = load_priors(args.priors)
    except ScenarioError as exc:
        print(f"error: {len(exc.problems)} problem(s) found", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.markdown or args.out:
        text = priors.markdown()
        if args.out:
            from sim.results_io import write_text

            write_text(text, Path(args.out))
            print(f"wrote {args.out}")
        else:
            sys.stdout.write(text)
        return 0
    sourced = sum(r.basis == "sourced" for r in priors.ranges.values())
    print(f"{priors.source}: {len(priors)} ranged keys ({sourced} sourced, {len(priors) - sourced} assumptions), "
          f"{len(priors.balance)} balancing shares, {len(priors.excluded)} exclusions: OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def _seed(seed: Seed) -> int:
    return int(seed.integers(2**63 - 1)) if isinstance(seed, np.random.Generator) else int(seed)
