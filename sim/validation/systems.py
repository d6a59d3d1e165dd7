"""What the patterns share: the shipped scenarios, the seeds, how many replicates a run uses, and
one-school systems into whose state a network and thresholds are put (the classic contagion results
run through the model's own mechanisms this way)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from sim.engine import Batch
from sim.runner import derive_seed
from sim.scenario import Scenario, load_scenario

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
# every shipped scenario; national (about a million teachers) only in a full run
SHIPPED = ("ancash", "clustered", "dispersed", "all_districts", "two_districts", "alumni_return", "alumni_spread",
           "london", "delhi", "national")
SEED = 0  # replicate r runs with derive_seed(SEED, r), as `critical-mass run --seed 0 --replicates R` does


@dataclass(frozen=True)
class Effort:
    """How many replicates each kind of measurement uses in a run."""

    quick: bool
    graphs: int  # random graphs per size (Centola 2010)
    groups: int  # groups per committed-minority size (Centola et al. 2018)
    small: int  # replicates of the small shipped scenarios (about 4,000 teachers)
    large: int  # replicates of London and Delhi
    baseline_seeds: int  # seeds of the still-baseline check (national: always one)

    @property
    def scenarios(self) -> tuple[str, ...]:
        return SHIPPED[:-1] if self.quick else SHIPPED

    def replicates(self, name: str) -> int:
        return self.large if name in ("london", "delhi") else self.small


FULL = Effort(quick=False, graphs=200, groups=200, small=16, large=8, baseline_seeds=3)
QUICK = Effort(quick=True, graphs=20, groups=20, small=3, large=1, baseline_seeds=1)


def effort(quick: bool) -> Effort:
    return QUICK if quick else FULL


def seeds(n: int) -> list[int]:
    """The first n replicate seeds: a quick run uses the first few of a full run's."""
    return [derive_seed(SEED, r) for r in range(n)]


def load(name: str, overrides: dict[str, Any] | None = None) -> Scenario:
    """A shipped scenario by name (tests replace this to plant a change)."""
    return load_scenario(SCENARIO_DIR / f"{name}.yaml", overrides)


# the practice mechanism reduced to a pure threshold rule: unit influence weights, nothing lowering a
# threshold, no careers, institutions, programme or partners (tests/test_science.py uses the same)
PURE_THRESHOLD: dict[str, Any] = {
    "contagion.adoption_probability": 1.0, "contagion.spontaneous_adoption": 0.0, "contagion.lapse_rate": 0.0,
    "contagion.strength_weight": 0.0, "contagion.rootedness_weight": 0.0, "teachers.novice_discount": 0.0,
    "support.leader": 0.0, "support.district": 0.0, "support.partner": 0.0, "careers.enabled": False,
    "institutions.enabled": False, "programme.cohort_size": 0, "partners.initial": 0,
}


def one_school(teachers: int, overrides: dict[str, Any]) -> Scenario:
    base = {"years": 1, "system": {"districts": 1, "schools_per_district": 1, "teachers_per_school": teachers,
                                   "school_size_spread": 0}}
    return Scenario.from_dict(base, overrides)


def one_school_systems(networks: Sequence[sp.spmatrix], overrides: dict[str, Any],
                       system_seeds: Sequence[int]) -> Batch:
    """A batch of one-school systems, system k's teachers tied by networks[k] (an n x n 0/1 matrix)."""
    sizes = [g.shape[0] for g in networks]
    scenarios = {n: one_school(n, overrides) for n in set(sizes)}
    batch = Batch([scenarios[n] for n in sizes], list(system_seeds))
    assert np.array_equal(np.diff(batch.state.systems.first_post), sizes), "one school of exactly n teachers each"
    batch.state.static_ties = sp.block_diag([sp.csr_matrix(g, dtype=float) for g in networks], format="csr")
    return batch


def complete_graph(n: int) -> sp.csr_matrix:
    return sp.csr_matrix(np.ones((n, n)) - np.eye(n))


def ring_lattice(n: int, degree: int) -> sp.csr_matrix:
    rows = np.repeat(np.arange(n), degree)
    offsets = np.tile(np.concatenate([np.arange(1, degree // 2 + 1), -np.arange(1, degree // 2 + 1)]), n)
    return sp.csr_matrix((np.ones(rows.size), (rows, (rows + offsets) % n)), shape=(n, n))


def random_regular(n: int, degree: int, seed: int) -> sp.csr_matrix:
    import networkx as nx

    graph = nx.random_regular_graph(degree, n, seed=seed)
    return sp.csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr").astype(float))
