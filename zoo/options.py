"""A family's options from what the user gave and from the data: the options must be ones
the family takes, and the data fix ``n`` (and the label classes of naive Bayes).

The ``zoo`` command reconciles its flags here; the messages name the flags (``--n``) because
that is where a user meets them. Needs only ``graphs``: no JAX.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ZooError
from .models import FamilySpec

if TYPE_CHECKING:
    from .data import Dataset


def given_options(spec: FamilySpec, options: Mapping) -> dict:
    """The options that were given (not None); a :class:`ZooError` for one the family lacks."""
    given = {k: v for k, v in options.items() if v is not None}
    foreign = [k for k in given if k not in spec.options]
    if foreign:
        allowed = ", ".join(f"--{o.replace('_', '-')}" for o in spec.options) or "none"
        flag = "--" + foreign[0].replace("_", "-")
        raise ZooError(
            f"option {flag} does not apply to family {spec.name!r} (its options: {allowed})"
        )
    return given


def family_options(spec: FamilySpec, given: Mapping, train: Dataset, test: Dataset) -> dict:
    """The family's options for fitting ``train`` (and scoring ``test``): ``given`` (checked
    by :func:`given_options`) with ``n`` from the data, for a family whose classes are
    the data's labels, ``classes`` from the labels unless given, and what the family learns
    from ``train`` (:meth:`FamilySpec.learned`)."""
    options = dict(given)
    if "n" in spec.options:
        if given.get("n") is not None and given["n"] != train.n_vars:
            raise ZooError(
                f"--n {given['n']} does not match the data: {train.source} has {train.n_vars} "
                "variable columns"
            )
        options["n"] = train.n_vars
    if "classes" in spec.options and given.get("classes") is None and train.y is not None:
        if spec.build(**options).with_role("label"):  # the classes are the data's labels
            # labels always come with their label_card (Dataset checks it)
            cards = [
                d.label_card for d in (train, test) if d.y is not None and d.label_card is not None
            ]
            options["classes"] = max(cards)
    return spec.learned(train, options)


__all__ = ["family_options", "given_options"]
