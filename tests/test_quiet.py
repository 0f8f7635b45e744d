"""Quiet by default: a plain ``zoo fit`` writes only the zoo's own lines on stderr (no
third-party FutureWarning or DeprecationWarning), and the zoo's own warnings still show."""

import os
import subprocess
import sys
import warnings

ZOO_LINES = ("note: ", "fitting ", "fitted in ", "zoo: warning: ")


def _env(tmp_path):
    # a fresh cache folder: ArviZ shows its refactor notice once a day per cache folder
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), MPLBACKEND="Agg")
    env.pop("PYTHONWARNINGS", None)
    return env


def test_arviz_alone_shows_its_notice(tmp_path):
    """What the zoo hides is really there: importing ArviZ itself prints the notice."""
    code = "import arviz"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, text=True
    )
    assert "FutureWarning" in proc.stderr and "ArviZ is undergoing" in proc.stderr


def test_plain_fit_writes_only_the_zoos_lines(tmp_path):
    argv = ["fit", "independent", "--chains", "2", "--warmup", "30", "--draws", "30"]
    proc = subprocess.run(
        [sys.executable, "-m", "zoo.cli", *argv, "--json"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines, "expected the zoo's progress notes"
    assert all(line.startswith(ZOO_LINES) for line in lines), proc.stderr
    assert "Warning" not in proc.stderr
    # 30 draws fail the ESS checks: the zoo's own warnings reach the user
    assert any(line.startswith("zoo: warning: ess") for line in lines), proc.stderr


def test_the_filter_is_narrow():
    from zoo._az import arviz

    before = list(warnings.filters)
    arviz()
    assert warnings.filters == before  # nothing left behind
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        arviz()
        # another FutureWarning (the zoo's or a library's) still shows
        warnings.warn_explicit("zoo: soon", FutureWarning, "zoo/x.py", 1, module="zoo.x")
    assert [str(w.message) for w in seen] == ["zoo: soon"]
