"""The flow family's 2-D toys: the same kind of flow (FlowJAX spline MAF layers, here with
the order flipped between layers) trained by maximum likelihood on scikit-learn's
``make_moons`` and ``make_circles`` and a generated pinwheel; ∫p computed on a grid (a flow
is normalised by construction: the grid shows it); and the figure of the standard normal
warped layer by layer into the data.

Points are standardised; the splines act on [-INTERVAL, INTERVAL] and are the identity
outside, so beyond it the density has Gaussian tails and a grid of half-width ``EXTENT``
misses about exp(-EXTENT^2 / 2) of the mass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import jax, jnp
from ..errors import ZooError
from ..validate import with_defaults
from ._flow_net import Layout, build_chain, log_density

TOYS = ("moons", "circles", "pinwheel")
INTERVAL = 4.0
#: the grid's half-width and points per side: the Gaussian tails beyond 6 hold ~1e-8; the
#: pinwheel's thin arms need the fine spacing (0.012): at 400 per side its sum is 2e-3 off
EXTENT, RESOLUTION = 6.0, 1000


def pinwheel(n: int, seed: int = 0, arms: int = 5, rate: float = 0.25) -> np.ndarray:
    """``n`` points on ``arms`` spiralling arms (the pinwheel of Johnson et al. 2016)."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, arms, n)
    radial = 1.0 + 0.3 * rng.standard_normal(n)
    tangent = 0.05 * rng.standard_normal(n)
    angle = 2 * np.pi * arm / arms + rate * np.exp(radial)
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * radial - s * tangent, s * radial + c * tangent], axis=1)


def toy_data(name: str, n: int = 1000, seed: int = 0) -> np.ndarray:
    """``n`` standardised 2-D points of toy ``name`` (one of :data:`TOYS`)."""
    from sklearn.datasets import make_circles, make_moons

    if name == "moons":
        points = make_moons(n, noise=0.05, random_state=seed)[0]
    elif name == "circles":
        points = make_circles(n, noise=0.05, factor=0.5, random_state=seed)[0]
    elif name == "pinwheel":
        points = pinwheel(n, seed)
    else:
        raise ZooError(f"unknown toy {name!r}; expected one of {list(TOYS)}")
    return np.asarray((points - points.mean(axis=0)) / points.std(axis=0))


@dataclass(frozen=True)
class ToyFlow:
    """A trained 2-D flow: the chain (data -> noise) and its objective trace."""

    chain: Any
    losses: np.ndarray

    def log_density(self, points: Any) -> np.ndarray:
        """log p of ``(m, 2)`` points."""
        fn = jax.jit(jax.vmap(lambda p: log_density(self.chain, p)))
        return np.asarray(fn(jnp.asarray(points, jnp.float32)))

    def stages(self, z: Any) -> list[np.ndarray]:
        """Base points ``z`` and their images after undoing each MAF layer in turn (the
        flips between them only swap axes): the Gaussian warped step by step into data
        space (the last entry)."""
        out = [np.asarray(z)]
        y = jnp.asarray(z, jnp.float32)
        for layer in reversed(self.chain.bijections):
            y = jax.vmap(layer.inverse)(y)
            if type(layer).__name__ != "Flip":
                out.append(np.asarray(y))
        return out


#: :func:`train_toy`'s options and their defaults
TOY_OPTIONS: dict[str, Any] = {
    "knots": 8,
    "hidden": 32,
    "layers": 4,
    "steps": 1500,
    "learning_rate": 0.005,
}


def train_toy(points: np.ndarray, key: Any, **options: Any) -> ToyFlow:
    """Fit a spline MAF to ``points`` (m, 2) by maximum likelihood (Adam, full batch);
    ``options``: those of :data:`TOY_OPTIONS`."""
    import optax

    o = with_defaults(TOY_OPTIONS, options, "train_toy")
    knots, hidden, layers, steps = o["knots"], o["hidden"], o["layers"], o["steps"]
    learning_rate = o["learning_rate"]

    template = build_chain(key, 2, knots, hidden, layers, INTERVAL, True)
    layout = Layout(template)
    start = layout.vector(template)
    x = jnp.asarray(points, jnp.float32)
    adam = optax.adam(learning_rate)

    def loss(w):
        chain = layout.module(w)
        return -jnp.mean(jax.vmap(lambda p: log_density(chain, p))(x))

    @jax.jit
    def run(w):
        def step(state, _):
            w, opt = state
            value, g = jax.value_and_grad(loss)(w)
            updates, opt = adam.update(g, opt, w)
            return (optax.apply_updates(w, updates), opt), value

        (w, _), losses = jax.lax.scan(step, (w, adam.init(w)), None, length=steps)
        return w, losses

    w, losses = run(start)
    return ToyFlow(layout.module(w), np.asarray(losses))


def grid(extent: float = EXTENT, resolution: int = RESOLUTION) -> tuple[np.ndarray, float]:
    """Cell midpoints ``(resolution^2, 2)`` of the square [-extent, extent]^2 and a cell's area."""
    h = 2 * extent / resolution
    mid = -extent + h * (np.arange(resolution) + 0.5)
    gx, gy = np.meshgrid(mid, mid)
    return np.stack([gx.ravel(), gy.ravel()], axis=1), h * h


def grid_integral(flow: ToyFlow, extent: float = EXTENT, resolution: int = RESOLUTION) -> float:
    """∫p over [-extent, extent]^2 by the midpoint rule: 1 up to the grid's error."""
    points, area = grid(extent, resolution)
    return float(np.sum(np.exp(flow.log_density(points).astype(np.float64))) * area)


def warp_figure(flow: ToyFlow, points: np.ndarray, seed: int = 0, n: int = 2000) -> Any:
    """Panels: base samples, each layer undone in turn (coloured by the base angle, so the
    warp can be followed), the data, and the density with its grid integral."""
    import matplotlib.pyplot as plt

    z = np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)
    stages = flow.stages(z)
    colour = np.arctan2(z[:, 1], z[:, 0])
    fig, axes = plt.subplots(1, len(stages) + 2, figsize=(2.6 * (len(stages) + 2), 2.8))
    for i, (ax, pts) in enumerate(zip(axes, stages, strict=False)):
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=2, cmap="hsv")
        ax.set_title("base N(0, I)" if i == 0 else f"after layer {i}")
    axes[-2].scatter(points[:, 0], points[:, 1], s=2, c="k")
    axes[-2].set_title("data")
    res = 200
    cells, _ = grid(4.0, res)
    dens = np.exp(flow.log_density(cells)).reshape(res, res)
    axes[-1].imshow(dens, origin="lower", extent=(-4, 4, -4, 4), cmap="viridis")
    axes[-1].set_title(f"p(x), grid ∫p = {grid_integral(flow):.4f}")
    for ax in axes:
        ax.set(xlim=(-4, 4), ylim=(-4, 4), xticks=[], yticks=[], aspect="equal")
    fig.tight_layout()
    return fig
