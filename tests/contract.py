"""The family contract: checks every registered family must pass, as plain functions so
that the suite (``test_contract.py``) and a family registered by a test run the same ones.

A case is a family name and options: the family's ``example`` merged with each of its
compare rows' options, so every row the zoo fits is checked too.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from zoo.models import FAMILIES, Conjugate, get_family, make_model

# z-scores of |NUTS - exact| over their Monte Carlo errors; with ~50 quantities per case a
# bound of 4.5 fails a correct sampler about once in 3,000 runs
Z_MAX = 4.5


def cases(names=None) -> list[tuple[str, dict]]:
    """``(family, options)`` for every family in ``names`` (default: the registry)."""
    out = []
    for name in FAMILIES if names is None else names:
        spec = get_family(name)
        rows = spec.rows or ()
        variants = [dict(r.options) for r in rows] or [{}]
        for extra in variants:
            options = {**spec.example, **extra}
            if (name, options) not in out:
                out.append((name, options))
    return out


def case_id(case) -> str:
    name, options = case
    return name + "".join(f"-{k}={v}" for k, v in sorted(options.items()))


def item_values(model, n_items: int = 6) -> jnp.ndarray:
    """Random states of the variables the loop form observes (latent ones excluded)."""
    rng = np.random.default_rng(0)
    dag = model.dag
    cards = [dag.card(v) for v in dag.nodes if dag.role(v) != "latent"]
    return jnp.asarray(np.stack([rng.integers(0, c, n_items) for c in cards], axis=1))


def check_param_count(name: str, options: dict) -> None:
    """The formula, the model and a trace of the program count the same parameters."""
    from zoo.inspection import structure

    spec, model = get_family(name), make_model(name, **options)
    formula = spec.count(spec.build(**options), **options)
    traced = structure(model.program_items, values=item_values(model)).params["model"]
    assert model.param_count() == formula == traced, (model.param_count(), formula, traced)
    sizes = _site_sizes(model)
    assert set(sizes) == set(model.param_sites())


def _site_sizes(model) -> dict[str, int]:
    from numpyro import handlers

    seeded = handlers.seed(model.program_items, 0)
    tr = handlers.trace(seeded).get_trace(n_items=1)
    return {k: int(np.size(s["value"])) for k, s in tr.items() if k in model.param_sites()}


def check_graph(name: str, options: dict) -> None:
    """The graph read out of the program equals the DAG the family declares."""
    from zoo.inspection import structure

    model = make_model(name, **options)
    st = structure(model.program_items, values=item_values(model))
    item = st.item_dag()
    assert item.nodes == model.dag.nodes
    assert set(item.edges) == set(model.dag.edges)
    assert [item.card(v) for v in item.nodes] == [model.dag.card(v) for v in item.nodes]
    latent = {v for v in model.dag.nodes if model.dag.role(v) == "latent"}
    assert set(st.latent) & set(item.nodes) == latent


def check_shapes(name: str, options: dict) -> None:
    """Simulated data, pointwise log-likelihoods and posterior-predictive samples have the
    shapes the protocol promises, with states inside each variable's range."""
    model = make_model(name, **options)
    data, truth = model.simulate(jax.random.PRNGKey(0), 7)
    assert data.n_items == 7 and tuple(data.names) == model.observed
    assert set(truth) == set(model.param_sites())
    model.check_data(data)
    draws = {k: jnp.stack([jnp.asarray(v)] * 3) for k, v in truth.items()}
    ll = np.asarray(model.log_likelihood(draws, data))
    assert ll.shape == (3, 7) and np.isfinite(ll).all() and (ll <= 0).all()
    assert np.asarray(model.log_px(draws, data)).shape == (3, 7)
    items = np.asarray(model.sample(draws, jax.random.PRNGKey(1), 5))
    assert items.shape == (5, len(model.observed))
    cards = np.array([model.dag.card(v) for v in model.observed])
    assert ((items >= 0) & (items < cards)).all()


def check_conjugate(name: str, options: dict, *, seed: int = 3) -> None:
    """NUTS matches the exact posterior of a conjugate family (means and sds, within their
    Monte Carlo errors); other families have nothing exact to match."""
    import arviz as az

    from zoo.fit import fit

    model = make_model(name, **options)
    if not isinstance(model, Conjugate):
        return
    data, _ = model.simulate(jax.random.PRNGKey(1), 300)
    result = fit(model, data, "nuts", chains=2, warmup=300, draws=500, seed=seed)
    exact = model.exact_draws(data, jax.random.PRNGKey(2), 20_000)
    assert set(exact) == set(result.idata.posterior.data_vars)
    worst = 0.0
    for site, values in exact.items():
        values = np.asarray(values)
        draws = result.idata.posterior[site].values.reshape(-1, *values.shape[1:])
        mcse_mean = az.mcse(result.idata, var_names=[site])[site].values
        mcse_sd = az.mcse(result.idata, var_names=[site], method="sd")[site].values
        n = len(values)
        err_mean = np.sqrt(mcse_mean**2 + values.var(axis=0) / n)
        z_mean = np.abs(draws.mean(axis=0) - values.mean(axis=0)) / err_mean
        err_sd = np.sqrt(mcse_sd**2 + values.var(axis=0) / (2 * n))
        z_sd = np.abs(draws.std(axis=0) - values.std(axis=0)) / err_sd
        worst = max(worst, float(z_mean.max()), float(z_sd.max()))
    assert worst < Z_MAX, worst
    assert float(az.rhat(result.idata).to_array().max()) < 1.02
