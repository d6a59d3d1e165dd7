"""Deterministic threshold cascades on networks (complex contagion).

Why a threshold model
---------------------
Granovetter (1978, "Threshold models of collective behavior", *American
Journal of Sociology* 83(6)) showed that the outcome of collective action
depends on the whole *distribution* of individual thresholds rather than on
average preferences: 100 would-be rioters with thresholds 0, 1, 2, ..., 99
all riot, but change one person's threshold from 1 to 2 and only the
instigator does.  A person's threshold is the share of their reference group
that must act before they act too.

Centola & Macy (2007, "Complex contagions and the weakness of long ties",
*American Journal of Sociology* 113(3)) call contagions that need
reinforcement from *several* contacts "complex".  Unlike disease, they spread
poorly over long random ties, which rarely give two adopters a common
neighbour, and well over clustered, redundant ties.  Centola (2010, "The
spread of behavior in an online social network experiment", *Science*
329(5996)) confirmed this experimentally: health behaviour spread further and
faster on clustered lattices than on random networks with the same degree.

This module implements the deterministic fractional-threshold model behind
those arguments: in synchronous rounds every node compares the adopted share
of its neighbours with its own threshold, and adoption is permanent.

Exact ties
----------
Thresholds are almost always written as decimals or ratios ("adopt once 20%
of my contacts have", "2 of 6"), so an adopter share exactly equal to the
threshold must count as reaching it.  With unit weights, adopted counts are
sums of 1.0, which floating point holds exactly (up to 2**53), so the share
``count / degree`` is a single IEEE-754 division, which is correctly
rounded: 1/5 yields precisely the double that the literal ``0.2`` denotes,
and 7/25 the double of ``0.28``.  The tempting ``count >= threshold * degree`` is wrong at ties because the product is
rounded too: ``0.28 * 25`` is ``7.000000000000001``, so ``7 >= 0.28 * 25`` is
``False`` and someone with exactly 28% of 25 contacts adopting would wrongly
hold out (likewise 7 of 100 against ``0.07``).
"""

from __future__ import annotations

import itertools
import operator
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["add_to_neighbours", "exposure", "neighbour_sum", "threshold_cascade"]


def exposure(
    ties: list[Any], adopted: np.ndarray, weights: np.ndarray, reach: np.ndarray | None = None,
    adopted_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Each node's influence-weighted share of neighbours who have adopted: sum of w_j over adopting
    neighbours j divided by the sum of w_j over all neighbours; 0 for a node with no neighbours.

    The one rule for "who is exposed enough to adopt": the model's practice contagion
    (sim.mechanisms.practice) and `threshold_cascade` both call it. `ties` are CSR matrices whose
    nonzero pattern is the network (their entries are not used as weights: the sparse product sums
    the values, so pass 0/1 matrices), summed part by part; `reach` (the denominator) may be passed
    in when it is reused across rounds, and so may the numerator (`adopted_weight`, the weight of
    adopting neighbours, kept current with `add_to_neighbours`). With unit weights every sum is a
    whole number held exactly, so the share is one correctly rounded division: exactly the decimal
    a threshold such as 0.2 or 2/6 denotes (see "Exact ties" above).
    """
    if reach is None:
        reach = neighbour_sum(ties, weights)
    numerator = neighbour_sum(ties, np.where(adopted, weights, 0.0)) if adopted_weight is None else adopted_weight
    return np.divide(numerator, reach, out=np.zeros(reach.size, dtype=np.float64), where=reach > 0)


def add_to_neighbours(ties: list[Any], totals: np.ndarray, nodes: np.ndarray, values: np.ndarray) -> None:
    """Add values[k] to the total of every neighbour of nodes[k], in place (ties symmetric).

    Keeps `neighbour_sum(ties, x)` up to date when x changes at a few nodes, at the cost of their
    ties rather than of the whole network; each total receives its additions in node order.
    """
    for part in ties:
        starts, ends = part.indptr[nodes], part.indptr[nodes + 1]
        lengths = ends - starts
        if not lengths.sum():
            continue
        entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        np.add.at(totals, part.indices[entries], np.repeat(values, lengths))


def neighbour_sum(ties: list[Any], values: np.ndarray) -> np.ndarray:
    """Sum of values over each node's neighbours, part by part (the parts' nonzero patterns are the ties)."""
    total = ties[0] @ values
    for part in ties[1:]:
        total += part @ values
    return total


def threshold_cascade(
    adjacency: Any,
    thresholds: npt.ArrayLike,
    seeds: npt.ArrayLike,
    *,
    max_rounds: int | None = None,
) -> np.ndarray:
    """Run a synchronous fractional-threshold cascade and return the adopters.

    In every round each node ``i`` computes the share of its neighbours (the
    nonzero columns of row ``i``) that have adopted and adopts if that share
    is ``>=`` its threshold.  All nodes update simultaneously from the state
    at the start of the round, adopters never revert, and rounds repeat until
    nothing changes or ``max_rounds`` rounds have run.  Because adoption is
    monotone the cascade reaches its fixed point within ``n`` rounds.

    Parameters
    ----------
    adjacency
        Either a ``scipy.sparse`` matrix or array of shape ``(n, n)`` (any
        format) in which any nonzero entry is a tie, or a networkx graph.
        Weights are ignored: every tie counts once.  Symmetry is not
        required; node ``i`` only looks at row ``i``, so for a directed
        network put the people ``i`` watches in row ``i``.  Diagonal entries
        (self-loops) are ignored because nobody is part of their own
        reference group, and explicitly stored zeros are not ties.  A
        networkx graph is converted with nodes in ``list(G.nodes)`` order and
        every edge counts as a tie whatever its ``weight`` attribute; for a
        ``DiGraph`` node ``i`` looks at its successors.
    thresholds
        One real threshold per node, in node order.  A node adopts once the
        adopted share of its neighbours is ``>=`` its threshold, compared
        exactly (see the module docstring).  Values ``<= 0`` adopt in the
        first round, even on isolated nodes; values ``> 1`` (including
        ``inf``) never adopt unless seeded.  Isolated nodes (no neighbours)
        adopt only if their threshold is ``<= 0``.  Thresholds are used as
        float64; pass them as float64 (or Python floats), because a float32
        such as ``np.float32(0.2)`` is slightly above 0.2 and so would not
        be reached by 1 adopter out of 5.
    seeds
        The initially adopted nodes: a boolean mask of length ``n`` (it must
        have boolean dtype) or a 1-D sequence of integer node indices in
        ``0..n-1``.  For a networkx graph the indices are positions in
        ``list(G.nodes)``, not node labels.
    max_rounds
        Stop after this many rounds even if the cascade is still spreading.
        ``None`` (the default) runs to the fixed point; ``0`` returns the
        seeds unchanged.

    Returns
    -------
    numpy.ndarray
        Boolean array of length ``n``; ``True`` marks nodes that adopted.
        Seeds are always ``True``.

    Raises
    ------
    ValueError
        If the matrix is not square, ``thresholds`` is not one real value per
        node (wrong length or shape, non-numeric, NaN), ``seeds`` is neither a
        boolean mask of length ``n`` nor integer indices in ``0..n-1``, or
        ``max_rounds`` is negative.
    TypeError
        If ``adjacency`` is neither a scipy sparse matrix nor a networkx
        graph, or ``max_rounds`` is not an integer.

    Examples
    --------
    Granovetter's riot: person ``j`` joins once ``j`` of the 99 others have.

    >>> import numpy as np, scipy.sparse as sp
    >>> n = 100
    >>> complete = sp.csr_array(np.ones((n, n)) - np.eye(n))
    >>> int(threshold_cascade(complete, np.arange(n) / 99, []).sum())
    100
    """
    ties = _unweighted_ties(adjacency)
    n = ties.shape[0]
    theta = _validate_thresholds(thresholds, n)
    adopted = _seed_mask(seeds, n)
    if max_rounds is not None:
        max_rounds = operator.index(max_rounds)
        if max_rounds < 0:
            raise ValueError(f"max_rounds must be >= 0 or None, got {max_rounds}")

    unit = np.ones(n, dtype=np.float64)
    parts = [ties]
    degree = neighbour_sum(parts, unit)
    rounds = itertools.count() if max_rounds is None else range(max_rounds)
    for _ in rounds:
        # Isolated nodes get share 0, so only thresholds <= 0 trigger them.
        updated = adopted | (exposure(parts, adopted, unit, degree) >= theta)
        if np.array_equal(updated, adopted):
            break
        adopted = updated
    return adopted


def _unweighted_ties(adjacency: Any) -> sp.csr_array:
    """Return a 0/1 CSR array of the ties (float64 entries, as the shared kernel multiplies), without self-loops."""
    # Checking sys.modules rather than importing keeps networkx optional and
    # off the import path: if it was never imported, no object can be a Graph.
    nx = sys.modules.get("networkx")
    if nx is not None and isinstance(adjacency, nx.Graph):
        if adjacency.number_of_nodes() == 0:
            # networkx refuses to convert an empty graph; an empty network
            # is still a valid (trivial) input.
            return sp.csr_array((0, 0), dtype=np.float64)
        # weight=None: an edge is a tie even if its weight attribute is 0.
        matrix = nx.to_scipy_sparse_array(adjacency, nodelist=list(adjacency.nodes), weight=None, format="coo")
    elif sp.issparse(adjacency):
        matrix = adjacency
    else:
        raise TypeError(
            f"adjacency must be a scipy.sparse matrix/array or a networkx graph, got {type(adjacency).__name__}"
        )

    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"adjacency must be a square (n, n) matrix, got shape {matrix.shape}")
    n = matrix.shape[0]
    # copy=True: canonicalising below must never mutate the caller's matrix.
    csr = sp.csr_array(matrix, copy=True)
    # Duplicates must be summed before testing for zero: entries that cancel
    # out describe no tie, and repeated entries must not count twice.
    csr.sum_duplicates()
    row_of_entry = np.repeat(np.arange(n), np.diff(csr.indptr))
    keep = (csr.data != 0) & (csr.indices != row_of_entry)
    indptr = np.zeros(n + 1, dtype=csr.indptr.dtype)
    np.cumsum(np.bincount(row_of_entry[keep], minlength=n), out=indptr[1:])
    indices = csr.indices[keep]
    return sp.csr_array((np.ones(indices.size, dtype=np.float64), indices, indptr), shape=(n, n))


def _validate_thresholds(thresholds: npt.ArrayLike, n: int) -> np.ndarray:
    try:
        theta = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"thresholds must be real numbers: {exc}") from exc
    if theta.ndim != 1 or theta.shape[0] != n:
        raise ValueError(f"thresholds must be a 1-D array with one value per node ({n}), got shape {theta.shape}")
    if np.isnan(theta).any():
        bad = np.flatnonzero(np.isnan(theta))
        raise ValueError(
            f"thresholds contain NaN at node indices {bad[:10].tolist()}" + (" ..." if bad.size > 10 else "")
        )
    return theta


def _seed_mask(seeds: npt.ArrayLike, n: int) -> np.ndarray:
    seeds_arr = np.asarray(seeds)
    if seeds_arr.ndim != 1:
        raise ValueError(
            "seeds must be a 1-D boolean mask or a 1-D sequence of integer node "
            f"indices, got an array of shape {seeds_arr.shape}"
        )
    if seeds_arr.dtype == np.bool_:
        if seeds_arr.shape[0] != n:
            raise ValueError(f"boolean seed mask has length {seeds_arr.shape[0]}, expected one entry per node ({n})")
        return seeds_arr.copy()

    mask = np.zeros(n, dtype=bool)
    if seeds_arr.size == 0:
        # np.asarray([]) is float64; an empty list simply means "no seeds".
        return mask
    if not np.issubdtype(seeds_arr.dtype, np.integer):
        raise ValueError(f"seeds must be a boolean mask or integer node indices, got dtype {seeds_arr.dtype}")
    # Negative indices are rejected rather than wrapped: seeds=[-1] is far
    # more likely a bug than a request for the last node.
    out_of_range = (seeds_arr < 0) | (seeds_arr >= n)
    if out_of_range.any():
        bad = seeds_arr[out_of_range]
        raise ValueError(
            f"seed indices out of range for {n} nodes (valid: 0..{n - 1}): "
            f"{bad[:10].tolist()}" + (" ..." if bad.size > 10 else "")
        )
    mask[seeds_arr] = True
    return mask
