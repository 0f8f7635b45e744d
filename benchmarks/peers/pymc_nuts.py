"""PyMC's NUTS (``pm.sample``) on the zoo's models written as a PyMC user writes them: the
tabular models (counts or per item) and the two example programs' twins. nutpie samples the
same PyMC models (``nutpie_nuts``)."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from .data import Tabular, site_name
from .measure import add_run, finish, overhead, python_loop_seconds


def pymc_tabular(tab: Tabular, form: str = "counts", likelihood: str = "binomial"):
    """The tabular model in PyMC. ``form="counts"`` uses the sufficient statistics, as a
    ``pm.Binomial(n, theta, observed=n1)`` per row (``pm.Multinomial`` for c > 2) by default:
    it is what a PyMC user writes, and it differs from ``sum n1 log theta + n0 log(1 - theta)``
    only by the constant log C(n, n1), so the posterior and the gradient are the same.
    ``likelihood="potential"`` writes that sum as a ``pm.Potential`` instead (no constant, no
    parameter checks). ``form="items"`` observes every (item, variable) pair."""
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        for c, n in tab.counts.items():
            name, size = site_name(c), len(n)
            if c == 2:
                p = pm.Beta(name, tab.alpha, tab.alpha, shape=size)
            else:
                p = pm.Dirichlet(name, a=np.full((size, c), tab.alpha))
            if form == "items":
                rows, vals = tab.rows[c], tab.values[c]
                if c == 2:
                    pm.Bernoulli(f"x{c}", p=p[rows], observed=vals)
                else:
                    pm.Categorical(f"x{c}", p=p[rows], observed=vals)
            elif likelihood == "potential":
                probs = pt.stack([1 - p, p], axis=-1) if c == 2 else p
                pm.Potential(f"loglik{c}", pt.sum(n * pt.log(probs)))
            elif c == 2:
                pm.Binomial(f"n1_{c}", n=n.sum(axis=1), p=p, observed=n[:, 1])
            else:
                pm.Multinomial(f"n_{c}", n=n.sum(axis=1), p=p, observed=n)
    return model


def pymc_eight_schools_nc(data: dict):
    """``examples/programs/models.py:eight_schools_nc`` in PyMC, the same priors."""
    import pymc as pm

    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfCauchy("tau", 5.0)
        eta = pm.Normal("eta", 0.0, 1.0, shape=len(data["sigma"]))
        theta = pm.Deterministic("theta", mu + tau * eta)
        pm.Normal("y", theta, data["sigma"], observed=data["y"])
    return model


def pymc_linear_regression(data: dict):
    """``examples/programs/models.py:linear_regression`` in PyMC: flat priors on alpha and
    beta (NumPyro's ImproperUniform over the reals is PyMC's Flat), HalfNormal(10) sigma."""
    import pymc as pm

    x = data["x"]
    with pm.Model() as model:
        alpha = pm.Flat("alpha")
        beta = pm.Flat("beta", shape=x.shape[1])
        sigma = pm.HalfNormal("sigma", 10.0)
        pm.Normal("y", alpha + pm.math.dot(x, beta), sigma, observed=data["y"])
    return model


def pymc_sites(model, idata) -> list[str]:
    """The free and deterministic sites, by their model names (not transformed values)."""
    names = [v.name for v in model.free_RVs] + [v.name for v in model.deterministics]
    return [n for n in names if n in idata.posterior]


def pymc_settings(chains: int, warmup: int, draws: int, cores: int | None) -> dict:
    """The sampler settings every peer shares, under the names ``pm.sample`` and
    ``nutpie.sample`` both take (the warm-up is ``tune``)."""
    return {"draws": draws, "tune": warmup, "chains": chains, "cores": cores}


def idata_run(idata, sites, seconds: float) -> dict:
    post = {k: idata.posterior[k].values for k in sites}
    stats = idata.sample_stats
    warm = getattr(idata, "warmup_sample_stats", None)
    grads_warmup = None if warm is None else int(warm["n_steps"].values.sum())
    out = {"seconds": seconds}
    return finish(
        out, post, grads_warmup, stats["n_steps"].values.sum(), stats["diverging"].values.sum()
    )


def run_pymc(build, *, chains=4, warmup=1000, draws=1000, seed=0, runs=2, cores=None) -> dict:
    """PyMC's default NUTS (``pm.sample``), ``runs`` times in this process: the first run is
    end to end (model build, compile, sampling), later ones reuse the warm caches.

    ``cores`` left to PyMC: ``min(4, cpu count)``, so 2 processes for 4 chains on 2 cores.
    Tuning draws are kept to count their gradients; PyMC's convergence checks are switched
    off (every sampler's diagnostics are computed the same way, outside the clock)."""
    import pymc as pm

    result = {"sampler": "pymc", "cores": cores or min(4, os.cpu_count() or 1), "runs": []}
    for _ in range(runs):
        start = time.perf_counter()
        model = build()
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = pm.sample(
                **pymc_settings(chains, warmup, draws, cores),
                random_seed=seed,
                progressbar=False,
                discard_tuned_samples=False,
                compute_convergence_checks=False,
            )
        seconds = time.perf_counter() - start
        add_run(result, idata_run(idata, pymc_sites(model, idata), seconds))
    result["sec_per_grad"] = pymc_seconds_per_gradient(model)
    overhead(result)
    return result


def pymc_seconds_per_gradient(model, min_seconds: float = 0.3) -> float:
    """One log density and gradient through the function PyMC's NUTS calls each leapfrog
    step (``logp_dlogp_function``, raveled input), Python call included: PyMC pays it."""
    from pymc.blocking import DictToArrayBijection

    fn = model.logp_dlogp_function(ravel_inputs=True)
    fn.set_extra_values({})
    q = DictToArrayBijection.map(model.initial_point()).data
    return python_loop_seconds(lambda: fn(q), min_seconds)


#: the example programs' PyMC twins
PYMC_OF = {"eight_schools_nc": pymc_eight_schools_nc, "linear_regression": pymc_linear_regression}
