"""Tabular families against known answers: the exact conjugate posterior, scikit-learn's
BernoulliNB, pgmpy's BayesianEstimator, and the count form against the per-item form."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer.util import log_density

import graphs
from zoo.data import Dataset
from zoo.fit import fit
from zoo.models import make_model
from zoo.models._tabular import TabularModel

# z-scores of |NUTS mean - exact mean| / MCSE; with ~50 parameters per model a bound of 4.5
# fails a correct sampler about once in 3,000 runs
Z_MAX = 4.5


def ternary_net() -> graphs.DAG:
    v = graphs.Variable
    return graphs.DAG(
        [v("a", card=3), v("b"), v("c", card=3), v("d")],
        [("a", "c"), ("b", "c"), ("c", "d"), ("a", "d")],
        name="ternary",
    )


CASES = {
    "independent": lambda: make_model("independent", n=9),
    "markov-chain": lambda: make_model("markov-chain", n=9, order=2),
    "grid": lambda: make_model("markov-chain", n=9, grid=True),
    "naive-bayes": lambda: make_model("naive-bayes", n=9, classes=3),
    "bayesnet": lambda: TabularModel(ternary_net()),
}


@pytest.fixture(scope="module", params=list(CASES))
def nuts_fit(request):
    model = CASES[request.param]()
    data, _ = model.simulate(jax.random.PRNGKey(1), 300)
    result = fit(model, data, "nuts", chains=2, warmup=400, draws=600, seed=3)
    return model, data, result


def test_nuts_matches_the_exact_posterior(nuts_fit):
    import arviz as az

    model, data, result = nuts_fit
    exact = model.exact_moments(data)
    summary = az.summary(result.idata, kind="all", round_to="none")
    assert set(exact) == set(result.idata.posterior.data_vars)
    worst = 0.0
    for site, (mean, sd) in exact.items():
        draws = result.idata.posterior[site].values.reshape(-1, *mean.shape)
        mcse_mean = az.mcse(result.idata, var_names=[site])[site].values
        mcse_sd = az.mcse(result.idata, var_names=[site], method="sd")[site].values
        z_mean = np.abs(draws.mean(axis=0) - mean) / mcse_mean
        z_sd = np.abs(draws.std(axis=0) - sd) / mcse_sd
        worst = max(worst, float(z_mean.max()), float(z_sd.max()))
    assert worst < Z_MAX
    assert summary["r_hat"].max() < 1.02


def test_count_form_equals_per_item_form():
    for make in CASES.values():
        model = make()
        data, truth = model.simulate(jax.random.PRNGKey(7), 50)
        params = {k: jnp.asarray(v) for k, v in truth.items()}
        counts = model.program_kwargs(data)
        lp_counts, _ = log_density(model.program, (), counts, params)
        values = jnp.asarray(model.full_values(data))
        lp_items, _ = log_density(model.program_items, (), {"values": values}, params)
        assert float(lp_counts) == pytest.approx(float(lp_items), rel=1e-5)
        # and the pointwise log-likelihood adds up to the same likelihood
        one = {k: v[None] for k, v in params.items()}
        prior, _ = log_density(model.program, (), {}, params)
        total = float(model.log_likelihood(one, data).sum())
        assert total == pytest.approx(float(lp_counts - prior), rel=1e-5)


def test_count_form_gradient_cost_is_flat_in_items():
    model = make_model("markov-chain", n=16)
    small, _ = model.simulate(jax.random.PRNGKey(0), 100)
    big, _ = model.simulate(jax.random.PRNGKey(0), 10_000)
    for data in (small, big):
        for c, v in model.program_kwargs(data)["counts"].items():
            assert v.shape == (model.group_rows[c], c)  # O(parameters), whatever the items


def test_naive_bayes_matches_bernoulli_nb():
    from sklearn.naive_bayes import BernoulliNB

    model = make_model("naive-bayes", n=16, classes=4)
    data, _ = model.simulate(jax.random.PRNGKey(2), 400)
    mean, _ = model.exact_moments(data)["theta"]
    rows = mean.reshape(16, 4)  # x_i's rows are its 4 label states, in node order
    nb = BernoulliNB(alpha=1.0).fit(data.x, data.y)
    assert np.allclose(rows.T, np.exp(nb.feature_log_prob_), atol=1e-12)
    prior, _ = model.exact_moments(data)["probs4"]
    nb_same = BernoulliNB(alpha=1.0, class_prior=prior[0]).fit(data.x, data.y)
    result = fit(model, data, "exact", chains=1, draws=2000, seed=0)
    test, _ = model.simulate(jax.random.PRNGKey(3), 50)
    ours = model.predict_proba(result.draws(), test, plugin=True)
    # the plug-in posterior mean is within MC error of the exact mean; compare to sklearn
    assert np.allclose(ours, nb_same.predict_proba(test.x), atol=0.02)
    exact_draws = {k: jnp.asarray(v)[None] for k, v in _exact_mean(model, data).items()}
    exact = model.predict_proba(exact_draws, test)
    assert np.allclose(exact, nb_same.predict_proba(test.x), atol=1e-5)


def _exact_mean(model, data):
    out = {}
    for site, (mean, _) in model.exact_moments(data).items():
        out[site] = mean
    return out


def test_bayesnet_on_asia_matches_pgmpy_k2():
    from pgmpy.parameter_estimator import DiscreteBayesianEstimator
    from pgmpy.sampling import BayesianModelSampling

    dag = graphs.load_network("asia")
    pg = graphs.to_pgmpy(dag)
    frame = BayesianModelSampling(pg).forward_sample(size=2000, seed=0, show_progress=False)
    codes = np.stack(
        [[dag.variable(n).states.index(str(s)) for s in frame[n]] for n in dag.nodes], axis=1
    )
    data = Dataset(codes, dag.nodes, tuple(dag.card(n) for n in dag.nodes), source="asia")
    model = make_model("bayesnet", network="asia")
    ours = model.cpds({k: v[None] for k, v in _exact_mean(model, data).items()})
    states = {n: list(dag.variable(n).states) for n in dag.nodes}
    est = DiscreteBayesianEstimator(state_names=states, prior_type="K2").fit(pg.copy(), frame)
    for cpd in est.parameters_:
        node = cpd.variable
        # pgmpy orders evidence and states its own way: align through graphs.interop
        expected = graphs.from_pgmpy(_single(pg, node, cpd)).cpds[node]
        assert np.allclose(ours[node], expected, atol=1e-12), node
    assert {c.variable for c in est.parameters_} == set(dag.nodes)
    result = fit(model, data, "nuts", chains=2, warmup=300, draws=500, seed=0)
    nuts = model.cpds(result.draws())
    for node in dag.nodes:
        assert np.allclose(nuts[node], ours[node], atol=0.02), node


def _single(pg, node, cpd):
    """The network with one CPD replaced, so interop aligns its axes to the DAG."""
    model = pg.copy()
    model.remove_cpds(model.get_cpds(node))
    model.add_cpds(cpd)
    return model


def test_map_lands_on_the_closed_form_mode():
    dag = graphs.naive_bayes(6, classes=3)
    model = TabularModel(dag, alpha=2.0)
    data, _ = model.simulate(jax.random.PRNGKey(4), 200)
    result = fit(model, data, "svi", guide="map", steps=2000, learning_rate=0.03, draws=10, seed=0)
    mode = model.exact_mode(data)
    for site, value in mode.items():
        got = np.asarray(result.idata.posterior[site].values[0, 0])
        assert np.allclose(got, value, atol=2e-3), site


def test_exact_method_is_seeded_and_layout_matches_nuts():
    model = make_model("markov-chain", n=4)
    data, _ = model.simulate(jax.random.PRNGKey(0), 100)
    a = fit(model, data, "exact", chains=2, draws=50, seed=5)
    b = fit(model, data, "exact", chains=2, draws=50, seed=5)
    c = fit(model, data, "exact", chains=2, draws=50, seed=6)
    theta = a.idata.posterior["theta"].values
    assert theta.shape == (2, 50, graphs.param_count(model.dag))
    assert np.array_equal(theta, b.idata.posterior["theta"].values)
    assert not np.array_equal(theta, c.idata.posterior["theta"].values)
    assert a.idata.log_likelihood["obs"].shape == (2, 50, 100)


def test_label_summed_out_in_log_px():
    model = make_model("naive-bayes", n=5, classes=2)
    data, truth = model.simulate(jax.random.PRNGKey(0), 20)
    one = {k: jnp.asarray(v)[None] for k, v in truth.items()}
    joint = model.class_log_joint(one, data)[0]  # (items, K)
    expected = np.logaddexp(joint[:, 0], joint[:, 1])
    assert np.allclose(model.log_px(one, data)[0], expected, atol=1e-5)
    unlabelled = Dataset(data.x, data.names, data.cards)
    assert np.allclose(model.log_px(one, unlabelled)[0], expected, atol=1e-5)


def test_samples_follow_the_cpds():
    model = make_model("markov-chain", n=3)
    theta = np.array([0.9, 0.2, 0.7, 0.1, 0.6])  # x0; x1 | x0=0,1; x2 | x1=0,1
    draws = {"theta": jnp.asarray(theta)[None]}
    x = model.sample(draws, jax.random.PRNGKey(0), 20_000)
    assert set(np.unique(x)) <= {0, 1} and x.shape == (20_000, 3)
    assert x[:, 0].mean() == pytest.approx(0.9, abs=0.01)
    assert x[x[:, 0] == 1, 1].mean() == pytest.approx(0.7, abs=0.02)
    assert x[x[:, 1] == 0, 2].mean() == pytest.approx(0.1, abs=0.02)


def test_tabular_rejects_latent_and_bad_data():
    with pytest.raises(ValueError, match="latent"):
        TabularModel(graphs.latent_class(3, components=2))
    model = make_model("independent", n=3)
    with pytest.raises(ValueError, match="3 observed variables"):
        model.check_data(Dataset(np.zeros((4, 2)), ("x0", "x1"), (2, 2)))
    with pytest.raises(ValueError, match=r"column 'x1' has value 2 at row 0"):
        Dataset(np.array([[0, 2, 0]]), ("x0", "x1", "x2"), (2, 2, 2))
    with pytest.raises(ValueError, match=r"column 'x0' has nan at row 1"):
        Dataset(np.array([[0.0, 1, 0], [np.nan, 0, 1]]), ("x0", "x1", "x2"), (2, 2, 2))
    nb = make_model("naive-bayes", n=3, classes=2)
    with pytest.raises(ValueError, match="carry no labels"):
        fit(nb, Dataset(np.zeros((4, 3)), ("x0", "x1", "x2"), (2, 2, 2)), "exact")
