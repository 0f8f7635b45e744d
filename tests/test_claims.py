"""Claims: conditional-independence tests against direct computations, calibration on data
drawn from the DAG itself, power against data that break a claim, untestable statements,
errors and determinism. Pure NumPy samplers, so nothing here loads JAX."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import scipy.stats as st

import graphs
from graphs import DAG
from zoo.claims import (
    CITest,
    ClaimsReport,
    check_claims,
    ci_test,
    format_claims,
    samples_from_dataset,
)
from zoo.data import Dataset

# -- samplers -----------------------------------------------------------------------------


def random_cpds(dag: DAG, rng, conc: float = 2.0) -> dict[str, np.ndarray]:
    """A Dirichlet(conc) distribution per parent configuration of every node."""
    out = {}
    for node in dag.nodes:
        pcards = [dag.card(p) for p in dag.parents(node)]
        draws = rng.dirichlet([conc] * dag.card(node), size=pcards or None)
        out[node] = np.moveaxis(np.asarray(draws), -1, 0)  # (card, *parent cards)
    return out


def sample_discrete(dag: DAG, cpds: dict, n: int, rng) -> dict[str, np.ndarray]:
    """Ancestral sampling by inverse CDF, in topological order."""
    values: dict[str, np.ndarray] = {}
    for node in dag.topological_order():
        cpd = cpds[node]
        parents = dag.parents(node)
        probs = cpd[(slice(None), *(values[p] for p in parents))] if parents else cpd[:, None]
        u = rng.random(n)
        values[node] = np.minimum((u >= np.cumsum(probs, axis=0)).sum(axis=0), len(cpd) - 1)
    return values


def sample_gaussian(nodes, weights: dict, n: int, rng) -> dict[str, np.ndarray]:
    """Linear-Gaussian: ``v = sum_p w[p, v] p + N(0, 1)``, nodes listed in causal order."""
    values: dict[str, np.ndarray] = {}
    for v in nodes:
        values[v] = rng.normal(size=n)
        for (p, c), w in weights.items():
            if c == v:
                values[v] = values[v] + w * values[p]
    return values


def random_binary_dag(rng, n: int = 10, p_edge: float = 0.35, max_parents: int = 3) -> DAG:
    names = [f"v{i}" for i in range(n)]
    edges = []
    for j in range(1, n):
        parents = [i for i in range(j) if rng.random() < p_edge][-max_parents:]
        edges += [(names[i], names[j]) for i in parents]
    return DAG(names, edges, name="random")


GAUSS_NODES = ("a", "b", "c", "d", "e", "f")
GAUSS_EDGES = (("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("b", "f"))


def chain_case(seed: int):
    rng = np.random.default_rng(seed)
    dag = graphs.markov_chain(12)
    return dag, sample_discrete(dag, random_cpds(dag, rng), 3000, rng)


def naive_bayes_case(seed: int):
    rng = np.random.default_rng(seed)
    dag = graphs.naive_bayes(8, classes=3)
    return dag, sample_discrete(dag, random_cpds(dag, rng), 3000, rng)


def random_bn_case(seed: int):
    rng = np.random.default_rng(seed)
    dag = random_binary_dag(rng)
    return dag, sample_discrete(dag, random_cpds(dag, rng), 3000, rng)


def gaussian_case(seed: int):
    rng = np.random.default_rng(seed)
    dag = DAG(GAUSS_NODES, GAUSS_EDGES, name="linear-gaussian")
    weights = {e: rng.choice([-1, 1]) * rng.uniform(0.5, 1.5) for e in GAUSS_EDGES}
    return dag, sample_gaussian(GAUSS_NODES, weights, 1000, rng)


# -- 1, 2: the statistics -------------------------------------------------------------------


def test_g_test_matches_scipy_on_a_2x3_table():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, 300)
    y = (rng.random(300) < 0.2 + 0.5 * x).astype(int) + rng.integers(0, 2, 300)  # 0..2
    test = ci_test({"x": x, "y": y}, "x", "y")
    table = np.zeros((2, 3))
    np.add.at(table, (x, y), 1)
    ref = st.chi2_contingency(table, lambda_="log-likelihood", correction=False)
    assert test.method == "g-test" and test.dof == ref.dof == 2
    assert test.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert test.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert test.p_value < 0.01  # y does depend on x: the check is not vacuous
    assert isinstance(test, CITest) and test.n == 300 and test.given == ()


def test_stratified_g_is_the_sum_over_strata():
    rng = np.random.default_rng(2)
    n = 900
    z = rng.integers(0, 3, n)
    w = rng.integers(0, 2, n)
    x = (rng.random(n) < 0.2 + 0.3 * (z == 1)).astype(int)
    y = rng.integers(0, 3, n)
    y[(z == 2) & (w == 0)] = 0  # y constant in one stratum: it adds nothing (0 dof)
    cols = {"x": x, "y": y, "z": z, "w": w}
    test = ci_test(cols, "x", "y", ["z", "w"])
    stat, dof = 0.0, 0
    for a in range(3):
        for b in range(2):
            keep = (z == a) & (w == b)
            if len(np.unique(y[keep])) < 2:
                continue
            sub = ci_test({"x": x[keep], "y": y[keep]}, "x", "y")
            stat, dof = stat + sub.statistic, dof + sub.dof
    assert test.dof == dof == 5 * 2
    assert test.statistic == pytest.approx(stat, rel=1e-10)
    assert test.p_value == pytest.approx(st.chi2.sf(stat, dof), rel=1e-8)


def test_fisher_z_matches_the_inverse_covariance():
    rng = np.random.default_rng(3)
    n = 500
    a = rng.normal(size=n)
    b = 0.8 * a + rng.normal(size=n)
    c = -0.6 * b + 0.3 * a + rng.normal(size=n)  # a small direct effect, so r is not ~0
    cols = {"a": a, "b": b, "c": c}
    test = ci_test(cols, "a", "c", ["b"])
    prec = np.linalg.inv(np.cov(np.stack([a, b, c])))
    r = -prec[0, 2] / math.sqrt(prec[0, 0] * prec[2, 2])
    k = 1
    assert test.method == "fisher-z" and test.dof is None
    assert test.statistic == pytest.approx(math.atanh(r) * math.sqrt(n - k - 3), rel=1e-9)
    assert test.p_value == pytest.approx(2 * st.norm.sf(abs(test.statistic)), rel=1e-9)
    # unconditional: the plain correlation
    plain = ci_test(cols, "a", "c")
    r0 = np.corrcoef(a, c)[0, 1]
    assert plain.statistic == pytest.approx(math.atanh(r0) * math.sqrt(n - 3), rel=1e-9)


def test_fisher_z_with_a_discrete_conditioner_is_one_hot():
    rng = np.random.default_rng(4)
    n = 400
    g = rng.integers(0, 3, n)
    a = g * 1.0 + rng.normal(size=n)
    b = (g == 1) * 2.0 + rng.normal(size=n)  # depends on g non-linearly in its code
    test = ci_test({"a": a, "b": b, "g": g}, "a", "b", ["g"])
    design = np.column_stack([np.ones(n), g == 1, g == 2]).astype(float)
    ra = a - design @ np.linalg.lstsq(design, a, rcond=None)[0]
    rb = b - design @ np.linalg.lstsq(design, b, rcond=None)[0]
    r = np.corrcoef(ra, rb)[0, 1]
    assert test.statistic == pytest.approx(math.atanh(r) * math.sqrt(n - 2 - 3), rel=1e-9)


def test_constant_columns_give_p_one():
    rng = np.random.default_rng(5)
    cols = {"x": np.zeros(50, int), "y": rng.integers(0, 2, 50), "u": rng.normal(size=50)}
    t = ci_test(cols, "x", "y")
    assert (t.statistic, t.dof, t.p_value) == (0.0, 0, 1.0)
    f = ci_test(cols, "u", "x")  # continuous against a constant
    assert f.method == "fisher-z" and (f.statistic, f.p_value) == (0.0, 1.0)
    # x a function of the conditioner: nothing left after regressing it out
    cols["v"] = 2 * cols["u"] + 1
    assert ci_test(cols, "v", "y", ["u"]).p_value == 1.0


def test_discrete_rule_and_override():
    rng = np.random.default_rng(6)
    n = 200
    cols = {"x": rng.integers(0, 2, n), "y": rng.integers(0, 40, n), "b": rng.random(n) < 0.5}
    assert ci_test(cols, "x", "b").method == "g-test"  # booleans are discrete
    assert ci_test(cols, "x", "y").method == "fisher-z"  # 40 levels: continuous
    forced = ci_test(cols, "x", "y", discrete={"y": True})
    assert forced.method == "g-test" and forced.dof == len(np.unique(cols["y"])) - 1
    assert ci_test(cols, "x", "b", discrete={"b": False}).method == "fisher-z"


# -- 3: calibration on data that follow the DAG --------------------------------------------


@pytest.mark.parametrize(
    "case", [chain_case, naive_bayes_case, random_bn_case, gaussian_case], ids=lambda f: f.__name__
)
def test_calibrated_on_data_from_the_dag(case):
    runs_contradicted, pooled = 0, []
    for seed in range(40):
        dag, samples = case(seed)
        report = check_claims(samples, dag)
        assert report.claimed > 0 and not report.untestable
        runs_contradicted += not report.ok
        pooled.extend(t.p_value for t in report.tests)
    # Holm keeps P(any contradiction) <= 0.05: about 2 of 40 runs, P(> 6) < 0.003
    assert runs_contradicted <= 6
    assert st.kstest(pooled, "uniform").pvalue > 1e-3


def test_methods_follow_the_data():
    dag, samples = naive_bayes_case(0)
    assert {t.test.method for t in check_claims(samples, dag).tests} == {"g-test"}
    dag, samples = gaussian_case(0)
    assert {t.test.method for t in check_claims(samples, dag).tests} == {"fisher-z"}


# -- 4: power against data that break a claim ----------------------------------------------


def naive_bayes_with_extra_edge(n: int, seed: int = 0):
    """Declared: naive Bayes over x0..x5; drawn: x1 copies x0 with probability 0.8 in
    every class, which the declared DAG denies."""
    rng = np.random.default_rng(seed)
    dag = graphs.naive_bayes(6, classes=3)
    samples = sample_discrete(dag, random_cpds(dag, rng), n, rng)
    copy = rng.random(n) < 0.8
    samples["x1"] = np.where(copy, samples["x0"], 1 - samples["x0"])
    return dag, samples


def test_naive_bayes_extra_edge_is_contradicted():
    dag, samples = naive_bayes_with_extra_edge(2000)
    report = check_claims(samples, dag)
    bad = {(t.node, t.other) for t in report.contradicted}
    assert ("x1", "x0") in bad
    # the same pair seen from x0's statement is the only other contradiction
    assert bad <= {("x1", "x0"), ("x0", "x1")}
    assert not report.ok and report.claimed == 6 * 5
    row = next(t for t in report.tests if (t.node, t.other) == ("x1", "x0"))
    assert row.given == ("y",) and row.p_adjusted < 1e-10


def gaussian_with_direct_effect(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    weights = {("a", "b"): 1.0, ("b", "c"): 1.0, ("a", "c"): 0.5}
    return DAG(["a", "b", "c"], [("a", "b"), ("b", "c")]), sample_gaussian("abc", weights, n, rng)


def test_gaussian_direct_effect_is_contradicted_and_power_grows_with_n():
    p_values = []
    for n in (12, 60, 200, 500, 2000):
        dag, samples = gaussian_with_direct_effect(n)
        report = check_claims(samples, dag)
        assert [(t.node, t.other) for t in report.tests] == [("c", "a")]
        p_values.append(report.tests[0].p_value)
    assert report.contradicted[0].given == ("b",)  # the N = 2000 report
    assert p_values[-1] < 1e-20
    assert all(later < earlier for earlier, later in zip(p_values, p_values[1:], strict=False))
    assert p_values[0] > 0.05  # small samples lack the power: the trend is real


# -- 5: untestable statements --------------------------------------------------------------


def test_latent_conditioner_makes_every_statement_untestable():
    rng = np.random.default_rng(7)
    dag = graphs.latent_class(5, components=3)
    full = sample_discrete(dag, random_cpds(dag, rng), 500, rng)
    samples = {k: v for k, v in full.items() if k != "z"}
    report = check_claims(samples, dag)
    assert report.claimed == 0 and report.ok and report.n_samples == 500
    assert len(report.untestable) == len(graphs.local_markov(dag)) == 5
    assert all("'z'" in reason for _, reason in report.untestable)
    assert report.untestable[0][0] == "x0 ⟂ {x1, x2, x3, x4} | z"
    assert "untestable: 5" in format_claims(report)
    # with z sampled every statement is tested
    assert check_claims(full, dag).claimed == 5 * 4


def test_missing_right_hand_side_is_listed_and_the_rest_tested():
    dag, samples = chain_case(0)
    del samples["x3"]
    report = check_claims(samples, dag)
    texts = dict(report.untestable)
    assert texts["x5 ⟂ {x3} | x4"] == "no sample column for 'x3'"
    assert "x4 ⟂ {x0, x1, x2} | x3" in texts  # x3 is x4's parent
    assert ("x5", "x2") in {(t.node, t.other) for t in report.tests}
    assert all("x3" not in (t.node, t.other, *t.given) for t in report.tests)


# -- 6: errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c: ci_test(c, "x", "nope"), "unknown column 'nope'"),
        (lambda c: ci_test(c, "x", "y", ["q", "r"]), r"unknown columns \['q', 'r'\]"),
        (lambda c: ci_test(c, "x", "x"), "same column 'x'"),
        (lambda c: ci_test(c, "x", "y", ["y"]), "'y' is both tested and conditioned"),
        (lambda c: ci_test(c, "x", "y", ["z", "z"]), r"repeats columns \['z'\]"),
        (lambda c: ci_test(c, "x", "short"), "differ in length: 'x' has 50 values, 'short'"),
        (lambda c: ci_test(c, "x", "nan"), "column 'nan' has nan at row 3"),
        (lambda c: ci_test(c, "x", "inf"), "column 'inf' has inf at row 7"),
        (lambda c: ci_test(c, "x", "text"), "column 'text' must hold numbers"),
        (lambda c: ci_test(c, "x", "wide"), "column 'wide' must be 1-D"),
        (lambda c: ci_test(c, "x", "y", discrete={"w": True}), r"unknown columns \['w'\]"),
        (
            lambda c: ci_test({k: v[:9] for k, v in c.items()}, "x", "y"),
            "9 samples are too few",
        ),
        (lambda c: ci_test(c, "x", "u", [f"g{i}" for i in range(48)]), "too few samples \\(50\\)"),
    ],
)
def test_ci_test_errors(call, message):
    rng = np.random.default_rng(8)
    cols = {"x": rng.integers(0, 2, 50), "y": rng.integers(0, 2, 50), "z": rng.normal(size=50)}
    cols.update(short=np.zeros(40), u=rng.normal(size=50), text=np.array(["a"] * 50))
    cols["nan"] = rng.normal(size=50)
    cols["nan"][3] = np.nan
    cols["inf"] = rng.normal(size=50)
    cols["inf"][7] = np.inf
    cols["wide"] = np.zeros((50, 2))
    cols.update({f"g{i}": rng.normal(size=50) for i in range(48)})
    with pytest.raises(ValueError, match=message):
        call(cols)


def test_check_claims_errors():
    dag, samples = chain_case(0)
    with pytest.raises(ValueError, match="alpha must be a number in \\(0, 1\\), got 1.5"):
        check_claims(samples, dag, alpha=1.5)
    with pytest.raises(ValueError, match="unknown correction 'bh'"):
        check_claims(samples, dag, correction="bh")
    with pytest.raises(ValueError, match="samples_from_dataset"):
        check_claims(np.zeros((10, 12)), dag)
    samples["x4"] = samples["x4"][:-1]
    with pytest.raises(ValueError, match="'x4' has 2999"):
        check_claims(samples, dag)


# -- corrections, reports, datasets ----------------------------------------------------------


def test_holm_bonferroni_and_none():
    dag, samples = naive_bayes_with_extra_edge(300, seed=3)
    holm = check_claims(samples, dag)
    bonf = check_claims(samples, dag, correction="bonferroni")
    none = check_claims(samples, dag, correction="none")
    p = np.array([t.p_value for t in holm.tests])
    m = len(p)
    order = np.argsort(p, kind="stable")
    expected = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1)
    assert np.allclose(np.array([t.p_adjusted for t in holm.tests])[order], expected)
    assert [t.p_adjusted for t in bonf.tests] == [min(1.0, m * x) for x in p]
    assert [t.p_adjusted for t in none.tests] == list(p)
    for a, b in zip(holm.tests, bonf.tests, strict=True):
        assert a.p_value <= a.p_adjusted <= b.p_adjusted <= 1.0
    assert len(none.contradicted) >= len(holm.contradicted) >= len(bonf.contradicted) >= 1


def test_report_dict_and_format():
    dag, samples = naive_bayes_with_extra_edge(2000)
    report = check_claims(samples, dag)
    assert isinstance(report, ClaimsReport)
    d = json.loads(json.dumps(report.to_dict()))
    assert d["claimed"] == 30 and d["contradicted"] == len(report.contradicted) >= 1
    assert d["alpha"] == 0.05 and d["correction"] == "holm" and d["n_samples"] == 2000
    row = d["tests"][0]
    assert set(row) == {
        "node", "other", "given", "method", "statistic", "dof", "p_value", "p_adjusted",
        "contradicted",
    }  # fmt: skip
    assert d["untestable"] == []
    text = format_claims(report)
    first = text.splitlines()[0]
    assert first == (
        f"claimed 30 pairwise independencies (from 6 local Markov statements), "
        f"contradicted {len(report.contradicted)} at FWER 0.05 (Holm)"
    )
    assert "x1 ⟂ x0 | y: G = " in text or "x0 ⟂ x1 | y: G = " in text
    worst = report.contradicted
    assert [t.p_adjusted for t in worst] == sorted(t.p_adjusted for t in worst)
    assert len(format_claims(report, limit=0).splitlines()) == 2  # the "... and N more" line


def test_samples_from_dataset():
    x = np.array([[0, 1], [1, 1], [1, 0]])
    data = Dataset(x, ("a", "b"), (2, 2), np.array([2, 0, 1]), 3)
    cols = samples_from_dataset(data, label="cls")
    assert list(cols) == ["a", "b", "cls"]
    assert cols["b"].tolist() == [1, 1, 0] and cols["cls"].tolist() == [2, 0, 1]
    assert list(samples_from_dataset(Dataset(x, ("a", "b"), (2, 2)))) == ["a", "b"]
    with pytest.raises(ValueError, match="label name 'a' is also a variable column"):
        samples_from_dataset(data, label="a")


# -- 7: determinism and speed ----------------------------------------------------------------


def test_same_input_same_report():
    dag, samples = random_bn_case(11)
    first = check_claims(samples, dag).to_dict()
    again = check_claims({k: v.copy() for k, v in samples.items()}, dag).to_dict()
    assert json.dumps(first) == json.dumps(again)
    assert chain_case(5)[1]["x7"].tolist() == chain_case(5)[1]["x7"].tolist()


def test_thousands_of_tests_are_fast():
    import time

    rng = np.random.default_rng(9)
    samples = {f"x{i}": rng.integers(0, 2, 2000) for i in range(64)}
    samples["y"] = rng.integers(0, 10, 2000)
    dag = graphs.naive_bayes(64, classes=10)
    start = time.perf_counter()
    report = check_claims(samples, dag)
    elapsed = time.perf_counter() - start
    assert report.claimed == 64 * 63
    assert elapsed < 2.0  # about 0.1 s alone; generous for shared cores


def test_importing_claims_loads_no_jax():
    code = (
        "import sys, zoo.claims\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'numpyro', 'arviz'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
