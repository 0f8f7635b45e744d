"""How a re-run's JSON is compared with the golden JSON: the same keys at every depth, equal
ints, strings, bools and nulls, floats within a tight tolerance, and the run-dependent keys
of :data:`IGNORED_KEYS` present on both sides but their values not compared."""

from __future__ import annotations

import math

#: keys whose values depend on the run, not on the code; each must still be present on both
#: sides. "seconds" is every timing in a fit card (compile, warmup_and_sampling,
#: optimisation, sampling, log_likelihood, evaluation, total): wall-clock time, and how
#: much of it went to compiling depends on which compiled programs JAX's persistent cache
#: and zoo.nuts' exported samplers (~/.cache/model-zoo) already held. No other key is
#: run-dependent: paths are written relative to the repository root (see cases.py) and the
#: JSON carries no cache source.
IGNORED_KEYS = frozenset({"seconds"})
#: keys added on purpose since the golden JSON was saved, by JSON path: the card's data
#: source as a structured record (``zoo load`` reads it instead of parsing the sentences
#: beside it, which stay). Every other key must be as it was.
ADDED_KEYS = frozenset({"$.data.source"})

# The worker runs under one PYTHONHASHSEED, so two runs of the same code on the same
# machine agree to the last bit; the tolerance only absorbs reordered float64 arithmetic
# in summaries (~1e-15 relative). A changed draw, step or data item moves a number far more
# than 1e-6. Float32 sums reordered (e.g. numpyro's ELBO adds its sites in set order, see
# capture.py) move the ELBO summaries by 1e-7..3e-6: that is a real change of the numbers
# the command prints and is reported. ABS_TOL covers values that should be 0.
REL_TOL = 1e-6
ABS_TOL = 1e-9


def differences(expected, actual, path: str = "$") -> list[str]:
    """Every way ``actual`` differs from ``expected`` (parsed JSON), one line each, naming
    the JSON path; empty when they agree."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = [f"{path}.{k}: missing" for k in expected if k not in actual]
        lines += [
            f"{path}.{k}: unexpected key"
            for k in actual
            if k not in expected and f"{path}.{k}" not in ADDED_KEYS
        ]
        for key, value in expected.items():
            if key in actual and key not in IGNORED_KEYS:
                lines += differences(value, actual[key], f"{path}.{key}")
        return lines
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, expected {len(expected)}"]
        lines = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            lines += differences(e, a, f"{path}[{i}]")
        return lines
    if type(expected) is not type(actual):  # bool is not int, 1 is not 1.0 in the contract
        return [f"{path}: {actual!r} ({type(actual).__name__}), expected {expected!r}"]
    if isinstance(expected, float):
        if _same_float(expected, actual):
            return []
    elif expected == actual:
        return []
    return [f"{path}: {actual!r}, expected {expected!r}"]


def _same_float(expected: float, actual: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=ABS_TOL)
