"""The model zoo: generative models as NumPyro programs beside their DAGs.

Importing ``zoo`` is light: the structure side (registry, cards, CLI) needs only
``graphs``; inference modules import JAX on first use.
"""

from .card import format_card, structure_card
from .inspection import inspect
from .models import FAMILIES, FamilySpec, get_family

__version__ = "0.1.0"

__all__ = [
    "FAMILIES",
    "FamilySpec",
    "__version__",
    "format_card",
    "get_family",
    "inspect",
    "structure_card",
]
