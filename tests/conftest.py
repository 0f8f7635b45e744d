"""Shared fixtures: pgmpy's bundled bnlearn networks, parsed at most once per test session.

``pgmpy_networks`` is a read-only mapping ``name -> DiscreteBayesianNetwork`` over all of
``graphs.network_names()``; it parses a network on first access (the big ones take seconds),
so a test that needs only alarm does not pay for all 24. The models are shared by every test
in the session: never mutate one (``model.copy()`` first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest


def pytest_configure(config) -> None:
    # the zoo's JAX set-up (4 host devices for parallel chains, the compilation cache) before
    # any test computes: importing zoo sets nothing up
    import zoo

    zoo.setup()


class _LazyNetworks(Mapping):
    """Mapping over the bundled networks that parses each one on first access."""

    def __init__(self) -> None:
        from graphs.interop import network_names

        self._names = network_names()
        self._models: dict = {}

    def __getitem__(self, name: str):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._models:
            # The single loader in graphs.interop: nothing else parses these files.
            from graphs.interop import _example_model

            self._models[name] = _example_model(name)
        return self._models[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@pytest.fixture(scope="session")
def pgmpy_networks() -> Mapping:
    """All 24 bundled networks as ``name -> pgmpy model``, each parsed once, on first use."""
    return _LazyNetworks()


@pytest.fixture(scope="session")
def alarm_model(pgmpy_networks):
    """pgmpy's ALARM network (37 nodes), shared with ``pgmpy_networks``."""
    return pgmpy_networks["alarm"]
