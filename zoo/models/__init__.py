"""The registry of zoo families: the only list of them.

Every public module of this package is a family: it ends with a ``SPEC``
(:class:`FamilySpec`) and holds the model class and its maths. The registry collects them
when the package is imported, ordered by ``SPEC.order``; :func:`register` adds one from
elsewhere (a plug-in, a test). The CLI's choices, ``zoo compare``'s rows, the analyses'
rows, the docs pages and the contract tests all read :data:`FAMILIES`.

Family modules import JAX lazily (:mod:`zoo._lazy`), so collecting them stays light.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import ZooError
from ._base import Classifier, Conjugate, Family, MapFits, Model, PointEstimate, Trained
from ._exact import ExactPredictive
from ._spec import FamilySpec, Row

_REGISTRY: dict[str, FamilySpec] = {}


class _Families(Mapping[str, FamilySpec]):
    """A read-only, always current view of the registry, in listing order."""

    def __getitem__(self, name: str) -> FamilySpec:
        return _REGISTRY[name]

    def __iter__(self) -> Iterator[str]:
        ordered = sorted(enumerate(_REGISTRY.values()), key=lambda p: (p[1].order, p[0]))
        return iter([spec.name for _, spec in ordered])

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __repr__(self) -> str:
        return f"FAMILIES({list(self)})"


#: every registered family by name (a live view: :func:`register` adds to it)
FAMILIES: Mapping[str, FamilySpec] = _Families()


def register(spec: FamilySpec, *, replace: bool = False) -> FamilySpec:
    """Add ``spec`` to the registry; ``ValueError`` if its name (or a row's) is taken."""
    if not isinstance(spec, FamilySpec):
        raise TypeError(f"register takes a FamilySpec, got {type(spec).__name__}")
    if spec.model is None or not issubclass(spec.model, Family):
        raise TypeError(f"family {spec.name!r}: model must be a zoo.models.Family subclass")
    if spec.name in _REGISTRY and not replace:
        raise ZooError(f"family {spec.name!r} is already registered")
    taken = {
        r.name: s.name for s in _REGISTRY.values() if s.name != spec.name for r in s.rows or ()
    }
    for row in spec.rows or ():
        if row.name in taken:
            raise ZooError(
                f"family {spec.name!r}: row {row.name!r} is already a row of {taken[row.name]!r}"
            )
    _REGISTRY[spec.name] = spec
    spec.model.family = spec.name
    spec.model.spec = spec
    return spec


def unregister(name: str) -> None:
    """Remove family ``name`` (for tests and plug-ins that clean up after themselves)."""
    _REGISTRY.pop(name, None)


def _discover() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, FamilySpec):
            raise TypeError(f"family module {module.__name__} defines no SPEC = FamilySpec(...)")
        if not spec.module:
            object.__setattr__(spec, "module", info.name)
        register(spec)


def get_family(name: str) -> FamilySpec:
    """The spec of family ``name``; ``ValueError`` naming the known families otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(FAMILIES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ZooError(f"unknown family {name!r}{hint}; expected one of {list(FAMILIES)}") from None


def model_options(spec: FamilySpec) -> set[str]:
    """Every option ``make_model`` accepts for ``spec``: the DAG's and the model's."""
    import inspect

    make = spec.make or spec.model
    if make is None:
        raise TypeError(f"family {spec.name!r} has no model")
    params = inspect.signature(make).parameters
    return set(spec.options) | {
        p
        for p, v in params.items()
        if p not in ("self", "dag", "_") and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)
    }


def make_model(name: str, **options: Any) -> Family:
    """The family's model object: its DAG built from ``options``, then the model."""
    import inspect

    spec = get_family(name)
    options = {k: v for k, v in options.items() if v is not None}
    allowed = model_options(spec)
    unknown = sorted(k for k in options if k not in allowed)
    if unknown:  # a misspelt option is never silently ignored
        raise ZooError(
            f"family {name!r} takes no option {unknown[0]!r}; its options: "
            f"{', '.join(sorted(allowed))}"
        )
    dag = spec.build(**options)
    make = spec.make or spec.model
    assert make is not None  # register() refuses a spec without a model
    params = inspect.signature(make).parameters
    takes_all = any(v.kind == v.VAR_KEYWORD for v in params.values())
    kwargs = options if takes_all else {k: v for k, v in options.items() if k in params}
    return make(dag, **kwargs)


def rows() -> dict[str, tuple[str, Row]]:
    """Every compare row by name: ``(family name, row)``, in listing order."""
    return {row.name: (name, row) for name, spec in FAMILIES.items() for row in spec.rows or ()}


def methods() -> tuple[str, ...]:
    """Every fitting method some registered family accepts, the sampling ones first."""
    found = {"nuts": None, "svi": None, "exact": None}
    for spec in FAMILIES.values():
        found.update(dict.fromkeys(spec.model.methods if spec.model else ()))
    return tuple(found)


_discover()

__all__ = [
    "FAMILIES",
    "Classifier",
    "Conjugate",
    "ExactPredictive",
    "Family",
    "FamilySpec",
    "MapFits",
    "Model",
    "PointEstimate",
    "Row",
    "Trained",
    "get_family",
    "make_model",
    "methods",
    "model_options",
    "register",
    "rows",
    "unregister",
]
