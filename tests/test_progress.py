"""Progress bars: drawn on a terminal, never into a pipe or beside ``--json``, and never a
change to the numbers."""

import contextlib
import io
import json

import jax
import numpy as np

from zoo import progress
from zoo.cli import main

ARGV = ["fit", "markov-chain", "--chains", "2", "--warmup", "40", "--draws", "40"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(argv, err):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(argv) == 0, err.getvalue()
    return out.getvalue(), err.getvalue()


def test_wanted_needs_a_terminal_and_no_json():
    assert progress.wanted(stream=Terminal())
    assert not progress.wanted(json=True, stream=Terminal())
    assert not progress.wanted(stream=io.StringIO())
    closed = io.StringIO()
    closed.close()  # isatty raises on a closed stream
    assert not progress.wanted(stream=closed)


def test_iterations_names_the_nuts_phases():
    err = Terminal()
    with contextlib.redirect_stderr(err):
        show = progress.iterations("m NUTS", warmup=4)
        for done in (2, 4, 6, 8):
            show(done, 8)
    text = err.getvalue()
    assert "m NUTS warmup: 0/8 iterations |" in text
    assert "m NUTS sampling: 4/8 iterations |" in text  # the phase changes at once
    assert "m NUTS sampling: 8/8 iterations |" in text


def test_a_terminal_gets_a_bar_and_the_same_card():
    text, err = run(ARGV, Terminal())
    assert "markov-chain NUTS sampling: 80/80 iterations |" in err and "\r" in err
    assert "█" in err or "#" in err
    # a pipe: no bar, and the card's numbers are those of the terminal run
    plain, quiet = run([*ARGV, "--json"], io.StringIO())
    assert "iterations" not in quiet and "\r" not in quiet
    shown, tty_json = run([*ARGV, "--json"], Terminal())
    assert "iterations" not in tty_json and "\r" not in tty_json  # --json: no bar either
    a, b = json.loads(plain), json.loads(shown)
    assert a["diagnostics"] == b["diagnostics"] and a["heldout"] == b["heldout"]
    assert f"{a['heldout']['nats_per_item']:.2f} nats per item" in text  # the same score


def test_nuts_draws_are_the_same_with_a_bar():
    from zoo import fit
    from zoo.models import make_model

    model = make_model("naive-bayes", n=6, classes=2)
    data, _ = model.simulate(jax.random.PRNGKey(1), 60)
    with contextlib.redirect_stderr(io.StringIO()) as err:
        shown = fit(model, data, "nuts", chains=2, warmup=30, draws=30, progress=True)
    quiet = fit(model, data, "nuts", chains=2, warmup=30, draws=30)
    assert "naive-bayes NUTS sampling: 60/60 iterations" in err.getvalue()
    for name, value in quiet.draws().items():
        assert np.array_equal(value, shown.draws()[name]), name


def test_compare_rows_get_a_bar_and_the_same_rows():
    from zoo.compare import compare
    from zoo.data import digits_split

    train, test = digits_split()
    lines: list[str] = []
    with contextlib.redirect_stderr(Terminal()) as err:
        shown = compare(
            train, test, ["independent"], "quick", progress=lines.append, progress_bars=True
        )
    quiet = compare(train, test, ["independent"], "quick")
    assert "compare: 1/1 |" in err.getvalue()
    assert lines[0] == "[1/1] independent: fitting ..."
    assert shown.rows == quiet.rows and shown.curves == quiet.curves
