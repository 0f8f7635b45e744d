"""``zoo.load``: a family fit saved by ``zoo fit --out DIR`` read back, with its model and
data rebuilt from the card, so that its card and held-out scores come out again exactly.

``DIR`` holds ``card.json`` (what was printed), ``idata.nc`` (the posterior draws, the
log-likelihood and the training data) and, for SVI fits, ``svi.npz`` (the guide's
parameters and the ELBO trace: the k-hat and convergence checks need them).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SVI_FILE = "svi.npz"


def svi_arrays(result) -> dict[str, np.ndarray] | None:
    """What ``svi.npz`` holds for an SVI result (``None`` for other methods)."""
    if result.method != "svi":
        return None
    arrays = {"elbo": np.asarray(result.elbo)}
    for name, value in result.extra["params"].items():
        arrays[f"param:{name}"] = np.asarray(value)
    return arrays


@dataclass
class SavedFit:
    """A reloaded fit: ``card`` as saved, ``result`` (a :class:`zoo.fit.FitResult`), the
    ``model`` and its ``train``/``test`` data, rebuilt from the card."""

    path: Path
    card: dict
    result: object
    model: object
    train: object
    test: object

    def recompute(self) -> dict:
        """The card computed afresh from the saved draws (seconds aside, it equals
        :attr:`card`)."""
        from .card import fit_card
        from .models import get_family

        c = self.card
        again = fit_card(
            get_family(c["family"]),
            self.model,
            self.result,
            self.test,
            c["options"],
            data=c["data"],
        )
        again["seconds"] = c["seconds"]  # wall time is the one thing a reload cannot redo
        return again


def load(path: str | os.PathLike) -> SavedFit:
    """Read back a fit saved by ``zoo fit FAMILY --out DIR``.

    The data are found again from the card: the bundled digits split, the files it names
    (relative paths are read from the current folder) or samples from the network with the
    fit's seed. ``ValueError`` when a file is missing or the data no longer match.
    """
    from ._az import az

    folder = Path(path)
    card_path, idata_path = folder / "card.json", folder / "idata.nc"
    for p in (card_path, idata_path):
        if not p.is_file():
            raise ValueError(f"{str(folder)!r} holds no saved fit: {p.name} is missing")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if "family" not in card:
        raise ValueError(f"{str(card_path)!r} is not a family fit card (no 'family' key)")
    from .fit import FitResult
    from .models import make_model

    model = make_model(card["family"], **card["options"])
    train, test = _data(card, model)
    model.check_data(train)
    idata = az.from_netcdf(str(idata_path))
    idata.load()
    if idata.log_likelihood["obs"].shape[-1] != train.n_items:
        raise ValueError(
            f"{str(folder)!r}: the fit saw {idata.log_likelihood['obs'].shape[-1]} training "
            f"items but its data now have {train.n_items}"
        )
    settings = dict(card["settings"])
    elbo, extra = None, {}
    if card["method"] == "svi":
        elbo, extra = _svi_state(folder, model, train, settings)
    result = FitResult(model, card["method"], idata, dict(card["seconds"]), settings, train, elbo)
    result.extra.update(extra)
    return SavedFit(folder, card, result, model, train, test)


def _data(card: dict, model):
    from .data import conform, digits_split, load_data

    info, seed = dict(card.get("data") or {}), card["settings"]["seed"]
    for part in ("train", "test"):  # sampled data are named by their source on the card
        found = re.fullmatch(r"(\d+) samples from .+", str(info.get(part, "")))
        if found:
            info[part] = f"sample:{found.group(1)}"
    source = model.dag if card["family"] == "bayesnet" else None
    if info.get("train") == "digits" and info.get("split") == "fixed digits split":
        train, test = digits_split()
    elif info.get("split") == "--test":
        train = load_data(info["train"], source, seed=seed)
        test = load_data(info["test"], source, seed=seed + 1)
    elif info.get("train"):
        train, test = load_data(info["train"], source, seed=seed).split(0.2, seed=0)
    else:
        raise ValueError("the card does not say which data the fit saw")
    return conform(train, model.dag), conform(test, model.dag)


def _svi_state(folder: Path, model, train, settings: dict):
    import jax.numpy as jnp
    from numpyro import handlers

    from .fit import make_guide

    path = folder / SVI_FILE
    if not path.is_file():
        raise ValueError(f"{str(folder)!r}: an SVI fit needs {SVI_FILE}, which is missing")
    with np.load(path) as z:
        elbo = np.asarray(z["elbo"])
        params = {k.split(":", 1)[1]: jnp.asarray(z[k]) for k in z.files if k.startswith("param:")}
    kwargs = model.program_kwargs(train)
    guide = make_guide(settings["guide"], model.program)
    with handlers.seed(rng_seed=0):
        guide(**kwargs)  # builds the guide's layout; its parameters come from the file
    return elbo, {"guide": guide, "params": params, "program_kwargs": kwargs}
