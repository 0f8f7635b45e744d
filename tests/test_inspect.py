"""Program to graph: the DAG and parameter counts read out of NumPyro code, the zoo's
families round-tripping through their loop forms, and the claims of a DAG tested on
samples of the program."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer.util import log_density
from scipy import stats

import graphs
from zoo.claims import check_claims
from zoo.inspection import check, inspect, simulate, structure
from zoo.models import make_model
from zoo.programs import bind, load_program, read_data

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "examples" / "programs" / "models.py"
DATA = ROOT / "examples" / "programs" / "data"


def program(name: str):
    return load_program(f"{MODELS}:{name}")


def data(name: str) -> dict:
    return read_data(DATA / f"{name}.json")


def edges(card: dict) -> set[tuple[str, str]]:
    return {tuple(e) for e in card["edges"]}


# -- hand-written programs with known edges and counts -------------------------------------


def test_sprinkler_network_edges_counts_and_item_dag():
    b = bind(program("sprinkler"), data("sprinkler"))
    c = inspect(b.fn, **b.kwargs)
    assert edges(c) == {
        ("p_cloudy", "cloudy"),
        ("p_sprinkler", "sprinkler"),
        ("cloudy", "sprinkler"),
        ("p_rain", "rain"),
        ("cloudy", "rain"),
        ("p_wet", "wet"),
        ("sprinkler", "wet"),
        ("rain", "wet"),
    }
    p = c["params"]
    assert (p["model"], p["per_item"], p["param"], p["network"]) == (9, 0, 0, 0)
    declared = graphs.DAG(
        ["cloudy", "sprinkler", "rain", "wet"],
        [("cloudy", "sprinkler"), ("cloudy", "rain"), ("sprinkler", "wet"), ("rain", "wet")],
    )
    item = b.structure.item_dag()
    assert set(item.edges) == set(declared.edges)
    assert p["model"] == graphs.param_count(declared)  # Beta per CPT row: 1 + 2 + 2 + 4
    assert p["full_joint"] == graphs.full_joint_count(declared) == 15
    assert c["plates"] == [
        {"name": "days", "size": 200, "members": ["cloudy", "sprinkler", "rain", "wet"]}
    ]
    assert c["data_plates"] == ["days"]


def test_hmm_unrolled_for_four_steps():
    c = inspect(program("hmm_unrolled"), y=jnp.array([0.1, -1.0, 2.0, 0.5]))
    want = {("init", "z0"), ("trans", "z1"), ("trans", "z2"), ("trans", "z3")}
    want |= {(f"z{t}", f"z{t + 1}") for t in range(3)}
    want |= {(f"z{t}", f"y{t}") for t in range(4)} | {("mu", f"y{t}") for t in range(4)}
    assert edges(c) == want
    p = c["params"]
    # Dirichlet over K = 2 counts K - 1; K rows of transitions K (K - 1); K means
    assert (p["model"], p["discrete"], p["per_item"]) == (1 + 2 + 2, 4, 0)
    assert {n["name"]: n["card"] for n in c["nodes"]}["z2"] == 2
    assert {n["name"]: n["role"] for n in c["nodes"]}["y3"] == "observed"


def test_eight_schools_plates_and_unrolled_view():
    c = inspect(
        program("eight_schools"), **bind(program("eight_schools"), data("eight_schools")).kwargs
    )
    assert edges(c) == {("mu", "theta"), ("tau", "theta"), ("theta", "y")}
    assert (c["params"]["model"], c["params"]["per_item"]) == (2, 8)
    assert c["plates"] == [{"name": "schools", "size": 8, "members": ["theta", "y"]}]
    assert (c["unrolled"]["nodes"], c["unrolled"]["edges"]) == (18, 24)
    assert c["params"]["full_joint"] is None  # continuous: no finite joint table


def test_collider_and_kinds_of_parameters():
    c = inspect(program("collider"), c=jnp.zeros(5))
    assert edges(c) == {("a", "c"), ("b", "c")}
    assert (c["params"]["model"], c["params"]["per_item"]) == (0, 10)
    ind = c["independence"]["local_markov"]
    assert {"node": "a", "independent_of": ["b"], "given": []} in ind

    def with_params(x=None):
        scale = numpyro.param("scale", 1.0, constraint=dist.constraints.positive)
        net = numpyro.param("net$params", {"w": jnp.zeros((3, 2)), "b": jnp.zeros(2)})
        w = numpyro.sample("w", dist.Dirichlet(jnp.ones(4)))
        with numpyro.plate("items", 3):
            numpyro.sample("x", dist.Normal(net["b"][0] + w[0], scale), obs=x)

    p = inspect(with_params, x=jnp.zeros(3))["params"]
    assert (p["model"], p["param"], p["network"], p["total"]) == (3, 1, 8, 12)


# -- the zoo's families' loop forms --------------------------------------------------------


def _values(model, n_items: int = 6) -> jnp.ndarray:
    rng = np.random.default_rng(0)
    cards = [model.dag.card(v) for v in model.dag.nodes if model.dag.role(v) != "latent"]
    vals = np.stack([rng.integers(0, c, n_items) for c in cards], axis=1)
    return jnp.asarray(vals, dtype=jnp.int32 if hasattr(model, "full_values") else jnp.float32)


# The graph of each family's program against its DAG: tests/contract.py (check_graph).
def _prior_point(model, seed: int = 1) -> dict:
    from numpyro import handlers

    tr = handlers.trace(handlers.seed(model.program_items, seed)).get_trace(n_items=1)
    return {k: s["value"] for k, s in tr.items() if k in model.param_sites()}


def test_loop_form_of_latent_class_sums_z_out_to_the_same_density():
    model = make_model("latent-class", n=4, classes=3)
    x = _values(model, 7)
    params = _prior_point(model)
    lp_program, _ = log_density(model.program, (), {"x": x}, params)
    prior, _ = log_density(model.program, (), {}, params)
    per_k = []
    for k in range(3):  # every item in class k; items are independent given the parameters
        z = jnp.full(x.shape[0], k)
        _, tr = log_density(model.program_items, (), {"values": x}, {**params, "z": z})
        items = [s for n, s in tr.items() if s["type"] == "sample" and n not in params]
        per_k.append(sum(s["fn"].log_prob(s["value"]) for s in items))
    lp_loop = prior + jax.nn.logsumexp(jnp.stack(per_k), axis=0).sum()
    assert np.isclose(float(lp_loop), float(lp_program), rtol=1e-5)


@pytest.mark.parametrize("conditional", ["logistic", "neural"])
def test_loop_form_of_autoregressive_has_the_same_density(conditional):
    model = make_model("autoregressive", n=5, conditional=conditional, hidden=6)
    x = _values(model, 9)
    params = _prior_point(model)
    lp_program, _ = log_density(model.program, (), {"x": x}, params)
    lp_loop, _ = log_density(model.program_items, (), {"values": x}, params)
    assert np.isclose(float(lp_loop), float(lp_program), rtol=1e-5)


def test_loop_form_refuses_a_mixture_of_orderings():
    model = make_model("autoregressive", n=4, conditional="neural", hidden=5, masks=2)
    with pytest.raises(ValueError, match="one ordering"):
        structure(model.program_items, values=_values(model))


# -- claims tested against samples --------------------------------------------------------


def _wrong(n_items=100):
    """Declared as naive Bayes over (x0, x1, x2), but x1 copies x0 most of the time."""
    theta = numpyro.sample("theta", dist.Beta(1.0, 1.0).expand([2, 3]).to_event(2))
    pi = numpyro.sample("pi", dist.Dirichlet(jnp.ones(2)))
    with numpyro.plate("items", n_items):
        y = numpyro.sample("y", dist.Categorical(pi))
        x0 = numpyro.sample("x0", dist.Bernoulli(theta[y, 0]))
        numpyro.sample("x1", dist.Bernoulli(jnp.where(x0 > 0, 0.8, 0.2)))
        numpyro.sample("x2", dist.Bernoulli(theta[y, 2]))


def test_a_dependence_the_declared_dag_denies_is_found():
    declared = graphs.naive_bayes(3, 2)
    report = check(_wrong, kwargs={"n_items": 2000}, n_samples=2000, dag=declared)
    bad = {(t.node, t.other) for t in report.contradicted}
    assert bad == {("x0", "x1"), ("x1", "x0")}
    # the graph read out of the code has the edge, so its own claims hold
    assert ("x0", "x1") in structure(_wrong, n_items=5).dag.edges
    assert check(_wrong, kwargs={"n_items": 2000}, n_samples=2000).ok


def test_correct_programs_stay_quiet_at_the_stated_rate():
    """Five programs x two seeds; with Holm at 0.05 each run contradicts anything with
    probability at most 0.05, so at most one of ten may (P(>= 2) < 0.09), and the raw
    p-values pooled over every test are uniform."""
    programs = [
        (make_model("naive-bayes", n=5, classes=3).program_items, {"n_items": 1000}),
        (make_model("markov-chain", n=6, order=2).program_items, {"n_items": 1000}),
        (make_model("latent-class", n=5, classes=3).program_items, {"n_items": 1000}),
        (program("sprinkler"), {"days": 1000}),
        (program("collider"), {"n": 1000}),
    ]
    loud, pvals = 0, []
    for fn, kwargs in programs:
        for seed in (0, 1):
            report = check(fn, kwargs=kwargs, n_samples=3000, seed=seed)
            assert report.claimed > 0
            loud += not report.ok
            pvals += [t.p_value for t in report.tests]
    assert loud <= 1
    assert stats.kstest(pvals, "uniform").pvalue > 1e-3


def test_posterior_predictive_check_holds_the_globals_at_a_draw():
    model = make_model("naive-bayes", n=4, classes=2)
    point = {k: np.asarray(v) for k, v in _prior_point(model, seed=3).items()}
    kw = {"n_items": 500}
    cols, dag = simulate(model.program_items, kwargs=kw, n_samples=500, fixed=point)
    assert set(cols) == set(model.dag.nodes) and dag.nodes == model.dag.nodes
    again, _ = simulate(model.program_items, kwargs=kw, n_samples=500, fixed=point)
    assert all(np.array_equal(cols[k], again[k]) for k in cols)  # same seed, same items
    assert check_claims(cols, model.dag).claimed == 6 * 2
    with pytest.raises(ValueError, match="not sites"):
        simulate(model.program_items, kwargs=kw, n_samples=50, fixed={"thetaa": 0.5})


# -- fitting a user program ---------------------------------------------------------------


def test_flat_prior_regression_recovers_least_squares(fitted_regression):
    from zoo.programs import posterior_summary

    result, x, y = fitted_regression
    design = np.column_stack([np.ones(len(x)), x])
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    summary = posterior_summary(result.idata)
    names = ["alpha", "beta[0]", "beta[1]"]
    for name, truth in zip(names, ols, strict=True):
        row = summary[name]
        assert abs(row["mean"] - truth) / row["mcse_mean"] < 4, (name, row, truth)
    # and it is not a trivially wide posterior: sd close to sigma sqrt((X'X)^-1)
    resid = y - design @ ols
    s2 = resid @ resid / (len(y) - 3)
    sd = np.sqrt(np.diag(s2 * np.linalg.inv(design.T @ design)))
    got = np.array([summary[n]["sd"] for n in names])
    assert np.allclose(got, sd, rtol=0.25)


@pytest.fixture(scope="module")
def fitted_regression():
    from zoo.programs import fit_program

    d = data("linear")
    bound = bind(program("linear_regression"), d)
    result = fit_program(bound, "nuts", chains=2, warmup=400, draws=600, seed=1)
    return result, np.asarray(d["x"]), np.asarray(d["y"])


def test_a_program_fit_keeps_its_observed_data_and_pointwise_likelihood(fitted_regression):
    """The observed group is the data passed in (read by one compiled run of the program),
    and the pointwise log-likelihood is the Normal log density at each posterior draw."""
    result, x, y = fitted_regression
    idata = result.idata
    np.testing.assert_array_equal(idata.observed_data["y"].values, y.astype(np.float32))
    post = idata.posterior
    mean = post["alpha"].values[..., None] + np.einsum("cdp,ip->cdi", post["beta"].values, x)
    sigma = post["sigma"].values[..., None]
    want = -0.5 * ((y - mean) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(idata.log_likelihood["y"].values, want, rtol=1e-4, atol=1e-3)


def test_every_statistician_model_is_read(tmp_path):
    """Regressions, a hierarchy, a summed-out mixture, a time series and a forward-algorithm
    HMM: each binds to its data and reads as a DAG with the expected parents."""
    cases = {
        "linear_regression": ("linear", {"y": {"alpha", "beta", "sigma"}}),
        "logistic_regression": ("logistic", {"y": {"alpha", "beta"}}),
        "eight_schools_nc": ("eight_schools", {"theta": {"mu", "tau", "eta"}, "y": {"theta"}}),
        "gaussian_mixture": ("mixture", {"obs": {"w", "mu", "sigma"}}),
        "ar1": ("ar1", {"obs": {"c", "phi", "sigma"}}),
        "hmm_forward": ("hmm", {"forward": {"trans", "mu", "sigma"}}),
    }
    for name, (file, parents) in cases.items():
        st = bind(program(name), data(file)).structure
        for node, want in parents.items():
            assert set(st.dag.parents(node)) == want, (name, node)
        assert st.latent, name


# -- the CLI ------------------------------------------------------------------------------


def run(argv, capsys):
    from zoo.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("name", "file", "n_edges"),
    [
        ("sprinkler", "sprinkler", 8),
        ("eight_schools", "eight_schools", 3),
        ("hmm_unrolled", None, 15),
    ],
)
def test_cli_inspect_json_keys(name, file, n_edges, capsys, tmp_path):
    argv = ["inspect", f"{MODELS}:{name}", "--json", "--draw", tmp_path / "g.png"]
    if file:
        argv += ["--data", DATA / f"{file}.json"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    card = json.loads(out)
    assert {"nodes", "edges", "params", "independence"} <= set(card)
    assert len(card["edges"]) == n_edges
    assert (tmp_path / "g.png").stat().st_size > 1000


def test_cli_inspect_check_on_the_collider(capsys):
    code, out, _ = run(["inspect", f"{MODELS}:collider", "--check", "500", "--json"], capsys)
    assert code == 0
    claims = json.loads(out)["claims"]
    assert claims["claimed"] == 2 and claims["contradicted"] == 0


def test_cli_fit_program_json(capsys, tmp_path):
    out_dir = tmp_path / "fit"
    argv = ["fit", f"{MODELS}:eight_schools_nc", "--data", DATA / "eight_schools.json"]
    argv += ["--chains", "2", "--warmup", "300", "--draws", "300", "--json", "--out", out_dir]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    card = json.loads(out)
    post = card["posterior"]
    assert {"mu", "tau", "eta[0]", "theta[0]", "theta[7]"} <= set(post)
    assert set(post["theta[3]"]) == {"mean", "sd", "mcse_mean", "ess_bulk", "ess_tail", "r_hat"}
    assert post["mu"]["mean"] != round(post["mu"]["mean"], 6)  # full precision
    d = card["diagnostics"]
    assert {"rhat_max", "ess_bulk_min", "divergences", "ebfmi_min", "checks", "pass"} <= set(d)
    # the gate: each failed check is a warning in the JSON and a line on stderr
    failed = [k for k, c in d["checks"].items() if not c["pass"]]
    assert [w.split()[0] for w in d["warnings"]] == failed and d["pass"] == (not failed)
    shown = [line for line in err.splitlines() if line.startswith("zoo: warning: ")]
    assert shown == [f"zoo: warning: {w}" for w in d["warnings"]]
    assert card["method"] == "nuts" and card["params"]["model"] == 2
    assert {"idata.nc", "card.json", "dag.png", "ranks.png"} <= {p.name for p in out_dir.iterdir()}
    saved = json.loads((out_dir / "card.json").read_text())
    assert "idata_sha256" in saved.pop("saved") and saved == card


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def bad_inputs(tmp_path):
    prog = _write(
        tmp_path,
        "user.py",
        "import numpyro, numpyro.distributions as dist\n"
        "def plain(x):\n    return 2 * x\n"
        "def all_seen(y=None):\n"
        "    with numpyro.plate('n', 3):\n"
        "        numpyro.sample('y', dist.Normal(0, 1), obs=y)\n"
        "def reg(x, y=None):\n"
        "    b = numpyro.sample('b', dist.Normal(0, 1))\n"
        "    with numpyro.plate('n', x.shape[0]):\n"
        "        numpyro.sample('y', dist.Normal(b * x, 1), obs=y)\n"
        "def mix(y=None):\n"
        "    z = numpyro.sample('z', dist.Bernoulli(0.5))\n"
        "    numpyro.sample('y', dist.Normal(z, 1), obs=y)\n",
    )
    files = {
        "prog": prog,
        "x3": _write(tmp_path, "x3.json", json.dumps({"x": [1, 2, 3]})),
        "y3": _write(tmp_path, "y3.json", json.dumps({"y": [0.1, 0.2, 0.3]})),
        "typo": _write(tmp_path, "typo.json", json.dumps({"x": [1.0, 2.0], "yy": [1.0, 2.0]})),
        "column": _write(tmp_path, "col.json", json.dumps({"x": [1.0, 2.0], "y": [[1.0], [2.0]]})),
        "mix": _write(tmp_path, "mix.json", json.dumps({"y": 0.3})),
        "notjson": _write(tmp_path, "bad.json", "{x: 1"),
    }
    return files


BAD = [
    (["inspect", "missing.py:f"], "not found"),
    (["inspect", "{prog}:nothere"], "function 'nothere' not found"),
    (["inspect", "{prog}"], "expected path/to/file.py:function"),
    (["inspect", "{prog}:plain", "--data", "{x3}"], "not a NumPyro program"),
    (["inspect", "{prog}:reg", "--data", "{typo}"], "data key 'yy' matches no argument.*'y'"),
    (["fit", "{prog}:reg", "--data", "{typo}"], "data key 'yy'"),
    (["fit", "{prog}:reg", "--data", "{column}"], r"shape \(2, 1\).*shape \(2,\)"),
    (["fit", "{prog}:all_seen", "--data", "{y3}"], "samples no latent site"),
    (["fit", "{prog}:mix", "--data", "{mix}"], "latent site 'z' is discrete"),
    (["fit", "{prog}:reg", "--data", "{notjson}"], "not valid JSON"),
    (["fit", "{prog}:reg", "--data", "{x3}", "--method", "exact"], "conjugate family"),
]


@pytest.mark.parametrize(("argv", "match"), BAD, ids=[m for _, m in BAD])
def test_bad_program_input_exits_2_and_writes_nothing(argv, match, bad_inputs, capsys, tmp_path):
    import re

    out_dir = tmp_path / "never"
    argv = [a.format(**bad_inputs) for a in argv]
    if argv[0] == "fit":
        argv += ["--out", str(out_dir)]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == "" and len(err.strip().splitlines()) == 1
    assert re.search(match, err), err
    assert not out_dir.exists()


def test_gate_warns_on_nan_and_each_failed_check():
    from zoo.diagnostics import warnings_for

    diag = {
        "checks": {
            "rhat": {"value": None, "threshold": 1.01, "pass": False},
            "ess_bulk": {"value": 800.0, "threshold": 400, "pass": True},
            "divergences": {"value": 3.0, "threshold": 0, "pass": False},
        }
    }
    lines = warnings_for(diag)
    assert len(lines) == 2
    assert lines[0].startswith("rhat NaN (threshold 1.01)")
    assert lines[1].startswith("divergences 3 (threshold 0): NUTS diverged")
