"""Tests for sim.contagion.threshold_cascade.

The scenarios come from the literature the model is meant to reproduce
(Granovetter 1978; Centola 2010); the property tests pin down the exact-tie
semantics and the structural guarantees (monotonicity, input equivalence)
that the simulation engine relies on.
"""

from __future__ import annotations

from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.contagion import threshold_cascade

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def complete_graph_matrix(n: int) -> sp.csr_array:
    return sp.csr_array(np.ones((n, n), dtype=np.int8) - np.eye(n, dtype=np.int8))


def star_matrix(n_leaves: int) -> sp.csr_array:
    """Hub 0 tied (both ways) to leaves 1..n_leaves."""
    leaves = np.arange(1, n_leaves + 1)
    hub = np.zeros(n_leaves, dtype=int)
    rows = np.concatenate([hub, leaves])
    cols = np.concatenate([leaves, hub])
    data = np.ones(rows.size, dtype=np.int8)
    return sp.csr_array((data, (rows, cols)), shape=(n_leaves + 1, n_leaves + 1))


def reference_cascade(matrix: sp.sparray, thresholds, seed_mask, max_rounds: int | None = None) -> np.ndarray:
    """Slow pure-Python model of the documented semantics, node by node.

    Uses Python int / int division (also correctly rounded) so it shares no
    arithmetic code path with the vectorised implementation.
    """
    dense = np.asarray(matrix.toarray())
    n = dense.shape[0]
    neighbours = [[j for j in range(n) if j != i and dense[i, j] != 0] for i in range(n)]
    adopted = [bool(x) for x in seed_mask]
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        rounds += 1
        new = list(adopted)
        for i in range(n):
            if adopted[i]:
                continue
            degree = len(neighbours[i])
            count = sum(adopted[j] for j in neighbours[i])
            share = count / degree if degree else 0.0
            if share >= float(thresholds[i]):
                new[i] = True
        if new == adopted:
            break
        adopted = new
    return np.array(adopted, dtype=bool)


@st.composite
def networks(draw, max_nodes: int = 25, directed: bool | None = None):
    """A random (possibly directed) network with thresholds and a seed mask.

    Thresholds are drawn partly from small ratios k/d so that exact ties
    between adopted share and threshold actually occur.
    """
    n = draw(st.integers(1, max_nodes))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    edges = draw(st.lists(pairs, max_size=4 * n))
    is_directed = draw(st.booleans()) if directed is None else directed
    matrix = np.zeros((n, n), dtype=np.int8)
    for i, j in edges:
        if i != j:
            matrix[i, j] = 1
            if not is_directed:
                matrix[j, i] = 1
    ratio = st.builds(lambda k, d: k / d, st.integers(0, 6), st.integers(1, 6)).filter(lambda x: x <= 1)
    threshold = st.one_of(ratio, st.floats(0.0, 1.0))
    thresholds = np.array(draw(st.lists(threshold, min_size=n, max_size=n)))
    seeds = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return sp.csr_array(matrix), thresholds, seeds


# --------------------------------------------------------------------------
# 1. Granovetter (1978): the riot example
# --------------------------------------------------------------------------


GRANOVETTER_N = 100


def granovetter_thresholds() -> np.ndarray:
    # Person j joins once j of the 99 others have joined.
    return np.arange(GRANOVETTER_N) / (GRANOVETTER_N - 1)


@pytest.mark.parametrize("as_graph", [False, True], ids=["scipy", "networkx"])
def test_granovetter_uniform_thresholds_everyone_riots(as_graph: bool) -> None:
    adjacency = nx.complete_graph(GRANOVETTER_N) if as_graph else complete_graph_matrix(GRANOVETTER_N)
    result = threshold_cascade(adjacency, granovetter_thresholds(), [])
    assert result.dtype == np.bool_
    assert result.all()


@pytest.mark.parametrize("as_graph", [False, True], ids=["scipy", "networkx"])
def test_granovetter_one_changed_threshold_stops_the_riot(as_graph: bool) -> None:
    adjacency = nx.complete_graph(GRANOVETTER_N) if as_graph else complete_graph_matrix(GRANOVETTER_N)
    thresholds = granovetter_thresholds()
    thresholds[1] = 2 / 99
    result = threshold_cascade(adjacency, thresholds, np.zeros(GRANOVETTER_N, bool))
    assert result.sum() == 1
    assert result[0]  # only the instigator


@pytest.mark.parametrize("rounds", [0, 1, 2, 37, 99, 100, 500])
def test_granovetter_one_person_joins_per_round(rounds: int) -> None:
    result = threshold_cascade(
        complete_graph_matrix(GRANOVETTER_N),
        granovetter_thresholds(),
        [],
        max_rounds=rounds,
    )
    expected = min(rounds, GRANOVETTER_N)
    assert result.sum() == expected
    assert result[:expected].all()


# --------------------------------------------------------------------------
# 2. Centola (2010): clustered lattice vs random network, degree 6
# --------------------------------------------------------------------------

CENTOLA_SIZES = [98, 128, 144]
CENTOLA_THRESHOLD = 2 / 6  # two adopted contacts out of six


@pytest.mark.parametrize("n", CENTOLA_SIZES)
def test_centola_ring_lattice_full_cascade(n: int) -> None:
    lattice = nx.watts_strogatz_graph(n, 6, 0)
    assert lattice.number_of_edges() == 3 * n
    thresholds = np.full(n, CENTOLA_THRESHOLD)
    result = threshold_cascade(lattice, thresholds, [0, 1])
    assert result.all()
    # Same lattice built independently as a circulant graph.
    circulant = nx.to_scipy_sparse_array(nx.circulant_graph(n, [1, 2, 3]))
    assert threshold_cascade(circulant, thresholds, [5, 6]).all()


@pytest.mark.parametrize("n", CENTOLA_SIZES)
def test_centola_ring_lattice_nonadjacent_seeds_do_not_spread(n: int) -> None:
    # Two seeds more than 6 apart share no neighbour: nobody sees 2 adopters.
    lattice = nx.watts_strogatz_graph(n, 6, 0)
    result = threshold_cascade(lattice, np.full(n, CENTOLA_THRESHOLD), [0, n // 2])
    assert result.sum() == 2


@pytest.mark.parametrize("n", CENTOLA_SIZES)
def test_centola_random_regular_graphs_stall(n: int) -> None:
    thresholds = np.full(n, CENTOLA_THRESHOLD)
    shares = []
    for s in range(100):
        graph = nx.random_regular_graph(6, n, seed=s)
        edges = list(graph.edges)
        u, v = edges[np.random.default_rng(s).integers(len(edges))]
        nodes = list(graph.nodes)
        seeds = [nodes.index(u), nodes.index(v)]
        shares.append(threshold_cascade(graph, thresholds, seeds).mean())
    mean_share = float(np.mean(shares))
    # Literature: about 2% (1.6-2.4% over 200 runs); two seeds alone are
    # 1.4-2.0% of these networks.
    assert 0.01 < mean_share < 0.05, mean_share


# --------------------------------------------------------------------------
# 3. Exact ties between adopted share and threshold
# --------------------------------------------------------------------------

NEVER = 2.0  # leaves never adopt, so the result isolates the hub's decision


def hub_adopts(n_leaves: int, k_adopted: int, hub_threshold: float) -> bool:
    thresholds = np.full(n_leaves + 1, NEVER)
    thresholds[0] = hub_threshold
    seeds = np.arange(1, k_adopted + 1)
    result = threshold_cascade(star_matrix(n_leaves), thresholds, seeds)
    # The leaves' fate must be exactly "seeded or not".
    assert result[1:].sum() == k_adopted
    return bool(result[0])


@pytest.mark.parametrize(
    ("n", "k", "threshold"),
    [
        (5, 1, 0.2),
        (30, 3, 0.1),
        (10, 7, 0.7),
        (6, 2, 1 / 3),
        (99, 3, 3 / 99),
        (25, 7, 0.28),
        (25, 14, 0.56),
        (100, 7, 0.07),
    ],
)
def test_exact_tie_with_decimal_threshold_adopts(n: int, k: int, threshold: float) -> None:
    assert hub_adopts(n, k, threshold)
    assert not hub_adopts(n, k, float(np.nextafter(threshold, 2)))


def test_naive_product_comparison_would_fail() -> None:
    # Documents the float trap the implementation avoids: the product is
    # rounded up past the integer count, so the naive test misses the tie.
    assert 0.28 * 25 > 7 and not (7 >= 0.28 * 25)
    assert not (7 >= 0.07 * 100)
    assert hub_adopts(25, 7, 0.28)
    assert hub_adopts(100, 7, 0.07)


def test_exact_ties_exhaustive() -> None:
    """Every k of n <= 60, all at once as disjoint stars in one network.

    Hypothesis samples; this covers the rare pairs (32 of 1,890) where the
    naive product comparison is wrong, e.g. 7 of 25.
    """
    pairs = [(n, k) for n in range(1, 61) for k in range(n + 1)]
    stars = sp.block_diag([star_matrix(n) for n, _ in pairs], format="csr")
    hubs = np.cumsum([0] + [n + 1 for n, _ in pairs[:-1]])
    seeds = np.concatenate([hub + 1 + np.arange(k) for hub, (_, k) in zip(hubs, pairs, strict=True)]).astype(np.int64)
    thresholds = np.full(stars.shape[0], NEVER)
    ties = np.array([float(Fraction(k, n)) for n, k in pairs])
    thresholds[hubs] = ties
    result = threshold_cascade(stars, thresholds, seeds)
    assert result[hubs].all()
    assert result.sum() == len(pairs) + seeds.size
    thresholds[hubs] = np.nextafter(ties, 2)
    result = threshold_cascade(stars, thresholds, seeds)
    assert not result[hubs].any()
    assert result.sum() == seeds.size


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_exact_ties_property(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 60), label="n")
    k = data.draw(st.integers(0, n), label="k")
    tie = float(Fraction(k, n))
    assert hub_adopts(n, k, tie)
    just_above = float(np.nextafter(k / n, 2))
    assert not hub_adopts(n, k, just_above)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 60),
    k=st.integers(0, 60),
    scale=st.integers(1, 50),
)
def test_equivalent_ratios_tie(n: int, k: int, scale: int) -> None:
    # k/n and (k*scale)/(n*scale) are the same rational, hence the same double.
    k = min(k, n)
    assert hub_adopts(n * scale, k * scale, k / n)


def test_hub_leaf_threshold_one_follows_hub() -> None:
    # A leaf sees only the hub: with threshold 1.0 it adopts once the hub does.
    n = 5
    thresholds = np.array([0.4] + [1.0] * n)
    assert threshold_cascade(star_matrix(n), thresholds, [1, 2]).all()
    thresholds[0] = 0.41
    assert threshold_cascade(star_matrix(n), thresholds, [1, 2]).sum() == 2


# --------------------------------------------------------------------------
# 4. Structural properties
# --------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(networks())
def test_matches_reference_model(net) -> None:
    matrix, thresholds, seeds = net
    np.testing.assert_array_equal(
        threshold_cascade(matrix, thresholds, seeds),
        reference_cascade(matrix, thresholds, seeds),
    )


@settings(max_examples=60, deadline=None)
@given(networks(max_nodes=12), st.integers(0, 4))
def test_matches_reference_model_with_max_rounds(net, rounds: int) -> None:
    matrix, thresholds, seeds = net
    np.testing.assert_array_equal(
        threshold_cascade(matrix, thresholds, seeds, max_rounds=rounds),
        reference_cascade(matrix, thresholds, seeds, max_rounds=rounds),
    )


@settings(max_examples=100, deadline=None)
@given(networks())
def test_result_is_a_fixed_point_containing_seeds(net) -> None:
    matrix, thresholds, seeds = net
    result = threshold_cascade(matrix, thresholds, seeds)
    assert result.dtype == np.bool_ and result.shape == seeds.shape
    assert result[seeds].all()
    # Restarting from the outcome changes nothing.
    np.testing.assert_array_equal(threshold_cascade(matrix, thresholds, result), result)


@settings(max_examples=100, deadline=None)
@given(networks(), st.data())
def test_monotone_in_seeds(net, data: st.DataObject) -> None:
    matrix, thresholds, seeds = net
    n = seeds.size
    extra = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    base = threshold_cascade(matrix, thresholds, seeds)
    more = threshold_cascade(matrix, thresholds, seeds | extra)
    assert not (base & ~more).any()


@settings(max_examples=100, deadline=None)
@given(networks(), st.data())
def test_antimonotone_in_thresholds(net, data: st.DataObject) -> None:
    matrix, thresholds, seeds = net
    n = seeds.size
    bump = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)), dtype=float)
    base = threshold_cascade(matrix, thresholds, seeds)
    raised = threshold_cascade(matrix, thresholds + bump, seeds)
    assert not (raised & ~base).any()


@settings(max_examples=60, deadline=None)
@given(networks(), st.integers(0, 5))
def test_monotone_in_rounds(net, rounds: int) -> None:
    matrix, thresholds, seeds = net
    fewer = threshold_cascade(matrix, thresholds, seeds, max_rounds=rounds)
    more = threshold_cascade(matrix, thresholds, seeds, max_rounds=rounds + 1)
    final = threshold_cascade(matrix, thresholds, seeds)
    assert not (fewer & ~more).any()
    assert not (more & ~final).any()
    np.testing.assert_array_equal(threshold_cascade(matrix, thresholds, seeds, max_rounds=seeds.size + 1), final)


@settings(max_examples=60, deadline=None)
@given(networks())
def test_scipy_and_networkx_inputs_agree(net) -> None:
    matrix, thresholds, seeds = net
    dense = matrix.toarray()
    directed = not np.array_equal(dense, dense.T)
    graph = nx.from_numpy_array(dense, create_using=nx.DiGraph if directed else nx.Graph)
    expected = threshold_cascade(matrix, thresholds, seeds)
    np.testing.assert_array_equal(threshold_cascade(graph, thresholds, seeds), expected)
    indices = np.flatnonzero(seeds)
    np.testing.assert_array_equal(threshold_cascade(matrix, thresholds, indices), expected)


@settings(max_examples=30, deadline=None)
@given(networks(directed=False))
def test_sparse_formats_agree(net) -> None:
    matrix, thresholds, seeds = net
    expected = threshold_cascade(matrix, thresholds, seeds)
    for fmt in ("csc", "coo", "lil", "dok", "bsr", "dia"):
        converted = matrix.asformat(fmt)
        np.testing.assert_array_equal(threshold_cascade(converted, thresholds, seeds), expected, err_msg=fmt)
    legacy = sp.csr_matrix(matrix)
    np.testing.assert_array_equal(threshold_cascade(legacy, thresholds, seeds), expected)


@settings(max_examples=50, deadline=None)
@given(networks())
def test_all_zero_thresholds_everyone_adopts(net) -> None:
    matrix, _, _ = net
    n = matrix.shape[0]
    assert threshold_cascade(matrix, np.zeros(n), []).all()
    assert threshold_cascade(matrix, np.full(n, -0.5), [], max_rounds=1).all()


@settings(max_examples=50, deadline=None)
@given(networks(), st.floats(1.0, 10.0, exclude_min=True))
def test_thresholds_above_one_only_seeds(net, level: float) -> None:
    matrix, _, seeds = net
    n = seeds.size
    np.testing.assert_array_equal(threshold_cascade(matrix, np.full(n, level), seeds), seeds)
    np.testing.assert_array_equal(threshold_cascade(matrix, np.full(n, np.inf), seeds), seeds)


def test_isolated_nodes_adopt_only_with_nonpositive_threshold() -> None:
    empty = sp.csr_array((4, 4), dtype=float)
    result = threshold_cascade(empty, [0.0, -1.0, 0.1, 1.0], [])
    np.testing.assert_array_equal(result, [True, True, False, False])


def test_weights_explicit_zeros_and_self_loops() -> None:
    # Path 0-1-2 with weights, plus a stored zero (0-2) and a self-loop on 1.
    rows = np.array([0, 1, 1, 2, 0, 2, 1])
    cols = np.array([1, 0, 2, 1, 2, 0, 1])
    data = np.array([0.5, 0.5, 7.0, 7.0, 0.0, 0.0, 3.0])
    matrix = sp.csr_array((data, (rows, cols)), shape=(3, 3))
    assert matrix.nnz == 7  # the zeros are really stored
    # Node 1 has exactly 2 ties (0 and 2): one adopter gives share 1/2.
    thresholds = np.array([2.0, 0.5, 2.0])
    assert threshold_cascade(matrix, thresholds, [0]).tolist() == [True, True, False]
    thresholds[1] = np.nextafter(0.5, 1)
    assert threshold_cascade(matrix, thresholds, [0]).tolist() == [True, False, False]
    # Node 0 has one tie (1); the stored zero to 2 is not a tie.
    assert threshold_cascade(matrix, [1.0, 2.0, 2.0], [1]).tolist() == [
        True,
        True,
        False,
    ]


def test_duplicate_coo_entries_count_once_and_cancelling_entries_vanish() -> None:
    rows = np.array([0, 0, 0, 1, 2, 2, 0])
    cols = np.array([1, 1, 1, 0, 0, 0, 2])
    data = np.array([1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0])
    matrix = sp.coo_array((data, (rows, cols)), shape=(3, 3))
    before = (matrix.row.copy(), matrix.col.copy(), matrix.data.copy())
    # Node 0 has ties to 1 and 2 (duplicates count once): 1 of 2 adopted.
    assert threshold_cascade(matrix, [0.5, 2.0, 2.0], [1])[0]
    # Node 2's entries cancel to zero: it is isolated, so 0.0 share < 0.1.
    assert not threshold_cascade(matrix, [2.0, 2.0, 0.1], [0, 1])[2]
    # The caller's matrix is not canonicalised in place.
    for original, now in zip(before, (matrix.row, matrix.col, matrix.data), strict=True):
        np.testing.assert_array_equal(original, now)


def test_noncanonical_csr_duplicates_and_no_mutation() -> None:
    # Built straight from CSR arrays, so scipy never canonicalises it for us.
    indptr = np.array([0, 3, 4, 6])
    indices = np.array([1, 1, 2, 0, 0, 0])
    data = np.array([1.0, 1.0, 1.0, 1.0, 1.0, -1.0])
    matrix = sp.csr_array((data, indices, indptr), shape=(3, 3))
    assert not matrix.has_canonical_format
    before = (matrix.indptr.copy(), matrix.indices.copy(), matrix.data.copy())
    # Node 0: ties to 1 (twice) and 2 -> degree 2, so 1 adopter is 1/2.
    assert threshold_cascade(matrix, [0.5, 2.0, 2.0], [1])[0]
    assert not threshold_cascade(matrix, [np.nextafter(0.5, 1), 2.0, 2.0], [1])[0]
    # Node 2's two entries cancel: it has no ties at all.
    assert not threshold_cascade(matrix, [2.0, 2.0, 0.1], [0, 1])[2]
    assert threshold_cascade(matrix, [2.0, 2.0, 0.0], [])[2]
    for original, now in zip(before, (matrix.indptr, matrix.indices, matrix.data), strict=True):
        np.testing.assert_array_equal(original, now)
    assert not matrix.has_canonical_format


def test_directed_row_semantics() -> None:
    # Node 0 watches node 1 (row 0 has column 1); node 1 watches nobody.
    matrix = sp.csr_array(np.array([[0, 1], [0, 0]]))
    assert threshold_cascade(matrix, [0.5, 0.5], [1]).tolist() == [True, True]
    assert threshold_cascade(matrix, [0.5, 0.5], [0]).tolist() == [True, False]
    digraph = nx.DiGraph([(0, 1)])
    assert threshold_cascade(digraph, [0.5, 0.5], [1]).tolist() == [True, True]
    assert threshold_cascade(digraph, [0.5, 0.5], [0]).tolist() == [True, False]


def test_networkx_node_order_and_edge_weights() -> None:
    graph = nx.Graph()
    graph.add_nodes_from(["c", "a", "b"])  # index order: c=0, a=1, b=2
    graph.add_edge("c", "a", weight=0)  # a zero-weight edge is still a tie
    graph.add_edge("a", "b")
    # Seed "c"; "a" sees 1 of 2 adopted; "b" sees only "a".
    result = threshold_cascade(graph, [2.0, 0.5, 1.0], [0])
    assert result.tolist() == [True, True, True]
    result = threshold_cascade(graph, [2.0, 0.51, 1.0], [0])
    assert result.tolist() == [True, False, False]


def test_empty_network() -> None:
    assert threshold_cascade(sp.csr_array((0, 0)), [], []).shape == (0,)
    assert threshold_cascade(nx.Graph(), [], []).shape == (0,)


def test_inputs_are_not_mutated() -> None:
    matrix = star_matrix(4)
    thresholds = np.array([0.5, 1.0, 1.0, 1.0, 1.0])
    seeds = np.array([False, True, True, False, False])
    snapshot = (matrix.toarray(), thresholds.copy(), seeds.copy())
    result = threshold_cascade(matrix, thresholds, seeds)
    assert result.all()
    assert result is not seeds
    np.testing.assert_array_equal(matrix.toarray(), snapshot[0])
    np.testing.assert_array_equal(thresholds, snapshot[1])
    np.testing.assert_array_equal(seeds, snapshot[2])


# --------------------------------------------------------------------------
# 5. Invalid inputs
# --------------------------------------------------------------------------


def test_non_square_matrix() -> None:
    with pytest.raises(ValueError, match=r"square.*\(3, 4\)"):
        threshold_cascade(sp.csr_array((3, 4)), np.zeros(3), [])


def test_one_dimensional_sparse_array() -> None:
    with pytest.raises(ValueError, match="square"):
        threshold_cascade(sp.coo_array(np.array([1, 0, 1])), np.zeros(3), [])


@pytest.mark.parametrize("thresholds", [np.zeros(4), np.zeros(2), np.zeros((3, 1)), 0.5, []])
def test_thresholds_wrong_shape(thresholds) -> None:
    with pytest.raises(ValueError, match=r"one value per node \(3\)"):
        threshold_cascade(sp.csr_array((3, 3)), thresholds, [])


def test_nan_thresholds() -> None:
    with pytest.raises(ValueError, match=r"NaN at node indices \[1\]"):
        threshold_cascade(sp.csr_array((3, 3)), [0.1, np.nan, 0.2], [])


def test_non_numeric_thresholds() -> None:
    with pytest.raises(ValueError, match="real numbers"):
        threshold_cascade(sp.csr_array((2, 2)), ["low", "high"], [])


@pytest.mark.parametrize("seeds", [[3], [0, 5], [-1], np.array([10**12])])
def test_seed_index_out_of_range(seeds) -> None:
    with pytest.raises(ValueError, match=r"out of range for 3 nodes"):
        threshold_cascade(sp.csr_array((3, 3)), np.zeros(3), seeds)


def test_seed_mask_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"length 2, expected one entry per node \(3\)"):
        threshold_cascade(sp.csr_array((3, 3)), np.zeros(3), [True, False])


@pytest.mark.parametrize("seeds", [[0.0, 1.0], ["a"]])
def test_seed_wrong_dtype(seeds) -> None:
    with pytest.raises(ValueError, match="boolean mask or integer node indices"):
        threshold_cascade(sp.csr_array((3, 3)), np.zeros(3), seeds)


@pytest.mark.parametrize("seeds", [1, [[0, 1]]])
def test_seed_wrong_shape(seeds) -> None:
    with pytest.raises(ValueError, match="1-D"):
        threshold_cascade(sp.csr_array((3, 3)), np.zeros(3), seeds)


def test_negative_max_rounds() -> None:
    with pytest.raises(ValueError, match="max_rounds"):
        threshold_cascade(sp.csr_array((3, 3)), np.zeros(3), [], max_rounds=-1)


def test_non_integer_max_rounds() -> None:
    with pytest.raises(TypeError):
        threshold_cascade(sp.csr_array((3, 3)), np.zeros(3), [], max_rounds=2.5)


@pytest.mark.parametrize("adjacency", [np.eye(3), [[0, 1], [1, 0]], None])
def test_unsupported_adjacency_type(adjacency) -> None:
    with pytest.raises(TypeError, match=r"scipy\.sparse matrix/array or a networkx"):
        threshold_cascade(adjacency, np.zeros(3), [])
