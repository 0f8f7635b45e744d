"""What ``zoo compare`` is told and what it writes, as data: the budgets (:class:`Budget`,
:data:`BUDGETS`), the keys of a row in table order and the decimals each number keeps.
Re-exported by :mod:`zoo.compare`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Budget:
    """How hard ``compare`` works: fit settings per kind of family, and learning curves."""

    name: str
    tabular: dict  # fit() keyword arguments for the tabular families
    tabular_reason: str | None  # replaces the family's own reason when the method changes
    svi: dict  # fit() keyword arguments for the SVI families (guide: the family's own)
    steps: dict  # SVI steps per row (``default_steps`` for rows not named)
    latent_classes: int
    curve_sizes: tuple[int, ...]  # training items per learning-curve point (capped by data)
    svi_curve_sizes: tuple[int, ...]  # SVI refits for the curves (none: EM / no curve)
    guides: dict = field(default_factory=dict)  # row -> SVI guide replacing the family's own
    default_steps: int = 1000


def _sampled(
    name: str,
    draws: int,
    svi_draws: int,
    steps: tuple[int, int],
    curve_sizes: tuple[int, ...],
    svi_curve_sizes: tuple[int, ...],
) -> Budget:
    """A budget that samples the tabular posteriors by NUTS (``draws`` warmup and draws, four
    chains); ``steps``: the latent-class and the autoregressive rows' SVI steps."""
    lc, ar = steps
    return Budget(
        name,
        tabular={"method": "nuts", "chains": 4, "warmup": draws, "draws": draws},
        tabular_reason=None,
        svi={"chains": 4, "draws": svi_draws},
        steps={"latent-class": lc, "autoregressive-logistic": ar, "autoregressive-neural": ar},
        latent_classes=30,
        curve_sizes=curve_sizes,
        svi_curve_sizes=svi_curve_sizes,
    )


BUDGETS: dict[str, Budget] = {
    "quick": Budget(
        "quick",
        tabular={"method": "exact", "chains": 2, "draws": 100},
        tabular_reason="quick budget: exact conjugate posterior (NUTS at the default budget)",
        svi={"chains": 1, "draws": 50},
        steps={"latent-class": 200, "autoregressive-logistic": 300, "autoregressive-neural": 300},
        latent_classes=10,
        curve_sizes=(50, 200, 800),
        svi_curve_sizes=(),
        # a MAP needs no k-hat pass and, at few steps, scores better than the mean field
        guides={"autoregressive-logistic": "map"},
    ),
    "default": _sampled("default", 1000, 250, (2000, 3000), (50, 100, 200, 400, 800), (100, 400)),
    "thorough": _sampled(
        "thorough", 2000, 500, (3000, 5000), (25, 50, 100, 200, 400, 800), (50, 200, 800)
    ),
}

#: the keys of every row, in table order
ROW_KEYS = (
    "family",
    "params",
    "log10_ratio",
    "local_markov",
    "dsep_marginal",
    "dsep_given",
    "dsep_given_nodes",
    "method",
    "guide",
    "method_reason",
    "rhat_max",
    "ess_bulk_min",
    "ess_tail_min",
    "divergences",
    "ebfmi_min",
    "khat",
    "nats_per_item",
    "bits_per_dim",
    "claims_contradicted",
    "claims_note",
    "diagnostics_pass",
    "diagnostics_failed",
)
#: decimals kept per number: the table prints exactly these
DECIMALS = {
    "log10_ratio": 2,
    "dsep_marginal": 3,
    "dsep_given": 3,
    "rhat_max": 3,
    "ess_bulk_min": 0,
    "ess_tail_min": 0,
    "ebfmi_min": 2,
    "khat": 2,
    "nats_per_item": 3,
    "bits_per_dim": 4,
    "claims_contradicted": 3,
}


def rounded(value: Any, decimals: int) -> float | int | None:
    """``value`` rounded to ``decimals`` (an int at 0 decimals); None for None, NaN and inf."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    rounded = round(float(value), decimals)
    return int(rounded) if decimals == 0 else rounded
