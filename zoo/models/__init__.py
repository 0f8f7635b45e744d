"""The registry of zoo families: one :class:`FamilySpec` per family.

A spec knows a family's name on the command line, its factorisation, its parameter formula,
how to build its DAG from options, and how to count its free parameters. Building and
counting need only ``graphs`` (never JAX), so ``zoo list`` and ``zoo show`` stay fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import graphs
from graphs import DAG


@dataclass(frozen=True)
class FamilySpec:
    """What the zoo knows about a family before any program runs."""

    name: str
    title: str
    factorisation: str
    formula: str
    build: Callable[..., DAG]
    options: tuple[str, ...] = ()
    module: str = ""
    count: Callable[..., int] = field(default=lambda dag, **_: graphs.param_count(dag))
    conditional: Callable[..., str] = field(default=lambda **_: "tabular")


def _grid_side(n: int) -> int:
    side = math.isqrt(n)
    if side * side != n:
        raise ValueError(f"--grid needs a square image: n={n} is not a perfect square")
    return side


def _chain(n: int, order: int = 1, grid: bool = False, **_) -> DAG:
    if grid:
        side = _grid_side(n)
        return graphs.markov_grid(side, side)
    return graphs.markov_chain(n, order=order)


def _ar_count(dag: DAG, conditional: str = "logistic", hidden: int = 64, **_) -> int:
    if conditional == "logistic":
        return graphs.logistic_count(dag)
    return graphs.made_count(len(dag), hidden, direct=True)


def _bayesnet(network: str | None = None, bif: str | None = None, **_) -> DAG:
    if (network is None) == (bif is None):
        raise ValueError("bayesnet needs exactly one of --network NAME or --bif FILE")
    return graphs.load_network(network) if network else graphs.from_bif(bif)


FAMILIES: dict[str, FamilySpec] = {
    spec.name: spec
    for spec in [
        FamilySpec(
            "independent",
            "Full independence",
            "p(x) = prod_i p(x_i)",
            "n",
            lambda n=64, **_: graphs.independent(n),
            ("n",),
            "independent",
        ),
        FamilySpec(
            "markov-chain",
            "Markov chain (order k, or the 2-D neighbourhood with --grid)",
            "p(x) = prod_i p(x_i | x_{i-k}, ..., x_{i-1})",
            "sum_i 2^min(i-1, k); --grid: sum_i 2^(number of left/up/up-left/up-right neighbours)",
            lambda n=64, order=1, grid=False, **_: _chain(n, order, grid),
            ("n", "order", "grid"),
            "markov_chain",
        ),
        FamilySpec(
            "naive-bayes",
            "Naive Bayes (label y observed)",
            "p(y, x) = p(y) prod_i p(x_i | y)",
            "(K - 1) + K n",
            lambda n=64, classes=10, **_: graphs.naive_bayes(n, classes=classes),
            ("n", "classes"),
            "naive_bayes",
        ),
        FamilySpec(
            "latent-class",
            "Latent class (mixture of Bernoulli products, z summed out)",
            "p(x) = sum_z p(z) prod_i p(x_i | z)",
            "(K - 1) + K n",
            lambda n=64, classes=10, **_: graphs.latent_class(n, components=classes),
            ("n", "classes"),
            "latent_class",
        ),
        FamilySpec(
            "autoregressive",
            "Deep autoregressive (logistic FVSBN or a masked MLP, MADE style)",
            "p(x) = prod_i p(x_i | x_<i)",
            "logistic: n(n+1)/2; neural: the MADE's unmasked weights (direct ones too) + biases",
            lambda n=64, **_: graphs.autoregressive(n),
            ("n", "conditional", "hidden"),
            "autoregressive",
            count=_ar_count,
            conditional=lambda conditional="logistic", **_: conditional,
        ),
        FamilySpec(
            "bayesnet",
            "Bayesian network from any DAG (pgmpy network or BIF file)",
            "p(x) = prod_i p(x_i | parents(x_i))",
            "sum_i (card_i - 1) prod_{p in parents(i)} card_p",
            _bayesnet,
            ("network", "bif"),
            "bayesnet",
        ),
    ]
}


def get_family(name: str) -> FamilySpec:
    """The spec of family ``name``; ``ValueError`` naming the known families otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, FAMILIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown family {name!r}{hint}; expected one of {list(FAMILIES)}"
        ) from None


def make_model(name: str, **options):
    """The family's model object (imports JAX): its DAG built from ``options``."""
    import importlib
    import inspect

    spec = get_family(name)
    options = {k: v for k, v in options.items() if v is not None}
    module = importlib.import_module(f"{__name__}.{spec.module}")
    params = inspect.signature(module.build).parameters
    allowed = set(spec.options) | {p for p in params if p != "dag" and p != "_"}
    unknown = sorted(k for k in options if k not in allowed)
    if unknown:  # a misspelt option is never silently ignored
        raise ValueError(
            f"family {name!r} takes no option {unknown[0]!r}; its options: "
            f"{', '.join(sorted(allowed))}"
        )
    dag = spec.build(**options)
    return module.build(dag, **options)
