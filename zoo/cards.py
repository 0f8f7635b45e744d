"""The cards as data: plain records that inference builds (:mod:`zoo.assess`) and that the
text formatter (:mod:`zoo.card`), the JSON writer (:func:`dumps`) and the reports read.

Nothing here runs inference or imports JAX. Each record's ``to_json()`` gives the card's
JSON contract, key for key and in the printed order; ``from_json`` reads it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from ._data_source import KINDS, SPLITS, DataSource, FitData
from ._score_cards import Heldout, Loo
from .display import CardDisplay

if TYPE_CHECKING:
    from graphs import DAG

    from .models._spec import FamilySpec

#: a card's JSON object, key for key
JSON = dict[str, Any]

#: the most digits of the full joint's count a card prints (else its formula)
FULL_JOINT_DIGITS = 4000

__all__ = [
    "DIAGNOSTIC_KEYS",
    "KINDS",
    "SPLITS",
    "Check",
    "DataSource",
    "Diagnostics",
    "FitCard",
    "FitData",
    "Heldout",
    "Loo",
    "ProgramFitCard",
    "StructureCard",
    "dumps",
    "from_json",
    "jsonable",
]

#: diagnostics keys present in every fit card (null where the method has no such number)
DIAGNOSTIC_KEYS = (
    "rhat_max",
    "ess_bulk_min",
    "ess_tail_min",
    "divergences",
    "ebfmi_min",
    "elbo_final",
    "khat",
)


def jsonable(value: Any) -> Any:
    """``value`` with the records of this module as their JSON, NumPy scalars and arrays as
    Python values, tuples as lists, and NaN or inf as ``None``, so ``json.dumps`` writes
    strict JSON."""
    import dataclasses
    import math

    import numpy as np

    if dataclasses.is_dataclass(value) and hasattr(value, "to_json"):  # a card's record
        value = value.to_json()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(card: Card) -> str:
    """The one JSON text of a card (a record or its dict): what ``--json`` prints and
    ``card.json`` holds (without the final newline)."""
    return json.dumps(jsonable(card), indent=2, ensure_ascii=False)


# -- the structure card ------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class StructureCard(CardDisplay):
    """What ``zoo show`` reports about a family: nodes, edges, the parameter counts beside
    the full joint's (``params``) and the independence summary (``independence``)."""

    name: str
    title: str
    dag: str
    factorisation: str
    options: JSON
    nodes: list[JSON]
    edges: list[list[str]]
    params: JSON
    independence: JSON
    #: for a DAG over 2,000 nodes: the counts (``nodes``, ``edges``, ``roles``) and
    #: how many of each ``nodes`` and ``edges`` list (``shown``); None when they list all
    listed: JSON | None = None

    @classmethod
    def of(cls, spec: FamilySpec, dag: DAG, options: JSON | None = None) -> StructureCard:
        """The card of ``dag`` built by family ``spec`` with ``options`` (graphs only)."""
        from graphs.dag import gc_paused

        with gc_paused():  # a million-node card makes millions of objects, none cyclic
            return cls._of(spec, dag, options)

    @classmethod
    def _of(cls, spec: FamilySpec, dag: DAG, options: JSON | None) -> StructureCard:
        import graphs
        from graphs._summary_large import EXACT_NODES, SHOWN  # where graphs cuts its lists

        options = {k: v for k, v in (options or {}).items() if v is not None}
        model = spec.count(dag, **options)
        full_count = graphs.full_joint_count(dag)
        # too many digits to print (Python refuses beyond 4,300): the formula instead
        full = full_count if full_count < 10**FULL_JOINT_DIGITS else graphs.full_joint_formula(dag)
        variables, listed = dag.variables, None  # one pass each, no lookup by name per node
        over = [v.name for v in variables if v.role in ("observed", "label")]
        params: JSON = {
            "model": model,
            "conditional": spec.conditional(**options),
            "formula": spec.formula,
            # a tabular count needs every node finite (a continuous latent has none)
            "tabular": (
                graphs.param_count(dag) if all(v.card is not None for v in variables) else None
            ),
            "full_joint": full,
            "full_joint_over": over,
            "log10_model": graphs.log10(model),
            "log10_full_joint": graphs.log10(full_count),
            "log10_ratio": graphs.log10(full_count) - graphs.log10(model),
        }
        if spec.amortisation is not None:  # fitted beside the model, so counted apart
            params["amortisation"] = spec.amortisation(dag, **options)
        edges = (
            (p, child) for child in dag.nodes for p in dag.parents(child)
        )  # the order of dag.edges, lazily
        if len(variables) > EXACT_NODES:
            params["full_joint_over"] = over[:SHOWN]
            params["full_joint_over_count"] = len(over)
            roles: dict[str, int] = {}
            for v in variables:
                roles[v.role] = roles.get(v.role, 0) + 1
            count = len(dag.edges)
            listed = {"nodes": len(variables), "edges": count, "roles": roles, "shown": SHOWN}
            variables = variables[:SHOWN]
        nodes = [
            {"name": v.name, "card": v.card, "role": v.role, "pos": list(v.pos) if v.pos else None}
            for v in variables
        ]
        return cls(
            name=spec.name,
            title=spec.title,
            dag=dag.name,
            factorisation=spec.factorisation,
            options=options,
            nodes=nodes,
            edges=[list(e) for e in (islice(edges, SHOWN) if listed else edges)],
            params=params,
            independence=graphs.independence_summary(dag),
            listed=listed,
        )

    def to_json(self) -> JSON:
        """This record as its JSON dict (``listed`` only when the lists are cut short)."""
        out = {k: getattr(self, k) for k in _STRUCTURE_KEYS}
        if out["listed"] is None:
            del out["listed"]
        return out

    @classmethod
    def from_json(cls, d: JSON) -> StructureCard:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        return cls(**{k: d[k] for k in _STRUCTURE_KEYS if k in d})


_STRUCTURE_KEYS = tuple(StructureCard.__dataclass_fields__)


# -- what a fit adds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One diagnostic check: its value, its threshold and whether it passes."""

    value: float | None
    threshold: float
    passed: bool

    def to_json(self) -> JSON:
        """This record as its JSON dict."""
        return {"value": self.value, "threshold": self.threshold, "pass": self.passed}

    @classmethod
    def from_json(cls, d: JSON) -> Check:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        return cls(d["value"], d["threshold"], d["pass"])


@dataclass(frozen=True)
class Diagnostics:
    """A fit's diagnostics: ``values`` are the method's numbers in the order
    :func:`zoo.diagnostics.diagnose` gives them (``scope``, ``rhat_max``, ... for MCMC;
    ``elbo_final``, ``khat``, ``guide``, ... for SVI), then each check, whether all pass and
    one warning line per failed check. :data:`DIAGNOSTIC_KEYS` missing from ``values`` are
    written as null."""

    values: JSON
    checks: dict[str, Check]
    passed: bool
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str) -> Any:
        """A number of ``values`` (``None`` when the method has none)."""
        return self.values.get(key)

    def to_json(self) -> JSON:
        """This record as its JSON dict."""
        out = dict(self.values)
        out["checks"] = {k: c.to_json() for k, c in self.checks.items()}
        out.update({"pass": self.passed, "warnings": list(self.warnings)})
        out.update({k: None for k in DIAGNOSTIC_KEYS if k not in self.values})
        return out

    @classmethod
    def from_json(cls, d: JSON) -> Diagnostics:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        keys = list(d)
        end = keys.index("warnings") + 1 if "warnings" in keys else len(keys)
        rest = ("checks", "pass", "warnings")
        values = {k: d[k] for k in keys[:end] if k not in rest}
        # after the warnings come only the nulls that fill DIAGNOSTIC_KEYS
        values.update({k: d[k] for k in keys[end:] if k not in DIAGNOSTIC_KEYS})
        checks = {k: Check.from_json(c) for k, c in d["checks"].items()}
        return cls(values, checks, d["pass"], list(d.get("warnings", [])))


@dataclass(frozen=True, repr=False)
class FitCard(CardDisplay):
    """Everything ``zoo fit FAMILY`` reports: the structure card, then the fit's family,
    method and why, the data, settings, diagnostics, held-out score, LOO and seconds."""

    structure: StructureCard
    family: str
    method: str
    method_reason: str
    default_method: str
    data: FitData | None
    settings: JSON
    diagnostics: Diagnostics
    heldout: Heldout
    loo: Loo
    seconds: dict[str, float]

    def to_json(self) -> JSON:
        """This record as its JSON dict."""
        out = self.structure.to_json()
        out.update(
            family=self.family,
            method=self.method,
            method_reason=self.method_reason,
            default_method=self.default_method,
            data={} if self.data is None else self.data.to_json(),
            settings=dict(self.settings),
            diagnostics=self.diagnostics.to_json(),
            heldout=self.heldout.to_json(),
            loo=self.loo.to_json(),
            seconds=dict(self.seconds),
        )
        json_out: JSON = jsonable(out)
        return json_out

    @classmethod
    def from_json(cls, d: JSON) -> FitCard:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        return cls(
            StructureCard.from_json(d),
            d["family"],
            d["method"],
            d["method_reason"],
            d["default_method"],
            FitData.from_json(d["data"]) if d.get("data") else None,
            dict(d["settings"]),
            Diagnostics.from_json(d["diagnostics"]),
            Heldout.from_json(d["heldout"]),
            Loo.from_json(d["loo"]),
            dict(d["seconds"]),
        )


@dataclass(frozen=True, repr=False)
class ProgramFitCard(CardDisplay):
    """Everything ``zoo fit FILE.py:FUNCTION`` reports: the program's structure card (as
    :func:`zoo.inspection.card` gives it), the program's name, method and settings, which
    data keys went where, the posterior summary, diagnostics, LOO and seconds."""

    structure: JSON
    program: str
    method: str
    settings: JSON
    data_keys: JSON
    posterior: JSON
    diagnostics: Diagnostics
    loo: Loo
    seconds: dict[str, float]

    def to_json(self) -> JSON:
        """This record as its JSON dict."""
        out = dict(self.structure)
        out.update(
            program=self.program,
            method=self.method,
            settings=dict(self.settings),
            data_keys=self.data_keys,
            posterior=self.posterior,
            diagnostics=self.diagnostics.to_json(),
            loo=self.loo.to_json(),
            seconds=dict(self.seconds),
        )
        json_out: JSON = jsonable(out)
        return json_out

    @classmethod
    def from_json(cls, d: JSON) -> ProgramFitCard:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        fit_keys: tuple[str, ...] = ("program", "method", "settings", "data_keys", "posterior")
        fit_keys += ("diagnostics", "loo", "seconds")
        return cls(
            {k: v for k, v in d.items() if k not in fit_keys},
            d["program"],
            d["method"],
            dict(d["settings"]),
            d["data_keys"],
            d["posterior"],
            Diagnostics.from_json(d["diagnostics"]),
            Loo.from_json(d["loo"]),
            dict(d["seconds"]),
        )


#: a card as one of the records above or its JSON dict (what printing and saving take)
Card = StructureCard | FitCard | ProgramFitCard | JSON


def from_json(d: JSON) -> FitCard | ProgramFitCard | StructureCard:
    """The record a card's JSON describes: a :class:`FitCard` (it has ``family``), a
    :class:`ProgramFitCard` (``program`` and ``posterior``) or a :class:`StructureCard`."""
    if "family" in d:
        return FitCard.from_json(d)
    if "program" in d and "posterior" in d:
        return ProgramFitCard.from_json(d)
    return StructureCard.from_json(d)
