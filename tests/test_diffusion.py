"""The Bernoulli diffusion: its bound's terms against exact enumeration on a 3-pixel toy
(every trajectory of the chain summed), the bound above the exact -log p(x), and the family
end to end on the digits (fit, card, figures, compare row, save/load)."""

import itertools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.errors import ZooError
from zoo.models import _diffusion_bound as bound
from zoo.models import _diffusion_net as net

# a schedule with abar_T > 0, so that L_T is not 0 and is checked too
ABAR = np.array([1.0, 0.8, 0.45, 0.15])
T = len(ABAR) - 1
STATES = np.array(list(itertools.product((0, 1), repeat=3)), dtype=float)  # (8, 3)


@pytest.fixture(scope="module")
def toy():
    """A random 3-pixel denoiser (prior draw of a small model) and numpy tables of it."""
    model = zoo.make_model("diffusion", n=3, timesteps=T, hidden=8)
    params = model.prior_draws(jax.random.PRNGKey(4))
    denoise = net.denoiser(params, *model.shape)
    # x_0 logits at every state and step: (T + 1, 8, 3), row t = step t
    logits = np.stack(
        [np.zeros((8, 3))]
        + [np.asarray(denoise(jnp.asarray(STATES), jnp.full(8, t))) for t in range(1, T + 1)]
    )
    return denoise, logits


def _pixel(p_one, x):
    """prod_i p_i^x_i (1 - p_i)^(1 - x_i) over the last axis."""
    return np.prod(np.where(x == 1, p_one, 1 - p_one), axis=-1)


def _q_step(t, prev):
    """q(x_t = state | x_{t-1} = prev) for every state, (8,)."""
    keep = ABAR[t] / ABAR[t - 1]
    return _pixel(keep * prev + (1 - keep) / 2, STATES)


def _q_marginal(t, x0):
    return ABAR[t] * x0 + (1 - ABAR[t]) / 2  # q(x_t = 1 | x0) per pixel


def _p_step(logits, t, xt_index):
    """p(x_{t-1} = state | x_t) for every state, by the posterior averaged over x_0."""
    xt = STATES[xt_index]
    pi = 1 / (1 + np.exp(-logits[t, xt_index]))
    if t == 1:
        return _pixel(pi, STATES)
    keep = ABAR[t] / ABAR[t - 1]
    like = keep * xt + (1 - keep) / 2  # q(x_t = xt | x_{t-1} = 1), per pixel
    p1 = 0.0
    for x0, w in ((1.0, pi), (0.0, 1 - pi)):
        m1 = _q_marginal(t - 1, x0)
        post = like * m1 / (like * m1 + (1 - like) * (1 - m1))
        p1 = p1 + w * post
    return _pixel(p1, STATES)


def _trajectories(logits, x0):
    """The negative ELBO E_q[log q(x_1:T | x0) - log p(x_0:T)] and -log p(x0), both by
    summing over all 8^T trajectories."""
    neg_elbo, px = 0.0, 0.0
    for path in itertools.product(range(8), repeat=T):  # x_1 .. x_T
        q, p = 1.0, 1 / 8
        prev = x0
        for t, s in enumerate(path, start=1):
            q *= _q_step(t, prev)[s]
            prev = STATES[s]
        below = [None, *path]  # below[t] = index of x_t
        for t in range(T, 0, -1):
            row = _p_step(logits, t, below[t])
            p *= row[below[t - 1]] if t > 1 else row[STATES.tolist().index(x0.tolist())]
        neg_elbo += q * (np.log(q) - np.log(p))
        px += p
    return neg_elbo, -np.log(px)


@pytest.mark.parametrize("x0", [[1, 0, 1], [0, 0, 0]])
def test_the_bound_terms_sum_to_the_enumerated_bound_above_the_exact_nats(toy, x0):
    denoise, logits = toy
    x0 = np.asarray(x0, float)
    lt, kl, l0 = (
        np.asarray(v)[0]
        for v in bound.exact_bound_terms(
            denoise,
            jnp.asarray(ABAR, jnp.float32),
            range(T + 1),
            jnp.asarray(x0[None], jnp.float32),
        )
    )
    # L_T and L_0 on their own, from the tables
    qt = _q_marginal(T, x0)
    assert lt == pytest.approx(np.sum(qt * np.log(2 * qt) + (1 - qt) * np.log(2 * (1 - qt))), 1e-5)
    index = STATES.tolist().index(x0.tolist())
    q1 = _pixel(_q_marginal(1, x0), STATES)
    l0_exact = -sum(q1[s] * np.log(_p_step(logits, 1, s)[index]) for s in range(8))
    assert l0 == pytest.approx(l0_exact, rel=1e-5)
    neg_elbo, nats = _trajectories(logits, x0)
    assert lt + kl.sum() + l0 == pytest.approx(neg_elbo, rel=1e-5)
    assert neg_elbo >= nats - 1e-9 and kl.shape == (T - 1,) and (kl > 0).all()


def test_the_monte_carlo_bound_matches_the_exact_one(toy):
    denoise, _ = toy
    x0 = jnp.asarray(STATES[[5, 0, 3]], jnp.float32)
    abar = jnp.asarray(ABAR, jnp.float32)
    exact = sum(
        np.asarray(v).reshape(3, -1).sum(-1)
        for v in bound.exact_bound_terms(denoise, abar, range(T + 1), x0)
    )
    mc = bound.bound_terms(denoise, abar, tuple(range(T + 1)), x0, jax.random.PRNGKey(0), 20000)
    total = np.asarray(mc[0] + mc[1].sum(-1) + mc[2])
    np.testing.assert_allclose(total, exact, rtol=0.02)


def test_the_default_schedule_ends_in_uniform_noise():
    abar = bound.linear_schedule(20)
    assert abar[0] == 1 and abar[-1] == 0 and (np.diff(abar) < 0).all()
    x0 = jnp.asarray([[0.0, 1.0, 1.0]])
    assert float(bound.prior_term(jnp.asarray(abar), x0)[0]) == pytest.approx(0.0, abs=1e-6)


def test_bad_settings_are_refused():
    with pytest.raises(ZooError, match="timesteps must be a positive int"):
        zoo.make_model("diffusion", n=4, timesteps=0)
    with pytest.raises(ZooError, match="prior_scale must be a positive number"):
        zoo.make_model("diffusion", n=4, prior_scale=-1.0)
    with pytest.raises(ZooError, match="loop form holds each noisy image as one integer"):
        zoo.make_model("diffusion", n=64, timesteps=2).program_items(n_items=1)


# -- on the digits ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    train, test = zoo.digits_split()
    model = zoo.make_model("diffusion", n=64, timesteps=10, hidden=64)
    return model, zoo.fit(model, train, steps=1500, seed=0), train, test


def test_a_short_fit_beats_independent_pixels_held_out(fitted):
    model, result, train, test = fitted
    assert result.method == "elbo" and result.draws()["w0"].shape == (1, 64, 74)
    ll = np.asarray(model.log_likelihood(result.draws(), test))
    # the independent family scores 25.2 held-out nats on this split
    assert ll.shape == (1, test.n_items) and (ll <= 0).all() and -ll.mean() < 24.0
    d = model.heldout_details(result.draws(), test)
    assert d["L_T"] == pytest.approx(0.0, abs=1e-6)
    assert d["L_T"] + d["sum_kl"] + d["L_0"] == pytest.approx(-ll.mean(), rel=1e-5)
    again = np.asarray(model.log_likelihood(result.draws(), test))
    np.testing.assert_array_equal(again, ll)  # a fixed key: the same point scores the same


def test_fewer_sampling_steps_give_a_looser_bound(fitted):
    model, result, _, test = fitted
    nats = {}
    for times in [(0, 10), (0, 5, 10), tuple(range(11))]:
        terms = model.bound_terms(result.draws(), test, times=times)
        nats[len(times) - 1] = float((terms["kl"].sum(-1) + terms["L_0"]).mean())
    # one step from pure noise knows nothing of the item: about independent pixels' nats
    assert nats[1] > nats[2] > nats[10]
    with pytest.raises(ZooError, match="times must rise from 0 to 10"):
        model.bound_terms(result.draws(), test, times=(0, 4))


def test_the_trajectory_runs_from_noise_to_digit_like_samples(fitted, tmp_path):
    from zoo.models._diffusion_figures import steps_figure, trajectory_figure

    model, result, train, test = fitted
    path = model.trajectory(result.draws(), jax.random.PRNGKey(0), 200)
    assert path.shape == (11, 200, 64) and set(np.unique(path)) <= {0, 1}
    # noise is half on; the samples are as sparse as the digits
    assert abs(path[0].mean() - 0.5) < 0.03
    assert abs(path[-1].mean() - train.x.mean()) < 0.05
    trajectory_figure(model, result.draws(), tmp_path / "traj.png")
    steps_figure(model, result.draws(), test, tmp_path / "steps.png", counts=(1, 2, 10))
    assert (tmp_path / "traj.png").stat().st_size > 0 and (tmp_path / "steps.png").exists()


def test_the_card_saves_and_loads(capsys, tmp_path):
    argv = ["fit", "diffusion", "--steps", "100", "--hidden", "16", "--json"]
    assert main([*argv, "--timesteps", "6", "--depth", "3", "--out", str(tmp_path / "fit")]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["method"] == "elbo" and card["settings"]["steps"] == 100
    # (64 + 6) x 16 + 16, two of 16 x 16 + 16 (depth 3), 16 x 64 + 64
    assert card["params"]["model"] == 70 * 16 + 16 + 2 * (16 * 16 + 16) + 16 * 64 + 64
    assert set(card["heldout"]["details"]) >= {"L_T", "sum_kl", "L_0"}
    edges = {tuple(e) for e in card["edges"]}
    # the chain over steps, then x_1 to every pixel of x_0
    assert ("z6", "z5") in edges and ("z1", "x63") in edges and len(edges) == 5 + 64
    for name in ("dag.png", "denoising.png", "steps.png"):  # its own figures beside the rest
        assert (tmp_path / "fit" / name).read_bytes()[:4] == b"\x89PNG", name
    back = zoo.load(tmp_path / "fit")
    assert back.card["heldout"] == card["heldout"]
    assert back.recompute()["heldout"]["nats_per_item"] == pytest.approx(
        card["heldout"]["nats_per_item"], rel=1e-5
    )


def test_it_is_a_compare_row(capsys, tmp_path):
    argv = ["compare", "--families", "diffusion", "--budget", "quick", "--json"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    assert row["method"] == "elbo" and 0 < row["nats_per_item"] < 45
