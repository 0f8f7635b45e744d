"""A fit saved to a folder and read back: :func:`save` (what ``zoo fit --out DIR`` writes)
beside :func:`load` (``zoo.load``), so that the two cannot drift apart.

``DIR`` holds ``card.json`` (the card as printed), ``idata.nc`` (the posterior draws, the
log-likelihood and the training data), for SVI family fits ``svi.npz`` (the guide's
parameters and the ELBO trace: the k-hat and convergence checks need them) and any figures.
:func:`load` rebuilds the model from the card and its data from ``data.source``, so that
the card and held-out scores come out again exactly.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cards import DataSource, dumps
from .errors import ZooError

if TYPE_CHECKING:
    import matplotlib.figure

    from .cards import Card
    from .data import Dataset
    from .fit import FitResult
    from .models import Family

SVI_FILE = "svi.npz"
CARD_FILE, IDATA_FILE = "card.json", "idata.nc"


def svi_arrays(result: FitResult) -> dict[str, np.ndarray] | None:
    """What ``svi.npz`` holds for an SVI result, or a trained family's objective trace
    (``None`` for other methods)."""
    from .models import Trained

    if isinstance(result.model, Trained):
        return {"elbo": np.asarray(result.elbo)}
    if result.method != "svi":
        return None
    arrays = {"elbo": np.asarray(result.elbo)}
    for name, value in result.extra["params"].items():
        arrays[f"param:{name}"] = np.asarray(value)
    return arrays


def save(
    fit: FitResult,
    folder: str | os.PathLike[str],
    *,
    card: Card,
    figures: dict[str, matplotlib.figure.Figure] | None = None,
) -> list[str]:
    """Write ``fit`` (a :class:`zoo.fit.FitResult`) into ``folder``: ``idata.nc``,
    ``card.json`` (``card``: a record of :mod:`zoo.cards` or its JSON dict; a card is not
    computed here because a family's needs its held-out data), ``svi.npz`` for an SVI family
    fit, and ``figures`` (file name -> matplotlib figure). Each file is written under a
    temporary name and renamed. Returns the names written."""
    import graphs
    from graphs.files import atomic_path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    text = dumps(card) + "\n"
    writes = [
        (IDATA_FILE, lambda tmp: fit.idata.to_netcdf(str(tmp))),
        (CARD_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8")),
    ]
    arrays = svi_arrays(fit) if fit.data is not None else None
    if arrays is not None:  # load needs the guide and the ELBO to redo the checks

        def write_svi(tmp: Path) -> None:
            with open(tmp, "wb") as fh:  # a file object: savez would append .npz to a name
                np.savez(fh, **arrays)  # type: ignore[arg-type]  # stubs read a key as allow_pickle

        writes.append((SVI_FILE, write_svi))
    for name, write in writes:
        with atomic_path(out / name) as tmp:
            write(tmp)
    for name, fig in (figures or {}).items():
        graphs.save_figure(fig, out / name)
    return [name for name, _ in writes] + list(figures or {})


@dataclass
class SavedFit:
    """A reloaded fit: ``card`` as saved, ``result`` (a :class:`zoo.fit.FitResult`), the
    ``model``, its ``train``/``test`` data and the ``source`` they were read from."""

    path: Path
    card: dict[str, Any]
    result: FitResult
    model: Family
    train: Dataset
    test: Dataset
    source: DataSource | None = None

    def recompute(self) -> dict[str, Any]:
        """The card computed afresh from the saved draws (seconds aside, it equals
        :attr:`card`)."""
        from .assess import family_card
        from .models import get_family

        c = self.card
        again = family_card(
            get_family(c["family"]),
            self.model,
            self.result,
            self.test,
            c["options"],
            data=c["data"],
        ).to_json()
        again["seconds"] = c["seconds"]  # wall time is the one thing a reload cannot redo
        return again


def load(path: str | os.PathLike[str]) -> SavedFit:
    """Read back a fit saved by ``zoo fit FAMILY --out DIR`` (or :func:`save`).

    The data are found again from the card's ``data.source``: the bundled digits split, the
    files it names (relative paths are read from the current folder) or samples from the
    network with the recorded seed. ``ValueError`` when a file is missing or the data no
    longer match.
    """
    from ._az import az

    folder = Path(path)
    card_path, idata_path = folder / CARD_FILE, folder / IDATA_FILE
    for p in (card_path, idata_path):
        if not p.is_file():
            raise ZooError(f"{str(folder)!r} holds no saved fit: {p.name} is missing")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if "family" not in card:
        raise ZooError(f"{str(card_path)!r} is not a family fit card (no 'family' key)")
    from .data import conform
    from .fit import FitResult
    from .models import Trained, make_model
    from .sources import reopen

    model = make_model(card["family"], **card["options"])
    data = card.get("data") or {}
    seed = card["settings"]["seed"]
    source = (
        DataSource.from_json(data["source"]) if "source" in data else _legacy_source(data, seed)
    )
    train, test = reopen(source, model.dag if card["family"] == "bayesnet" else None)
    train, test = conform(train, model.dag), conform(test, model.dag)
    model.check_data(train)
    idata = az.from_netcdf(str(idata_path))
    idata.load()
    # large fits keep no pointwise log-likelihood; the observed data say as much
    seen = (
        idata["log_likelihood"]["obs"].shape[-1]
        if "log_likelihood" in idata.groups()
        else idata["observed_data"]["x"].shape[0]
    )
    if seen != train.n_items:
        raise ZooError(
            f"{str(folder)!r}: the fit saw {seen} training items but its data now have "
            f"{train.n_items}"
        )
    settings = dict(card["settings"])
    elbo: np.ndarray | None = None
    extra: dict[str, Any] = {}
    if isinstance(model, Trained):
        elbo = _trace(folder)
    elif card["method"] == "svi":
        elbo, extra = _svi_state(folder, model, train, settings)
    result = FitResult(model, card["method"], idata, dict(card["seconds"]), settings, train, elbo)
    result.extra.update(extra)
    return SavedFit(folder, card, result, model, train, test, source)


def _legacy_source(info: dict[str, Any], seed: int) -> DataSource:
    """Compatibility only: cards saved before ``data.source`` existed name their data in
    words ("digits", a path, "2000 samples from asia"); read the record back from those."""

    def origin(text: str, seed: int) -> dict[str, Any]:
        found = re.fullmatch(r"(\d+) samples from (.+)", text)
        if found:
            return {"kind": "sample", "network": found[2], "n": int(found[1]), "seed": seed}
        return {"kind": "digits"} if text == "digits" else {"kind": "file", "path": text}

    train, split = str(info.get("train", "")), info.get("split")
    if train == "digits" and split == "fixed digits split":
        return DataSource("digits", split="fixed")
    if split == "--test":
        test = DataSource(**origin(str(info["test"]), seed + 1))
        return DataSource(**origin(train, seed), split="test", test=test)
    if train:
        return DataSource(**origin(train, seed), split="fraction", test_fraction=0.2, split_seed=0)
    raise ZooError("the card does not say which data the fit saw")


def _trace(folder: Path) -> np.ndarray:
    path = folder / SVI_FILE
    if not path.is_file():
        raise ZooError(f"{str(folder)!r}: a trained fit needs {SVI_FILE}, which is missing")
    with np.load(path) as z:
        return np.asarray(z["elbo"])


def _svi_state(
    folder: Path, model: Family, train: Dataset, settings: dict[str, Any]
) -> tuple[np.ndarray, dict[str, Any]]:
    import jax.numpy as jnp
    from numpyro import handlers

    from .fit import make_guide

    path = folder / SVI_FILE
    if not path.is_file():
        raise ZooError(f"{str(folder)!r}: an SVI fit needs {SVI_FILE}, which is missing")
    with np.load(path) as z:
        elbo = np.asarray(z["elbo"])
        params = {k.split(":", 1)[1]: jnp.asarray(z[k]) for k in z.files if k.startswith("param:")}
    kwargs = model.program_kwargs(train)
    guide = make_guide(settings["guide"], model.program)
    with handlers.seed(rng_seed=0):
        guide(**kwargs)  # builds the guide's layout; its parameters come from the file
    return elbo, {"guide": guide, "params": params, "program_kwargs": kwargs}
