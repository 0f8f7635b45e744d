"""The fit card's score records: the held-out score and LOO (see :mod:`zoo.cards`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: a card's JSON object, key for key
JSON = dict[str, Any]


@dataclass(frozen=True)
class Heldout:
    """The held-out score: nats per item of log p(x), bits per dimension, the item count
    and, for a model with a label, nats per item of log p(x, label) and the accuracy;
    ``details``: what a trained family adds (a bound's convergence, an interval)."""

    nats_per_item: float | None
    bits_per_dim: float | None
    items: int
    nats_per_item_joint: float | None = None
    accuracy: float | None = None
    details: dict | None = None
    #: True when the score is in closed form (a conjugate family's posterior predictive)
    exact: bool | None = None

    def to_json(self) -> JSON:
        """This record as its JSON dict."""
        out = {
            "nats_per_item": self.nats_per_item,
            "bits_per_dim": self.bits_per_dim,
            "items": self.items,
        }
        for key in ("exact", "nats_per_item_joint", "accuracy", "details"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_json(cls, d: JSON) -> Heldout:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        return cls(**d)


@dataclass(frozen=True)
class Loo:
    """LOO on the training items (PSIS, or exact in closed form: ``exact``), or the
    ``error`` that stopped it. A family fit
    reports the share of items with k-hat > 0.7 (``khat_share``, JSON ``khat_over_0.7``); a
    program fit the largest k-hat and the count over 0.7 (``pareto_k_over``)."""

    elpd_loo: float | None = None
    se: float | None = None
    p_loo: float | None = None
    pareto_k_max: float | None = None
    pareto_k_over: int | None = None
    khat_share: float | None = None
    error: str | None = None
    #: True when LOO is exact, in closed form (no importance weights: k-hat share 0)
    exact: bool | None = None

    def to_json(self) -> JSON:
        """This record as its JSON dict."""
        if self.error is not None:
            return {"error": self.error}
        out = {"elpd_loo": self.elpd_loo, "se": self.se, "p_loo": self.p_loo}
        if self.pareto_k_over is not None:
            out.update({"pareto_k_max": self.pareto_k_max, "pareto_k_over_0.7": self.pareto_k_over})
        if self.khat_share is not None:
            out["khat_over_0.7"] = self.khat_share
        if self.exact is not None:
            out["exact"] = self.exact
        return out

    @classmethod
    def from_json(cls, d: JSON) -> Loo:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        if "error" in d:
            return cls(error=d["error"])
        return cls(
            d.get("elpd_loo"),
            d.get("se"),
            d.get("p_loo"),
            d.get("pareto_k_max"),
            d.get("pareto_k_over_0.7"),
            d.get("khat_over_0.7"),
            exact=d.get("exact"),
        )
