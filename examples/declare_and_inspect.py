"""Declare a model in code and inspect its graph: a family from the zoo, a DAG built by hand
and a NumPyro program, each with its parameter count beside the full joint's, its local
Markov statements, d-separation queries and drawings.

    .venv/bin/python examples/declare_and_inspect.py [--size small|full] [--pixels N]
        [--students N] [--no-program] [--seed N] [--out DIR]

--size small draws 16 pixels, full (the default) 64; --pixels overrides either. Writes
result.json and PNG figures (each DAG and its pairwise d-separation heat map) into --out.
With --no-program the script reads structure only and never imports JAX; the program part
imports NumPyro (and JAX) when it runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import graphs
from graphs import DAG, Variable
from graphs.files import atomic_path, writable_folder

PIXELS = {"small": 16, "full": 64}
CLASSES = 10  # digit classes: the label of naive Bayes, the hidden class of latent class


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=list(PIXELS), default="full", help="16 or 64 pixels")
    p.add_argument("--pixels", type=int, help="pixels of the family (a square draws as a grid)")
    p.add_argument("--students", type=int, default=30, help="plate size of the program (30)")
    p.add_argument(
        "--no-program", action="store_true", help="skip the NumPyro program (no JAX import)"
    )
    p.add_argument("--seed", type=int, default=0, help="accepted like the other scripts'; unused")
    p.add_argument("--out", default="zoo-examples/declare_and_inspect", help="output folder")
    return p


# -- 1. a family from the zoo ------------------------------------------------------------


def family_table(n: int) -> list[dict]:
    """Every family's structure at ``n`` pixels: tabular parameters beside the full joint."""
    side = math.isqrt(n)
    dags = [
        graphs.independent(n),
        graphs.markov_chain(n),
        graphs.markov_chain(n, order=2),
        *([graphs.markov_grid(side, side)] if side * side == n else []),
        graphs.naive_bayes(n, classes=CLASSES),
        graphs.latent_class(n, components=CLASSES),
        graphs.autoregressive(n),
    ]
    rows = []
    for dag in dags:
        params, full = graphs.param_count(dag), graphs.full_joint_count(dag)
        rows.append(
            {
                "dag": dag.name,
                "edges": len(dag.edges),
                "params": params,
                "full_joint": full,
                "log10_full_over_params": graphs.log10(full) - graphs.log10(params),
            }
        )
    # a logistic conditional per pixel: what the complete DAG costs without tables
    rows[-1]["params_logistic"] = graphs.logistic_count(dags[-1])
    return rows


def describe(dag: DAG, queries: list[tuple], show: int = 6) -> dict:
    """Parameter counts, local Markov statements and d-separation answers, printed and
    returned as JSON-ready data."""
    params, full = graphs.param_count(dag), graphs.full_joint_count(dag)
    statements = graphs.local_markov(dag)
    print(f"  {len(dag)} nodes, {len(dag.edges)} edges")
    print(f"  parameters {params:,} (tabular CPDs) beside the full joint's {full:,}")
    print(f"  local Markov statements ({len(statements)}; each node given its parents):")
    for s in statements[:show]:
        text = str(s)
        print(f"    {text if len(text) < 90 else text[:86] + ' ...'}")
    if len(statements) > show:
        print(f"    ... {len(statements) - show} more")
    answers = []
    for x, y, given in queries:
        sep = graphs.is_d_separated(dag, x, y, given=given)
        shown = "{" + ", ".join(given) + "}"
        print(f"  {x} ⟂ {y} | {shown}?  {'yes' if sep else 'no'} ({_verdict(sep)})")
        answers.append({"x": x, "y": y, "given": list(given), "d_separated": sep})
    return {
        "name": dag.name,
        "nodes": len(dag),
        "edges": [list(e) for e in dag.edges],
        "params": params,
        "full_joint": full,
        "local_markov": [s.to_dict() for s in statements],
        "queries": answers,
    }


def _count(value: int) -> str:
    """An exact count when it is short, else its power of ten."""
    return f"{value:,}" if value < 10**7 else f"10^{graphs.log10(value):.2f}"


def _verdict(separated: bool) -> str:
    return "d-separated" if separated else "d-connected"


def draw(dag: DAG, stem: str, out: Path, given=(), title: str | None = None) -> list[str]:
    """The DAG and its pairwise d-separation heat map (given ``given``) as PNG files."""
    graphs.save_figure(graphs.draw_dag(dag, title=title or dag.name), out / f"{stem}-dag.png")
    matrix = graphs.pairwise_matrix(dag, given=given)
    heat = graphs.draw_pairwise(matrix, title=title or dag.name)
    graphs.save_figure(heat, out / f"{stem}-independence.png")
    return [f"{stem}-dag.png", f"{stem}-independence.png"]


# -- 2. a DAG by hand ----------------------------------------------------------------------


def student() -> DAG:
    """Koller and Friedman's student network: a course's difficulty and a student's
    intelligence decide the grade; intelligence shows in the SAT, the grade in the letter."""
    return DAG(
        [
            Variable("difficulty", 2, states=("easy", "hard")),
            Variable("intelligence", 2, states=("low", "high")),
            Variable("grade", 3, states=("A", "B", "C")),
            Variable("sat", 2, states=("low", "high")),
            Variable("letter", 2, states=("weak", "strong")),
        ],
        [
            ("difficulty", "grade"),
            ("intelligence", "grade"),
            ("intelligence", "sat"),
            ("grade", "letter"),
        ],
        name="student",
    )


# -- 3. a NumPyro program ------------------------------------------------------------------


def student_program(students: int):
    """The student network as a NumPyro program with a prior on every table: the zoo reads
    its graph out of the code. Imports NumPyro, and so JAX, only when called."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    def program(n=students):
        p_hard = numpyro.sample("p_hard", dist.Beta(1.0, 1.0))
        p_high = numpyro.sample("p_high", dist.Beta(1.0, 1.0))
        p_grade = numpyro.sample("p_grade", dist.Dirichlet(jnp.ones(3)).expand([2, 2]).to_event(2))
        p_sat = numpyro.sample("p_sat", dist.Beta(1.0, 1.0).expand([2]).to_event(1))
        p_letter = numpyro.sample("p_letter", dist.Beta(1.0, 1.0).expand([3]).to_event(1))
        with numpyro.plate("students", n):
            d = numpyro.sample("difficulty", dist.Bernoulli(p_hard)).astype(jnp.int32)
            i = numpyro.sample("intelligence", dist.Bernoulli(p_high)).astype(jnp.int32)
            g = numpyro.sample("grade", dist.Categorical(p_grade[d, i]))
            numpyro.sample("sat", dist.Bernoulli(p_sat[i]))
            numpyro.sample("letter", dist.Bernoulli(p_letter[g]))

    program.__name__ = program.__qualname__ = "student_program"
    return program


def inspect_program(students: int, hand: DAG, out: Path) -> tuple[dict, list[str]]:
    import zoo

    program = student_program(students)
    card = zoo.inspect(program)
    st = zoo.inspection.structure(program)
    print(zoo.inspection.format_card(card))
    items = st.item_dag()
    same = set(items.edges) == set(hand.edges)
    print(
        f"  the per-student edges read out of the code {'equal' if same else 'DIFFER FROM'} "
        "the hand-built DAG's"
    )
    print(
        f"  global parameters {card['params']['model']} (unconstrained: a Dirichlet over 3 "
        f"grades counts 2) beside the hand-built DAG's tabular count {graphs.param_count(hand)}"
    )
    # the plates drawn as boxes; the heat map over the per-student variables, where the
    # hand-built DAG's claims live
    graphs.save_figure(graphs.draw_dag(st.dag, title="student_program"), out / "program-dag.png")
    heat = graphs.draw_pairwise(graphs.pairwise_matrix(items), title="student_program, per item")
    graphs.save_figure(heat, out / "program-independence.png")
    summary = {
        "name": card["name"],
        "edges": card["edges"],
        "plates": card["plates"],
        "params": card["params"],
        "item_edges": [list(e) for e in items.edges],
        "item_edges_equal_hand": same,
    }
    return summary, ["program-dag.png", "program-independence.png"]


# -- the script ---------------------------------------------------------------------------


def run(args: argparse.Namespace, out: Path) -> dict:
    n = args.pixels if args.pixels is not None else PIXELS[args.size]
    if n < 2:
        raise ValueError(f"--pixels must be >= 2, got {n}")
    if args.students < 1:
        raise ValueError(f"--students must be >= 1, got {args.students}")
    files: list[str] = []

    print(f"1. the zoo's families at {n} pixels: every family is a choice of edges to cut")
    table = family_table(n)
    print(f"  {'dag':<24}{'edges':>7}{'params':>10}{'full joint':>12}{'log10 full/params':>19}")
    for r in table:
        extra = f"  (logistic: {r['params_logistic']:,})" if "params_logistic" in r else ""
        print(
            f"  {r['dag']:<24}{r['edges']:>7}{_count(r['params']):>10}"
            f"{_count(r['full_joint']):>12}{r['log10_full_over_params']:>19.2f}{extra}"
        )
    nb = graphs.naive_bayes(n, classes=CLASSES)
    print(f"\n  naive Bayes, {nb.name}: the pixels hang off the label y")
    family = describe(nb, [("x0", "x1", ()), ("x0", "x1", ("y",))])
    files += draw(nb, "family", out, given=("y",))

    print("\n2. a DAG by hand: the student network")
    hand = student()
    queries = [
        ("difficulty", "intelligence", ()),
        ("difficulty", "intelligence", ("grade",)),
        ("difficulty", "intelligence", ("letter",)),
        ("sat", "letter", ()),
        ("sat", "letter", ("intelligence",)),
        ("sat", "difficulty", ("letter",)),
    ]
    hand_card = describe(hand, queries)
    separator = graphs.minimal_separator(hand, "sat", "letter")
    print(f"  a minimal set separating sat and letter: {{{', '.join(separator)}}}")
    hand_card["minimal_separator_sat_letter"] = list(separator)
    files += draw(hand, "hand", out)

    result = {
        "pixels": n,
        "families": table,
        "family": family,
        "hand": hand_card,
    }
    if not args.no_program:
        print(f"\n3. a NumPyro program: the student network with priors, {args.students} students")
        result["program"], more = inspect_program(args.students, hand, out)
        files += more
    result["figures"] = files
    return result


def write_json(data: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    prog = Path(__file__).name
    try:
        out = writable_folder(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result = run(args, out)
    except ValueError as err:
        print(f"{prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    write_json(result, out / "result.json")
    print(f"\nwrote {out}/: result.json, {', '.join(result['figures'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
