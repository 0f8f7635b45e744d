"""What the zoo knows about a family before any program runs: :class:`FamilySpec`, and
the rows it contributes to ``zoo compare`` and the analyses (:class:`Row`).

Each family module ends with its ``SPEC``; :mod:`zoo.models` collects them. Building a DAG
and counting parameters need only ``graphs`` (never JAX), so ``zoo list`` and ``zoo show``
stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import graphs
from graphs import DAG

from ..errors import ZooError

if TYPE_CHECKING:
    from ..data import Dataset
    from ._base import Family


@dataclass(frozen=True)
class Row:
    """One row of ``zoo compare``: the family with some options fixed.

    ``anomaly`` says whether the anomaly analysis scores the row too: ``True`` under the
    same name, a string for another name, ``False`` not at all. ``steps`` gives the row's
    optimisation steps per budget name (beside the budget's own table and default).
    """

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    anomaly: bool | str = True
    steps: Mapping[str, int] = field(default_factory=dict)

    @property
    def anomaly_name(self) -> str | None:
        """The row's name in the anomaly analysis, or ``None`` when it is not scored there."""
        if self.anomaly is True:
            return self.name
        return self.anomaly or None


def _tabular_count(dag: DAG, **_: Any) -> int:
    return graphs.param_count(dag)


def _tabular(**_: Any) -> str:
    return "tabular"


def _always(data: Dataset, options: Mapping[str, Any]) -> str | None:
    return None


def binary_only(data: Dataset, options: Mapping[str, Any]) -> str | None:
    """``unsupported`` for families of binary variables."""
    return None if all(c == 2 for c in data.cards) else "it models binary variables only"


@dataclass(frozen=True)
class FamilySpec:
    """A family: its names and maths for people, its structure, its model class.

    ``build(**options)`` gives the DAG (JAX-free); ``count(dag, **options)`` the exact free
    parameters; ``model`` is the :class:`~zoo.models._base.Family` subclass and ``make(dag,
    **options)`` builds one (by default ``model(dag, **options)``). ``rows`` are the rows
    it adds to ``zoo compare`` (default: one, under its own name; ``example`` gives small
    options for tests); ``classes`` says where a
    row's ``classes`` option comes from (``"labels"``: the data's label count,
    ``"setting"``: the caller's number of latent classes); ``unsupported(data, options)``
    names why the data cannot fit a row, or ``None``. ``order`` places it in listings.
    ``learn(data, options)``, for a family whose structure comes from data, gives the
    options that fix it, learned from the training ``data`` (see :meth:`learned`).
    """

    name: str
    title: str
    factorisation: str
    formula: str
    build: Callable[..., DAG]
    options: tuple[str, ...] = ()
    model: type[Family] | None = None
    make: Callable[..., Family] | None = None
    count: Callable[..., int] = _tabular_count
    conditional: Callable[..., str] = _tabular
    rows: tuple[Row, ...] | None = None
    classes: str | None = None
    unsupported: Callable[[Dataset, Mapping[str, Any]], str | None] = _always
    order: int = 1000
    module: str = ""
    amortisation: Callable[..., int] | None = None
    #: small options that build the family, for its contract tests and examples
    example: Mapping[str, Any] = field(default_factory=lambda: {"n": 4})
    learn: Callable[[Dataset, Mapping[str, Any]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.classes not in (None, "labels", "setting"):
            raise ZooError(
                f"family {self.name!r}: classes must be None, 'labels' or 'setting', "
                f"got {self.classes!r}"
            )
        if self.rows is None:
            object.__setattr__(self, "rows", (Row(self.name),))

    def row_options(
        self, row: Row, data: Dataset, latent_classes: int | None = None
    ) -> dict[str, Any]:
        """The options that build ``row`` for ``data``."""
        options: dict[str, Any] = {"n": data.n_vars, **row.options}
        if self.classes == "labels":
            options["classes"] = data.label_card
        elif self.classes == "setting" and latent_classes is not None:
            options["classes"] = latent_classes
        return self.learned(data, options)

    def learned(self, data: Dataset, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` with those the family learns from the training ``data`` (its
        structure, say) added; unchanged for a family without ``learn``. What it learns
        becomes an option, so the card records it and a saved fit rebuilds the same model."""
        return {**options, **(self.learn(data, options) if self.learn else {})}

    def has(self, ability: type) -> bool:
        """Whether the family's model declares ``ability`` (a mixin of ``_base``)."""
        return self.model is not None and issubclass(self.model, ability)
