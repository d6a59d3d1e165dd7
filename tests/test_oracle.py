"""The batched engine and the per-agent oracle (tests/oracle.py) run in lockstep and agree exactly.

Every year, every array of the engine's state (posts, schools, districts, members, partners, the
system's own entries and the static network) and every indicator of the yearly and district frames
must equal the oracle's, bit for bit. Then bugs are planted in the engine, one at a time, and the
comparison must notice each: a check that cannot see a planted bug fails loudly.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario, SchoolSystemModel
from sim.engine import Batch
from sim.engine.state import SystemState
from tests.helpers import scenarios
from tests.oracle import OracleModel

# fields holding row numbers, and the table they point into (a system of a batch counts from its first row)
INDEX_OF = {
    "posts.school": "school", "posts.district": "district", "posts.member": "member",
    "schools.district": "district", "schools.first_post": "post", "schools.leader_member": "member",
    "districts.first_school": "school", "districts.first_post": "post",
    "members.district": "district", "members.school": "school", "members.post": "post",
    "members.founded_partner": "partner", "members.tie_a": "member", "members.tie_b": "member",
    "partners.district": "district", "partners.founder": "member", "partners.schools": "school",
    "systems.placement_order": "school",
}
TABLES = {"posts": "post", "schools": "school", "districts": "district", "members": "member", "partners": "partner"}
# where each table's rows start, per system
FIRST = {"post": "first_post", "school": "first_school", "district": "first_district", "member": "first_member",
         "partner": "first_partner"}


class Mismatch(AssertionError):
    """The engine and the oracle differ."""


def engine_arrays(state: SystemState, b: int) -> dict[str, np.ndarray]:
    """System b's arrays, with row numbers counted from the system's own first rows."""
    sy = state.systems
    first = {kind: getattr(sy, name)[b] for kind, name in FIRST.items()}
    last = {kind: getattr(sy, name)[b + 1] for kind, name in FIRST.items()}
    out: dict[str, Any] = {}
    for table, kind in TABLES.items():
        obj = getattr(state, table)
        lo, hi = first[kind], last[kind]
        for field in dataclasses.fields(obj):
            name, values = f"{table}.{field.name}", getattr(obj, field.name)
            if field.name == "sys":
                if not np.all(values[lo:hi] == b):
                    raise Mismatch(f"{name}: rows of system {b} carry another system's number")
                continue
            if field.name in ("first_post", "first_school"):
                values = values[lo: hi + 1]
            elif field.name in ("tie_a", "tie_b"):
                values = values[(state.members.tie_a >= lo) & (state.members.tie_a < hi)]
            else:
                values = values[lo:hi]
            out[name] = values
    lo, hi = sy.first_placement[b], sy.first_placement[b + 1]
    out["systems.placement_order"] = sy.placement_order[lo:hi]
    for name, kind in INDEX_OF.items():
        values = np.asarray(out[name])
        out[name] = np.where(values >= 0, values - first[kind], values)
    for field in dataclasses.fields(sy):
        if field.name.startswith("first_") or field.name == "placement_order":
            continue
        out[f"systems.{field.name}"] = getattr(sy, field.name)[b: b + 1]
    out["year"] = np.array([state.year])
    return out


def static_neighbours(state: SystemState, b: int) -> list[list[int]]:
    ties, lo, hi = state.static_ties, state.systems.first_post[b], state.systems.first_post[b + 1]
    if not np.all(ties.data == 1.0):
        raise Mismatch("static ties: entries other than 1")
    rows = [ties.indices[ties.indptr[i]: ties.indptr[i + 1]] for i in range(lo, hi)]
    if any(((r < lo) | (r >= hi)).any() for r in rows):
        raise Mismatch(f"static ties: a tie leaves system {b}")
    return [(r - lo).tolist() for r in rows]


def _differ(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return True
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return not np.array_equal(a.astype(float), b.astype(float), equal_nan=True)
    return not np.array_equal(a, b)


def compare_state(engine: dict[str, np.ndarray], oracle: dict[str, np.ndarray], year: int) -> None:
    if set(engine) != set(oracle):
        raise Mismatch(f"state fields differ: engine only {sorted(set(engine) - set(oracle))}, "
                       f"oracle only {sorted(set(oracle) - set(engine))}")
    for name in sorted(engine):
        e, o = np.asarray(engine[name]), np.asarray(oracle[name])
        if name == "partners.schools" and e.ndim == 2 and o.ndim == 2 and e.shape[1] > o.shape[1]:
            # the batch's width is its widest system's; this system's extra columns are padding
            if (e[:, o.shape[1]:] != -1).any():
                raise Mismatch(f"year {year}: partners.schools has schools beyond schools_per_partner")
            e = e[:, : o.shape[1]]
        if _differ(e, o):
            if e.shape != o.shape:
                raise Mismatch(f"year {year}: {name} has shape {e.shape} in the engine, {o.shape} in the oracle")
            where = np.argwhere(~((e == o) | (_isnan(e) & _isnan(o))))[0]
            raise Mismatch(f"year {year}: {name}{list(where)} is {e[tuple(where)]!r} in the engine, "
                           f"{o[tuple(where)]!r} in the oracle")


def _isnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, dtype=bool)


def _same_value(e: Any, o: Any) -> bool:
    if e is None or e is pd.NA or o is None:
        return (e is None or e is pd.NA) and o is None
    if isinstance(e, float | np.floating) or isinstance(o, float):
        return (math.isnan(e) and math.isnan(o)) or float(e) == float(o)
    return e == o


def compare_indicators(yearly: pd.DataFrame, districts: pd.DataFrame, oracle: OracleModel, year: int) -> None:
    """This year's row of the engine's yearly frame and its district rows against the oracle's."""
    row = yearly[yearly["year"] == year].drop(columns=["year", "system"], errors="ignore")
    expected = oracle.yearly_rows[year]
    if set(row.columns) != set(expected):
        raise Mismatch(f"yearly columns differ: engine only {sorted(set(row.columns) - set(expected))}, "
                       f"oracle only {sorted(set(expected) - set(row.columns))}")
    for column in row.columns:
        e = row[column].iloc[0]
        e = None if pd.isna(e) and column == "tipped_year" else e
        if not _same_value(e, expected[column]):
            raise Mismatch(f"year {year}: yearly {column} is {e!r} in the engine, {expected[column]!r} in the oracle")
    mine = districts[districts["year"] == year].drop(columns=["year", "system"], errors="ignore")
    for d, (_, engine_row) in enumerate(mine.iterrows()):
        theirs = oracle.district_rows[year][d]
        if engine_row["district"] != oracle.districts[d].name:
            raise Mismatch(f"year {year}: district {d} is {engine_row['district']} in the engine")
        for column in mine.columns.drop("district"):
            if not _same_value(engine_row[column], theirs[column]):
                raise Mismatch(f"year {year}: district {engine_row['district']} {column} is {engine_row[column]!r} "
                               f"in the engine, {theirs[column]!r} in the oracle")


def compare(batch: Batch, b: int, oracle: OracleModel) -> None:
    state = batch.state
    if state.year != oracle.year:
        raise Mismatch(f"years differ: engine {state.year}, oracle {oracle.year}")
    compare_state(engine_arrays(state, b), oracle.arrays(), state.year)
    if static_neighbours(state, b) != oracle.static_neighbours():
        raise Mismatch("the static network differs")
    compare_indicators(batch.yearly([b]), batch.districts([b]), oracle, state.year)


def run_lockstep(scenario: Scenario, seed: int, years: int | None = None) -> None:
    """The Mesa model (a batch of one) and the oracle, year by year, from the same seed."""
    years = scenario.years if years is None else years
    model = SchoolSystemModel(scenario, rng=seed)
    oracle = OracleModel(scenario, rng=seed)
    compare(model._engine, 0, oracle)
    for _ in range(years):
        model.step()
        oracle.step()
        compare(model._engine, 0, oracle)


def run_batch_lockstep(systems: list[Scenario], seeds: list[int], years: int) -> None:
    """A batch of several systems against one oracle each."""
    batch = Batch(systems, seeds, years=years)
    oracles = [OracleModel(s, rng=seed) for s, seed in zip(systems, seeds, strict=True)]
    for _ in range(years + 1):
        for b, oracle in enumerate(oracles):
            try:
                compare(batch, b, oracle)
            except Mismatch as e:
                raise Mismatch(f"system {b} of the batch: {e}") from e
        if batch.state.year < years:
            batch.step()
            for oracle in oracles:
                oracle.step()


@settings(max_examples=20)
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_engine_equals_oracle_on_random_small_systems(scenario: Scenario, seed: int) -> None:
    run_lockstep(scenario, seed)
