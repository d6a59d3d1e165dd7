"""The teacher network as scipy.sparse matrices over teaching posts.

Dense ties inside a school, a few ties across the schools of a district (Centola & Macy 2007's
'long ties'), and the alumni network, which moves with the members who hold posts.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _symmetric_binary(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    data = np.ones(rows.size, dtype=np.float64)
    directed = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    return _binary(directed + directed.T.tocsr())


def _directed(owners: np.ndarray, targets: np.ndarray, n: int) -> sp.csr_matrix:
    """Ties named owner by owner: owners arrive sorted, so the CSR arrays can be written directly."""
    keep = owners != targets
    owners, targets = owners[keep], targets[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=n))]).astype(np.int64)
    data = np.ones(targets.size, dtype=np.float64)
    return sp.csr_matrix((data, targets.astype(np.int32), indptr), shape=(n, n))


def _binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # a tie drawn twice, or named by both people, is still one tie
    return matrix


def static_ties(
    rng: np.random.Generator,
    post_school: np.ndarray,
    school_first_post: np.ndarray,
    district_first_post: np.ndarray,
    post_district: np.ndarray,
    within_school: int,
    across_schools: int,
) -> sp.csr_matrix:
    """Ties within schools and across the schools of a district; posts are laid out school by school."""
    n = post_school.size
    directed = sp.csr_matrix((n, n), dtype=np.float64)
    size = np.diff(school_first_post)[post_school]
    start = school_first_post[:-1][post_school]
    local = np.arange(n) - start
    if within_school > 0:
        # each teacher names up to `within_school` colleagues at random offsets round the school
        k = np.minimum(within_school, size - 1)
        owner = np.repeat(np.arange(n), k)
        if owner.size:
            s = size[owner]
            offset = rng.integers(1, np.maximum(s, 2))
            directed = directed + _directed(owner, start[owner] + (local[owner] + offset) % s, n)
    if across_schools > 0:
        owner = np.repeat(np.arange(n), across_schools)
        lo = district_first_post[:-1][post_district[owner]]
        hi = district_first_post[1:][post_district[owner]]
        other = lo + (rng.random(owner.size) * (hi - lo)).astype(np.int64)
        other = np.minimum(other, hi - 1)
        different = post_school[other] != post_school[owner]
        directed = directed + _directed(owner[different], other[different], n)
    return _binary(directed + directed.T.tocsr())


def alumni_ties(rng: np.random.Generator, members: int, ties_each: int) -> tuple[np.ndarray, np.ndarray]:
    """Member pairs: each member keeps ties to `ties_each` others of the programme, for life."""
    if members < 2 or ties_each == 0:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty
    a = np.repeat(np.arange(members, dtype=np.int32), ties_each)
    b = rng.integers(0, members - 1, a.size).astype(np.int32)
    b = b + (b >= a)  # never oneself
    return a, b


def classroom_alumni_ties(
    tie_a: np.ndarray, tie_b: np.ndarray, member_post: np.ndarray, n_posts: int
) -> sp.csr_matrix:
    """The part of the alumni network that links teaching posts this year."""
    if tie_a.size == 0:
        return sp.csr_matrix((n_posts, n_posts), dtype=np.float64)
    pa, pb = member_post[tie_a], member_post[tie_b]
    both = (pa >= 0) & (pb >= 0)
    return _symmetric_binary(pa[both], pb[both], n_posts)
