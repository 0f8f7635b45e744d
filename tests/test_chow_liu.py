"""The Chow–Liu family: the plug-in mutual information against a hand computation and
scikit-learn, the tree against a brute-force maximum spanning tree over every labelled tree
(Prüfer sequences), the family's options and card, and its compare row between the raster
chain and the 2-D grid on the digits."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from graphs.learn import chow_liu, mutual_information
from zoo.compare import compare
from zoo.data import Dataset, digits_split
from zoo.errors import ZooError
from zoo.models import get_family, make_model


def test_mutual_information_equals_a_hand_computation():
    # p(00) = 1/2, p(10) = 1/4, p(11) = 1/4; p(a) = (1/2, 1/2), p(b) = (3/4, 1/4)
    x = np.array([[0, 0], [0, 0], [1, 1], [1, 0]])
    hand = 0.5 * math.log(4 / 3) + 0.25 * math.log(2) + 0.25 * math.log(2 / 3)
    mi = mutual_information(x)
    assert mi[0, 1] == pytest.approx(hand, rel=1e-12)
    assert mi[1, 0] == mi[0, 1]
    assert mi[1, 1] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


def test_mutual_information_matches_scikit_learn_on_three_states():
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 500)
    b = (a + rng.integers(0, 2, 500)) % 3
    mi = mutual_information(np.stack([a, b], axis=1), cards=(3, 3))
    assert mi[0, 1] == pytest.approx(mutual_info_score(a, b), rel=1e-10)


def _prufer_trees(n: int):
    """Every labelled tree on ``n`` nodes, once each (Cayley: n^(n-2) of them)."""
    for seq in itertools.product(range(n), repeat=n - 2):
        yield frozenset(frozenset(e) for e in nx.from_prufer_sequence(list(seq)).edges())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_tree_is_the_brute_force_maximum_spanning_tree(seed):
    rng = np.random.default_rng(seed)
    n, items = 5, 400
    x = np.zeros((items, n), dtype=np.int64)
    x[:, 0] = rng.integers(0, 2, items)
    for j in range(1, n):  # each column a noisy copy of a random earlier one: distinct MIs
        parent = rng.integers(0, j)
        flip = rng.random(items) < rng.uniform(0.05, 0.45)
        x[:, j] = x[:, parent] ^ flip
    mi = mutual_information(x)
    trees = list(_prufer_trees(n))
    assert len(trees) == n ** (n - 2)
    weight = {t: sum(mi[tuple(sorted(e))] for e in t) for t in trees}
    best = max(trees, key=weight.__getitem__)
    edges = chow_liu(x, root=2)
    assert frozenset(frozenset(e) for e in edges) == best
    # oriented away from the root: the root has no parent, every other node exactly one
    parents = {v: [u for u, w in edges if w == v] for v in range(n)}
    assert parents[2] == [] and all(len(parents[v]) == 1 for v in range(n) if v != 2)


def test_a_chain_is_recovered_from_its_samples():
    rng = np.random.default_rng(3)
    items, n = 3000, 6
    x = np.zeros((items, n), dtype=np.int64)
    x[:, 0] = rng.integers(0, 2, items)
    for j in range(1, n):
        x[:, j] = x[:, j - 1] ^ (rng.random(items) < 0.15)
    assert chow_liu(x) == tuple((j - 1, j) for j in range(1, n))


def test_the_family_learns_its_tree_from_the_training_items():
    spec = get_family("chow-liu")
    train, _ = digits_split()
    options = spec.row_options(spec.rows[0], train)
    assert len(options["edges"]) == 63
    model = make_model("chow-liu", **options)
    assert model.param_count() == 2 * 64 - 1 == spec.count(model.dag)
    assert all(len(model.dag.parents(v)) <= 1 for v in model.dag.nodes)
    assert model.dag.parents("x0") == ()  # the root
    given = spec.learned(train, {"n": 64, "edges": [[0, 1]]})
    assert given["edges"] == [[0, 1]]  # given edges are kept, not learned again


def test_without_edges_or_the_digits_width_it_says_what_to_give():
    with pytest.raises(ZooError, match="learns its DAG from data.*n must be 64"):
        make_model("chow-liu", n=9)
    with pytest.raises(ZooError, match=r"edge \[0, 9\] names a column outside 0 .. 3"):
        make_model("chow-liu", n=4, edges=[[0, 9]])


def test_its_compare_row_sits_between_the_chain_and_the_grid():
    train, test = digits_split()
    result = compare(train, test, ["markov-chain", "chow-liu", "markov-grid"], budget="quick")
    nats = {r["family"]: r["nats_per_item"] for r in result.rows}
    assert nats["markov-grid"] < nats["chow-liu"] < nats["markov-chain"]
    row = next(r for r in result.rows if r["family"] == "chow-liu")
    assert row["params"] == 127 and row["method"] == "exact"
    assert result.timings["chow-liu"]["structure_learning"] >= 0
    assert "structure_learning" not in result.timings["markov-chain"]


def test_binary_only_in_compare():
    x = np.array([[0, 2], [1, 0]])
    data = Dataset(x, ("x0", "x1"), (2, 3))
    assert get_family("chow-liu").unsupported(data, {}) == "it models binary variables only"
