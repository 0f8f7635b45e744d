"""The structure card: a model's nodes and edges, its parameter count beside the full
joint's, and its independence structure, as a plain dict (the JSON contract) and as text.

JSON keys are a contract scripts rely on: ``name``, ``nodes``, ``edges``, ``params.model``,
``params.full_joint``, ``params.log10_full_joint``, ``independence.local_markov`` and
``independence.markov_blankets`` are stable.
"""

from __future__ import annotations

from typing import Any

import graphs
from graphs import DAG

from .models import FamilySpec

_SHOW = 6  # statements and blankets listed in text before "... N more"


def structure_card(spec: FamilySpec, dag: DAG, options: dict[str, Any] | None = None) -> dict:
    """Everything ``zoo show`` reports about a family's structure, as JSON-ready data."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    model = spec.count(dag, **options)
    full = graphs.full_joint_count(dag)
    return {
        "name": spec.name,
        "title": spec.title,
        "dag": dag.name,
        "factorisation": spec.factorisation,
        "options": options,
        "nodes": [
            {"name": v.name, "card": v.card, "role": v.role, "pos": list(v.pos) if v.pos else None}
            for v in dag.variables
        ],
        "edges": [list(e) for e in dag.edges],
        "params": {
            "model": model,
            "conditional": spec.conditional(**options),
            "formula": spec.formula,
            "tabular": graphs.param_count(dag),
            "full_joint": full,
            "full_joint_over": [n for n in dag.nodes if dag.role(n) in ("observed", "label")],
            "log10_model": graphs.log10(model),
            "log10_full_joint": graphs.log10(full),
            "log10_ratio": graphs.log10(full) - graphs.log10(model),
        },
        "independence": graphs.independence_summary(dag),
    }


def _more(items: list, shown: int) -> list[str]:
    return [f"    ... {len(items) - shown} more"] if len(items) > shown else []


def format_statements(statements: list[dict]) -> list[str]:
    """The first few local Markov statements as text lines, then "... N more"."""
    lines = []
    for s in statements[:_SHOW]:
        rest = s["independent_of"]
        right = ", ".join(rest[:6]) + (f", ... ({len(rest)} nodes)" if len(rest) > 6 else "")
        given = " | " + ", ".join(s["given"]) if s["given"] else ""
        lines.append(f"    {s['node']} ⟂ {{{right}}}{given}")
    return lines + _more(statements, _SHOW)


def format_card(card: dict) -> str:
    """The card as terminal text."""
    p, ind, nodes = card["params"], card["independence"], card["nodes"]
    roles: dict[str, int] = {}
    for node in nodes:
        roles[node["role"]] = roles.get(node["role"], 0) + 1
    role_text = ", ".join(f"{k} {v}" for k, v in roles.items())
    lines = [
        f"{card['name']}: {card['title']}",
        f"  {card['factorisation']}",
        f"  {len(nodes)} nodes ({role_text}), {len(card['edges'])} edges",
        "parameters",
        f"  model       {p['model']:,}  ({p['conditional']}: {p['formula']})",
        f"  full joint  {p['full_joint']}",
        f"              = prod(cards over {len(p['full_joint_over'])} visible variables) - 1,"
        f" log10 = {p['log10_full_joint']:.2f}",
        f"  the full joint needs 10^{p['log10_ratio']:.2f} times as many parameters",
        "independence",
        f"  local Markov statements: {ind['local_markov_count']}",
    ]
    lines += format_statements(ind["local_markov"])
    blankets = list(ind["markov_blankets"].items())
    lines.append("  Markov blankets:")
    for node, blanket in blankets[:_SHOW]:
        shown = ", ".join(blanket[:8]) + (
            f", ... ({len(blanket)} nodes)" if len(blanket) > 8 else ""
        )
        lines.append(f"    {node}: {{{shown}}}")
    lines += _more(blankets, _SHOW)
    lines.append(f"  pairs d-separated given nothing: {100 * ind['dsep_share_marginal']:.1f}%")
    if "dsep_given" in ind:
        given = ", ".join(ind["dsep_given"])
        lines.append(f"  pairs d-separated given {{{given}}}: {100 * ind['dsep_share_given']:.1f}%")
    return "\n".join(lines)


# -- the fit card -----------------------------------------------------------------------

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
_OPS = {
    "rhat": "<",
    "ess_bulk": ">=",
    "ess_tail": ">=",
    "divergences": "=",
    "ebfmi": ">=",
    "elbo_converged": "|gain| <=",
    "khat": "<=",
}


def fit_card(
    spec: FamilySpec,
    model,
    result,
    test,
    options: dict[str, Any] | None = None,
    *,
    data: dict | None = None,
) -> dict:
    """Everything ``zoo fit`` reports, as JSON-ready data: the structure card of the model's
    DAG with the fit's ``family``, ``method``, ``method_reason``, ``diagnostics`` (see
    :data:`DIAGNOSTIC_KEYS`, plus ``checks`` and ``pass``), ``heldout`` (on ``test``),
    ``loo``, ``seconds`` and ``settings``; ``data`` describes the data when given.

    Imports JAX (through the evaluation). Numbers keep full precision; NaN and inf become
    null.
    """
    import time

    from .diagnostics import diagnose
    from .evaluate import heldout, loo

    start = time.perf_counter()
    card = structure_card(spec, model.dag, options)
    diagnostics = diagnose(result)
    for key in DIAGNOSTIC_KEYS:
        diagnostics.setdefault(key, None)
    scores = heldout(result, test)
    scores.pop("per_item")
    if model.dag.with_role("label") and test.y is not None:
        scores.update(_label_scores(model, result, test))
    try:
        loo_card = loo(result)
    except Exception as err:  # PSIS-LOO is a bonus; a failure must not lose the fit
        loo_card = {"error": " ".join(str(err).split()) or type(err).__name__}
    seconds = dict(result.seconds)
    seconds["evaluation"] = time.perf_counter() - start
    default = result.method == model.default_method
    card.update(
        family=spec.name,
        method=result.method,
        method_reason=model.method_reason if default else "chosen with --method",
        default_method=model.default_method,
        data=data or {},
        settings=dict(result.settings),
        diagnostics=diagnostics,
        heldout=scores,
        loo=loo_card,
        seconds=seconds,
    )
    return jsonable(card)


def _label_scores(model, result, test) -> dict:
    """Accuracy (when the model classifies) and -mean log p(x, y) per held-out item."""
    import jax.numpy as jnp

    from .evaluate import predictive_per_item

    draws = result.draws()
    log_joint = model.log_likelihood(draws, test)  # (draws, items): labels observed
    out = {"nats_per_item_joint": -float(jnp.mean(predictive_per_item(log_joint)))}
    from .models import Classifier

    if isinstance(model, Classifier):
        out["accuracy"] = float(model.accuracy(draws, test))
    return out


def jsonable(value):
    """``value`` with NumPy scalars and arrays as Python values, tuples as lists, and NaN
    or inf as ``None``, so ``json.dumps`` writes strict JSON."""
    import math

    import numpy as np

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


def _num(value, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1e5 or (value != 0 and abs(value) < 1e-3):
        return f"{value:.{digits}g}"
    return f"{value:,.{digits}g}" if abs(value) < 1 else f"{value:,.{max(1, digits - 2)}f}"


def _check_value(value) -> str:
    # four decimals near 1, so an R-hat of 1.0099 (a pass) never prints as 1.01
    if value is None or not abs(value) < 10:
        return _num(value)
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"


def _seconds(value) -> str:
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


def format_fit_card(card: dict) -> str:
    """The fit card as terminal text: the structure card, then the fit, its diagnostics
    with pass (✓) and fail (✗) marks and thresholds, the held-out score and the seconds."""
    lines = [format_card(card), "fit"]
    d, s = card["diagnostics"], card["settings"]
    lines.append(f"  method      {card['method']}  ({card['method_reason']})")
    data = card.get("data") or {}
    if data:
        held = data.get("test") if data.get("split") == "--test" else data.get("split")
        lines.append(
            f"  data        {data.get('train')}: {data.get('train_items'):,} training items, "
            f"{data.get('test_items'):,} held out ({held})"
        )
    shown = ("chains", "warmup", "draws") if card["method"] != "svi" else ()
    shown += ("steps", "guide", "learning_rate", "batch_size") if card["method"] == "svi" else ()
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
    lo = card.get("loo") or {}
    if "elpd_loo" in lo:
        share = lo.get("khat_over_0.7")
        lines += [
            "PSIS-LOO (training items)",
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
