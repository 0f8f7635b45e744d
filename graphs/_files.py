"""Writing a file whole: under a temporary name in the same folder, then renamed into place,
so a reader (or an interrupted run) never sees a half-written file. Shared by ``graphs`` and
``zoo``, which imports it from here because ``graphs`` cannot import ``zoo``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
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
