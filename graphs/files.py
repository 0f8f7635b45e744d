"""Safe file output: :func:`atomic_path` writes a file whole (under a temporary name in the
same folder, then renamed into place, so a reader or an interrupted run never sees half a
file) and :func:`writable_folder` checks an output folder before any work is done.

``graphs`` writes figures and BIF files this way, and ``zoo`` (reports, data, the CLI and the
example scripts) imports both from here, since ``graphs`` cannot import ``zoo``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import GraphError


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; rename it to ``path`` when the block
    ends normally, remove it when the block raises (Ctrl-C included)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def writable_folder(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path`` as a folder that is, or can be created, writable: checked before any work,
    so a bad ``option`` fails at once and writes nothing. ``ValueError`` names the problem."""
    out = Path(path)
    probe = out
    while not probe.exists() and probe.parent != probe:  # the nearest existing ancestor
        probe = probe.parent
    if not probe.is_dir():
        raise GraphError(f"{option} {str(path)!r}: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise GraphError(f"{option} {str(path)!r}: {str(probe)!r} is not writable")
    return out


__all__ = ["atomic_path", "writable_folder"]
