"""NumPyro's ``MCMC(NUTS)`` written by hand: the tabular models (counts or per item), the
example programs as written, and the seconds JAX spends compiling while the clock runs."""

from __future__ import annotations

import time
import warnings

import numpy as np

from .data import EXAMPLES, Tabular, site_name
from .measure import add_run, finish, jax_seconds_per_gradient, overhead


def numpyro_tabular(tab: Tabular, form: str = "counts"):
    """The tabular model in NumPyro: ``(program, kwargs)``. Counts: a Beta (Dirichlet) per
    row under a plate and one ``numpyro.factor`` of ``sum counts * log probs`` per card
    group; items: every (item, variable) observed through its row."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    alpha = tab.alpha

    def params(sizes):
        probs = {}
        for c, size in sizes.items():
            with numpyro.plate(f"rows{c}", size):
                if c == 2:
                    theta = numpyro.sample("theta", dist.Beta(alpha, alpha))
                    probs[c] = jnp.stack([1.0 - theta, theta], axis=-1)
                else:
                    probs[c] = numpyro.sample(site_name(c), dist.Dirichlet(jnp.full(c, alpha)))
        return probs

    sizes = {c: len(n) for c, n in tab.counts.items()}
    if form == "counts":

        def program(counts):
            for c, p in params(sizes).items():
                numpyro.factor(f"loglik{c}", jnp.sum(counts[c] * jnp.log(p)))

        counts = {c: jnp.asarray(n, dtype=jnp.float32) for c, n in tab.counts.items()}
        return program, {"counts": counts}

    def program_items(rows, values):
        for c, p in params(sizes).items():
            items, nvars = rows[c].shape
            # a Bernoulli on theta for binary variables, as one would write it by hand
            d = dist.Bernoulli(p[:, 1][rows[c]]) if c == 2 else dist.Categorical(p[rows[c]])
            with numpyro.plate(f"items{c}", items, dim=-2), numpyro.plate(f"vars{c}", nvars):
                numpyro.sample(f"x{c}", d, obs=values[c])

    rows = {c: jnp.asarray(v) for c, v in tab.rows.items()}
    values = {c: jnp.asarray(v) for c, v in tab.values.items()}
    return program_items, {"rows": rows, "values": values}


def numpyro_example(name: str, data: dict):
    """An example program from ``examples/programs/models.py`` itself, and its data."""
    import importlib.util

    import jax.numpy as jnp

    spec = importlib.util.spec_from_file_location("_bench_models", EXAMPLES / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name), {k: jnp.asarray(v, dtype=jnp.float32) for k, v in data.items()}


class _CompileClock:
    """Seconds JAX spends tracing and compiling while the clock runs (jax.monitoring)."""

    EVENTS = (
        "/jax/core/compile/jaxpr_trace_duration",
        "/jax/core/compile/jaxpr_to_mlir_module_duration",
        "/jax/core/compile/backend_compile_duration",
    )
    _active: list = []
    _registered = False

    def __init__(self) -> None:
        from jax import monitoring

        if not _CompileClock._registered:
            monitoring.register_event_duration_secs_listener(_CompileClock._listen)
            _CompileClock._registered = True
        self.seconds = 0.0

    @staticmethod
    def _listen(event: str, duration: float, **_) -> None:
        if event in _CompileClock.EVENTS:
            for clock in _CompileClock._active:
                clock.seconds += duration

    def __enter__(self):
        _CompileClock._active.append(self)
        return self

    def __exit__(self, *exc):
        _CompileClock._active.remove(self)


def run_numpyro(
    program, kwargs, *, chains=4, warmup=1000, draws=1000, seed=0, runs=2, chain_method=None
) -> dict:
    """NumPyro's ``MCMC(NUTS)``, chains ``parallel`` over host devices when there are enough
    (``XLA_FLAGS``, set above), ``runs`` times on one ``MCMC`` object: the first run is end to
    end, later ones are what a second ``run()`` costs (numpyro 0.22 traces and compiles again).

    The warm-up draws are collected too, in the same single compiled run, so that their
    gradients count: ``run()`` collects only the draws and ``warmup()`` + ``run()`` would
    compile twice, so the collection window is widened through MCMC's own setter."""
    import jax
    from numpyro.infer import MCMC, NUTS

    if chain_method is None:
        chain_method = "parallel" if jax.local_device_count() >= chains else "sequential"
    mcmc = MCMC(
        NUTS(program),
        num_warmup=warmup,
        num_samples=draws,
        num_chains=chains,
        chain_method=chain_method,
        progress_bar=False,
    )
    widen = hasattr(mcmc, "_set_collection_params")
    result = {"sampler": "numpyro", "chain_method": chain_method, "runs": []}
    for _ in range(runs):
        start = time.perf_counter()
        with _CompileClock() as clock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if widen:
                mcmc._set_collection_params(0, warmup + draws, warmup + draws)
            mcmc.run(jax.random.PRNGKey(seed), extra_fields=("num_steps", "diverging"), **kwargs)
            samples = jax.device_get(mcmc.get_samples(group_by_chain=True))
            extra = jax.device_get(mcmc.get_extra_fields(group_by_chain=True))
        seconds = time.perf_counter() - start
        cut = warmup if widen else 0
        post = {k: np.asarray(v)[:, cut:] for k, v in samples.items()}
        steps = np.asarray(extra["num_steps"], dtype=np.int64)
        run = {"seconds": seconds, "compile_seconds": clock.seconds}
        div = np.asarray(extra["diverging"])[:, cut:].sum()
        add_run(
            result,
            finish(run, post, steps[:, :cut].sum() if widen else None, steps[:, cut:].sum(), div),
        )
    result["sec_per_grad"] = jax_seconds_per_gradient(program, kwargs, seed)
    overhead(result)
    return result
