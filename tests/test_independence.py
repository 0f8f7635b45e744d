"""Independence: hand-checked statements per family, and properties on random DAGs."""

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphs
from graphs import DAG, Variable, is_d_separated


def test_naive_bayes_hand_checked():
    nb = graphs.naive_bayes(4, classes=3)
    assert is_d_separated(nb, "x0", "x1", given="y")
    assert not is_d_separated(nb, "x0", "x1")  # the label is a common cause
    assert graphs.markov_blanket(nb, "x2") == ("y",)
    assert graphs.markov_blanket(nb, "y") == ("x0", "x1", "x2", "x3")
    assert graphs.pairwise_matrix(nb, given="y").share == 1.0
    assert graphs.pairwise_matrix(nb).share == 0.0


def test_chain_hand_checked():
    chain = graphs.markov_chain(5)
    assert is_d_separated(chain, "x3", "x1", given="x2")
    assert not is_d_separated(chain, "x3", "x1")
    assert is_d_separated(chain, "x4", "x0", given=["x1", "x3"])
    assert is_d_separated(chain, "x4", ["x0", "x1"], given="x2")
    assert graphs.minimal_separator(chain, "x0", "x4") in {("x1",), ("x2",), ("x3",)}
    assert graphs.minimal_separator(chain, "x0", "x1") is None  # adjacent
    stmts = graphs.local_markov(chain)
    assert str(stmts[0]) == "x2 ⟂ {x0} | x1"


def test_collider_hand_checked():
    # a -> c <- b, c -> d: a and b independent until c or a descendant of c is seen
    dag = DAG(["a", "b", "c", "d"], [("a", "c"), ("b", "c"), ("c", "d")])
    assert is_d_separated(dag, "a", "b")
    assert not is_d_separated(dag, "a", "b", given="c")
    assert not is_d_separated(dag, "a", "b", given="d")
    assert graphs.markov_blanket(dag, "a") == ("b", "c")
    assert graphs.reachable(dag, "a", given=["d"]) == {"b", "c"}


def test_autoregressive_claims_nothing_and_latent_class_summary():
    assert graphs.local_markov(graphs.autoregressive(6)) == []
    summary = graphs.independence_summary(graphs.latent_class(6, components=3))
    assert summary["local_markov_count"] == 6
    assert summary["dsep_share_marginal"] == 0.0 and summary["dsep_share_given"] == 1.0
    assert summary["dsep_given"] == ["z"]
    indep = graphs.independence_summary(graphs.independent(5))
    assert indep["dsep_share_marginal"] == 1.0 and "dsep_given" not in indep


def test_bad_queries():
    chain = graphs.markov_chain(4)
    with pytest.raises(ValueError, match="unknown node 'x9'"):
        is_d_separated(chain, "x0", "x9")
    with pytest.raises(
        ValueError, match=r"X and the given set must not overlap; both contain \['x0'\]"
    ):
        is_d_separated(chain, "x0", "x2", given="x0")
    with pytest.raises(ValueError, match="at least one node"):
        is_d_separated(chain, [], "x2")


def test_d_separation_agrees_with_pgmpy_on_alarm(alarm_model):
    dag = graphs.from_pgmpy(alarm_model)
    rng = np.random.default_rng(0)
    names = list(dag.nodes)
    agree = separated = 0
    for _ in range(1000):
        k = int(rng.integers(0, 5))
        picked = list(rng.choice(names, size=k + 2, replace=False))
        x, y, given = picked[0], picked[1], picked[2:]
        ours = is_d_separated(dag, x, y, given=given)
        theirs = not alarm_model.is_dconnected(x, y, observed=given)
        agree += ours == theirs
        separated += ours
        mat = graphs.pairwise_matrix(dag, given=given)
        i, j = mat.nodes.index(x), mat.nodes.index(y)
        assert mat.separated[i, j] == ours == mat.separated[j, i]
    assert agree == 1000
    assert 100 < separated < 900  # the queries exercise both answers


# -- properties on random DAGs ------------------------------------------------------------


@st.composite
def random_dags(draw, max_nodes=9):
    n = draw(st.integers(1, max_nodes))
    cards = draw(st.lists(st.integers(2, 4), min_size=n, max_size=n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    )
    perm = draw(st.permutations(range(n)))  # node order differs from topological order
    names = [f"v{perm[i]}" for i in range(n)]
    variables = sorted((Variable(names[i], card=cards[i]) for i in range(n)), key=lambda v: v.name)
    return DAG(variables, [(names[i], names[j]) for i, j in chosen])


def _brute_force_table_sizes(dag):
    total = 0
    for node in dag.nodes:
        configs = list(itertools.product(*[range(dag.card(p)) for p in dag.parents(node)]))
        total += len(configs) * (dag.card(node) - 1)  # one distribution per config
    return total


@settings(max_examples=150, deadline=None)
@given(random_dags())
def test_local_markov_statements_are_d_separations(dag):
    for s in graphs.local_markov(dag):
        assert nx.is_d_separator(dag.graph, {s.node}, set(s.independent_of), set(s.given))


@settings(max_examples=150, deadline=None)
@given(random_dags())
def test_markov_blanket_separates_node_from_the_rest(dag):
    blankets = graphs.markov_blankets(dag)
    for node in dag.nodes:
        blanket = blankets[node]
        assert blanket == graphs.markov_blanket(dag, node)
        rest = set(dag.nodes) - set(blanket) - {node}
        if rest:
            assert nx.is_d_separator(dag.graph, {node}, rest, set(blanket))


@settings(max_examples=150, deadline=None)
@given(random_dags())
def test_counts_equal_brute_force_table_sizes(dag):
    assert graphs.param_count(dag) == _brute_force_table_sizes(dag)
    assert graphs.full_joint_count(dag) == math.prod(dag.card(n) for n in dag.nodes) - 1


@settings(max_examples=100, deadline=None)
@given(random_dags(), st.data())
def test_pairwise_matrix_matches_networkx(dag, data):
    given_nodes = data.draw(st.lists(st.sampled_from(dag.nodes), unique=True, max_size=3))
    mat = graphs.pairwise_matrix(dag, given=given_nodes)
    for i, a in enumerate(mat.nodes):
        for j, b in enumerate(mat.nodes):
            if i != j:
                expected = nx.is_d_separator(dag.graph, {a}, {b}, set(given_nodes))
                assert mat.separated[i, j] == expected
