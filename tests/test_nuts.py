"""The NUTS engine (zoo.nuts): one compile per model shape, reused across fits and families
of that shape; the log density it reports; its layout and bad starts."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from zoo import nuts
from zoo.fit import fit
from zoo.models import make_model

BUDGET = {"chains": 2, "warmup": 150, "draws": 150}


def _normal_mean(prior_scale: float):
    def program(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, prior_scale))
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)

    return program


SMALL = {"chains": 2, "warmup": 40, "draws": 40}
Y = jnp.asarray(np.random.default_rng(1).normal(1.0, 1.0, 30), dtype=jnp.float32)


@pytest.fixture(scope="module")
def two_fits():
    """The same family fitted twice on different data, by two model objects."""
    nuts.clear_cache()  # the first fit must build its sampler, whatever ran before
    first, second = make_model("markov-chain", n=9), make_model("markov-chain", n=9)
    data_a, _ = first.simulate(jax.random.PRNGKey(0), 200)
    data_b, _ = second.simulate(jax.random.PRNGKey(1), 500)
    return (
        fit(first, data_a, "nuts", seed=0, **BUDGET),
        fit(second, data_b, "nuts", seed=0, **BUDGET),
        data_b,
    )


def test_a_second_fit_of_the_same_shape_compiles_nothing(two_fits):
    a, b, _ = two_fits
    assert b.extra["nuts"].compiled is False
    assert b.seconds["compile"] == 0.0
    # the first compiled, in threads whose seconds still count as compilation
    assert a.extra["nuts"].compiled is True
    assert a.seconds["compile"] > 0 and a.seconds["warmup_and_sampling"] > 0
    # different data, so different posteriors: the compiled code took the data as input
    assert not np.allclose(a.idata.posterior["theta"].mean(), b.idata.posterior["theta"].mean())


def test_reported_log_density_is_the_uncentred_one(two_fits):
    """The sampler works on the count likelihood centred at the MLE; ``lp`` must still be
    log prior + log likelihood, which the per-item log-likelihood gives independently."""
    _, b, data = two_fits
    model = b.model
    flat = b.draws()
    loglik = np.asarray(model.log_likelihood(flat, data), dtype=np.float64).sum(axis=1)
    prior = np.asarray(  # Beta(1, 1) is flat on [0, 1]: its log density is 0
        dist.Beta(model.alpha, model.alpha).log_prob(flat["theta"]).sum(axis=1)
    )
    # the sampler's z is unconstrained: add the log-Jacobian of the logit transform
    theta = np.asarray(flat["theta"], dtype=np.float64)
    jac = np.sum(np.log(theta) + np.log1p(-theta), axis=1)
    lp = b.idata.sample_stats["lp"].values.reshape(-1)
    np.testing.assert_allclose(lp, loglik + prior + jac, atol=0.05)


def test_grad_evaluations_are_counted(two_fits):
    a, _, _ = two_fits
    steps = a.idata.sample_stats["n_steps"].values
    assert a.extra["nuts"].gradients >= steps.sum() > 0


def test_layout_and_chunks():
    assert nuts.layout(4, 4) == (4, 1)
    assert nuts.layout(8, 4) == (4, 2)
    assert nuts.layout(3, 4) == (3, 1)
    assert nuts.layout(6, 4) == (3, 2)
    assert nuts.layout(1, 4) == (1, 1)
    assert nuts.chunk_size(1000, 1000) == 250
    assert nuts.chunk_size(150, 150) == 150
    assert nuts.chunk_size(7, 5) == 1
    for w, d in [(1000, 1000), (300, 200), (7, 5), (997, 1000)]:
        c = nuts.chunk_size(w, d)
        assert w % c == 0 and d % c == 0 and c <= nuts.MAX_CHUNK


def test_fixed_arguments_and_deterministic_sites():
    """Non-array arguments are fixed into the compiled code; deterministic sites come back."""

    def program(y, scale):
        mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
        numpyro.deterministic("twice", 2 * mu)
        numpyro.sample("y", dist.Normal(mu, scale), obs=y)

    y = jnp.asarray(np.random.default_rng(0).normal(3.0, 1.0, 50), dtype=jnp.float32)
    out, stats, info = nuts.sample(
        program, {"y": y, "scale": 1.0}, jax.random.PRNGKey(0), chains=2, warmup=200, draws=200
    )
    assert out["mu"].shape == (2, 200) and stats["diverging"].shape == (2, 200)
    np.testing.assert_allclose(out["twice"], 2 * out["mu"], rtol=1e-6)
    # conjugate: posterior mean sum(y) / (n + 1/100), sd 1 / sqrt(n + 1/100)
    n = len(y)
    mean, sd = float(y.sum()) / (n + 0.01), 1 / np.sqrt(n + 0.01)
    assert abs(out["mu"].mean() - mean) < 5 * sd / np.sqrt(100)
    assert info.compiled is True


def test_several_chains_per_device_are_vmapped():
    """Six chains on (at most) four devices: three devices of two vmapped chains each, the
    other branch of the sampler; the conjugate posterior checks what they draw."""
    out, _, info = nuts.sample(
        _normal_mean(10.0), {"y": Y}, jax.random.PRNGKey(2), chains=6, warmup=200, draws=200
    )
    assert info.layout == nuts.layout(6, jax.local_device_count())
    assert out["mu"].shape == (6, 200)
    n = len(Y)
    mean, sd = float(Y.sum()) / (n + 0.01), 1 / np.sqrt(n + 0.01)
    assert abs(out["mu"].mean() - mean) < 5 * sd / np.sqrt(6 * 100)
    assert abs(out["mu"].std() - sd) < 0.2 * sd
    # every chain moves on its own: no two chains drew the same sequence
    assert len({tuple(np.round(c[:5], 6)) for c in out["mu"]}) == 6


def test_no_finite_start_is_a_clear_error():
    def program():
        numpyro.sample("p", dist.Beta(1.0, 1.0))
        numpyro.factor("impossible", -jnp.inf)

    with pytest.raises(ValueError, match="no starting point with a finite log density"):
        nuts.sample(program, {}, jax.random.PRNGKey(0), chains=1, warmup=5, draws=5)


def test_a_later_process_reads_the_exported_sampler_back(tmp_path, monkeypatch):
    """The sampler is exported under a digest of the program; a process that finds the file
    traces nothing and draws the same numbers. (A cleared cache stands in for the process.)"""
    from zoo import _jax

    monkeypatch.setattr(_jax, "EXPORT_DIR", str(tmp_path))
    key = jax.random.PRNGKey(3)
    first, _, info = nuts.sample(_normal_mean(10.0), {"y": Y}, key, **SMALL)
    assert info.source == "traced" and len(list(tmp_path.glob("*.nuts"))) == 1
    nuts.clear_cache()
    again, _, info = nuts.sample(_normal_mean(10.0), {"y": Y}, key, **SMALL)
    assert info.source == "disk"
    np.testing.assert_array_equal(first["mu"], again["mu"])
    # a new function object for the same program is found by its digest, in memory
    _, _, info = nuts.sample(_normal_mean(10.0), {"y": Y[::-1]}, key, **SMALL)
    assert info.source == "memory"
    # another prior is another program: traced and exported beside the first
    other, _, info = nuts.sample(_normal_mean(0.1), {"y": Y}, key, **SMALL)
    assert info.source == "traced" and len(list(tmp_path.glob("*.nuts"))) == 2
    assert abs(other["mu"].mean()) < abs(first["mu"].mean())  # the tight prior shrinks it


def test_an_unreadable_export_is_traced_again(tmp_path, monkeypatch):
    from zoo import _jax

    monkeypatch.setattr(_jax, "EXPORT_DIR", str(tmp_path))
    nuts.sample(_normal_mean(2.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    (path,) = tmp_path.glob("*.nuts")
    path.write_bytes(b"not an export")
    nuts.clear_cache()
    out, _, info = nuts.sample(_normal_mean(2.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert info.source == "traced" and np.isfinite(out["mu"]).all()
    nuts.clear_cache()
    _, _, info = nuts.sample(_normal_mean(2.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert info.source == "disk"  # rewritten whole


class _Payload:
    """Unpickling this runs code: it would create the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_crafted_pickle_in_the_cache_never_runs(tmp_path, monkeypatch):
    """Nothing from the export cache is unpickled: a pickle whose loading would create a
    file is dropped (the file never appears) and the sampler is traced and written again,
    in the checked format (magic line, JSON header, digests); the folder is private."""
    import pickle
    import stat

    from zoo import _jax

    cache = tmp_path / "cache" / "nuts"
    monkeypatch.setattr(_jax, "EXPORT_DIR", str(cache))
    nuts.clear_cache()
    nuts.sample(_normal_mean(3.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    (path,) = cache.glob("*.nuts")
    good = path.read_bytes()
    marker = tmp_path / "pwned"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    nuts.clear_cache()
    _, _, info = nuts.sample(_normal_mean(3.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert info.source == "traced" and not marker.exists()
    assert path.read_bytes().startswith(b"zoo-nuts-export 1\n")
    # one flipped byte in a part fails its digest: dropped and traced again, never loaded
    bad = bytearray(good)
    bad[-10] ^= 0xFF
    path.write_bytes(bytes(bad))
    nuts.clear_cache()
    _, _, info = nuts.sample(_normal_mean(3.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert info.source == "traced" and path.read_bytes() != bytes(bad)
    nuts.clear_cache()
    _, _, info = nuts.sample(_normal_mean(3.0), {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert info.source == "disk"  # the rewritten file checks out


def test_a_program_export_refuses_still_samples(tmp_path, monkeypatch):
    """A host callback cannot be exported: the sampler runs jitted and nothing is saved."""
    from zoo import _jax

    monkeypatch.setattr(_jax, "EXPORT_DIR", str(tmp_path))
    seen = []

    def program(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
        jax.debug.callback(lambda m: seen.append(1), mu)
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)

    out, _, info = nuts.sample(program, {"y": Y}, jax.random.PRNGKey(0), **SMALL)
    assert info.source == "traced" and not list(tmp_path.glob("*.nuts")) and seen
    assert abs(out["mu"].mean() - float(Y.mean())) < 0.5


def test_the_digest_is_the_same_in_another_process():
    """Exports are found across processes only if the digest does not depend on the process
    (object ids, hash seeds): compute one here and in a fresh interpreter."""
    import subprocess
    import sys

    script = (
        "import numpy as np, jax.numpy as jnp\n"
        "from zoo import nuts\n"
        "from zoo.programs import bind, load_program, read_data\n"
        "b = bind(load_program('examples/programs/models.py:eight_schools_nc'),"
        " read_data('examples/programs/data/eight_schools.json'))\n"
        "data = {k: v for k, v in b.kwargs.items() if nuts._is_data(v)}\n"
        "settings = {'warmup': 10, 'draws': 10, 'target_accept': 0.8, 'chunk': 10,"
        " 'layout': (2, 1)}\n"
        "print(nuts._digest(nuts.model_info(b.fn, data), data, None, settings))\n"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    here = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    env = {**__import__("os").environ, "PYTHONHASHSEED": "123"}
    there = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    digest = here.stdout.strip().splitlines()[-1]
    assert len(digest) == 64 and digest == there.stdout.strip().splitlines()[-1]
