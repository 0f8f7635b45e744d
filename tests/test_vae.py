"""The VAE family: its IWAE bound against known answers (it rises with K; on a VAE small
enough to integrate over z on a grid it meets the exact log-likelihood), its encoder kept
and counted apart, and its card from the command line."""

import itertools
import json

import jax
import numpy as np
import pytest
from scipy.special import logsumexp

import zoo
from zoo.cli import main
from zoo.data import Dataset
from zoo.models import _vae_net, get_family, make_model

N = 4  # pixels: all 2^4 images can be enumerated


@pytest.fixture(scope="module")
def fitted():
    """A latent-2 VAE over 4 pixels fitted to data simulated from one."""
    model = make_model("vae", n=N, latent=2, hidden=6)
    data, _ = model.simulate(jax.random.PRNGKey(3), 400)
    point, trace = model.train(data, jax.random.PRNGKey(0), steps=600, learning_rate=0.02)
    draws = {k: np.asarray(v)[None] for k, v in point.items()}
    return model, draws, data, trace


def _all_images() -> Dataset:
    x = np.array(list(itertools.product([0, 1], repeat=N)), dtype=np.int32)
    return Dataset(x, tuple(f"x{i}" for i in range(N)), (2,) * N, source="every image")


def _exact_log_px(draws, x: np.ndarray, half_width=7.0, points=601) -> np.ndarray:
    """log p(x) by integrating N(z | 0, I) prod_i p(x_i | z) over a 2-D grid (float64, the
    decoder written out in NumPy)."""
    g = np.linspace(-half_width, half_width, points)
    z = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    w = {k: np.asarray(v[0], np.float64) for k, v in draws.items()}
    logits = np.tanh(z @ w["w_hidden"].T + w["b_hidden"]) @ w["w_out"].T + w["b_out"]
    log_lik = x @ logits.T - np.logaddexp(0, logits).sum(-1)  # (items, grid)
    log_prior = -0.5 * (z**2).sum(-1) - np.log(2 * np.pi) + 2 * np.log(g[1] - g[0])
    return logsumexp(log_lik + log_prior, axis=1)


def test_training_raises_the_elbo_and_keeps_the_encoder(fitted):
    model, draws, _, trace = fitted
    assert np.mean(trace[-50:]) > np.mean(trace[:50])
    spec = get_family("vae")
    options = {"n": N, "latent": 2, "hidden": 6}
    assert draws["encoder"].shape == (1, spec.amortisation(spec.build(**options), **options))
    assert set(draws) == model.param_sites() | model.auxiliary_sites()


def test_the_iwae_bound_meets_the_exact_log_likelihood_on_a_grid(fitted):
    model, draws, _, _ = fitted
    images = _all_images()
    exact = _exact_log_px(draws, images.x.astype(float))
    # normalised by construction: the 16 images' probabilities sum to one
    assert np.exp(logsumexp(exact)) == pytest.approx(1.0, abs=1e-6)
    for proposal in (draws, {k: v for k, v in draws.items() if k != "encoder"}):
        lw = model.iwae_weights(proposal, images, 5000)[0].astype(float)
        w = np.exp(lw - lw.max(axis=1, keepdims=True))
        se = w.std(axis=1) / (w.mean(axis=1) * np.sqrt(lw.shape[1]))  # of log-mean-weight
        bound = np.asarray(model.log_px(proposal, images))[0]
        assert np.all(bound <= exact + 4 * se + 1e-4)  # a lower bound, up to MC error
        np.testing.assert_array_less(np.abs(bound - exact), 4 * se + 2e-3)


def test_the_iwae_bound_rises_with_k(fitted):
    model, draws, data, _ = fitted
    lw = model.iwae_weights(draws, data, 5000)[0]
    bounds = {k: _vae_net.iwae(lw, k) for k in (1, 10, 100, 1000)}
    for small, large in itertools.pairwise(bounds):
        gain = bounds[large] - bounds[small]
        se = gain.std() / np.sqrt(len(gain))
        assert gain.mean() > -3 * se, (small, large, gain.mean(), se)
    gain = bounds[100] - bounds[1]
    assert gain.mean() > 5 * gain.std() / np.sqrt(len(gain))  # strictly, by far


def test_the_card_of_a_digits_fit(capsys, tmp_path):
    argv = ["fit", "vae", "--latent", "2", "--hidden", "16", "--steps", "200", "--json"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    card = json.loads(capsys.readouterr().out)
    p = card["params"]
    assert p["model"] == 16 * 3 + 64 * 17 and p["amortisation"] == 16 * 65 + 4 * 17
    assert card["nodes"][0] == {"name": "z", "card": None, "role": "latent", "pos": None}
    assert card["independence"]["dsep_share_given"] == 1.0  # x_i ⟂ x_j | z
    by_k = card["heldout"]["details"]["iwae_nats_by_k"]
    assert list(by_k) == ["1", "10", "100", "1000", "5000"]
    assert by_k["1"] > by_k["5000"] == pytest.approx(card["heldout"]["nats_per_item"])
    d = card["diagnostics"]
    assert len(d["kl_per_dim"]) == 2 and 0 <= d["khat_over_0.7"] <= 1
    assert d["checks"]["active_units"]["value"] == sum(v > 0.01 for v in d["kl_per_dim"])
    back = zoo.load(tmp_path)
    assert set(back.result.draws()) == {"w_hidden", "b_hidden", "w_out", "b_out", "encoder"}
    assert back.recompute()["heldout"] == card["heldout"]
    # --out adds the family's own figures to the common ones
    for name in ("dag.png", "elbo.png", "latent_map.png", "interpolations.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_its_own_figures_follow_the_latent_size_and_the_items(fitted):
    model, draws, data, _ = fitted
    assert set(model.family_figures(draws, data)) == {"latent_map.png", "interpolations.png"}
    # no map beyond 2-D; one item has no pair to interpolate between
    wide = make_model("vae", n=N, latent=8, hidden=3)
    point, _ = wide.train(data, jax.random.PRNGKey(0), steps=2, learning_rate=0.01)
    wide_draws = {k: np.asarray(v)[None] for k, v in point.items()}
    assert set(wide.family_figures(wide_draws, data)) == {"interpolations.png"}
    assert wide.family_figures(wide_draws, data.take(slice(0, 1))) == {}


def test_bad_options_are_refused():
    with pytest.raises(zoo.ZooError, match="latent must be one of"):
        make_model("vae", n=N, latent=3)
    with pytest.raises(zoo.ZooError, match="hidden must be a positive int"):
        make_model("vae", n=N, hidden=0)


def test_the_latent_map_and_interpolations_decode_what_the_model_decodes(fitted):
    from zoo.models import _vae_figures

    model, draws, data, _ = fitted
    fig = _vae_figures.latent_map(model, draws, data, steps=3)
    grid = fig.axes[0].images[0].get_array()
    assert grid.shape == (6, 6)  # 3 x 3 images of 2 x 2 pixels
    np.testing.assert_allclose(grid[:2, :2].ravel(), model.decode(draws, [[-2.5, 2.5]])[0])
    strip = _vae_figures.interpolations(model, draws, data, pairs=2, steps=3)
    ends = strip.axes[0].images[0].get_array()
    mean, _ = model.encode(draws, data.take(slice(0, 4)))
    np.testing.assert_allclose(ends[:2, :2].ravel(), model.decode(draws, mean[:1])[0], rtol=1e-5)
    with pytest.raises(zoo.ZooError, match="latent=2"):
        _vae_figures.latent_map(make_model("vae", n=N, latent=8), draws, data)


def _tiny_elbo_terms():
    """A 3-item, 4-pixel VAE's log p(x, z) - log q(z | x) at fixed z per item, as a function
    of the minibatch (``None``: every item, unscaled)."""
    from numpyro.infer.util import log_density

    from zoo.models._minibatch import with_indices

    model = make_model("vae", n=N, latent=2, hidden=3)
    rng = np.random.default_rng(5)
    x = jax.numpy.asarray(rng.integers(0, 2, (3, N)), jax.numpy.float32)
    z = rng.normal(size=(3, 2)).astype(np.float32)
    decoder = _vae_net.mlp(2, N, 3, seed=1)
    guide = _vae_net.make_guide(model, _vae_net.decoder_weights(decoder), _vae_net.mlp(N, 4, 3))
    weights = _vae_net.decoder_weights(decoder)

    def term(idx):
        kwargs = {"x": x} if idx is None else {"x": x, "subsample_size": 2, "batch_idx": idx}
        values = {**weights, "z": z if idx is None else z[np.asarray(idx)]}
        log_p, _ = log_density(with_indices(model.program), (), kwargs, values)
        log_q, _ = log_density(with_indices(guide), (), kwargs, {"z": values["z"]})
        return float(log_p - log_q)

    return term


def test_the_minibatch_elbo_is_unbiased_over_its_index_draws():
    # a step's minibatch is a block of a uniform shuffle: for 2 of 3 items, each of the 6
    # ordered pairs of distinct items is equally likely, and the plate's scale 3 / 2 makes
    # their mean the whole-data ELBO
    term = _tiny_elbo_terms()
    pairs = [term(jax.numpy.asarray(p)) for p in itertools.permutations(range(3), 2)]
    assert np.mean(pairs) == pytest.approx(term(None), rel=1e-5)
    assert np.std(pairs) > 0.1  # the pairs differ: the mean is not trivially equal


def test_the_loop_deals_each_epochs_shuffle_to_model_and_guide():
    from numpyro import handlers

    from zoo.models import _minibatch as mb

    class Recorder:  # an SVI whose "loss" is the minibatch it was handed
        def update(self, state, x, subsample_size, batch_idx):
            return state + 1, batch_idx

    key = jax.random.PRNGKey(1)
    kwargs = {"x": jax.numpy.zeros((11, N)), "subsample_size": 3}
    state, dealt = mb.svi_steps(Recorder(), 0, key, kwargs, 8)
    dealt = np.asarray(dealt)
    assert state == 8 and dealt.shape == (8, 3)
    for t in range(8):
        np.testing.assert_array_equal(dealt[t], mb.batch_indices(key, t, 11, 3))
    for epoch in (dealt[0:3], dealt[3:6]):  # 3 disjoint blocks of 3 per epoch of 11 items
        assert len(set(epoch.ravel())) == 9
    assert not np.array_equal(dealt[0], dealt[3])  # a fresh shuffle each epoch
    # the indices reach the plate of both the model and the guide, scaled by 11 / 3
    model = make_model("vae", n=N, latent=2, hidden=3)
    guide = _vae_net.make_guide(
        model, _vae_net.decoder_weights(_vae_net.mlp(2, N, 3)), _vae_net.mlp(N, 4, 3)
    )
    first = mb.first_kwargs(kwargs, key)
    np.testing.assert_array_equal(first["batch_idx"], dealt[0])
    for fn in (model.program, guide):
        trace = handlers.trace(handlers.seed(mb.with_indices(fn), 0)).get_trace(**first)
        np.testing.assert_array_equal(trace["items"]["value"], dealt[0])
        assert trace["z"]["scale"] == pytest.approx(11 / 3)
    assert "batch_idx" not in mb.first_kwargs({**kwargs, "subsample_size": 11}, key)
