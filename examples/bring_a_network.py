"""Bring a network: one of pgmpy's bundled Bayesian networks (offline) or a BIF file, its
BIF round trip, data sampled from its tables, the Bayesian network family fitted to them,
and the fitted tables and a query put beside pgmpy's exact inference on the true network.

    .venv/bin/python examples/bring_a_network.py [--size small|full] [--network NAME | --bif PATH]
        [--items N] [--method nuts|exact] [--chains N] [--warmup N] [--draws N]
        [--query VAR] [--evidence VAR=STATE ...] [--seed N] [--out DIR]

--network defaults to asia (`graphs.network_names()` lists all 24); --bif reads your own file
instead. --size full (the default) samples 5,000 items and runs NUTS with 4 chains x 1000 +
1000; small samples 1,000 and runs 2 x 200 + 200; the other flags override the preset. 20
percent of the items are held out. The query is P(VAR | evidence), by pgmpy's variable
elimination on the true tables and on posterior draws of the fitted ones (for asia: lung
cancer for a smoker with shortness of breath). Writes NAME.bif (the round trip), result.json
(every number but the seconds) and PNG figures: the DAG, the rank plots, the fitted tables
against the true ones and the query.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

import graphs
import zoo
from graphs import DAG

PRESETS = {
    "small": {"items": 1000, "chains": 2, "warmup": 200, "draws": 200, "query_draws": 50},
    "full": {"items": 5000, "chains": 4, "warmup": 1000, "draws": 1000, "query_draws": 200},
}
# asia's question: how likely is lung cancer for a smoker short of breath?
QUERIES = {"asia": ("lung", {"smoke": "yes", "dysp": "yes"})}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=list(PRESETS), default="full", help="preset (full)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--network", default=None, help="a pgmpy bundled network (asia)")
    source.add_argument("--bif", metavar="PATH", help="a BIF file (.bif or .bif.gz)")
    p.add_argument("--items", type=zoo.scripts.count(10), help="items sampled from the network")
    p.add_argument("--method", choices=["nuts", "exact"], default="nuts", help="(nuts)")
    p.add_argument("--chains", type=zoo.scripts.count(1), help="chains")
    p.add_argument("--warmup", type=zoo.scripts.count(1), help="NUTS warm-up iterations per chain")
    p.add_argument("--draws", type=zoo.scripts.count(1), help="draws per chain")
    p.add_argument(
        "--query-draws", type=zoo.scripts.count(2), help="posterior draws the query runs on"
    )
    p.add_argument("--query", metavar="VAR", help="the queried variable")
    p.add_argument(
        "--evidence", nargs="+", default=None, metavar="VAR=STATE", help="observed states"
    )
    p.add_argument("--seed", type=zoo.scripts.count(0), default=0, help="seed (0)")
    p.add_argument("--out", default="zoo-examples/bring_a_network", help="output folder")
    return p


# -- the network and its BIF round trip ----------------------------------------------------


def aligned(dag: DAG, other: DAG, node: str) -> np.ndarray:
    """``other``'s table of ``node`` with its parent axes in ``dag``'s parent order (a BIF
    file lists variables sorted, so the parents may come back in another order)."""
    theirs = other.parents(node)
    return np.transpose(other.cpds[node], [0, *(1 + theirs.index(p) for p in dag.parents(node))])


def round_trip(dag: DAG, path: Path) -> bool:
    """Write ``dag`` as BIF, read it back: same variables, states, edges and tables?"""
    graphs.to_bif(dag, path)
    back = graphs.from_bif(path)
    same = (
        set(back.nodes) == set(dag.nodes)
        and set(back.edges) == set(dag.edges)
        and all(back.variable(n).states == dag.variable(n).states for n in dag.nodes)
    )
    return same and all(np.allclose(aligned(dag, back, n), dag.cpds[n]) for n in dag.nodes)


# -- the query -------------------------------------------------------------------------------


def parse_query(dag: DAG, query: str | None, evidence: list[str] | None) -> tuple[str, dict]:
    """The queried variable and the evidence (state names, or integer codes for a variable
    without names); asia has a default, any other network queries its first root given its
    last variable's first state."""
    default_var, default_ev = QUERIES.get(dag.name, (None, None))
    if query is None and evidence is None and default_var in dag:
        return default_var, dict(default_ev)
    order = dag.topological_order()
    var = query or order[0]
    if evidence is None:
        last = order[-1] if order[-1] != var else order[-2]
        return _check_query(dag, var, {last: _state_names(dag, last)[0]})
    pairs = {}
    for item in evidence:
        name, sep, state = item.partition("=")
        if not sep:
            raise ValueError(f"--evidence {item!r}: expected VAR=STATE")
        pairs[name] = state
    return _check_query(dag, var, pairs)


def _state_names(dag: DAG, node: str) -> list:
    var = dag.variable(node)
    return list(var.states) if var.states is not None else list(range(var.card))


def _check_query(dag: DAG, var: str, evidence: dict) -> tuple[str, dict]:
    dag.check_nodes([var, *evidence])
    if var in evidence:
        raise ValueError(f"{var!r} is both queried and observed")
    out = {}
    for name, state in evidence.items():
        states = _state_names(dag, name)
        value = state if dag.variable(name).states is not None else _int_or(state)
        if value not in states:
            raise ValueError(f"--evidence {name}={state}: {name!r} has states {states}")
        out[name] = value
    return var, out


def _int_or(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return text


def query(dag: DAG, var: str, evidence: dict) -> np.ndarray:
    """P(var | evidence) by pgmpy's variable elimination on ``dag``'s tables."""
    with warnings.catch_warnings():  # pgmpy < 1.3 announces its renames on import
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.inference import VariableElimination

    answer = VariableElimination(graphs.to_pgmpy(dag)).query(
        [var], evidence=evidence, show_progress=False
    )
    # pgmpy orders the states as the network names them; put them in the DAG's order
    names = answer.state_names[var]
    return np.array([answer.values[names.index(s)] for s in _state_names(dag, var)])


# -- figures -------------------------------------------------------------------------------


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def cpd_figure(true: dict, fitted: dict, counts: dict):
    """Every table entry, fitted against true, coloured by how many items saw its row."""
    fig = _figure(5.5, 4.8)
    ax = fig.add_subplot()
    x, y, c = [], [], []
    for n in true:
        x.append(np.ravel(true[n]))
        y.append(np.ravel(fitted[n]))
        c.append(np.ravel(np.broadcast_to(counts[n][None], true[n].shape)))
    pts = ax.scatter(
        np.concatenate(x),
        np.concatenate(y),
        c=np.log10(1 + np.concatenate(c)),
        s=14,
        cmap="viridis",
    )
    ax.plot([0, 1], [0, 1], color="#999999", lw=0.8)
    fig.colorbar(pts, ax=ax, label="log10(1 + training items in the row)")
    ax.set_xlabel("true probability")
    ax.set_ylabel("posterior mean")
    ax.set_title("every table entry: rows seen rarely stay near the prior")
    fig.tight_layout()
    return fig


def query_figure(var: str, evidence: dict, states: list, truth, mean, low, high):
    fig = _figure(5.5, 3.6)
    ax = fig.add_subplot()
    at = np.arange(len(states))
    ax.bar(at - 0.2, truth, width=0.4, color="#9ecae1", label="true network (exact)")
    ax.bar(at + 0.2, mean, width=0.4, color="#1f4e79", label="fitted: posterior mean, 90%")
    ax.errorbar(at + 0.2, mean, yerr=[mean - low, high - mean], fmt="none", color="black")
    ax.set_xticks(at, [str(s) for s in states])
    given = ", ".join(f"{k}={v}" for k, v in evidence.items())
    ax.set_title(f"P({var} | {given})")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


# -- the script ------------------------------------------------------------------------------


def rows_seen(model, dag: DAG, train) -> dict[str, np.ndarray]:
    """Per node, the training items in each parent configuration, shaped like its parents."""
    values = model.full_values(train)
    col = {n: i for i, n in enumerate(dag.nodes)}
    out = {}
    for n in dag.nodes:
        shape = tuple(dag.card(p) for p in dag.parents(n))
        if not shape:
            out[n] = np.array(float(train.n_items))
            continue
        flat = np.ravel_multi_index(tuple(values[:, col[p]] for p in dag.parents(n)), shape)
        out[n] = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape).astype(float)
    return out


def true_nats(dag: DAG, data) -> float:
    """Mean -log p(x) of ``data`` under the true tables: the floor any fit approaches."""
    col = {n: j for j, n in enumerate(data.names)}
    total = np.zeros(data.n_items)
    for n in dag.nodes:
        index = (data.x[:, col[n]], *(data.x[:, col[p]] for p in dag.parents(n)))
        total += np.log(dag.cpds[n][index])
    return float(-total.mean())


def run(args: argparse.Namespace, out: Path) -> tuple[dict, dict, list[str]]:
    settings = dict(PRESETS[args.size])
    settings.update({k: getattr(args, k) for k in settings if getattr(args, k) is not None})
    network = None if args.bif else (args.network or "asia")
    source = graphs.from_bif(args.bif) if args.bif else graphs.load_network(network)
    if source.cpds is None:
        raise ValueError(f"{source.name!r} carries no probability tables to sample from")
    var, evidence = parse_query(source, args.query, args.evidence)

    params, full = graphs.param_count(source), graphs.full_joint_count(source)
    print(f"{source.name}: {len(source)} variables, {len(source.edges)} edges")
    print(f"  parameters {params:,} (tabular) beside the full joint's {full:,}")
    bif = out / f"{source.name}.bif"
    same = round_trip(source, bif)
    print(f"  BIF round trip through {bif.name}: {'the same network' if same else 'DIFFERENT'}")

    options = {"network": network} if network else {"bif": args.bif}
    model = zoo.make_model("bayesnet", **options)
    dag = model.dag
    data = zoo.data.sample_network(source, settings["items"], seed=args.seed)
    train, test = (zoo.data.conform(d, dag) for d in data.split(0.2, seed=0))
    print(f"  {data.n_items:,} items sampled (seed {args.seed}): {train.n_items:,} to fit")

    zoo.scripts.note(f"fitting bayesnet to {train.n_items:,} items by {args.method} ...")
    budget = {k: settings[k] for k in ("chains", "warmup", "draws")}
    result = zoo.fit(
        model, train, method=args.method, seed=args.seed, progress=sys.stderr.isatty(), **budget
    )
    info = {"train": data.source, "test": data.source, "split": "a seeded 20 percent split"}
    info.update(train_items=train.n_items, test_items=test.n_items, variables=train.n_vars)
    card = zoo.fit_card(result, test, options=options, data=info).to_json()
    print(zoo.format_card(card))
    for line in card["diagnostics"]["warnings"]:
        zoo.scripts.note(f"warning: {line}")
    floor = true_nats(dag, test)
    print(f"  the true network scores {floor:.4f} nats per held-out item (the floor)")

    draws = result.draws()
    fitted = model.cpds(draws)
    seen = rows_seen(model, dag, train)
    print("\nfitted tables (posterior means) against the true ones")
    print(f"  {'variable':<12}{'parents':<24}{'largest |error|':>16}{'rarest row (items)':>20}")
    errors = {}
    for n in dag.nodes:
        err = float(np.abs(fitted[n] - dag.cpds[n]).max())
        rarest = int(seen[n].min())
        errors[n] = {"max_abs_error": err, "rarest_row_items": rarest}
        parents = ", ".join(dag.parents(n)) or "-"
        parents = parents if len(parents) < 23 else parents[:19] + " ..."
        print(f"  {n:<12}{parents:<24}{err:>16.4f}{rarest:>20,}")

    truth = query(dag, var, evidence)
    total = len(next(iter(draws.values())))
    picks = np.linspace(0, total - 1, min(settings["query_draws"], total)).astype(int)
    answers = np.stack(
        [
            query(
                dag.with_cpds(model.cpds({k: v[i : i + 1] for k, v in draws.items()})),
                var,
                evidence,
            )
            for i in picks
        ]
    )
    mean, low, high = answers.mean(0), *np.quantile(answers, [0.05, 0.95], axis=0)
    states = _state_names(dag, var)
    given = ", ".join(f"{k}={v}" for k, v in evidence.items())
    print(f"\nP({var} | {given}): exact on the true network, and over {len(picks)} posterior draws")
    for j, s in enumerate(states):
        print(
            f"  {var}={s}:  true {truth[j]:.4f}   fitted {mean[j]:.4f}  "
            f"(90% interval {low[j]:.4f} .. {high[j]:.4f})"
        )

    figures = zoo.figures.fit_figures(result, None, args.seed)
    figures["cpds.png"] = cpd_figure(dag.cpds, fitted, seen)
    figures["query.png"] = query_figure(var, evidence, states, truth, mean, low, high)
    for name, fig in figures.items():
        graphs.save_figure(fig, out / name)

    timings = card.pop("seconds")
    summary = {
        "network": source.name,
        "params": params,
        "full_joint": full,
        "bif_round_trip": same,
        "settings": settings,
        "method": args.method,
        "items": {"train": train.n_items, "test": test.n_items},
        "card": card,
        "heldout": {"nats_fitted": card["heldout"]["nats_per_item"], "nats_true": floor},
        "cpd_errors": errors,
        "query": {
            "variable": var,
            "evidence": evidence,
            "states": states,
            "true": truth,
            "posterior_mean": mean,
            "interval_90": [low, high],
            "draws": len(picks),
        },
    }
    return summary, timings, [bif.name, *figures]


def main(argv=None) -> int:
    return zoo.scripts.script_main(__file__, parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
