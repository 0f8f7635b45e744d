"""Tests for ``graphs.interop``: pgmpy <-> DAG conversion, BIF files and bundled networks.

Owns the checks of ``from_pgmpy``, ``to_pgmpy``, ``from_bif``, ``to_bif``, ``load_network``
and ``network_names``. The 24 bundled networks come from the session fixture
``pgmpy_networks`` (tests/conftest.py), parsed once; everything else here is fast.
"""

from __future__ import annotations

import gzip
import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphs
from graphs import DAG, Variable
from graphs.interop import from_bif, from_pgmpy, load_network, network_names, to_bif, to_pgmpy

DATA = Path(__file__).parent / "data"
GRAPHS_DIR = Path(graphs.__file__).parent

BUNDLED = (
    "asia cancer earthquake sachs survey alarm barley child insurance mildew water hailfinder "
    "hepar2 win95pts andes diabetes link munin1 munin2 munin3 munin4 pathfinder pigs munin"
).split()


# -- helpers -----------------------------------------------------------------------------


def _pgmpy_param_count(model) -> int:
    return sum(
        (cpd.variable_card - 1) * (cpd.values.size // cpd.variable_card) for cpd in model.get_cpds()
    )


def _reordered(dag: DAG, order) -> DAG:
    """The same network with nodes in ``order``: CPD axes follow the new parent order."""
    new = DAG([dag.variable(n) for n in order], dag.edges, name=dag.name)
    if dag.cpds is None:
        return new
    cpds = {}
    for n in order:
        old_parents = list(dag.parents(n))
        cpds[n] = dag.cpds[n].transpose([0, *(1 + old_parents.index(p) for p in new.parents(n))])
    return new.with_cpds(cpds)


def _assert_same_network(got: DAG, want: DAG, atol: float = 0.0) -> None:
    """Equal up to node order and name; CPDs within ``atol`` (BIF text may round)."""
    assert set(got.nodes) == set(want.nodes)
    aligned = _reordered(got, want.nodes)
    assert aligned.variables == want.variables
    assert set(aligned.edges) == set(want.edges)
    assert (aligned.cpds is None) == (want.cpds is None)
    if want.cpds is not None:
        for n in want.nodes:
            np.testing.assert_allclose(aligned.cpds[n], want.cpds[n], rtol=0, atol=atol, err_msg=n)


def _toy_dag() -> DAG:
    """Non-default parent order (b before a), a 3-state node, every role, a position and an
    isolated node: the features a conversion could drop."""
    variables = [
        Variable("c", 2, states=("no", "yes")),
        Variable("b", 3, role="latent", states=("x", "y", "z")),
        Variable("a", 2, pos=(0, 1), states=("lo", "hi")),
        Variable("iso", 2, role="label", states=("off", "on")),
    ]
    rng = np.random.default_rng(0)
    raw = rng.random((2, 3, 2)) + 0.1  # c given (b, a): parents in DAG order
    cpds = {
        "b": np.array([0.2, 0.3, 0.5]),
        "a": np.array([[0.6, 0.1, 0.25], [0.4, 0.9, 0.75]]),
        "c": raw / raw.sum(axis=0),
        "iso": np.array([0.35, 0.65]),
    }
    return DAG(variables, [("b", "a"), ("a", "c"), ("b", "c")], name="toy", cpds=cpds)


def _toy_pgmpy():
    """pgmpy model whose CPD of c lists evidence [b, a], while the DAG orders parents (a, b)."""
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork()
    model.add_nodes_from(["a", "b", "c"])
    model.add_edges_from([("b", "c"), ("a", "c")])
    p0 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]  # p(c=n) over (b, a) with b slowest
    model.add_cpds(
        TabularCPD("a", 2, [[0.3], [0.7]], state_names={"a": ["lo", "hi"]}),
        TabularCPD("b", 3, [[0.2], [0.3], [0.5]], state_names={"b": ["x", "y", "z"]}),
        TabularCPD(
            "c",
            2,
            [p0, [1 - p for p in p0]],
            evidence=["b", "a"],
            evidence_card=[3, 2],
            state_names={"c": ["n", "y"], "b": ["x", "y", "z"], "a": ["lo", "hi"]},
        ),
    )
    return model


# -- bundled networks --------------------------------------------------------------------


def test_network_names_are_the_24_offline_discrete_networks():
    assert network_names() == tuple(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_network_matches_pgmpy(pgmpy_networks, name):
    # Issue requirement: parameter counts equal pgmpy's CPD sizes for every bundled network.
    model = pgmpy_networks[name]
    dag = from_pgmpy(model, name=name)
    assert graphs.param_count(dag) == _pgmpy_param_count(model)
    assert set(dag.nodes) == set(model.nodes())
    assert set(dag.edges) == set(model.edges())
    assert {n: dag.card(n) for n in dag.nodes} == dict(model.get_cardinality())
    assert dag.cpds is not None
    for cpd in model.get_cpds():
        assert dag.variable(cpd.variable).states == tuple(cpd.state_names[cpd.variable])


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_network_round_trips_through_pgmpy(pgmpy_networks, name):
    model = pgmpy_networks[name]
    dag = from_pgmpy(model, name=name)
    back = to_pgmpy(dag)
    assert back.check_model()
    assert list(back.nodes()) == list(model.nodes())
    assert set(back.edges()) == set(model.edges())
    for n in model.nodes():
        # TabularCPD equality aligns evidence and state order, so this compares probabilities.
        assert back.get_cpds(n) == model.get_cpds(n), n
        assert back.get_cpds(n).variables[1:] == list(dag.parents(n))
    assert from_pgmpy(back) == dag


def test_load_network_is_cached_and_matches_pgmpy(alarm_model):
    dag = load_network("alarm")
    assert load_network("alarm") is dag
    assert dag.name == "alarm"
    assert dag == from_pgmpy(alarm_model)
    assert len(dag) == 37 and graphs.param_count(dag) == 509


def test_load_network_unknown_name_suggests_close_match():
    with pytest.raises(ValueError, match=r"unknown network 'alrm' \(did you mean 'alarm'\?\)"):
        load_network("alrm")
    with pytest.raises(ValueError, match=r"available: asia, cancer, earthquake, .*, munin$"):
        load_network("alrm")


def test_load_network_unknown_name_without_close_match():
    with pytest.raises(ValueError, match="unknown network 'qqqq'; available: asia") as info:
        load_network("qqqq")
    assert "did you mean" not in str(info.value)


def test_get_example_model_is_named_exactly_once_in_graphs():
    # One loader, one warning suppression: nothing else in graphs/ may call it.
    sources = [p.read_text(encoding="utf-8") for p in sorted(GRAPHS_DIR.rglob("*.py"))]
    assert sum(s.count("get_example_model") for s in sources) == 1


def test_import_graphs_does_not_import_pgmpy():
    code = "import sys, graphs; assert 'pgmpy' not in sys.modules, 'pgmpy imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=GRAPHS_DIR.parent)


# -- pgmpy conversion --------------------------------------------------------------------


def test_from_pgmpy_transposes_evidence_into_dag_parent_order():
    from pgmpy.inference import VariableElimination

    model = _toy_pgmpy()
    dag = from_pgmpy(model)
    assert dag.parents("c") == ("a", "b")  # pgmpy's CPD lists evidence as [b, a]
    cpd = dag.cpds["c"]
    assert cpd.shape == (2, 2, 3)
    assert cpd[0, 1, 2] == pytest.approx(0.6)  # p(c=n | a=hi, b=z): the last column
    assert cpd[0, 0, 1] == pytest.approx(0.3)  # p(c=n | a=lo, b=y)
    infer = VariableElimination(model)
    states = {v.name: v.states for v in dag.variables}
    for (i, a), (j, b) in itertools.product(enumerate(states["a"]), enumerate(states["b"])):
        query = infer.query(["c"], evidence={"a": a, "b": b}, show_progress=False)
        for s, c in enumerate(states["c"]):
            assert cpd[s, i, j] == pytest.approx(model.get_cpds("c").get_value(c=c, a=a, b=b))
            assert cpd[s, i, j] == pytest.approx(query.get_value(c=c))


def test_to_pgmpy_keeps_probabilities_under_non_default_parent_order():
    from pgmpy.inference import VariableElimination

    dag = _toy_dag()
    assert dag.parents("c") == ("b", "a")
    model = to_pgmpy(dag)
    assert model.check_model()
    cpd = model.get_cpds("c")
    infer = VariableElimination(model)
    a_states, b_states, c_states = (dag.variable(n).states for n in "abc")
    for (i, b), (j, a) in itertools.product(enumerate(b_states), enumerate(a_states)):
        query = infer.query(["c"], evidence={"a": a, "b": b}, show_progress=False)
        for s, c in enumerate(c_states):
            assert cpd.get_value(c=c, a=a, b=b) == pytest.approx(dag.cpds["c"][s, i, j])
            assert query.get_value(c=c) == pytest.approx(dag.cpds["c"][s, i, j])


def test_dag_round_trips_through_pgmpy_with_roles_positions_and_isolated_nodes():
    dag = _toy_dag()
    model = to_pgmpy(dag)
    assert list(model.nodes()) == list(dag.nodes)
    assert "iso" in model and model.latents == {"b"}
    back = from_pgmpy(model)
    assert back == dag
    assert back.name == "toy"
    assert [v.role for v in back.variables] == ["observed", "latent", "observed", "label"]


def test_pgmpy_round_trip_keeps_cpds_of_hand_model():
    model = _toy_pgmpy()
    back = to_pgmpy(from_pgmpy(model))
    for n in model.nodes():
        assert back.get_cpds(n) == model.get_cpds(n)


def test_stateless_variables_use_pgmpy_integer_states():
    dag = DAG(
        ["x", Variable("y", 3)], [("x", "y")], cpds={"x": [0.5, 0.5], "y": np.full((3, 2), 1 / 3)}
    )
    model = to_pgmpy(dag)
    assert model.get_cpds("y").state_names == {"y": [0, 1, 2], "x": [0, 1]}
    assert from_pgmpy(model) == dag  # integer states 0..card-1 read back as "no names"


def test_structure_only_round_trip_needs_cards():
    dag = DAG([Variable("u", 3), "v", "w"], [("u", "v")], name="bare")
    model = to_pgmpy(dag)
    assert model.get_cpds() == []
    assert set(model.nodes()) == {"u", "v", "w"}
    with pytest.raises(ValueError, match="node 'u' has no CPD"):
        from_pgmpy(model)
    assert from_pgmpy(model, cards={"u": 3, "v": 2, "w": 2}) == dag


def test_from_pgmpy_rejects_cpd_that_disagrees_with_graph():
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork([("a", "b")])
    model.add_cpds(TabularCPD("a", 2, [[0.5], [0.5]]), TabularCPD("b", 2, [[0.5], [0.5]]))
    with pytest.raises(ValueError, match=r"CPD of 'b' is conditioned on \[\].*parents.*\['a'\]"):
        from_pgmpy(model)


def test_from_pgmpy_name_defaults():
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork()
    model.add_node("x")
    assert from_pgmpy(model, cards={"x": 2}).name == "bayesnet"
    model.name = "mine"
    assert from_pgmpy(model, cards={"x": 2}).name == "mine"
    assert from_pgmpy(model, name="given", cards={"x": 2}).name == "given"


# -- BIF files ---------------------------------------------------------------------------


def test_from_bif_reads_pgmpy_written_alarm(alarm_model, tmp_path):
    from pgmpy.readwrite import BIFWriter

    path = tmp_path / "alarm.bif"
    BIFWriter(alarm_model).write(str(path))
    dag = from_bif(path)
    assert dag.name == "alarm"
    _assert_same_network(dag, load_network("alarm"), atol=1e-9)


@pytest.fixture(scope="module")
def sprinkler() -> DAG:
    # BIFReader builds its grammar on every call (~0.8 s), so parse the data file once.
    return from_bif(DATA / "sprinkler.bif")


def test_from_bif_reads_handwritten_sprinkler(sprinkler):
    dag = sprinkler
    assert dag.name == "sprinkler"
    assert dag.nodes == ("Cloudy", "Sprinkler", "Rain", "WetGrass")
    assert set(dag.edges) == {
        ("Cloudy", "Sprinkler"),
        ("Cloudy", "Rain"),
        ("Sprinkler", "WetGrass"),
        ("Rain", "WetGrass"),
    }
    assert [dag.card(n) for n in dag.nodes] == [2, 2, 3, 2]
    assert dag.variable("Rain").states == ("none", "light", "heavy")
    assert dag.variable("Sprinkler").states == ("on", "off")
    assert graphs.param_count(dag) == 1 + 2 + 4 + 6
    cpds = dag.cpds
    np.testing.assert_allclose(cpds["Rain"], [[0.2, 0.7], [0.5, 0.2], [0.3, 0.1]])
    # The file lists WetGrass | Rain, Sprinkler; the DAG orders parents (Sprinkler, Rain).
    assert dag.parents("WetGrass") == ("Sprinkler", "Rain")
    assert cpds["WetGrass"][0, 0, 1] == pytest.approx(0.95)  # yes | on, light
    assert cpds["WetGrass"][0, 1, 0] == pytest.approx(0.01)  # yes | off, none
    np.testing.assert_allclose(cpds["WetGrass"][:, 1, 2], [0.8, 0.2])  # off, heavy


def test_from_bif_reads_gzip(tmp_path, sprinkler):
    path = tmp_path / "sprinkler.bif.gz"
    path.write_bytes(gzip.compress((DATA / "sprinkler.bif").read_bytes()))
    dag = from_bif(path)
    assert dag.name == "sprinkler"
    assert dag == sprinkler


def test_from_bif_missing_file(tmp_path):
    missing = tmp_path / "nope.bif"
    with pytest.raises(ValueError, match=r"BIF file not found: .*nope\.bif"):
        from_bif(missing)


@pytest.mark.parametrize(
    "text",
    [
        "this is not a BIF file\n",
        "",
        "network x {\n}\n",
        (DATA / "sprinkler.bif").read_text()[:400],  # truncated: tables missing
    ],
    ids=["prose", "empty", "no-variables", "truncated"],
)
def test_from_bif_invalid_file(tmp_path, text):
    path = tmp_path / "bad.bif"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"bad\.bif' is not a valid BIF file") as info:
        from_bif(path)
    assert info.value.__cause__ is not None  # chained, not swallowed


def test_from_bif_binary_file(tmp_path):
    path = tmp_path / "blob.bif.gz"
    path.write_bytes(b"\x00\xff\xfe not gzip")
    with pytest.raises(ValueError, match="not a valid BIF file"):
        from_bif(path)


@pytest.mark.parametrize("filename", ["toy.bif", "toy.bif.gz"])
def test_to_bif_round_trip(tmp_path, filename):
    dag = _toy_dag()
    path = tmp_path / filename
    to_bif(dag, path)
    assert [p.name for p in tmp_path.iterdir()] == [filename]  # no temp file left behind
    back = from_bif(path)
    assert back.name == "toy"
    _assert_same_network(back, dag, atol=1e-12)


def test_to_bif_alarm_round_trip(tmp_path):
    alarm = load_network("alarm")
    to_bif(alarm, tmp_path / "alarm.bif")
    _assert_same_network(from_bif(tmp_path / "alarm.bif"), alarm, atol=1e-12)


def test_to_bif_stateless_variables_get_numbered_states(tmp_path):
    dag = DAG(["x", "y"], [("x", "y")], cpds={"x": [0.25, 0.75], "y": [[0.5, 0.1], [0.5, 0.9]]})
    to_bif(dag, tmp_path / "plain.bif")
    back = from_bif(tmp_path / "plain.bif")
    assert back.variable("y").states == ("0", "1")  # BIF is text: the names come back as text
    np.testing.assert_allclose(back.cpds["y"], dag.cpds["y"])


def test_to_bif_needs_cpds(tmp_path):
    with pytest.raises(ValueError, match="carries no CPDs"):
        to_bif(DAG(["x"], name="bare"), tmp_path / "bare.bif")
    assert list(tmp_path.iterdir()) == []


def test_to_bif_replaces_existing_file(tmp_path, sprinkler):
    path = tmp_path / "s.bif"
    path.write_text("old contents")
    to_bif(sprinkler, path)
    back = from_bif(path)
    assert back.name == "s"
    assert back.parents("WetGrass") == ("Rain", "Sprinkler")  # BIFWriter sorts the variables
    assert math.isclose(back.cpds["WetGrass"][0, 1, 0], 0.95)  # yes | light, on
