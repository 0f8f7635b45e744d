"""The model zoo: generative models as NumPyro programs beside their DAGs.

Importing ``zoo`` is light: the structure side (registry, cards, CLI) needs only
``graphs``; inference modules import JAX on first use.
"""

from .card import format_card, structure_card
from .inspection import inspect
from .models import FAMILIES, FamilySpec, get_family

__version__ = "0.1.0"


def load(path):
    """Read back a fit saved by ``zoo fit FAMILY --out DIR`` (see :mod:`zoo.persist`)."""
    from .persist import load as _load

    return _load(path)


def save(fit, folder, *, card, figures=None):
    """Write a fit, its card and figures into ``folder`` (see :mod:`zoo.persist`)."""
    from .persist import save as _save

    return _save(fit, folder, card=card, figures=figures)


__all__ = [
    "FAMILIES",
    "FamilySpec",
    "__version__",
    "format_card",
    "get_family",
    "inspect",
    "load",
    "save",
    "structure_card",
]
