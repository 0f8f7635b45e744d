"""What every NUTS run is measured by: its diagnostics and gradient counts, the seconds one
gradient costs (one timing loop for Python, numba and jitted JAX callers), and the overhead
ratio built from the two."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np


def summarise(posterior: dict[str, np.ndarray]) -> dict:
    """ESS (bulk, the minimum over every element), R-hat (the maximum), and per site the
    means, sds and MCSE of the mean. ``posterior`` maps a site to ``(chains, draws, ...)``."""
    import arviz as az

    post = {k: np.asarray(v, dtype=np.float64) for k, v in posterior.items()}
    ds = az.convert_to_dataset(post)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ess = az.ess(ds, method="bulk")
        rhat = az.rhat(ds)
        mcse = az.mcse(ds, method="mean")
    return {
        "ess_bulk_min": float(min(np.min(ess[k].values) for k in post)),
        "rhat_max": float(max(np.max(rhat[k].values) for k in post)),
        "means": {k: v.mean(axis=(0, 1)).tolist() for k, v in post.items()},
        "sds": {k: v.std(axis=(0, 1), ddof=1).tolist() for k, v in post.items()},
        "mcse": {k: np.asarray(mcse[k].values).tolist() for k in post},
    }


def finish(out: dict, post: dict, grads_warmup, grads_draws: int, divergences: int) -> dict:
    """Add diagnostics, gradient counts and the ESS per second to a run's ``out``."""
    out.update(summarise(post))
    out["grads_draws"] = int(grads_draws)
    out["grads"] = None if grads_warmup is None else int(grads_warmup) + int(grads_draws)
    out["divergences"] = int(divergences)
    out["ess_per_s"] = out["ess_bulk_min"] / out["seconds"]
    return out


def add_run(result: dict, run: dict) -> None:
    """Add a run to a sampler's ``result``, with a progress line (indented: the scripts echo
    it)."""
    result["runs"].append(run)
    n, seconds = len(result["runs"]), run["seconds"]
    print(f"    {result['sampler']} run {n}: {seconds:.1f} s", file=sys.stderr, flush=True)


def overhead(result: dict) -> None:
    """NUTS overhead: wall seconds / (gradient evaluations x seconds per gradient), end to end
    (first run) and warm (second run). With 4 chains on 2 cores, 0.5 means no overhead."""
    spg = result.get("sec_per_grad")
    for key, run in (("overhead", result["runs"][0]), ("overhead_warm", result["runs"][-1])):
        ok = spg and run.get("grads")
        result[key] = run["seconds"] / (run["grads"] * spg) if ok else None


def per_call_seconds(run, n: int, min_seconds: float) -> float:
    """Seconds per call of ``run(n)``, which makes ``n`` calls: ``n`` grows 4x until one
    ``run`` lasts more than ``min_seconds`` (the caller has warmed it up)."""
    while True:
        start = time.perf_counter()
        run(n)
        dt = time.perf_counter() - start
        if dt > min_seconds:
            return dt / n
        n *= 4


def python_loop_seconds(call, min_seconds: float) -> float:
    """Seconds per ``call()`` from a Python loop (the call's own Python overhead counted)."""

    def run(n: int) -> None:
        for _ in range(n):
            call()

    call()
    return per_call_seconds(run, 16, min_seconds)


def jitted_gradient_seconds(potential, z0, min_seconds: float = 0.3, n: int = 64) -> float:
    """One ``value_and_grad`` of ``potential`` at ``z0``, timed in a jitted loop so that no
    Python dispatch is counted."""
    import jax

    value_and_grad = jax.value_and_grad(potential)

    @jax.jit
    def loop(z, n):
        def body(_, carry):
            z, acc = carry
            v, g = value_and_grad(z)
            # a data dependence from one gradient to the next, so none is hoisted or dropped
            z = jax.tree.map(lambda a, b: a + 1e-12 * b, z, g)
            return z, acc + v

        return jax.lax.fori_loop(0, n, body, (z, 0.0))

    jax.block_until_ready(loop(z0, 1))
    return per_call_seconds(lambda n: jax.block_until_ready(loop(z0, n)), n, min_seconds)


def jax_seconds_per_gradient(program, kwargs, seed: int = 0, min_seconds: float = 0.3) -> float:
    """One ``value_and_grad`` of a NumPyro program's potential (negative log joint on the
    unconstrained scale, as NUTS sees it), from its initial point."""
    import jax
    from numpyro.infer.util import initialize_model

    info = initialize_model(jax.random.PRNGKey(seed), program, model_kwargs=kwargs)
    return jitted_gradient_seconds(info.potential_fn, info.param_info.z, min_seconds)
