"""The structure layer at scale: the linear-time independence summary of a large DAG
against the complete one on small DAGs (counts from the formula equal the counts from
enumeration), estimated shares within their stated error, cards that cut their lists, and
absurd sizes refused before anything is built."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import graphs
from graphs import DAG, GraphError, Variable
from graphs import _summary_large as large
from graphs.independence import local_markov, pairwise_matrix, summary
from zoo.card import format_card, structure_card
from zoo.models import get_family


def _random_dag(seed: int, n: int = 12, p: float = 0.25) -> DAG:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)  # node order is not topological
    names = [f"v{i}" for i in range(n)]
    edges = [
        (names[perm[i]], names[perm[j]])
        for i in range(n)
        for j in range(i + 1, n)
        if rng.random() < p
    ]
    return DAG(names, edges, name=f"random{seed}")


SMALL = {
    "chain": graphs.markov_chain(9),
    "chain3": graphs.markov_chain(9, order=3),
    "grid": graphs.markov_grid(3, 4),
    "naive": graphs.naive_bayes(6, classes=3),
    "latent": graphs.latent_class(6, components=2),
    "independent": graphs.independent(5),
    "autoregressive": graphs.autoregressive(6),
    **{f"random{s}": _random_dag(s) for s in range(8)},
}


@pytest.mark.parametrize("name", list(SMALL))
def test_the_linear_summary_agrees_with_enumeration(name):
    dag = SMALL[name]
    exact = summary(dag)
    fast = large.summary_large(dag)
    assert fast["local_markov_count"] == exact["local_markov_count"] == len(local_markov(dag))
    assert fast["dsep_share_marginal"] == pytest.approx(exact["dsep_share_marginal"], abs=1e-12)
    assert "dsep_share_marginal_se" not in fast  # exact on these
    if "dsep_given" in exact:
        assert fast["dsep_given"] == exact["dsep_given"]
        assert fast["dsep_share_given"] == pytest.approx(exact["dsep_share_given"], abs=1e-12)
    # the statements listed are the first ones, their names cut and counted
    for short, full in zip(fast["local_markov"], exact["local_markov"], strict=False):
        assert short["node"] == full["node"] and short["given"] == full["given"]
        assert short["independent_of_count"] == len(full["independent_of"])
        assert short["independent_of"] == full["independent_of"][: large.NAMES]
    assert len(fast["local_markov"]) == min(large.SHOWN, len(exact["local_markov"]))
    for node, blanket in fast["markov_blankets"].items():
        assert blanket == exact["markov_blankets"][node]


@pytest.mark.parametrize("seed", [1, 4])
def test_the_sampled_share_lies_within_its_stated_error(seed):
    dag = _random_dag(seed, n=30, p=0.08)
    truth = pairwise_matrix(dag).share
    share, se = large.dsep_share(dag, groups=0, samples=4000, seed=seed)
    assert se is not None and 0 < se < 0.02
    assert abs(share - truth) < 4 * se


def test_a_large_chain_card_cuts_its_lists_and_counts_by_formula():
    n = large.EXACT_NODES + 500
    spec = get_family("markov-chain")
    card = structure_card(spec, spec.build(n=n, order=2), {"n": n, "order": 2})
    assert card["listed"] == {
        "nodes": n,
        "edges": 2 * n - 3,
        "roles": {"observed": n},
        "shown": large.SHOWN,
    }
    assert len(card["nodes"]) == len(card["edges"]) == large.SHOWN
    ind = card["independence"]
    assert ind["local_markov_count"] == n - 3  # x0, x1, x2 claim nothing
    assert ind["local_markov"][0] == {
        "node": "x3",
        "independent_of": ["x0"],
        "given": ["x1", "x2"],
        "independent_of_count": 1,
    }
    last = ind["local_markov"][-1]
    assert last["independent_of_count"] == int(last["node"][1:]) - 2
    assert ind["dsep_share_marginal"] == 0.0 and len(ind["markov_blankets"]) == large.SHOWN
    assert len(card["params"]["full_joint_over"]) == large.SHOWN
    assert card["params"]["full_joint_over_count"] == n
    text = format_card(card)
    assert f"{n:,} nodes" in text and f"... {n - 3 - 6:,} more" in text
    json.dumps(card)


def test_a_full_joint_too_long_to_print_is_given_as_its_formula():
    dag = DAG([Variable("y", card=3, role="label"), *graphs.families.pixels(15000)])
    assert graphs.full_joint_formula(dag) == "2^15000 * 3 - 1"
    card = structure_card(get_family("independent"), graphs.independent(15000), {"n": 15000})
    assert card["params"]["full_joint"] == "2^15000 - 1"
    assert card["params"]["log10_full_joint"] == pytest.approx(15000 * np.log10(2))
    small = structure_card(get_family("independent"), graphs.independent(64), {"n": 64})
    assert small["params"]["full_joint"] == 2**64 - 1 and "listed" not in small


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: graphs.markov_chain(10**12), "more than the zoo builds"),
        (lambda: graphs.independent(10**9), "more than the zoo builds"),
        (lambda: graphs.markov_grid(10**5, 10**5), "more than the zoo builds"),
        (lambda: graphs.autoregressive(10**5), "4,999,950,000 edges"),
        (lambda: graphs.markov_chain(10**6, order=100), "edges, more than"),
    ],
)
def test_absurd_sizes_are_refused_before_anything_is_built(build, match):
    start = time.perf_counter()
    with pytest.raises(GraphError, match=match):
        build()
    assert time.perf_counter() - start < 0.5  # refused up front, not after building


def test_a_large_dag_answers_ancestry_without_its_matrix():
    dag = graphs.markov_chain(large.EXACT_NODES + 100, order=2)
    assert dag.ancestors("x2050") == {f"x{i}" for i in range(2050)}
    assert dag.descendants("x2090") == {f"x{i}" for i in range(2091, 2100)}
    assert "ancestors" not in dag._cache  # no n x n matrix built


def test_drawing_a_huge_dag_is_refused_in_one_line(capsys):
    from zoo.cli import main

    assert main(["show", "markov-chain", "--n", "3000", "--heatmap", "never.png"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "at most 2,000" in err[0]


def test_a_large_card_never_builds_the_networkx_graph():
    n = large.EXACT_NODES + 500
    for family, options in (("markov-chain", {"n": n}), ("latent-class", {"n": n, "classes": 3})):
        spec = get_family(family)
        dag = spec.build(**options)
        card = structure_card(spec, dag, options)
        dag.ancestors("x40"), dag.descendants("x40")
        assert card["listed"]["nodes"] == len(dag)
        assert dag._graph is None  # built only for the algorithms that need networkx
    assert len(dag.graph) == n + 1 and dag._graph is not None  # on demand


@pytest.mark.parametrize("order", [1, 3])
def test_a_chain_built_from_indices_equals_one_built_from_names(order):
    n, perm = 40, [int(i) for i in np.random.default_rng(order).permutation(40)]
    fast = graphs.markov_chain(n, order=order, ordering=perm)  # node order not topological
    names = [f"x{i}" for i in perm]
    edges = [(names[j], names[i]) for i in range(n) for j in range(max(0, i - order), i)]
    slow = DAG(graphs.families.pixels(n), edges, name=fast.name)
    assert fast == slow and fast.topological_order() == slow.topological_order()
    assert [fast.parents(v) for v in fast] == [slow.parents(v) for v in slow]
    assert set(fast.graph.edges) == set(slow.edges) and dict(fast.graph.nodes) == dict(
        slow.graph.nodes
    )
    assert large.summary_large(fast) == large.summary_large(slow)
    assert graphs.param_count(fast) == sum(2 ** len(fast.parents(v)) for v in fast)


def _grid_edges(rows: int, cols: int) -> list[tuple[str, str]]:
    steps = ((0, -1), (-1, 0), (-1, -1), (-1, 1))  # left, up, up-left, up-right
    return [
        (f"x{(r + dr) * cols + c + dc}", f"x{r * cols + c}")
        for r in range(rows)
        for c in range(cols)
        for dr, dc in steps
        if 0 <= r + dr < rows and 0 <= c + dc < cols
    ]


@pytest.mark.parametrize(
    ("fast", "variables", "edges"),
    [
        (
            graphs.naive_bayes(9, classes=3),
            [Variable("y", 3, role="label"), *graphs.families.pixels(9)],
            [("y", f"x{i}") for i in range(9)],
        ),
        (
            graphs.latent_class(5, components=4),
            [Variable("z", 4, role="latent"), *graphs.families.pixels(5)],
            [("z", f"x{i}") for i in range(5)],
        ),
        (graphs.markov_grid(3, 4), graphs.families.pixels(12, shape=(3, 4)), _grid_edges(3, 4)),
    ],
    ids=["naive", "latent", "grid"],
)
def test_families_built_from_indices_equal_ones_built_from_names(fast, variables, edges):
    slow = DAG(variables, edges, name=fast.name)
    assert fast == slow and repr(fast) == repr(slow)
    assert [fast.parents(v) for v in fast] == [slow.parents(v) for v in slow]
    assert [fast.children(v) for v in fast] == [slow.children(v) for v in slow]
