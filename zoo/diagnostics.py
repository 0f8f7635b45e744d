"""Diagnostics of a fit, from ArviZ, returned as data: each check carries its value, its
threshold and a pass flag. A NaN or a zero-variance chain is a failure, never a pass.

NUTS: max R-hat (< 1.01), min bulk and tail ESS (>= 100 per chain), max MCSE of the means,
divergences (none) and min E-BFMI (>= 0.3). SVI: ELBO convergence (the mean over the last
tenth of the steps within 3 standard errors of the tenth before it) and the Pareto k-hat of
importance weights p/q over guide draws (<= 0.7; not defined for MAP).
For families whose components can swap labels, R-hat and ESS are computed on
permutation-invariant quantities (the log-likelihood of the data per draw) instead.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .fit import FitResult

RHAT_MAX = 1.01
ESS_PER_CHAIN = 100
EBFMI_MIN = 0.3
KHAT_MAX = 0.7


def _check(value: Any, threshold: float, ok: bool) -> dict[str, Any]:
    value = None if value is None else float(value)
    return {"value": value, "threshold": threshold, "pass": bool(ok)}


def _finite(v: Any) -> bool:
    return v is not None and math.isfinite(v)


#: what a failed check means, for the warning the CLI prints
ADVICE = {
    "rhat": "chains disagree (or a draw is NaN/constant); run longer or reparameterise",
    "ess_bulk": "too few effective draws for the mean; draw more",
    "ess_tail": "too few effective draws in the tails; draw more",
    "divergences": "NUTS diverged: the posterior has regions it cannot explore; raise "
    "target_accept or reparameterise",
    "ebfmi": "low E-BFMI: momentum resampling barely moves the energy; reparameterise",
    "elbo_converged": "the ELBO is still moving; run more steps",
    "converged": "the objective is still moving; run more steps",
    "khat": "the guide is a poor importance proposal for the posterior (k-hat > 0.7); "
    "its uncertainty is not to be trusted",
}


_FAMILY_ADVICE = "a check of the family's own failed: see the family's page"


def diagnose(result: FitResult) -> dict[str, Any]:
    """The diagnostics of ``result`` as a flat, JSON-ready dict with a ``checks`` section,
    ``pass`` (every check passes) and ``warnings`` (one line per failed check)."""
    from .models import Trained

    if isinstance(result.model, Trained):
        out = _trained(result)
    else:
        out = _svi(result) if result.method == "svi" else _mcmc(result)
    out["warnings"] = warnings_for(out)
    return out


def warnings_for(diag: dict) -> list[str]:
    """One line per failed check: its value, threshold and what it means."""
    lines = []
    for name, check in diag["checks"].items():
        if not check["pass"]:
            value = (
                "NaN"
                if check["value"] is None or check["value"] != check["value"]
                else (f"{check['value']:.4g}")
            )
            advice = ADVICE.get(name) or ADVICE.get(name.rpartition("_")[2], _FAMILY_ADVICE)
            lines.append(f"{name} {value} (threshold {check['threshold']:.4g}): {advice}")
    return lines


def _mcmc(result: FitResult) -> dict[str, Any]:
    from ._az import az

    post = result.idata["posterior"]
    chains = post.sizes["chain"]
    inv = result.invariants()
    if inv is not None:
        target = az.convert_to_dataset(
            {k: np.asarray(v).reshape(chains, -1) for k, v in inv.items()}
        )
        scope = "permutation-invariant quantities: " + ", ".join(inv)
    else:
        target = post
        scope = "every parameter"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = az.summary(target, kind="all", round_to="none")
    rhat = summary["r_hat"].to_numpy(dtype=float)
    bulk = summary["ess_bulk"].to_numpy(dtype=float)
    tail = summary["ess_tail"].to_numpy(dtype=float)
    mcse = summary["mcse_mean"].to_numpy(dtype=float)
    sd = summary["sd"].to_numpy(dtype=float)
    # NaN anywhere (e.g. constant draws) is reported as NaN so that no check can pass it.
    rhat_max = float(np.max(rhat)) if not np.isnan(rhat).any() else math.nan
    bulk_min = float(np.min(bulk)) if not np.isnan(bulk).any() else math.nan
    tail_min = float(np.min(tail)) if not np.isnan(tail).any() else math.nan
    zero_var = bool(np.any(sd == 0))
    out = {
        "scope": scope,
        "rhat_max": rhat_max,
        "ess_bulk_min": bulk_min,
        "ess_tail_min": tail_min,
        "mcse_mean_max": float(np.nanmax(mcse)) if mcse.size else math.nan,
        "zero_variance": zero_var,
    }
    ess_need = ESS_PER_CHAIN * chains
    checks = {
        "rhat": _check(
            rhat_max, RHAT_MAX, _finite(rhat_max) and rhat_max < RHAT_MAX and not zero_var
        ),
        "ess_bulk": _check(bulk_min, ess_need, _finite(bulk_min) and bulk_min >= ess_need),
        "ess_tail": _check(tail_min, ess_need, _finite(tail_min) and tail_min >= ess_need),
    }
    if result.method == "nuts":
        stats = result.idata["sample_stats"]
        div = int(stats["diverging"].values.sum())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bfmi = np.asarray(az.bfmi(result.idata), dtype=float)
        bfmi_min = float(bfmi.min()) if not np.isnan(bfmi).any() else math.nan
        out.update(divergences=div, ebfmi_min=bfmi_min)
        checks["divergences"] = _check(div, 0, div == 0)
        checks["ebfmi"] = _check(bfmi_min, EBFMI_MIN, _finite(bfmi_min) and bfmi_min >= EBFMI_MIN)
    out["checks"] = checks
    out["pass"] = all(c["pass"] for c in checks.values())
    return out


def _converged(trace: Any, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values and the check of an objective's ``trace`` (higher is better), named ``name``:
    converged when the last two windows of a tenth differ by less than their noise (3 s.e.)."""
    trace = np.asarray(trace, dtype=float)
    window = max(10, len(trace) // 10)
    last, before = trace[-window:], trace[-2 * window : -window]
    final = float(np.mean(last))
    if len(before) and np.isfinite(trace).all():
        gain = final - float(np.mean(before))
        noise = 3 * math.sqrt((np.var(last) + np.var(before)) / window) + 1e-9 * abs(final)
    else:
        gain, noise = math.nan, math.nan
    values = {f"{name}_final": final, f"{name}_gain_last_window": gain, f"{name}_noise": noise}
    return values, {f"{name}_converged": _check(gain, noise, _finite(gain) and abs(gain) <= noise)}


def _svi(result: FitResult) -> dict[str, Any]:
    out, checks = _converged(result.elbo, "elbo")
    khat = guide_khat(result)
    out.update(khat=khat, guide=result.settings["guide"])
    if khat is not None:
        checks["khat"] = _check(khat, KHAT_MAX, _finite(khat) and khat <= KHAT_MAX)
    out["checks"] = checks
    out["pass"] = all(c["pass"] for c in checks.values())
    return out


def _trained(result: FitResult) -> dict[str, Any]:
    """A trained family's point: its objective's convergence and the family's own checks."""
    from .models import Trained

    model = result.model
    assert isinstance(model, Trained) and result.data is not None  # a family fit has its data
    out, checks = _converged(result.elbo, model.objective)
    if "guide" in result.settings:
        out["guide"] = result.settings["guide"]
    for name, value in model.fit_diagnostics(result.draws(), result.data).items():
        if isinstance(value, tuple):
            checks[name] = _check(*value)
        else:
            out[name] = value
    out["checks"] = checks
    out["pass"] = all(c["pass"] for c in checks.values())
    return out


def guide_khat(result: FitResult, n: int = 1000) -> float | None:
    """Pareto k-hat of log p(theta, data) - log q(theta) over ``n`` guide draws (PSIS).

    ``None`` for a MAP guide, which has no density to weigh against.
    """
    import jax
    from numpyro.infer.autoguide import AutoContinuous
    from numpyro.infer.util import potential_energy

    from ._az import az

    guide = result.extra.get("guide")
    if not isinstance(guide, AutoContinuous):
        return None
    params, kwargs = result.extra["params"], result.extra["program_kwargs"]
    q = guide.get_posterior(params)
    key = jax.random.PRNGKey(result.settings["seed"] + 1)
    z = q.sample(key, (n,))
    log_q = q.log_prob(z)
    if log_q.ndim > 1:  # the mean-field posterior is batched over latent dimensions
        log_q = log_q.sum(axis=-1)

    def log_p(zi):
        return -potential_energy(result.model.program, (), kwargs, guide._unpack_latent(zi))

    log_w = np.asarray(jax.lax.map(log_p, z) - log_q, dtype=float)
    if not np.isfinite(log_w).all():
        return math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, khat = az.psislw(log_w)
    return float(khat)
