"""The NUTS sampler persisted between processes: exported (``jax.export``) at its shapes,
saved to and read back from :data:`zoo._jax.EXPORT_DIR` under a digest that two processes
agree on (the program's jaxprs, the shapes, the settings and the engine's own source).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_PARTS = ("init", "advance", "constrain")


def _engine_source() -> str:
    """A hash of the code that builds and runs the sampler: :mod:`zoo.nuts` and its private
    ``_nuts_*`` modules, so that a change to any of them names new exports."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in [here / "nuts.py", *sorted(here.glob("_nuts_*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


_SOURCE = _engine_source()


def _export(
    functions: dict[str, Any],
    key: Any,
    data: Any,
    reference: Any,
    shapes: dict[str, tuple[tuple[int, ...], Any]],
    chains: int,
    draws: int,
) -> dict[str, Any]:
    """``jax.export`` of the three functions at these shapes (traced and lowered here)."""
    from jax.sharding import NamedSharding, PartitionSpec

    mesh = functions["mesh"]
    split = NamedSharding(mesh, PartitionSpec("chains"))
    whole = NamedSharding(mesh, PartitionSpec())

    def spec(a, sharding=None):
        return jax.ShapeDtypeStruct(np.shape(a), jnp.asarray(a).dtype, sharding=sharding)

    data_spec = jax.tree_util.tree_map(lambda a: spec(a, whole), data)
    ref_spec = jax.tree_util.tree_map(lambda a: spec(a, whole), reference)
    init = jax.export.export(functions["init"])(spec(key, whole), data_spec, ref_spec)
    leaves = [jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=split) for a in init.out_avals]
    leaves = leaves[: len(leaves) - 1]  # the last output is the potential
    advance = jax.export.export(functions["advance"])(leaves, data_spec)
    n = chains * draws
    z = {k: jax.ShapeDtypeStruct((n, *s), d) for k, (s, d) in shapes.items()}
    constrain = jax.export.export(functions["constrain"])(z, data)
    return {"init": init, "advance": advance, "constrain": constrain}


def _callable(exported: dict[str, Any], mesh: Any) -> dict[str, Any]:
    """Jitted calls of exported functions, with the ``mesh`` they run on: tracing one is a
    single call, and its compiled code is what the persistent XLA cache keeps."""
    return {
        "init": jax.jit(exported["init"].call),
        "advance": jax.jit(exported["advance"].call, donate_argnums=0),
        "constrain": jax.jit(exported["constrain"].call),
        "mesh": mesh,
    }


def _digest(
    info: tuple[Any, ...], data: dict[str, Any], reference: Any, settings: dict[str, Any]
) -> str:
    """A name for the sampler that two processes agree on: the log density's and the
    constraining map's jaxprs (with their constants and the names in and out), the shapes,
    the settings, and the code that builds the sampler around them."""
    import numpyro

    potential_gen, postprocess_gen, shapes, _ = info
    z = {n: jax.ShapeDtypeStruct(s, d) for n, (s, d) in shapes.items()}
    h = hashlib.sha256()
    for gen in (potential_gen, postprocess_gen):
        closed, out = jax.make_jaxpr(lambda z, kw, gen=gen: gen(**kw)(z), return_shape=True)(
            z, data
        )
        h.update(str(closed.jaxpr).encode())
        h.update(str(jax.tree_util.tree_map(lambda a: (a.shape, str(a.dtype)), out)).encode())
        for c in closed.consts:
            if jnp.issubdtype(jnp.asarray(c).dtype, jax.dtypes.prng_key):
                c = jax.random.key_data(c)  # the seed handler's key
            c = np.asarray(c)
            h.update(f"{c.dtype}{c.shape}".encode() + c.tobytes())
    refs = jax.tree_util.tree_map(lambda a: (np.shape(a), str(jnp.asarray(a).dtype)), reference)
    h.update(
        repr(
            (
                sorted((n, s, str(d)) for n, (s, d) in shapes.items()),
                str(jax.tree_util.tree_structure(data)),
                str(refs),
                sorted(settings.items()),
                jax.__version__,
                jax.lib.__version__ if hasattr(jax.lib, "__version__") else "",
                numpyro.__version__,
                jax.default_backend(),
                _SOURCE,
            )
        ).encode()
    )
    return h.hexdigest()


def _read(path: str) -> dict | None:
    """Exported functions saved by an earlier process, or None (absent or unreadable)."""
    try:
        with open(path, "rb") as f:
            blobs = pickle.load(f)
        return {k: jax.export.deserialize(bytearray(blobs[k])) for k in _PARTS}
    except Exception:  # a missing, partial or foreign file: trace again and overwrite it
        return None


def _write(path: str, exported: dict) -> None:
    """Save exported functions, atomically (a concurrent reader sees all or nothing)."""
    try:
        blobs = {k: bytes(exported[k].serialize()) for k in _PARTS}
    except Exception:  # a structure the serialisation refuses: nothing to keep
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(blobs, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache: the next process traces again
