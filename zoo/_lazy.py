"""JAX and NumPyro imported on first use, so that importing a family module stays light.

``zoo list`` and ``zoo show`` import every family module to read its spec; the modules name
``jax``, ``jnp``, ``numpyro`` and ``dist`` at the top as usual, but the import happens when
an attribute is first read (a fit), not when the module loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

P = ParamSpec("P")
R = TypeVar("R")


class LazyModule:
    """Stands in for module ``name`` until an attribute is read, then imports it."""

    def __init__(self, name: str) -> None:
        self.__dict__["_name"] = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self.__dict__["_name"]), attr)
        self.__dict__[attr] = value  # later reads are plain attribute hits
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_name']!r}>"


@overload
def jit(fun: Callable[P, R], **options: Any) -> Callable[P, R]: ...
@overload
def jit(fun: None = None, **options: Any) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def jit(fun: Callable[P, R] | None = None, **options: Any) -> Any:
    """``jax.jit(fun, **options)``, built on the first call; usable as a decorator."""
    if fun is None:
        return lambda f: jit(f, **options)
    compiled: list = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not compiled:
            import jax

            compiled.append(jax.jit(fun, **options))
        return compiled[0](*args, **kwargs)

    call.__name__ = getattr(fun, "__name__", "jitted")
    call.__doc__ = fun.__doc__
    call.__wrapped__ = fun  # type: ignore[attr-defined]
    return call


if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
else:
    jax = LazyModule("jax")
    jnp = LazyModule("jax.numpy")
    numpyro = LazyModule("numpyro")
    dist = LazyModule("numpyro.distributions")

__all__ = ["LazyModule", "dist", "jax", "jit", "jnp", "numpyro"]
