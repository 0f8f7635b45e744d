"""Posterior-predictive samples of a Bayesian network fitted to draws from itself, for the
docs' Bayesian-network page (network variables have named states, not pixels, so the zoo's
image grid of samples does not apply; a table does).

The fit is the one ``zoo fit bayesnet --network NAME`` makes with its defaults: 2,000 items
drawn from the network's CPDs (seed 0), a seeded 20 percent held out, NUTS with seed 0. The
``N`` new items go to a CSV file, one column per variable, states by name::

    .venv/bin/python docs/scripts/network_samples.py asia docs/figures/bayesnet/samples.csv
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", help="a pgmpy bundled network, e.g. asia")
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--n", type=int, default=10, help="samples (10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the fit (0)")
    args = parser.parse_args(argv)

    import graphs
    from zoo.data import conform, load_data
    from zoo.evaluate import samples
    from zoo.fit import fit
    from zoo.models import make_model

    model = make_model("bayesnet", network=args.network)
    data = load_data("sample", graphs.load_network(args.network), seed=args.seed)
    train, _ = data.split(0.2, seed=0)  # the split `zoo fit` uses
    result = fit(model, conform(train, model.dag), seed=args.seed)
    items = samples(result, args.n, args.seed)
    names = train.names
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for item in items:
            writer.writerow(
                [
                    train.states[n][int(v)] if n in train.states else int(v)
                    for n, v in zip(names, item, strict=True)
                ]
            )
    print(f"wrote {args.out}: {args.n} posterior-predictive samples of {args.network}")


if __name__ == "__main__":
    main()
