"""Dask speed-up of a sweep: wall seconds of ``zoo compare --splits 4 --budget quick`` run
serially (``--workers 0``) and on a local cluster of 2 worker processes (``--workers 2``),
in one run, as a ratio (goal: 1.6 or more on a 2-core machine); the two run back to back
``--rounds`` times and the median ratio is kept, since one round's ratio moves by about 0.1
on this machine. Both runs are the real command in a fresh process, without the sweep
cache, and read the same persistent JAX compilation cache (warm it with one earlier
``zoo compare --budget quick``, or pass --warm).
A third run bounds the ratio: the same serial command twice at once, each copy held to
one core of its own. The serial run already uses the second core for part of its work
(XLA threads the deep families' larger kernels), while two workers share the machine as
those two copies do. So two workers can at best run the tasks in half the seconds one
copy's tasks took, and the command's own start and report (the serial run's wall seconds
outside its tasks) come on top: the bound is serial / (outside + pair tasks / 2). A looser
bound, half the pair's wall time, is printed beside it.

Then, from measured per-task seconds, a projection of the default compare with 10 splits x
3 seeds onto 1 to 32 workers: tasks assigned longest first to the earliest free worker
(the makespan of that list schedule), plus the overhead measured here: the cluster run's
wall seconds beyond the schedule of its own tasks (worker start-up and imports, and the
command's own start and report, so an upper bound on what the workers add). The per-family
seconds of the default budget come from the saved default compare
(``docs/figures/compare/timings.json``).

    .venv/bin/python benchmarks/dask_speedup.py [--splits 4] [--families F ...] [--warm]
        [--rounds 3] [--no-pair] [--json benchmarks/results/dask_speedup.json] [--out DIR]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import DEVNULL, PIPE

from zoo.cli._args import int_at_least

ROOT = Path(__file__).resolve().parents[1]
ZOO = [str(Path(sys.executable).parent / "zoo")]  # the console script users run


def core(index: int) -> Callable[[], None]:
    """For a child, before it starts: one core of this machine's."""
    cores = sorted(os.sched_getaffinity(0))
    return lambda: os.sched_setaffinity(0, [cores[index % len(cores)]])


def compare_cmd(args: argparse.Namespace, workers: int, out: Path) -> list[str]:
    cmd = [*ZOO, "compare", "--budget", "quick", "--splits", str(args.splits)]
    cmd += ["--workers", str(workers), "--cache", "off", "--out", str(out), "--json"]
    return cmd + (["--families", *args.families] if args.families else [])


def run_compare(args: argparse.Namespace, workers: int, *outs: Path, pinned: bool = False) -> float:
    """Wall seconds of the command, one copy per folder in ``outs``, all at once (each on a
    core of its own when ``pinned``)."""
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            compare_cmd(args, workers, out),
            cwd=ROOT,
            stdout=DEVNULL,
            stderr=PIPE,
            text=True,
            preexec_fn=core(i) if pinned else None,
        )
        for i, out in enumerate(outs)
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"{' '.join(proc.args)} failed:\n{err[-2000:]}")
    return time.perf_counter() - start


def task_seconds(out: Path) -> list[dict]:
    return list(json.loads((out / "sweep_timings.json").read_text()))


def _total(tasks: list[dict]) -> float:
    """The tasks' own seconds, each timed where it ran."""
    return round(sum(t["task"] for t in tasks), 1)


def makespan(durations: list[float], workers: int) -> float:
    """Longest task first, each to the worker that frees up first."""
    free = [0.0] * workers
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(free, free[0] + d)
    return max(free)


def projection(per_family: dict[str, float], tasks_per_family: int, startup: float) -> list:
    durations = [t for t in per_family.values() for _ in range(tasks_per_family)]
    serial = sum(durations)
    rows = []
    for n in (1, 2, 4, 8, 16, 32):
        wall = serial if n == 1 else makespan(durations, n) + startup
        rows.append({"workers": n, "seconds": round(wall, 1), "speedup": round(serial / wall, 2)})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", type=int, default=4)
    p.add_argument("--families", nargs="+", help="a subset of rows (default: all)")
    p.add_argument("--warm", action="store_true", help="one untimed quick compare first")
    p.add_argument(
        "--no-pair",
        dest="pair",
        action="store_false",
        help="skip the third run: two one-core serial copies at once, which bound what 2 "
        "workers can gain",
    )
    p.add_argument(
        "--rounds",
        type=int_at_least(1, "--rounds"),
        default=3,
        help="serial and cluster runs, back to back, this many times; the medians are kept "
        "(3: one round's ratio moves by about 0.1 on this machine)",
    )
    p.add_argument("--json", help="write the numbers here")
    p.add_argument("--out", help="keep the serial run's report here (default: a temp folder)")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.warm:
            warm = [*ZOO, "compare", "--budget", "quick", "--out", f"{tmp}/warm", "--json"]
            subprocess.run(warm, cwd=ROOT, capture_output=True, check=True)
        serial_out = Path(args.out) if args.out else Path(tmp) / "serial"
        rounds = []
        for r in range(args.rounds):  # back to back, so each ratio sees the same machine
            out = serial_out if r == 0 else Path(tmp) / f"serial-{r}"
            serial = run_compare(args, 0, out)
            cluster = run_compare(args, 2, Path(tmp) / ("cluster" if r == 0 else f"cluster-{r}"))
            tasks_r = task_seconds(out)
            outside_r = serial - _total(tasks_r)
            rounds.append(
                {"serial": serial, "cluster": cluster, "outside": outside_r, "tasks": tasks_r}
            )
            print(
                f"  round {r + 1}: serial {serial:.1f} s, cluster {cluster:.1f} s, "
                f"{serial / cluster:.2f}x",
                flush=True,
            )
        serial = statistics.median(x["serial"] for x in rounds)
        cluster = statistics.median(x["cluster"] for x in rounds)
        pair_outs = [Path(tmp) / "one-core-a", Path(tmp) / "one-core-b"]
        pair = run_compare(args, 0, *pair_outs, pinned=True) if args.pair else None
        same = (serial_out / "results.json").read_bytes() == (
            Path(tmp) / "cluster" / "results.json"
        ).read_bytes()
        tasks = rounds[0]["tasks"]
        on_cluster = task_seconds(Path(tmp) / "cluster")
        on_one_core = [task_seconds(out) for out in pair_outs] if args.pair else []

    quick: dict[str, list[float]] = {}
    for t in tasks:
        quick.setdefault(t["family"], []).append(t["task"])
    # the cluster's wall beyond its own 2-worker schedule: start-up, imports, report
    startup = max(0.0, cluster - makespan([t["task"] for t in on_cluster], 2))
    # the command's start and report: not split by workers
    outside = statistics.median(x["outside"] for x in rounds)
    pair_tasks = sum(_total(t) for t in on_one_core) / len(on_one_core) if on_one_core else None
    default = json.loads((ROOT / "docs/figures/compare/timings.json").read_text())
    per_family = {name: t["total"] for name, t in default.items()}
    result = {
        "command": f"zoo compare --splits {args.splits} --budget quick",
        "families": args.families or "all",
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "serial_seconds": round(serial, 1),
        "cluster_2_workers_seconds": round(cluster, 1),
        "speedup": round(statistics.median(x["serial"] / x["cluster"] for x in rounds), 2),
        "rounds": [
            {
                "serial_seconds": round(x["serial"], 1),
                "cluster_2_workers_seconds": round(x["cluster"], 1),
                "speedup": round(x["serial"] / x["cluster"], 2),
            }
            for x in rounds
        ],
        # two copies side by side on one core each
        "serial_one_core_pair_seconds": None if pair is None else round(pair, 1),
        "serial_outside_tasks_seconds": round(outside, 1),
        # the start and report once, plus half of one one-core copy's task seconds
        "speedup_bound": None
        if pair_tasks is None
        else round(serial / (outside + pair_tasks / 2), 2),
        "speedup_bound_loose": None if pair is None else round(2 * serial / pair, 2),
        # the same 52 tasks' own seconds (data, fit, figures; not start-up or report)
        "task_seconds_total": {
            "serial": _total(tasks),
            "cluster_workers": _total(on_cluster),
            "one_core_side_by_side": [_total(t) for t in on_one_core],
        },
        "identical_results_json": same,
        "tasks": len(tasks),
        "quick_task_seconds": {f: [round(x, 2) for x in v] for f, v in quick.items()},
        "worker_startup_seconds": round(startup, 1),
        "default_seconds_per_family": {f: round(v, 1) for f, v in per_family.items()},
        "projection_default_10x3": projection(per_family, 30, startup),
    }
    print(
        f"{result['command']} ({result['tasks']} tasks, {result['cpus']} CPUs, load average "
        f"{result['load_average_1min']}):"
    )
    print(
        f"  serial {serial:.1f} s, 2-worker LocalCluster {cluster:.1f} s (medians of "
        f"{args.rounds} rounds): speed-up {result['speedup']:.2f}x, the median of the "
        f"rounds' ratios (goal 1.6x); identical results.json: {same}"
    )
    totals = result["task_seconds_total"]
    copies = " and ".join(str(t) for t in totals["one_core_side_by_side"]) or "-"
    print(
        f"  task seconds (first round): serial {totals['serial']} (median outside its tasks, "
        f"start and report: {outside:.1f} s), each one-core copy side by side {copies}, "
        f"the cluster's two workers together {totals['cluster_workers']}"
    )
    if pair is not None and pair_tasks is not None:
        print(
            f"  two one-core copies side by side {pair:.1f} s: 2 workers can at best halve "
            f"one copy's task seconds, so at most {serial:.1f} / ({outside:.1f} + "
            f"{pair_tasks:.1f} / 2) = {result['speedup_bound']:.2f}x (half the pair's wall: "
            f"{result['speedup_bound_loose']:.2f}x); the cluster reaches "
            f"{result['speedup'] / result['speedup_bound']:.0%} of the first"
        )
    print(
        "  per-task seconds (quick): "
        + ", ".join(f"{f} {sum(v) / len(v):.1f}" for f, v in quick.items())
    )
    print(f"  overhead beyond the 2-worker schedule (start-up, imports, report): {startup:.1f} s")
    total = sum(per_family.values()) * 30
    print(
        f"default compare, 10 splits x 3 seeds = {30 * len(per_family)} tasks, "
        f"{total:.0f} task-seconds (per-family seconds of the saved default compare):"
    )
    print("  workers  projected seconds  speed-up")
    for row in result["projection_default_10x3"]:
        print(f"  {row['workers']:>7}  {row['seconds']:>17.1f}  {row['speedup']:>8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
