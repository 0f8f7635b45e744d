"""The NUTS engine (zoo.nuts): one compile per model shape, reused across fits and families
of that shape; the log density it reports; its layout and bad starts."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from zoo import nuts
from zoo.fit import fit
from zoo.models import make_model

BUDGET = {"chains": 2, "warmup": 150, "draws": 150}


@pytest.fixture(scope="module")
def two_fits():
    """The same family fitted twice on different data, by two model objects."""
    first, second = make_model("markov-chain", n=9), make_model("markov-chain", n=9)
    data_a, _ = first.simulate(jax.random.PRNGKey(0), 200)
    data_b, _ = second.simulate(jax.random.PRNGKey(1), 500)
    return (
        fit(first, data_a, "nuts", seed=0, **BUDGET),
        fit(second, data_b, "nuts", seed=0, **BUDGET),
        data_b,
    )


def test_a_second_fit_of_the_same_shape_compiles_nothing(two_fits):
    a, b, _ = two_fits
    assert b.extra["nuts"].compiled is False
    assert b.seconds["compile"] == 0.0
    # different data, so different posteriors: the compiled code took the data as input
    assert not np.allclose(a.idata.posterior["theta"].mean(), b.idata.posterior["theta"].mean())


def test_reported_log_density_is_the_uncentred_one(two_fits):
    """The sampler works on the count likelihood centred at the MLE; ``lp`` must still be
    log prior + log likelihood, which the per-item log-likelihood gives independently."""
    _, b, data = two_fits
    model = b.model
    flat = b.draws()
    loglik = np.asarray(model.log_likelihood(flat, data), dtype=np.float64).sum(axis=1)
    prior = np.asarray(  # Beta(1, 1) is flat on [0, 1]: its log density is 0
        dist.Beta(model.alpha, model.alpha).log_prob(flat["theta"]).sum(axis=1)
    )
    # the sampler's z is unconstrained: add the log-Jacobian of the logit transform
    theta = np.asarray(flat["theta"], dtype=np.float64)
    jac = np.sum(np.log(theta) + np.log1p(-theta), axis=1)
    lp = b.idata.sample_stats["lp"].values.reshape(-1)
    np.testing.assert_allclose(lp, loglik + prior + jac, atol=0.05)


def test_grad_evaluations_are_counted(two_fits):
    a, _, _ = two_fits
    steps = a.idata.sample_stats["n_steps"].values
    assert a.extra["nuts"].gradients >= steps.sum() > 0


def test_layout_and_chunks():
    assert nuts.layout(4, 4) == (4, 1)
    assert nuts.layout(8, 4) == (4, 2)
    assert nuts.layout(3, 4) == (3, 1)
    assert nuts.layout(6, 4) == (3, 2)
    assert nuts.layout(1, 4) == (1, 1)
    assert nuts.chunk_size(1000, 1000) == 250
    assert nuts.chunk_size(150, 150) == 150
    assert nuts.chunk_size(7, 5) == 1
    for w, d in [(1000, 1000), (300, 200), (7, 5), (997, 1000)]:
        c = nuts.chunk_size(w, d)
        assert w % c == 0 and d % c == 0 and c <= nuts.MAX_CHUNK


def test_fixed_arguments_and_deterministic_sites():
    """Non-array arguments are fixed into the compiled code; deterministic sites come back."""

    def program(y, scale):
        mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
        numpyro.deterministic("twice", 2 * mu)
        numpyro.sample("y", dist.Normal(mu, scale), obs=y)

    y = jnp.asarray(np.random.default_rng(0).normal(3.0, 1.0, 50), dtype=jnp.float32)
    out, stats, info = nuts.sample(
        program, {"y": y, "scale": 1.0}, jax.random.PRNGKey(0), chains=2, warmup=200, draws=200
    )
    assert out["mu"].shape == (2, 200) and stats["diverging"].shape == (2, 200)
    np.testing.assert_allclose(out["twice"], 2 * out["mu"], rtol=1e-6)
    # conjugate: posterior mean sum(y) / (n + 1/100), sd 1 / sqrt(n + 1/100)
    n = len(y)
    mean, sd = float(y.sum()) / (n + 0.01), 1 / np.sqrt(n + 0.01)
    assert abs(out["mu"].mean() - mean) < 5 * sd / np.sqrt(100)
    assert info.compiled is True


def test_no_finite_start_is_a_clear_error():
    def program():
        numpyro.sample("p", dist.Beta(1.0, 1.0))
        numpyro.factor("impossible", -jnp.inf)

    with pytest.raises(ValueError, match="no starting point with a finite log density"):
        nuts.sample(program, {}, jax.random.PRNGKey(0), chains=1, warmup=5, draws=5)
