"""The autoregressive family: exact parameter counts, the autoregressive property, a
normalised likelihood, recovery of a known FVSBN, sampling, NUTS at a tiny size, bad input.

Sizes are small (n <= 8) so the whole file runs in well under a minute on two cores.
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro import handlers

import graphs
from zoo.data import Dataset
from zoo.diagnostics import diagnose
from zoo.evaluate import heldout
from zoo.fit import fit
from zoo.models import autoregressive, make_model


def _latent_size(model, **kwargs) -> int:
    """Free numbers in the program's latent sample sites (traced abstractly: no compiling)."""

    def latent():
        trace = handlers.trace(handlers.seed(model.program, 0)).get_trace(**kwargs)
        return {
            name: site["value"]
            for name, site in trace.items()
            if site["type"] == "sample" and not site["is_observed"] and name != "x"
        }

    return sum(math.prod(v.shape) for v in jax.eval_shape(latent).values())


def _all_items(n: int) -> Dataset:
    x = np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.int32)
    return Dataset(x, tuple(f"x{i}" for i in range(n)), (2,) * n)


def _rank(order) -> np.ndarray:
    rank = np.empty(len(order), dtype=int)
    rank[np.asarray(order)] = np.arange(len(order))
    return rank


MODELS = {
    "logistic": dict(conditional="logistic"),
    "neural": dict(conditional="neural", hidden=6),
    "neural-relu-nodirect": dict(conditional="neural", hidden=5, direct=False, activation="relu"),
    "neural-ordered": dict(conditional="neural", hidden=7, ordering=[3, 0, 5, 1, 4, 2]),
    "neural-3-masks": dict(conditional="neural", hidden=6, masks=3),
}


# -- counts --------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 8])
def test_logistic_count_matches_graphs_and_trace(n):
    model = make_model("autoregressive", n=n)
    assert model.param_count() == graphs.logistic_count(model.dag) == n * (n + 1) // 2
    assert _latent_size(model, n_items=3) == model.param_count()


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("hidden", [1, 5, 20])
def test_made_count_matches_graphs_and_trace(hidden, direct):
    order = [2, 0, 4, 1, 3]
    dag = graphs.autoregressive(5, ordering=order)
    model = autoregressive.build(dag, conditional="neural", hidden=hidden, direct=direct)
    assert model.param_count() == graphs.made_count(5, hidden, order, direct=direct)
    assert _latent_size(model, n_items=2) == model.param_count()
    # fewer than the dense net: the masks remove weights, and those are not parameters
    dense = graphs.dense_count([(5, hidden), (hidden, 5)]) + (25 if direct else 0)
    assert model.param_count() < dense


def test_mixture_of_orderings_counts_the_union_of_masks():
    one = make_model("autoregressive", n=8, conditional="neural", hidden=6)
    four = make_model("autoregressive", n=8, conditional="neural", hidden=6, masks=4)
    assert _latent_size(four, n_items=2) == four.param_count() > one.param_count()
    assert four.masks == 4 and len({tuple(o) for o in four.orderings}) == 4


# -- the autoregressive property and a normalised likelihood --------------------------------
@pytest.mark.parametrize("name", list(MODELS))
def test_logit_of_x_i_ignores_x_i_and_everything_after(name):
    model = make_model("autoregressive", n=6, **MODELS[name])
    params = {k: v[0] for k, v in model.prior_draws(jax.random.PRNGKey(3), 1).items()}
    x = jnp.asarray(np.random.default_rng(0).integers(0, 2, (6,)), dtype=jnp.float32)
    logits = jax.jit(model.logits)
    jac = jax.jit(jax.jacfwd(lambda v: model.logits(params, v[None])[:, 0]))(x)  # (K, out, in)
    flips = np.random.default_rng(1).integers(0, 2, (20, 6)).astype(np.float32)
    base = np.asarray(logits(params, x[None]))[:, 0]
    for k, order in enumerate(model.orderings):
        rank = _rank(order)
        later = rank[None, :] >= rank[:, None]  # [i, j]: x_j is x_i itself or comes after it
        assert np.all(np.asarray(jac[k])[later] == 0)
        assert np.any(np.asarray(jac[k])[~later] != 0)  # earlier pixels do matter
        for i in range(6):
            # flip every x_j at or after i (in this ordering): logit i must not move
            xs = np.where(rank[None, :] >= rank[i], flips, np.asarray(x)[None])
            moved = np.asarray(logits(params, jnp.asarray(xs)))[k, :, i]
            np.testing.assert_allclose(moved, base[k, i], rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", list(MODELS))
def test_probabilities_of_all_items_sum_to_one(name):
    model = make_model("autoregressive", n=6, **MODELS[name])
    draws = model.prior_draws(jax.random.PRNGKey(4), 3)
    log_px = np.asarray(model.log_px(draws, _all_items(6)), dtype=np.float64)
    np.testing.assert_allclose(np.exp(log_px).sum(axis=1), 1.0, rtol=1e-4)


def test_logistic_log_likelihood_matches_numpy():
    model = make_model("autoregressive", n=5)
    draws = model.prior_draws(jax.random.PRNGKey(5), 4)
    data = _all_items(5)
    got = np.asarray(model.log_likelihood(draws, data))
    x = data.x.astype(float)
    for s in range(4):
        one = {k: v[s] for k, v in draws.items()}
        w = model.weight_matrix(one)  # W[i, j]: weight of x_j on x_i
        assert np.all(np.triu(w) == 0)
        logit = np.asarray(one["b_out"], float) + x @ w.T
        p = 1 / (1 + np.exp(-logit))
        want = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
        np.testing.assert_allclose(got[s], want, rtol=1e-5, atol=1e-5)


def test_identical_draws_shortcut_equals_the_full_computation():
    model = make_model("autoregressive", n=6, conditional="neural", hidden=4)
    one = model.prior_draws(jax.random.PRNGKey(6), 1)
    data = _all_items(6)
    repeated = {k: jnp.repeat(v, 3, axis=0) for k, v in one.items()}
    full = np.concatenate([np.asarray(model.log_px(one, data))] * 3)
    np.testing.assert_allclose(np.asarray(model.log_px(repeated, data)), full, rtol=1e-6)


# -- sampling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["logistic", "neural-3-masks"])
def test_samples_are_bits_with_the_model_distribution(name):
    options = dict(MODELS[name], prior_scale=1.5)
    model = make_model("autoregressive", n=4, **options)
    draws = model.prior_draws(jax.random.PRNGKey(7), 1)
    x = model.sample(draws, jax.random.PRNGKey(8), 20000)
    assert x.shape == (20000, 4) and set(np.unique(x)) <= {0, 1}
    exact = np.exp(np.asarray(model.log_px(draws, _all_items(4)))[0])
    seen = np.bincount(x @ (2 ** np.arange(3, -1, -1)), minlength=16) / len(x)
    assert 0.5 * np.abs(seen - exact).sum() < 0.02  # total variation distance


def test_program_draws_items_without_data():
    model = make_model("autoregressive", n=5, conditional="neural", hidden=3)
    trace = handlers.trace(handlers.seed(model.program, 1)).get_trace(n_items=7)
    x = np.asarray(trace["x"]["value"])
    assert x.shape == (7, 5) and set(np.unique(x)) <= {0, 1}


def test_minibatch_subsamples_items_and_scales_the_likelihood():
    model = make_model("autoregressive", n=5)
    data, _ = model.simulate(jax.random.PRNGKey(0), 40)
    kwargs = model.minibatch_kwargs(model.program_kwargs(data), 10)
    trace = handlers.trace(handlers.seed(model.program, 2)).get_trace(**kwargs)
    assert trace["x"]["value"].shape == (10, 5)
    assert trace["x"]["scale"] == pytest.approx(4.0)
    assert model.minibatch_kwargs(model.program_kwargs(data), 100)["subsample_size"] == 40


# -- inference --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fvsbn():
    """A known 4-bit FVSBN, its training and test items."""
    model = make_model("autoregressive", n=4)
    truth = {
        "w_direct": np.array([1.5, -2.0, 0.5, 1.0, -1.0, 2.0], dtype=np.float32),
        "b_out": np.array([0.5, -0.5, 0.3, -1.0], dtype=np.float32),
    }
    one = {k: jnp.asarray(v)[None] for k, v in truth.items()}
    train = model.sample(one, jax.random.PRNGKey(10), 6000)
    test = model.sample(one, jax.random.PRNGKey(11), 2000)
    names = model.observed
    return model, truth, Dataset(train, names, (2,) * 4), Dataset(test, names, (2,) * 4)


@pytest.fixture(scope="module")
def fvsbn_map(fvsbn):
    model, _, train, _ = fvsbn
    return fit(
        model, train, method="svi", guide="map", steps=1500, learning_rate=0.05, chains=1, draws=4
    )


def test_map_recovers_the_true_weights(fvsbn, fvsbn_map):
    model, truth, _, test = fvsbn
    post = {k: np.asarray(v).mean(axis=0) for k, v in fvsbn_map.draws().items()}
    np.testing.assert_allclose(
        model.weight_matrix(post), model.weight_matrix(truth), rtol=0, atol=0.25
    )
    np.testing.assert_allclose(post["b_out"], truth["b_out"], rtol=0, atol=0.2)
    true_nats = -np.asarray(model.log_px({k: v[None] for k, v in truth.items()}, test)).mean()
    assert heldout(fvsbn_map, test)["nats_per_item"] == pytest.approx(true_nats, abs=0.01)


def test_nuts_runs_at_a_tiny_size_and_reports_diagnostics(fvsbn):
    model, truth, train, _ = fvsbn
    res = fit(model, train.take(slice(0, 500)), method="nuts", chains=2, warmup=100, draws=100)
    report = diagnose(res)
    assert {"rhat", "ess_bulk", "divergences", "ebfmi"} <= set(report["checks"])
    assert math.isfinite(report["rhat_max"]) and report["rhat_max"] < 1.1
    assert report["divergences"] == 0
    post = {k: np.asarray(v).mean(axis=0) for k, v in res.draws().items()}
    err = np.abs(model.weight_matrix(post) - model.weight_matrix(truth)).max()
    assert err < 0.8  # 500 items: a loose check that the chains found the right region


def test_only_the_neural_conditional_checks_convergence_on_invariants():
    # hidden units can swap places (and tanh units flip sign): their weights have no R-hat
    assert make_model("autoregressive", n=4, conditional="neural").invariant_only
    assert not make_model("autoregressive", n=4).invariant_only


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options, match",
    [
        (dict(conditional="cubic"), "unknown conditional"),
        (dict(conditional="neural", hidden=0), "hidden"),
        (dict(conditional="neural", activation="sine"), "unknown activation"),
        (dict(prior_scale=-1.0), "prior_scale"),
        (dict(bias_scale=0), "bias_scale"),
        (dict(masks=2), "masks"),
        (dict(conditional="neural", masks=0), "masks"),
        (dict(ordering=[0, 0, 1, 2]), "permutation"),
    ],
)
def test_bad_options_raise(options, match):
    with pytest.raises(ValueError, match=match):
        autoregressive.build(graphs.autoregressive(4), **options)


def test_bad_structure_or_data_raise():
    with pytest.raises(ValueError, match="complete"):
        autoregressive.build(graphs.markov_chain(4))
    with pytest.raises(ValueError, match="binary"):
        autoregressive.build(graphs.autoregressive(4, card=3))
    with pytest.raises(ValueError, match="observed"):
        autoregressive.build(graphs.naive_bayes(3))
    with pytest.raises(ValueError, match="at least 2"):
        autoregressive.build(graphs.autoregressive(1))
    model = make_model("autoregressive", n=4)
    draws = model.prior_draws(jax.random.PRNGKey(0), 1)
    with pytest.raises(ValueError, match="columns"):
        model.log_likelihood(draws, _all_items(5))
    with pytest.raises(ValueError, match="n_items"):
        handlers.seed(model.program, 0)()
    with pytest.raises(ValueError, match="positive int"):
        model.simulate(jax.random.PRNGKey(0), 0)


def test_ordering_option_rebuilds_the_dag():
    model = autoregressive.build(graphs.autoregressive(4), ordering=[2, 3, 0, 1])
    assert model.dag.parents("x2") == () and model.dag.parents("x1") == ("x0", "x2", "x3")
    assert list(model.orderings[0]) == [2, 3, 0, 1]
