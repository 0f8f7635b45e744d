"""What ``zoo compare`` is told and what it writes, as data: the budgets (:class:`Budget`,
:data:`BUDGETS`), the keys of a row in table order and the decimals each number keeps.
Re-exported by :mod:`zoo.compare`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    "default": Budget(
        "default",
        tabular={"method": "nuts", "chains": 4, "warmup": 1000, "draws": 1000},
        tabular_reason=None,
        svi={"chains": 4, "draws": 250},
        steps={
            "latent-class": 2000,
            "autoregressive-logistic": 3000,
            "autoregressive-neural": 3000,
        },
        latent_classes=30,
        curve_sizes=(50, 100, 200, 400, 800),
        svi_curve_sizes=(100, 400),
    ),
    "thorough": Budget(
        "thorough",
        tabular={"method": "nuts", "chains": 4, "warmup": 2000, "draws": 2000},
        tabular_reason=None,
        svi={"chains": 4, "draws": 500},
        steps={
            "latent-class": 3000,
            "autoregressive-logistic": 5000,
            "autoregressive-neural": 5000,
        },
        latent_classes=30,
        curve_sizes=(25, 50, 100, 200, 400, 800),
        svi_curve_sizes=(50, 200, 800),
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
    "diagnostics_pass",
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
}
