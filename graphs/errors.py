"""The error type ``graphs`` raises for bad input."""

from __future__ import annotations


class GraphError(ValueError):
    """Bad input to ``graphs``: an unknown node or network, a cycle, a file that is not a
    network. The message names the problem. A ``ValueError``, so ``except ValueError`` still
    catches it."""


__all__ = ["GraphError"]
