"""The zoo's own fits (``zoo.fit.fit``, ``zoo.programs.fit_program``), measured like a peer:
NUTS on the tabular models and the example programs, SVI with a held-out trace."""

from __future__ import annotations

import sys
import time

import numpy as np

from .data import DATA_OF, EXAMPLES, digits_data
from .measure import add_run, finish, jax_seconds_per_gradient, overhead
from .svi import Made, heldout_nats


def _zoo_run(result, seconds: float, sites) -> dict:
    """A zoo NUTS ``FitResult`` measured like a peer's run."""
    idata = result.idata
    post = {k: idata.posterior[k].values for k in sites if k in idata.posterior}
    stats = idata.sample_stats
    draws_grads = int(stats["n_steps"].values.sum())
    total = None
    for key in ("gradients", "nuts", "stats"):  # the engine's own count, if it gives one
        value = result.extra.get(key)
        value = getattr(value, "gradients", value)
        if isinstance(value, int | np.integer):
            total = int(value)
    warm = getattr(idata, "warmup_sample_stats", None)
    if total is None and warm is not None and "n_steps" in warm:
        total = int(warm["n_steps"].values.sum()) + draws_grads
    run = {"seconds": seconds, "zoo_seconds": dict(result.seconds)}
    run["compile_seconds"] = float(result.seconds.get("compile", float("nan")))
    div = int(stats["diverging"].values.sum()) if "diverging" in stats else 0
    out = finish(run, post, None if total is None else total - draws_grads, draws_grads, div)
    if total is None:
        out["grads_note"] = "draws only: the zoo's result does not give the warm-up's"
    return out


def run_zoo_tabular(
    family: str, options: dict, scale: int, *, chains=4, warmup=1000, draws=1000, seed=0, runs=2
) -> dict:
    """``zoo.fit.fit(make_model(family, **options), data, method="nuts")`` on the digits at
    ``scale``, ``runs`` times in this process (the model built anew each time)."""
    from zoo import _az  # noqa: F401  (library imports stay outside the timing, as for peers)
    from zoo.fit import fit
    from zoo.models import make_model

    data = digits_data(scale)
    result = {"sampler": "zoo", "runs": []}
    budget = {"chains": chains, "warmup": warmup, "draws": draws}
    for _ in range(runs):
        start = time.perf_counter()
        model = make_model(family, **options)
        res = fit(model, data, "nuts", seed=seed, pointwise=False, **budget)
        seconds = time.perf_counter() - start
        add_run(result, _zoo_run(res, seconds, sorted(model.param_sites())))
    result["settings"] = {k: v for k, v in res.settings.items() if not callable(v)}
    result["sec_per_grad"] = jax_seconds_per_gradient(
        model.program, model.program_kwargs(data), seed
    )
    overhead(result)
    return result


def run_zoo_program(name: str, *, chains=4, warmup=1000, draws=1000, seed=0, runs=2) -> dict:
    """``zoo.programs.fit_program`` on an example program and its JSON data."""
    from zoo import _az  # noqa: F401  (library imports stay outside the timing, as for peers)
    from zoo.programs import bind, fit_program, load_program, read_data

    spec = f"{EXAMPLES / 'models.py'}:{name}"
    data_name = DATA_OF[name]
    result = {"sampler": "zoo", "runs": []}
    for _ in range(runs):
        start = time.perf_counter()
        bound = bind(load_program(spec), read_data(EXAMPLES / "data" / f"{data_name}.json"))
        res = fit_program(
            bound, "nuts", seed=seed, chains=chains, warmup=warmup, draws=draws, pointwise=False
        )
        seconds = time.perf_counter() - start
        sites = [s for s in res.idata.posterior.data_vars]
        add_run(result, _zoo_run(res, seconds, sites))
    result["sec_per_grad"] = jax_seconds_per_gradient(bound.fn, bound.kwargs, seed)
    overhead(result)
    return result


#: step counts refitted for the held-out trace of an SVI fit
SVI_GRID = (50, 100, 200, 300, 500, 1000, 2000)


def run_zoo_svi(
    kind, guide, *, K=10, hidden=64, steps=3000, lr=0.01, seed=0, grid=SVI_GRID
) -> dict:
    """The zoo's ``fit(..., method="svi")`` on the digits split. ``fit`` returns no held-out
    trace, so: one end-to-end fit of ``steps`` (the first in this process), then a fit of
    each step count in ``grid`` (same seed, so each is a prefix of the same trajectory) for
    its held-out score, then warm fits of ``steps`` and of the smallest count, whose
    difference gives steps per second free of one-time costs. Seconds to within 0.1 nats is
    the end-to-end fit's seconds less the steps it did not need at that rate."""
    from zoo.data import digits_split
    from zoo.fit import fit
    from zoo.models import make_model

    train, test = digits_split()
    made = Made(train.x.shape[1], hidden) if kind == "made" else None

    def one(n_steps):
        start = time.perf_counter()
        if kind == "made":
            model = make_model("autoregressive", conditional="neural", hidden=hidden)
        else:
            model = make_model("latent-class", classes=K)
        res = fit(
            model, train, method="svi", guide=guide, steps=n_steps, seed=seed, learning_rate=lr
        )
        seconds = time.perf_counter() - start
        g, params = res.extra["guide"], res.extra["params"]
        point = {k: np.asarray(v) for k, v in g.median(params).items()}
        return seconds, heldout_nats(kind, point, test.x, made), res

    total, final, res = one(steps)
    out = {"sampler": "zoo", "kind": kind, "guide": guide, "lr": lr, "steps": steps}
    out["zoo_seconds"] = dict(res.seconds)
    out["loss"] = [float(-v) for v in np.asarray(res.elbo)]
    print(f"    zoo {steps} steps: {total:.1f} s, {final:.3f} nats", file=sys.stderr, flush=True)
    points = []
    for n_steps in sorted({s for s in grid if s < steps}):
        seconds, nats, _ = one(n_steps)
        points.append((n_steps, seconds, nats))
        print(f"    zoo {n_steps} steps: {seconds:.1f} s, {nats:.3f} nats", file=sys.stderr)
    points.append((steps, total, final))
    # steps per second from warm fits (every compile cached or paid by both): the one-time
    # costs (EM start, draws, log-likelihoods) cancel in the difference; the fastest of
    # three of each, as a busy machine only ever adds time
    small = points[0][0]
    warm_full = min(one(steps)[0] for _ in range(3))
    warm_small = min(one(small)[0] for _ in range(3))
    rate = (steps - small) / (warm_full - warm_small) if warm_full > warm_small else None
    print(
        f"    zoo warm: {steps} steps {warm_full:.1f} s, {small} steps {warm_small:.1f} s",
        file=sys.stderr,
    )
    best = min(p[2] for p in points)
    hit = next(p for p in points if p[2] <= best + 0.1)
    out.update(
        seconds=total,
        seconds_warm=warm_full,
        steps_per_s=rate,
        steps_per_s_e2e=steps / total,
        heldout_final=final,
        heldout_best=best,
        within_0p1_step=hit[0],
        # the end-to-end fit less the steps it did not need
        within_0p1_seconds=total - (steps - hit[0]) / rate if rate else None,
        evals=[list(p) for p in points],
        note="evals: (steps, seconds of a fit of that many steps, held-out nats); the last is "
        "the end-to-end fit, the others ran after it in the same process",
    )
    return out
