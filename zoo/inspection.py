"""From a NumPyro program to its structure card: the DAG read out of the code itself, the
free-parameter count from a trace, and the independence report, so the picture cannot
drift from the program.

The DAG has one node per ``sample`` (observed, latent or ``factor``) and ``deterministic``
site; an edge ``u -> v`` means site ``v``'s density (or value) depends on ``u``'s value, as
``numpyro.infer.inspect.get_model_relations`` tracks it through the program. Plates stay
as plate annotations on the DAG; :func:`graphs.unroll` gives the per-element view that
independence queries between items need.

Parameters are counted from a concrete trace, in four kinds reported separately:

- ``global``: latent sample sites outside the data plates (a data plate is one that holds
  an observed site; traced with nothing observed, one that holds a leaf site), each
  counted by its unconstrained size, so a Dirichlet over K states counts K - 1. This is
  ``params.model``, the number comparable to a family's count.
- ``per_item``: latent sites inside a data plate (a random effect, a mixture assignment).
- ``param``: ``numpyro.param`` sites; ``network``: ``numpyro.param`` sites holding a neural
  network's weights (the ``NAME$params`` sites of ``numpyro.contrib.module``).
- discrete latent sites outside data plates count their elements under ``discrete``.

The trace itself is taken in ``zoo._inspect_trace``; the card is rendered in
``zoo._inspect_card``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs import DAG, Plate, Variable

from ._inspect_card import UNROLL_MAX, card, format_card
from ._inspect_trace import _arrays, _program_name, trace
from .errors import ZooError
from .validate import int_at_least

if TYPE_CHECKING:
    from .claims import ClaimsReport

__all__ = [
    "CHECK_ITEMS",
    "UNROLL_MAX",
    "ProgramStructure",
    "Site",
    "card",
    "check",
    "format_card",
    "inspect",
    "simulate",
    "structure",
    "trace",
]

#: items simulated for the empirical independence check by default
CHECK_ITEMS = 2000


@dataclass(frozen=True)
class Site:
    """One site of a traced program, as the card reports it."""

    name: str
    kind: str  # "sample", "factor" or "deterministic"
    role: str  # "observed", "latent" or "deterministic"
    dist: str
    shape: tuple[int, ...]  # of the value
    event_shape: tuple[int, ...]
    plates: tuple[str, ...]
    card: int | None
    discrete: bool
    free: int  # unconstrained size (continuous latent) or element count (discrete)

    def to_dict(self) -> dict:
        """The site as JSON-ready data (the card's ``sites`` entries): every field but
        ``free``, which the card's ``params`` counts, with tuples as lists."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "free"}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True)
class ProgramStructure:
    """What :func:`structure` reads out of a program: its DAG (with plates), its sites and
    its parameter counts by kind."""

    name: str
    dag: DAG
    sites: Mapping[str, Site]
    data_plates: tuple[str, ...]
    params: dict

    @property
    def latent(self) -> tuple[str, ...]:
        """Names of the latent sites, in trace order."""
        return tuple(n for n, s in self.sites.items() if s.role == "latent")

    @property
    def observed(self) -> tuple[str, ...]:
        """Names of the observed sites, in trace order."""
        return tuple(n for n, s in self.sites.items() if s.role == "observed")

    @property
    def deterministic(self) -> tuple[str, ...]:
        """Names of the deterministic sites, in trace order."""
        return tuple(n for n, s in self.sites.items() if s.role == "deterministic")

    def item_sites(self) -> tuple[str, ...]:
        """Sites with one value per item of the outermost data plate: a scalar, or a
        continuous latent vector."""
        if not self.data_plates:
            return ()
        plate = self.data_plates[0]
        return tuple(
            n
            for n, s in self.sites.items()
            if s.plates == (plate,)
            and s.kind != "factor"
            and (not s.event_shape or _vector_latent(s))
        )

    def item_dag(self) -> DAG:
        """The DAG over :meth:`item_sites`: the per-item variables and their edges."""
        return self.dag.restricted(self.item_sites())


def _vector_latent(site: Site) -> bool:
    """A continuous latent vector per item (a VAE's z): one node, not a column per element."""
    return site.role == "latent" and site.card is None and not site.discrete


def structure(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ProgramStructure:
    """The :class:`ProgramStructure` of ``fn(*args, **kwargs)``.

    Sites observed in the call (``obs=`` given, or conditioned) are observed nodes; the
    rest are latent. ``numpyro.factor`` sites are observed nodes with no finite states.
    """
    from numpyro.infer.inspect import get_model_relations

    name = _program_name(fn)
    args = tuple(_arrays(a) for a in args)  # JAX's tracing refuses Python lists as data
    kwargs = {k: _arrays(v) for k, v in kwargs.items()}
    tr = trace(fn, *args, **kwargs)
    try:
        relations = get_model_relations(fn, model_args=args, model_kwargs=kwargs)
    except Exception as err:
        msg = " ".join(str(err).split()) or type(err).__name__
        raise ZooError(
            f"could not read the dependencies of {name}: {type(err).__name__}: {msg} "
            "(the program must run on abstract arrays: no Python branching on sampled values)"
        ) from err
    parents = relations["sample_sample"]

    sites: dict[str, Site] = {}
    plate_size: dict[str, int] = {}
    param_sites: dict[str, dict] = {}
    for sname, rec in tr.items():
        if rec["type"] == "param":
            kind = "network" if rec["network"] else "param"
            param_sites[sname] = {"kind": kind, "size": rec["free"]}
            continue
        for pname, _, size in rec["frames"]:
            plate_size.setdefault(pname, size)
        plates = tuple(f[0] for f in rec["frames"])
        if rec["type"] == "deterministic":
            sites[sname] = Site(
                sname,
                "deterministic",
                "deterministic",
                "Deterministic",
                rec["value_shape"],
                (),
                plates,
                None,
                False,
                0,
            )
            continue
        sites[sname] = Site(
            sname,
            "factor" if rec["factor"] else "sample",
            "observed" if rec["observed"] else "latent",
            rec["dist"],
            rec["value_shape"],
            rec["event_shape"],
            plates,
            rec["card"],
            rec["discrete"],
            rec["free"],
        )

    data_plates = tuple(
        p for p in plate_size if any(s.role == "observed" and p in s.plates for s in sites.values())
    )
    if not any(s.role == "observed" for s in sites.values()):
        # traced without data: the plates that hold a leaf are where the data would go
        has_child = {p for n in sites for p in parents.get(n, ()) if p in sites}
        data_plates = tuple(
            p
            for p in plate_size
            if any(p in s.plates and n not in has_child for n, s in sites.items())
        )
    counts = dict.fromkeys(("global", "per_item", "discrete", "param", "network"), 0)
    by_site = []
    for s in sites.values():
        if s.role != "latent":
            continue
        in_data = any(p in data_plates for p in s.plates)
        kind = "per_item" if in_data else "discrete" if s.discrete else "global"
        counts[kind] += s.free
        by_site.append({"site": s.name, "kind": kind, "size": s.free, "shape": list(s.shape)})
    for pname, info in param_sites.items():
        counts[info["kind"]] += info["size"]
        by_site.append({"site": pname, "kind": info["kind"], "size": info["size"], "shape": []})
    params = {
        "model": counts["global"],
        **counts,
        "total": sum(counts.values()),
        "by_site": by_site,
    }

    variables = [Variable(n, card=s.card, role=s.role) for n, s in sites.items()]
    edges = [(p, n) for n in sites for p in parents.get(n, ()) if p in sites]
    dag_plates = [
        Plate(p, size, tuple(n for n, s in sites.items() if p in s.plates))
        for p, size in plate_size.items()
    ]
    try:
        dag = DAG(variables, edges, name=name, plates=[p for p in dag_plates if p.members])
    except ValueError as err:
        raise ZooError(f"{name}: {err}") from err
    return ProgramStructure(name, dag, sites, data_plates, params)


def inspect(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The structure card of any NumPyro program ``fn(*args, **kwargs)``.

    >>> import numpyro, numpyro.distributions as dist
    >>> def coin(flips=None):
    ...     p = numpyro.sample("p", dist.Beta(1, 1))
    ...     with numpyro.plate("flips", 3):
    ...         numpyro.sample("x", dist.Bernoulli(p), obs=flips)
    >>> c = inspect(coin, flips=[1, 0, 1])
    >>> c["edges"], c["params"]["model"]
    ([['p', 'x']], 1)
    """
    return card(structure(fn, *args, **kwargs))


# -- claims tested against samples -------------------------------------------------------


def simulate(
    fn: Callable,
    *,
    args: tuple = (),
    kwargs: Mapping[str, Any] | None = None,
    n_samples: int = CHECK_ITEMS,
    seed: int = 0,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[dict[str, np.ndarray], DAG]:
    """``n_samples`` items drawn from ``fn(*args, **kwargs)``, as columns, with the DAG
    they should honour.

    With a data plate, the global sites (outside every plate) are held: drawn once (seeded)
    from the prior, or taken from ``fixed`` (e.g. one posterior draw: a posterior
    predictive check). Items are the plate's elements, run after run until there are
    ``n_samples``: given the held sites they are independent and identically distributed, and the
    DAG they honour is the one over the per-item scalar sites. Without plates, every run
    is one item, the scalar sites are the columns and the other latent sites are held.
    Call the program without its observations (``y=None``) so that they are drawn.
    """
    import jax
    from numpyro.infer import Predictive

    n = int_at_least("n_samples", n_samples, 10)
    kwargs = dict(kwargs or {})
    st = structure(fn, *args, **kwargs)
    key = jax.random.PRNGKey(seed)
    latent = [s for s, site in st.sites.items() if site.role == "latent"]
    if st.data_plates:
        size = next(p.size for p in st.dag.plates if p.name == st.data_plates[0])
        cols = tuple(c for c in st.item_sites() if not st.sites[c].event_shape)
        hold = [s for s in latent if not st.sites[s].plates]
    else:
        size = 1
        cols = tuple(s for s, site in st.sites.items() if not site.shape and site.kind != "factor")
        hold = [s for s in latent if s not in cols]
    # Held sites are conditioned on; holding their ancestors too keeps every claim of the
    # DAG over the remaining columns true (conditioning on a collider would not).
    held = set(hold)
    for s in hold:
        held |= st.dag.ancestors(s)
    cols = tuple(c for c in cols if c not in held)
    if not cols:
        raise ZooError(f"{st.name} has no per-item scalar site to test claims on")
    values = dict(fixed or {})
    unknown = [k for k in values if k not in st.sites]
    if unknown:
        raise ZooError(f"fixed names {unknown} are not sites of {st.name}")
    todo = [s for s in st.sites if s in held and s not in values and st.sites[s].role != "observed"]
    if todo:
        prior = Predictive(fn, num_samples=1, return_sites=todo)
        drawn = prior(jax.random.fold_in(key, 0), *args, **kwargs)
        values.update({k: np.asarray(v)[0] for k, v in drawn.items()})
    runs = -(-n // size)
    tiled = {k: np.broadcast_to(np.asarray(v), (runs, *np.shape(v))) for k, v in values.items()}
    pred = Predictive(
        fn, posterior_samples=tiled or None, num_samples=runs, return_sites=list(cols)
    )
    out = pred(jax.random.fold_in(key, 1), *args, **kwargs)
    columns = {k: np.asarray(out[k]).reshape(-1)[:n] for k in cols}
    dag = st.dag.restricted(cols)
    return columns, dag


def check(
    fn: Callable, *, dag: DAG | None = None, alpha: float = 0.05, **options: Any
) -> ClaimsReport:
    """Test every local Markov statement of ``dag`` (by default the DAG read out of the
    program) on items simulated from the program by :func:`simulate` with ``options`` (its
    keywords: ``args``, ``kwargs``, ``n_samples``, ``seed``, ``fixed``); returns a
    :class:`zoo.claims.ClaimsReport`. Pass a declared DAG to test a claim about the code
    against what the code does."""
    from . import _jax

    _jax.ensure()
    from .claims import check_claims

    columns, own = simulate(fn, **options)
    return check_claims(columns, own if dag is None else dag, alpha=alpha)
