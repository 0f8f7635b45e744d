"""The one text formatter of the cards: a family's structure card (``zoo show``), a family
fit card and a program fit card (``zoo fit``), from their records (:mod:`zoo.cards`) or
their JSON dicts. It reads cards only: no inference runs here and no JAX is imported.

JSON keys are a contract scripts rely on: ``name``, ``nodes``, ``edges``, ``params.model``,
``params.full_joint``, ``params.log10_full_joint``, ``independence.local_markov`` and
``independence.markov_blankets`` are stable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphs import DAG

from .cards import DIAGNOSTIC_KEYS, StructureCard, jsonable
from .display import counts
from .models import FamilySpec

if TYPE_CHECKING:
    from .cards import Card

__all__ = [
    "DIAGNOSTIC_KEYS",
    "fit_card",
    "format_card",
    "format_diagnostics",
    "format_fit_card",
    "format_statements",
    "jsonable",
    "structure_card",
]

_SHOW = 6  # statements and blankets listed in text before "... N more"


def structure_card(spec: FamilySpec, dag: DAG, options: dict[str, Any] | None = None) -> dict:
    """Everything ``zoo show`` reports about a family's structure, as JSON-ready data (the
    JSON of :meth:`zoo.cards.StructureCard.of`)."""
    return StructureCard.of(spec, dag, options).to_json()


def fit_card(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The JSON of a family fit's card: :func:`zoo.assess.family_card` (same arguments),
    kept under its old name (it imports JAX and runs the evaluation there, not here)."""
    from .assess import family_card

    return family_card(*args, **kwargs).to_json()


def _more(items: list, shown: int, total: int | None = None) -> list[str]:
    """ "... N more" after ``shown`` of ``total`` items (default: all of ``items``)."""
    total = len(items) if total is None else total
    return [f"    ... {total - shown:,} more"] if total > shown else []


def format_statements(statements: list[dict], total: int | None = None) -> list[str]:
    """The first few local Markov statements as text lines, then "... N more" (of ``total``,
    when the list is cut short)."""
    lines = []
    for s in statements[:_SHOW]:
        rest = s["independent_of"]
        count = s.get("independent_of_count", len(rest))
        right = ", ".join(rest[:6]) + (f", ... ({count:,} nodes)" if count > 6 else "")
        given = " | " + ", ".join(s["given"]) if s["given"] else ""
        lines.append(f"    {s['node']} ⟂ {{{right}}}{given}")
    return lines + _more(statements, _SHOW, total)


def format_card(card: Card) -> str:
    """A card as terminal text: a :class:`~zoo.cards.StructureCard`, a
    :class:`~zoo.cards.FitCard` or a :class:`~zoo.cards.ProgramFitCard`, or the JSON dict of
    any of them (a program's structure card is :func:`zoo.inspection.format_card`'s).

    A fit card prints its structure, then the fit: each diagnostic check with its pass (✓)
    or fail (✗) mark and threshold, the held-out score (families) or the posterior table
    (programs), and the seconds.
    """
    c = card.to_json() if hasattr(card, "to_json") else card
    if "family" in c:
        return _fit_text(c)
    if "program" in c and "posterior" in c:
        return _program_text(c)
    if "plates" in c:  # a program's structure card
        from .inspection import format_card as program_structure

        return program_structure(c)
    return _structure_text(c)


#: the old names of :func:`format_card` for fit cards
format_fit_card = format_card


def _structure_text(card: dict) -> str:
    p, ind, nodes = card["params"], card["independence"], card["nodes"]
    roles: dict[str, int] = {}
    for node in nodes:
        roles[node["role"]] = roles.get(node["role"], 0) + 1
    roles = (card.get("listed") or {}).get("roles", roles)
    role_text = ", ".join(f"{k} {v}" for k, v in roles.items())
    n_nodes, n_edges = counts(card)
    lines = [
        f"{card['name']}: {card['title']}",
        f"  {card['factorisation']}",
        f"  {n_nodes:,} nodes ({role_text}), {n_edges:,} edges",
        "parameters",
        f"  model       {p['model']:,}  ({p['conditional']}: {p['formula']})",
        *(
            [f"  amortised   {p['amortisation']:,}  (fitted beside the model, not part of it)"]
            if "amortisation" in p
            else []
        ),
        f"  full joint  {p['full_joint']}",
        f"              = prod(cards over "
        f"{p.get('full_joint_over_count', len(p['full_joint_over'])):,} visible variables) - 1,"
        f" log10 = {p['log10_full_joint']:.2f}",
        f"  the full joint needs 10^{p['log10_ratio']:.2f} times as many parameters",
        "independence",
        f"  local Markov statements: {ind['local_markov_count']}",
    ]
    lines += format_statements(ind["local_markov"], ind["local_markov_count"])
    blankets = list(ind["markov_blankets"].items())
    lines.append("  Markov blankets:")
    for node, blanket in blankets[:_SHOW]:
        shown = ", ".join(blanket[:8]) + (
            f", ... ({len(blanket)} nodes)" if len(blanket) > 8 else ""
        )
        lines.append(f"    {node}: {{{shown}}}")
    lines += _more(blankets, _SHOW, n_nodes if "markov_blankets_shown" in ind else None)
    lines.append(f"  pairs d-separated given nothing: {_share(ind, 'dsep_share_marginal')}")
    if "dsep_given" in ind:
        given = ", ".join(ind["dsep_given"])
        lines.append(f"  pairs d-separated given {{{given}}}: {_share(ind, 'dsep_share_given')}")
    return "\n".join(lines)


def _share(ind: dict, key: str) -> str:
    """A share of pairs in percent, with its standard error when it was estimated."""
    if ind.get(key) is None:
        return "not computed (too large to answer exactly)"
    se = ind.get(f"{key}_se")
    return f"{100 * ind[key]:.1f}%" + (f" ± {100 * se:.1f}% (sampled pairs)" if se else "")


_OPS = {
    "rhat": "<",
    "ess_bulk": ">=",
    "ess_tail": ">=",
    "divergences": "=",
    "ebfmi": ">=",
    "elbo_converged": "|gain| <=",
    "khat": "<=",
}


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1e5 or (value != 0 and abs(value) < 1e-3):
        return f"{value:.{digits}g}"
    return f"{value:,.{digits}g}" if abs(value) < 1 else f"{value:,.{max(1, digits - 2)}f}"


def _detail(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_detail(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_detail(v) for v in value) + "]"
    return _num(value) if isinstance(value, int | float) else str(value)


def _check_value(value: Any) -> str:
    # four decimals near 1, so an R-hat of 1.0099 (a pass) never prints as 1.01
    if value is None or not abs(value) < 10:
        return _num(value)
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_diagnostics(d: dict) -> list[str]:
    """The diagnostics block: each check with its pass (✓) or fail (✗) mark and threshold."""
    scope = f"  ({d['scope']})" if d.get("scope") else ""
    lines = [f"diagnostics{scope}"]
    for name, check in d["checks"].items():
        mark = "✓" if check["pass"] else "✗"
        op = _OPS.get(name, "vs")
        lines.append(
            f"  {mark} {name:<15} {_check_value(check['value']):>12}   need {op} "
            f"{_num(check['threshold'])}"
        )
    n_pass = sum(c["pass"] for c in d["checks"].values())
    verdict = "pass" if d["pass"] else "FAIL"
    lines.append(f"  {verdict}: {n_pass} of {len(d['checks'])} checks pass")
    return lines


def _fit_text(card: dict) -> str:
    lines = [_structure_text(card), "fit"]
    d, s = card["diagnostics"], card["settings"]
    lines.append(f"  method      {card['method']}  ({card['method_reason']})")
    data = card.get("data") or {}
    if data:
        held = data.get("test") if data.get("split") == "--test" else data.get("split")
        lines.append(
            f"  data        {data.get('train')}: {data.get('train_items'):,} training items, "
            f"{data.get('test_items'):,} held out ({held})"
        )
    optimised = "steps" in s  # SVI and trained families; samplers have no steps
    shown: tuple[str, ...] = ("steps", "guide", "learning_rate", "batch_size") if optimised else ()
    shown = shown or ("chains", "warmup", "draws")
    parts = [f"{k} {s[k]}" for k in ("seed", *shown) if s.get(k) is not None]
    lines.append(f"  settings    {', '.join(parts)}")
    lines += format_diagnostics(d)
    h = card["heldout"]
    lines += [
        f"held-out ({h['items']:,} items)",
        f"  {_num(h['nats_per_item'])} nats per item, {_num(h['bits_per_dim'])} bits per dim",
    ]
    if "nats_per_item_joint" in h:
        lines.append(f"  {_num(h['nats_per_item_joint'])} nats per item for (x, label)")
    if "accuracy" in h:
        lines.append(f"  accuracy {100 * h['accuracy']:.1f}%")
    for name, value in (h.get("details") or {}).items():
        lines.append(f"  {name.replace('_', ' ')}: {_detail(value)}")
    lo = card.get("loo") or {}
    if "elpd_loo" in lo:
        share = lo.get("khat_over_0.7")
        lines += [
            "exact LOO (closed form, training items)"
            if lo.get("exact")
            else "PSIS-LOO (training items)",
            f"  elpd_loo {_num(lo['elpd_loo'])} ± {_num(lo['se'])}, p_loo {_num(lo['p_loo'])}, "
            f"k-hat > 0.7 for {_num(100 * share if share is not None else None, 3)}% of items",
        ]
    elif lo.get("error"):
        lines += ["PSIS-LOO", f"  not available: {lo['error']}"]
    sec = card["seconds"]
    parts = [
        f"{k.replace('_', ' ')} {v:.2f}"
        for k, v in sec.items()
        if k not in ("total", "evaluation") and v is not None
    ]
    total = _seconds(sec.get("total"))
    lines += ["seconds", f"  fit {total} ({', '.join(parts)})"]
    if "evaluation" in sec:
        lines.append(f"  diagnostics and scores {_seconds(sec['evaluation'])}")
    return "\n".join(lines)


def _program_text(c: dict) -> str:
    from .inspection import format_card as program_structure

    settings = ", ".join(f"{k} {v}" for k, v in c["settings"].items() if v is not None)
    lines = [program_structure(c), f"fit: {c['method']} ({settings})"]
    lines.append(f"  {'element':<16}{'mean':>11}{'sd':>10}{'ess_bulk':>10}{'r_hat':>8}")
    rows = list(c["posterior"].items())
    for name, r in rows[:30]:
        lines.append(
            f"  {name:<16}{_fixed(r['mean'], 4):>11}{_fixed(r['sd'], 4):>10}"
            f"{_fixed(r['ess_bulk'], 0):>10}{_fixed(r['r_hat'], 3):>8}"
        )
    if len(rows) > 30:
        lines.append(f"  ... {len(rows) - 30} more elements (see --json)")
    lines += format_diagnostics(c["diagnostics"])
    lines.append(f"seconds: {c['seconds']['total']:.1f}")
    return "\n".join(lines)


def _fixed(v: float | None, decimals: int) -> str:
    return "nan" if v is None else f"{v:.{decimals}f}"
