"""The old home of ``zoo.load``: its names now live in :mod:`zoo.persist`, beside ``save``."""

from .persist import SVI_FILE, SavedFit, load, svi_arrays

__all__ = ["SVI_FILE", "SavedFit", "load", "svi_arrays"]
