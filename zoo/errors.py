"""The zoo's error type for bad user input."""

from __future__ import annotations

from graphs.errors import GraphError


class ZooError(ValueError):
    """Bad input from the user: an unknown name, a bad option, data that do not fit. The
    message names the problem and the fix. The ``zoo`` command prints it as one line and exits
    with code 2; any other exception is a bug and keeps its traceback. A ``ValueError``, so
    ``except ValueError`` still catches it."""


#: what the ``zoo`` command reports as the user's mistake rather than as a bug
USER_ERRORS = (ZooError, GraphError)

__all__ = ["USER_ERRORS", "ZooError"]
