"""``double-counting``: naive Bayes counts correlated evidence twice; logistic regression
does not.

A spam corpus comes from a known generative process (:func:`spam_corpus`): the class
``y`` (spam or ham), ten words independent given the class, and a latent "money" topic
``m`` that makes BANK and ACCOUNT appear together almost always:

    p(y, m, x) = p(y) p(m | y) p(BANK | m) p(ACCOUNT | m) prod_w p(x_w | y)

so the true ``p(y | x)`` is exact (``m`` summed out) and stands beside the classifiers.
Naive Bayes assumes BANK and ACCOUNT independent given ``y`` and adds their log-odds twice;
logistic regression fits ``p(y | x)`` directly and splits the weight between them. Both are
trained on the same corpus and scored on a large fresh one: log loss, expected calibration
error (ECE, 10 equal-width bins of ``p(spam)``) and a reliability diagram. Then BANK is
duplicated ``c`` times (a feature copied verbatim): the truth does not change, naive Bayes
counts the word ``c + 1`` times, logistic regression shares one weight among the copies.

JSON contract:

* ``table``: one row per copies of BANK and model (``truth``, ``naive_bayes``,
  ``logistic``, ``sklearn``): ``copies``, ``model``, ``log_loss``, ``ece``, ``error``.
* ``summary``: ``log_loss`` and ``ece`` (model -> number, no copies), ``example`` (p(spam)
  for an email holding only BANK and ACCOUNT: ``truth``, ``naive_bayes``, ``logistic``),
  ``duplication`` (``copies`` and per model the lists ``log_loss`` and ``ece``),
  ``reliability`` (model -> bins with ``predicted``, ``observed``, ``count``) and
  ``finding``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ZooError
from ._checks import check_int, check_sizes
from ._common import (
    error_rate,
    expected_calibration_error,
    log_loss,
    naive_bayes_fit,
    reliability,
    softmax,
)
from ._run import AnalysisResult, one_blas_thread, reporter, rounded, settings_for

if TYPE_CHECKING:
    from ._common import NaiveBayesPosterior
    from ._logistic import LogisticFit

SPAM_PRIOR = 0.4
#: word -> (p(word | ham), p(word | spam)), each independent of the rest given the class
WORDS = {
    "FREE": (0.04, 0.30),
    "WIN": (0.02, 0.18),
    "OFFER": (0.05, 0.22),
    "CLICK": (0.03, 0.20),
    "URGENT": (0.03, 0.12),
    "MEETING": (0.25, 0.05),
    "PROJECT": (0.20, 0.04),
    "LUNCH": (0.10, 0.03),
    "REPORT": (0.18, 0.06),
    "THANKS": (0.30, 0.12),
}
TOPIC = (0.08, 0.50)  # p(money topic | ham), p(money topic | spam)
PAIR = ("BANK", "ACCOUNT")
PAIR_GIVEN_TOPIC = (0.02, 0.95)  # p(word | topic off), p(word | topic on), for each of the pair
VOCABULARY = (*WORDS, *PAIR)
MODELS = ("truth", "naive_bayes", "logistic", "sklearn")
PRESETS = {
    "small": {"train_items": 500, "test_items": 4000, "copies": (0, 2, 4)},
    "full": {"train_items": 2000, "test_items": 20000, "copies": (0, 1, 2, 4, 8)},
}
BINS = 10


def spam_corpus(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` emails from the known process: ``(x, y)``, ``x`` 0/1 over :data:`VOCABULARY`
    (the independent words, then BANK and ACCOUNT), ``y`` 1 for spam. Same seed, same
    corpus."""
    check_int("n", n)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < SPAM_PRIOR).astype(np.int32)
    probs = np.array(list(WORDS.values()))  # (words, 2)
    words = rng.random((n, len(WORDS))) < probs[:, y].T
    topic = rng.random(n) < np.asarray(TOPIC)[y]
    pair = rng.random((n, 2)) < np.asarray(PAIR_GIVEN_TOPIC)[topic.astype(int)][:, None]
    return np.concatenate([words, pair], axis=1).astype(np.int32), y


def true_log_joint(x: np.ndarray) -> np.ndarray:
    """``(items, 2)`` the exact log p(y, x) of the generating process, the topic summed
    out; columns after BANK and ACCOUNT are copies and carry no information."""
    x = np.asarray(x, dtype=np.float64)
    nw = len(WORDS)
    probs = np.array(list(WORDS.values()))  # (words, 2)
    words = x[:, :nw]
    out = np.log([1 - SPAM_PRIOR, SPAM_PRIOR]) + words @ np.log(probs)
    out += (1 - words) @ np.log1p(-probs)
    bank, account = x[:, nw], x[:, nw + 1]
    pair = np.zeros((len(x), 2))
    for on, q in enumerate(PAIR_GIVEN_TOPIC):
        p_pair = q**bank * (1 - q) ** (1 - bank) * q**account * (1 - q) ** (1 - account)
        p_topic = np.asarray(TOPIC) if on else 1 - np.asarray(TOPIC)
        pair += p_topic[None] * p_pair[:, None]
    scores: np.ndarray = out + np.log(pair)
    return scores


def true_proba(x: np.ndarray) -> np.ndarray:
    """``(items, 2)`` the exact p(y | x) of the generating process."""
    return softmax(true_log_joint(x))


def with_copies(x: np.ndarray, copies: int) -> np.ndarray:
    """``x`` with BANK's column appended ``copies`` more times."""
    bank = x[:, len(WORDS) : len(WORDS) + 1]
    return np.concatenate([x, np.repeat(bank, copies, axis=1)], axis=1)


@one_blas_thread
def run_double_counting(
    *,
    size: str = "small",
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    train_items: int | None = None,
    test_items: int | None = None,
    copies: Sequence[int] | None = None,
) -> AnalysisResult:
    """Naive Bayes' overconfidence on correlated words, against logistic regression.

    ``size="small"`` trains on 500 emails, ``"full"`` on 2,000 (the docs' numbers).
    ``seed`` seeds the training and test corpora and the posterior draws; ``progress``
    receives one line per number of copies. The rest override the preset: ``train_items``
    and ``test_items`` (emails to train on and to score) and ``copies`` (numbers of extra
    copies of BANK to try; 0 must be among them: it is the baseline).
    """
    s = settings_for(
        size, seed, PRESETS, train_items=train_items, test_items=test_items, copies=copies
    )
    check_int("train_items", s["train_items"], 10)
    check_int("test_items", s["test_items"], 10)
    check_sizes("copies", s["copies"], 0)
    if s["copies"][0] != 0:
        raise ZooError(f"copies must start at 0 (the corpus as generated), got {s['copies']}")
    if len(VOCABULARY) + s["copies"][-1] > 64:
        raise ZooError(f"at most {64 - len(VOCABULARY)} copies, got {s['copies'][-1]}")
    say = reporter(progress, "double-counting")
    from ._logistic import fit_logistic, sklearn_logistic

    xtr, ytr = spam_corpus(s["train_items"], seed=seed * 2 + 0)
    xte, yte = spam_corpus(s["test_items"], seed=seed * 2 + 1)
    truth = true_proba(xte)
    table, probs = [], {}
    for c in s["copies"]:
        a, b = with_copies(xtr, c), with_copies(xte, c)
        pred = {"truth": truth}
        nb = naive_bayes_fit(a, ytr, 2)
        pred["naive_bayes"] = nb.predict_proba(b)
        blr = fit_logistic(a, ytr, classes=2)
        pred["logistic"] = blr.predict_proba(b, seed=seed)
        pred["sklearn"] = sklearn_logistic(a, ytr).predict_proba(b)
        for model in MODELS:
            p = pred[model]
            table.append(
                {
                    "copies": int(c),
                    "model": model,
                    "log_loss": rounded(log_loss(p, yte)),
                    "ece": rounded(expected_calibration_error(p[:, 1], yte, BINS)),
                    "error": rounded(error_rate(p, yte)),
                }
            )
        if c == 0:
            probs = pred
            example = _example(nb, blr, a.shape[1], seed)
        nb_row = next(r for r in table[-len(MODELS) :] if r["model"] == "naive_bayes")
        say(f"{c} extra copies of BANK: naive Bayes log loss {nb_row['log_loss']}")
    summary = _summary(table, probs, yte, example, s["copies"])
    from .figures import double_counting_figure

    figures = {"double_counting.png": double_counting_figure(summary)}
    return AnalysisResult("double-counting", summary, table, figures, s)


def _example(nb: NaiveBayesPosterior, blr: LogisticFit, width: int, seed: int) -> dict:
    """p(spam) of an email holding BANK and ACCOUNT and nothing else."""
    email = np.zeros((1, width), dtype=np.int32)
    email[0, len(WORDS) : len(WORDS) + 2] = 1
    return {
        "truth": rounded(true_proba(email)[0, 1]),
        "naive_bayes": rounded(nb.predict_proba(email)[0, 1]),
        "logistic": rounded(blr.predict_proba(email, seed=seed)[0, 1]),
    }


def _summary(
    table: list[dict[str, Any]],
    probs: dict[str, np.ndarray],
    y: np.ndarray,
    example: dict,
    copies: Sequence[int],
) -> dict:
    base = {r["model"]: r for r in table if r["copies"] == 0}
    dup = {
        m: {key: [r[key] for r in table if r["model"] == m] for key in ("log_loss", "ece")}
        for m in MODELS
    }
    nb, lr = base["naive_bayes"], base["logistic"]
    nb_dup, lr_dup = dup["naive_bayes"]["log_loss"], dup["logistic"]["log_loss"]
    finding = (
        f"naive Bayes is overconfident: log loss {nb['log_loss']} and ECE {nb['ece']} against "
        f"logistic regression's {lr['log_loss']} and {lr['ece']} (truth: "
        f"{base['truth']['log_loss']}); for an email with only BANK and ACCOUNT it says "
        f"p(spam) = {example['naive_bayes']} where the truth is {example['truth']} "
        f"(logistic: {example['logistic']}); with {copies[-1]} extra copies of BANK naive "
        f"Bayes' log loss goes from {nb_dup[0]} to {nb_dup[-1]}, logistic regression's from "
        f"{lr_dup[0]} to {lr_dup[-1]}"
    )
    return {
        "log_loss": {m: base[m]["log_loss"] for m in MODELS},
        "ece": {m: base[m]["ece"] for m in MODELS},
        "example": example,
        "duplication": {"copies": list(copies), **dup},
        "reliability": {
            m: [
                {k: rounded(v) if isinstance(v, float) else v for k, v in b.items()}
                for b in reliability(probs[m][:, 1], y, BINS)
            ]
            for m in ("truth", "naive_bayes", "logistic")
        },
        "finding": finding,
    }
