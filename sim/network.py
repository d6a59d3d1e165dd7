"""The teacher network as scipy.sparse matrices over teaching posts.

Dense ties inside a school, a few ties across the schools of a district (Centola & Macy 2007's
'long ties'), and the alumni network, which moves with the members who hold posts. Built for a
whole batch at once: draws per system (sim.engine.streams), arrays for every system together, so a
system's matrix block is the same as when it is built alone.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

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
    """Member pairs within each system: each member keeps ties to `ties_each` others of the programme, for life."""
    members = np.diff(first_member)
    each = np.where(members >= 2, ties_each, 0)
    a = np.repeat(np.arange(member_sys.size), each[member_sys])
    sys = member_sys[a]
    b = streams.integers_below(0, members[sys] - 1, streams.counts(sys)) + first_member[sys]
    b = b + (b >= a)  # never oneself
    return a.astype(np.int64), b.astype(np.int64)


def classroom_alumni_ties(tie_a: np.ndarray, tie_b: np.ndarray, member_post: np.ndarray,
                          n_posts: int) -> sp.csr_matrix:
    """The part of the alumni network that links teaching posts this year."""
    pa, pb = member_post[tie_a], member_post[tie_b]
    both = (pa >= 0) & (pb >= 0)
    return symmetric_ties(pa[both], pb[both], n_posts)
