"""The teacher network as scipy.sparse matrices over teaching posts.

Dense ties inside a school, a few ties across the schools of a district (Centola & Macy 2007's
'long ties'), and the alumni network, which moves with the members who hold posts. Built for a
whole batch at once: draws per system (sim.engine.streams), arrays for every system together, so a
system's matrix block is the same as when it is built alone.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.engine.state import rank_in_groups
from sim.engine.streams import Streams


def symmetric_ties(owners: np.ndarray, targets: np.ndarray, n: int) -> sp.csr_matrix:
    """A 0/1 symmetric CSR matrix from named ties: a tie named twice, or by both people, is one tie;
    self-ties are dropped. Columns are sorted within each row (so a system's block is the same
    alone or in a batch)."""
    keep = owners != targets
    owners, targets = owners[keep], targets[keep]
    rows, cols = np.concatenate([owners, targets]), np.concatenate([targets, owners])
    # scipy turns (row, col) pairs into CSR with a counting sort by row, then sorts each short row
    matrix = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def static_ties(
    streams: Streams,
    post_sys: np.ndarray,
    post_school: np.ndarray,
    school_first_post: np.ndarray,
    district_first_post: np.ndarray,
    post_district: np.ndarray,
    within_school: np.ndarray,
    across_schools: np.ndarray,
) -> sp.csr_matrix:
    """Ties within schools and across the schools of a district; posts are laid out school by school.

    within_school and across_schools are per system."""
    n = post_school.size
    size = np.diff(school_first_post)[post_school]
    start = school_first_post[:-1][post_school]
    local = np.arange(n) - start
    owners, targets = [], []
    # each teacher names up to `within_school` colleagues at random offsets round the school
    k = np.minimum(within_school[post_sys], size - 1)
    owner = np.repeat(np.arange(n), np.maximum(k, 0))
    if owner.size:
        s = size[owner]
        offset = streams.integers_below(1, np.maximum(s, 2), streams.counts(post_sys[owner]))
        owners.append(owner)
        targets.append(start[owner] + (local[owner] + offset) % s)
    owner = np.repeat(np.arange(n), across_schools[post_sys])
    if owner.size:
        lo = district_first_post[:-1][post_district[owner]]
        hi = district_first_post[1:][post_district[owner]]
        other = lo + (streams.random(streams.counts(post_sys[owner])) * (hi - lo)).astype(np.int64)
        other = np.minimum(other, hi - 1)
        different = post_school[other] != post_school[owner]
        owners.append(owner[different])
        targets.append(other[different])
    if not owners:
        return sp.csr_matrix((n, n), dtype=np.float64)
    return symmetric_ties(np.concatenate(owners), np.concatenate(targets), n)


def alumni_ties(streams: Streams, member_sys: np.ndarray, first_member: np.ndarray,
                ties_each: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Member pairs within each system: each member names `ties_each` distinct others of the programme
    (every other member when there are fewer), for life. A pair who name each other are one tie, so the
    pairs are a set: each unordered pair once, listed as its first namer named it.

    The others are drawn by Floyd's algorithm: a member's i-th of k picks among m others is a draw in
    [0, m - k + i], replaced by m - k + i itself when already picked. That gives k distinct others,
    every set of k equally likely, from exactly k draws (one call for the batch), resolved a pick at a
    time for all members at once.
    """
    members = np.diff(first_member)
    others = np.maximum(members - 1, 0)
    k = np.minimum(ties_each, others).astype(np.int64)
    a = np.repeat(np.arange(member_sys.size), k[member_sys])
    if a.size == 0:
        return a.astype(np.int64), a.astype(np.int64)
    sys = member_sys[a]
    pick = rank_in_groups(a)
    top = others[sys] - k[sys] + pick
    drawn = streams.integers_below(0, top + 1, streams.counts(sys))
    # a table of picks, a row per member who names anyone, a column per pick (-1 padding)
    row = np.cumsum(np.concatenate([[0], a[1:] != a[:-1]]))
    chosen = np.full((int(row[-1]) + 1, int(k.max())), -1, dtype=np.int64)
    draws = chosen.copy()
    tops = chosen.copy()
    draws[row, pick], tops[row, pick] = drawn, top
    for i in range(chosen.shape[1]):  # a handful of picks, each for every member at once
        taken = (chosen[:, :i] == draws[:, i, None]).any(axis=1)
        chosen[:, i] = np.where(taken, tops[:, i], draws[:, i])
    other = chosen[row, pick]
    local = a - first_member[sys]
    b = first_member[sys] + other + (other >= local)  # never oneself
    # one tie per pair: a later naming of a pair already named (b naming a) is the same tie
    key = np.minimum(a, b) * member_sys.size + np.maximum(a, b)
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    return a[keep].astype(np.int64), b[keep].astype(np.int64)


def tied(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Whether each (rows[k], cols[k]) is an entry of a CSR matrix, looked up in the rows' own entries."""
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = ends - starts
    entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    hit = matrix.indices[entries] == np.repeat(cols, lengths)
    return np.bincount(np.repeat(np.arange(rows.size), lengths), weights=hit, minlength=rows.size) > 0


def classroom_alumni_ties(tie_a: np.ndarray, tie_b: np.ndarray, member_post: np.ndarray, n_posts: int,
                          static: sp.csr_matrix | None = None) -> sp.csr_matrix:
    """The part of the alumni network that links teaching posts this year, less the pairs `static`
    already ties: added to the static ties, each colleague then counts once however they are tied."""
    pa, pb = member_post[tie_a], member_post[tie_b]
    both = (pa >= 0) & (pb >= 0)
    pa, pb = pa[both], pb[both]
    if static is not None and pa.size:
        new = ~tied(static, pa, pb)  # static ties are symmetric: one direction says it
        pa, pb = pa[new], pb[new]
    return symmetric_ties(pa, pb, n_posts)
