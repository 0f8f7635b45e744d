"""NUTS overhead: wall seconds over (gradient evaluations x seconds per gradient), for the
zoo's engine (zoo.nuts) and for numpyro's ``MCMC`` written by hand, on the same program.

Where the gradient is expensive (a per-item likelihood: every pixel of every digit observed)
the ratio says how much the sampler adds around it; the goal is 1.5 or less. With the
sufficient statistics the gradient costs microseconds and the ratio measures the sampler's
own bookkeeping instead. One run, both samplers warm (each fit twice, the second timed).

    .venv/bin/python benchmarks/overhead.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import zoo  # noqa: E402

zoo.setup()  # host devices before JAX starts


def seconds_per_gradient(program, kwargs, min_seconds: float = 0.5) -> float:
    """One value-and-gradient of the zoo's potential from zeros, timed in a jitted loop."""
    import jax
    from peers.measure import jitted_gradient_seconds

    from zoo.nuts import model_info

    potential_gen, _, shapes, _ = model_info(program, kwargs)
    z0 = {n: jax.numpy.zeros(s, d) for n, (s, d) in shapes.items()}
    return jitted_gradient_seconds(potential_gen(**kwargs), z0, min_seconds, n=16)


def zoo_run(program, kwargs, budget) -> dict:
    import jax

    from zoo import nuts

    for _ in range(2):  # the second is timed: compiled and cached
        start = time.perf_counter()
        _, stats, info = nuts.sample(
            program, kwargs, jax.random.PRNGKey(0), cache_key=("overhead", id(program)), **budget
        )
        wall = time.perf_counter() - start
    return {"wall": wall, "gradients": info.gradients}


def numpyro_run(program, kwargs, budget) -> dict:
    import jax
    from numpyro.infer import MCMC, NUTS

    mcmc = MCMC(
        NUTS(program),
        num_warmup=budget["warmup"],
        num_samples=budget["draws"],
        num_chains=budget["chains"],
        chain_method="parallel",
        progress_bar=False,
    )
    for _ in range(2):  # MCMC recompiles on every call; the second pair is timed all the same
        start = time.perf_counter()
        # warm-up on its own call so that its tree sizes are recorded too
        mcmc.warmup(
            jax.random.PRNGKey(0), collect_warmup=True, extra_fields=("num_steps",), **kwargs
        )
        warm_steps = int(mcmc.get_extra_fields()["num_steps"].sum())
        # run() continues from the state warmup() left (post_warmup_state)
        mcmc.run(jax.random.PRNGKey(1), extra_fields=("num_steps",), **kwargs)
        jax.block_until_ready(mcmc.get_samples())
        wall = time.perf_counter() - start
        mcmc.post_warmup_state = None
    steps = warm_steps + int(mcmc.get_extra_fields()["num_steps"].sum())
    return {"wall": wall, "gradients": steps, "note": "warmup() then run(): two compiles"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small budgets: a smoke run")
    p.add_argument("--json", default=str(HERE / "results" / "overhead.json"))
    args = p.parse_args(argv)

    import jax.numpy as jnp
    from peers import environment

    from zoo.data import digits
    from zoo.models import make_model

    budget = (
        {"chains": 4, "warmup": 100, "draws": 100}
        if args.quick
        else {"chains": 4, "warmup": 500, "draws": 500}
    )
    data = digits()
    model = make_model("markov-chain")
    forms = {
        "per item": (model.program_items, {"values": jnp.asarray(model.full_values(data))}),
        "sufficient statistics": (model.program, model.program_kwargs(data)),
    }
    rows = []
    for form, (program, kwargs) in forms.items():
        t_grad = seconds_per_gradient(program, kwargs)
        for name, run in (("zoo", zoo_run), ("numpyro MCMC", numpyro_run)):
            print(f"  {form}: {name} ...", flush=True)
            r = run(program, kwargs, budget)
            r.update(form=form, sampler=name, seconds_per_gradient=t_grad)
            r["overhead"] = r["wall"] / (r["gradients"] * t_grad)
            rows.append(r)
    print(f"\nmarkov chain on the digits (1,797 x 64), NUTS {budget}")
    head = ("likelihood", "sampler", "wall s", "grads", "us/grad", "overhead")
    print(f"{head[0]:<22} {head[1]:<13} " + " ".join(f"{h:>9}" for h in head[2:]))
    for r in rows:
        print(
            f"{r['form']:<22} {r['sampler']:<13} {r['wall']:9.2f} {r['gradients']:9,} "
            f"{r['seconds_per_gradient'] * 1e6:9.1f} {r['overhead']:9.2f}"
        )
    print("goal: overhead <= 1.5 where gradients dominate (per item)")
    out = {"environment": environment(), "budget": budget, "rows": rows, "goal": 1.5}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
