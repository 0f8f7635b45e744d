"""The worker: one job (a JSON file the scripts write) run in this process, its result
written as JSON. ``harness.spawn`` starts it as ``python benchmarks/peers --job JOB.json
--out RESULT.json``, so that every sampler pays its own imports and compiles, PyMC can fork
its chain processes before anything has started JAX's threads, and the peers never share a
thread pool."""

from __future__ import annotations

import argparse
import json
import time
import traceback
from pathlib import Path

import numpy as np

from .data import DATA_OF, Tabular, read_json
from .harness import json_default
from .numpyro_nuts import numpyro_example, numpyro_tabular, run_numpyro
from .numpyro_svi import run_numpyro_svi
from .nutpie_nuts import run_nutpie
from .pymc_nuts import PYMC_OF, pymc_tabular, run_pymc
from .pyro_svi import run_pyro_svi
from .zoo_fits import run_zoo_program, run_zoo_svi, run_zoo_tabular


def run_job(job: dict) -> dict:
    """Run one job (the scripts write them) and return its measurements."""
    kind = job["kind"]
    budget = {k: job[k] for k in ("chains", "warmup", "draws", "seed", "runs") if k in job}
    sampler = job["sampler"]
    if kind == "tabular":
        if sampler == "zoo":
            return run_zoo_tabular(job["family"], job["options"], job["scale"], **budget)
        tab = Tabular.load(job["data"])
        form = job.get("form", "counts")
        if sampler == "numpyro":
            program, kwargs = numpyro_tabular(tab, form)
            return run_numpyro(program, kwargs, **budget)
        runner = run_pymc if sampler == "pymc" else run_nutpie
        return runner(lambda: pymc_tabular(tab, form, job.get("likelihood", "binomial")), **budget)
    if kind == "program":
        name = job["program"]
        if sampler == "zoo":
            return run_zoo_program(name, **budget)
        data = read_json(DATA_OF[name])
        if sampler == "numpyro":
            program, kwargs = numpyro_example(name, data)
            return run_numpyro(program, kwargs, **budget)
        runner = run_pymc if sampler == "pymc" else run_nutpie
        return runner(lambda: PYMC_OF[name](data), **budget)
    if kind == "svi":
        opts = {k: job[k] for k in ("K", "hidden", "steps", "lr", "seed") if k in job}
        if sampler == "pyro" and "threads" in job:
            opts["threads"] = job["threads"]
        if sampler == "zoo":
            grid = {"grid": tuple(job["grid"])} if "grid" in job else {}
            return run_zoo_svi(job["model"], job["guide"], **grid, **opts)
        with np.load(job["data"]) as f:
            arrays = {k: f[k] for k in f.files}
        em_point = (
            {"pi": arrays["em_pi"], "theta": arrays["em_theta"]} if "em_pi" in arrays else None
        )
        runner = run_pyro_svi if sampler == "pyro" else run_numpyro_svi
        return runner(
            job["model"],
            job["guide"],
            arrays["train"],
            arrays["test"],
            eval_every=job.get("eval_every", 50),
            init=job.get("init", "em"),
            em_point=em_point,
            **opts,
        )
    raise ValueError(f"unknown job kind {kind!r}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run one benchmark job in this process.")
    parser.add_argument("--job", required=True, help="the job, a JSON file")
    parser.add_argument("--out", required=True, help="where to write the result (JSON)")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text())
    start = time.perf_counter()
    try:
        result = run_job(job)
        result["ok"] = True
    except Exception as err:  # reported to the script, which prints it and goes on
        result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        result["traceback"] = traceback.format_exc()
    result["process_seconds"] = time.perf_counter() - start
    result["job"] = job
    Path(args.out).write_text(json.dumps(result, default=json_default))
    return 0 if result["ok"] else 1
