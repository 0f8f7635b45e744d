"""Writes the JSON data files beside these programs (seeded: the same files every run).

python examples/programs/make_data.py
"""

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "data"


def _round(a, decimals=4):
    return np.round(np.asarray(a, dtype=float), decimals).tolist()


def main() -> None:
    rng = np.random.default_rng(2026)
    files = {}
    # Rubin's (1981) eight schools: estimated effects and their standard errors
    files["eight_schools"] = {
        "y": [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0],
        "sigma": [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0],
    }
    x = rng.normal(size=(60, 2))
    files["linear"] = {"x": _round(x), "y": _round(1.5 + x @ [2.0, -1.0] + rng.normal(0, 0.7, 60))}
    x = rng.normal(size=(150, 2))
    p = 1 / (1 + np.exp(-(0.3 + x @ [1.5, -2.0])))
    files["logistic"] = {"x": _round(x), "y": (rng.random(150) < p).astype(int).tolist()}
    z = rng.random(120) < 0.35
    files["mixture"] = {"y": _round(np.where(z, rng.normal(-2, 0.6, 120), rng.normal(2, 1, 120)))}
    y = [0.0]
    for _ in range(99):
        y.append(0.5 + 0.7 * y[-1] + rng.normal(0, 0.5))
    files["ar1"] = {"y": _round(y)}
    state, ys = 0, []
    for _ in range(80):
        state = state if rng.random() < 0.9 else 1 - state
        ys.append(rng.normal([-1.5, 1.5][state], 0.7))
    files["hmm"] = {"y": _round(ys)}
    cloudy = (rng.random(200) < 0.5).astype(int)
    sprinkler = (rng.random(200) < np.where(cloudy, 0.1, 0.5)).astype(int)
    rain = (rng.random(200) < np.where(cloudy, 0.8, 0.2)).astype(int)
    wet_p = np.array([[0.05, 0.9], [0.9, 0.99]])[sprinkler, rain]
    wet = (rng.random(200) < wet_p).astype(int)
    files["sprinkler"] = {
        "cloudy": cloudy.tolist(),
        "sprinkler": sprinkler.tolist(),
        "rain": rain.tolist(),
        "wet": wet.tolist(),
    }
    HERE.mkdir(exist_ok=True)
    for name, data in files.items():
        (HERE / f"{name}.json").write_text(json.dumps(data) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
