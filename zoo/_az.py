"""ArviZ, imported with its numba path off.

With numba installed (PyMC and nutpie bring it), arviz 0.23 computes some Monte Carlo
standard errors through numba ufuncs whose one-element results NumPy 2.4 refuses to turn into
floats, so ``az.summary`` fails; the NumPy path gives the same numbers.
"""

import arviz as az

if az.Numba.numba_flag:
    az.Numba.disable_numba()

__all__ = ["az"]
