"""Classical point-estimate fits on the zoo's digits split, beside the zoo's Bayesian fits.

Prints one table of held-out nats per image: the classical counterpart of each family (the
design's yardsticks: 25.3, 24.1, 19.9, 18.5, 18.1), the zoo's number, their difference and
whether the zoo is within 0.2 nats or better. Writes the raw numbers as JSON.

    .venv/bin/python benchmarks/yardsticks.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
import warnings

import numpy as np

YARDSTICKS = {  # from the design notes, measured on a default_rng(0) split
    "independent": 25.3,
    "markov-chain": 24.1,
    "markov-grid": 19.9,
    "latent-class (K=30)": 18.5,
    "autoregressive (logistic)": 18.1,
}
TOLERANCE = 0.2


def _bernoulli_nats(p: np.ndarray, x: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=1)))


def classical_tabular(dag, train, test) -> float:
    """Laplace-smoothed maximum likelihood (add-one counts), plugged in."""
    from zoo.models._tabular import TabularModel

    model = TabularModel(dag)
    mean = {site: m for site, (m, _) in model.exact_moments(train).items()}
    draws = {k: v[None] for k, v in mean.items()}
    return float(-np.mean(np.asarray(model.log_px(draws, test))))


def classical_mixture(train, test, k: int, seed: int = 0) -> float:
    """Plain EM (the same seeded MAP-EM the zoo starts its SVI from), plugged in."""
    from zoo.models.latent_class import em, mixture_log_lik

    fitted = em(train, k, seed=seed)
    return float(-np.mean(mixture_log_lik(test.x, fitted.pi, fitted.theta)))


def classical_logistic(train, test) -> float:
    """One scikit-learn logistic regression per pixel on the pixels before it."""
    from sklearn.linear_model import LogisticRegression

    x, xt = train.x, test.x
    total = np.zeros(len(xt))
    for i in range(x.shape[1]):
        y = x[:, i]
        if i == 0 or y.min() == y.max():
            p = np.full(len(xt), (y.sum() + 1) / (len(y) + 2))
        else:
            clf = LogisticRegression(max_iter=2000).fit(x[:, :i], y)
            p = clf.predict_proba(xt[:, :i])[:, 1]
        p = np.clip(p, 1e-12, 1 - 1e-12)
        total += xt[:, i] * np.log(p) + (1 - xt[:, i]) * np.log1p(-p)
    return float(-np.mean(total))


def zoo_fit(family: str, train, test, quick: bool, **options) -> tuple[float, str, float]:
    from zoo.evaluate import heldout
    from zoo.fit import fit
    from zoo.models import make_model

    model = make_model(family, n=64, **options)
    budget = {"chains": 2, "warmup": 300, "draws": 300} if quick else {}
    start = time.perf_counter()
    result = fit(model, train, seed=0, **budget)
    seconds = time.perf_counter() - start
    return heldout(result, test)["nats_per_item"], result.method, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small NUTS budgets")
    parser.add_argument("--json", metavar="PATH", help="write the raw numbers here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")

    import graphs
    from zoo.data import digits_split

    train, test = digits_split()
    rows = []
    plan = [
        (
            "independent",
            lambda: classical_tabular(graphs.independent(64), train, test),
            "independent",
            {},
        ),
        (
            "markov-chain",
            lambda: classical_tabular(graphs.markov_chain(64), train, test),
            "markov-chain",
            {},
        ),
        (
            "markov-grid",
            lambda: classical_tabular(graphs.markov_grid(8, 8), train, test),
            "markov-chain",
            {"grid": True},
        ),
        (
            "latent-class (K=30)",
            lambda: classical_mixture(train, test, 30),
            "latent-class",
            {"classes": 30},
        ),
        (
            "autoregressive (logistic)",
            lambda: classical_logistic(train, test),
            "autoregressive",
            {"conditional": "logistic"},
        ),
        ("autoregressive (neural)", None, "autoregressive", {"conditional": "neural"}),
    ]
    for label, classical, family, options in plan:
        c = classical() if classical else None
        try:
            z, method, seconds = zoo_fit(family, train, test, args.quick, **options)
        except (ImportError, ValueError) as err:  # a family not built yet
            print(f"{label}: zoo fit unavailable ({err})", file=sys.stderr)
            z, method, seconds = math.nan, "-", math.nan
        rows.append(
            {
                "family": label,
                "yardstick": YARDSTICKS.get(label),
                "classical": c,
                "zoo": z,
                "method": method,
                "seconds": seconds,
            }
        )
        print(f"done {label}", file=sys.stderr)

    logistic = next(r for r in rows if r["family"] == "autoregressive (logistic)")
    print(
        f"\n{'family':<28}{'design':>8}{'classical':>11}{'zoo':>9}{'zoo - cl.':>11}"
        f"{'ok':>5}{'method':>8}{'seconds':>9}"
    )
    for r in rows:
        ref = r["classical"] if r["classical"] is not None else logistic["zoo"]
        diff = r["zoo"] - ref
        ok = diff <= TOLERANCE if r["classical"] is not None else diff < 0
        r["within_tolerance"] = bool(ok)
        design = f"{r['yardstick']:.1f}" if r["yardstick"] else "-"
        classical = f"{r['classical']:.2f}" if r["classical"] is not None else "(vs logistic)"
        print(
            f"{r['family']:<28}{design:>8}{classical:>11}{r['zoo']:>9.2f}{diff:>+11.2f}"
            f"{'yes' if ok else 'NO':>5}{r['method']:>8}{r['seconds']:>9.1f}"
        )
    if args.json:
        meta = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "quick": args.quick,
        }
        with open(args.json, "w") as fh:
            json.dump({"meta": meta, "rows": rows}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
