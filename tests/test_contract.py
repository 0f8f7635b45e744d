"""The contract suite: the same checks on every family in the registry (and each of its
compare rows), so a new family gets every check by being registered."""

import pytest
from contract import (
    case_id,
    cases,
    check_conjugate,
    check_graph,
    check_param_count,
    check_shapes,
)

from zoo.models import FAMILIES, Conjugate

CASES = cases()
CONJUGATE = [c for c in CASES if FAMILIES[c[0]].has(Conjugate)]


def test_every_family_is_covered():
    assert {name for name, _ in CASES} == set(FAMILIES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize(
    "check",
    # the formula, the model and a trace count the same parameters; the program's graph is
    # the declared DAG; simulate, the log-likelihood and sample give the promised shapes
    [check_param_count, check_graph, check_shapes],
    ids=["param-count", "graph", "shapes"],
)
def test_contract(check, case):
    check(*case)


@pytest.mark.parametrize("case", CONJUGATE, ids=case_id)
def test_nuts_matches_the_exact_posterior(case):
    check_conjugate(*case)


def test_a_family_missing_a_method_fails_when_its_class_is_made():
    from zoo.models import Family

    with pytest.raises(TypeError, match="does not implement .*log_likelihood"):

        class Broken(Family):  # everything but log_likelihood and sample
            def param_count(self):
                return 0

            def param_sites(self):
                return frozenset()

            def program_kwargs(self, data):
                return {}

            def program(self, **kwargs):
                pass

            def program_items(self, values=None, n_items=1):
                pass

            def simulate(self, key, n):
                return None, {}

    class Base(Family, abstract=True):  # a shared engine may leave methods to its families
        pass

    assert "log_likelihood" in Base.__abstractmethods__
