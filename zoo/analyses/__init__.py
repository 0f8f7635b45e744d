"""Posterior analyses: the classic questions of generative modelling, each run end to end on
the zoo's models and answered with numbers, a finding and figures.

:data:`ANALYSES` maps each name (as on the command line, ``zoo analyze NAME``) to its
function and a one-line description. Every function takes ``size="small" | "full"`` (a
preset: small runs in seconds, full gives the docs' numbers), ``seed`` and ``progress`` (a
callable receiving progress lines) plus keyword overrides of its preset, named as the
preset's keys in the analysis module's ``PRESETS`` (``None`` keeps the preset's value; an
unknown keyword is a ``TypeError``), and returns an :class:`AnalysisResult` whose
``to_json()`` is the same for the same seed; each analysis module's docstring lists the
keys of its ``summary`` and ``table``. Importing this package is light: JAX loads when an
analysis runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from ..errors import ZooError
from ._run import SIZES, AnalysisResult
from .anomaly import run_anomaly
from .double_counting import run_double_counting
from .inpaint import run_inpaint
from .missing import run_missing
from .ng_jordan import run_ng_jordan
from .semi_supervised import run_semi_supervised
from .toys import run_toys

ANALYSES: dict[str, tuple[Callable[..., AnalysisResult], str]] = {
    "ng-jordan": (
        run_ng_jordan,
        "learning curves: naive Bayes against Bayesian logistic regression (Ng and Jordan 2002)",
    ),
    "double-counting": (
        run_double_counting,
        "naive Bayes' overconfidence on correlated words (BANK, ACCOUNT) and duplicated features",
    ),
    "missing": (
        run_missing,
        "missing pixels: generative models sum them out, logistic regression imputes",
    ),
    "anomaly": (
        run_anomaly,
        "each family's log p(x) as an anomaly score: AUROC for unseen classes and corruptions",
    ),
    "semi-supervised": (
        run_semi_supervised,
        "few labels: a mixture that sums out unknown labels against labelled-only logistic",
    ),
    "inpaint": (
        run_inpaint,
        "fill in a digit's bottom half given its top: conditional nats and completions",
    ),
    "toys": (
        run_toys,
        "2-D toys: a flow, an energy model (grid Z, Langevin) and a diffusion, side by side",
    ),
}


def get_analysis(name: str) -> Callable[..., AnalysisResult]:
    """The function of analysis ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return ANALYSES[name][0]
    except (KeyError, TypeError):
        import difflib

        close = difflib.get_close_matches(str(name), ANALYSES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ZooError(
            f"unknown analysis {name!r}{hint}; expected one of {list(ANALYSES)}"
        ) from None


def write_result(result: AnalysisResult, out: str | os.PathLike) -> list[str]:
    """Write ``result.json`` and every figure (PNG) of ``result`` into folder ``out``, whole
    (a temporary folder beside it moves in at the end); returns the file names."""
    import graphs
    from graphs.files import staged_folder

    text = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    with staged_folder(out, last=("result.json",)) as stage:
        (stage / "result.json").write_text(text, encoding="utf-8")
        for name, fig in result.figures.items():
            graphs.save_figure(fig, stage / name)
    return ["result.json", *result.figures]


__all__ = [
    "ANALYSES",
    "SIZES",
    "AnalysisResult",
    "get_analysis",
    "run_anomaly",
    "run_double_counting",
    "run_inpaint",
    "run_missing",
    "run_ng_jordan",
    "run_semi_supervised",
    "run_toys",
    "write_result",
]
