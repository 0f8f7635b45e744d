"""Dask speed-up of a sweep: wall seconds of ``zoo compare --splits 4 --budget quick`` run
serially (``--workers 0``) and on a local cluster of 2 worker processes (``--workers 2``),
in one run, as a ratio (goal: 1.6 or more on a 2-core machine). Both runs are the real
command in a fresh process, without the sweep cache, and read the same persistent JAX
compilation cache (warm it with one earlier ``zoo compare --budget quick``, or pass --warm).
A third run, serial on one core, bounds the ratio: two workers can at best halve the
one-core time, while the serial run already uses the second core for part of its work
(parallel chains, XLA's threads).

Then, from measured per-task seconds, a projection of the default compare with 10 splits x
3 seeds onto 1 to 32 workers: tasks assigned longest first to the earliest free worker
(the makespan of that list schedule), plus the overhead measured here: the cluster run's
wall seconds beyond the schedule of its own tasks (worker start-up and imports, and the
command's own start and report, so an upper bound on what the workers add). The per-family
seconds of the default budget come from the saved default compare
(``docs/figures/compare/timings.json``).

    .venv/bin/python benchmarks/dask_speedup.py [--splits 4] [--families F ...] [--warm]
        [--json benchmarks/results/dask_speedup.json] [--out DIR]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZOO = [str(Path(sys.executable).parent / "zoo")]  # the console script users run


def one_core() -> None:
    """In the child before it starts: the first core only."""
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:1])


def run_compare(args: argparse.Namespace, workers: int, out: Path, pinned: bool = False) -> float:
    cmd = [*ZOO, "compare", "--budget", "quick", "--splits", str(args.splits)]
    cmd += ["--workers", str(workers), "--cache", "off", "--out", str(out), "--json"]
    if args.families:
        cmd += ["--families", *args.families]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, preexec_fn=one_core if pinned else None
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return wall


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
        "--no-one-core",
        dest="one_core",
        action="store_false",
        help="skip the third run: serial on one core, which bounds what 2 workers can gain",
    )
    p.add_argument("--json", help="write the numbers here")
    p.add_argument("--out", help="keep the serial run's report here (default: a temp folder)")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.warm:
            warm = [*ZOO, "compare", "--budget", "quick", "--out", f"{tmp}/warm", "--json"]
            subprocess.run(warm, cwd=ROOT, capture_output=True, check=True)
        serial_out = Path(args.out) if args.out else Path(tmp) / "serial"
        serial = run_compare(args, 0, serial_out)
        cluster = run_compare(args, 2, Path(tmp) / "cluster")
        alone = run_compare(args, 0, Path(tmp) / "one-core", pinned=True) if args.one_core else None
        same = (serial_out / "results.json").read_bytes() == (
            Path(tmp) / "cluster" / "results.json"
        ).read_bytes()
        tasks = json.loads((serial_out / "sweep_timings.json").read_text())
        on_cluster = json.loads((Path(tmp) / "cluster" / "sweep_timings.json").read_text())

    quick: dict[str, list[float]] = {}
    for t in tasks:
        quick.setdefault(t["family"], []).append(t["total"])
    # the cluster's wall beyond its own 2-worker schedule: start-up, imports, compiles
    startup = max(0.0, cluster - makespan([t["total"] for t in on_cluster], 2))
    default = json.loads((ROOT / "docs/figures/compare/timings.json").read_text())
    per_family = {name: t["total"] for name, t in default.items()}
    result = {
        "command": f"zoo compare --splits {args.splits} --budget quick",
        "families": args.families or "all",
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "serial_seconds": round(serial, 1),
        "cluster_2_workers_seconds": round(cluster, 1),
        "speedup": round(serial / cluster, 2),
        # two workers can at best halve the one-core time, so this bounds the speed-up
        "serial_one_core_seconds": None if alone is None else round(alone, 1),
        "speedup_bound": None if alone is None else round(2 * serial / alone, 2),
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
        f"  serial {serial:.1f} s, 2-worker LocalCluster {cluster:.1f} s: "
        f"speed-up {result['speedup']:.2f}x (goal 1.6x); identical results.json: {same}"
    )
    if alone is not None:
        print(
            f"  serial on one core {alone:.1f} s: the serial run already gains "
            f"{alone / serial:.2f}x from the second core, so 2 workers can gain at most "
            f"2 x {serial:.1f} / {alone:.1f} = {result['speedup_bound']:.2f}x; the cluster "
            f"reaches {result['speedup'] / result['speedup_bound']:.0%} of that"
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
