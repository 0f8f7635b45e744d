"""The NUTS sampler persisted between processes: exported (``jax.export``) at its shapes,
saved to and read back from :data:`zoo._jax.EXPORT_DIR` under a digest that two processes
agree on (the program's jaxprs, the shapes, the settings and the engine's own source).

A file holds a magic line, a JSON header (its name and each part's size and SHA-256) and
the serialised bytes of the three exports; nothing in it is unpickled or run, and a file
whose header or digests do not check out is deleted and traced again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._jax import private_folder

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


_MAGIC = b"zoo-nuts-export 1\n"


def _read(path: str) -> dict | None:
    """Exported functions saved by an earlier process, or None (absent or not ours). A file
    that fails a check is removed, so that the trace that follows writes it again."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    try:
        return _parse(blob, Path(path).stem)
    except Exception:  # a partial, foreign or tampered file: trace again and overwrite it
        with contextlib.suppress(OSError):
            os.remove(path)
        return None


def _parse(blob: bytes, name: str) -> dict[str, Any]:
    if not blob.startswith(_MAGIC):
        raise ValueError("not a zoo export")
    rest = blob[len(_MAGIC) :]
    size = int.from_bytes(rest[:8], "little")
    header = json.loads(rest[8 : 8 + size].decode("utf-8"))
    if header.get("name") != name or sorted(header["parts"]) != sorted(_PARTS):
        raise ValueError("the header names another sampler")
    body, out = rest[8 + size :], {}
    for part in _PARTS:
        length, digest = header["parts"][part]["size"], header["parts"][part]["sha256"]
        chunk, body = body[:length], body[length:]
        if len(chunk) != length or hashlib.sha256(chunk).hexdigest() != digest:
            raise ValueError(f"part {part!r} fails its digest")
        out[part] = jax.export.deserialize(bytearray(chunk))
    return out


def _write(path: str, exported: dict) -> None:
    """Save exported functions, atomically (a concurrent reader sees all or nothing)."""
    try:
        blobs = {k: bytes(exported[k].serialize()) for k in _PARTS}
    except Exception:  # a structure the serialisation refuses: nothing to keep
        return
    parts = {k: {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for k, b in blobs.items()}
    header = json.dumps({"name": Path(path).stem, "parts": parts}).encode("utf-8")
    try:
        private_folder(os.path.dirname(path))
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + len(header).to_bytes(8, "little") + header)
                for k in _PARTS:
                    f.write(blobs[k])
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
    except OSError:
        pass  # a read-only or full cache: the next process traces again
