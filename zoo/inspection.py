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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import graphs
from graphs import DAG, Plate, Variable

#: the unrolled view is built for independence queries up to this many nodes
UNROLL_MAX = 400
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
        """The site as JSON-ready data (the card's ``sites`` entries)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "dist": self.dist,
            "shape": list(self.shape),
            "event_shape": list(self.event_shape),
            "plates": list(self.plates),
            "card": self.card,
            "discrete": self.discrete,
        }


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
        """Sites with one scalar value per item of the outermost data plate."""
        if not self.data_plates:
            return ()
        plate = self.data_plates[0]
        return tuple(
            n
            for n, s in self.sites.items()
            if s.plates == (plate,) and not s.event_shape and s.kind != "factor"
        )

    def item_dag(self) -> DAG:
        """The DAG over :meth:`item_sites`: the per-item variables and their edges."""
        return self.dag.restricted(self.item_sites())


# -- tracing ---------------------------------------------------------------------------


def _program_name(fn: Callable) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return str(name or type(fn).__name__)


def trace(fn: Callable, *args, **kwargs) -> dict[str, dict]:
    """The sites of ``fn(*args, **kwargs)`` as plain records, traced on abstract arrays
    (``jax.eval_shape``: no array is computed, so no operation is compiled).

    Each record has ``type`` ("sample", "deterministic", "param"), ``observed``,
    ``frames`` (``(plate, dim, size)``, outer first), ``value_shape``; sample sites also
    ``dist``, ``shape`` (the distribution's batch + event shape), ``event_shape``,
    ``card``, ``discrete``, ``factor`` and ``free``; param sites ``free`` and ``network``.

    Raises ``ValueError`` when calling the program fails or when it records no sample
    site (it is then not a NumPyro program).
    """
    import jax
    from numpyro import handlers
    from numpyro.infer.initialization import init_to_sample

    if not callable(fn):
        raise ValueError(f"{fn!r} is not callable: a NumPyro program is a Python function")
    name = _program_name(fn)
    records: dict[str, dict] = {}

    def run():
        model = handlers.substitute(handlers.seed(fn, 0), substitute_fn=init_to_sample)
        tr = handlers.trace(model).get_trace(*args, **kwargs)
        records.clear()  # side effects carry static facts out of the abstract trace
        for sname, site in tr.items():
            if site["type"] in ("sample", "deterministic", "param"):
                records[sname] = _record(sname, site)
        return 0

    try:
        jax.eval_shape(run)
    except Exception as err:
        msg = " ".join(str(err).split()) or type(err).__name__
        raise ValueError(f"calling {name} failed: {type(err).__name__}: {msg}") from err
    if not any(r["type"] == "sample" for r in records.values()):
        raise ValueError(
            f"{name} is not a NumPyro program: calling it recorded no numpyro.sample site"
        )
    return records


def _record(name: str, site: dict) -> dict:
    frames = sorted(site.get("cond_indep_stack", ()), key=lambda f: f.dim)
    rec = {
        "type": site["type"],
        "observed": bool(site.get("is_observed", False)),
        "frames": [(f.name, f.dim, int(f.size)) for f in frames],
        "value_shape": tuple(np.shape(site["value"])) if site["type"] != "param" else (),
    }
    if site["type"] == "param":
        rec["network"] = "$params" in name
        rec["free"] = _param_free(site)
    elif site["type"] == "sample":
        fn = site["fn"]
        dname = _dist_name(fn)
        factor = dname == "Unit"
        rec.update(
            dist="factor" if factor else dname,
            factor=factor,
            shape=tuple(fn.shape()),
            event_shape=tuple(fn.event_shape),
            card=None if factor else _card(fn),
            discrete=bool(fn.support.is_discrete) and not factor,
            free=0 if rec["observed"] or factor else _free(fn),
        )
    return rec


def _card(fn) -> int | None:
    from numpyro.distributions import constraints

    support = fn.support
    if not support.is_discrete or fn.event_shape:
        return None
    if support is constraints.boolean:
        return 2
    lo, hi = getattr(support, "lower_bound", None), getattr(support, "upper_bound", None)
    try:  # bounds are Python ints unless they depend on sampled values
        card = int(hi) - int(lo) + 1
    except Exception:
        return None
    return card if card >= 2 else None


def _dist_name(fn) -> str:
    import numpyro.distributions as dist

    while isinstance(fn, dist.Independent | dist.ExpandedDistribution | dist.MaskedDistribution):
        fn = fn.base_dist
    return type(fn).__name__


def _free(fn) -> int:
    """Unconstrained size of a latent site: what an optimiser or NUTS actually moves."""
    from numpyro.distributions.transforms import biject_to

    shape = tuple(fn.shape())
    if fn.support.is_discrete:
        return math.prod(shape)
    return math.prod(biject_to(fn.support).inverse_shape(shape))


def _leaf_size(value) -> int:
    import jax

    return sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(value))


def _param_free(site: dict) -> int:
    from numpyro.distributions import constraints
    from numpyro.distributions.transforms import biject_to

    constraint = site["kwargs"].get("constraint", constraints.real)
    value = site["value"]
    if not hasattr(value, "shape"):  # a pytree of weights (a network's params)
        return _leaf_size(value)
    return math.prod(biject_to(constraint).inverse_shape(tuple(value.shape)))


def _arrays(value):
    if isinstance(value, list):
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":
            return arr
    return value


def structure(fn: Callable, *args, **kwargs) -> ProgramStructure:
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
        raise ValueError(
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
    plates = [
        Plate(p, size, tuple(n for n, s in sites.items() if p in s.plates))
        for p, size in plate_size.items()
    ]
    try:
        dag = DAG(variables, edges, name=name, plates=[p for p in plates if p.members])
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from err
    return ProgramStructure(name, dag, sites, data_plates, params)


# -- the card -----------------------------------------------------------------------------


def _full_joint(st: ProgramStructure) -> dict:
    """The full joint's count over the observed per-item variables, when all are finite."""
    obs = [n for n in st.item_sites() if st.sites[n].role == "observed"]
    if not obs or any(st.sites[n].card is None for n in obs):
        return {"full_joint": None, "log10_full_joint": None, "full_joint_over": obs}
    full = math.prod(st.sites[n].card for n in obs) - 1
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
    return jsonable(out)


def inspect(fn: Callable, *args, **kwargs) -> dict:
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
    lines += format_statements(ind["local_markov"])
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

    n = n_samples
    if isinstance(n, bool) or not isinstance(n, int) or n < 10:
        raise ValueError(f"n_samples must be an int >= 10, got {n!r}")
    kwargs = dict(kwargs or {})
    st = structure(fn, *args, **kwargs)
    key = jax.random.PRNGKey(seed)
    latent = [s for s, site in st.sites.items() if site.role == "latent"]
    if st.data_plates:
        size = next(p.size for p in st.dag.plates if p.name == st.data_plates[0])
        cols = st.item_sites()
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
        raise ValueError(f"{st.name} has no per-item scalar site to test claims on")
    values = dict(fixed or {})
    unknown = [k for k in values if k not in st.sites]
    if unknown:
        raise ValueError(f"fixed names {unknown} are not sites of {st.name}")
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
    fn: Callable,
    *,
    args: tuple = (),
    kwargs: Mapping[str, Any] | None = None,
    n_samples: int = CHECK_ITEMS,
    seed: int = 0,
    dag: DAG | None = None,
    fixed: Mapping[str, Any] | None = None,
    alpha: float = 0.05,
):
    """Test every local Markov statement of ``dag`` (by default the DAG read out of the
    program) on ``n_samples`` items simulated from the program (see :func:`simulate`); returns a
    :class:`zoo.claims.ClaimsReport`. Pass a declared DAG to test a claim about the code
    against what the code does."""
    from .claims import check_claims

    columns, own = simulate(
        fn, args=args, kwargs=kwargs, n_samples=n_samples, seed=seed, fixed=fixed
    )
    return check_claims(columns, own if dag is None else dag, alpha=alpha)
