"""NumPyro SVI (JAX, float32) on the same two models, ``eval_every`` steps per call of one
jitted ``lax.scan``: the zero-overhead reference."""

from __future__ import annotations

from functools import partial

import numpy as np

from .svi import FLOOR, HeldOutTrace, Made, SviSettings


def run_numpyro_svi(
    kind: str,
    guide: str,
    x_train: np.ndarray,
    x_test: np.ndarray,
    **settings,
) -> dict:
    """NumPyro SVI (``Trace_ELBO``, ``numpyro.optim.Adam(lr)``, float32) with the same guides
    and starts, ``eval_every`` steps per call of one jitted ``lax.scan`` of ``svi.update``
    (compiled once), the zero-overhead reference; ``settings`` as :class:`SviSettings`
    takes them."""
    import jax
    import jax.numpy as jnp
    from numpyro.infer import SVI, Trace_ELBO, init_to_uniform, init_to_value
    from numpyro.infer.autoguide import AutoDelta, AutoDiagonalNormal
    from numpyro.optim import Adam

    cfg = SviSettings(kind, guide, **settings)
    made = cfg.made(x_train.shape[1])
    trace = HeldOutTrace(kind, x_test, made)
    x = jnp.asarray(x_train, dtype=jnp.float32)
    model = numpyro_models(kind, cfg.K, made)
    as_array = partial(jnp.asarray, dtype=jnp.float32)
    how, options = cfg.start(init_to_uniform, init_to_value, as_array)
    guide_obj = (AutoDelta if guide == "map" else AutoDiagonalNormal)(model, **options)
    svi = SVI(model, guide_obj, Adam(cfg.lr), Trace_ELBO())
    state = svi.init(jax.random.PRNGKey(cfg.seed), x)

    @jax.jit
    def chunk(state):
        return jax.lax.scan(lambda s, _: svi.update(s, x), state, None, length=cfg.eval_every)

    @jax.jit
    def median(state):
        return guide_obj.median(svi.get_params(state))

    def point(state):
        return {k: np.asarray(v) for k, v in median(state).items()}

    losses, done = [], 0
    while done < cfg.steps:
        state, chunk_losses = chunk(state)
        chunk_losses = np.asarray(jax.block_until_ready(chunk_losses))
        take = min(cfg.eval_every, cfg.steps - done)  # a last partial chunk is cut, not run short
        losses.extend(chunk_losses[:take].tolist())
        done += take
        trace.record(done, point, state)
    return trace.summary(cfg.record("numpyro", how), losses, cfg.steps, cfg.eval_every)


def numpyro_models(kind: str, K: int, made: Made | None):
    """The same two models in NumPyro (JAX)."""
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    if kind == "latent-class":

        def model(x):
            n = x.shape[1]
            pi = numpyro.sample("pi", dist.Dirichlet(jnp.ones(K)))
            theta = numpyro.sample("theta", dist.Beta(1.0, 1.0).expand([K, n]).to_event(2))
            theta = jnp.clip(theta, FLOOR, 1 - FLOOR)
            log_1mt = jnp.log1p(-theta)
            joint = jnp.log(jnp.clip(pi, 1e-30)) + x @ (jnp.log(theta) - log_1mt).T
            with numpyro.plate("items", x.shape[0]):
                numpyro.factor("loglik", jax.nn.logsumexp(joint + log_1mt.sum(-1), axis=-1))

        return model

    index = {k: tuple(jnp.asarray(a) for a in v) for k, v in made.index.items()}
    shapes = {k: m.shape for k, m in made.masks.items()}

    def made_model(x):
        p = {
            k: numpyro.sample(k, dist.Normal(0.0, scale).expand([size]).to_event(1))
            for k, (size, scale) in made.sites.items()
        }
        w = {k: jnp.zeros(shapes[k]).at[index[k]].set(p[k]) for k in index}
        logits = made.forward(x, p, w, jnp.tanh)
        with numpyro.plate("items", x.shape[0]):
            numpyro.sample("x", dist.Bernoulli(logits=logits).to_event(1), obs=x)

    return made_model
