"""The 2-D toys beside the flow (``zoo analyze toys``): the energy model's grid log Z against
a Gaussian's closed form, Langevin against a Gaussian's moments (and the unadjusted chain's
exact stationary variance), the diffusion's forward marginals against their closed form,
ancestral sampling and the variational bound with the exact denoiser of Gaussian data, a
trained diffusion on a Gaussian, ∫p = 1 for a trained energy model, the energy distance on
a hand case, and the analysis end to end (documented keys, ∫p, same seed same numbers, the
CLI) at a tiny size."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from zoo.analyses import toys as toys_analysis
from zoo.models import _diffusion_toys as dt
from zoo.models import _energy_toys as et
from zoo.models import _flow_toys as ft

MEAN = np.array([0.5, -1.0])
VAR = np.array([0.3, 2.0])
#: the analysis at a tiny size (the fixtures below share its compiled shapes)
TINY = {
    "toys": ("moons",),
    "train": 300,
    "heldout": 200,
    "samples": 200,
    "flow_steps": 150,
    "energy_steps": 200,
    "langevin_steps": 300,
    "diffusion_steps": 1000,
    "grid": 500,
}


# -- the energy model ---------------------------------------------------------------------


def test_grid_log_z_of_a_quadratic_energy_is_the_gaussian_normaliser():
    a = np.array([[2.0, 0.5], [0.5, 1.0]], np.float32)

    def energy(x):
        return 0.5 * jnp.einsum("mi,ij,mj->m", x, a, x)

    exact = np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(a))
    assert et.grid_log_z(energy, box=7.0, resolution=400) == pytest.approx(exact, abs=1e-4)
    # a box that cuts the tails loses their mass: the grid integrates over the box only
    assert et.grid_log_z(energy, box=1.0, resolution=200) < exact - 0.5


def test_langevin_samples_a_gaussian_energy():
    mean, var = jnp.asarray(MEAN), jnp.asarray(VAR)

    def energy(x):
        return 0.5 * jnp.sum((x - mean) ** 2 / var)

    n, eps = 4000, 0.01
    start = np.random.default_rng(0).uniform(-3, 3, (n, 2))
    x = et.langevin(energy, start, jax.random.PRNGKey(0), steps=600, step_size=eps)
    se_mean = np.sqrt(VAR / n)
    np.testing.assert_array_less(np.abs(x.mean(0) - MEAN), 4 * se_mean)
    # the unadjusted chain's stationary variance is var / (1 - eps / (2 var)), exactly
    stationary = VAR / (1 - eps / (2 * VAR))
    np.testing.assert_allclose(x.var(0), stationary, rtol=4 * np.sqrt(2 / n))
    np.testing.assert_allclose(x.var(0), VAR, rtol=0.05)


@pytest.fixture(scope="module")
def moons_energy():
    # the analysis's tiny shapes: one compilation serves both
    points = ft.toy_data("moons", TINY["train"] + TINY["heldout"], seed=1)
    train, test = points[: TINY["train"]], points[TINY["train"] :]
    return test, et.train_energy(train, jax.random.PRNGKey(0), steps=TINY["energy_steps"])


def test_a_trained_energy_model_integrates_to_one_on_another_grid(moons_energy):
    test, model = moons_energy
    assert model.losses[-1] < model.losses[0] - 1.0
    assert abs(model.grid_integral(800) - 1.0) < 1e-3
    nats = -model.log_density(test).mean()
    assert np.isfinite(nats) and nats < model.losses[0]
    assert model.log_density(np.array([[5.0, 0.0]]))[0] == -np.inf  # outside the box


# -- the diffusion --------------------------------------------------------------------------


def test_the_forward_marginals_have_their_closed_form():
    sch = dt.cosine_schedule()
    assert sch.steps == dt.STEPS and (sch.beta <= 0.5).all() and sch.abar[-1] < 1e-3
    assert (np.diff(sch.abar) < 0).all()
    # moments of Gaussian data pushed through the one-step kernels, one step at a time ...
    mean, var = MEAN.copy(), VAR.copy()
    rng = np.random.default_rng(0)
    x = MEAN + np.sqrt(VAR) * rng.standard_normal((20000, 2))
    for t in range(sch.steps):
        b = sch.beta[t]
        mean, var = np.sqrt(1 - b) * mean, (1 - b) * var + b
        x = np.sqrt(1 - b) * x + np.sqrt(b) * rng.standard_normal(x.shape)
        a = sch.abar[t]  # ... are q(x_t | x_0)'s: N(sqrt(abar) x_0, (1 - abar) I)
        np.testing.assert_allclose(mean, np.sqrt(a) * MEAN, rtol=1e-10)
        np.testing.assert_allclose(var, a * VAR + 1 - a, rtol=1e-10)
        if t in (0, 30, 99):
            np.testing.assert_array_less(np.abs(x.mean(0) - mean), 4 * np.sqrt(var / len(x)))
            np.testing.assert_allclose(x.var(0), var, rtol=4 * np.sqrt(2 / len(x)))
    # the posterior variance of q(x_{t-1} | x_t, x_0)
    assert sch.posterior_var[0] == 0
    t = 10
    expect = 1 / ((1 - sch.beta[t]) / sch.beta[t] + 1 / (1 - sch.abar[t - 1]))
    assert sch.posterior_var[t] == pytest.approx(expect, rel=1e-10)


def _nats(x):
    """-log N(x; MEAN, diag VAR) per point."""
    return 0.5 * np.sum(np.log(2 * np.pi * VAR) + (x - MEAN) ** 2 / VAR, axis=1)


def _oracle(sch):
    """The exact noise predictor of N(MEAN, diag VAR) data: E[eps | x_t]."""
    abar = jnp.asarray(sch.abar, jnp.float32)
    mean, var = jnp.asarray(MEAN, jnp.float32), jnp.asarray(VAR, jnp.float32)

    def eps(x, t):
        a = abar[t - 1]
        return jnp.sqrt(1 - a) * (x - jnp.sqrt(a) * mean) / (a * var + 1 - a)

    return eps


def test_ancestral_sampling_with_the_exact_denoiser_gives_the_data():
    sch = dt.cosine_schedule()
    n = 20000
    x, path = dt.ancestral(_oracle(sch), sch, sch.beta, jax.random.PRNGKey(0), n, keep=(100, 0))
    np.testing.assert_array_less(np.abs(x.mean(0) - MEAN), 4 * np.sqrt(VAR / n))
    np.testing.assert_allclose(x.var(0), VAR, rtol=0.05)
    assert np.abs(path[100].var(0) - 1).max() < 0.05 and (path[0] == x).all()


def test_the_bound_of_the_exact_denoiser_sits_just_above_the_true_nats():
    sch = dt.cosine_schedule()
    eps = _oracle(sch)
    rng = np.random.default_rng(1)
    train = MEAN + np.sqrt(VAR) * rng.standard_normal((4000, 2))
    test = MEAN + np.sqrt(VAR) * rng.standard_normal((4000, 2))
    variance = dt.fitted_variance(eps, sch, train, jax.random.PRNGKey(0))
    assert (variance > 0).all() and (variance[1:] >= sch.posterior_var[1:]).all()
    bound = dt.variational_bound(eps, sch, variance, test, jax.random.PRNGKey(1))
    gap = bound - _nats(test)
    se = gap.std() / np.sqrt(len(gap))
    assert -3 * se < gap.mean() < 0.1  # a bound, and a tight one for the exact denoiser
    # with the posterior variances at every step it is looser, still a bound
    floor = np.r_[sch.beta[0], sch.posterior_var[1:]]
    loose = dt.variational_bound(eps, sch, floor, test, jax.random.PRNGKey(1))
    assert loose.mean() > bound.mean() + 0.1


def test_a_trained_diffusion_samples_a_gaussian():
    rng = np.random.default_rng(2)
    data = MEAN + np.sqrt(VAR) * rng.standard_normal((TINY["train"], 2))
    model = dt.train_diffusion(data, jax.random.PRNGKey(0), steps=TINY["diffusion_steps"])
    x, _ = model.sample(jax.random.PRNGKey(1), 4000)
    np.testing.assert_allclose(x.mean(0), MEAN, atol=0.15)
    np.testing.assert_allclose(x.var(0), VAR, rtol=0.15)
    # on fresh points the bound of the fitted model sits above the true nats (Gibbs)
    fresh = MEAN + np.sqrt(VAR) * rng.standard_normal((2000, 2))
    gap = model.bound(fresh, jax.random.PRNGKey(2)) - _nats(fresh)
    assert -3 * gap.std() / np.sqrt(len(gap)) < gap.mean() < 0.5


# -- the analysis -----------------------------------------------------------------------------


def test_energy_distance_on_a_hand_case():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    b = np.array([[3.0, 0.0], [4.0, 0.0]])
    # 2 E|X - Y| - E|X - X'| - E|Y - Y'| = 2 * 3 - 1 - 1 over distinct pairs
    assert toys_analysis.energy_distance(a, b) == pytest.approx(4.0)
    rng = np.random.default_rng(0)
    same = toys_analysis.energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)))
    moved = toys_analysis.energy_distance(
        rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 0.5
    )
    assert abs(same) < 0.02 < moved


@pytest.fixture(scope="module")
def tiny():
    lines = []
    return toys_analysis.run_toys(size="small", seed=0, progress=lines.append, **TINY), lines


def test_the_analysis_reports_every_toy_and_model(tiny):
    result, lines = tiny
    data = json.loads(json.dumps(result.to_json()))
    assert data["analysis"] == "toys" and data["settings"]["toys"] == ["moons"]
    assert set(data["summary"]) == {"toys", "best_nats", "best_samples", "finding"}
    assert [(r["toy"], r["model"]) for r in data["table"]] == [
        (t, m) for t in TINY["toys"] for m in ("flow", "energy", "diffusion")
    ]
    for row in data["table"]:
        assert list(row) == ["toy", "model", "heldout_nats", "nats", "integral", "energy_distance"]
        assert 0 < row["heldout_nats"] < 5 and row["energy_distance"] < 0.5
        if row["model"] == "diffusion":
            assert row["integral"] is None and row["nats"] == "variational bound"
        else:
            assert abs(row["integral"] - 1) < 1e-3
    for toy in TINY["toys"]:
        entry = data["summary"]["toys"][toy]
        assert set(entry) == {"flow", "energy", "diffusion", "energy_distance_floor"}
        assert abs(entry["energy_distance_floor"]) < 0.05
    assert len(lines) == 3 and all("fit" in line and " s)" in line for line in lines)
    assert set(result.figures) == {"toys.png"}
    assert len(result.figures["toys.png"].axes) == 6


def test_bad_toys_are_refused():
    with pytest.raises(ValueError, match=r"toys must be some of \['moons'"):
        toys_analysis.run_toys(toys=["spiral"])
    with pytest.raises(ValueError, match="flow_steps must be an integer >= 1"):
        toys_analysis.run_toys(flow_steps=0)


def test_the_cli_gives_the_same_numbers_for_the_same_seed(tiny, tmp_path, capsys, monkeypatch):
    from zoo.cli import main

    monkeypatch.setitem(toys_analysis.PRESETS, "small", {**toys_analysis.PRESETS["small"], **TINY})
    out = tmp_path / "toys"
    assert main(["analyze", "toys", "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == tiny[0].to_json()
    assert json.loads((out / "result.json").read_text()) == printed
    assert (out / "toys.png").stat().st_size > 20_000
