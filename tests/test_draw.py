"""Tests for graphs.draw: layouts, DAG drawings, the d-separation heat map and saving.

The assertions look at the artists on the figure (circles, arrows, images), not only at
files on disk.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch

import graphs
from graphs import families
from graphs.draw import draw_dag, draw_pairwise, layout, save_figure
from graphs.independence import pairwise_matrix

FAMILIES = {
    "independent": lambda: families.independent(64),
    "markov_chain": lambda: families.markov_chain(64),
    "markov_grid": lambda: families.markov_grid(8, 8),
    "naive_bayes": lambda: families.naive_bayes(64, 10),
    "latent_class": lambda: families.latent_class(64, 10),
    "autoregressive": lambda: families.autoregressive(64),
}


def node_circles(fig: Figure) -> dict[str, Circle]:
    ax = fig.axes[0]
    return {
        p.get_gid()[len("node:") :]: p
        for p in ax.patches
        if isinstance(p, Circle) and (p.get_gid() or "").startswith("node:")
    }


def edge_count(fig: Figure) -> int:
    ax = fig.axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert all((a.get_gid() or "").startswith("edge:") for a in arrows)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    if lines:
        assert not arrows, "edges drawn twice"
        assert [c.get_gid() for c in lines] == ["edges"]
        return len(lines[0].get_segments())
    return len(arrows)


@pytest.fixture(scope="module")
def alarm() -> graphs.DAG:
    pgmpy_utils = pytest.importorskip("pgmpy.utils")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_example_model is deprecated in pgmpy 1.1
        model = pgmpy_utils.get_example_model("alarm")
    return graphs.DAG(list(model.nodes()), list(model.edges()), name="alarm")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_node_and_edge_is_drawn(family):
    dag = FAMILIES[family]()
    fig = draw_dag(dag)
    assert isinstance(fig, Figure)
    circles = node_circles(fig)
    assert sorted(circles) == sorted(dag.nodes)
    assert edge_count(fig) == len(dag.edges)
    assert fig.axes[0].get_title() == dag.name


def test_dense_dags_use_one_line_collection():
    dag = families.autoregressive(64)
    assert len(dag.edges) == 2016
    fig = draw_dag(dag)
    ax = fig.axes[0]
    assert not [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    (lines,) = [c for c in ax.collections if c.get_gid() == "edges"]
    assert len(lines.get_segments()) == 2016


def test_sparse_dags_get_one_arrow_per_edge():
    dag = families.markov_grid(8, 8)
    fig = draw_dag(dag)
    gids = {p.get_gid() for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)}
    assert gids == {f"edge:{u}->{v}" for u, v in dag.edges}


def test_chain_pixels_form_the_image_lattice():
    fig = draw_dag(families.markov_chain(64))
    circles = node_circles(fig)
    for i in range(64):
        row, col = divmod(i, 8)
        assert circles[f"x{i}"].center == pytest.approx((col, -row))


@pytest.mark.parametrize(
    "make, hidden", [(families.naive_bayes, "y"), (families.latent_class, "z")]
)
def test_label_and_latent_nodes_sit_above_the_grid(make, hidden):
    fig = draw_dag(make(64, 10))
    circles = node_circles(fig)
    top = max(c.center[1] for n, c in circles.items() if n != hidden)
    x, y = circles[hidden].center
    assert y > top
    assert 0 < x < 7  # centred over the 8 columns


def test_roles_have_distinct_colours():
    nb = node_circles(draw_dag(families.naive_bayes(9, 3)))
    lc = node_circles(draw_dag(families.latent_class(9, 3)))
    observed, label, latent = (
        nb["x0"].get_facecolor(),
        nb["y"].get_facecolor(),
        lc["z"].get_facecolor(),
    )
    assert len({observed, label, latent}) == 3
    assert latent[:3] == (1.0, 1.0, 1.0)  # open circle
    fig = draw_dag(families.latent_class(9, 3))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["observed", "latent"]


def test_alarm_layered_parents_above_children(alarm):
    fig = draw_dag(alarm)
    circles = node_circles(fig)
    assert len(circles) == 37
    assert edge_count(fig) == len(alarm.edges) == 46
    for u, v in alarm.edges:
        assert circles[u].center[1] > circles[v].center[1], (u, v)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "HYPOVOLEMIA" in texts
    assert all(t.get_fontsize() >= 5 for t in fig.axes[0].texts)


def test_layered_layout_spreads_and_centres_each_layer():
    dag = graphs.DAG(["a", "b", "c", "d"], [("a", "c"), ("b", "c"), ("c", "d")])
    pos = layout(dag, "layered")
    assert pos["a"][1] == pos["b"][1] > pos["c"][1] > pos["d"][1]
    assert pos["a"][0] + pos["b"][0] == pytest.approx(0)
    assert pos["c"][0] == pos["d"][0] == 0
    assert layout(dag, "layered") == pos  # deterministic


def test_auto_layout_picks_grid_only_with_positions():
    grid = layout(families.markov_chain(16), "auto")
    assert grid["x5"] == (1.0, -1.0)
    flat = layout(families.markov_chain(5), "auto")  # 5 is not a square: no positions
    assert [flat[f"x{i}"][1] for i in range(5)] == [0, -1, -2, -3, -4]


def test_layout_errors():
    with pytest.raises(ValueError, match=r"'spiral'.*auto.*layered.*grid"):
        layout(families.markov_chain(4), "spiral")
    with pytest.raises(ValueError, match="'x0' has none"):
        layout(families.markov_chain(5), "grid")
    with pytest.raises(ValueError, match="spiral"):
        draw_dag(families.markov_chain(4), kind="spiral")


def test_draw_on_given_axes_and_labels():
    fig = Figure()
    ax = fig.add_subplot()
    assert draw_dag(families.naive_bayes(4, 2), ax=ax, title="nb", labels=False) is fig
    assert ax.get_title() == "nb"
    assert not ax.texts
    fig = draw_dag(families.naive_bayes(4, 2), labels={"y": "class"})
    assert "class" in {t.get_text() for t in fig.axes[0].texts}


def test_pairwise_heat_map():
    matrix = pairwise_matrix(families.naive_bayes(9, 3), given="y")
    fig = draw_pairwise(matrix)
    ax = fig.axes[0]
    (image,) = [im for im in ax.images if im.get_gid() == "pairwise"]
    assert np.array_equal(np.asarray(image.get_array()), matrix.separated)
    assert "given {y}" in ax.get_title()
    assert f"{matrix.share:.1%}" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == list(matrix.nodes)
    marginal = draw_pairwise(pairwise_matrix(families.naive_bayes(9, 3)))
    assert "given nothing" in marginal.axes[0].get_title()


def test_pairwise_ticks_are_sparse_for_big_matrices():
    matrix = pairwise_matrix(families.latent_class(64, 10), given="z")
    ax = draw_pairwise(matrix).axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert 4 <= len(labels) <= 20
    assert labels[0] == "x0"


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<svg")])
def test_save_figure(tmp_path, suffix, magic):
    fig = draw_dag(families.markov_grid(3, 3))
    path = save_figure(fig, tmp_path / "new" / "dir" / f"grid{suffix}")
    assert path == tmp_path / "new" / "dir" / f"grid{suffix}"
    data = path.read_bytes()
    assert data.startswith(magic) if suffix == ".png" else magic in data
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left over


def test_save_figure_rejects_other_suffixes(tmp_path):
    fig = draw_dag(families.markov_chain(4))
    with pytest.raises(ValueError, match=r"'\.pdf'.*\.png.*\.svg"):
        save_figure(fig, tmp_path / "grid.pdf")
    assert not list(tmp_path.iterdir())


def test_save_figure_names_a_file_in_the_way(tmp_path):
    fig = draw_dag(families.markov_chain(4))
    (tmp_path / "afile").write_text("")
    with pytest.raises(ValueError, match=r"/afile' is a file$"):
        save_figure(fig, tmp_path / "afile" / "sub" / "x.png")
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_plateless_dags_draw_no_boxes_and_continuous_nodes_as_circles():
    from matplotlib.patches import FancyBboxPatch

    dag = graphs.DAG(
        [graphs.Variable("mu", None, "latent"), graphs.Variable("y", None)], [("mu", "y")]
    )
    fig = draw_dag(dag)
    assert sorted(node_circles(fig)) == ["mu", "y"]
    assert not [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
