"""JAX set-up on each Dask worker, before its first task computes: the CPU platform, the zoo's
host devices and compilation cache (:func:`zoo.setup`). Registered by every sweep, so workers
of an existing cluster (started by ``dask worker``) get it too."""

from __future__ import annotations

import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class JaxSetup(WorkerPlugin):
    """Applies :func:`zoo.setup` in the worker process (its flags are read once, when JAX's
    backend starts, so this has to run before any task)."""

    name = "zoo-jax-setup"

    def setup(self, worker: Any) -> None:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        from . import _jax

        _jax.setup()
