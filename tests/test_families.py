"""Family structures and their exact parameter counts, in closed form at n = 3, 8, 784."""

import math

import pytest

import graphs
from graphs import full_joint_count, logistic_count, param_count


@pytest.mark.parametrize("n", [3, 8, 784])
def test_closed_form_counts(n):
    assert param_count(graphs.independent(n)) == n
    assert param_count(graphs.markov_chain(n, order=1)) == 1 + 2 * (n - 1)
    k = 2
    assert param_count(graphs.markov_chain(n, order=k)) == sum(2 ** min(i, k) for i in range(n))
    for classes in (2, 10):
        expected = (classes - 1) + classes * n
        assert param_count(graphs.naive_bayes(n, classes=classes)) == expected
        assert param_count(graphs.latent_class(n, components=classes)) == expected
        assert full_joint_count(graphs.naive_bayes(n, classes=classes)) == classes * 2**n - 1
        # the hidden class is summed out: the joint of interest is over x alone
        assert full_joint_count(graphs.latent_class(n, components=classes)) == 2**n - 1
    ar = graphs.autoregressive(n) if n <= 64 else None
    if ar is not None:
        assert param_count(ar) == 2**n - 1 == full_joint_count(ar)  # tabular: no saving at all
        assert logistic_count(ar) == n * (n + 1) // 2
    assert full_joint_count(graphs.independent(n)) == 2**n - 1


def test_784_pixels_exact():
    full = full_joint_count(graphs.independent(784))
    assert full == 2**784 - 1 and len(str(full)) == 237
    assert graphs.log10(full) == pytest.approx(784 * math.log10(2))
    ar = graphs.autoregressive(784)
    assert param_count(ar) == full
    assert logistic_count(ar) == 784 * 785 // 2


def test_grid_neighbourhood():
    dag = graphs.markov_grid(8, 8)
    assert dag.parents("x0") == ()
    assert dag.parents("x1") == ("x0",)  # left only on the top row
    assert dag.parents("x8") == ("x0", "x1")  # up and up-right on the left edge
    assert dag.parents("x9") == ("x0", "x1", "x2", "x8")
    assert dag.parents("x15") == ("x6", "x7", "x14")  # no up-right on the right edge
    # 1 corner, 7 top, 7 left edge, 7 right edge, 42 interior
    assert param_count(dag) == 1 + 7 * 2 + 7 * 4 + 7 * 8 + 42 * 16
    assert dag.variable("x9").pos == (1, 1)
    left_up = graphs.markov_grid(3, 3, neighbours=("left", "up"))
    assert left_up.parents("x4") == ("x1", "x3")


def test_orderings_and_cardinality():
    chain = graphs.markov_chain(4, order=1, ordering=[3, 1, 0, 2])
    assert set(chain.edges) == {("x3", "x1"), ("x1", "x0"), ("x0", "x2")}
    ar = graphs.autoregressive(3, ordering=[2, 0, 1])
    assert ar.parents("x1") == ("x0", "x2") and ar.parents("x2") == ()
    ternary = graphs.markov_chain(5, card=3)
    assert param_count(ternary) == 2 + 4 * (2 * 3)
    assert full_joint_count(ternary) == 3**5 - 1


def test_roles_and_positions():
    nb = graphs.naive_bayes(64, classes=10)
    assert nb.role("y") == "label" and nb.card("y") == 10 and nb.has_positions
    assert nb.variable("x63").pos == (7, 7)
    lc = graphs.latent_class(5, components=3)
    assert lc.role("z") == "latent" and lc.variable("x0").pos is None
    assert graphs.independent(10, shape=(2, 5)).variable("x7").pos == (1, 2)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: graphs.independent(0), "n must be a positive int"),
        (lambda: graphs.markov_chain(5, order=0), "order must be an int >= 1"),
        (lambda: graphs.markov_chain(3, ordering=[0, 0, 1]), "permutation of range"),
        (lambda: graphs.markov_grid(3, 3, neighbours=("down",)), "unknown neighbour 'down'"),
        (lambda: graphs.independent(10, shape=(3, 3)), r"holds 9 pixels, but n is 10"),
        (lambda: graphs.naive_bayes(4, classes=1), "card must be >= 2"),
    ],
)
def test_bad_family_options(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_neural_counts_from_masks():
    masks, direct = graphs.made_masks(4, 6)
    assert [m.shape for m in masks] == [(4, 6), (6, 4)]
    # output of the first variable in the order sees nothing: only its bias is free
    assert not masks[1][:, 0].any() and not direct[:, 0].any()
    # no output may depend on its own input or later ones, through any path
    reach = (masks[0].astype(int) @ masks[1].astype(int) + direct) > 0
    assert not reach[[i for i in range(4)], [i for i in range(4)]].any()
    assert not any(reach[j, i] for i in range(4) for j in range(i, 4))
    dense = graphs.dense_count([(4, 6), (6, 4)])
    assert dense == 4 * 6 + 6 + 6 * 4 + 4
    assert graphs.made_count(4, 6) < dense
    assert graphs.made_count(4, 6, direct=True) == graphs.made_count(4, 6) + 6
    assert graphs.masked_count(masks) == int(masks[0].sum() + masks[1].sum()) + 6 + 4
