"""The harness every peer script shares: which samplers can run, the machine they run on,
each job in a fresh worker process (``spawn``, with empty caches on request), and the
scripts' common steps: the progress lines, the failures, medians and the JSON record."""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

#: samplers and their Python packages, for "is it installed?" checks
PACKAGES = {
    "pymc": ("pymc", "pytensor"),
    "nutpie": ("nutpie", "pymc", "pytensor"),
    "numpyro": ("numpyro", "jax"),
    "zoo": ("numpyro", "jax"),
    "pyro": ("pyro", "torch"),
}
#: the worker: this package run as a script (``python benchmarks/peers --job ... --out ...``)
WORKER = Path(__file__).resolve().parent


def missing(sampler: str) -> list[str]:
    """The packages ``sampler`` needs that are not installed (empty when it can run)."""
    from importlib.util import find_spec

    return [p for p in PACKAGES[sampler] if find_spec(p) is None]


def environment() -> dict:
    """Versions of every package benchmarked (not imported) and the hardware."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in (
        "jax", "jaxlib", "numpyro", "pymc", "pytensor", "nutpie", "numba", "torch", "pyro-ppl",
        "arviz", "numpy",
    ):  # fmt: skip
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    cpu = mem = None
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name"))
        mem_kb = Path("/proc/meminfo").read_text().split()[1]
        mem = round(int(mem_kb) / 2**20, 1)
    except (OSError, StopIteration, IndexError, ValueError):
        pass
    hardware = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": mem,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    return {"versions": versions, "hardware": hardware}


def cold_env(sampler: str, workdir: str | os.PathLike) -> dict:
    """Environment for a worker that must start with empty on-disk caches: the zoo's
    persistent XLA cache off, PyTensor's C cache (PyMC, and nutpie's PyMC front end) in a
    fresh folder. NumPyro keeps no cache on disk and numba's is not used by nutpie."""
    import tempfile

    if sampler == "zoo":
        return {"ZOO_JAX_CACHE": "off"}
    if sampler in ("pymc", "nutpie"):
        fresh = tempfile.mkdtemp(prefix="pytensor-", dir=workdir)
        return {"PYTENSOR_FLAGS": f"base_compiledir={fresh}"}
    return {}


def spawn(job: dict, workdir: str | os.PathLike, timeout: float, env: dict | None = None) -> dict:
    """Run ``job`` in a fresh Python process (:mod:`peers.worker`) and return its result;
    the worker's own progress lines (indented) are echoed as they come, the rest is kept for
    the error report. ``env`` adds to the environment (see :func:`cold_env`)."""
    import subprocess
    import tempfile
    import threading

    fd, job_path = tempfile.mkstemp(suffix=".json", dir=workdir)
    os.close(fd)
    out_path = job_path[:-5] + ".out.json"
    Path(job_path).write_text(json.dumps(job))
    cmd = [sys.executable, str(WORKER), "--job", job_path, "--out", out_path]
    tail: list[str] = []
    # its own session, so that a timeout also ends the chain processes PyMC forks
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )

    def read() -> None:
        for line in proc.stderr:
            if line.startswith("    "):
                print(line.rstrip(), flush=True)
            else:
                tail[:] = [*tail[-40:], line.rstrip()]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        return {"ok": False, "error": f"timed out after {timeout:.0f} s", "job": job}
    reader.join(timeout=5)
    if not Path(out_path).is_file():
        err = "\n".join(tail[-15:]) or f"exit code {proc.returncode}"
        return {"ok": False, "error": f"worker died: {err}", "job": job}
    return json.loads(Path(out_path).read_text())


def json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


# -- the scripts' common steps ------------------------------------------------------------------
def add_process_arguments(parser, default_json: Path) -> None:
    """``--timeout``, ``--cold`` and ``--json``, as every peer script takes them."""
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per sampler process")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="empty on-disk caches for every process (the zoo's XLA cache off, a fresh "
        "PyTensor compiledir); by default each sampler may reuse what earlier runs left",
    )
    parser.add_argument("--json", type=Path, default=default_json, help="raw numbers (JSON)")


class ScriptRun:
    """One run of a peer script: its arguments (``--samplers`` cut to those installed), the
    machine, the clock, the jobs in fresh processes and the JSON record. ``describe(job)``
    names a job in the progress lines and the failures."""

    def __init__(self, script: str, args, describe) -> None:
        self.script, self.args, self.describe = script, args, describe
        self.started = time.perf_counter()
        self.env = env = environment()
        print(
            f"{script}: {env['hardware']['cpu_count']} cpus ({env['hardware']['cpu_model']}), "
            f"load {env['hardware']['load_average']}"
        )
        print("versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
        runnable = []
        for s in args.samplers:
            gone = missing(s)
            if gone:
                print(
                    f"note: skipping {s}: not installed ({', '.join(gone)}); `make bench-install`"
                )
            else:
                runnable.append(s)
        args.samplers = runnable
        self.results: list[dict] = []

    def run(self, jobs: list[dict], workdir, report) -> list[dict]:
        """Every job in a fresh process (``--timeout``, ``--cold``), a progress line each
        and one for its result (``report(result)``)."""
        for i, job in enumerate(jobs, 1):
            print(
                f"[{i}/{len(jobs)}] {self.describe(job)} (repeat {job['repeat'] + 1})", flush=True
            )
            cold = cold_env(job["sampler"], workdir) if self.args.cold else None
            res = spawn(job, workdir, self.args.timeout, cold)
            if res.get("ok"):
                print(f"  -> {report(res)}", flush=True)
            else:
                print(f"  -> FAILED: {res.get('error', '?').splitlines()[-1]}", flush=True)
            self.results.append(res)
        return self.results

    def write(self, fields: dict, **tables) -> None:
        """The jobs that failed, then the JSON record at ``--json``: the script, its
        arguments, the machine (the load average again at the end), ``fields``, the seconds
        in all, then ``tables`` (rows, ratios) and every job's result."""
        for r in self.results:
            if not r.get("ok"):
                print(f"failed: {self.describe(r['job'])}: {r['error']}")
        args, env, started = self.args, self.env, self.started
        env["hardware"]["load_average_end"] = environment()["hardware"]["load_average"]
        record = {
            "script": f"benchmarks/{self.script}.py",
            "argv": sys.argv[1:],
            "environment": env,
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            **fields,
            "total_seconds": time.perf_counter() - started,
            **tables,
            "runs": self.results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=1, default=json_default))
        print(f"\nraw numbers: {args.json} ({time.perf_counter() - started:.0f} s in all)")


def caches_note(cold: bool, exported: bool) -> str:
    """The record's note on the on-disk caches the samplers started with (``exported``:
    the zoo's exported NUTS samplers count among them)."""
    zoo = "exported samplers and persistent XLA cache" if exported else "persistent XLA cache"
    if cold:
        off = f"caches off ({zoo})" if exported else f"{zoo} off"
        return f"cold: the zoo's {off}, a fresh PyTensor compiledir per process"
    return (
        f"on-disk caches as earlier runs left them: the zoo's {zoo} (ZOO_JAX_CACHE, default "
        "~/.cache/model-zoo/jax) and PyTensor's compiledir (PyMC, nutpie); NumPyro and numba "
        "(nutpie) keep none"
    )


def group_ok(results: list[dict], keys: tuple[str, ...]) -> dict[tuple, list[dict]]:
    """The results that succeeded, grouped by their job's values at ``keys`` (in the order
    the groups first come)."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        if r.get("ok"):
            groups.setdefault(tuple(r["job"][k] for k in keys), []).append(r)
    return groups


def median(values):
    """The median of the values that are not None (None if none is)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec: str, width: int) -> str:
    """``v`` formatted to ``spec`` and right-aligned in ``width``; a dash for None."""
    return "-".rjust(width) if v is None else format(v, spec).rjust(width)
