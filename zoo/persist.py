"""A fit saved to a folder and read back: :func:`save` (what ``zoo fit --out DIR`` writes)
beside :func:`load` (``zoo.load``), so that the two cannot drift apart.

``DIR`` holds ``card.json`` (the card as printed), ``idata.nc`` (the posterior draws, the
log-likelihood and the training data), for SVI family fits ``svi.npz`` (the guide's
parameters and the ELBO trace: the k-hat and convergence checks need them) and any figures.
:func:`load` rebuilds the model from the card and its data from ``data.source``, so that
the card and held-out scores come out again exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, replace
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
#: the folder of a saved fit that holds copies of its data files
DATA_FOLDER = "data"


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
    fit, a copy of the data files the fit read (``data/``) and ``figures`` (file name ->
    matplotlib figure). Returns the names written.

    The folder is written whole: everything goes to a temporary folder beside it and moves
    in at the end (:func:`graphs.files.staged_folder`), so a killed run leaves the folder as
    it was. ``card.json`` holds the card as printed plus a ``saved`` block: the SHA-256 of
    the ``idata.nc`` it belongs to and where the copies of the data are, both checked by
    :func:`load`."""
    import graphs
    from graphs.files import staged_folder

    doc = json.loads(dumps(card))
    _check_space(fit, Path(folder))
    arrays = svi_arrays(fit) if fit.data is not None else None
    names = [IDATA_FILE, CARD_FILE] + ([SVI_FILE] if arrays is not None else [])
    with staged_folder(folder, last=(CARD_FILE,)) as stage:
        fit.idata.to_netcdf(str(stage / IDATA_FILE))
        if arrays is not None:  # load needs the guide and the ELBO to redo the checks
            with open(stage / SVI_FILE, "wb") as fh:  # a file object: savez would add .npz
                np.savez(fh, **arrays)  # type: ignore[arg-type]  # stubs read a key as allow_pickle
        saved: dict[str, Any] = {"idata_sha256": _sha256(stage / IDATA_FILE)}
        copies = _copy_data(doc.get("data") or {}, stage)
        if copies:
            saved["data"] = copies
        doc["saved"] = saved
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (stage / CARD_FILE).write_text(text, encoding="utf-8")
        for name, fig in (figures or {}).items():
            graphs.save_figure(fig, stage / name)
    return names + list(figures or {})


def _check_space(fit: FitResult, folder: Path) -> None:
    """Refuse up front when the draws would not fit on the disk: HDF5 handles a write that
    runs out of space badly (it has crashed the process), so it is not left to find out."""
    probe = folder.absolute()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    need = sum(int(v.nbytes) for g in fit.idata.groups() for v in fit.idata[g].data_vars.values())
    free = shutil.disk_usage(probe).free
    if free < need + 2**20:
        raise ZooError(
            f"--out {str(folder)!r}: no space left on the device for the fit (about "
            f"{need / 2**20:,.1f} MiB needed, {free / 2**20:,.1f} MiB free); nothing was written"
        )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_data(data: dict[str, Any], stage: Path) -> dict[str, str]:
    """Copy the files the fit read into ``stage/data/``; returns role -> relative name. A
    saved fit is then whole in itself: :func:`load` reads nothing outside its folder."""
    source = data.get("source") if isinstance(data, dict) else None
    if not isinstance(source, dict):
        return {}
    found = {"train": source}
    if source.get("split") == "test":
        found["test"] = source.get("test") or {}
    copies = {}
    for role, record in found.items():
        if record.get("kind") != "file":
            continue
        original = Path(record["path"])
        name = f"{DATA_FOLDER}/{role}{original.suffix.lower()}"
        (stage / DATA_FOLDER).mkdir(exist_ok=True)
        shutil.copyfile(original, stage / name)
        copies[role] = name
    return copies


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
    copies of its files in ``DIR/data/`` or samples from the network with the recorded
    seed. Only files inside ``DIR`` are read: a card naming an absolute path, a ``..`` or a
    link leading out is refused. ``ValueError`` when a file is missing, ``idata.nc`` is not
    the one the card was saved with, or the data no longer match.
    """
    from ._az import az

    folder = Path(path)
    card_path, idata_path = _inside(folder, CARD_FILE), _inside(folder, IDATA_FILE)
    for p in (card_path, idata_path):
        if not p.is_file():
            raise ZooError(f"{str(folder)!r} holds no saved fit: {p.name} is missing")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ZooError(f"{str(card_path)!r} is not a JSON card ({err})") from None
    if not isinstance(card, dict) or "family" not in card:
        raise ZooError(f"{str(card_path)!r} is not a family fit card (no 'family' key)")
    saved = card.pop("saved", None) or {}
    if "idata_sha256" in saved and _sha256(idata_path) != saved["idata_sha256"]:
        raise ZooError(
            f"{str(folder)!r}: {IDATA_FILE} is not the one {CARD_FILE} was saved with (its "
            "SHA-256 differs): the folder mixes two fits; fit again with --out"
        )
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
    stored = _stored(source, saved.get("data") or {}, folder)
    train, test = reopen(stored, model.dag if card["family"] == "bayesnet" else None)
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


def _inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it lies inside ``folder``: a card is data, and a
    crafted one must not make :func:`load` read (and echo) a file elsewhere."""
    given = Path(name)
    if given.is_absolute() or ".." in given.parts:
        raise ZooError(
            f"{str(folder)!r}: {CARD_FILE} names {name!r}, outside the folder; zoo.load reads "
            "only files inside the folder it is given"
        )
    full = folder / given
    root, real = folder.resolve(), full.resolve()
    if real != root and root not in real.parents:
        raise ZooError(
            f"{str(folder)!r}: {name!r} is a link leading outside the folder; zoo.load reads "
            "only files inside the folder it is given"
        )
    return full


def _stored(source: DataSource, copies: dict[str, Any], folder: Path) -> DataSource:
    """``source`` with its file paths pointing at the copies inside ``folder`` (a card from
    before the copies: its relative paths, read inside ``folder``)."""

    def one(record: DataSource, role: str) -> DataSource:
        if record.kind != "file":
            return record
        name = str(copies.get(role) or record.path)
        full = _inside(folder, name)
        if not full.is_file():
            raise ZooError(
                f"{str(folder)!r}: the data file {name!r} is missing from the folder (a saved "
                "fit reads its data from copies inside it; for a fit saved before the copies "
                "were kept, copy the file there)"
            )
        return replace(record, path=str(full))

    test = None if source.test is None else one(source.test, "test")
    return replace(one(source, "train"), test=test)


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
    path = _inside(folder, SVI_FILE)
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

    path = _inside(folder, SVI_FILE)
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
