"""The model zoo: generative models as NumPyro programs beside their DAGs.

Importing ``zoo`` is light: the structure side (registry, cards, CLI) needs only
``graphs``; inference modules import JAX on first use.
"""

from ._jax import setup
from .card import format_card, structure_card
from .errors import ZooError
from .inspection import inspect
from .models import FAMILIES, FamilySpec, get_family

__version__ = "0.1.0"


def load(path):
    """Read back a fit saved by ``zoo fit FAMILY --out DIR`` (see :mod:`zoo.saved`)."""
    from .saved import load as _load

    return _load(path)


__all__ = [
    "FAMILIES",
    "FamilySpec",
    "ZooError",
    "__version__",
    "format_card",
    "get_family",
    "inspect",
    "load",
    "setup",
    "structure_card",
]
