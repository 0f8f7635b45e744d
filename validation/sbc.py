"""Simulation-based calibration of every zoo family with NUTS, SVI (mean-field) and, for
the conjugate tabular families, exact posterior draws (the control that must pass).

    .venv/bin/python validation/sbc.py [--replications 100] [--quick] [--out DIR]
        [--workers N | --scheduler tcp://HOST:PORT] [--cache DIR|off]

Each family x method run is one Dask task (zoo.sweep_exec): on a local cluster of worker
processes by default, serially with ``--workers 0``, or on an existing cluster. Writes
``sbc.json`` and ``ranks.png`` into ``--out`` and prints the table that
docs/calibration.md shows. Same seed, same numbers, however the runs are spread.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zoo.calibration import ALPHA, SBCResult, plot_ranks  # noqa: E402
from zoo.progress import wanted  # noqa: E402
from zoo.sweep_exec import run_tasks  # noqa: E402

#: (label, family, options, methods, items): tiny sizes, so ~100 replications fit in minutes
CASES = [
    ("independent n=5", "independent", {"n": 5}, ("exact", "nuts", "svi"), 30),
    ("markov-chain n=5", "markov-chain", {"n": 5}, ("exact", "nuts", "svi"), 30),
    ("naive-bayes n=4 K=2", "naive-bayes", {"n": 4, "classes": 2}, ("exact", "nuts", "svi"), 30),
    ("bayesnet asia", "bayesnet", {"network": "asia"}, ("exact", "nuts", "svi"), 50),
    ("latent-class n=5 K=2", "latent-class", {"n": 5, "classes": 2}, ("nuts", "svi"), 40),
    ("autoregressive logistic n=4", "autoregressive", {"n": 4}, ("nuts", "svi"), 40),
    (
        "autoregressive neural n=4 H=3",
        "autoregressive",
        {"n": 4, "conditional": "neural", "hidden": 3},
        ("nuts", "svi"),
        40,
    ),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--draws", type=int, default=99)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10 replications, for a smoke run")
    parser.add_argument("--out", default="docs/figures/calibration")
    parser.add_argument(
        "--workers", type=int, help="local workers (default one per core; 0: serial)"
    )
    parser.add_argument("--scheduler", help="an existing Dask scheduler, tcp://HOST:PORT")
    parser.add_argument("--cache", default="off", help="sweep cache folder (default off)")
    args = parser.parse_args(argv)
    reps = 10 if args.quick else args.replications
    os.makedirs(args.out, exist_ok=True)
    specs = [
        {"label": label, "family": family, "options": options, "method": method,
         "replications": reps, "n_items": items, "draws": args.draws, "seed": args.seed}
        for label, family, options, methods, items in CASES
        for method in methods
    ]  # fmt: skip
    start = time.perf_counter()
    outcome = run_tasks(
        "zoo.calibration:sbc_task", specs, workers=args.workers, scheduler=args.scheduler,
        cache=args.cache, progress=wanted(), what="sbc", say=print,
    )  # fmt: skip
    header = (
        f"{'family':32s} {'method':6s} {'Q':>3s} {'Holm p':>8s} {'min p':>8s} "
        f"{'|z| mean':>8s} {'|z| max':>8s} {'verdict':7s} {'seconds':>8s} {'compile 1st/rest':>16s}"
    )
    print(header)
    print("-" * len(header))
    results, rows = [], []
    for spec, record in zip(specs, outcome.results, strict=True):
        if record is None:
            continue  # named by run_tasks
        res = SBCResult.from_dict(record)
        label, method = spec["label"], spec["method"]
        row = res.summary() | {"label": label}
        rows.append((res, row))
        results.append(res)
        s = res.seconds
        print(
            f"{label:32s} {method:6s} {len(res.quantities):3d} {res.combined_p:8.3g} "
            f"{res.pvalues.min():8.3g} {res.accuracy:8.3f} {row['accuracy_max']:8.3f} "
            f"{'pass' if res.passed else 'FAIL':7s} {s['total']:8.1f} "
            f"{s['compile_first']:7.1f}/{s['compile_rest']:<7.1f}",
            flush=True,
        )
    total = time.perf_counter() - start
    print(
        f"\n{len(results)} runs, {reps} replications each, {total:.0f} s; "
        f"pass: Holm-combined chi-square p >= {ALPHA}"
    )
    payload = {
        "command": "validation/sbc.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "replications": reps,
        "draws": args.draws,
        "seed": args.seed,
        "alpha": ALPHA,
        "seconds": total,
        "runs": [res.to_dict() | {"label": row["label"]} for res, row in rows],
    }
    with open(os.path.join(args.out, "sbc.json"), "w") as fh:
        json.dump(payload, fh, indent=1)
    plot_ranks(results, os.path.join(args.out, "ranks.png"))
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
