"""The structure card of a traced program: :func:`card` as JSON-ready data (the keys of
``zoo show``), :func:`format_card` as terminal text."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import graphs

if TYPE_CHECKING:
    from .inspection import ProgramStructure

#: the unrolled view is built for independence queries up to this many nodes
UNROLL_MAX = 400


def _full_joint(st: ProgramStructure) -> dict:
    """The full joint's count over the observed per-item variables, when all are finite."""
    obs = [n for n in st.item_sites() if st.sites[n].role == "observed"]
    cards = [c for n in obs if (c := st.sites[n].card) is not None]
    if not obs or len(cards) < len(obs):
        return {"full_joint": None, "log10_full_joint": None, "full_joint_over": obs}
    full = math.prod(cards) - 1
    return {"full_joint": full, "log10_full_joint": graphs.log10(full), "full_joint_over": obs}


def card(st: ProgramStructure, max_unrolled: int = UNROLL_MAX) -> dict:
    """The structure card of a traced program as JSON-ready data, with the keys of
    ``zoo show``: ``name``, ``nodes``, ``edges``, ``params`` (``params.model`` is the
    global count), ``independence``; plus ``plates``, ``data_plates`` and ``unrolled``."""
    from .card import jsonable

    params = dict(st.params)
    params.update(_full_joint(st))
    model = params["model"]
    if params["full_joint"] is not None and model > 0:
        params["log10_ratio"] = params["log10_full_joint"] - graphs.log10(model)
    dag = st.dag
    out: dict[str, Any] = {
        "name": st.name,
        "title": "a NumPyro program",
        "nodes": [s.to_dict() for s in st.sites.values()],
        "edges": [list(e) for e in dag.edges],
        "plates": [
            {"name": p.name, "size": p.size, "members": list(p.members)} for p in dag.plates
        ],
        "data_plates": list(st.data_plates),
        "params": params,
        "independence": graphs.independence_summary(dag),
    }
    try:
        unrolled = graphs.unroll(dag, max_nodes=max_unrolled)
    except ValueError as err:
        out["unrolled"] = {"skipped": " ".join(str(err).split())}
    else:
        out["unrolled"] = {
            "nodes": len(unrolled),
            "edges": len(unrolled.edges),
            "independence": graphs.independence_summary(unrolled),
        }
    ready: dict = jsonable(out)
    return ready


def format_card(c: dict) -> str:
    """A program card as terminal text."""
    from .card import format_statements

    p = c["params"]
    roles: dict[str, int] = {}
    for node in c["nodes"]:
        roles[node["role"]] = roles.get(node["role"], 0) + 1
    role_text = ", ".join(f"{k} {v}" for k, v in roles.items())
    lines = [f"{c['name']}: {c['title']}", f"  {len(c['nodes'])} sites ({role_text})"]
    for node in c["nodes"]:
        parents = [u for u, v in c["edges"] if v == node["name"]]
        plates = f" in {', '.join(node['plates'])}" if node["plates"] else ""
        shape = "x".join(map(str, node["shape"])) or "scalar"
        given = f" <- {', '.join(parents)}" if parents else ""
        lines.append(
            f"    {node['name']:<12} {node['role']:<13} {node['dist']} [{shape}]{plates}{given}"
        )
    for plate in c["plates"]:
        data = " (data plate)" if plate["name"] in c["data_plates"] else ""
        lines.append(
            f"  plate {plate['name']} of {plate['size']}{data}: {', '.join(plate['members'])}"
        )
    lines += [
        "parameters",
        f"  global      {p['model']:,}  (latent sites outside data plates, unconstrained)",
        f"  per item    {p['per_item']:,}  (latent sites inside data plates)",
    ]
    for kind, text in (
        ("discrete", "discrete global latents"),
        ("param", "numpyro.param"),
        ("network", "network weights"),
    ):
        if p[kind]:
            lines.append(f"  {kind:<11} {p[kind]:,}  ({text})")
    if p["full_joint"] is not None:
        lines.append(
            f"  full joint  {p['full_joint']}  over {len(p['full_joint_over'])} observed "
            f"per-item variables, log10 = {p['log10_full_joint']:.2f}"
        )
    ind = c["independence"]
    lines += ["independence", f"  local Markov statements: {ind['local_markov_count']}"]
    lines += format_statements(ind["local_markov"], ind.get("local_markov_count"))
    un = c["unrolled"]
    if "skipped" in un:
        lines.append(f"  unrolled view: skipped ({un['skipped']})")
    else:
        share = 100 * un["independence"]["dsep_share_marginal"]
        lines.append(
            f"  unrolled view: {un['nodes']} nodes, {un['edges']} edges, "
            f"{share:.1f}% of pairs d-separated given nothing"
        )
    return "\n".join(lines)
