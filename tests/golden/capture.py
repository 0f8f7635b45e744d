"""Write the golden JSON: run every case of ``cases.py`` and save its output as
``tests/golden/<name>.json`` (or into ``--out``).

    python tests/golden/capture.py [--out DIR] [NAME ...]

Re-capture only when a change of the numbers is intended. The cases run in one fresh process
under fixed conditions, the same for the capture and for ``tests/test_golden.py``: CPU,
``PYTHONHASHSEED=0`` (numpyro's ``Trace_ELBO`` sums its sites' float32 terms in the order of a
``set`` of names, so the ELBO's last bits follow the hash seed), and 4 host devices in
``XLA_FLAGS``, what ``zoo._jax`` gives a ``zoo fit`` process. The flag is set here, not left
to ``zoo._jax``: XLA reads it once, when JAX first computes, and ``zoo inspect --check`` computes
without importing ``zoo._jax``, so a later fit in the same process would get one device and
run its chains vectorized, not in parallel (other draws for a program's NUTS). A failing case
writes ``<name>.error`` instead and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST_DEVICES = 4  # as zoo._jax sets for the zoo command
_FIXED = ("PYTHONHASHSEED", "JAX_PLATFORMS", "MPLBACKEND", "XLA_FLAGS")


def worker_env() -> dict[str, str]:
    """The environment the cases run in (see the module docstring)."""
    env = dict(os.environ)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if "host_platform_device_count" not in f]
    flags.append(f"--xla_force_host_platform_device_count={HOST_DEVICES}")
    env.update(PYTHONHASHSEED="0", JAX_PLATFORMS="cpu", MPLBACKEND="Agg", XLA_FLAGS=" ".join(flags))
    root = str(HERE.parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def main(argv: list[str] | None = None) -> int:
    fixed = worker_env()
    if any(os.environ.get(k) != fixed[k] for k in _FIXED):  # again, under the fixed conditions
        args = [
            sys.executable,
            str(Path(__file__).resolve()),
            *(sys.argv[1:] if argv is None else argv),
        ]
        os.execve(sys.executable, args, fixed)
    sys.path.insert(0, str(HERE.parent))
    from golden.cases import CASES, run_case

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=HERE, help="folder for <name>.json")
    p.add_argument("names", nargs="*", metavar="NAME", help="cases to run (default: all)")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in CASES]
    if unknown:
        p.error(f"unknown case {unknown[0]!r}; expected some of {list(CASES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in args.names or CASES:
        start = time.perf_counter()
        try:
            payload = run_case(name)
        except Exception:
            (args.out / f"{name}.error").write_text(traceback.format_exc(), encoding="utf-8")
            failed += 1
            status = "FAILED"
        else:
            text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
            (args.out / f"{name}.json").write_text(text, encoding="utf-8")
            status = "ok"
        print(
            f"{name}: {status} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True
        )
    if "jax" in sys.modules:
        import jax

        if jax.local_device_count() != HOST_DEVICES:
            print(
                f"JAX saw {jax.local_device_count()} devices, not {HOST_DEVICES}", file=sys.stderr
            )
            return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
