"""The zoo's SVI against Pyro (torch, CPU) and hand-written NumPyro, ratios in one run.

Models, on the zoo's digits split (1,437 training images, 360 held out, 64 binary pixels):

* ``latent-class``: the mixture of K = 10 Bernoulli products, z summed out, Dirichlet(1) on
  pi and Beta(1, 1) on theta (zoo/models/latent_class.py), with a MAP (``AutoDelta``) and a
  mean-field Normal (``AutoDiagonalNormal``) guide. ``--init em`` starts every sampler at the
  zoo's MAP-EM point, as the zoo starts itself (the EM seconds are added to the peers' end
  to end seconds, since the zoo's include its EM); ``--init random`` starts the peers at
  their libraries' defaults (the zoo has no such start).
* ``made``: the neural autoregressive model (MADE, 64 tanh hidden units, direct connections,
  Normal(0, 0.5) weights, Normal(0, 5) biases; zoo/models/autoregressive.py), MAP guide,
  every sampler starting uniform in [-0.1, 0.1].

Same learning rate (Adam, 0.01) and steps (3,000) everywhere, float32. Measured: steps per
second after the first ``--eval-every`` steps (which hold the one-time costs) and end to
end, the loss trace, and the seconds until the held-out nats per image of the guide's point
estimate (its median) come within 0.1 of the best seen. The zoo's ``fit`` gives no held-out
trace, so it is refitted at a grid of step counts (see ``peers.run_zoo_svi``).

    .venv/bin/python benchmarks/svi_peers.py --quick
    .venv/bin/python benchmarks/svi_peers.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402  (the benchmarks folder is not a package)
from peers.harness import caches_note, fmt, group_ok, median  # noqa: E402

SAMPLERS = ("zoo", "pyro", "numpyro")
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "svi_peers.json"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="300 steps and a short zoo grid")
    p.add_argument("--repeats", type=int, default=1, help="fresh processes per sampler")
    p.add_argument("--models", nargs="+", default=["latent-class", "made"])
    p.add_argument("--guides", nargs="+", default=["map", "normal"], help="latent-class guides")
    p.add_argument("--init", nargs="+", default=["em", "random"], help="latent-class starts")
    p.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    p.add_argument("--steps", type=int, default=None, help="default 3000 (300 with --quick)")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads for Pyro (0: torch's default, one per core; see peers.run_pyro_svi)",
    )
    peers.harness.add_process_arguments(p, DEFAULT_JSON)
    args = p.parse_args(argv)
    bad = [m for m in args.models if m not in ("latent-class", "made")]
    if bad:
        p.error(f"unknown model {bad[0]!r}; expected latent-class and/or made")
    args.steps = args.steps or (300 if args.quick else 3000)
    grid = (50, 100, 200) if args.quick else (50, 100, 200, 300, 500, 1000, 2000)
    args.grid = [s for s in grid if s < args.steps]
    return args


def build_jobs(args, workdir: Path) -> tuple[list[dict], dict]:
    """The jobs, and the EM start (its seconds, for the peers that start from it)."""
    from zoo.data import digits_split
    from zoo.models import make_model

    train, test = digits_split()
    model = make_model("latent-class", classes=args.classes)
    start = time.perf_counter()
    sol = model.em_solution(train)  # the zoo's own start: same seed, restarts and floor
    em_seconds = time.perf_counter() - start
    path = workdir / "digits.npz"
    np.savez(path, train=train.x, test=test.x, em_pi=sol.pi, em_theta=sol.theta)
    common = {"kind": "svi", "data": str(path), "steps": args.steps, "lr": args.lr}
    common.update(seed=args.seed, eval_every=args.eval_every, K=args.classes, hidden=args.hidden)
    common["threads"] = args.torch_threads
    jobs = []
    for name in args.models:
        guides = args.guides if name == "latent-class" else ["map"]
        for guide in guides:
            for s in args.samplers:
                inits = ["em"] if s == "zoo" or name == "made" else args.init
                for init in inits:
                    job = {**common, "sampler": s, "model": name, "guide": guide, "init": init}
                    if s == "zoo":
                        job["grid"] = args.grid
                    if name == "made":
                        job["init"] = "uniform"
                    jobs.append(job)
    jobs = [dict(job, repeat=r) for r in range(args.repeats) for job in jobs]
    return jobs, {"em_seconds": em_seconds, "em_iterations": sol.iterations}


def summarise(results: list[dict], em_seconds: float) -> list[dict]:
    groups = group_ok(results, ("model", "guide", "init", "sampler"))
    rows = []
    for (model, guide, init, sampler), rs in groups.items():
        # a peer that starts from EM did not pay for it; the zoo's seconds include its EM
        extra = em_seconds if init == "em" and sampler != "zoo" else 0.0
        rows.append(
            {
                "model": model,
                "guide": guide,
                "init": init,
                "sampler": sampler,
                "repeats": len(rs),
                "steps": rs[0]["steps"],
                "steps_per_s": median([r["steps_per_s"] for r in rs]),
                "steps_per_s_e2e": median([r["steps"] / (r["seconds"] + extra) for r in rs]),
                "seconds_warm": median([r.get("seconds_warm") for r in rs]),
                "seconds": median([r["seconds"] + extra for r in rs]),
                "em_seconds_added": extra,
                "loss_final": median([float(np.mean(r["loss"][-50:])) for r in rs]),
                "heldout_final": median([r["heldout_final"] for r in rs]),
                "heldout_best": median([r["heldout_best"] for r in rs]),
                "within_0p1_step": median([r["within_0p1_step"] for r in rs]),
                "within_0p1_seconds": median(
                    [r["within_0p1_seconds"] + extra for r in rs if r["within_0p1_seconds"]]
                ),
            }
        )
    return rows


def _describe(job: dict) -> str:
    return f"{job['model']} {job['guide']} {job['init']} {job['sampler']}"


def _report(res: dict) -> str:
    rate = "-" if res["steps_per_s"] is None else f"{res['steps_per_s']:.0f}"
    held = f"held-out {res['heldout_final']:.3f} (best {res['heldout_best']:.3f})"
    return f"{res['seconds']:.1f} s, {rate} steps/s, {held}"


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'model':<13}{'guide':<7}{'init':<8}{'sampler':<9}{'steps/s':>9}{'e2e':>8}"
        f"{'wall s':>8}{'loss':>10}{'held-out':>9}{'best':>7}{'step':>6}{'s to 0.1':>9}"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        print(
            f"{r['model']:<13}{r['guide']:<7}{r['init']:<8}{r['sampler']:<9}"
            f"{fmt(r['steps_per_s'], '.0f', 9)}{fmt(r['steps_per_s_e2e'], '.0f', 8)}"
            f"{fmt(r['seconds'], '.1f', 8)}{fmt(r['loss_final'], '.0f', 10)}"
            f"{fmt(r['heldout_final'], '.3f', 9)}{fmt(r['heldout_best'], '.3f', 7)}"
            f"{fmt(r['within_0p1_step'], '.0f', 6)}{fmt(r['within_0p1_seconds'], '.1f', 9)}"
        )
    print(
        "steps/s: after the first evaluation interval (one-time costs excluded; the zoo: from "
        "warm fits of two lengths); e2e: steps / wall s.\nwall s: model "
        "build to the last step, held-out evaluations off the clock (an EM start's seconds "
        "added for the peers). loss: mean of the last 50 (negative ELBO).\nheld-out: nats per "
        "image of the guide's median, final and best; step / s to 0.1: the first evaluation "
        "within 0.1 nats of the best."
    )


def ratios(rows: list[dict]) -> list[dict]:
    """zoo / Pyro (and zoo / NumPyro) for steps per second and seconds to within 0.1 nats,
    for each model and guide, against the peers started like the zoo (EM or uniform)."""
    out = []
    for model, guide in sorted({(r["model"], r["guide"]) for r in rows}):
        here = {
            r["sampler"]: r
            for r in rows
            if (r["model"], r["guide"]) == (model, guide) and r["init"] in ("em", "uniform")
        }
        zoo = here.get("zoo")
        entry = {"model": model, "guide": guide}
        for peer in ("pyro", "numpyro"):
            p = here.get(peer)
            if zoo and p:
                entry[peer] = {
                    key: _ratio(zoo[key], p[key])
                    for key in ("steps_per_s", "steps_per_s_e2e", "within_0p1_seconds")
                }
        out.append(entry)
    return out


def _ratio(a, b):
    return a / b if a is not None and b else None


def print_ratios(entries: list[dict]) -> None:
    print("\nzoo / peer: steps per second (> 1: the zoo is faster) and seconds to within 0.1")
    print("nats (< 1: the zoo gets there sooner)")
    print(f"{'model':<13}{'guide':<7}{'peer':<9}{'steps/s':>9}{'e2e':>8}{'s to 0.1':>10}")
    for e in entries:
        for peer in ("pyro", "numpyro"):
            if peer in e:
                c = e[peer]
                print(
                    f"{e['model']:<13}{e['guide']:<7}{peer:<9}{fmt(c['steps_per_s'], '.2f', 9)}"
                    f"{fmt(c['steps_per_s_e2e'], '.2f', 8)}"
                    f"{fmt(c['within_0p1_seconds'], '.2f', 10)}"
                )


def main(argv=None) -> int:
    run = peers.harness.ScriptRun("svi_peers", parse_args(argv), _describe)
    args = run.args
    print(f"budget: {args.steps} Adam steps at lr {args.lr}, held-out every {args.eval_every}")
    with tempfile.TemporaryDirectory(prefix="svi-peers-") as tmp:
        jobs, em = build_jobs(args, Path(tmp))
        print(f"EM start (the zoo's, K = {args.classes}): {em['em_seconds']:.1f} s")
        results = run.run(jobs, tmp, _report)
    rows = summarise(results, em["em_seconds"])
    print_table(rows)
    entries = ratios(rows)
    print_ratios(entries)
    notes = {
        "caches": caches_note(args.cold, exported=False),
        "data": "zoo.data.digits_split(): 1,437 train / 360 test, 64 binary pixels",
        "pyro": "SVI, Trace_ELBO, pyro.optim.Adam, AutoDelta / AutoDiagonalNormal, float32, "
        f"torch threads {args.torch_threads or 'default'}",
        "numpyro": "SVI.update in a jitted lax.scan of eval_every steps, same guides",
        "zoo": "zoo.fit.fit(make_model(...), train, method='svi', guide=..., steps=...)",
    }
    run.write({"em": em, "notes": notes}, rows=rows, ratios=entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
