"""What the SVI peers share: the MADE's weight layout, the held-out score of a point
estimate, the start each sampler is given, and the held-out trace of a run (evaluations off
the clock) with its summary. The models themselves are written once per library
(``pyro_svi``, ``numpyro_svi``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

#: floor (and 1 - cap) of every Bernoulli probability of the mixture, as the zoo's
#: latent-class model clips it (zoo/models/latent_class.py FLOOR)
FLOOR = 1e-6


class Made:
    """The zoo's neural autoregressive conditional (zoo/models/autoregressive.py): one tanh
    hidden layer with the masks of ``graphs.made_masks(n, hidden)`` (the raster order), direct
    input-to-output weights, each weight site a flat vector of the unmasked entries only.
    Priors: weights Normal(0, prior_scale), biases Normal(0, bias_scale)."""

    def __init__(self, n: int = 64, hidden: int = 64, prior_scale=0.5, bias_scale=5.0) -> None:
        from graphs import made_masks

        (m_hidden, m_out), direct = made_masks(n, hidden)
        self.n, self.hidden = n, hidden
        self.masks = {"w_hidden": m_hidden, "w_out": m_out, "w_direct": direct}
        self.index = {k: np.nonzero(m) for k, m in self.masks.items()}
        # sites in the zoo program's order, with their sizes and prior scales
        self.sites = {
            "w_hidden": (int(m_hidden.sum()), prior_scale),
            "b_hidden": (hidden, bias_scale),
            "w_out": (int(m_out.sum()), prior_scale),
            "w_direct": (int(direct.sum()), prior_scale),
            "b_out": (n, bias_scale),
        }

    def param_count(self) -> int:
        return sum(size for size, _ in self.sites.values())

    def logits_np(self, p: dict, x: np.ndarray) -> np.ndarray:
        dense = {}
        for k, (r, c) in self.index.items():
            dense[k] = np.zeros(self.masks[k].shape)
            dense[k][r, c] = p[k]
        return self.forward(x, p, dense, np.tanh)

    @staticmethod
    def forward(x, p: dict, w: dict, tanh):
        """The logits from dense weights ``w`` and the biases in ``p``, in any array library
        (its ``tanh``): one hidden layer plus the direct connections."""
        h = tanh(x @ w["w_hidden"] + p["b_hidden"])
        return p["b_out"] + x @ w["w_direct"] + h @ w["w_out"]


def heldout_nats(kind: str, point: dict, x_test: np.ndarray, made: Made | None = None) -> float:
    """Held-out nats per image under a point estimate (``-mean log p(x)``, float64):
    ``kind="latent-class"`` takes ``{"pi", "theta"}`` (the mixture with z summed out, every
    probability floored as the zoo floors it), ``kind="made"`` the MADE's weight sites."""
    x = np.asarray(x_test, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in point.items()}
    if kind == "latent-class":
        theta = np.clip(p["theta"], FLOOR, 1 - FLOOR)
        log_1mt = np.log1p(-theta)
        joint = np.log(np.clip(p["pi"], 1e-30, None)) + x @ (np.log(theta) - log_1mt).T
        joint += log_1mt.sum(axis=1)
        top = joint.max(axis=1, keepdims=True)
        ll = top[:, 0] + np.log(np.exp(joint - top).sum(axis=1))
    else:
        lg = made.logits_np(p, x)
        ll = np.sum(x * lg - np.logaddexp(0.0, lg), axis=1)
    return float(-ll.mean())


@dataclass(frozen=True)
class SviSettings:
    """One SVI run as the Pyro and NumPyro runners take it (their keyword arguments)."""

    kind: str  # "latent-class" or "made"
    guide: str  # "map" (AutoDelta) or "normal" (AutoDiagonalNormal)
    K: int = 10
    hidden: int = 64
    steps: int = 3000
    lr: float = 0.01
    eval_every: int = 50
    seed: int = 0
    init: str = "em"
    em_point: dict | None = None

    def made(self, n: int) -> Made | None:
        return Made(n, self.hidden) if self.kind == "made" else None

    def start(self, init_to_uniform, init_to_value, as_array) -> tuple[str, dict]:
        """The start, named and as autoguide options for one library (its
        ``init_to_uniform``, ``init_to_value`` and array type ``as_array``). ``"em"`` starts
        the mixture at the zoo's MAP-EM point (as the zoo does); ``"random"`` the library's
        default; the MADE starts uniform in [-0.1, 0.1] (the zoo's
        ``init_to_uniform(radius=0.1)``: all-zero weights are a saddle)."""
        if self.kind == "made":
            return "uniform", {"init_loc_fn": init_to_uniform(radius=0.1)}
        if self.init == "em":
            values = {k: as_array(v) for k, v in self.em_point.items()}
            return "values", {"init_loc_fn": init_to_value(values=values)}
        return "default", {}

    def record(self, sampler: str, how: str) -> dict:
        """The head of a run's result: who ran what, from which start."""
        return {"sampler": sampler, "kind": self.kind, "guide": self.guide, "init": how,
                "lr": self.lr}  # fmt: skip


class HeldOutTrace:
    """The held-out score of one SVI run every few steps, on a clock that starts when the
    trace is made and stops while it scores."""

    def __init__(self, kind: str, x_test: np.ndarray, made: Made | None = None) -> None:
        self.kind, self.x_test, self.made = kind, x_test, made
        #: ``(step, seconds since the start less scoring time, held-out nats)``
        self.evals: list[tuple] = []
        self.paused = 0.0
        self.first_chunk_s = None
        self.start = time.perf_counter()

    def record(self, step: int, median, *args) -> None:
        """Score the point ``median(*args)`` gives (site -> array) after ``step`` steps."""
        pause = time.perf_counter()
        elapsed = pause - self.start - self.paused
        nats = heldout_nats(self.kind, median(*args), self.x_test, self.made)
        self.evals.append((step, elapsed, nats))
        self.first_chunk_s = elapsed if self.first_chunk_s is None else self.first_chunk_s
        self.paused += time.perf_counter() - pause

    def summary(self, out: dict, losses, steps: int, eval_every: int) -> dict:
        """``out`` with the loss trace, steps per second (after the first evaluation
        interval, which holds every one-time cost, and end to end) and the seconds until the
        held-out score is within 0.1 nats of the best one seen."""
        evals = self.evals
        out["loss"] = [float(v) for v in losses]
        total = evals[-1][1]
        best = min(e[2] for e in evals)
        hit = next(e for e in evals if e[2] <= best + 0.1)
        out.update(
            seconds=total,
            steps=steps,
            steps_per_s=(steps - eval_every) / (total - self.first_chunk_s),
            steps_per_s_e2e=steps / total,
            heldout_final=evals[-1][2],
            heldout_best=best,
            within_0p1_step=hit[0],
            within_0p1_seconds=hit[1],
            evals=[list(e) for e in evals],
        )
        return out
