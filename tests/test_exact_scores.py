"""Evaluation at scale: closed-form held-out scores and LOO of the conjugate tabular
families (checked against refitting without each item, by the Dirichlet-multinomial
marginal likelihood, and against PSIS on exact draws), chunked evaluation against unchunked,
and the pointwise log-likelihood kept only while it is small."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest
from scipy.special import gammaln, logsumexp

import zoo.evaluate as ev
from zoo.data import Dataset
from zoo.fit import fit
from zoo.inference import _common
from zoo.models import _exact, make_model


def _log_evidence(model, data) -> float:
    """log p(data) under the Dirichlet priors: a product of Dirichlet-multinomials, one per
    CPD row (a formula of its own, not the predictive's)."""
    a, total = model.alpha, 0.0
    for c, n in model.counts(data).items():
        total += np.sum(gammaln(c * a) - gammaln(c * a + n.sum(axis=1)))
        total += np.sum(gammaln(a + n) - gammaln(a))
    return float(total)


@pytest.fixture(scope="module")
def labelled():
    """Naive Bayes on 30 simulated items (5 pixels, 3 classes), alpha 0.7."""
    model = make_model("naive-bayes", n=5, classes=3, alpha=0.7)
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 2, (30, 5)), rng.integers(0, 3, 30)
    return model, Dataset(x, model.observed, (2,) * 5, y, 3)


@pytest.fixture(scope="module")
def chain():
    """An order-2 chain of 6 pixels on 300 simulated items, fitted by exact draws."""
    model = make_model("markov-chain", n=6, order=2)
    data, _ = model.simulate(jax.random.PRNGKey(1), 300)
    train, test = data.take(slice(0, 240)), data.take(slice(240, None))
    result = fit(model, train, "exact", chains=2, draws=2000, seed=4)
    return model, train, test, result


def test_closed_form_loo_equals_refitting_without_each_item(labelled):
    model, data = labelled
    loo_i, lppd_i = model.exact_loo(data)
    whole = _log_evidence(model, data)
    for j in range(data.n_items):
        rest = data.take(np.delete(np.arange(data.n_items), j))
        assert loo_i[j] == pytest.approx(whole - _log_evidence(model, rest), rel=1e-10)
    # in-sample: log p(x_j | D) = log p(D + x_j) - log p(D)
    twice = data.take(np.r_[np.arange(data.n_items), 0])
    assert lppd_i[0] == pytest.approx(_log_evidence(model, twice) - whole, rel=1e-10)


def test_closed_form_heldout_sums_the_label_out(labelled):
    model, data = labelled
    train, test = data.take(slice(0, 25)), data.take(slice(25, None))
    before = _log_evidence(model, train)
    for j in range(test.n_items):
        one = test.take(slice(j, j + 1))
        joint = []
        for k in range(3):
            both = Dataset(np.r_[train.x, one.x], train.names, train.cards, np.r_[train.y, k], 3)
            joint.append(_log_evidence(model, both) - before)
        px = model.exact_log_predictive(train, one)[0]
        assert px == pytest.approx(logsumexp(joint), rel=1e-10)
        pxy = model.exact_log_predictive(train, one, joint=True)[0]
        assert pxy == pytest.approx(joint[int(test.y[j])], rel=1e-10)


def test_counts_and_scores_do_not_depend_on_the_chunk(labelled, monkeypatch):
    model, data = labelled
    whole = (model.counts(data), model.exact_loo(data), model.exact_log_predictive(data, data))
    monkeypatch.setattr(_exact, "ITEM_CHUNK", 7)
    chunked = (model.counts(data), model.exact_loo(data), model.exact_log_predictive(data, data))
    for c in whole[0]:
        assert np.array_equal(whole[0][c], chunked[0][c])
    np.testing.assert_allclose(np.concatenate(chunked[1]), np.concatenate(whole[1]), rtol=1e-12)
    np.testing.assert_allclose(chunked[2], whole[2], rtol=1e-12)


def test_exact_loo_and_score_agree_with_psis_and_draws(chain):
    model, train, test, result = chain
    exact = ev.loo(result)
    assert exact["exact"] is True and exact["khat_over_0.7"] == 0.0
    psis = ev.psis_loo(result.idata)
    assert exact["elpd_loo"] == pytest.approx(psis.elpd_loo, abs=0.5)
    assert exact["p_loo"] == pytest.approx(psis.p_loo, abs=0.5)
    assert exact["se"] == pytest.approx(psis.se, rel=0.01)
    closed = ev.heldout(result, test)
    assert closed["exact"] is True
    drawn = ev.score(model, result.draws(), test)
    assert "exact" not in drawn
    assert closed["nats_per_item"] == pytest.approx(drawn["nats_per_item"], abs=0.01)


def test_chunked_evaluation_equals_unchunked(chain):
    model, _, test, result = chain
    draws = result.draws()
    whole = ev.score(model, draws, test)
    for size in (1, 13):
        part = ev.score(model, draws, test, chunk=size)
        np.testing.assert_allclose(part["per_item"], whole["per_item"], rtol=1e-6)
        assert part["nats_per_item"] == pytest.approx(whole["nats_per_item"], rel=1e-6)


def test_the_pointwise_group_is_kept_only_while_small(chain, monkeypatch):
    model, train, test, result = chain
    assert "log_likelihood" in result.idata.groups() and result.settings["pointwise"] is True
    monkeypatch.setattr(_common, "POINTWISE_LIMIT", 1000)
    big = fit(model, train, "exact", chains=2, draws=2000, seed=4)
    assert "log_likelihood" not in big.idata.groups() and big.settings["pointwise"] is False
    # the same exact LOO, without the group
    assert ev.loo(big) == ev.loo(result)
    # draws that do not target the exact posterior (SVI's) are scored from the draws
    svi = dataclasses.replace(big, method="svi")
    chunked, kept = ev.loo(svi), ev.loo(dataclasses.replace(result, method="svi"))
    assert "exact" not in chunked and "exact" not in ev.heldout(svi, test)
    assert chunked["elpd_loo"] == pytest.approx(kept["elpd_loo"], rel=1e-6)  # PSIS by chunks


def test_accuracy_over_chunks_of_items_equals_accuracy_at_once(labelled, monkeypatch):
    from zoo.assess import _accuracy

    model, data = labelled
    draws = model.prior_draws(jax.random.PRNGKey(0), 20)
    whole = model.accuracy(draws, data)
    monkeypatch.setattr(ev, "CHUNK_VALUES", 20 * 7)  # 7 items per chunk
    assert _accuracy(model, draws, data) == whole


def test_psis_loo_over_chunks_of_items_equals_arviz_on_the_whole(chain):
    _, _, _, result = chain
    whole = ev.psis_loo(result.idata)
    part = ev.chunked_psis_loo(result, chunk=37)
    assert part.elpd_loo == pytest.approx(whole.elpd_loo, rel=1e-6)
    assert part.p_loo == pytest.approx(whole.p_loo, rel=1e-4, abs=1e-3)
    assert part.se == pytest.approx(whole.se, rel=1e-6)
    np.testing.assert_allclose(part.pareto_k, whole.pareto_k, rtol=1e-5, atol=1e-6)
