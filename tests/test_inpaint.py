"""``zoo analyze inpaint``: known answers for each way of conditioning on the top half, then
the analysis end to end at a tiny size (JSON keys, same seed same numbers, the CLI)."""

from __future__ import annotations

import itertools
import json
import math

import jax
import numpy as np
import pytest
from scipy.special import logsumexp

from zoo.analyses import _inpaint_deep as deep
from zoo.analyses import _inpaint_exact as exact
from zoo.analyses import inpaint
from zoo.data import Dataset
from zoo.models import make_model

ROWS = ["independent", "markov-chain", "markov-grid", "naive-bayes", "latent-class"]


def _data(x, y=None, classes=None):
    names = tuple(f"x{i}" for i in range(x.shape[1]))
    return Dataset(np.asarray(x), names, (2,) * x.shape[1], y, classes, source="test")


def _bottoms(x, top):
    """Every completion of each item's top: ``(items, 2^bottom, n)``."""
    states = np.array(list(itertools.product((0, 1), repeat=x.shape[1] - top)))
    out = np.repeat(x[:, None], len(states), axis=1)
    out[:, :, top:] = states
    return out


def _network(name, rng):
    """A small tabular (or latent class) network fitted to random data, with its data."""
    n, top = (9, 3) if name == "markov-grid" else (5, 2)
    x = (rng.random((40, n)) < 0.4).astype(np.int32)
    if name == "naive-bayes":
        train = _data(x, rng.integers(0, 3, 40), 3)
        model = make_model(name, n=n, classes=3)
    elif name == "markov-grid":
        train, model = _data(x), make_model("markov-chain", n=n, grid=True)
    else:
        options = {"classes": 3} if name == "latent-class" else {}
        train, model = _data(x), make_model(name, n=n, **options)
    if name == "latent-class":
        draws = model.point_estimate(train, seed=0)
        from zoo.models._em import FLOOR

        net = exact.mixture_network(model.dag, draws["pi"][0], draws["theta"][0], FLOOR)
    else:
        net = exact.tabular_network(model, train)
        mean = {s: m[None] for s, (m, _) in model.exact_moments(train).items()}
        draws = mean
    return model, draws, net, x, top


@pytest.mark.parametrize("name", ROWS)
def test_tabular_conditional_equals_enumeration(name):
    model, draws, net, x, top = _network(name, np.random.default_rng(0))
    log_px, log_top = net.log_joint(x, top)
    # log p(x) is the zoo's own held-out score of the same point
    zoo = np.asarray(model.log_px(draws, _data(x)))[0]
    np.testing.assert_allclose(log_px, zoo, atol=1e-4)
    # log p(top): every bottom summed out by brute force
    every = _bottoms(x, top)
    joint = net.log_joint(every.reshape(-1, x.shape[1]), top)[0].reshape(every.shape[:2])
    np.testing.assert_allclose(log_top, logsumexp(joint, axis=1), atol=1e-9)


def test_independent_conditional_is_the_bottom_marginal():
    rng = np.random.default_rng(1)
    x = (rng.random((30, 6)) < 0.3).astype(np.int32)
    model = make_model("independent", n=6)
    log_px, log_top = exact.tabular_network(model, _data(x)).log_joint(x, 2)
    theta = (1.0 + x.sum(axis=0)) / (2.0 + len(x))  # Beta(1, 1) posterior means
    bottom = np.log(np.where(x[:, 2:] == 1, theta[2:], 1 - theta[2:])).sum(axis=1)
    np.testing.assert_allclose(log_px - log_top, bottom, atol=1e-12)


def test_a_top_with_bottom_parents_is_refused():
    import graphs
    from zoo.errors import ZooError

    dag = graphs.markov_chain(4)
    reversed_net = exact.Network(dag, {}, tuple(reversed(dag.nodes)))
    with pytest.raises(ZooError, match="not ancestral"):
        reversed_net.check_top(2)


@pytest.mark.parametrize("name", ["naive-bayes", "markov-grid", "latent-class"])
def test_tabular_completions_keep_the_top_and_follow_the_conditional(name):
    _, _, net, x, top = _network(name, np.random.default_rng(2))
    item = np.repeat(x[:1], 4000, axis=0)
    done = net.complete(item, top, np.random.default_rng(3))
    assert (done[:, :top] == x[0, :top]).all()
    every = _bottoms(x[:1], top)[0]
    log_px, log_top = net.log_joint(every, top)
    exact_p = np.exp(log_px - log_top)
    codes = done[:, top:] @ (2 ** np.arange(x.shape[1] - top)[::-1])
    freq = np.bincount(codes, minlength=len(every)) / len(done)
    assert abs(exact_p.sum() - 1) < 1e-9
    assert np.max(np.abs(freq - exact_p)) < 0.03


@pytest.fixture(scope="module")
def ar():
    model = make_model("autoregressive", n=4, conditional="neural", hidden=3)
    draws = model.prior_draws(jax.random.PRNGKey(0), 3)
    return model, {k: np.asarray(v) for k, v in draws.items()}


def test_autoregressive_chain_rule_equals_enumeration(ar):
    model, draws = ar
    x = np.array([[0, 1, 1, 0], [1, 1, 0, 1], [0, 0, 0, 0]])
    log_px, log_top = exact.autoregressive_log_joint(model, draws, x, 2)
    every = _bottoms(x, 2)
    per_draw = np.asarray(model.log_likelihood(draws, _data(every.reshape(-1, 4))))
    per_draw = per_draw.reshape(3, *every.shape[:2])  # (draws, items, bottoms)
    predictive = logsumexp(per_draw, axis=0) - math.log(3)
    own = np.asarray(model.log_likelihood(draws, _data(x)))
    np.testing.assert_allclose(log_px, logsumexp(own, axis=0) - math.log(3), atol=1e-5)
    mean_top = logsumexp(logsumexp(per_draw, axis=2), axis=0) - math.log(3)
    np.testing.assert_allclose(log_top, mean_top, atol=1e-5)
    assert np.allclose(logsumexp(predictive - log_top[:, None], axis=1), 0.0, atol=1e-5)


def test_autoregressive_completions_keep_the_top(ar):
    model, draws = ar
    x = np.array([[1, 0, 1, 1]] * 50)
    done = exact.autoregressive_complete(model, draws, x, 2, jax.random.PRNGKey(1))
    assert (done[:, :2] == x[:, :2]).all() and set(np.unique(done)) <= {0, 1}
    assert len({tuple(r) for r in done[:, 2:]}) > 1  # the bottom is sampled, not copied


def test_vae_importance_conditional_matches_a_grid_integral():
    model = make_model("vae", n=4, latent=2, hidden=3)
    _, truth = model.simulate(jax.random.PRNGKey(0), 8)
    size = 3 * (4 + 1) + 2 * 2 * (3 + 1)  # the encoder's H (n + 1) + 2 L (H + 1)
    enc = 0.3 * np.random.default_rng(0).standard_normal(size).astype(np.float32)
    draws = {**{k: np.asarray(v)[None] for k, v in truth.items()}, "encoder": enc[None]}
    x = np.array([[0, 1, 1, 0], [1, 1, 0, 1], [0, 0, 1, 1]])
    log_px, log_top = deep.vae_log_joint(model, draws, x, 2, 8000, jax.random.PRNGKey(2))
    # p(x) and p(top) by quadrature over z on a fine grid
    g = np.linspace(-7, 7, 201)
    z = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    probs = model.decode(draws, z).astype(np.float64)
    log_prior = -0.5 * (z**2).sum(1) - math.log(2 * math.pi) + 2 * math.log(g[1] - g[0])
    bits = np.where(x[:, None] == 1, np.log(probs), np.log1p(-probs))  # (items, grid, n)
    grid_px = logsumexp(bits.sum(-1) + log_prior, axis=1)
    grid_top = logsumexp(bits[..., :2].sum(-1) + log_prior, axis=1)
    np.testing.assert_allclose(log_px - log_top, grid_px - grid_top, atol=0.02)
    np.testing.assert_allclose(log_top, grid_top, atol=0.02)


def test_rbm_clamped_gibbs_samples_the_exact_conditional():
    from zoo.models._rbm_engine import free_energy

    model = make_model("rbm", n=4, hidden=2)
    rng = np.random.default_rng(0)
    p = {
        "w": rng.normal(0, 1.0, (4, 2)),
        "b_visible": rng.normal(0, 1.0, 4),
        "b_hidden": rng.normal(0, 1.0, 2),
    }
    draws = {k: np.asarray(v, np.float32)[None] for k, v in p.items()}
    x = np.repeat(np.array([[1, 0, 0, 0]]), 3000, axis=0).astype(np.float32)
    done = deep.rbm_complete(model, draws, x, 2, jax.random.PRNGKey(0), 30)
    assert (done[:, :2] == [1, 0]).all()
    every = _bottoms(x[:1].astype(int), 2)[0].astype(np.float32)
    neg_f = -np.asarray(free_energy({k: np.float32(v) for k, v in p.items()}, every))
    want = np.exp(neg_f - logsumexp(neg_f))
    freq = np.bincount(done[:, 2:] @ [2, 1], minlength=4) / len(done)
    assert np.max(np.abs(freq - want)) < 0.04


def test_diffusion_guided_denoising_keeps_the_top():
    model = make_model("diffusion", n=6, timesteps=4, hidden=5, depth=1)
    draws = {k: np.asarray(v)[None] for k, v in model.prior_draws(jax.random.PRNGKey(0)).items()}
    x = np.array([[1, 0, 1, 0, 0, 0], [0, 1, 1, 1, 1, 1]] * 20)
    done = deep.diffusion_complete(model, draws, x, 3, jax.random.PRNGKey(1))
    assert done.shape == x.shape and (done[:, :3] == x[:, :3]).all()
    assert set(np.unique(done[:, 3:])) == {0, 1}


# -- the analysis end to end -----------------------------------------------------------------

TINY = {
    "families": ("independent", "naive-bayes", "latent-class", "vae", "diffusion"),
    "steps": 20,
    "importance": 32,
    "show": 2,
    "samples": 2,
}


@pytest.fixture(scope="module")
def result():
    return inpaint.run_inpaint(size="small", seed=0, **TINY)


def test_analysis_returns_the_documented_keys(result):
    out = result.to_json()
    assert set(out["summary"]) == {
        "families",
        "best",
        "top_pixels",
        "bottom_pixels",
        "test_items",
        "shown",
        "finding",
    }
    assert [r["family"] for r in out["table"]] == list(TINY["families"])
    keys = {"family", "method", "nats_bottom", "bits_per_pixel", "nats_top", "nats_image", "note"}
    assert all(set(r) == keys for r in out["table"])
    json.dumps(out)  # JSON-ready
    rows = {r["family"]: r for r in out["table"]}
    for name in ("independent", "naive-bayes", "latent-class", "vae"):
        r = rows[name]
        assert 0 < r["nats_bottom"] < r["nats_image"]
        assert abs(r["nats_top"] + r["nats_bottom"] - r["nats_image"]) < 1e-3
        assert r["bits_per_pixel"] == pytest.approx(r["nats_bottom"] / (32 * math.log(2)), 1e-3)
    assert rows["diffusion"]["nats_bottom"] is None and "not a bound" in rows["diffusion"]["note"]
    # the label's posterior given the top beats pixels on their own
    assert rows["naive-bayes"]["nats_bottom"] < rows["independent"]["nats_bottom"]
    assert out["summary"]["test_items"] == 360 and len(out["summary"]["shown"]) == 2
    assert set(result.figures) == {"inpaint.png"}


def test_cli_runs_it_with_the_same_numbers(result, tmp_path, capsys, monkeypatch):
    from zoo.cli import main

    monkeypatch.setitem(inpaint.PRESETS, "small", {**inpaint.PRESETS["small"], **TINY})
    out = tmp_path / "inpaint"
    assert main(["analyze", "inpaint", "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(result.to_json()))  # same seed, same numbers
    assert (out / "inpaint.png").stat().st_size > 10_000


def test_bad_input_is_refused_before_any_work():
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="unknown family 'mixture'"):
        inpaint.run_inpaint(families=["mixture"])
    with pytest.raises(ZooError, match="unknown budget"):
        inpaint.run_inpaint(budget="huge")
