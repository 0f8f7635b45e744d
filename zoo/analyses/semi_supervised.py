"""``semi-supervised``: a few labels and many unlabelled digits. A generative model learns
from the images without labels too; a discriminative one cannot.

The mixture is naive Bayes with the class observed where a label is known and summed out
where it is not (:func:`program`):

    log p(D) = sum_{labelled} log p(y_n, x_n) + sum_{unlabelled} log sum_k p(k, x_n)
    p(k, x) = pi_k prod_i theta_ki^x_i (1 - theta_ki)^(1 - x_i)
    pi ~ Dirichlet(2),  theta_ki ~ Beta(2, 2)

fitted by EM to its MAP (:func:`semi_supervised_em`), started from the labelled items
alone. Beta(2, 2) makes the MAP add-one smoothing, the same point at which naive Bayes'
exact posterior predictive classifies; so with every item labelled the fit *is* naive
Bayes. Against it: Bayesian logistic regression and naive Bayes, both on the labelled
items alone. Accuracy on the fixed 360 held-out digits against the number of labels,
averaged over random draws of which items are labelled.

JSON contract:

* ``table``: one row per number of labels: ``labels``, ``mixture``, ``naive_bayes``,
  ``logistic`` (test accuracies, means over repeats) and ``mixture_se``, ``logistic_se``.
* ``summary``: ``labels`` and per model the list ``accuracy``; ``fewest`` (the row with the
  fewest labels); ``gain_at_fewest`` (mixture minus logistic accuracy there);
  ``logistic_catches_up_at`` (the fewest labels at which logistic regression is at least as
  accurate as the mixture; null if never); ``finding``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ZooError
from ._checks import check_int, check_sizes
from ._common import NaiveBayesPosterior, logsumexp, naive_bayes_fit, nested_subsets, softmax
from ._run import AnalysisResult, Progress, one_blas_thread, reporter, rounded, settings_for

if TYPE_CHECKING:
    import jax

MODELS = ("mixture", "naive_bayes", "logistic")
ALPHA = 2.0  # Beta(2, 2), Dirichlet(2): the MAP is add-one smoothing
PRESETS = {
    "small": {"labels": (20, 100), "repeats": 2, "max_iter": 100},
    "full": {"labels": (10, 20, 40, 80, 160, 320, 640, 1437), "repeats": 5, "max_iter": 300},
}


def program(x: jax.Array, y: jax.Array, labelled: jax.Array, classes: int) -> None:
    """The NumPyro program: priors, then per item ``log p(y_n, x_n)`` if labelled and
    ``log sum_k p(k, x_n)`` if not (``y`` is ignored where ``labelled`` is False)."""
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    d = x.shape[1]
    pi = numpyro.sample("pi", dist.Dirichlet(jnp.full(classes, ALPHA)))
    theta = numpyro.sample("theta", dist.Beta(ALPHA, ALPHA).expand([classes, d]).to_event(2))
    joint = jnp.log(pi) + x @ jnp.log(theta).T + (1 - x) @ jnp.log1p(-theta).T
    seen = jnp.take_along_axis(joint, y[:, None], axis=1)[:, 0]
    numpyro.factor("loglik", jnp.where(labelled, seen, jax.nn.logsumexp(joint, axis=1)).sum())


def objective(
    x: np.ndarray, y: np.ndarray, labelled: np.ndarray, pi: np.ndarray, theta: np.ndarray
) -> float:
    """The log posterior EM climbs, up to the priors' normalising constants."""
    return _objective(NaiveBayesPosterior(pi, theta).log_joint(x), y, labelled, pi, theta)


def _objective(
    joint: np.ndarray, y: np.ndarray, labelled: np.ndarray, pi: np.ndarray, theta: np.ndarray
) -> float:
    ll = np.where(labelled, joint[np.arange(len(y)), y], logsumexp(joint)).sum()
    prior = (ALPHA - 1) * (np.log(pi).sum() + np.log(theta).sum() + np.log1p(-theta).sum())
    return float(ll + prior)


def semi_supervised_em(
    x: np.ndarray,
    y: np.ndarray,
    labelled: np.ndarray,
    classes: int,
    max_iter: int = 300,
    tol: float = 1e-6,
) -> tuple[NaiveBayesPosterior, list[float]]:
    """MAP of :func:`program` by EM: responsibilities are the label where known and
    ``p(k | x_n)`` where not; the M-step is add-one smoothing of the weighted counts.
    Starts from the labelled items alone; stops when the objective gains less than ``tol``
    per item. Returns the fit and the objective after every iteration (never decreasing)."""
    x = np.asarray(x, dtype=np.float64)
    labelled = np.asarray(labelled, dtype=bool)
    onehot = np.eye(classes)[np.where(labelled, y, 0)]
    resp = np.where(labelled[:, None], onehot, 0.0)
    trace: list[float] = []
    for _ in range(max_iter):
        nk = resp.sum(axis=0)
        theta = (resp.T @ x + ALPHA - 1) / (nk[:, None] + 2 * ALPHA - 2)
        pi = (nk + ALPHA - 1) / (nk.sum() + classes * (ALPHA - 1))
        joint = NaiveBayesPosterior(pi, theta).log_joint(x)
        trace.append(_objective(joint, y, labelled, pi, theta))
        if len(trace) > 1 and trace[-1] - trace[-2] < tol * len(x):
            break
        resp = np.where(labelled[:, None], onehot, softmax(joint))
    return NaiveBayesPosterior(pi, theta), trace


@one_blas_thread
def run_semi_supervised(
    *, size: str = "small", seed: int = 0, progress: Progress = None, **overrides: Any
) -> AnalysisResult:
    """Accuracy against the number of labels: the semi-supervised mixture against logistic
    regression and naive Bayes on the labelled digits alone.

    ``size="small"`` labels 20 and 100 digits twice over, ``"full"`` 10 up to all 1,437 five
    times (the docs' numbers). ``seed`` seeds which items are labelled and the posterior
    draws; ``progress`` receives one line per repeat. The rest override the preset:
    ``labels`` (numbers of labelled training items, at least 10, at most 1,437),
    ``repeats`` and ``max_iter`` (the EM iteration cap).
    """
    s = settings_for(size, seed, PRESETS, **overrides)
    check_sizes("labels", s["labels"], 10)
    check_int("repeats", s["repeats"], 2)
    check_int("max_iter", s["max_iter"])
    from zoo.data import digits_split

    from ._logistic import fit_logistic

    train, test = digits_split()
    if s["labels"][-1] > train.n_items:
        raise ZooError(f"labels must be at most {train.n_items}, got {s['labels'][-1]}")
    say = reporter(progress, "semi-supervised")
    acc = {m: np.zeros((s["repeats"], len(s["labels"]))) for m in MODELS}
    for r in range(s["repeats"]):
        rng = np.random.default_rng([seed, r])
        subsets = nested_subsets(train.labels, s["labels"], rng, 10)
        blr = fit_logistic(train.x, train.labels, subsets, classes=10, pad_items=train.n_items)
        for j, idx in enumerate(subsets):
            labelled = np.zeros(train.n_items, dtype=bool)
            labelled[idx] = True
            mix, _ = semi_supervised_em(train.x, train.labels, labelled, 10, s["max_iter"])
            pred = {
                "mixture": mix.predict_proba(test.x),
                "naive_bayes": naive_bayes_fit(train.x[idx], train.labels[idx], 10).predict_proba(
                    test.x
                ),
                "logistic": blr.predict_proba(test.x, j, seed=seed * 1000 + r),
            }
            for m in MODELS:
                acc[m][r, j] = np.mean(pred[m].argmax(axis=1) == test.labels)
        say(
            f"repeat {r + 1}/{s['repeats']}: {s['labels'][0]} labels: mixture "
            f"{acc['mixture'][r, 0]:.3f}, logistic {acc['logistic'][r, 0]:.3f}"
        )
    table = []
    for j, n in enumerate(s["labels"]):
        row: dict[str, Any] = {"labels": int(n)}
        row.update({m: rounded(acc[m][:, j].mean()) for m in MODELS})
        for m in ("mixture", "logistic"):
            row[f"{m}_se"] = rounded(acc[m][:, j].std(ddof=1) / math.sqrt(s["repeats"]))
        table.append(row)
    fewest = table[0]
    gain = rounded(fewest["mixture"] - fewest["logistic"])
    behind = [r["labels"] for r in table if r["logistic"] >= r["mixture"]]
    summary = {
        "labels": [r["labels"] for r in table],
        **{m: {"accuracy": [r[m] for r in table]} for m in MODELS},
        "fewest": fewest,
        "gain_at_fewest": gain,
        "logistic_catches_up_at": behind[0] if behind else None,
        "finding": (
            f"with {fewest['labels']} labels the semi-supervised mixture reaches accuracy "
            f"{fewest['mixture']} against {fewest['logistic']} for logistic regression and "
            f"{fewest['naive_bayes']} for naive Bayes on the labelled items alone; with "
            f"{table[-1]['labels']} labels: {table[-1]['mixture']}, {table[-1]['logistic']} "
            f"and {table[-1]['naive_bayes']}; "
            + (
                f"logistic regression catches up at {behind[0]} labels"
                if behind
                else "logistic regression never catches up"
            )
        ),
    }
    from .figures import semi_supervised_figure

    figures = {"semi_supervised.png": semi_supervised_figure(table)}
    return AnalysisResult("semi-supervised", summary, table, figures, s)
