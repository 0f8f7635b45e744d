"""The DAG value type: validation at construction, value semantics, derived structure."""

import networkx as nx
import numpy as np
import pytest

from graphs import DAG, Variable


def test_cycle_is_named():
    with pytest.raises(ValueError, match=r"cycle: 'a' -> 'b' -> 'c' -> 'a'"):
        DAG(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])


def test_self_loop_is_rejected():
    with pytest.raises(ValueError, match="self-loop on node 'a'"):
        DAG(["a"], [("a", "a")])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: DAG(["a", "a"]), "'a' appears twice"),
        (lambda: DAG(["a", "b"], [("a", "c")]), "unknown node 'c'"),
        (lambda: DAG(["a", "b"], [("a", "b", "c")]), r"a \(parent, child\) pair"),
        (lambda: Variable("a", card=1), r"'a': card must be >= 2"),
        (lambda: Variable("a", card=2.0), r"'a': card must be an int"),
        (lambda: Variable("a", role="hidden"), r"unknown role 'hidden'"),
        (lambda: Variable("a", pos=(1, 2, 3)), r"pos must be a \(row, col\) pair"),
        (lambda: Variable("a", states=("on",)), r"1 state names for card 2"),
        (lambda: Variable("a", states=("on", "on")), r"state names repeat"),
        (lambda: Variable("a", card=None, states=("on", "off")), r"'a': state names need a finite"),
        (lambda: Variable("a", card="many"), r"'a': card must be an int >= 2 or None"),
        (lambda: DAG([""]), "non-empty strings"),
        (lambda: DAG([3]), "non-empty strings"),
    ],
)
def test_bad_structure_names_the_problem(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_value_semantics_and_immutability():
    a = DAG(["r", "s", "w"], [("r", "w"), ("s", "w")], name="sprinkler")
    b = DAG(["r", "s", "w"], [("s", "w"), ("r", "w")], name="other name")
    assert a == b and hash(a) == hash(b)
    assert a != DAG(["r", "s", "w"], [("r", "w")])
    assert a.parents("w") == ("r", "s")
    with pytest.raises(nx.NetworkXError):
        a.graph.add_edge("w", "r")  # frozen: a later edge cannot sneak a cycle in
    assert nx.is_directed_acyclic_graph(a.graph)
    assert a.graph.nodes["w"]["card"] == 2


def test_cpds_are_checked_and_read_only():
    dag = DAG(["a", Variable("b", card=3)], [("a", "b")])
    good = {"a": [0.3, 0.7], "b": np.full((3, 2), 1 / 3)}
    with_cpds = dag.with_cpds(good)
    assert with_cpds != dag and with_cpds == dag.with_cpds(good)
    with pytest.raises(ValueError, match="read-only"):
        with_cpds.cpds["b"][0, 0] = 1.0
    with pytest.raises(ValueError, match=r"CPD of 'b' has shape \(2, 2\); expected \(3, 2\)"):
        dag.with_cpds({"a": [0.3, 0.7], "b": np.full((2, 2), 0.5)})
    with pytest.raises(ValueError, match="summing to 1"):
        dag.with_cpds({"a": [0.3, 0.6], "b": np.full((3, 2), 1 / 3)})
    with pytest.raises(ValueError, match=r"missing for nodes \['b'\]"):
        dag.with_cpds({"a": [0.3, 0.7]})


def test_closures_match_networkx():
    g = nx.gn_graph(40, seed=3).reverse()  # a random tree-ish DAG
    dag = DAG([str(n) for n in g.nodes], [(str(u), str(v)) for u, v in g.edges])
    for node in dag.nodes:
        assert dag.ancestors(node) == {str(a) for a in nx.ancestors(g, int(node))}
        assert dag.descendants(node) == {str(d) for d in nx.descendants(g, int(node))}
    order = dag.topological_order()
    assert all(order.index(u) < order.index(v) for u, v in dag.edges)


def test_unknown_node_lookup():
    dag = DAG(["a", "b"])
    with pytest.raises(ValueError, match="unknown node 'z'"):
        dag.parents("z")


def test_continuous_and_deterministic_variables():
    dag = DAG([Variable("mu", None, "latent"), Variable("f", None, "deterministic")], [("mu", "f")])
    assert dag.card("mu") is None and dag.variable("f").card is None
    assert dag.role("f") == "deterministic"
    assert dag.with_role("deterministic") == ("f",)
    assert dag == DAG(
        [Variable("mu", None, "latent"), Variable("f", None, "deterministic")], [("mu", "f")]
    )
    assert dag != DAG(
        [Variable("mu", 2, "latent"), Variable("f", None, "deterministic")], [("mu", "f")]
    )
