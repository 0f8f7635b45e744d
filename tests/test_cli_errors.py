"""The ``zoo`` command's exit codes: the user's mistakes are one line and exit 2, bugs keep
their traceback (exit 1 from the console script)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from graphs import GraphError
from zoo import ZooError
from zoo.cli import list_, main


def _raising(err: BaseException):
    def run(args):
        raise err

    return run


@pytest.mark.parametrize(
    "err",
    [ZooError("bad\n  input, the fix"), GraphError("bad\ngraph")],
    ids=["ZooError", "GraphError"],
)
def test_a_user_error_is_one_line_and_exit_2(monkeypatch, capsys, err):
    monkeypatch.setattr(list_, "run", _raising(err))
    assert main(["list"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"zoo: error: {' '.join(str(err).split())}\n"
    assert captured.out == ""


@pytest.mark.parametrize(
    "err", [KeyError("x"), ValueError("not the user's"), TypeError("bug")], ids=repr
)
def test_anything_else_propagates(monkeypatch, capsys, err):
    monkeypatch.setattr(list_, "run", _raising(err))
    with pytest.raises(type(err)):
        main(["list"])
    assert "zoo: error" not in capsys.readouterr().err


def test_errors_are_value_errors():
    assert issubclass(ZooError, ValueError) and issubclass(GraphError, ValueError)
    assert not issubclass(ZooError, GraphError) and not issubclass(GraphError, ZooError)


def test_an_os_error_on_a_named_path_is_exit_2(tmp_path, capsys):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, so nothing can be made under it")
    code = main(["show", "independent", "--n", "4", "--draw", str(blocked / "dag.png")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("zoo: error: ") and err.count("\n") == 1 and str(blocked) in err


def test_an_os_error_elsewhere_propagates(monkeypatch, tmp_path):
    err = PermissionError(13, "Permission denied", str(tmp_path / "not-named"))
    monkeypatch.setattr(list_, "run", _raising(err))
    with pytest.raises(PermissionError):
        main(["list"])


def test_console_script_shows_a_bug_with_exit_1():
    code = (
        "import sys\n"
        "from zoo.cli import list_, main\n"
        "def run(args):\n"
        "    raise KeyError('a bug')\n"
        "list_.run = run\n"
        "sys.exit(main(['list']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "KeyError: 'a bug'" in proc.stderr
    assert "zoo: error" not in proc.stderr
