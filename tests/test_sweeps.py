"""Sweeps on Dask (``zoo compare --splits``): one small sweep run serially, on a local cluster
of 2 worker processes and on a real ``dask scheduler`` with 2 ``dask worker`` processes (one
module fixture, torn down at the end) gives the same results; split 0 equals a plain compare;
intervals against scipy; a failed task is named and the rest finish; the cache skips work."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from zoo import _compare_sweep, figures
from zoo._compare_sweep import TASK, sweep_compare, sweep_specs
from zoo._sweep_stats import interval, paired
from zoo.cli import main
from zoo.compare import compare
from zoo.data import load_data
from zoo.report import results_json
from zoo.sweep_exec import _client as sweep_client
from zoo.sweep_exec import _Dealer, run_tasks

DATA = "tests/golden/data/pixels16.csv"  # 300 items, 16 pixels: the cheapest real data
FAMILIES = ["independent", "naive-bayes"]  # exact conjugate posteriors at the quick budget
SWEEP = dict(budget="quick", seed=3, splits=3, seeds=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A real cluster on 127.0.0.1: ``dask scheduler`` and two ``dask worker`` processes,
    one thread each; its address, and everything stopped afterwards."""
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [sys.executable, "-m", "dask"]
    procs = []

    def start(name: str, *args: str) -> None:
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115  closed with the process
        procs.append((subprocess.Popen([*dask, *args], stdout=log, stderr=log), log))

    try:
        port = address.rsplit(":", 1)[1]
        quiet = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]  # not 8787
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", port, *quiet)
        for i in range(2):
            start(f"worker{i}", "worker", address, "--nthreads", "1", "--no-dashboard")
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc, log in reversed(procs):  # workers first, then the scheduler
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


@pytest.fixture(scope="module")
def serial():
    return sweep_compare(DATA, FAMILIES, **SWEEP, workers=0, cache=False)


def test_serial_local_cluster_and_real_scheduler_agree(serial, scheduler):
    local = sweep_compare(DATA, FAMILIES, **SWEEP, workers=2, cache=False)
    remote = sweep_compare(DATA, FAMILIES, **SWEEP, scheduler=scheduler, cache=False)
    assert results_json(local) == results_json(serial)
    assert results_json(remote) == results_json(serial)
    sweep = serial.results()["sweep"]
    assert not sweep["failures"]
    order = [(k, f) for k in range(3) for f in FAMILIES]  # by spec, not by completion
    assert [(r["split"], r["family"]) for r in sweep["per_split"]] == order
    # the splits differ: another split is really another train/test partition
    by = {(r["family"], r["split"]): r["nats_per_item"] for r in sweep["per_split"]}
    assert by[("independent", 0)] != by[("independent", 1)]


def test_each_task_timed_where_it_ran(serial):
    timed = serial.task_seconds  # sweep_timings.json: what the Dask benchmark adds up
    assert [(t["split"], t["family"]) for t in timed] == [
        (k, f) for k in range(3) for f in FAMILIES
    ]
    # the whole task (data, fit, figures) holds the fit's own seconds
    assert all(t["task"] >= t["total"] > 0 for t in timed)


def test_split_zero_is_the_plain_compare(serial):
    train, test = load_data(DATA).split(0.2, seed=0)
    plain = compare(train, test, FAMILIES, budget="quick", seed=3)
    assert serial.rows == json.loads(json.dumps(plain.rows))
    assert serial.curves == json.loads(json.dumps(plain.curves))
    for name in FAMILIES:
        np.testing.assert_array_equal(serial.samples[name], plain.samples[name])


def test_intervals_from_the_per_split_numbers(serial):
    from scipy import stats

    sweep = serial.sweep
    ratio = 60 / 240  # held out over training items of pixels16's 20 percent splits
    assert sweep["heldout_over_train"] == ratio
    for s in sweep["summary"]:
        x = [r["nats_per_item"] for r in sweep["per_split"] if r["family"] == s["family"]]
        sd = np.std(x, ddof=1)
        half = stats.t.ppf(0.975, len(x) - 1) * sd * math.sqrt(1 / len(x) + ratio)
        assert s["mean"] == round(float(np.mean(x)), 3) and s["sd"] == round(float(sd), 3)
        assert s["low"] == pytest.approx(np.mean(x) - half, abs=1e-3)
        assert s["high"] == pytest.approx(np.mean(x) + half, abs=1e-3)
    (pair,) = sweep["paired_differences"]
    a, b = (
        np.array([r["nats_per_item"] for r in sweep["per_split"] if r["family"] == f])
        for f in FAMILIES
    )
    assert pair["mean"] == pytest.approx(np.mean(a - b), abs=1e-3)
    # naive Bayes models these pixels better than independence on both splits
    assert pair["verdict"] == "naive-bayes better" and pair["low"] > 0


def test_interval_and_verdicts_by_hand():
    from scipy import stats

    got = interval([1.0, 2.0, 3.0])
    low, high = stats.t.interval(0.95, 2, loc=2.0, scale=1.0 / math.sqrt(3))
    assert got == {"n": 3, "mean": 2.0, "sd": 1.0, "low": round(low, 3), "high": round(high, 3)}
    assert interval([5.0])["low"] is None
    recs = [
        {"family": f, "split": k, "nats_per_item": v}
        for k, (x, y, z) in enumerate([(1.0, 1.5, 3.0), (1.2, 1.1, 3.1), (0.9, 1.4, 2.9)])
        for f, v in zip("xyz", (x, y, z), strict=True)
    ]
    verdicts = {(p["a"], p["b"]): p["verdict"] for p in paired(recs, "xyz", "split", 0.0)}
    assert verdicts == {
        ("x", "y"): "not distinguishable",
        ("x", "z"): "x better",
        ("y", "z"): "y better",
    }


def test_figures_draw_the_intervals(serial):
    sweep = serial.sweep
    frontier = figures.frontier_figure(serial.rows, sweep["summary"])
    assert frontier.findobj(lambda a: a.get_gid() == "intervals")
    learning = figures.learning_figure(serial.curves, sweep["learning_curve_intervals"])
    for name in FAMILIES:
        assert learning.findobj(lambda a, n=name: a.get_gid() == f"band:{n}")


def test_a_failed_task_is_named_and_the_rest_finish(scheduler):
    specs = sweep_specs(DATA, ["independent"], "quick", [3], 2)
    specs[1]["budget"] = "nope"
    out = run_tasks(TASK, specs, scheduler=scheduler, cache=False)
    assert out.results[0] is not None and out.results[1] is None
    (failure,) = out.failures
    assert failure["task"] == "family independent, split 1, seed 3"
    assert "unknown budget 'nope'" in failure["error"]


def _zoo(*argv: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(argv))
    return code, stdout.getvalue(), stderr.getvalue()


def _cli(out, cache, *more: str) -> tuple[int, str, str]:
    return _zoo(
        "compare", "--data", DATA, "--families", *FAMILIES, "--budget", "quick", "--seed", "3",
        "--splits", "3", "--workers", "0", "--cache", str(cache), "--out", str(out), "--json",
        *more,
    )  # fmt: skip


def test_cli_cache_resumes_without_work(serial, tmp_path, monkeypatch):
    code, first, _ = _cli(tmp_path / "a", tmp_path / "cache")
    assert code == 0
    assert json.loads(first) == json.loads(results_json(serial))
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700

    def no_work(spec):
        raise AssertionError("a cached task ran again")

    monkeypatch.setattr(_compare_sweep, "compare_task", no_work)
    start = time.perf_counter()
    code, second, err = _cli(tmp_path / "b", tmp_path / "cache")
    assert code == 0, err
    assert second == first and "6 of 6 tasks read from the sweep cache" in err
    assert time.perf_counter() - start < 30
    # each family's figures, drawn where it was fitted, come back with it (and from the cache)
    for out in (tmp_path / "a", tmp_path / "b"):
        page = (out / "index.html").read_text(encoding="utf-8")
        for family, trace in (("independent", "rank"), ("naive-bayes", "rank")):
            for kind in ("dag", "independence", trace):
                name = f"{kind}-{family}.png"
                assert (out / name).read_bytes()[:4] == b"\x89PNG" and f'src="{name}"' in page
    assert (tmp_path / "a" / "dag-independent.png").read_bytes() == (
        tmp_path / "b" / "dag-independent.png"
    ).read_bytes()


def test_cli_names_a_failed_task_and_reports_the_others(tmp_path, monkeypatch):
    real = _compare_sweep.compare_task

    def flaky(spec):
        if spec["family"] == "naive-bayes" and spec["split"] == 1:
            raise RuntimeError("worker fell over")
        return real(spec)

    monkeypatch.setattr(_compare_sweep, "compare_task", flaky)
    code, _, err = _cli(tmp_path / "r", "off")
    assert code == 2
    assert "family naive-bayes, split 1, seed 3: RuntimeError: worker fell over" in err
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert len(results["sweep"]["per_split"]) == 5
    assert results["sweep"]["failures"][0]["task"] == "family naive-bayes, split 1, seed 3"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scheduler", "localhost:8786"], "expected an address like tcp://HOST:PORT"),
        (["--workers", "-1"], "--workers must be >= 0"),
        (["--splits", "0"], "--splits must be >= 1"),
    ],
)
def test_bad_sweep_options_are_one_line(tmp_path, args, message):
    code, _, err = _zoo("compare", "--data", DATA, "--out", str(tmp_path / "o"), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_the_scheduler_comes_from_the_environment_too(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_SCHEDULER", "somehost:8786")
    code, _, err = _zoo("compare", "--data", DATA, "--splits", "2", "--out", str(tmp_path))
    assert code == 2 and "'somehost:8786': expected an address like tcp://HOST:PORT" in err


PROGRAM = '''
import numpyro
import numpyro.distributions as dist


def normal_mean(y, scale=1.0):
    """mu ~ Normal(0, scale); y_i ~ Normal(mu, 1)."""
    mu = numpyro.sample("mu", dist.Normal(0.0, scale))
    with numpyro.plate("data", len(y)):
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)
'''


def _exact_elpd_loo(y: np.ndarray, scale: float) -> float:
    """Leave-one-out log predictive density of the conjugate normal model, in closed form."""
    from scipy import stats

    total = 0.0
    for i in range(len(y)):
        rest = np.delete(y, i)
        var = 1.0 / (1.0 / scale**2 + len(rest))
        total += stats.norm.logpdf(y[i], var * rest.sum(), math.sqrt(1.0 + var))
    return total


def test_zoo_sweep_scores_a_grid_of_program_arguments(tmp_path, scheduler):
    y = np.random.default_rng(0).normal(1.5, 1.0, size=30).round(3)
    (tmp_path / "model.py").write_text(PROGRAM)
    (tmp_path / "data.json").write_text(json.dumps({"y": y.tolist()}))
    records = []
    for where in (["--workers", "0"], ["--scheduler", scheduler]):
        code, stdout, err = _zoo(
            "sweep", f"{tmp_path}/model.py:normal_mean", "--data", str(tmp_path / "data.json"),
            "--grid", "scale=0.05,3", "--chains", "1", "--warmup", "200", "--draws", "400",
            *where, "--cache", "off", "--out", str(tmp_path / where[0]), "--json",
        )  # fmt: skip
        assert code == 0, err
        records.append(json.loads(stdout))
    record, remote = records
    assert remote["points"] == record["points"]  # the program ran on the cluster's workers
    tmp_path = tmp_path / "--workers"
    assert [p["args"] for p in record["points"]] == [{"scale": 0.05}, {"scale": 3}]
    assert (tmp_path / "sweep.png").is_file()
    for p in record["points"]:
        exact = _exact_elpd_loo(y, p["args"]["scale"])
        assert p["elpd_loo_mean"] == pytest.approx(exact, abs=0.3), p
    # a prior squeezed onto 0 while the data sit near 1.5 predicts held-out points worse
    tight, wide = (p["elpd_loo_mean"] for p in record["points"])
    assert tight < wide - 5


def test_zoo_sweep_bad_grid_is_one_line(tmp_path):
    code, _, err = _zoo("sweep", "examples/programs/models.py:ar1", "--grid", "K")
    assert code == 2 and "expected key=v1,v2" in err and len(err.strip().splitlines()) == 1


def test_sbc_runs_as_a_task_with_the_same_numbers(scheduler):
    from zoo.calibration import SBCResult, sbc

    spec = {"family": "independent", "options": {"n": 3}, "method": "exact",
            "replications": 20, "n_items": 20, "draws": 19, "seed": 5}  # fmt: skip
    direct = sbc("independent", {"n": 3}, method="exact", replications=20, n_items=20,
                 draws=19, seed=5, progress=False)  # fmt: skip
    for where in ({"workers": 0}, {"scheduler": scheduler}):
        (record,) = run_tasks("zoo.calibration:sbc_task", [spec], cache=False, **where).results
        assert record is not None
        again = SBCResult.from_dict(record)
        np.testing.assert_array_equal(again.ranks, direct.ranks)
        assert again.combined_p == direct.combined_p and again.quantities == direct.quantities


def test_the_dealer_keeps_a_worker_on_its_group_and_steals_only_when_idle():
    dealer = _Dealer(list(range(7)), ["a", "a", "a", "b", "b", "c", "c"])
    assert dealer.next_for("w1") == 0  # w1 holds a
    assert dealer.next_for("w2") == 3  # w2 holds b
    assert [dealer.next_for("w2"), dealer.next_for("w2")] == [4, 5]  # b done: w2 takes c
    assert [dealer.next_for("w1"), dealer.next_for("w2")] == [1, 6]
    assert dealer.next_for("w2") == 2  # nothing unclaimed: the last of a, rather than idle
    assert dealer.next_for("w1") is None and dealer.next_for("w2") is None
    plain = _Dealer([4, 2, 9], None)  # no groups: spec order, whoever asks
    assert [plain.next_for("w"), plain.next_for("v"), plain.next_for("w")] == [4, 2, 9]
    assert plain.next_for("v") is None


PIN = """
import json, os, threading
from zoo._sweep_worker import pin
cores = sorted(os.sched_getaffinity(0))
started = threading.Event(); stop = threading.Event()
def wait():
    started.set(); stop.wait()
other = threading.Thread(target=wait); other.start(); started.wait()
share = pin(1, 2)
mine = sorted(os.sched_getaffinity(other.native_id))
print(json.dumps([cores, share, mine, pin(0, len(cores) + 1)]))
stop.set()
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs CPU affinity and 2 cores",
)
def test_local_workers_keep_to_their_own_cores(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    out = subprocess.run([sys.executable, "-c", PIN], capture_output=True, text=True, check=True)
    cores, share, other, too_many = json.loads(out.stdout)
    # worker 1 of 2 gets the second half of the cores, and so does a thread started before
    assert share == cores[len(cores) // 2 :] and other == share
    assert too_many is None  # more workers than cores: left to the system
    with sweep_client(2, None) as client:
        shares = sorted(client.run(lambda: sorted(os.sched_getaffinity(0))).values())
        trims = set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values())
    half = len(cores) // 2
    assert shares == [cores[:half], cores[half:]]
    # Dask's default sets it in every worker (and in this process), which slows array-heavy
    # tasks; ours have none
    assert trims == {None} and "MALLOC_TRIM_THRESHOLD_" not in os.environ
