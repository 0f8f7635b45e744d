"""The flow family: the change of variables against a direct Jacobian, the dequantised
bound below the discrete log-likelihood (tight for a density constant on each cell), the
2-D grid integral, and the family on the digits through fit, card and compare."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.models import _flow_net, _flow_toys, make_model


@pytest.fixture(scope="module")
def tiny():
    """A 3-pixel flow with small random weights (large ones pile mass in thin sheets at
    the cube's faces, which a grid cannot resolve)."""
    model = make_model("flow", n=3, hidden=6, knots=3, layers=2, mc_samples=4096)
    w = 0.1 * jax.random.normal(jax.random.PRNGKey(3), (model.param_count(),))
    return model, w


def test_the_count_is_the_live_weights(tiny):
    model, _ = tiny
    spec = zoo.models.get_family("flow")
    assert model.param_count() == spec.count(spec.build(n=3), n=3, hidden=6, knots=3, layers=2)
    # FlowJAX stores masked weights too: they are not parameters
    assert model.layout.size < model.layout.full_size


def test_change_of_variables_equals_a_direct_jacobian(tiny):
    model, w = tiny
    chain = model.layout.module(w)
    y = jnp.array([0.3, 1.7, 1.1])

    def to_noise(v):  # y -> z through the squeeze and the flow, then the Jacobian directly
        return chain.transform(_flow_net.squeeze(v)[0])

    z = to_noise(y)
    direct = jax.scipy.stats.norm.logpdf(z).sum() + jnp.linalg.slogdet(jax.jacfwd(to_noise)(y))[1]
    assert float(_flow_net.log_density_y(chain, y)) == pytest.approx(float(direct), abs=1e-4)
    # the loop form's conditionals multiply to the joint (the map is triangular)
    terms = _flow_net.conditional_terms(chain, y)
    assert float(terms.sum()) == pytest.approx(float(direct), abs=1e-4)


def test_the_flow_is_normalised_on_its_cube(tiny):
    model, w = tiny
    chain = model.layout.module(w)
    # sum_x P(x) = 1: the cube (0, 2)^3 holds all the mass (midpoint rule, 40^3 cells)
    h = 2 / 40
    mid = h * (np.arange(40) + 0.5)
    cube = jnp.asarray(np.stack(np.meshgrid(mid, mid, mid), -1).reshape(-1, 3), jnp.float32)
    p = np.exp(np.asarray(jax.vmap(lambda y: _flow_net.log_density_y(chain, y))(cube)))
    assert p.sum() * h**3 == pytest.approx(1.0, abs=5e-3)
    # each binary item's mass is its cell's integral; the bound (4096 u's: MC error ~0.01)
    # sits below its log, by Jensen's gap
    cells = np.floor(np.asarray(cube)).astype(int) @ np.array([4, 2, 1])
    mass = np.bincount(cells, weights=p * h**3, minlength=8)
    items = np.array([[(k >> 2) & 1, (k >> 1) & 1, k & 1] for k in range(8)])
    data = zoo.Dataset(items, model.observed, (2, 2, 2), source="all items")
    bound = np.asarray(model.log_likelihood({"weights": w[None]}, data))[0]
    assert (bound <= np.log(mass) + 0.03).all()
    assert bound.mean() < np.log(mass).mean()
    assert np.exp(bound).sum() < 1.0


def test_the_bound_is_tight_for_a_density_constant_on_each_cell(tiny):
    model, _ = tiny
    # a density constant on each unit cell: E_u log p(x + u) = log P(x) exactly; the flow's
    # MC bound, applied to it, computes the same average
    probs = np.array([0.1, 0.2, 0.3, 0.4])

    def log_p(y):
        return np.log(probs[np.floor(y[..., 0]).astype(int) * 2 + np.floor(y[..., 1]).astype(int)])

    u = np.random.default_rng(0).uniform(size=(64, 2))
    for k, p in enumerate(probs):
        x = np.array([k >> 1, k & 1])
        assert np.mean(log_p(x + u)) == pytest.approx(np.log(p))


@pytest.fixture(scope="module")
def moons():
    points = _flow_toys.toy_data("moons", 400)
    return points, _flow_toys.train_toy(points, jax.random.PRNGKey(0), layers=2, steps=300)


def test_a_trained_2d_flow_integrates_to_one_on_the_grid(moons):
    points, flow = moons
    assert flow.losses[-1] < flow.losses[0]
    assert abs(_flow_toys.grid_integral(flow) - 1.0) < 1e-3


def test_the_warp_figure_shows_every_layer(moons):
    points, flow = moons
    stages = flow.stages(np.zeros((5, 2), np.float32))
    assert len(stages) == 3  # the base and after each of the 2 MAF layers
    fig = _flow_toys.warp_figure(flow, points, n=200)
    assert len(fig.axes) == 5


def test_toys_and_bad_names():
    for name in _flow_toys.TOYS:
        pts = _flow_toys.toy_data(name, 50)
        assert pts.shape == (50, 2)
        np.testing.assert_allclose(pts.mean(axis=0), 0, atol=1e-9)
    with pytest.raises(zoo.ZooError, match="unknown toy 'spiral'"):
        _flow_toys.toy_data("spiral")


def test_bad_options_are_refused():
    with pytest.raises(zoo.ZooError, match="knots must be a positive int"):
        make_model("flow", n=4, knots=0)


def test_it_fits_compares_and_saves(capsys, tmp_path):
    argv = ["fit", "flow", "--steps", "20", "--json", "--out", str(tmp_path / "fit")]
    assert main(argv) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["params"]["model"] == make_model("flow").param_count()
    assert card["method"] == "svi" and card["settings"]["learning_rate"] == 0.005
    details = card["heldout"]["details"]
    assert details["dequantisation_samples"] == 16 and details["mc_se_nats"] > 0
    assert "train_nats_per_item" in card["diagnostics"]
    back = zoo.load(tmp_path / "fit")
    assert back.result.draws()["weights"].shape == (1, make_model("flow").param_count())
    # held-out samples are binary pixels
    model = make_model("flow")
    items = model.sample(back.result.draws(), jax.random.PRNGKey(0), 4)
    assert set(np.unique(items)) <= {0, 1}
