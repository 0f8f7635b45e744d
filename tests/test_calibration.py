"""Simulation-based calibration: the exact conjugate sampler passes, NUTS passes, a
miscalibrated posterior fails, and the same seed gives the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.calibration import chi2_uniform, holm, quantities, ranks_of, sbc


def _exact_scaled(factor: float, shift: float = 0.0):
    """Exact Beta posterior draws with both concentrations times ``factor`` (factor > 1:
    overconfident, same mean) and the mean moved by ``shift`` on the logit scale."""
    import jax

    def sampler(model, data, key, n):
        conc = model.posterior_params(data)[2] * factor
        theta = jax.random.beta(key, conc[:, 1], conc[:, 0], (n, len(conc)))
        if shift:
            theta = jax.nn.sigmoid(jax.scipy.special.logit(theta) + shift)
        return {"theta": theta}

    sampler.__name__ = f"exact_x{factor}_shift{shift}"
    return sampler


@pytest.mark.parametrize(
    ("family", "options"),
    [("independent", {"n": 5}), ("naive-bayes", {"n": 4, "classes": 2})],
)
def test_exact_posterior_is_calibrated(family, options):
    res = sbc(family, options, method="exact", replications=100, n_items=30, draws=99, seed=1)
    assert res.ranks.shape == (100, len(res.quantities))
    assert res.ranks.min() >= 0 and res.ranks.max() <= 99
    assert res.histograms.sum(axis=1).tolist() == [100] * len(res.quantities)
    assert res.expected.min() >= 5
    assert res.passed and res.combined_p > 0.01
    # MCSE-scaled: the mean signed error (in posterior sds) is 0 within 4 Monte Carlo SEs
    z = res.z_signed
    mcse = z.std(axis=0, ddof=1) / np.sqrt(len(z))
    assert np.all(np.abs(z.mean(axis=0)) < 4 * mcse)


def _independent(n: int, method, replications: int, **kwargs):
    return sbc("independent", {"n": n}, method=method, replications=replications, **kwargs)


def test_nuts_is_calibrated_on_a_tabular_family():
    res = _independent(3, "nuts", 30, n_items=20, draws=49, seed=0, fit_kwargs={"warmup": 150})
    assert res.passed, res.pvalues
    assert res.seconds["compile_rest"] < 0.5 * res.seconds["compile_first"]  # compiled once


@pytest.mark.parametrize(("factor", "shift"), [(4.0, 0.0), (1.0, 0.5)])
def test_a_miscalibrated_posterior_is_detected(factor, shift):
    res = _independent(5, _exact_scaled(factor, shift), 100, n_items=30, draws=99, seed=2)
    assert not res.passed
    assert res.combined_p < 1e-3
    if shift == 0:  # overconfident: the truth sits further out than the posterior claims
        assert res.accuracy > 1.2


def test_same_seed_same_numbers():
    runs = [
        sbc("independent", {"n": 3}, method="exact", replications=10, draws=19, seed=s)
        for s in (5, 5, 6)
    ]
    np.testing.assert_array_equal(runs[0].ranks, runs[1].ranks)
    np.testing.assert_array_equal(runs[0].z_abs, runs[1].z_abs)
    assert runs[0].combined_p == runs[1].combined_p
    assert not np.array_equal(runs[0].ranks, runs[2].ranks)


def test_ties_are_broken_at_random_so_a_point_mass_is_uniform():
    rng = np.random.default_rng(0)
    ranks = np.stack([ranks_of(np.zeros(1), np.zeros((9, 1)), rng) for _ in range(2000)])
    counts = np.bincount(ranks[:, 0], minlength=10)
    assert counts.min() > 120  # 200 expected in each of the 10 ranks


def test_chi2_and_holm():
    rng = np.random.default_rng(0)
    flat = rng.integers(0, 100, size=(200, 1))
    piled = np.concatenate([np.zeros((100, 1), int), np.full((100, 1), 99)])
    hist, expected, _, p = chi2_uniform(np.hstack([flat, piled]), 100)
    assert hist.shape == (2, 20) and np.allclose(expected, 10)
    assert p[0] > 0.01 and p[1] < 1e-10
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])


def test_latent_class_ranks_permutation_invariant_quantities():
    import jax

    from zoo.calibration import simulate_from_prior
    from zoo.models import make_model

    model = make_model("latent-class", n=4, classes=3)
    data, truth = simulate_from_prior(model, jax.random.PRNGKey(0), 20)
    draws = {k: np.repeat(v[None], 5, axis=0) for k, v in truth.items()}
    names, values = quantities(model, draws, truth, data)
    assert names == ["pi_sorted[0]", "pi_sorted[1]", "pi_sorted[2]", "log_lik"]
    swapped = {"pi": draws["pi"][:, ::-1], "theta": draws["theta"][:, ::-1]}
    _, values_swapped = quantities(model, swapped, truth, data)
    np.testing.assert_allclose(values, values_swapped, rtol=1e-5)


def test_one_tiny_svi_case_runs():
    res = _independent(2, "svi", 5, n_items=20, draws=19, fit_kwargs={"steps": 300})
    assert res.ranks.shape == (5, 3) and np.isfinite(res.z_abs).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "nope"}, "unknown family"),
        ({"method": "gibbs"}, "unknown method"),
        ({"replications": 1}, "replications"),
        ({"draws": 0}, "draws"),
        ({"n_items": True}, "n_items"),
        ({"engine": "fast"}, "unknown engine"),
        ({"fit_kwargs": {"stepz": 3}}, "unknown fit_kwargs"),
        ({"family": "latent-class", "method": "exact"}, "conjugate"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {"family": "independent", "options": {"n": 2}, "method": "exact"} | kwargs
    with pytest.raises(ValueError, match=match):
        sbc(
            args.pop("family"),
            args.pop("options"),
            replications=args.pop("replications", 3),
            **args,
        )
