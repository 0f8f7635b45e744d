"""The zoo's NUTS against PyMC, nutpie and hand-written NumPyro, ratios measured in one run.

Models: the tabular families (full independence, the raster Markov chain, the 2-D
neighbourhood chain, naive Bayes) on the digits through their sufficient statistics, and two
ordinary programs (examples/programs/models.py: eight_schools_nc, linear_regression). Every
sampler runs 4 chains x 1000 warm-up x 1000 draws in a fresh process of its own, twice: the
first run end to end (model build, compile, sampling), the second with warm caches.

Data: the 1,797 binarised digits (``--scale 1``); ``--scale 10`` draws 17,970 items from
them with replacement (``numpy.random.default_rng(20260101)``); the programs have fixed data
and run at scale 1 only. ``--per-item`` adds the per-item likelihood (every pixel of every
item observed) for the peers, at scale 1.

Printed: end-to-end ESS/s (min bulk ESS over parameters / wall seconds) per sampler, the
ratio zoo / best peer, the NUTS overhead ratio wall / (gradients x seconds per gradient) and
each sampler's max |posterior mean - exact| / MCSE (exact: the conjugate Beta/Dirichlet
means for the tabular models, OLS for the regression's alpha and beta; for eight schools the
mean of the other samplers). Every run's raw numbers go to ``--json``.

    .venv/bin/python benchmarks/nuts_peers.py --quick
    .venv/bin/python benchmarks/nuts_peers.py --scale 1 --repeats 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402  (the benchmarks folder is not a package)
from peers.harness import caches_note, fmt, group_ok, median  # noqa: E402

#: tabular models: zoo family and options
TABULAR = {
    "independent": ("independent", {}),
    "markov-chain": ("markov-chain", {}),
    "markov-grid": ("markov-chain", {"grid": True}),
    "naive-bayes": ("naive-bayes", {}),
}
PROGRAMS = ("eight_schools_nc", "linear_regression")
SAMPLERS = ("zoo", "pymc", "nutpie", "numpyro")
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "nuts_peers.json"
SCALE_SEED = 20260101


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small budgets: a smoke run")
    p.add_argument("--repeats", type=int, default=1, help="fresh processes per sampler")
    p.add_argument("--models", nargs="+", default=None, help=f"default: {[*TABULAR, *PROGRAMS]}")
    p.add_argument("--scale", nargs="+", type=int, default=None, help="default: 1 10")
    p.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    p.add_argument(
        "--per-item",
        nargs="*",
        default=None,
        help="tabular models also run with the per-item likelihood (scale 1, peers only); "
        "default markov-chain",
    )
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=None, help="default 1000 (100 with --quick)")
    p.add_argument("--draws", type=int, default=None, help="default 1000 (100 with --quick)")
    p.add_argument("--seed", type=int, default=0)
    peers.harness.add_process_arguments(p, DEFAULT_JSON)
    args = p.parse_args(argv)
    # a smoke run: counts with Beta and Dirichlet rows, a program, one scale; no per-item
    # likelihood unless asked (with 100 warm-up draws PyMC needs minutes for it)
    quick = args.quick
    if args.models is None:
        args.models = ["independent", "naive-bayes", "eight_schools_nc"] if quick else None
        args.models = args.models or [*TABULAR, *PROGRAMS]
    if args.scale is None:
        args.scale = [1] if quick else [1, 10]
    if args.per_item is None:
        args.per_item = [] if quick else ["markov-chain"]
    unknown = [m for m in args.models if m not in TABULAR and m not in PROGRAMS]
    if unknown:
        p.error(f"unknown model {unknown[0]!r}; expected some of {[*TABULAR, *PROGRAMS]}")
    args.warmup = args.warmup or (100 if args.quick else 1000)
    args.draws = args.draws or (100 if args.quick else 1000)
    return args


def build_jobs(args, workdir: Path) -> tuple[list[dict], dict]:
    """Every (model, scale, likelihood, sampler, repeat) job, and the reference answers."""
    from zoo.models import make_model

    budget = {"chains": args.chains, "warmup": args.warmup, "draws": args.draws}
    budget.update(seed=args.seed, runs=2)
    jobs, refs = [], {}
    for scale in args.scale:
        data = None
        for name in args.models:
            if name in PROGRAMS:
                if scale != 1:
                    continue  # fixed data: nothing to scale
                ref = None
                if name == "linear_regression":
                    d = peers.read_json("linear")
                    design = np.column_stack([np.ones(len(d["y"])), d["x"]])
                    ols = np.linalg.lstsq(design, d["y"], rcond=None)[0]
                    ref = {"alpha": ols[0], "beta": ols[1:]}
                refs[(name, scale)] = ref
                for s in args.samplers:
                    jobs.append({"kind": "program", "sampler": s, "program": name, **budget})
                continue
            family, options = TABULAR[name]
            if data is None:
                data = peers.digits_data(scale, SCALE_SEED)
            model = make_model(family, **options)
            per_item = name in args.per_item and scale == 1
            tab = peers.tabular_from_zoo(model, data, items=per_item)
            path = workdir / f"{name}-x{scale}.npz"
            tab.save(path)
            refs[(name, scale)] = tab.exact_means()
            common = {"kind": "tabular", "model": name, "scale": scale, "data": str(path)}
            for s in args.samplers:
                job = {**common, "sampler": s, "form": "counts", **budget}
                if s == "zoo":
                    job.update(family=family, options=options)
                jobs.append(job)
            if per_item:
                for s in args.samplers:
                    if s != "zoo":  # the zoo always uses the counts
                        jobs.append({**common, "sampler": s, "form": "items", **budget})
    for job in jobs:
        job.setdefault("scale", 1)
        job.setdefault("model", job.get("program"))
        job.setdefault("form", "program" if job["kind"] == "program" else "counts")
    return [dict(job, repeat=r) for r in range(args.repeats) for job in jobs], refs


def error_vs_reference(result: dict, ref: dict | None) -> float | None:
    """max |mean - reference| / MCSE over every element of the reference's sites."""
    if not ref:
        return None
    run = result["runs"][0]
    worst = 0.0
    for site, exact in ref.items():
        if site not in run["means"]:
            return None
        mean = np.asarray(run["means"][site], dtype=float)
        mcse = np.asarray(run["mcse"][site], dtype=float)
        worst = max(worst, float(np.max(np.abs(mean - exact) / mcse)))
    return worst


def error_vs_others(result: dict, others: list[dict]) -> float | None:
    """For a model with no exact answer: max |mean - the other samplers' average| over the
    combined MCSE (the sampler's and that of the average)."""
    if not others:
        return None
    run = result["runs"][0]
    worst = 0.0
    for site, mean in run["means"].items():
        mine, se = np.asarray(mean, dtype=float), np.asarray(run["mcse"][site], dtype=float)
        theirs = np.array([o["runs"][0]["means"][site] for o in others], dtype=float)
        their_se = np.array([o["runs"][0]["mcse"][site] for o in others], dtype=float)
        ref, ref_var = theirs.mean(axis=0), (their_se**2).sum(axis=0) / len(others) ** 2
        worst = max(worst, float(np.max(np.abs(mine - ref) / np.sqrt(se**2 + ref_var))))
    return worst


def summarise(results: list[dict], refs: dict) -> list[dict]:
    """One row per (model, scale, likelihood, sampler): medians over repeats."""
    groups = group_ok(results, ("model", "scale", "form", "sampler"))
    rows = []
    for (model, scale, form, sampler), rs in groups.items():
        first = [r["runs"][0] for r in rs]
        warm = [r["runs"][-1] for r in rs]
        ref = refs.get((model, scale))
        if model == "eight_schools_nc":
            others = [
                g[0] for k, g in groups.items() if k[:3] == (model, scale, form) and k[3] != sampler
            ]
            err, err_how = error_vs_others(rs[0], others), "vs others"
        else:
            err, err_how = error_vs_reference(rs[0], ref), "vs exact"
        rows.append(
            {
                "model": model,
                "scale": scale,
                "likelihood": form,
                "sampler": sampler,
                "repeats": len(rs),
                "seconds": median([r["seconds"] for r in first]),
                "seconds_warm": median([r["seconds"] for r in warm]),
                "compile_seconds": median([r.get("compile_seconds") for r in first]),
                "ess_min": median([r["ess_bulk_min"] for r in first]),
                "ess_per_s": median([r["ess_per_s"] for r in first]),
                "ess_per_s_warm": median([r["ess_per_s"] for r in warm]),
                "rhat_max": max(r["rhat_max"] for r in first),
                "divergences": max(r["divergences"] for r in first),
                "grads": median([r["grads"] for r in first]),
                "grads_draws": median([r["grads_draws"] for r in first]),
                "sec_per_grad": median([r.get("sec_per_grad") for r in rs]),
                "overhead": median([r.get("overhead") for r in rs]),
                "overhead_warm": median([r.get("overhead_warm") for r in rs]),
                "max_err_mcse": err,
                "err_reference": err_how if err is not None else None,
            }
        )
    return rows


def _describe(job: dict) -> str:
    return f"{job['model']} x{job['scale']} {job['form']} {job['sampler']}"


def _report(res: dict) -> str:
    first, warm = res["runs"][0], res["runs"][-1]
    ess_s, rhat = first["ess_per_s"], first["rhat_max"]
    seconds, warm_s = first["seconds"], warm["seconds"]
    return f"{seconds:.1f} s, ESS/s {ess_s:.1f}, R-hat {rhat:.3f}, warm {warm_s:.1f} s"


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'model':<18}{'items':>7} {'lik':<8}{'sampler':<9}{'wall s':>8}{'warm s':>8}"
        f"{'ESS min':>9}{'ESS/s':>8}{'warm':>8}{'R-hat':>7}{'div':>5}{'grads':>9}"
        f"{'us/grad':>9}{'ovhd':>9}{'warm':>8}{'|err|/MCSE':>11}"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        items = "-" if r["model"] in PROGRAMS else f"{1797 * r['scale']}"
        grads = None if r["grads"] is None else r["grads"] / 1000
        spg = None if r["sec_per_grad"] is None else r["sec_per_grad"] * 1e6
        print(
            f"{r['model']:<18}{items:>7} {r['likelihood']:<8}{r['sampler']:<9}"
            f"{fmt(r['seconds'], '.1f', 8)}{fmt(r['seconds_warm'], '.1f', 8)}"
            f"{fmt(r['ess_min'], '.0f', 9)}{fmt(r['ess_per_s'], '.1f', 8)}"
            f"{fmt(r['ess_per_s_warm'], '.1f', 8)}{fmt(r['rhat_max'], '.3f', 7)}"
            f"{r['divergences']:>5}{fmt(grads, '.1f', 8)}k{fmt(spg, '.1f', 9)}"
            f"{fmt(r['overhead'], '.1f', 9)}{fmt(r['overhead_warm'], '.1f', 8)}"
            f"{fmt(r['max_err_mcse'], '.2f', 11)}"
        )
    print(
        "wall s: first run in a fresh process, end to end (build + compile + sampling); warm s:"
        " a second run in the same process.\nESS/s: min bulk ESS over parameters / seconds. "
        "grads: leapfrog steps, warm-up included. us/grad: one value-and-gradient of the "
        "sampler's own log density, single chain.\novhd: wall / (grads x seconds per gradient);"
        " 4 chains on 2 cores make 0.5 the no-overhead floor. |err|/MCSE: max over parameters "
        "(tabular: exact Beta means; regression: OLS; eight schools: the other samplers)."
    )


def ratios(rows: list[dict]) -> list[dict]:
    """Per (model, scale): zoo ESS/s over the best peer's (peers on the same likelihood form
    as the zoo, the counts, and for the programs the program as written)."""
    out = []
    keys = sorted({(r["model"], r["scale"]) for r in rows}, key=str)
    for model, scale in keys:
        here = [r for r in rows if (r["model"], r["scale"]) == (model, scale)]
        zoo = next((r for r in here if r["sampler"] == "zoo"), None)
        form = "counts" if model in TABULAR else "program"
        others = [r for r in here if r["sampler"] != "zoo" and r["likelihood"] == form]
        entry = {"model": model, "scale": scale}
        for key in ("ess_per_s", "ess_per_s_warm"):
            best = max(others, key=lambda r: r[key] or 0.0, default=None)
            ok = zoo and best and zoo[key] and best[key]
            entry[key] = {
                "zoo": zoo[key] if zoo else None,
                "best_peer": best["sampler"] if best else None,
                "best_peer_value": best[key] if best else None,
                "ratio": zoo[key] / best[key] if ok else None,
            }
        out.append(entry)
    return out


def print_ratios(entries: list[dict]) -> None:
    print("\nzoo / best peer, ESS per second (> 1: the zoo is faster)")
    print(f"{'model':<18}{'items':>7}  {'end to end':<28}{'warm':<28}")
    for e in entries:
        items = "-" if e["model"] in PROGRAMS else str(1797 * e["scale"])
        cells = []
        for key in ("ess_per_s", "ess_per_s_warm"):
            c = e[key]
            if c["ratio"] is None:
                cells.append("-".ljust(28))
            else:
                text = f"{c['ratio']:.2f} (vs {c['best_peer']} {c['best_peer_value']:.0f}/s)"
                cells.append(text.ljust(28))
        print(f"{e['model']:<18}{items:>7}  {cells[0]}{cells[1]}")


def main(argv=None) -> int:
    run = peers.harness.ScriptRun("nuts_peers", parse_args(argv), _describe)
    args = run.args
    print(
        f"budget: {args.chains} chains x {args.warmup} warm-up x {args.draws} draws, "
        f"seed {args.seed}, {args.repeats} repeat(s), scales {args.scale}"
    )
    with tempfile.TemporaryDirectory(prefix="nuts-peers-") as tmp:
        jobs, refs = build_jobs(args, Path(tmp))
        results = run.run(jobs, tmp, _report)
    rows = summarise(results, refs)
    order = {m: i for i, m in enumerate([*TABULAR, *PROGRAMS])}
    rows.sort(key=lambda r: (r["scale"], order[r["model"]], r["likelihood"], r["sampler"]))
    print_table(rows)
    entries = ratios(rows)
    print_ratios(entries)
    notes = {
        "caches": caches_note(args.cold, exported=True),
        "data": "digits (1,797 x 64, pixel > 7); scale 10 = 17,970 items drawn with "
        f"replacement, numpy default_rng({SCALE_SEED})",
        "pymc": "pm.sample defaults (NUTS, cores = min(4, cpus)), chains=4, "
        "counts through pm.Binomial / pm.Multinomial, tuned draws kept to count gradients, "
        "convergence checks off",
        "nutpie": "compile_pymc_model (numba backend) of the same PyMC model, default cores",
        "numpyro": "MCMC(NUTS), chain_method parallel over 4 host devices (XLA_FLAGS)",
        "zoo": "zoo.fit.fit(..., method='nuts') / zoo.programs.fit_program",
    }
    run.write({"notes": notes}, rows=rows, ratios=entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
