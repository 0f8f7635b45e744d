"""pgmpy and BIF interop: convert :class:`~graphs.dag.DAG` values to and from pgmpy models,
read and write BIF files, and load pgmpy's bundled bnlearn networks by name.

pgmpy is imported inside functions only, so ``import graphs`` stays light.

Conventions
-----------
* Node order: a DAG built from a pgmpy model keeps the model's node (insertion) order, and
  :func:`to_pgmpy` adds nodes in DAG order, so ``from_pgmpy(to_pgmpy(d)) == d``.
* CPD layout: pgmpy's ``TabularCPD`` values have shape ``(card, prod(evidence cards))`` with
  the first evidence variable varying slowest; the zoo stores ``(card, *parent_cards)`` with
  parents in DAG node order. Conversion reshapes, then transposes the evidence axes.
* State names: a variable with ``states=None`` becomes integer states ``0 .. card-1`` in
  pgmpy (pgmpy's own default), and integer states ``0 .. card-1`` read from pgmpy become
  ``states=None`` again. Any other state names are kept, as strings.
* Roles: ``latent`` maps to pgmpy's ``latents``, ``label`` and ``deterministic`` to pgmpy
  roles of those names. Positions travel as the networkx node attribute ``pos``. In BIF
  files both are written as ``property role = latent ;`` / ``property pos = row,col ;``
  lines.
* Cards: pgmpy and BIF hold discrete variables only, so a DAG with a variable whose card is
  ``None`` (continuous or unbounded) is refused, naming that variable.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .dag import DAG, Variable
from .errors import GraphError
from .files import atomic_path

if TYPE_CHECKING:  # pragma: no cover - typing only; pgmpy loads on first use
    from pgmpy.models import DiscreteBayesianNetwork

# The discrete bnlearn networks that ship inside pgmpy (no download needed), small to large.
_NETWORKS = (
    "asia",
    "cancer",
    "earthquake",
    "sachs",
    "survey",
    "alarm",
    "barley",
    "child",
    "insurance",
    "mildew",
    "water",
    "hailfinder",
    "hepar2",
    "win95pts",
    "andes",
    "diabetes",
    "link",
    "munin1",
    "munin2",
    "munin3",
    "munin4",
    "pathfinder",
    "pigs",
    "munin",
)


# -- pgmpy -> DAG ------------------------------------------------------------------------


def from_pgmpy(
    model: Any, name: str | None = None, *, cards: Mapping[str, int] | None = None
) -> DAG:
    """Convert a pgmpy Bayesian network (or structure-only pgmpy DAG) to a :class:`DAG`.

    Nodes keep the model's node order. Cards and state names come from the CPDs; a node
    without a CPD takes its card from ``cards``, and a node with neither raises
    ``ValueError`` naming it. The DAG carries CPDs (converted to the zoo layout) only when
    every node has one. Nodes in ``model.latents`` get role "latent", nodes with pgmpy role
    "label" or "deterministic" get that role, all others "observed". ``name`` defaults to
    ``model.name``, else "bayesnet".
    """
    nodes = list(model.nodes())
    get_cpds = getattr(model, "get_cpds", None)
    cpd_list = get_cpds() if get_cpds is not None else []
    by_node = {cpd.variable: cpd for cpd in (cpd_list or [])}
    latents = set(getattr(model, "latents", None) or ())
    cards = dict(cards or {})

    variables = []
    for n in nodes:
        cpd = by_node.get(n)
        if cpd is not None:
            card = int(cpd.variable_card)
            states = _states_from_pgmpy(cpd.state_names.get(n), card)
        elif n in cards:
            card, states = int(cards[n]), None
        else:
            raise GraphError(
                f"node {n!r} has no CPD in the pgmpy model, so its number of states is "
                f"unknown; add a CPD or pass cards={{{n!r}: ...}}"
            )
        node_roles = model.nodes[n].get("roles") or ()
        role = "latent" if n in latents else "observed"
        for named in ("label", "deterministic"):
            if role == "observed" and named in node_roles:
                role = named
        pos = model.nodes[n].get("pos")
        pos = tuple(pos) if _is_int_pair(pos) else None
        variables.append(Variable(n, card, role=role, pos=pos, states=states))

    if name is None:
        name = getattr(model, "name", None) or "bayesnet"
    dag = DAG(variables, list(model.edges()), name=name)
    if not nodes or any(n not in by_node for n in nodes):
        return dag
    return dag.with_cpds({n: _cpd_to_array(dag, by_node[n]) for n in nodes})


def _states_from_pgmpy(names: Any, card: int) -> tuple[str, ...] | None:
    # pgmpy's default states are the ints 0..card-1: that is "no state names" in the zoo.
    if names is None:
        return None
    names = list(names)
    ints = all(isinstance(s, int | np.integer) and not isinstance(s, bool) for s in names)
    if ints and [int(s) for s in names] == list(range(card)):
        return None
    return tuple(str(s) for s in names)


def _is_int_pair(pos: Any) -> bool:
    return (
        isinstance(pos, tuple | list)
        and len(pos) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in pos)
    )


def _cpd_to_array(dag: DAG, cpd: Any) -> np.ndarray:
    """pgmpy TabularCPD -> array ``(card, *parent_cards)`` in the DAG's parent order."""
    node = cpd.variable
    evidence = list(cpd.variables[1:])
    parents = dag.parents(node)
    if set(evidence) != set(parents):
        raise GraphError(
            f"the CPD of {node!r} is conditioned on {evidence}, but its parents in the graph "
            f"are {list(parents)}"
        )
    shape = [int(c) for c in cpd.cardinality]
    arr = np.asarray(cpd.get_values(), dtype=float).reshape(shape)
    # The child's CPD may list a parent's states in another order than the parent's own CPD.
    for axis, ev in enumerate(evidence, start=1):
        own = dag.variable(ev).states
        here = cpd.state_names.get(ev)
        if own is None or here is None:
            continue
        here = [str(s) for s in here]
        if here != list(own):
            if sorted(here) != sorted(own):
                raise GraphError(
                    f"the CPD of {node!r} names the states of {ev!r} as {here}, but {ev!r} "
                    f"has states {list(own)}"
                )
            arr = np.take(arr, [here.index(s) for s in own], axis=axis)
    return arr.transpose([0, *(1 + evidence.index(p) for p in parents)])


# -- DAG -> pgmpy ------------------------------------------------------------------------


def _pgmpy_states(var: Variable, card: int) -> list[str] | list[int]:
    return list(var.states) if var.states is not None else list(range(card))


def _discrete_cards(dag: DAG, target: str) -> dict[str, int]:
    """Every node's card; ``ValueError`` naming the first node that has none."""
    cards = {}
    for var in dag.variables:
        if var.card is None:
            raise GraphError(
                f"node {var.name!r} of DAG {dag.name!r} has no finite number of states; "
                f"{target} needs discrete variables"
            )
        cards[var.name] = var.card
    return cards


def to_pgmpy(dag: DAG) -> DiscreteBayesianNetwork:
    """Convert a :class:`DAG` to a pgmpy ``DiscreteBayesianNetwork``.

    All nodes are added (isolated ones too) in DAG order. When the DAG carries CPDs, each
    becomes a ``TabularCPD`` with evidence in DAG parent order and explicit ``state_names``
    (the variable's states, or integers ``0 .. card-1`` when it has none), and the model
    passes ``check_model()``. Latent nodes go to ``model.latents``, label and deterministic
    nodes get the pgmpy role of that name, positions the node attribute ``pos``. Plates are
    not carried over. Raises ``ValueError`` naming the first node whose card is ``None``.
    """
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    card = _discrete_cards(dag, "a pgmpy network")

    model = DiscreteBayesianNetwork()
    for var in dag.variables:
        if var.pos is None:
            model.add_node(var.name)
        else:
            model.add_node(var.name, pos=var.pos)
    model.add_edges_from(dag.edges)
    # pgmpy keeps roles as node attributes, so they can only be set once the nodes exist.
    latents = dag.with_role("latent")
    if latents:
        model.latents = set(latents)
    for role in ("label", "deterministic"):
        if dag.with_role(role):
            model.with_role(role, dag.with_role(role), inplace=True)
    model.name = dag.name

    cpds = dag.cpds
    if cpds is not None:
        tables = []
        for n in dag.nodes:
            parents = dag.parents(n)
            # Zoo (card, *parent_cards) in parent order is exactly pgmpy's layout with
            # evidence=parents (first parent slowest), flattened over the parent axes.
            tables.append(
                TabularCPD(
                    n,
                    card[n],
                    np.asarray(cpds[n]).reshape(card[n], -1),
                    evidence=list(parents) or None,
                    evidence_card=[card[p] for p in parents] or None,
                    state_names={v: _pgmpy_states(dag.variable(v), card[v]) for v in (n, *parents)},
                )
            )
        model.add_cpds(*tables)
    return model


# -- bundled networks --------------------------------------------------------------------


def network_names() -> tuple[str, ...]:
    """Names of pgmpy's bundled discrete bnlearn networks, which load offline."""
    return _NETWORKS


def _example_model(name: str) -> DiscreteBayesianNetwork:
    """Parse one bundled network with pgmpy's example-model loader (a fresh model per call).

    This is the only place in ``graphs`` that names that loader (a test counts). It is
    deprecated for pgmpy 1.3 and emits a FutureWarning; pgmpy < 1.3 is pinned and it is the
    only offline loader, so that one warning is silenced here and nowhere else.
    """
    from pgmpy import utils as pgmpy_utils

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r".*is deprecated and will be removed in v1\.3",
            category=FutureWarning,
        )
        return pgmpy_utils.get_example_model(name)


def load_network(name: str) -> DAG:
    """One of :func:`network_names` as a :class:`DAG` with CPDs and state names.

    Cached: the DAG is immutable, so every call with a name returns the same object.
    Raises ``ValueError`` for an unknown name, listing the available ones.
    """
    if name not in _NETWORKS:
        close = difflib.get_close_matches(str(name), _NETWORKS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise GraphError(f"unknown network {name!r}{hint}; available: {', '.join(_NETWORKS)}")
    return _load_network(name)


@functools.lru_cache(maxsize=len(_NETWORKS))  # every network fits: none is evicted
def _load_network(name: str) -> DAG:
    return from_pgmpy(_example_model(name), name=name)


# -- BIF files ---------------------------------------------------------------------------


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bif"):
        name = name.removesuffix(suffix)
    return name or path.name


def from_bif(path: str | os.PathLike[str]) -> DAG:
    """Read a BIF file (``.bif``, or gzip-compressed ``.bif.gz``) into a :class:`DAG`.

    The DAG is named after the file stem and carries the file's CPDs and state names;
    ``property role = ...`` and ``property pos = row,col`` lines (as :func:`to_bif` writes
    them) set roles and positions. Raises ``ValueError`` naming the path when the file is
    missing or is not a valid BIF file.
    """
    from pgmpy.readwrite import BIFReader

    path = Path(path)
    if not path.is_file():
        raise GraphError(f"BIF file not found: {str(path)!r}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as f:
                text = f.read()
        else:
            text = path.read_text(encoding="utf-8")
        model = BIFReader(string=text, include_properties=True).get_model()
        if model.number_of_nodes() == 0:
            raise GraphError("it declares no variables")
        dag = from_pgmpy(model, name=_stem(path))
        if dag.cpds is None:
            raise GraphError("some variables have no probability table")
        return _apply_bif_properties(dag, model)
    except Exception as err:  # pgmpy's parser raises many kinds; report one clear error
        raise GraphError(f"{str(path)!r} is not a valid BIF file: {err}") from err


def _apply_bif_properties(dag: DAG, model: Any) -> DAG:
    variables = []
    for var in dag.variables:
        props = model.nodes[var.name]
        role = str(props.get("role", var.role)).strip()
        pos = var.pos
        if "pos" in props:
            row, col = (int(v) for v in str(props["pos"]).split(","))
            pos = (row, col)
        variables.append(Variable(var.name, var.card, role=role, pos=pos, states=var.states))
    return DAG(variables, dag.edges, name=dag.name, cpds=dag.cpds)


def to_bif(dag: DAG, path: str | os.PathLike[str]) -> None:
    """Write a DAG with CPDs to a BIF file (gzip-compressed when the name ends in ``.gz``).

    Uses pgmpy's ``BIFWriter``, which lists variables in sorted order, so reading the file
    back gives the same DAG up to node order. Roles other than "observed" and positions are
    written as BIF properties. The file is written to a temporary name beside ``path`` and
    then moved into place, so a failed write never leaves half a file.
    Raises ``ValueError`` naming the first node whose card is ``None``, or when the DAG
    carries no CPDs.
    """
    from pgmpy.readwrite import BIFWriter

    _discrete_cards(dag, "a BIF file")
    if dag.cpds is None:
        raise GraphError(f"DAG {dag.name!r} carries no CPDs, so there is nothing to write to BIF")
    model = to_pgmpy(dag)
    # BIFWriter writes every node attribute as a property: keep only ours, in plain text.
    for var in dag.variables:
        attrs = model.nodes[var.name]
        attrs.clear()
        if var.role != "observed":
            attrs["role"] = var.role
        if var.pos is not None:
            attrs["pos"] = f"{var.pos[0]},{var.pos[1]}"
    text = str(BIFWriter(model))

    path = Path(path)
    data = text.encode("utf-8")
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


__all__ = ["from_bif", "from_pgmpy", "load_network", "network_names", "to_bif", "to_pgmpy"]
