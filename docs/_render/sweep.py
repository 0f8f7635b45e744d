"""The sweep's tables on the cluster page: a saved ``zoo compare --splits`` run's intervals
and paired differences (the cells of :mod:`zoo.sweep_report`, so the page and the terminal
agree), and the Dask speed-up benchmark with its projection."""

from __future__ import annotations

from mkdocs.exceptions import PluginError

from .common import DOCS, read_json, table

ROOT = DOCS.parent


def _sweep(path: str) -> dict:
    sweep = read_json(DOCS / path).get("sweep")
    if not sweep:
        raise PluginError(f"docs hook: docs/{path} holds no sweep (run zoo compare --splits)")
    return sweep


def _cells(cells: list[list[str]], source: str) -> str:
    return table(cells[0], cells[1:]) + f"\n\n*From `{source}`.*"


def sweep_table(args: str) -> str:
    from zoo.sweep_report import summary_cells

    return _cells(summary_cells(_sweep(args.strip())), f"docs/{args.strip()}")


def sweep_paired(args: str) -> str:
    """Every pair, or with ``neighbours`` only the pairs next to each other in the ranking
    by mean held-out nats."""
    from zoo.sweep_report import paired_cells

    path, *flags = args.split()
    sweep = _sweep(path)
    if "neighbours" in flags:
        ranked = [s["family"] for s in sorted(sweep["summary"], key=lambda s: s["mean"])]
        next_to = {frozenset(p) for p in zip(ranked, ranked[1:], strict=False)}
        pairs = [p for p in sweep["paired_differences"] if frozenset((p["a"], p["b"])) in next_to]
        sweep = {**sweep, "paired_differences": pairs}
    return _cells(paired_cells(sweep), f"docs/{path}")


def bench_dask(args: str) -> str:
    res = read_json(ROOT / args.strip())
    head = ["run", "seconds", "speed-up"]
    rounds = len(res.get("rounds", [])) or 1
    median = f", median of {rounds} rounds" if rounds > 1 else ""
    rows = [
        [f"serial (--workers 0){median}", f"{res['serial_seconds']:.1f}", "1.00"],
        [
            f"LocalCluster, 2 workers (--workers 2){median}",
            f"{res['cluster_2_workers_seconds']:.1f}",
            f"{res['speedup']:.2f}",
        ],
    ]
    if res.get("serial_one_core_pair_seconds") is not None:
        totals = res["task_seconds_total"]
        rows += [
            [
                "two one-core serial copies side by side (each held to one core)",
                f"{res['serial_one_core_pair_seconds']:.1f}",
                f"{res['serial_seconds'] / res['serial_one_core_pair_seconds']:.2f}",
            ],
            [
                "bound for 2 workers: the serial start and report, plus half of one "
                "one-core copy's task seconds",
                f"{res['serial_seconds'] / res['speedup_bound']:.1f}",
                f"{res['speedup_bound']:.2f}",
            ],
        ]
        fits = (
            f"\n\n*Seconds in the tasks themselves (data, fit, figures), first round: serial "
            f"{totals['serial']}, with {res['serial_outside_tasks_seconds']:.1f} s outside "
            "them (start and report); each one-core copy "
            + " and ".join(str(t) for t in totals["one_core_side_by_side"])
            + f"; the cluster's two workers together {totals['cluster_workers']}.*"
        )
    else:
        fits = ""
    proj = [
        [r["workers"], f"{r['seconds']:.0f}", f"{r['speedup']:.2f}"]
        for r in res["projection_default_10x3"]
    ]
    return (
        table(head, rows)
        + f"\n\n*`{res['command']}`, {res['tasks']} tasks, {res['cpus']} CPUs (load average "
        f"{res['load_average_1min']} at the end); identical results.json: "
        f"{res['identical_results_json']}. From `{args.strip()}`.*"
        + fits
        + "\n\n"
        + table(["workers", "projected seconds", "speed-up"], proj)
        + "\n\n*The default compare with 10 splits x 3 seeds, projected from the per-family "
        f"seconds of the saved default compare, plus the {res['worker_startup_seconds']:.0f} s "
        "the measured cluster run took beyond its own schedule (worker start-up, imports, the "
        "report).*"
    )


RENDER = {"sweep-table": sweep_table, "sweep-paired": sweep_paired, "bench-dask": bench_dask}
