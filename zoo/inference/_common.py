"""The checks every fit makes up front (choices, counts, memory) and the progress line the
methods share."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import ZooError
from ..validate import positive_int

#: the most memory a fit's draws may take before it is refused up front (bytes)
MEMORY_LIMIT = int(os.environ.get("ZOO_MEMORY_LIMIT", 8 * 2**30))

#: the most (draws x items) values of the pointwise log-likelihood a fit keeps by default
#: (128 MiB as float32); beyond it only ``pointwise=True`` keeps the group
POINTWISE_LIMIT = 2**25


def keeps_pointwise(pointwise: bool | None, total_draws: int, items: int) -> bool:
    """Whether a fit keeps its pointwise log-likelihood: as asked, or by default while it
    holds at most :data:`POINTWISE_LIMIT` values."""
    if pointwise is None:
        return total_draws * items <= POINTWISE_LIMIT
    return bool(pointwise)


def memory_estimate(params: int, total_draws: int, items: int) -> int:
    """Bytes a fit holds at its peak: every parameter and every item's log-likelihood per
    draw, as float32, about three copies (JAX, NumPy, ArviZ)."""
    return 3 * 4 * total_draws * (params + items)


def check_memory(params: int, total_draws: int, items: int) -> None:
    """Refuse up front, with the estimate, a fit whose draws would not fit in memory."""
    need = memory_estimate(params, total_draws, items)
    if need > MEMORY_LIMIT:
        if memory_estimate(params, 1, 0) > MEMORY_LIMIT:  # not even one draw: the model
            advice = (
                f"the model's {params:,} parameters are the cause, whatever the budget: choose "
                "a smaller model (a lower --order, fewer --classes or states, a label column "
                "with fewer classes, fewer variables)"
            )
        elif params >= items:
            advice = "ask for fewer chains or draws, or choose a smaller model"
        else:
            advice = "ask for fewer chains or draws, or fit fewer items"
        raise ZooError(
            f"this fit would need about {need / 2**30:,.1f} GiB for {total_draws:,} draws of "
            f"{params:,} parameters and {items:,} items' log-likelihoods (limit "
            f"{MEMORY_LIMIT / 2**30:.0f} GiB, ZOO_MEMORY_LIMIT); {advice}"
        )


def check_budget(chains: Any, warmup: Any, draws: Any, steps: Any, target_accept: float) -> None:
    """``ValueError`` unless the counts are positive ints and ``target_accept`` in (0, 1)."""
    for name, value in (("chains", chains), ("warmup", warmup), ("draws", draws), ("steps", steps)):
        positive_int(name, value)
    if not 0 < target_accept < 1:
        raise ZooError(f"target_accept must be in (0, 1), got {target_accept}")


def progress_printer(what: str, warmup: int = 0) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a bar on standard error
    (:func:`zoo.progress.iterations`; ``warmup``: NUTS's, named as a phase)."""
    from ..progress import iterations

    return iterations(what, warmup)
