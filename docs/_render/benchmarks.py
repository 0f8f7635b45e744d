"""The benchmark tables of ``docs/benchmarks.md``, from ``benchmarks/results/*.json``.

Each marker names its results file relative to the repository root. A table is declared as
its columns (``common.Column``: header, field, format), one row per record of the file.
"""

from __future__ import annotations

from .common import DOCS, Column, read_json, records_table

# a ratio cell: {"ratio": 1.2, "best_peer": "pymc"} as "1.20 (vs pymc)"
VS_PEER = "{0[ratio]:.2f} (vs {0[best_peer]})"


def _bench(path: str) -> dict:
    return read_json(DOCS.parent / path.strip())


def _zoo_bold(record: dict, text: str) -> str:
    return f"**{text}**" if record["sampler"] == "zoo" else text


def bench_env(path: str) -> str:
    env = _bench(path)["environment"]
    v, h = env["versions"], env["hardware"]
    names = ", ".join(f"{k} {x}" for k, x in v.items() if x)
    return f"{h.get('cpu_count')} cores ({h.get('cpu_model')}), {h.get('memory_gib')} GiB; {names}"


NUTS: list[Column] = [
    ("model", lambda r: r["model"] + (" (per item)" if r["likelihood"] == "items" else ""), "{}"),
    ("items", "scale", "x{}"),
    ("sampler", lambda r: _zoo_bold(r, r["sampler"]), "{}"),
    ("s (first)", "seconds", "{:.1f}"),
    ("s (warm)", "seconds_warm", "{:.1f}"),
    ("ESS/s", "ess_per_s", "{:,.0f}"),
    ("ESS/s warm", "ess_per_s_warm", "{:,.0f}"),
    ("gradients", "grads", "{:,}"),
    ("overhead (warm)", "overhead_warm", "{:.1f}"),
    ("max err / MCSE", "max_err_mcse", "{:.2f}"),
]


def bench_nuts(args: str) -> str:
    """End-to-end and warm ESS/s per model and sampler, the ratio and the overhead."""
    path, *scale = args.split()
    rows = [r for r in _bench(path)["rows"] if not scale or str(r["scale"]) == scale[0]]
    return records_table(rows, NUTS)


NUTS_RATIOS: list[Column] = [
    ("model", "model", "{}"),
    ("items", "scale", "x{}"),
    ("zoo / best peer, end to end", "ess_per_s", VS_PEER),
    ("warm", "ess_per_s_warm", VS_PEER),
]


SVI: list[Column] = [
    ("model", "model", "{}"),
    ("guide", "guide", "{}"),
    ("start", "init", "{}"),
    ("sampler", lambda r: _zoo_bold(r, r["sampler"]), "{}"),
    ("steps/s (warm)", "steps_per_s", "{:,.0f}"),
    ("s (first)", "seconds", "{:.1f}"),
    ("held-out nats", "heldout_final", "{:.3f}"),
    ("s to within 0.1 nats", "within_0p1_seconds", "{:.1f}"),
]


SVI_RATIOS: list[Column] = [
    ("model", "model", "{}"),
    ("guide", "guide", "{}"),
    ("zoo / Pyro steps/s", "pyro.steps_per_s", "{:.1f}"),
    ("end to end", "pyro.steps_per_s_e2e", "{:.2f}"),
    ("Pyro / zoo time to 0.1 nats", "pyro.within_0p1_seconds", "{:.2f}"),
]


SCALING: list[Column] = [
    ("family", "family", "{}"),
    ("method", lambda r: r["kind"].upper(), "{}"),
    ("axis", "axis", "{}"),
    ("size", "size", "{:,}"),
    ("s (first fit)", "cold.wall", "{:.2f}"),
    ("s inference (warm)", "warm.inference", "{:.2f}"),
    ("s pointwise log-lik", "warm.log_likelihood", "{:.2f}"),
    ("gradients", "warm.gradients", "{:,}"),
]


def bench_scaling(path: str) -> str:
    data = _bench(path)
    ratio = data["ratios"]
    return (
        f"{records_table(data['rows'], SCALING)}\n\nTabular NUTS inference, most items over "
        f"fewest: **{ratio['tabular_items']:.2f}x** (goal 1.2); latent-class SVI: "
        f"{ratio['latent_items']:.1f}x."
    )


OVERHEAD: list[Column] = [
    ("likelihood", "form", "{}"),
    ("sampler", "sampler", "{}"),
    ("s (warm)", "wall", "{:.2f}"),
    ("gradients", "gradients", "{:,}"),
    ("µs per gradient", lambda r: r["seconds_per_gradient"] * 1e6, "{:.1f}"),
    ("overhead", lambda r: _zoo_bold(r, f"{r['overhead']:.2f}"), "{}"),
]


VAE_TORCH: list[Column] = [
    ("sampler", lambda r: _zoo_bold(r, r["sampler"]), "{}"),
    ("threads", "threads", "{}"),
    ("steps timed", "steps", "{:,}"),
    ("steps/s", "steps_per_s", "{:,.0f}"),
    ("compile s", "compile_s", "{:.1f}"),
    ("steps/s with compile", "steps_per_s_e2e", "{:,.0f}"),
    ("final loss", "loss_final", "{:,.0f}"),
]


def bench_vae_torch(path: str) -> str:
    """The zoo's VAE SVI against plain PyTorch: one row per sampler and thread count, then
    the ratios."""
    data = _bench(path)
    r = data["ratios"]
    same = "-" if r["same_threads"] is None else f"{r['same_threads']:.2f}"
    others = "".join(
        f"; at {t} thread{'s' * (int(t) > 1)} each: **{v:.2f}**"
        for t, v in r.get("by_threads", {}).items()
        if v != r["same_threads"]
    )
    return (
        f"{records_table(data['rows'], VAE_TORCH)}\n\nzoo / torch steps per second at equal "
        f"threads: **{same}** (goal {r['goal']:g}){others}; the zoo against the fastest torch "
        f"(torch threads: {r['best_torch_threads']}): **{r['best_torch']:.2f}**."
    )


def _records(section: str, columns: list[Column]):
    """The renderer of a marker whose table is one row per record of ``section``."""
    return lambda path: records_table(_bench(path)[section], columns)


RENDER = {
    "bench-env": bench_env,
    "bench-nuts": bench_nuts,
    "bench-nuts-ratios": _records("ratios", NUTS_RATIOS),
    "bench-svi": _records("rows", SVI),
    "bench-svi-ratios": _records("ratios", SVI_RATIOS),
    "bench-scaling": bench_scaling,
    "bench-overhead": _records("rows", OVERHEAD),
    "bench-vae-torch": bench_vae_torch,
}
