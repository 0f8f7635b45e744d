"""Set-up is explicit: importing ``zoo`` or ``graphs`` (any module of them) changes no
environment variable and no JAX or ArviZ setting and creates no folder; ``zoo.setup`` does
the set-up, and ``ensure`` does it once for entry points where nobody called it.

Each check runs in a fresh interpreter: the test session itself is set up by conftest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

IMPORT_ALL = """
import importlib, json, os, pkgutil, sys
# threadpoolctl's own import sets this one (zoo.analyses._logistic imports it at the top)
OTHERS = {"KMP_DUPLICATE_LIB_OK"}
import jax
env = dict(os.environ)
config = {k: repr(v) for k, v in jax.config.values.items()}
import graphs, zoo
names = []
for package in (graphs, zoo):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
            names.append(info.name)
changed_env = sorted(
    k for k in set(env) | set(os.environ) if env.get(k) != os.environ.get(k) and k not in OTHERS
)
changed = sorted(k for k, v in jax.config.values.items() if config.get(k) != repr(v))
print(json.dumps({"modules": names, "env": changed_env, "config": changed,
                  "arviz": "arviz" in sys.modules}))
"""


def _run(code: str, tmp_path, **env) -> dict:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir(exist_ok=True)
    cwd.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "ZOO_JAX_CACHE")}
    base.update(HOME=str(home), JAX_PLATFORMS="cpu", PYTHONPATH=os.getcwd())
    # matplotlib's font cache, which its own import writes (graphs.draw imports it)
    base["MPLCONFIGDIR"] = str(tmp_path / "matplotlib")
    for xdg in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        base[xdg] = str(home / xdg.lower())
    base.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=base
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"stderr": proc.stderr}


def test_importing_every_module_sets_nothing_up(tmp_path):
    r = _run(IMPORT_ALL, tmp_path)
    assert {"zoo.cli", "zoo.fit", "zoo.nuts", "zoo.models", "zoo._jax", "zoo._az"} <= set(
        r["modules"]
    )
    assert r["env"] == [] and r["config"] == []
    assert not r["arviz"]  # ArviZ (and its numba switch) waits for its first use
    assert list((tmp_path / "home").iterdir()) == []
    assert list((tmp_path / "cwd").iterdir()) == []


def test_the_probe_sees_a_set_up(tmp_path):
    probe = IMPORT_ALL.replace("import graphs, zoo\n", "import graphs, zoo\nzoo.setup()\n")
    r = _run(probe, tmp_path)
    assert r["env"] == ["XLA_FLAGS"] and "jax_compilation_cache_dir" in r["config"]
    assert (tmp_path / "home" / ".cache" / "model-zoo" / "jax").is_dir()


SETUP = """
import json, os
import zoo
from zoo import _jax
zoo.setup(host_devices=2, cache={cache!r})
import jax
print(json.dumps({{"devices": jax.local_device_count(), "count": _jax.device_count(),
                  "jax_cache": jax.config.jax_compilation_cache_dir,
                  "cache": _jax.CACHE_DIR, "export": _jax.EXPORT_DIR,
                  "xla": os.environ["XLA_FLAGS"]}}))
"""


def test_setup_before_any_computation_sets_the_devices_and_the_cache(tmp_path):
    folder = str(tmp_path / "cache")
    r = _run(SETUP.format(cache=folder), tmp_path)
    assert r["devices"] == 2 and r["count"] == 2
    assert r["xla"].endswith("--xla_force_host_platform_device_count=2")
    assert r["jax_cache"] == r["cache"] == folder
    assert r["export"] == os.path.join(folder, "nuts")


def test_the_cache_turns_off(tmp_path):
    r = _run(SETUP.format(cache=False), tmp_path)
    assert r["jax_cache"] is None and r["cache"] is None and r["export"] is None
    r = _run(SETUP.format(cache=True), tmp_path, ZOO_JAX_CACHE="off")
    assert r["jax_cache"] is None and r["export"] is None
    assert list((tmp_path / "home").iterdir()) == []


def test_the_users_own_device_count_wins(tmp_path):
    flags = "--xla_force_host_platform_device_count=3"
    r = _run(SETUP.format(cache=False), tmp_path, XLA_FLAGS=flags)
    assert r["devices"] == 3 and r["xla"] == flags


def test_setup_after_jax_started_warns_once(tmp_path):
    code = """
import json, warnings
import jax.numpy as jnp
import zoo
jnp.ones(2).block_until_ready()  # the backend starts with one host device
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    zoo.setup(host_devices=2, cache=False)
    zoo.setup(host_devices=3, cache=False)
import jax
print(json.dumps({"devices": jax.local_device_count(),
                  "warnings": [str(w.message) for w in caught]}))
"""
    r = _run(code, tmp_path)
    assert r["devices"] == 1
    assert len(r["warnings"]) == 1 and "came after JAX started with 1" in r["warnings"][0]


def test_ensure_applies_the_defaults_once(tmp_path):
    code = """
import json, os
from zoo import _jax
_jax.ensure()
first = os.environ["XLA_FLAGS"]
_jax.ensure()
import jax
print(json.dumps({"first": first, "xla": os.environ["XLA_FLAGS"],
                  "devices": jax.local_device_count(), "export": _jax.EXPORT_DIR}))
"""
    r = _run(code, tmp_path)
    assert r["first"] == r["xla"] == "--xla_force_host_platform_device_count=4"
    assert r["devices"] == 4
    assert r["export"] == str(tmp_path / "home" / ".cache" / "model-zoo" / "jax" / "nuts")
    code = code.replace("_jax.ensure()\nfirst", "_jax.setup(host_devices=2)\n_jax.ensure()\nfirst")
    assert _run(code, tmp_path)["devices"] == 2  # ensure keeps what setup chose


def test_arviz_is_configured_on_first_use(tmp_path):
    code = """
import json, sys
import zoo._az
before = "arviz" in sys.modules
from zoo._az import az
print(json.dumps({"before": before, "numba": az.Numba.numba_flag,
                  "same": az is sys.modules["arviz"]}))
"""
    r = _run(code, tmp_path)
    assert r == {"before": False, "numba": False, "same": True, "stderr": r["stderr"]}


def test_setup_names_a_bad_device_count():
    import pytest

    from zoo import ZooError, setup

    for bad in (0, -1, 2.5, True, "4"):
        with pytest.raises(ZooError, match="host_devices must be an integer >= 1"):
            setup(host_devices=bad)
