"""A fit's card built: its diagnostics, held-out score and PSIS-LOO computed once, here on
the inference side, and kept in a :class:`zoo.cards.FitCard` (a family) or
:class:`zoo.cards.ProgramFitCard` (a user's program) that the reports only read.

Imports JAX (through the evaluation).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .cards import Diagnostics, FitCard, FitData, Heldout, Loo, ProgramFitCard, StructureCard
from .errors import ZooError

if TYPE_CHECKING:
    from .data import Dataset
    from .fit import FitResult
    from .models import Classifier, Family, FamilySpec
    from .programs import BoundProgram


def fit_card(
    result: FitResult,
    test: Dataset | None = None,
    *,
    options: dict[str, Any] | None = None,
    data: FitData | dict[str, Any] | None = None,
    program: str | None = None,
) -> FitCard | ProgramFitCard:
    """The card of ``result``: for a family fit a :class:`FitCard` (``test``, the held-out
    data, is needed; ``options`` are the family's; ``data`` describes the data), for a
    fitted program (:func:`zoo.programs.fit_program`) a :class:`ProgramFitCard` named
    ``program`` (default: the function's name). Without ``data``, a fit to the digits'
    fixed split (:func:`zoo.digits_split`) is recognised and recorded, so that
    :func:`zoo.load` can find its data again."""
    from .inference._target import ProgramTarget

    if isinstance(result.model, ProgramTarget):
        bound = result.model.bound
        return program_card(bound, result, program or bound.name)
    from .models import get_family

    if test is None:
        raise ZooError("a family fit's card needs its held-out data (test)")
    model = result.family_model
    if data is None:
        data = _digits_split_record(result.data, test)
    return family_card(get_family(model.family), model, result, test, options, data=data)


def _digits_split_record(train: Dataset | None, test: Dataset) -> FitData | None:
    """The data record of the digits' fixed split when ``train`` and ``test`` are it."""
    import numpy as np

    from .cards import DataSource
    from .data import digits_split
    from .sources import describe

    if train is None:
        return None
    ref_train, ref_test = digits_split()
    pairs = ((train, ref_train), (test, ref_test))
    if not all(
        a.x.shape == b.x.shape and tuple(a.names) == tuple(b.names) and np.array_equal(a.x, b.x)
        for a, b in pairs
    ):
        return None
    whole = ref_train.n_items + ref_test.n_items
    return describe(DataSource("digits", n=whole, split="fixed"), train, test)


def _diagnostics(result: FitResult) -> Diagnostics:
    from .cards import Check
    from .diagnostics import diagnose

    d = diagnose(result)
    checks = {k: Check(c["value"], c["threshold"], c["pass"]) for k, c in d.pop("checks").items()}
    passed, warnings = d.pop("pass"), d.pop("warnings")
    return Diagnostics(d, checks, passed, warnings)


def family_card(
    spec: FamilySpec,
    model: Family,
    result: FitResult,
    test: Dataset,
    options: dict[str, Any] | None = None,
    *,
    data: FitData | dict[str, Any] | None = None,
) -> FitCard:
    """:func:`fit_card` of a family fit with its spec and model given."""
    from .evaluate import heldout

    start = time.perf_counter()
    structure = StructureCard.of(spec, model.dag, options)
    diagnostics = _diagnostics(result)
    scores = heldout(result, test)
    scores.pop("per_item")
    if model.dag.with_role("label") and test.y is not None:
        scores.update(_label_scores(model, result, test))
    from .models import Trained

    if isinstance(model, Trained):
        scores["details"] = model.heldout_details(result.draws(), test) or None
        loo_card = Loo(error="a trained point has no posterior draws to leave items out of")
    else:
        loo_card = _loo(result)
    seconds = dict(result.seconds)
    seconds["evaluation"] = time.perf_counter() - start
    default = result.method == model.default_method
    if isinstance(data, dict):
        data = FitData.from_json(data) if data else None
    return FitCard(
        structure=structure,
        family=spec.name,
        method=result.method,
        method_reason=model.method_reason if default else "chosen with --method",
        default_method=model.default_method,
        data=data,
        settings=dict(result.settings),
        diagnostics=diagnostics,
        heldout=Heldout(**scores),
        loo=loo_card,
        seconds=seconds,
    )


def _loo(result: FitResult) -> Loo:
    from .evaluate import loo

    try:
        return Loo.from_json(loo(result))
    except Exception as err:  # PSIS-LOO is a bonus; a failure must not lose the fit
        return Loo(error=" ".join(str(err).split()) or type(err).__name__)


def _label_scores(model: Family, result: FitResult, test: Dataset) -> dict[str, float]:
    """Accuracy (when the model classifies) and -mean log p(x, y) per held-out item."""
    import jax.numpy as jnp

    from .evaluate import exact_applies, per_item_predictive
    from .models import ExactPredictive

    draws = result.draws()
    if exact_applies(result):
        assert isinstance(model, ExactPredictive) and result.data is not None
        joint = model.exact_log_predictive(result.data, test, joint=True)
        out = {"nats_per_item_joint": -float(joint.mean())}
    else:  # labels observed: log p(x, y)
        per_item = per_item_predictive(model.log_likelihood, draws, test)
        out = {"nats_per_item_joint": -float(jnp.mean(per_item))}
    from .models import Classifier

    if isinstance(model, Classifier):
        out["accuracy"] = _accuracy(model, draws, test)
    return out


def _accuracy(model: Classifier, draws: dict, test: Dataset) -> float:
    """The share classified right, over chunks of items: every draw's class probabilities
    for every item at once would be draws x items x classes."""
    from .evaluate import CHUNK_VALUES
    from .models._exact import item_chunks

    total = len(next(iter(draws.values())))
    right = 0
    for rows in item_chunks(test.n_items, CHUNK_VALUES // total):
        part = test.take(rows)
        right += round(model.accuracy(draws, part) * part.n_items)
    return right / test.n_items


def program_card(bound: BoundProgram, result: FitResult, name: str) -> ProgramFitCard:
    """:func:`fit_card` of a fitted program with its bound data given."""
    from .inspection import card
    from .programs import _loo, posterior_summary

    start = time.perf_counter()
    structure = card(bound.structure)
    diagnostics = _diagnostics(result)
    posterior = posterior_summary(result.idata)
    loo_card = Loo.from_json(_loo(result.idata))
    seconds = dict(result.seconds)
    seconds["evaluation"] = time.perf_counter() - start
    return ProgramFitCard(
        structure=structure,
        program=name,
        method=result.method,
        settings=dict(result.settings),
        data_keys={"arguments": sorted(bound.kwargs), "observed_sites": sorted(bound.observed)},
        posterior=posterior,
        diagnostics=diagnostics,
        loo=loo_card,
        seconds=seconds,
    )
