"""A zoo command measured in a fresh process. Kept free of heavy imports: the child's peak
RSS from ``os.wait4`` can include what a forking parent had mapped, so a light parent keeps
the small sizes honest."""

from __future__ import annotations

import json
import sys
import time


def measured_zoo(args: list[str]) -> tuple[dict, float, float]:
    """``zoo ARGS --json`` in a fresh process: its JSON, wall seconds and peak RSS in GiB
    (the child's, from ``os.wait4``)."""
    import os
    import subprocess

    cmd = [sys.executable, "-m", "zoo.cli", *args, "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"zoo {' '.join(args)} failed (status {status})")
    return json.loads(out), wall, usage.ru_maxrss / 2**20  # kilobytes on Linux
