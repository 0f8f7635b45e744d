"""The zoo's VAE SVI against the same VAE trained by a plain PyTorch CPU loop: steps per
second, and their ratio, measured in one process.

The model is ``zoo.models.vae`` at its defaults on the zoo's digits split (1,437 binary
training images of 64 pixels): a one-hidden-layer tanh MLP decoder ``8 -> 128 -> 64``
(Bernoulli logits) whose weights have Normal(0, 1) priors and biases Normal(0, 5) priors,
fitted to their MAP; an amortised encoder ``64 -> 128 -> 16`` giving q(z | x) =
N(mu, diag sigma^2); minibatches of 128 items dealt from one shuffle of the items per
epoch (both sides: 11 blocks of 128 of each shuffle of 1,437), the ELBO scaled to the whole
data set; one reparameterised sample of z per item; Adam from 0.01, cosine-decayed to zero
over the steps.

* zoo: the very compiled run ``Vae.train`` calls (``Vae.svi_run``: ``svi.init`` and a
  ``lax.scan`` over NumPyro's ``SVI.update``, each step's minibatch drawn in the scan),
  compiled once ahead of time (its seconds reported apart, with the persistent XLA cache
  off) and then timed over all its steps. XLA's CPU backend at its defaults (its intra-op
  pool on every core the process may use), and again at one thread (``ONE_THREAD_XLA``, in
  a second process, since XLA reads its flags once), timed between the other runs.
* torch: ``torch.nn`` modules of the same shapes and initialisation (uniform within
  1 / sqrt(fan in)), ``torch.optim.Adam`` with ``CosineAnnealingLR``, the same loss
  written out, ``loss.item()`` each step as a training loop keeps its trace. Run with
  ``torch.set_num_threads`` equal to the cores XLA's CPU backend uses (the ratio's
  denominator), and with one thread, which is often faster at this size.

Goal (issue 16): zoo / torch >= 2 at equal threads. Requires torch (CPU build; the ``bench``
extra, ``make bench-install``); without it the script says so and exits with status 2.

    .venv/bin/python benchmarks/vae_torch.py --quick
    .venv/bin/python benchmarks/vae_torch.py
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DEFAULT_JSON = HERE / "results" / "vae_torch.json"


def jax_threads() -> int:
    """The cores XLA's CPU backend runs its intra-op pool on (every core it may use)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="300 steps, one repeat: a smoke run")
    p.add_argument("--steps", type=int, default=None, help="SVI steps (default 3000)")
    p.add_argument("--repeats", type=int, default=None, help="timed runs each (default 2)")
    p.add_argument(
        "--torch-threads",
        type=int,
        nargs="+",
        default=None,
        help=f"torch thread counts to run (default: JAX's, {jax_threads()}, and 1); the "
        "ratio's goal is judged at JAX's",
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="cut a torch run after this long (its steps/s from the steps it took): on a busy "
        "machine torch's OpenMP threads can crawl",
    )
    p.add_argument(
        "--no-zoo-one-thread",
        action="store_true",
        help="skip the zoo's row at one XLA thread (a second process)",
    )
    p.add_argument("--zoo-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="raw numbers (JSON)")
    args = p.parse_args(argv)
    args.steps = args.steps or (300 if args.quick else 3000)
    args.repeats = args.repeats or (1 if args.quick else 2)
    args.torch_threads = list(dict.fromkeys(args.torch_threads or [jax_threads(), 1]))
    return args


# -- the zoo -------------------------------------------------------------------------------
def zoo_runner(train, steps: int, seed: int):
    """The model, the compiled run ``Vae.train`` uses, its arguments and compile seconds."""
    import jax

    from zoo.models import make_model

    model = make_model("vae", n=train.n_vars)
    run, run_args = model.svi_run(train, jax.random.PRNGKey(seed), steps, model.learning_rate, None)
    start = time.perf_counter()
    compiled = run.lower(*run_args).compile()
    return model, compiled, run_args, time.perf_counter() - start


def zoo_timed(compiled, run_args) -> tuple[float, np.ndarray]:
    import jax

    start = time.perf_counter()
    _, losses = compiled(*run_args)
    losses = jax.block_until_ready(losses)
    return time.perf_counter() - start, np.asarray(losses)


#: XLA's CPU backend on one intra-op thread (read once, when the backend starts)
ONE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def zoo_worker(args: argparse.Namespace) -> int:
    """The zoo's side in a process of its own (started with ``ONE_THREAD_XLA``): compiles,
    writes its compile seconds, then times one run for each line it reads, writing each
    run's record; all as JSON lines."""
    import zoo
    from zoo.data import digits_split

    zoo.setup(cache=False)
    train, _ = digits_split()
    _, compiled, run_args, compile_s = zoo_runner(train, args.steps, args.seed)
    print(json.dumps({"compile_s": compile_s}), flush=True)
    for _ in sys.stdin:
        print(json.dumps(_run_record(*zoo_timed(compiled, run_args))), flush=True)
    return 0


class OneThreadZoo:
    """The zoo at one XLA thread, in the worker process, timed on demand (so that its runs
    interleave with the others')."""

    def __init__(self, steps: int, seed: int) -> None:
        flags = f"{os.environ.get('XLA_FLAGS', '')} {ONE_THREAD_XLA}".strip()
        argv = [sys.executable, __file__, "--zoo-worker", "--steps", str(steps)]
        self.proc = subprocess.Popen(
            [*argv, "--seed", str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "XLA_FLAGS": flags},
        )
        self.compile_s = float(self._read()["compile_s"])

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def timed(self) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


# -- plain PyTorch ---------------------------------------------------------------------------
def torch_vae(n: int, latent: int, hidden: int):
    """(encoder, decoder) as ``torch.nn`` MLPs; ``nn.Linear``'s default initialisation is
    uniform within 1 / sqrt(fan in), as the zoo's."""
    from torch import nn

    encoder = nn.Sequential(nn.Linear(n, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent))
    decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, n))
    return encoder, decoder


def torch_timed(
    x_train: np.ndarray, model, steps: int, threads: int, seed: int, max_seconds: float
):
    """Seconds for ``steps`` steps of the plain loop (fewer when ``max_seconds`` run out),
    and its loss at each step taken."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x = torch.as_tensor(x_train, dtype=torch.float32)
    items, batch, latent = x.shape[0], min(model.batch_size, x.shape[0]), model.latent
    encoder, decoder = torch_vae(x.shape[1], latent, model.hidden)
    scales = [
        (p, model.prior_scale if p.ndim == 2 else model.bias_scale) for p in decoder.parameters()
    ]
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    params = [*encoder.parameters(), *decoder.parameters()]
    opt = torch.optim.Adam(params, lr=model.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)

    def loss_of(xb):
        mean, log_sd = encoder(xb).split(latent, dim=-1)
        eps = torch.randn_like(mean)
        z = mean + log_sd.exp() * eps
        log_px = -F.binary_cross_entropy_with_logits(decoder(z), xb, reduction="none").sum(-1)
        log_pz_over_q = (0.5 * eps**2 + log_sd - 0.5 * z**2).sum(-1)  # the 2 pi terms cancel
        log_prior = sum((-0.5 * (p / s) ** 2 - math.log(s) - half_log_2pi).sum() for p, s in scales)
        return -(log_prior + (items / batch) * (log_px + log_pz_over_q).sum())

    losses = []
    start = time.perf_counter()
    per_epoch = items // batch
    for step in range(steps):
        slot = step % per_epoch
        if slot == 0:  # a shuffle per epoch, dealt in blocks, as the zoo's loop does
            order = torch.randperm(items)
        xb = x[order[slot * batch : (slot + 1) * batch]]
        opt.zero_grad(set_to_none=True)
        loss = loss_of(xb)
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(loss.item())
        if time.perf_counter() - start > max_seconds:
            break
    return time.perf_counter() - start, np.asarray(losses)


# -- the run ---------------------------------------------------------------------------------
def _run_record(seconds: float, losses: np.ndarray) -> dict:
    return {
        "seconds": seconds,
        "steps": len(losses),
        "steps_per_s": len(losses) / seconds,
        "loss_final": float(np.mean(losses[-50:])),
    }


def _row(name: str, runs: list[dict], compile_s: float) -> dict:
    """The median run of one sampler and thread count; the final loss only from runs that
    took every step (a run cut by ``--max-seconds`` stopped at a higher step size)."""
    steps = max(r["steps"] for r in runs)
    rate = float(np.median([r["steps_per_s"] for r in runs]))
    finals = [r["loss_final"] for r in runs if r["steps"] == steps]
    return {
        "sampler": name.split("-")[0],
        "threads": jax_threads() if name == "zoo" else int(name.split("-")[1]),
        "steps_per_s": rate,
        "seconds": steps / rate,
        "compile_s": compile_s,
        "steps_per_s_e2e": steps / (steps / rate + compile_s),
        "loss_final": float(np.median(finals)),
        "steps": steps,
        "repeats": len(runs),
    }


def _ratios(rows: list[dict]) -> dict:
    """zoo / torch steps per second: at JAX's thread count (the goal's), at each thread
    count both ran, and the zoo at JAX's against the fastest torch."""
    zoo_row = rows[0]
    peers = [r for r in rows if r["sampler"] == "torch"]
    zoos = {r["threads"]: r for r in rows if r["sampler"] == "zoo"}
    same = next((r for r in peers if r["threads"] == zoo_row["threads"]), None)
    best = max(peers, key=lambda r: r["steps_per_s"])
    return {
        "same_threads": None if same is None else zoo_row["steps_per_s"] / same["steps_per_s"],
        "same_threads_e2e": None
        if same is None
        else zoo_row["steps_per_s_e2e"] / same["steps_per_s"],
        "best_torch": zoo_row["steps_per_s"] / best["steps_per_s"],
        "best_torch_threads": best["threads"],
        "by_threads": {
            str(r["threads"]): zoos[r["threads"]]["steps_per_s"] / r["steps_per_s"]
            for r in peers
            if r["threads"] in zoos
        },
        "goal": 2.0,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    from importlib.util import find_spec

    if args.zoo_worker:
        return zoo_worker(args)
    if find_spec("torch") is None:
        print(
            "vae_torch: torch is not installed, and the ratio needs it. Install its CPU build "
            "(`make bench-install`, or pip install torch from the CPU wheel index into a "
            "folder on PYTHONPATH), then rerun.",
            file=sys.stderr,
        )
        return 2

    import jax
    import torch
    from peers.harness import environment, json_default

    import zoo
    from zoo.data import digits_split

    zoo.setup(cache=False)  # a real compile, not a cache hit
    env = environment()
    hw = env["hardware"]
    print(f"vae_torch: {hw['cpu_count']} cpus ({hw['cpu_model']}), load {hw['load_average']}")
    print(f"jax {jax.__version__}, torch {torch.__version__}; {args.steps} steps per run")
    print(
        f"threads: zoo at XLA's CPU defaults ({jax_threads()} cores) and, in a second "
        f"process, at XLA_FLAGS={ONE_THREAD_XLA!r}; torch at "
        f"torch.set_num_threads({', '.join(map(str, args.torch_threads))}) in turn; minibatches "
        "of 128 dealt from a shuffle per epoch on both sides"
    )
    train, _ = digits_split()
    x_train = np.asarray(train.x, dtype=np.float32)
    model, compiled, run_args, compile_s = zoo_runner(train, args.steps, args.seed)
    print(f"zoo: compiled in {compile_s:.1f} s")
    runs: dict[str, list[dict]] = {"zoo": []}
    compiles = {"zoo": compile_s}
    one = None if args.no_zoo_one_thread else OneThreadZoo(args.steps, args.seed)
    if one is not None:
        print(f"zoo at one thread: compiled in {one.compile_s:.1f} s")
        runs["zoo-1"], compiles["zoo-1"] = [], one.compile_s
    for r in range(args.repeats):  # interleaved, so that a busy spell hits every sampler
        runs["zoo"].append(_run_record(*zoo_timed(compiled, run_args)))
        print(
            f"[{r + 1}/{args.repeats}] zoo (XLA CPU, {jax_threads()} threads): "
            f"{runs['zoo'][-1]['steps_per_s']:,.0f} steps/s",
            flush=True,
        )
        if one is not None:
            runs["zoo-1"].append(one.timed())
            print(
                f"[{r + 1}/{args.repeats}] zoo (XLA CPU, 1 thread): "
                f"{runs['zoo-1'][-1]['steps_per_s']:,.0f} steps/s",
                flush=True,
            )
        for t in args.torch_threads:
            timed = torch_timed(x_train, model, args.steps, t, args.seed + r, args.max_seconds)
            runs.setdefault(f"torch-{t}", []).append(_run_record(*timed))
            rec = runs[f"torch-{t}"][-1]
            print(
                f"[{r + 1}/{args.repeats}] torch ({t} thread{'s' * (t > 1)}): "
                f"{rec['steps_per_s']:,.0f} steps/s ({rec['steps']} steps)",
                flush=True,
            )
    if one is not None:
        one.close()
    rows = [_row(name, rs, compiles.get(name, 0.0)) for name, rs in runs.items()]
    ratios = _ratios(rows)
    head = ("sampler", "threads", "steps", "steps/s", "s", "compile s", "e2e", "loss")
    print("\n" + f"{head[0]:<8}" + "".join(f"{h:>10}" for h in head[1:]))
    for r in rows:
        print(
            f"{r['sampler']:<8}{r['threads']:>10}{r['steps']:>10}{r['steps_per_s']:>10,.0f}"
            f"{r['seconds']:>10.2f}"
            f"{r['compile_s']:>10.1f}{r['steps_per_s_e2e']:>10,.0f}{r['loss_final']:>10,.0f}"
        )
    best = next(
        r for r in rows if r["threads"] == ratios["best_torch_threads"] and r["sampler"] == "torch"
    )
    if ratios["same_threads"] is not None:
        print(
            f"\nzoo / torch steps per second at {jax_threads()} threads each: "
            f"{ratios['same_threads']:.2f} (goal >= 2; with the compile: "
            f"{ratios['same_threads_e2e']:.2f})"
        )
    for t, ratio in ratios["by_threads"].items():
        if int(t) != jax_threads():
            plural = "s" * (int(t) > 1)
            print(f"zoo / torch steps per second at {t} thread{plural} each: {ratio:.2f}")
    print(
        f"zoo (at {jax_threads()} threads) / the fastest torch ({best['threads']} "
        f"thread{'s' * (best['threads'] > 1)}): "
        f"{ratios['best_torch']:.2f}\n"
        "loss: mean negative ELBO (whole data set, with the decoder's prior) of the last 50 "
        "steps (of a run that took every step)"
    )
    env["hardware"]["load_average_end"] = os.getloadavg()
    record = {
        "script": "benchmarks/vae_torch.py",
        "argv": sys.argv[1:] if argv is None else list(argv),
        "environment": env,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "model": {
            "latent": model.latent,
            "hidden": model.hidden,
            "n": model.n,
            "batch_size": model.batch_size,
            "learning_rate": model.learning_rate,
            "items": train.n_items,
        },
        "notes": {
            "zoo": "Vae.svi_run (what Vae.train runs): one jitted svi.init + lax.scan over "
            "SVI.update, compiled ahead of time with the persistent XLA cache off",
            "zoo-1": f"the same, in a second process with XLA_FLAGS={ONE_THREAD_XLA!r}",
            "torch": "torch.nn + torch.optim.Adam + CosineAnnealingLR, loss.item() per step",
            "minibatch": "blocks of 128 of one shuffle per epoch, on both sides",
            "threads": f"zoo: XLA CPU defaults ({jax_threads()} cores); torch: "
            "torch.set_num_threads per row",
        },
        "rows": rows,
        "ratios": ratios,
        "runs": runs,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1, default=json_default))
    print(f"raw numbers: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
