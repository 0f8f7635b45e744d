"""Pyro SVI (torch, CPU, float32) on the mixture of Bernoulli products and on the MADE,
written as a Pyro user writes them."""

from __future__ import annotations

from functools import partial

import numpy as np

from .svi import FLOOR, HeldOutTrace, Made, SviSettings


def run_pyro_svi(
    kind: str,
    guide: str,
    x_train: np.ndarray,
    x_test: np.ndarray,
    *,
    threads: int = 1,
    **settings,
) -> dict:
    """Pyro SVI (``Trace_ELBO``, ``pyro.optim.Adam(lr)``, float32 on the CPU) with an
    ``AutoDelta`` (``guide="map"``) or ``AutoDiagonalNormal`` (``"normal"``) guide; the
    held-out score of the guide's median every ``eval_every`` steps, off the clock;
    ``settings`` as :class:`SviSettings` takes them.

    ``threads`` torch intra-op threads (0: torch's default, one per core). One by default:
    these products are small, and on a busy 2-core machine torch's default of two threads
    ran about 10x slower (its OpenMP workers spin while they wait for a core)."""
    import pyro
    import torch
    from pyro.infer import SVI, Trace_ELBO
    from pyro.infer.autoguide import AutoDelta, AutoDiagonalNormal
    from pyro.infer.autoguide.initialization import init_to_uniform, init_to_value

    cfg = SviSettings(kind, guide, **settings)
    torch.set_default_dtype(torch.float32)
    if threads:
        torch.set_num_threads(threads)
    made = cfg.made(x_train.shape[1])
    trace = HeldOutTrace(kind, x_test, made)
    pyro.set_rng_seed(cfg.seed)
    pyro.clear_param_store()
    x = torch.as_tensor(x_train, dtype=torch.float32)
    model = pyro_models(kind, cfg.K, made)
    as_tensor = partial(torch.as_tensor, dtype=torch.float32)
    how, options = cfg.start(init_to_uniform, init_to_value, as_tensor)
    guide_obj = (AutoDelta if guide == "map" else AutoDiagonalNormal)(model, **options)
    svi = SVI(model, guide_obj, pyro.optim.Adam({"lr": cfg.lr}), Trace_ELBO())

    def median():
        with torch.no_grad():
            return {k: v.detach().numpy() for k, v in guide_obj.median().items()}

    losses = []
    for step in range(1, cfg.steps + 1):
        losses.append(svi.step(x))
        if step % cfg.eval_every == 0 or step == cfg.steps:
            trace.record(step, median)
    out = cfg.record("pyro", how)
    out["torch_threads"] = torch.get_num_threads()
    return trace.summary(out, losses, cfg.steps, cfg.eval_every)


def pyro_models(kind: str, K: int, made: Made | None):
    """The two SVI models in Pyro (torch): the Bernoulli mixture with z summed out, and the
    MADE with a Bernoulli likelihood."""
    import pyro
    import pyro.distributions as D
    import torch

    if kind == "latent-class":

        def model(x):
            n = x.shape[1]
            pi = pyro.sample("pi", D.Dirichlet(torch.ones(K)))
            theta = pyro.sample("theta", D.Beta(1.0, 1.0).expand([K, n]).to_event(2))
            theta = theta.clamp(FLOOR, 1 - FLOOR)
            log_1mt = torch.log1p(-theta)
            joint = torch.log(pi.clamp_min(1e-30)) + x @ (torch.log(theta) - log_1mt).T
            with pyro.plate("items", x.shape[0]):
                pyro.factor("loglik", torch.logsumexp(joint + log_1mt.sum(-1), dim=-1))

        return model

    index = {k: tuple(torch.as_tensor(a) for a in v) for k, v in made.index.items()}
    shapes = {k: m.shape for k, m in made.masks.items()}

    def made_model(x):
        p = {
            k: pyro.sample(k, D.Normal(0.0, scale).expand([size]).to_event(1))
            for k, (size, scale) in made.sites.items()
        }
        w = {k: x.new_zeros(shapes[k]).index_put(index[k], p[k]) for k in index}
        logits = made.forward(x, p, w, torch.tanh)
        with pyro.plate("items", x.shape[0]):
            pyro.sample("x", D.Bernoulli(logits=logits).to_event(1), obs=x)

    return made_model
