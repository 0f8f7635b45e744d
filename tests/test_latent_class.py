"""The latent class model: its program's density, EM-started SVI, recovery of simulated
clusters, NUTS diagnostics on permutation-invariant quantities, sampling and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp

import graphs
from zoo.data import Dataset
from zoo.diagnostics import diagnose
from zoo.fit import fit
from zoo.models import make_model
from zoo.models.latent_class import FLOOR, LatentClass, build, em

N_VARS, K, N_ITEMS = 8, 3, 500


@pytest.fixture(scope="module")
def model():
    return make_model("latent-class", n=N_VARS, classes=K)


@pytest.fixture(scope="module")
def simulated(model):
    # U-shaped Beta(0.3, 0.3) pixels and near-equal weights: well-separated clusters
    return model.simulate(jax.random.PRNGKey(3), N_ITEMS, theta_conc=0.3, pi_conc=20.0)


@pytest.fixture(scope="module")
def map_fit(model, simulated):
    data, _ = simulated
    # the family's recommended guide (MAP), which must keep EM's training fit
    guide = model.default_guide
    return fit(model, data, method="svi", guide=guide, steps=300, chains=1, draws=10, seed=0)


def _as_draw(pi, theta):
    """One posterior draw holding the given parameters."""
    return {
        "pi": jnp.asarray(pi, jnp.float32)[None],
        "theta": jnp.asarray(theta, jnp.float32)[None],
    }


def test_build_reads_k_and_n(model):
    assert (model.K, model.n) == (K, N_VARS)
    assert model.param_count() == (K - 1) + K * N_VARS
    assert model.param_sites() == {"pi", "theta"}
    assert model.default_method == "svi" and model.invariant_only
    with pytest.raises(ValueError, match="binary"):
        build(graphs.latent_class(4, components=2, card=3))
    with pytest.raises(ValueError, match="latent node"):
        build(graphs.naive_bayes(4, classes=2))


def test_program_density_matches_numpy():
    from numpyro.infer.util import log_density

    alpha = 1.7  # a non-flat prior, so a wrong prior term shows
    m = LatentClass(graphs.latent_class(5, components=3), alpha=alpha)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(40, 5))
    pi = np.array([0.5, 0.3, 0.2])
    theta = rng.uniform(0.05, 0.95, size=(3, 5))
    got, _ = log_density(
        m.program, (), {"x": jnp.asarray(x, jnp.float32)}, {"pi": pi, "theta": theta}
    )
    joint = np.log(pi) + x @ np.log(theta).T + (1 - x) @ np.log1p(-theta).T
    want = logsumexp(joint, axis=1).sum()
    want += stats.dirichlet.logpdf(pi, np.full(3, alpha))
    want += stats.beta.logpdf(theta, alpha, alpha).sum()
    assert float(got) == pytest.approx(want, rel=1e-5)
    # log_likelihood (what scores and LOO use) agrees item by item
    ll = np.asarray(m.log_likelihood(_as_draw(pi, theta), _dataset(x)))[0]
    np.testing.assert_allclose(ll, logsumexp(joint, axis=1), rtol=1e-5)


def test_svi_starts_from_em_and_never_ends_worse(model, simulated, map_fit):
    data, _ = simulated
    sol = em(data, K)  # plain EM with the same K (and the seed and restarts SVI starts from)
    em_ll = float(model.log_likelihood(_as_draw(sol.pi, sol.theta), data).mean())
    fit_ll = np.asarray(model.log_likelihood(map_fit.draws(), data).mean(axis=1))
    assert np.all(fit_ll >= em_ll - 1e-4), (fit_ll.min(), em_ll)
    # and EM itself does better than a single-component fit would
    one = em(data, 1)
    assert sol.log_lik > one.log_lik + 0.5 * data.n_items


def test_em_is_seeded_and_map_em():
    x = np.random.default_rng(1).integers(0, 2, size=(60, 6))
    a, b = em(x, 2, seed=4), em(x, 2, seed=4)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.converged
    # K = 1 with alpha = 2 is closed form: the mode (sum x + 1) / (N + 2), add-one smoothing
    one = em(x, 1, alpha=2.0)
    np.testing.assert_allclose(one.theta[0], (x.sum(0) + 1) / (len(x) + 2), rtol=1e-9)
    assert one.theta.min() >= FLOOR


def test_recovers_simulated_clusters(map_fit, simulated):
    _, truth = simulated
    draws = map_fit.draws()
    theta = np.asarray(draws["theta"]).mean(axis=0)
    pi = np.asarray(draws["pi"]).mean(axis=0)
    cost = np.abs(truth["theta"][:, None, :] - theta[None, :, :]).sum(axis=-1)
    rows, cols = linear_sum_assignment(cost)
    err = np.abs(truth["theta"][rows] - theta[cols])
    assert err.max() < 0.12 and err.mean() < 0.035, err
    np.testing.assert_allclose(pi[cols], truth["pi"][rows], atol=0.06)


def test_minibatch_svi(model, simulated):
    data, truth = simulated
    kwargs = model.minibatch_kwargs(model.program_kwargs(data), 64)
    from numpyro import handlers

    tr = handlers.trace(handlers.seed(model.program, 0)).get_trace(**kwargs)
    assert tr["loglik"]["fn"].log_factor.shape == (64,)  # the batch, not all items
    assert tr["items"]["args"][0] == N_ITEMS and tr["items"]["args"][1] == 64
    res = fit(
        model, data, method="svi", guide="normal", steps=150, batch_size=64, chains=1, draws=20
    )
    assert res.settings["batch_size"] == 64
    assert np.isfinite(res.elbo).all()
    assert np.asarray(res.draws()["theta"]).shape == (20, K, N_VARS)


def test_sample_shapes_and_marginals(model, simulated):
    _, truth = simulated
    draws = _as_draw(truth["pi"], truth["theta"])
    x = model.sample(draws, jax.random.PRNGKey(0), 4000)
    assert x.shape == (4000, N_VARS) and np.isin(x, (0, 1)).all()
    want = truth["pi"] @ truth["theta"]  # p(x_i = 1) = sum_k pi_k theta_ki
    np.testing.assert_allclose(x.mean(axis=0), want, atol=0.03)


def test_nuts_reports_invariant_rhat(model, simulated):
    data, _ = simulated
    small = data.take(slice(0, 200))
    res = fit(model, small, method="nuts", chains=2, warmup=100, draws=100, seed=1)
    diag = diagnose(res)
    assert diag["scope"].startswith("permutation-invariant")
    assert np.isfinite(diag["rhat_max"]) and np.isfinite(diag["ess_bulk_min"])
    assert np.asarray(res.draws()["theta"]).shape == (200, K, N_VARS)


def test_bad_input(model):
    with pytest.raises(ValueError):
        em(np.array([[0, 2], [1, 0]]), 2)
    ternary = Dataset(np.tile([0, 1, 2, 0, 1, 2, 0, 1], (5, 1)), model.observed, (3,) * N_VARS)
    with pytest.raises(ValueError, match="states"):
        model.check_data(ternary)
    with pytest.raises(ValueError):
        fit(model, ternary, method="svi", steps=5)
    narrow = Dataset(np.zeros((5, 3), dtype=int), ("x0", "x1", "x2"), (2, 2, 2))
    with pytest.raises(ValueError, match="columns"):
        fit(model, narrow, method="svi", steps=5)


def _dataset(x):
    n = x.shape[1]
    return Dataset(x, tuple(f"x{i}" for i in range(n)), (2,) * n)
