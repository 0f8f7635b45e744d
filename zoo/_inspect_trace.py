"""A NumPyro program's sites as plain records, traced on abstract arrays: what
:func:`zoo.inspection.structure` builds a program's DAG, sites and parameter counts from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import ZooError


def _program_name(fn: Callable) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return str(name or type(fn).__name__)


def trace(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
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
        raise ZooError(f"{fn!r} is not callable: a NumPyro program is a Python function")
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
        raise ZooError(f"calling {name} failed: {type(err).__name__}: {msg}") from err
    if not any(r["type"] == "sample" for r in records.values()):
        raise ZooError(
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


def _card(fn: Any) -> int | None:
    from numpyro.distributions import constraints

    support = fn.support
    if not support.is_discrete or fn.event_shape:
        return None
    if support is constraints.boolean:
        return 2
    lo: Any = getattr(support, "lower_bound", None)
    hi: Any = getattr(support, "upper_bound", None)
    try:  # bounds are Python ints unless they depend on sampled values
        card = int(hi) - int(lo) + 1
    except Exception:
        return None
    return card if card >= 2 else None


def _dist_name(fn: Any) -> str:
    import numpyro.distributions as dist

    while isinstance(fn, dist.Independent | dist.ExpandedDistribution | dist.MaskedDistribution):
        fn = fn.base_dist
    return type(fn).__name__


def _free(fn: Any) -> int:
    """Unconstrained size of a latent site: what an optimiser or NUTS actually moves."""
    from numpyro.distributions.transforms import biject_to

    shape = tuple(fn.shape())
    if fn.support.is_discrete:
        return math.prod(shape)
    return math.prod(biject_to(fn.support).inverse_shape(shape))


def _leaf_size(value: Any) -> int:
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


def _arrays(value: Any) -> Any:
    if isinstance(value, list):
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":
            return arr
    return value
