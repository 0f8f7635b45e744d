"""The model zoo: generative models as NumPyro programs beside their DAGs.

The verbs and types a user needs live here: :func:`fit` (a family model or a bound program,
by NUTS, SVI or exactly), :func:`make_model`, :func:`inspect`, :func:`fit_card`, :func:`save` and
:func:`load`, :func:`compare`, :class:`Dataset` and :func:`load_data`, the registry
:data:`FAMILIES`, :func:`setup` and :class:`ZooError`.

Importing ``zoo`` is light and changes nothing global: the structure side (registry,
cards, CLI) needs only ``graphs``; JAX loads on the first fit, and :func:`setup` (called by
the first fit when nobody called it) sets JAX's host devices and caches.

The public modules are reachable from ``import zoo`` too, each loaded on first touch:
``zoo.analyses`` (the posterior analyses), ``zoo.calibration``, ``zoo.card``, ``zoo.claims``,
``zoo.data``, ``zoo.evaluate``, ``zoo.figures``, ``zoo.inspection``, ``zoo.models``,
``zoo.programs``, ``zoo.report`` and ``zoo.scripts`` (what the example scripts share).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._jax import setup
from .card import format_card, structure_card
from .data import Dataset, digits_split, load_data
from .errors import ZooError
from .inspection import inspect
from .models import FAMILIES, FamilySpec, get_family, make_model, register

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

    from .cards import Card, FitCard, ProgramFitCard
    from .inference._idata import FitResult
    from .persist import SavedFit

__version__ = "0.1.0"

# ``zoo.fit`` and ``zoo.compare`` are modules and verbs at once: each module is callable
# (it calls its function), so ``zoo.fit(model, data)`` works however it was imported, and
# JAX still loads only when one is first touched. The other public modules that the package
# does not import itself load on first touch as well.
_LAZY: tuple[str, ...] = (
    "fit",
    "compare",
    "analyses",
    "calibration",
    "claims",
    "evaluate",
    "figures",
)
_LAZY += ("programs", "report", "scripts")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def load(path: str | os.PathLike[str]) -> SavedFit:
    """Read back a fit saved by :func:`save` or ``zoo fit FAMILY --out DIR`` (see
    :mod:`zoo.persist`)."""
    from .persist import load as _load

    return _load(path)


def fit_card(
    result: FitResult, test: Dataset | None = None, **options: Any
) -> FitCard | ProgramFitCard:
    """The card of a fit: diagnostics, held-out score and LOO as records (see
    :func:`zoo.assess.fit_card`)."""
    from .assess import fit_card as _fit_card

    return _fit_card(result, test, **options)


def save(
    fit: FitResult,
    folder: str | os.PathLike[str],
    *,
    card: Card,
    figures: dict[str, Figure] | None = None,
) -> list[str]:
    """Write a fit, its card and figures into ``folder`` (see :mod:`zoo.persist`)."""
    from .persist import save as _save

    return _save(fit, folder, card=card, figures=figures)


__all__ = [
    "FAMILIES",
    "Dataset",
    "FamilySpec",
    "ZooError",
    "__version__",
    "compare",
    "digits_split",
    "fit",
    "fit_card",
    "format_card",
    "get_family",
    "inspect",
    "load",
    "load_data",
    "make_model",
    "register",
    "save",
    "setup",
    "structure_card",
]
