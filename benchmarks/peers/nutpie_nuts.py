"""nutpie (``compile_pymc_model``, numba backend) on the PyMC models of ``pymc_nuts``."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from .measure import add_run, overhead, per_call_seconds, python_loop_seconds
from .pymc_nuts import idata_run, pymc_settings, pymc_sites


def run_nutpie(build, *, chains=4, warmup=1000, draws=1000, seed=0, runs=2, cores=None) -> dict:
    """nutpie on the PyMC model (``compile_pymc_model``, numba backend). The first run is
    end to end (PyMC model, numba compile, sampling); later runs sample the compiled model
    again. ``cores`` left to nutpie (all of them)."""
    import nutpie

    result = {"sampler": "nutpie", "cores": cores or os.cpu_count(), "runs": []}
    compiled = None
    for r in range(runs):
        start = time.perf_counter()
        if compiled is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = build()
                compiled = nutpie.compile_pymc_model(model)
            compile_s = time.perf_counter() - start
        idata = nutpie.sample(
            compiled,
            **pymc_settings(chains, warmup, draws, cores),
            seed=seed,
            progress_bar=False,
            save_warmup=True,
        )
        seconds = time.perf_counter() - start
        run = idata_run(idata, pymc_sites(model, idata), seconds)
        if r == 0:
            run["compile_seconds"] = compile_s
        add_run(result, run)
    result["sec_per_grad"], result["sec_per_grad_how"] = nutpie_seconds_per_gradient(compiled)
    overhead(result)
    return result


def nutpie_seconds_per_gradient(compiled, min_seconds: float = 0.3) -> tuple[float, str]:
    """nutpie's compiled log density and gradient, called in a numba loop so no Python call
    is counted (nutpie calls it from Rust); a Python loop if numba will not take it."""
    fn = compiled.logp_func.vm.jit_fn
    x = np.zeros(compiled.n_dim)
    try:
        import numba

        @numba.njit
        def loop(f, x, n):
            acc = 0.0
            for _ in range(n):
                out = f(x)
                acc += out[0].item()
            return acc

        loop(fn, x, 1)
        return per_call_seconds(lambda n: loop(fn, x, n), 64, min_seconds), "numba loop"
    except Exception:  # an older or newer numba that will not pass the function through
        return python_loop_seconds(lambda: fn(x), min_seconds), "python loop"
