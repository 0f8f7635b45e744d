"""The RBM family: its log Z by AIS against the exact one (the hidden units or the pixels
enumerated), normalisation, the loop form's density, the pseudo-log-likelihood, the Gibbs
sampler against exact probabilities, PCD against the independent model it contains, and
the fitted card (AIS interval, CLI, saving)."""

import itertools
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.data import Dataset
from zoo.models import _rbm_engine as eng
from zoo.models import make_model


def _params(n, hidden, scale, seed=0):
    k = jax.random.split(jax.random.PRNGKey(seed), 3)
    return {
        "w": scale * jax.random.normal(k[0], (n, hidden)),
        "b_visible": 0.5 * jax.random.normal(k[1], (n,)),
        "b_hidden": 0.5 * jax.random.normal(k[2], (hidden,)),
    }


def _states(n):
    return jnp.asarray(list(itertools.product([0, 1], repeat=n)), jnp.float32)


def test_exact_log_z_is_the_same_summing_either_layer_out():
    p = _params(10, 12, 0.7)
    by_x = float(jax.nn.logsumexp(-eng.free_energy(p, _states(10))))
    assert eng.exact_log_z(p) == pytest.approx(by_x, abs=1e-4)  # enumerates the 10 pixels
    by_h = float(eng._exact(p, True, 12, 4096))  # the 12 hidden units instead
    assert by_h == pytest.approx(by_x, abs=1e-4)


@pytest.mark.parametrize("n, hidden, scale", [(64, 12, 0.3), (20, 16, 0.8)])
def test_ais_agrees_with_the_exact_log_z(n, hidden, scale):
    p = _params(n, hidden, scale, seed=n)
    exact = eng.exact_log_z(p)
    log_z, se, ess = eng.ais(p, jax.random.PRNGKey(1))
    assert 0 < se < 0.1 and ess > 20
    assert abs(log_z - exact) < 4 * se + 1e-3, (log_z, exact, se)


def test_the_log_likelihood_is_normalised():
    model = make_model("rbm", n=8, hidden=5)
    p = _params(8, 5, 1.0)
    x = np.asarray(_states(8), np.int32)
    data = Dataset(x, model.observed, (2,) * 8)
    ll = np.asarray(model.log_likelihood({k: v[None] for k, v in p.items()}, data))
    assert ll.shape == (1, 256) and (ll < 0).all()
    assert float(jax.nn.logsumexp(ll[0])) == pytest.approx(0.0, abs=1e-5)


def test_the_loop_form_has_the_programs_density():
    from numpyro.infer.util import log_density

    model = make_model("rbm", n=6, hidden=4)
    p = _params(6, 4, 1.0)
    x = _states(6)[::5]
    vec, _ = log_density(model.program, (), {"x": x}, p)
    loop, _ = log_density(model.program_items, (), {"values": x}, p)
    assert float(loop) == pytest.approx(float(vec), rel=1e-5)
    prior = sum(
        float(jax.scipy.stats.norm.logpdf(v, 0, model.scales[k]).sum()) for k, v in p.items()
    )
    assert float(vec) - prior == pytest.approx(-float(eng.free_energy(p, x).sum()), rel=1e-5)


def test_the_pseudo_log_likelihood_is_each_pixels_conditional():
    p = _params(5, 3, 1.0)
    x = _states(5)[3:9]
    brute = 0.0
    for i in range(5):
        flipped = x.at[:, i].set(1 - x[:, i])
        own, other = -eng.free_energy(p, x), -eng.free_energy(p, flipped)
        brute = brute + own - jnp.logaddexp(own, other)
    np.testing.assert_allclose(eng.pseudo_log_lik(p, x), brute, rtol=1e-5)
    keys = jax.random.split(jax.random.PRNGKey(0), 4000)
    one = jax.vmap(lambda k: eng.pseudo_log_lik_one(p, x, k))(keys).mean(0)
    np.testing.assert_allclose(one, brute, rtol=0.1)  # unbiased: the mean of 4,000 picks


def test_gibbs_samples_match_the_exact_probabilities():
    model = make_model("rbm", n=4, hidden=3)
    p = _params(4, 3, 1.5)
    draws = {k: v[None] for k, v in p.items()}
    items = model.sample(draws, jax.random.PRNGKey(2), 4000)
    codes = items @ (2 ** np.arange(3, -1, -1))
    freq = np.bincount(codes, minlength=16) / len(codes)
    exact = np.exp(-np.asarray(eng.free_energy(p, _states(4))) - eng.exact_log_z(p))
    assert np.abs(freq - exact).sum() / 2 < 0.04  # total variation; ~0.02 by chance


@pytest.fixture(scope="module")
def digits():
    return zoo.digits_split()


def test_pcd_fits_at_least_as_well_as_independent_pixels(digits):
    train, _ = digits
    cols = list(range(18, 34))  # two middle rows: 16 pixels, Z exact over them
    x = np.asarray(train.x)[:, cols]
    data = Dataset(x, [f"x{i}" for i in range(16)], (2,) * 16)
    model = make_model("rbm", n=16, hidden=8)
    point, trace = model.train(data, jax.random.PRNGKey(0), steps=2000, learning_rate=0.01)
    assert np.asarray(point["log_z_se"]) == 0  # exact at this size
    nats = -float(model.log_likelihood({k: v[None] for k, v in point.items()}, data).mean())
    mean = x.mean(axis=0).clip(1e-9, 1 - 1e-9)
    independent = -float(np.mean(x * np.log(mean) + (1 - x) * np.log(1 - mean)) * 16)
    assert nats < independent - 0.5, (nats, independent)  # pixels are correlated
    assert trace[-200:].mean() > trace[:200].mean()


@pytest.fixture(scope="module")
def fitted(digits):
    train, test = digits
    model = make_model("rbm", n=64, hidden=24)
    return model, zoo.fit(model, train, steps=400), train, test


def test_the_card_says_normalisation_is_estimated(fitted):
    model, result, train, test = fitted
    card = zoo.fit_card(result, test, options={"n": 64, "hidden": 24}).to_json()
    assert card["method"] == "pcd" and "estimated" in card["method_reason"]
    assert card["params"]["model"] == 64 * 24 + 64 + 24
    d = card["diagnostics"]
    assert d["normalisation"] == "estimated (AIS)" and d["checks"]["ais_se"]["pass"]
    details = card["heldout"]["details"]
    lo, hi = details["nats_interval"]
    nats = card["heldout"]["nats_per_item"]
    assert details["nats_per_item"] == pytest.approx(nats, abs=1e-4)
    assert lo < nats < hi and hi - lo == pytest.approx(4 * details["log_z_se"])
    assert 16 < nats < 30  # better than independent pixels' ~29 after 400 steps
    assert "estimated (AIS)" in zoo.format_card(card)


def test_it_saves_loads_and_keeps_its_log_z(fitted, tmp_path):
    model, result, train, test = fitted
    from zoo.sources import describe, open_data

    _, _, source = open_data(None, None)  # the digits' fixed split, as zoo.digits_split
    data = describe(source, train, test)
    card = zoo.fit_card(result, test, options={"n": 64, "hidden": 24}, data=data)
    zoo.save(result, tmp_path / "fit", card=card)
    back = zoo.load(tmp_path / "fit")
    draws = back.result.draws()
    assert float(draws["log_z"][0]) == pytest.approx(float(result.draws()["log_z"][0]))
    np.testing.assert_allclose(
        model.log_likelihood(draws, test), model.log_likelihood(result.draws(), test), rtol=1e-6
    )
    assert back.recompute()["heldout"] == back.card["heldout"]


def test_it_fits_from_the_command_line(capsys):
    assert main(["fit", "rbm", "--hidden", "3", "--steps", "50", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["method"] == "pcd" and card["params"]["model"] == 64 * 3 + 67
    assert card["heldout"]["details"]["normalisation"] == "exact (enumerated)"
    assert math.isfinite(card["heldout"]["nats_per_item"])
