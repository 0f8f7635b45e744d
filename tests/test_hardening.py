"""Hostile and unlucky users (issue 18): bad input that once gave a traceback or a wrong
message, a full disk and Ctrl-C while writing ``--out``, and a user's program that prints,
exits or never returns. Each ends with one line on stderr (exit 2, or 130 for Ctrl-C) and
nothing written.

In-process calls where possible; two subprocesses (a real SIGINT, and the XLA cache, which
is set once per process).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from zoo.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def one_error(code, out, err):
    """The user's mistake: exit 2, one line on stderr starting ``zoo: error:``."""
    lines = [line for line in err.splitlines() if line.startswith("zoo: error:")]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def nothing_left(parent: Path, out: Path):
    assert not out.exists()
    assert [p.name for p in parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("harden")
    rows = "".join(f"{i % 2},{(i // 2) % 2},{(i // 3) % 2}\n" for i in range(40))
    f = {"root": root}
    for name, text in {
        "huge": "x0,x1,x2\n0,1,0\n1,0,99999999999999999999\n" + rows,
        "int64max": "x0,x1,x2\n0,1,0\n1,0,9223372036854775807\n" + rows,
        # the bad value is on line 4 (file row 3); the split shuffles the items
        "row3": "x0,x1,x2\n0,1,0\n1,0,1\n1,2,0\n" + rows * 5,
        "oneclass": "x0,x1,label\n" + "".join(f"{i % 2},{(i // 3) % 2},1\n" for i in range(40)),
        "biglabel": "x0,x1,label\n"
        + "".join(f"{i % 2},{(i // 3) % 2},{(i % 2) * 10**9}\n" for i in range(40)),
    }.items():
        f[name] = root / f"{name}.csv"
        f[name].write_text(text)
    f["row3npy"] = root / "row3.npy"
    np.save(f["row3npy"], np.array([[0, 1], [1, 0], [1, 5]] + [[0, 1]] * 200))
    return f


# -- bad input ----------------------------------------------------------------------------

CASES = {
    "above int64": (
        ["fit", "independent", "--data", "{huge}"],
        r"line 3: state code 9{20} is too large",
    ),
    "int64 max": (
        ["fit", "independent", "--data", "{int64max}"],
        r"line 3: state code 9223372036854775807 is too large \(a state code is at most 2,147",
    ),
    "seed fit": (["fit", "independent", "--seed", str(2**64)], r"--seed must be <= 4294967295"),
    "seed compare": (["compare", "--seed", str(2**64)], r"--seed must be <= 4294967295"),
    "seed analyze": (["analyze", "toys", "--seed", str(2**64)], r"--seed must be <= 4294967295"),
    "huge sample": (
        ["fit", "bayesnet", "--network", "asia", "--data", "sample:1000000000"],
        r"1,000,000,000 items of 8 variables would need about .* GiB to draw",
    ),
    "csv line": (["fit", "independent", "--data", "{row3}"], r"has value 2 at line 4;"),
    "npy row": (["fit", "independent", "--n", "2", "--data", "{row3npy}"], r"value 5 at row 2;"),
    "one class": (
        ["fit", "naive-bayes", "--n", "2", "--data", "{oneclass}"],
        r"at least two classes, but every training label is 1",
    ),
    "order": (["fit", "markov-chain", "--order", "40"], r"parameters are the cause.*lower --order"),
    "label 1e9": (
        ["fit", "naive-bayes", "--n", "2", "--data", "{biglabel}"],
        r"3,000,000,002 parameters are the cause.*fewer classes",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_nothing_written(files, case, tmp_path):
    argv, pattern = CASES[case]
    out = tmp_path / "out"
    argv = [a.format(**{k: v for k, v in files.items() if k != "root"}) for a in argv]
    line = one_error(*run(*argv, "--out", out))
    assert __import__("re").search(pattern, line), line
    assert "fewer chains or draws" not in line  # the cause is named, not the budget
    nothing_left(tmp_path, out)


# -- writes: a full disk, Ctrl-C, stale temporaries ----------------------------------------

EXACT = ["fit", "independent", "--n", "2", "--method", "exact", "--draws", "50"]


def _fail_at(monkeypatch, target, attribute, err):
    def fail(*args, **kwargs):
        raise err

    monkeypatch.setattr(target, attribute, fail)


@pytest.mark.parametrize("err", ["no room", "full", "interrupt"])
def test_fit_out_full_disk_or_ctrl_c_leaves_nothing(files, tmp_path, monkeypatch, err):
    import shutil
    from collections import namedtuple

    import arviz

    out = tmp_path / "fit"
    if err == "no room":  # found before writing: HDF5 is not left to run out of space
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
        line = one_error(*run(*EXACT, "--data", files["oneclass"], "--out", out / "deeper"))
        assert "no space left on the device for the fit" in line
    elif err == "full":
        boom = OSError(errno.ENOSPC, "No space left on device")
        _fail_at(monkeypatch, arviz.InferenceData, "to_netcdf", boom)
        line = one_error(*run(*EXACT, "--data", files["oneclass"], "--out", out / "a" / "b"))
        assert "no space left on the device; nothing was written" in line
    else:
        import graphs

        _fail_at(monkeypatch, graphs, "save_figure", KeyboardInterrupt())
        code, text, stderr = run(*EXACT, "--data", files["oneclass"], "--out", out)
        assert (code, text) == (130, "") and stderr.splitlines()[-1] == "zoo: interrupted"
        assert "Traceback" not in stderr
    nothing_left(tmp_path, out)


@pytest.mark.parametrize("err", ["full", "interrupt"])
def test_compare_leaves_no_half_report(files, tmp_path, monkeypatch, err):
    """The report is written whole or not at all: a failure at the last figure leaves an
    earlier report as it was."""
    import graphs

    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("the earlier report")
    saved = graphs.save_figure
    calls = []

    def flaky(fig, path, *args, **kwargs):
        calls.append(path)
        if len(calls) > 1:
            raise (
                OSError(errno.ENOSPC, "No space left on device")
                if err == "full"
                else (KeyboardInterrupt())
            )
        return saved(fig, path, *args, **kwargs)

    monkeypatch.setattr(graphs, "save_figure", flaky)
    argv = ["compare", "--data", files["oneclass"], "--families", "independent"]
    code, text, stderr = run(*argv, "--budget", "quick", "--out", out)
    assert len(calls) == 2
    if err == "full":
        assert "nothing was written" in one_error(code, text, stderr)
    else:
        assert code == 130 and stderr.splitlines()[-1] == "zoo: interrupted"
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text() == "the earlier report"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_killed_writes_temporary_goes_at_the_next_write(tmp_path):
    """``.dag.png.PID.HEX.tmp`` of a process that is gone is removed when dag.png is next
    written; a live process's temporary stays."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = tmp_path / f".dag.png.{dead}.0123abcd.tmp"
    live = tmp_path / f".dag.png.{os.getpid()}.4567cdef.tmp"
    other = tmp_path / f".other.png.{dead}.89abcdef.tmp"
    for p in (stale, live, other):
        p.write_text("half")
    code, _, err = run("show", "independent", "--n", "4", "--draw", tmp_path / "dag.png")
    assert code == 0, err
    assert not stale.exists() and live.exists() and other.exists()
    assert (tmp_path / "dag.png").read_bytes()[:4] == b"\x89PNG"


# -- the user's program ---------------------------------------------------------------------

PROGRAM = """
import sys
import time
from pathlib import Path

import numpyro
import numpyro.distributions as dist


def chatty(y):
    print("hello from the program")
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    with numpyro.plate("items", y.shape[0]):
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)


def leaves(y):
    sys.exit(0)


def loops(y):
    Path(__file__).with_name("started").touch()
    while True:
        time.sleep(0.01)
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    root = tmp_path_factory.mktemp("program")
    (root / "prog.py").write_text(PROGRAM)
    (root / "y.json").write_text(json.dumps({"y": [0.3, -0.2, 1.1, 0.4, 0.9]}))
    return root


def test_program_print_goes_to_stderr_under_json(program, tmp_path):
    argv = ["fit", f"{program}/prog.py:chatty", "--data", program / "y.json", "--method", "svi"]
    code, text, err = run(*argv, "--steps", 50, "--draws", 20, "--json")
    assert code == 0, err
    assert json.loads(text)["method"] == "svi"  # stdout is one JSON document
    assert "hello from the program" in err and "hello" not in text
    code, text, err = run(
        "inspect", f"{program}/prog.py:chatty", "--data", program / "y.json", "--json"
    )
    assert code == 0 and json.loads(text)["program"].endswith("chatty") and "hello" in err


def test_program_sys_exit_is_one_clear_error(program, tmp_path):
    out = tmp_path / "out"
    argv = ["fit", f"{program}/prog.py:leaves", "--data", program / "y.json", "--out", out]
    line = one_error(*run(*argv))
    assert "called sys.exit(0)" in line
    nothing_left(tmp_path, out)


def test_program_timeout_stops_an_endless_loop(program, tmp_path):
    argv = ["fit", f"{program}/prog.py:loops", "--data", program / "y.json"]
    start = time.perf_counter()
    line = one_error(*run(*argv, "--timeout", "0.5"))
    assert time.perf_counter() - start < 30
    assert "still running after --timeout 0.5 s" in line
    assert one_error(*run("fit", "independent", "--timeout", "3")).endswith("not a family")


def test_sigint_is_one_line_exit_130_and_cleans_up(program, tmp_path):
    """A real Ctrl-C (SIGINT) while the program runs: one line, exit 130, no --out."""
    (program / "started").unlink(missing_ok=True)
    out = tmp_path / "out"
    argv = ["fit", f"{program}/prog.py:loops", "--data", str(program / "y.json"), "--out", str(out)]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    # a pytest-xdist worker ignores SIGINT and a child inherits that: the child takes Ctrl-C
    # back before it runs the command, as an interactive shell would have given it
    start = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from zoo.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", start, *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (program / "started").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    lines = stderr.splitlines()
    assert lines[-1] == "zoo: interrupted" and stdout == "" and "Traceback" not in stderr
    assert [line for line in lines if line.startswith("zoo:")] == ["zoo: interrupted"]
    nothing_left(tmp_path, out)


# -- the compiled-code cache ----------------------------------------------------------------

CACHE_SCRIPT = """
import os, stat, sys, warnings
from pathlib import Path
import zoo
cache = Path(sys.argv[1])
zoo.setup(cache=cache)
import jax, jax.numpy as jnp
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
f = lambda x: jnp.sin(x) @ jnp.cos(x).T + 1.0
def compile_once():
    jax.clear_caches()  # so that the compile reads the cache on disk
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        jax.jit(f)(jnp.ones((3, 3))).block_until_ready()
    return sum("persistent compilation cache" in str(w.message) for w in seen)
first = compile_once()
entries = [p for p in cache.iterdir() if p.name.endswith("-cache")]
for p in entries:
    p.write_bytes(b"corrupt")
corrupt, again = compile_once(), compile_once()
rebuilt = all(p.read_bytes() != b"corrupt" for p in entries)
modes = [oct(stat.S_IMODE(p.stat().st_mode)) for p in (cache, cache.parent)]
print(first, len(entries), corrupt, again, rebuilt, *modes)
"""


def test_a_corrupt_compiled_cache_entry_is_rebuilt_once(tmp_path):
    """An entry JAX cannot read is deleted when the read fails, so the compile that follows
    writes it again: one warning per corrupt entry, then none (JAX alone warned on every
    run and never rebuilt it). The cache folders it makes are private (0700)."""
    proc = subprocess.run(
        [sys.executable, "-c", CACHE_SCRIPT, str(tmp_path / "a" / "cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    first, entries, corrupt, again, rebuilt, *modes = proc.stdout.split()
    assert first == "0" and int(entries) > 0
    assert corrupt == entries and again == "0" and rebuilt == "True"
    assert modes == ["0o700", "0o700"]
