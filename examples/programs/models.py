"""Ordinary NumPyro programs, as a statistician writes them, for ``zoo inspect`` and
``zoo fit path.py:function``. Nothing here knows about the zoo: the zoo reads each graph
out of the code.

    P=examples/programs/models.py D=examples/programs/data
    zoo inspect $P:eight_schools --data $D/eight_schools.json --draw schools.png
    zoo fit $P:eight_schools_nc --data $D/eight_schools.json
"""

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def linear_regression(x, y=None):
    """y = alpha + x @ beta + noise, flat priors on alpha and beta."""
    p = x.shape[1]
    alpha = numpyro.sample("alpha", dist.ImproperUniform(constraints.real, (), ()))
    beta = numpyro.sample("beta", dist.ImproperUniform(constraints.real, (), (p,)))
    sigma = numpyro.sample("sigma", dist.HalfNormal(10.0))
    with numpyro.plate("data", x.shape[0]):
        numpyro.sample("y", dist.Normal(alpha + x @ beta, sigma), obs=y)


def logistic_regression(x, y=None):
    """y ~ Bernoulli(sigmoid(alpha + x @ beta)), Normal(0, 2.5) priors."""
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 2.5))
    beta = numpyro.sample("beta", dist.Normal(0.0, 2.5).expand([x.shape[1]]).to_event(1))
    with numpyro.plate("data", x.shape[0]):
        numpyro.sample("y", dist.Bernoulli(logits=alpha + x @ beta), obs=y)


def eight_schools(sigma, y=None):
    """The centred hierarchical model (Rubin 1981): school effects around a common mean."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("schools", len(sigma)):
        theta = numpyro.sample("theta", dist.Normal(mu, tau))
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def eight_schools_nc(sigma, y=None):
    """The same model, non-centred: NUTS samples it without divergences."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("schools", len(sigma)):
        eta = numpyro.sample("eta", dist.Normal(0.0, 1.0))
        theta = numpyro.deterministic("theta", mu + tau * eta)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def gaussian_mixture(y, K=2):
    """A K-component mixture with the assignment summed out; ordered means fix the labels."""
    w = numpyro.sample("w", dist.Dirichlet(jnp.ones(K)))
    mu = numpyro.sample(
        "mu",
        dist.TransformedDistribution(
            dist.Normal(0.0, 5.0).expand([K]).to_event(1), dist.transforms.OrderedTransform()
        ),
    )
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.0).expand([K]).to_event(1))
    with numpyro.plate("data", len(y)):
        mix = dist.MixtureSameFamily(dist.Categorical(w), dist.Normal(mu, sigma))
        numpyro.sample("obs", mix, obs=y)


def ar1(y):
    """An AR(1) time series, y_t = c + phi y_{t-1} + noise, conditioned on y_0."""
    c = numpyro.sample("c", dist.Normal(0.0, 1.0))
    phi = numpyro.sample("phi", dist.Uniform(-1.0, 1.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    with numpyro.plate("time", len(y) - 1):
        numpyro.sample("obs", dist.Normal(c + phi * y[:-1], sigma), obs=y[1:])


def hmm_forward(y, K=2):
    """A Gaussian hidden Markov model, the states summed out by the forward algorithm."""
    trans = numpyro.sample("trans", dist.Dirichlet(jnp.ones(K)).expand([K]).to_event(1))
    mu = numpyro.sample(
        "mu",
        dist.TransformedDistribution(
            dist.Normal(0.0, 5.0).expand([K]).to_event(1), dist.transforms.OrderedTransform()
        ),
    )
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.0))
    log_trans = jnp.log(trans)

    def step(log_alpha, y_t):
        emit = dist.Normal(mu, sigma).log_prob(y_t)
        nxt = jax.nn.logsumexp(log_alpha[:, None] + log_trans, axis=0) + emit
        return nxt, None

    first = dist.Normal(mu, sigma).log_prob(y[0]) - jnp.log(K)
    last, _ = jax.lax.scan(step, first, y[1:])
    numpyro.factor("forward", jax.nn.logsumexp(last))


def hmm_unrolled(y=None, K=2, steps=4):
    """A discrete-state HMM written out step by step, the states sampled (for inspection:
    NUTS cannot sample discrete states; ``hmm_forward`` sums them out)."""
    init = numpyro.sample("init", dist.Dirichlet(jnp.ones(K)))
    trans = numpyro.sample("trans", dist.Dirichlet(jnp.ones(K)).expand([K]).to_event(1))
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0).expand([K]).to_event(1))
    z = numpyro.sample("z0", dist.Categorical(init))
    for t in range(steps):
        if t:
            z = numpyro.sample(f"z{t}", dist.Categorical(trans[z]))
        numpyro.sample(f"y{t}", dist.Normal(mu[z], 1.0), obs=None if y is None else y[t])


def sprinkler(cloudy=None, sprinkler=None, rain=None, wet=None, days=100):
    """The sprinkler network (cloudy -> sprinkler, rain -> wet grass) with Beta priors on
    every conditional probability, one row per day."""
    p_cloudy = numpyro.sample("p_cloudy", dist.Beta(1.0, 1.0))
    p_sprinkler = numpyro.sample("p_sprinkler", dist.Beta(1.0, 1.0).expand([2]).to_event(1))
    p_rain = numpyro.sample("p_rain", dist.Beta(1.0, 1.0).expand([2]).to_event(1))
    p_wet = numpyro.sample("p_wet", dist.Beta(1.0, 1.0).expand([2, 2]).to_event(2))
    n = days if cloudy is None else len(cloudy)
    with numpyro.plate("days", n):
        c = numpyro.sample("cloudy", dist.Bernoulli(p_cloudy), obs=cloudy).astype(jnp.int32)
        s = numpyro.sample("sprinkler", dist.Bernoulli(p_sprinkler[c]), obs=sprinkler)
        r = numpyro.sample("rain", dist.Bernoulli(p_rain[c]), obs=rain)
        p = p_wet[s.astype(jnp.int32), r.astype(jnp.int32)]
        numpyro.sample("wet", dist.Bernoulli(p), obs=wet)


def collider(c=None, n=50):
    """Two independent causes and their common effect: a and b are independent, but
    dependent once c is known."""
    with numpyro.plate("items", n if c is None else len(c)):
        a = numpyro.sample("a", dist.Normal(0.0, 1.0))
        b = numpyro.sample("b", dist.Normal(0.0, 1.0))
        numpyro.sample("c", dist.Normal(a + b, 0.5), obs=c)


def not_a_program(x=None):
    """Ordinary Python: no numpyro.sample site."""
    return 2 * x
