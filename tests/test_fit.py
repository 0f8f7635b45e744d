"""fit(): the InferenceData layout, seeds, timings, errors; diagnostics as data with
thresholds; the held-out score against a hand computation."""

import dataclasses
import math

import jax
import numpy as np
import pytest

from zoo.data import Dataset
from zoo.diagnostics import diagnose
from zoo.evaluate import heldout, loo, samples, score
from zoo.fit import FitResult, fit
from zoo.models import make_model


@pytest.fixture(scope="module")
def chain_data():
    model = make_model("markov-chain", n=6)
    data, _ = model.simulate(jax.random.PRNGKey(0), 400)
    return model, data


@pytest.fixture(scope="module")
def nuts_result(chain_data):
    model, data = chain_data
    # 1000 draws: with 300, the max split R-hat over 11 parameters strays past 1.02 by chance
    return fit(model, data, "nuts", chains=2, warmup=300, draws=1000, seed=11)


def test_inference_data_layout(nuts_result, chain_data):
    _, data = chain_data
    idata = nuts_result.idata
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(idata.groups())
    assert idata.posterior["theta"].shape == (2, 1000, 11)
    assert idata.log_likelihood["obs"].shape == (2, 1000, data.n_items)
    assert np.array_equal(idata.observed_data["x"].values, data.x)
    assert {"diverging", "energy", "lp", "n_steps"} <= set(idata.sample_stats.data_vars)
    s = nuts_result.seconds
    assert s["total"] >= s["compile"] > 0 and s["warmup_and_sampling"] > 0


def test_nuts_diagnostics_are_data_with_thresholds(nuts_result):
    d = diagnose(nuts_result)
    for key in ("rhat_max", "ess_bulk_min", "ess_tail_min", "divergences", "ebfmi_min"):
        assert key in d
    assert d["checks"]["rhat"]["threshold"] == 1.01
    assert d["checks"]["ess_bulk"]["threshold"] == 200  # 100 per chain
    assert d["pass"] == all(c["pass"] for c in d["checks"].values())
    assert 1.0 - 0.02 < d["rhat_max"] < 1.02


def test_same_seed_same_numbers(chain_data, nuts_result):
    model, data = chain_data
    again = fit(model, data, "nuts", chains=2, warmup=300, draws=1000, seed=11)
    assert np.array_equal(again.idata.posterior["theta"], nuts_result.idata.posterior["theta"])
    other = fit(model, data, "nuts", chains=2, warmup=300, draws=1000, seed=12)
    assert not np.array_equal(other.idata.posterior["theta"], nuts_result.idata.posterior["theta"])


def _fake(posterior: dict) -> FitResult:
    import arviz as az

    model = make_model("independent", n=2)
    data = Dataset(np.array([[0, 1], [1, 0]]), ("x0", "x1"), (2, 2))
    idata = az.from_dict(posterior=posterior)
    return FitResult(model, "exact", idata, {}, {"seed": 0}, data)


def test_constant_draws_fail_the_gate():
    constant = _fake({"theta": np.full((2, 100, 2), 0.5)})
    d = diagnose(constant)
    assert math.isnan(d["rhat_max"]) or d["zero_variance"]
    assert d["checks"]["rhat"]["pass"] is False and d["pass"] is False


def test_stuck_chains_fail_the_gate():
    rng = np.random.default_rng(0)
    stuck = np.stack([rng.normal(0.2, 0.01, (200, 2)), rng.normal(0.8, 0.01, (200, 2))])
    d = diagnose(_fake({"theta": stuck}))
    assert d["rhat_max"] > 1.5 and d["checks"]["rhat"]["pass"] is False


def test_svi_diagnostics_and_khat():
    # a Beta(2001, 2001)-like posterior is close to Gaussian in logit space: k-hat is small
    model = make_model("independent", n=3)
    x = np.tile(np.array([[0, 1, 0], [1, 0, 1]]), (2000, 1))
    data = Dataset(x, model.observed, (2, 2, 2))
    res = fit(model, data, "svi", steps=3000, learning_rate=0.02, draws=200, seed=0)
    d = diagnose(res)
    assert {"elbo_final", "khat"} <= set(d)
    assert d["khat"] < 0.5
    assert d["checks"]["elbo_converged"]["pass"]
    assert res.idata.posterior["theta"].shape == (4, 200, 3)
    assert np.allclose(res.idata.posterior["theta"].values.mean(axis=(0, 1)), 0.5, atol=0.01)
    map_res = fit(model, data, "svi", guide="map", steps=200, draws=10, seed=0)
    assert diagnose(map_res)["khat"] is None


def test_heldout_matches_a_hand_computation(nuts_result, chain_data):
    model, data = chain_data
    test, _ = model.simulate(jax.random.PRNGKey(0), 30)  # same truth as the training data
    draws = nuts_result.draws()
    h = score(model, draws, test)
    theta = np.asarray(draws["theta"])  # (S, 11): x0; then (x_i | x_{i-1}=0, =1)
    x = test.x
    lp = np.log(np.where(x[:, 0] == 1, theta[:, None, 0], 1 - theta[:, None, 0]))
    for i in range(1, 6):
        p = theta[:, 1 + 2 * (i - 1) + x[:, i - 1]]
        lp = lp + np.log(np.where(x[:, i] == 1, p, 1 - p))
    per_item = np.log(np.mean(np.exp(lp), axis=0))
    assert h["nats_per_item"] == pytest.approx(-per_item.mean(), rel=1e-4)
    assert h["bits_per_dim"] == pytest.approx(h["nats_per_item"] / (6 * math.log(2)))
    # a conjugate family's NUTS fit is scored in closed form: the limit the draws estimate
    exact = heldout(nuts_result, test)
    assert exact["exact"] and exact["nats_per_item"] == pytest.approx(-per_item.mean(), abs=0.01)
    assert np.isfinite(loo(nuts_result)["elpd_loo"])
    new = samples(nuts_result, n=16, seed=0)
    assert new.shape == (16, 6) and set(np.unique(new)) <= {0, 1}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "hmc"}, r"unknown method 'hmc'; expected one of \['nuts', 'svi', 'exact'\]"),
        ({"method": "svi", "guide": "flow"}, r"unknown guide 'flow'"),
        ({"chains": 0}, "chains must be a positive int, got 0"),
        ({"draws": 2.5}, "draws must be a positive int"),
        ({"target_accept": 1.5}, r"target_accept must be in \(0, 1\)"),
        ({"method": "exact", "batch_size": 0}, "batch_size must be a positive int"),
    ],
)
def test_bad_fit_options(chain_data, kwargs, match):
    model, data = chain_data
    with pytest.raises(ValueError, match=match):
        fit(model, data, **kwargs)


def test_minibatch_refused_for_count_families(chain_data):
    model, data = chain_data
    with pytest.raises(ValueError, match="minibatching does not apply"):
        fit(model, data, "svi", batch_size=32, steps=10)


def test_loo_keys_of_both_cards_come_from_one_result(nuts_result):
    from zoo.evaluate import psis_loo
    from zoo.programs import _loo

    res = psis_loo(nuts_result.idata)
    k = res.pareto_k
    assert k.shape == (400,)
    # the family card's LOO of an SVI fit is PSIS's (a NUTS fit's is exact)
    family = loo(dataclasses.replace(nuts_result, method="svi"))
    program = _loo(nuts_result.idata)
    assert family["khat_over_0.7"] == pytest.approx(np.mean(k > 0.7))
    assert program["pareto_k_over_0.7"] == int(np.sum(k > 0.7))
    assert program["pareto_k_max"] == pytest.approx(float(k.max()))
    assert family["elpd_loo"] == program["elpd_loo"] == res.elpd_loo


def test_progress_runs_svi_in_blocks_with_the_same_numbers(capsys):
    model = make_model("autoregressive", n=4)
    data, _ = model.simulate(jax.random.PRNGKey(0), 40)
    quiet = fit(model, data, "svi", steps=45, chains=1, draws=5)
    shown = fit(model, data, "svi", steps=45, chains=1, draws=5, progress=True)
    assert "autoregressive SVI: 45/45 iterations" in capsys.readouterr().err
    assert np.array_equal(quiet.elbo, shown.elbo) and len(quiet.elbo) == 45
    assert np.array_equal(quiet.draws()["w_direct"], shown.draws()["w_direct"])


def test_a_bound_program_is_a_target_of_fit():
    import numpyro
    import numpyro.distributions as dist

    from zoo.programs import bind, fit_program

    def program(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
        numpyro.deterministic("twice", 2 * mu)
        with numpyro.plate("items", len(y)):
            numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)

    bound = bind(program, {"y": [0.5, 1.5, 1.0]})
    result = fit(bound, method="svi", steps=200, chains=2, draws=50)
    assert result.model.family == "program" and result.data is None
    assert "batch_size" not in result.settings  # the program card's settings keys
    post = result.idata.posterior
    assert np.allclose(post["twice"], 2 * post["mu"])  # computed from the guide's draws
    assert result.idata.log_likelihood["y"].shape == (2, 50, 3)
    alias = fit_program(bound, "svi", steps=200, chains=2, draws=50)
    assert np.array_equal(alias.idata.posterior["mu"], post["mu"])
    with pytest.raises(ValueError, match="batch_size applies to the zoo's families"):
        fit(bound, method="svi", batch_size=2)
    with pytest.raises(
        ValueError, match=r"unknown method 'exact'; expected one of \['nuts', 'svi'\]"
    ):
        fit(bound, method="exact")
    with pytest.raises(ValueError, match="carries its data"):
        fit(bound, Dataset(np.zeros((2, 1), int), ("a",), (2,)))


def test_rank_plot_shows_the_worst_rhat_elements_by_readable_name():
    from zoo.figures import rank_figure, worst_rhat_series

    rng = np.random.default_rng(1)
    theta = rng.uniform(0.3, 0.7, (2, 200, 5))
    theta[0, :, 3] += 0.2  # x2 | x1=0 stuck apart between chains: the worst R-hat
    theta[0, :, 1] += 0.05  # x1 | x0=0 a little apart: second worst
    model = make_model("markov-chain", n=3)
    data = Dataset(np.array([[0, 1, 0], [1, 0, 1]]), ("x0", "x1", "x2"), (2, 2, 2))
    result = FitResult(model, "nuts", _fake({"theta": theta}).idata, {}, {"seed": 0}, data)
    names = list(worst_rhat_series(result.idata["posterior"], model, 2))
    assert names[0].startswith("P(x2=1 | x1=0)  R-hat ")
    assert names[1].startswith("P(x1=1 | x0=0)  R-hat ")
    assert model.element_label("theta", 0) == "P(x0=1)"
    assert len(rank_figure(result).axes) == 4
    nb = make_model("naive-bayes", n=3)  # its class prior is the 10-state Dirichlet site
    assert nb.element_label("probs10", 7) == "P(y=7)"
    assert nb.element_label("theta", 1) == "P(x0=1 | y=1)"
