"""Golden JSON of the ``zoo`` command: saved outputs that ``tests/test_golden.py`` re-runs
and compares, so that a refactor can show it changed no key and no number."""
