"""ArviZ with its numba path off, configured on first use.

With numba installed (PyMC and nutpie bring it), arviz 0.23 computes some Monte Carlo
standard errors through numba ufuncs whose one-element results NumPy 2.4 refuses to turn into
floats, so ``az.summary`` fails; the NumPy path gives the same numbers.

Importing this module changes nothing and imports no ArviZ: ``from zoo._az import az`` (or
:func:`arviz`) imports it and turns numba off when first asked for.

ArviZ 0.23 announces its coming refactor with a multi-line FutureWarning at import (once a
day); it concerns ArviZ's own API, not the zoo's results, so the import here hides that one
warning (by category, module and message) and nothing else.
"""

from __future__ import annotations

import warnings
from types import ModuleType

#: the start of ArviZ's import-time refactor notice (arviz/__init__.py, 0.23)
REFACTOR_NOTICE = r"\s*ArviZ is undergoing a major refactor"


def arviz() -> ModuleType:
    """The ``arviz`` module, its numba path off."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=REFACTOR_NOTICE, category=FutureWarning, module="arviz"
        )
        import arviz as az

    if az.Numba.numba_flag:
        az.Numba.disable_numba()
    return az


def __getattr__(name: str) -> ModuleType:
    if name == "az":
        return arviz()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["arviz", "az"]  # noqa: F822  (az comes from __getattr__)
