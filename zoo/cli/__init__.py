"""The ``zoo`` command: the parser, built from one module per command, and the exit codes.

``list``, ``show`` and ``dsep`` read structure only and never import JAX; ``fit`` imports it
once the data and options have passed their checks. The user's mistakes (a
:class:`~zoo.errors.ZooError`, a :class:`~graphs.errors.GraphError`, a usage error, an
``OSError`` on a path the user named) end with one line on stderr that names the problem and
exit code 2, never a traceback, and nothing written. Ctrl-C is one line, ``zoo: interrupted``,
and exit code 130, with any half-written output removed. Anything else is a bug: its
traceback shows (exit code 1 from the console script).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import USER_ERRORS, ZooError
from . import analyze, check, compare, dsep, fit, inspect_, list_, show, sweep

EXIT_USAGE = 2
#: Ctrl-C, as shells report a process ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130

# in the order of `zoo --help` and the docs' CLI reference
_COMMANDS = {
    "list": list_,
    "show": show,
    "dsep": dsep,
    "check": check,
    "fit": fit,
    "compare": compare,
    "sweep": sweep,
    "inspect": inspect_,
    "analyze": analyze,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise ZooError(message)


def _parser() -> _Parser:
    """The ``zoo`` parser (the docs' CLI reference walks it)."""
    parser = _Parser(prog="zoo", description="A zoo of generative models: structure, fits, cards.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS.values():
        command.add_parser(sub)
    return parser


def _named_by_user(err: OSError, args: argparse.Namespace | None) -> bool:
    """Whether ``err`` is about a path the user named (or one inside such a folder)."""
    if args is None or err.filename is None:
        return False
    values = []
    for value in vars(args).values():
        values += value if isinstance(value, list) else [value]
    named = set()
    for value in values:
        if isinstance(value, str | os.PathLike) and str(value):
            named.add(os.path.abspath(value))
            named.add(os.path.abspath(str(value).rsplit(":", 1)[0]))  # FILE.py:FUNCTION
    for filename in (err.filename, err.filename2):
        if filename is None:
            continue
        path = os.path.abspath(os.fsdecode(filename))
        if any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in named):
            return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zoo`` command; returns the exit code (2 for the user's mistakes)."""
    args = None
    try:
        args = _parser().parse_args(argv)
        if args.command is None:
            raise ZooError(
                f"missing COMMAND; expected one of {', '.join(_COMMANDS)} (see zoo --help)"
            )
        _COMMANDS[args.command].run(args)
    except OSError as err:
        if not _named_by_user(err, args):
            raise
        _error(err)
        return EXIT_USAGE
    except USER_ERRORS as err:
        _error(err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # what was being written is removed on the way out (atomic_path, staged_folder)
        print("zoo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    """The ``zoo`` console script: :func:`main`, then a prompt exit."""
    code = main(argv)
    # the interpreter's last garbage collection walks every object that JAX, SciPy and
    # pandas made, for a second or two after a compare, and finds nothing that still has
    # work to do: frozen objects are skipped
    gc.freeze()
    return code


def _error(err: Exception) -> None:
    message = " ".join(str(err).split())
    print(f"zoo: error: {message}", file=sys.stderr)


__all__ = ["main", "run"]
