"""Compare the families: every family fitted to the bundled digits and scored on the same
held-out digits, in one table, with the report `zoo compare` writes.

    .venv/bin/python examples/compare_families.py [--size small|full] [--budget NAME]
        [--families NAME ...] [--items N] [--seed N] [--out DIR]

--size full (the default) is `zoo compare`'s default budget (NUTS for the tabular families,
full SVI fits; a few minutes), small its quick budget (exact conjugate posteriors, short SVI;
about a minute); --budget quick|default|thorough overrides it. --items fits the first N
training digits (the held-out 360 stay the same). Prints the table and the frontier: the
families no cheaper family beats. Writes result.json (the frontier and each row's numbers)
and the report into --out: index.html, results.json, timings.json and the figures (each
family's DAG, independence heat map and rank plots or ELBO curve, the samples, the frontier
and the learning curves).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import zoo
from graphs.files import atomic_path, writable_folder

SIZES = {"small": "quick", "full": "default"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=list(SIZES), default="full", help="full or small (full)")
    p.add_argument("--budget", choices=list(zoo.compare.BUDGETS), help="overrides --size")
    p.add_argument(
        "--families",
        nargs="+",
        choices=list(zoo.compare.FAMILY_ROWS),
        help="rows to fit (default: all)",
    )
    p.add_argument(
        "--items", type=zoo.scripts.count(2), help="training digits (default: all 1,437)"
    )
    p.add_argument("--seed", type=zoo.scripts.count(0), default=0, help="seed (0)")
    p.add_argument("--out", default="zoo-examples/compare_families", help="report folder")
    return p


def frontier(rows: list[dict]) -> list[str]:
    """The families that no family with as few parameters or fewer beats on held-out nats,
    cheapest first."""
    scored = sorted(
        (r for r in rows if r["nats_per_item"] is not None),
        key=lambda r: (r["params"], r["nats_per_item"]),
    )
    best, out = float("inf"), []
    for r in scored:
        if r["nats_per_item"] < best:
            out.append(r["family"])
            best = r["nats_per_item"]
    return out


def run(args: argparse.Namespace, out: Path) -> tuple[dict, list[str]]:
    budget = args.budget or SIZES[args.size]
    train, test = zoo.digits_split()
    if args.items is not None:
        if args.items > train.n_items:
            raise ValueError(f"--items {args.items}: the training split has {train.n_items}")
        train = train.take(slice(0, args.items))  # the split is a seeded shuffle already
    families = zoo.compare.check_families(args.families, train)
    info = {
        "train": "digits",
        "split": "fixed digits split",
        "train_items": train.n_items,
        "test_items": test.n_items,
        "variables": train.n_vars,
    }
    zoo.scripts.note(
        f"comparing {len(families)} families on {train.n_items:,} digits ({budget} budget) ..."
    )
    result = zoo.compare(
        train, test, families, budget=budget, seed=args.seed, progress=zoo.scripts.note, data=info
    )
    zoo.scripts.note("writing the report ...")
    files = zoo.report.write_report(result, out, zoo.figures.compare_figures(result))
    print(zoo.report.format_table(result.rows, result.timings))

    front = frontier(result.rows)
    print("\nthe frontier (cheapest first; each beats every family with fewer parameters):")
    by = {r["family"]: r for r in result.rows}
    for name in front:
        r = by[name]
        print(
            f"  {name:<26}{r['params']:>8,} parameters  {r['nats_per_item']:.3f} nats per digit  "
            f"(the full joint needs 10^{r['log10_ratio']:.2f} times as many)"
        )
    beaten = [r["family"] for r in result.rows if r["family"] not in front]
    if beaten:
        print(f"  beaten by a cheaper family: {', '.join(beaten)}")
    keys = ("family", "params", "method", "nats_per_item", "bits_per_dim", "diagnostics_pass")
    summary = {
        "budget": budget,
        "seed": args.seed,
        "data": info,
        "rows": [{k: r[k] for k in keys} for r in result.rows],
        "frontier": front,
        "best": front[-1] if front else None,
    }
    return summary, files


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        out = writable_folder(args.out)
        out.mkdir(parents=True, exist_ok=True)
        summary, files = run(args, out)
    except ValueError as err:
        print(f"{Path(__file__).name}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    with atomic_path(out / "result.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    zoo.scripts.note(f"wrote {out}/: result.json, {', '.join(files)}; open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
