"""The zoo's peers, written by hand: PyMC, nutpie and NumPyro NUTS; Pyro and NumPyro SVI;
and the zoo's own fits measured the same way.

Each ``run_*`` function builds a peer on the data it is given, runs it and returns a plain
dict of measurements (seconds, ESS, R-hat, gradient evaluations, divergences, posterior
means and sds; for SVI steps per second, the loss trace and held-out scores). The scripts
``nuts_peers.py`` and ``svi_peers.py`` run each job in a fresh process (:func:`spawn`, the
worker in :mod:`peers.worker`).

One module per peer (``pymc_nuts``, ``nutpie_nuts``, ``numpyro_nuts``, ``pyro_svi``,
``numpyro_svi``, ``zoo_fits``), on shared pieces: ``data`` (what every peer is given),
``measure`` (diagnostics and seconds per gradient), ``svi`` (the held-out trace) and
``harness`` (processes, the machine, the scripts' common steps). Module names shadow no
library. The peers are optional (``pip install -e '.[bench]'``, see ``make bench-install``)
and imported only inside the functions that use them; nothing here is imported by the zoo
or its tests.
"""

import os

# Parallel NumPyro chains need one host device per chain, and XLA reads the flag once, when
# JAX starts: set it before anything imports jax (zoo/_jax.py sets the same).
_FLAG = "--xla_force_host_platform_device_count"
if _FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FLAG}=4".strip()

from .data import (  # noqa: E402
    DATA_OF,
    EXAMPLES,
    ROOT,
    Tabular,
    digits_data,
    read_json,
    site_name,
    tabular_from_zoo,
)
from .harness import PACKAGES, cold_env, environment, json_default, missing, spawn  # noqa: E402
from .measure import (  # noqa: E402
    jax_seconds_per_gradient,
    jitted_gradient_seconds,
    summarise,
)
from .numpyro_nuts import numpyro_example, numpyro_tabular, run_numpyro  # noqa: E402
from .numpyro_svi import run_numpyro_svi  # noqa: E402
from .nutpie_nuts import nutpie_seconds_per_gradient, run_nutpie  # noqa: E402
from .pymc_nuts import (  # noqa: E402
    PYMC_OF,
    pymc_eight_schools_nc,
    pymc_linear_regression,
    pymc_seconds_per_gradient,
    pymc_tabular,
    run_pymc,
)
from .pyro_svi import run_pyro_svi  # noqa: E402
from .svi import FLOOR, Made, heldout_nats  # noqa: E402
from .worker import main, run_job  # noqa: E402
from .zoo_fits import run_zoo_program, run_zoo_svi, run_zoo_tabular  # noqa: E402

__all__ = [
    "DATA_OF", "EXAMPLES", "FLOOR", "PACKAGES", "PYMC_OF", "ROOT", "Made", "Tabular", "cold_env",
    "digits_data", "environment", "heldout_nats", "jax_seconds_per_gradient",
    "jitted_gradient_seconds", "json_default", "main", "missing", "numpyro_example",
    "numpyro_tabular", "nutpie_seconds_per_gradient", "pymc_eight_schools_nc",
    "pymc_linear_regression", "pymc_seconds_per_gradient", "pymc_tabular", "read_json",
    "run_job", "run_numpyro", "run_numpyro_svi", "run_nutpie", "run_pymc", "run_pyro_svi",
    "run_zoo_program", "run_zoo_svi", "run_zoo_tabular", "site_name", "spawn", "summarise",
    "tabular_from_zoo",
]  # fmt: skip
