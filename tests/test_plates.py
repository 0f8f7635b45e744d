"""Plates, continuous and deterministic variables: validation, unrolling, d-separation on
the unrolled DAG, and plate boxes in drawings.

The test graphs are built by hand: eight schools, a collider and the sprinkler network in a
plate under a global parameter, nested plates, and a mixture model.
"""

from __future__ import annotations

import pytest
from matplotlib.patches import Circle, FancyBboxPatch

import graphs
from graphs import DAG, Plate, Variable, is_d_separated, unroll
from graphs.draw import draw_dag, layout
from graphs.plates import instance_name, unrolled_size


def cont(name: str, role: str = "latent") -> Variable:
    return Variable(name, None, role)


def eight_schools() -> DAG:
    return DAG(
        [cont("mu"), cont("tau"), cont("theta"), cont("y", "observed")],
        [("mu", "theta"), ("tau", "theta"), ("theta", "y")],
        name="eight schools",
        plates=[Plate("schools", 8, ("theta", "y"))],
    )


def collider() -> DAG:
    return DAG(
        [cont("w"), "a", "b", "c"],
        [("a", "c"), ("b", "c"), ("w", "a"), ("w", "b"), ("w", "c")],
        name="collider",
        plates=[Plate("items", 5, ("a", "b", "c"))],
    )


SPRINKLER = ("cloudy", "sprinkler", "rain", "wet")


def sprinkler() -> DAG:
    edges = [("cloudy", "sprinkler"), ("cloudy", "rain"), ("sprinkler", "wet"), ("rain", "wet")]
    return DAG(
        [cont("w"), *SPRINKLER],
        edges + [("w", n) for n in SPRINKLER],
        name="sprinkler",
        plates=[Plate("items", 5, SPRINKLER)],
    )


def nested() -> DAG:
    # g (global) -> r (rows) -> x (rows x cols) -> s (rows, deterministic)
    return DAG(
        [cont("g"), cont("r"), cont("x", "observed"), cont("s", "deterministic")],
        [("g", "r"), ("r", "x"), ("x", "s")],
        name="nested",
        plates=[Plate("rows", 3, ("r", "x", "s")), Plate("cols", 2, ("x",))],
    )


def mixture() -> DAG:
    return DAG(
        [cont("pi"), Variable("z", 3, "latent"), cont("theta"), cont("x", "observed")],
        [("pi", "z"), ("z", "x"), ("theta", "x")],
        name="mixture",
        plates=[Plate("items", 4, ("z", "x"))],
    )


GRAPHS = {
    "eight_schools": eight_schools,
    "collider": collider,
    "sprinkler": sprinkler,
    "nested": nested,
    "mixture": mixture,
}


# -- continuous and deterministic variables ----------------------------------------------


def test_continuous_variables_have_no_card():
    dag = eight_schools()
    assert dag.card("mu") is None
    assert dag.graph.nodes["y"]["card"] is None
    assert Variable("v", None).states is None
    with pytest.raises(ValueError, match=r"'v': state names need a finite card"):
        Variable("v", None, states=("a", "b"))
    with pytest.raises(ValueError, match=r"'v': card must be >= 2"):
        Variable("v", 1)
    with pytest.raises(ValueError, match=r"'v': card must be an int >= 2 or None"):
        Variable("v", True)


@pytest.mark.parametrize(
    "count", [graphs.param_count, graphs.logistic_count, graphs.full_joint_count]
)
def test_tabular_counts_refuse_continuous_nodes(count):
    with pytest.raises(ValueError, match=r"node 'y' of DAG 'eight schools' has no finite"):
        count(DAG([Variable("a", 3), cont("y", "observed")], [("a", "y")], name="eight schools"))


def test_param_count_names_the_first_continuous_node():
    with pytest.raises(ValueError, match=r"node 'mu' .*tabular counts need discrete variables"):
        graphs.param_count(eight_schools())


def test_full_joint_counts_observed_and_label_only():
    dag = DAG(
        [
            Variable("y", 3, "label"),
            Variable("x", 2),
            Variable("h", None, "latent"),
            Variable("d", None, "deterministic"),
            Variable("e", 5, "deterministic"),
        ],
        [("y", "x"), ("h", "x"), ("x", "d"), ("x", "e")],
    )
    assert "deterministic" in graphs.ROLES
    assert graphs.full_joint_count(dag) == 3 * 2 - 1
    assert graphs.full_joint_count(dag, ["x", "e"]) == 2 * 5 - 1
    with pytest.raises(ValueError, match="node 'd'"):
        graphs.full_joint_count(dag, ["x", "d"])
    assert dag.with_role("deterministic") == ("d", "e")


def test_cpds_are_refused_for_continuous_nodes():
    dag = DAG([Variable("a", 2), cont("b")], [("a", "b")])
    with pytest.raises(ValueError, match=r"node 'b' has no finite number of states"):
        dag.with_cpds({"a": [0.5, 0.5], "b": [[0.5, 0.5], [0.5, 0.5]]})


def test_pgmpy_and_bif_refuse_continuous_nodes(tmp_path):
    dag = DAG(["a", cont("b")], [("a", "b")], name="half")
    with pytest.raises(ValueError, match=r"node 'b' of DAG 'half' has no finite.*pgmpy"):
        graphs.to_pgmpy(dag)
    with pytest.raises(ValueError, match=r"node 'b' of DAG 'half' has no finite.*BIF"):
        graphs.to_bif(dag, tmp_path / "half.bif")
    assert not list(tmp_path.iterdir())


def test_deterministic_role_round_trips_through_pgmpy():
    pytest.importorskip("pgmpy")
    dag = DAG(["a", Variable("d", 2, "deterministic"), Variable("h", 2, "latent")], [("a", "d")])
    back = graphs.from_pgmpy(graphs.to_pgmpy(dag), cards={"a": 2, "d": 2, "h": 2})
    assert [v.role for v in back.variables] == ["observed", "deterministic", "latent"]


@pytest.mark.parametrize("make", list(GRAPHS.values()), ids=list(GRAPHS))
def test_independence_works_for_any_cards(make):
    dag = make()
    card = graphs.independence_summary(dag)
    assert card["local_markov_count"] == len(graphs.local_markov(dag))
    assert set(card["markov_blankets"]) == set(dag.nodes)
    node = dag.nodes[1]
    assert list(graphs.markov_blanket(dag, node)) == card["markov_blankets"][node]
    assert graphs.pairwise_matrix(dag).separated.shape == (len(dag), len(dag))


# -- plates on the DAG -------------------------------------------------------------------


def test_plates_are_read_back_in_order():
    dag = nested()
    assert dag.plates == (Plate("rows", 3, ("r", "x", "s")), Plate("cols", 2, ("x",)))
    assert dag.plates_of("x") == ("rows", "cols")
    assert dag.plates_of("s") == ("rows",)
    assert dag.plates_of("g") == ()
    with pytest.raises(ValueError, match="unknown node 'q'"):
        dag.plates_of("q")
    assert repr(dag) == "DAG('nested', 4 nodes, 3 edges, 2 plates)"


def test_plate_members_are_kept_in_node_order():
    a = DAG(["u", "v"], plates=[Plate("p", 2, ("v", "u"))])
    assert a.plates == (Plate("p", 2, ("u", "v")),)
    assert a == DAG(["u", "v"], plates=[Plate("p", 2, ("u", "v"))])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Plate("", 2, ("a",)), "plate names must be non-empty strings"),
        (lambda: Plate(3, 2, ("a",)), "plate names must be non-empty strings"),
        (lambda: Plate("p", 0, ("a",)), r"plate 'p': size must be a positive int, got 0"),
        (lambda: Plate("p", -1, ("a",)), r"plate 'p': size must be a positive int"),
        (lambda: Plate("p", True, ("a",)), r"plate 'p': size must be a positive int, got True"),
        (lambda: Plate("p", 2.0, ("a",)), r"plate 'p': size must be a positive int, got 2\.0"),
        (lambda: Plate("p", 2, ()), "plate 'p' has no members"),
        (lambda: Plate("p", 2, "ab"), "plate 'p': members must be a sequence of node names"),
        (lambda: Plate("p", 2, ("a", "")), "plate 'p': members must be non-empty node names"),
        (lambda: Plate("p", 2, ("a", "b", "a")), "plate 'p': member 'a' appears twice"),
        (
            lambda: DAG(["a", "b"], plates=[Plate("p", 2, ("a",)), Plate("p", 3, ("b",))]),
            "plate names must be unique: 'p' appears twice",
        ),
        (
            lambda: DAG(["a", "b"], name="g", plates=[Plate("p", 2, ("a", "c"))]),
            r"plate 'p' names unknown node 'c' \(not in DAG 'g'\)",
        ),
        (lambda: DAG(["a"], plates=[("p", 2, ("a",))]), "plates must be Plate objects"),
    ],
)
def test_bad_plates_name_the_problem(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_plates_take_part_in_equality_and_hashing():
    base = eight_schools()
    assert base == eight_schools() and hash(base) == hash(eight_schools())
    bare = DAG(base.variables, base.edges, name=base.name)
    sized = DAG(base.variables, base.edges, plates=[Plate("schools", 9, ("theta", "y"))])
    fewer = DAG(base.variables, base.edges, plates=[Plate("schools", 8, ("y",))])
    renamed = DAG(base.variables, base.edges, plates=[Plate("school", 8, ("theta", "y"))])
    for other in (bare, sized, fewer, renamed):
        assert other != base
    assert len({base, bare, sized, fewer, renamed}) == 5
    two = nested()
    swapped = DAG(two.variables, two.edges, plates=two.plates[::-1])
    assert swapped != two  # plate order is the index order of unrolled names


def test_with_cpds_and_renamed_keep_plates():
    dag = DAG(["a", "b"], [("a", "b")], plates=[Plate("p", 4, ("b",))])
    with_cpds = dag.with_cpds({"a": [0.5, 0.5], "b": [[0.9, 0.2], [0.1, 0.8]]})
    assert with_cpds.plates == dag.plates
    assert dag.renamed("other").plates == dag.plates
    assert dag.renamed("other").name == "other"


def test_restricted_is_the_induced_sub_dag():
    dag = nested().with_cpds(None)
    sub = dag.restricted(["s", "x", "g"])
    assert sub.nodes == ("g", "x", "s")  # the DAG's node order, not the order asked
    assert sub.edges == (("x", "s"),)
    assert sub.plates == (Plate("rows", 3, ("x", "s")), Plate("cols", 2, ("x",)))
    assert sub.variables == tuple(dag.variable(n) for n in ("g", "x", "s"))
    assert sub.name == dag.name
    only_global = dag.restricted("g")
    assert only_global.nodes == ("g",) and only_global.plates == ()  # empty plates dropped
    with_cpds = DAG(["a", "b"], [("a", "b")]).with_cpds({"a": [0.5, 0.5], "b": [[1, 0], [0, 1]]})
    assert with_cpds.restricted(["a", "b"]).cpds is None
    with pytest.raises(ValueError, match="unknown node 'nope'"):
        dag.restricted(["g", "nope"])


# -- unrolling ---------------------------------------------------------------------------


def test_instance_names():
    assert instance_name("theta", (3,)) == "theta[3]"
    assert instance_name("x", (0, 2)) == "x[0,2]"
    assert instance_name("mu", ()) == "mu"


def test_unrolled_eight_schools():
    flat = unroll(eight_schools())
    theta = [f"theta[{j}]" for j in range(8)]
    y = [f"y[{j}]" for j in range(8)]
    assert flat.nodes == ("mu", "tau", *theta, *y)
    assert len(flat) == 18 and len(flat.edges) == 24
    assert set(flat.edges) == {(p, t) for p in ("mu", "tau") for t in theta} | set(
        zip(theta, y, strict=True)
    )
    assert flat.parents("y[3]") == ("theta[3]",)
    assert flat.name == "eight schools (unrolled)"
    assert flat.plates == ()
    assert flat.cpds is None
    assert flat.variable("theta[5]") == Variable("theta[5]", None, "latent")
    assert flat.role("y[0]") == "observed"
    for j in range(8):
        for k in range(8):
            if j != k:
                assert is_d_separated(flat, theta[j], theta[k], ["mu", "tau"])
    assert not is_d_separated(flat, "theta[0]", "theta[1]")
    assert not is_d_separated(flat, "y[0]", "y[1]", "mu")  # tau is still open
    assert is_d_separated(flat, "y[0]", "y[1]", ["mu", "tau"])


def test_unrolled_collider_in_a_plate():
    flat = unroll(collider())
    assert len(flat) == 1 + 3 * 5
    assert set(flat.edges) == {
        e
        for i in range(5)
        for e in (
            (f"a[{i}]", f"c[{i}]"),
            (f"b[{i}]", f"c[{i}]"),
            ("w", f"a[{i}]"),
            ("w", f"b[{i}]"),
            ("w", f"c[{i}]"),
        )
    }
    assert not is_d_separated(flat, "a[0]", "b[0]")  # through w
    assert is_d_separated(flat, "a[0]", "b[0]", "w")
    assert not is_d_separated(flat, "a[0]", "b[0]", ["w", "c[0]"])  # the collider opens
    assert is_d_separated(flat, "a[0]", "b[1]", ["w", "c[0]"])  # not across items
    assert not is_d_separated(flat, "a[0]", "a[1]")


def test_unrolled_sprinkler_in_a_plate():
    flat = unroll(sprinkler())
    assert len(flat) == 1 + 4 * 5
    assert len(flat.edges) == 5 * 4 + 5 * 4
    assert flat.parents("wet[2]") == ("w", "sprinkler[2]", "rain[2]")
    assert flat.children("w") == tuple(f"{n}[{i}]" for n in SPRINKLER for i in range(5))
    assert is_d_separated(flat, "sprinkler[2]", "rain[2]", ["cloudy[2]", "w"])
    assert not is_d_separated(flat, "sprinkler[2]", "rain[2]", ["cloudy[2]", "w", "wet[2]"])
    assert not is_d_separated(flat, "sprinkler[2]", "rain[2]", "cloudy[2]")  # w is open
    assert is_d_separated(flat, "wet[0]", "wet[4]", "w")


def test_unrolled_nested_plates():
    dag = nested()
    flat = unroll(dag)
    xs = [f"x[{i},{j}]" for i in range(3) for j in range(2)]
    assert flat.nodes == ("g", "r[0]", "r[1]", "r[2]", *xs, "s[0]", "s[1]", "s[2]")
    assert "x[2,1]" in flat and "x[1,2]" not in flat
    assert unrolled_size(dag) == len(flat) == 13
    expected = (
        {("g", f"r[{i}]") for i in range(3)}
        | {(f"r[{i}]", f"x[{i},{j}]") for i in range(3) for j in range(2)}
        | {(f"x[{i},{j}]", f"s[{i}]") for i in range(3) for j in range(2)}
    )
    assert set(flat.edges) == expected
    assert flat.parents("x[2,1]") == ("r[2]",)
    assert flat.parents("s[1]") == ("x[1,0]", "x[1,1]")  # cols is the parent's only
    assert flat.role("s[0]") == "deterministic"
    assert is_d_separated(flat, "x[0,0]", "x[0,1]", "r[0]")
    assert not is_d_separated(flat, "x[0,0]", "x[1,0]")


def test_unrolled_mixture():
    flat = unroll(mixture())
    assert flat.nodes == (
        "pi",
        "z[0]",
        "z[1]",
        "z[2]",
        "z[3]",
        "theta",
        "x[0]",
        "x[1]",
        "x[2]",
        "x[3]",
    )
    assert set(flat.edges) == {
        e
        for i in range(4)
        for e in (("pi", f"z[{i}]"), (f"z[{i}]", f"x[{i}]"), ("theta", f"x[{i}]"))
    }
    assert flat.card("z[1]") == 3 and flat.card("x[1]") is None
    assert is_d_separated(flat, "z[0]", "z[1]", "pi")
    # observing the data couples the assignments through theta...
    assert not is_d_separated(flat, "z[0]", "z[1]", ["pi", "x[0]", "x[1]"])
    # ... unless theta is known too
    assert is_d_separated(flat, "z[0]", "z[1]", ["pi", "theta", "x[0]", "x[1]"])


def test_unroll_edge_rule_for_unshared_plates():
    # u in plate A only, v in plate B only: every v instance gets every u instance.
    dag = DAG(
        ["u", "v", "t"],
        [("u", "v"), ("v", "t")],
        plates=[Plate("A", 2, ("u", "t")), Plate("B", 3, ("v", "t"))],
    )
    flat = unroll(dag)
    assert set(flat.parents("v[1]")) == {"u[0]", "u[1]"}
    # t is in A and B: shares A with nothing upstream, B with v.
    assert flat.parents("t[1,2]") == ("v[2]",)
    assert len(flat.edges) == 2 * 3 + 2 * 3


def test_unroll_keeps_a_plateless_dag_and_its_positions():
    dag = DAG([Variable("a", pos=(0, 0)), "b"], [("a", "b")], name="tiny")
    flat = unroll(dag)
    assert flat.variables == dag.variables and flat.edges == dag.edges
    assert flat.name == "tiny (unrolled)"
    plated = DAG([Variable("a", pos=(0, 1))], plates=[Plate("p", 2, ("a",))])
    assert [v.pos for v in unroll(plated).variables] == [None, None]


def test_unroll_refuses_huge_graphs_before_building():
    dag = DAG(
        ["a", "b"], [("a", "b")], plates=[Plate("p", 10**6, ("a",)), Plate("q", 10**6, ("a", "b"))]
    )
    with pytest.raises(ValueError, match=r"1000001000000 nodes, more than max_nodes=2000"):
        unroll(dag)
    with pytest.raises(ValueError, match=r"would make 18 nodes, more than max_nodes=17"):
        unroll(eight_schools(), max_nodes=17)
    assert len(unroll(eight_schools(), max_nodes=18)) == 18
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        unroll(eight_schools(), max_nodes=0)


# -- drawing -----------------------------------------------------------------------------


def _artists(fig):
    ax = fig.axes[0]
    circles = {
        p.get_gid()[len("node:") :]: p
        for p in ax.patches
        if isinstance(p, Circle) and (p.get_gid() or "").startswith("node:")
    }
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    return ax, circles, boxes


@pytest.mark.parametrize("make", list(GRAPHS.values()), ids=list(GRAPHS))
def test_each_plate_is_one_box_around_exactly_its_members(make):
    dag = make()
    fig = draw_dag(dag)
    ax, circles, boxes = _artists(fig)
    assert sorted(circles) == sorted(dag.nodes)
    assert sorted(b.get_gid() for b in boxes) == sorted(f"plate:{p.name}" for p in dag.plates)
    pos = layout(dag)
    for v, c in circles.items():
        assert c.center == pytest.approx(pos[v])
    for p in dag.plates:
        (box,) = [b for b in boxes if b.get_gid() == f"plate:{p.name}"]
        x0, y0 = box.get_x(), box.get_y()
        x1, y1 = x0 + box.get_width(), y0 + box.get_height()
        enclosed = {v for v, (x, y) in pos.items() if x0 < x < x1 and y0 < y < y1}
        assert enclosed == set(p.members), p.name
        # the box stays inside the drawing
        assert ax.get_xlim()[0] < x0 < x1 < ax.get_xlim()[1]
        assert ax.get_ylim()[0] < y0 < y1 < ax.get_ylim()[1]
        (label,) = [t for t in ax.texts if t.get_gid() == f"plate-label:{p.name}"]
        assert label.get_text() == f"{p.name}  N={p.size}"


def test_nested_plate_boxes_nest():
    fig = draw_dag(nested())
    _, _, boxes = _artists(fig)
    ext = {b.get_gid(): b.get_extents() for b in boxes}  # display coordinates
    outer, inner = ext["plate:rows"], ext["plate:cols"]
    assert outer.x0 < inner.x0 and inner.x1 < outer.x1
    assert outer.y0 < inner.y0 and inner.y1 < outer.y1


def test_eight_schools_globals_sit_above_the_plate():
    pos = layout(eight_schools())
    assert pos["mu"][1] == pos["tau"][1] > pos["theta"][1] > pos["y"][1]
    assert pos["theta"][0] == pos["y"][0]
    assert pos["mu"][0] < pos["theta"][0] < pos["tau"][0]


def test_plate_members_stay_together_within_a_layer():
    # In one layer: two plated nodes and two global ones whose barycentres would
    # interleave them; the plate's members must end up next to each other.
    dag = DAG(
        ["r1", "r2", "r3", "r4", "a", "b", "c", "d"],
        [("r1", "a"), ("r2", "b"), ("r3", "c"), ("r4", "d")],
        plates=[Plate("p", 3, ("a", "c"))],
    )
    pos = layout(dag)
    layer = sorted((n for n in "abcd"), key=lambda n: pos[n][0])
    i, j = layer.index("a"), layer.index("c")
    assert abs(i - j) == 1
    fig = draw_dag(dag)
    (box,) = _artists(fig)[2]
    x0, x1 = box.get_x(), box.get_x() + box.get_width()
    assert {n for n in dag.nodes if x0 < pos[n][0] < x1 and pos[n][1] == pos["a"][1]} == {
        "a",
        "c",
    }


def test_deterministic_nodes_are_dashed_and_in_the_legend():
    fig = draw_dag(nested())
    ax, circles, _ = _artists(fig)
    assert circles["s"].get_linestyle() != circles["r"].get_linestyle()
    assert circles["r"].get_linestyle() == "solid"
    assert circles["s"].get_facecolor()[:3] == (1.0, 1.0, 1.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["observed", "latent", "deterministic"]
    fig.canvas.draw()  # the legend's dashed circle handle renders


def test_unrolled_dag_draws_without_boxes():
    flat = unroll(eight_schools())
    fig = draw_dag(flat)
    ax, circles, boxes = _artists(fig)
    assert len(circles) == 18 and boxes == []
