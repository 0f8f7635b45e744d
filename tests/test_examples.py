"""The example scripts, one per user journey (``examples/*.py``), each run in-process at a
small size through its ``main(argv)``, so compiled JAX programs are shared with the other
tests; each asserts a known answer, not only that files appear. The ``analyze_*`` scripts are
thin wrappers whose analyses run in ``test_analyses.py``: here their flags are checked to
reach the analysis, with the analysis itself stubbed out.

Keep sizes small: these tests together should stay under a minute on two cores."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load(name: str):
    """The example script ``examples/NAME`` as a fresh module (its ``__main__`` block unrun)."""
    path = EXAMPLES / name
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, argv: list, capsys) -> tuple[str, str]:
    code = load(name).main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def result(folder: Path) -> dict:
    return json.loads((folder / "result.json").read_text())


def assert_figures(folder: Path, names) -> None:
    for name in names:
        assert (folder / name).stat().st_size > 5_000, name  # a drawn PNG, not an empty one


# -- one test per journey ---------------------------------------------------------------------


def test_declare_and_inspect(tmp_path, capsys):
    out, _ = run(
        "declare_and_inspect.py", ["--pixels", 16, "--students", 12, "--out", tmp_path], capsys
    )
    r = result(tmp_path)
    n, k = 16, 10
    # closed forms: naive Bayes (K - 1) + K n beside K 2^n - 1; chain 2n - 1; the complete
    # DAG's tables are the full joint itself; logistic conditionals n(n + 1) / 2
    assert r["family"]["params"] == (k - 1) + k * n
    assert r["family"]["full_joint"] == k * 2**n - 1
    rows = {row["dag"]: row for row in r["families"]}
    assert rows["independent"]["params"] == n
    assert rows["markov_chain(order=1)"]["params"] == 2 * n - 1
    assert rows["autoregressive"]["params"] == rows["autoregressive"]["full_joint"] == 2**n - 1
    assert rows["autoregressive"]["params_logistic"] == n * (n + 1) // 2
    assert [q["d_separated"] for q in r["family"]["queries"]] == [False, True]
    # the student network: 1 + 1 + 2*2*2 + 2 + 3 free parameters, 2*2*3*2*2 - 1 in the joint;
    # explaining away opens difficulty - intelligence given the grade or the letter
    hand = r["hand"]
    assert (hand["params"], hand["full_joint"]) == (15, 47)
    assert [q["d_separated"] for q in hand["queries"]] == [True, False, False, False, True, False]
    assert hand["minimal_separator_sat_letter"] == ["intelligence"]
    # the graph read out of the program is the hand-built one, with as many parameters
    prog = r["program"]
    assert prog["item_edges_equal_hand"] and prog["params"]["model"] == 15
    assert prog["plates"] == [
        {
            "name": "students",
            "size": 12,
            "members": ["difficulty", "intelligence", "grade", "sat", "letter"],
        }
    ]
    assert_figures(tmp_path, r["figures"])
    assert len(r["figures"]) == 6
    assert "x0 ⟂ x1 | {y}?  yes (d-separated)" in out
    assert "equal the hand-built DAG's" in out


def test_declare_and_inspect_without_the_program_never_imports_jax(tmp_path):
    script = str(EXAMPLES / "declare_and_inspect.py")
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('d', {script!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"assert m.main(['--pixels', '9', '--no-program', '--out', {str(tmp_path)!r}]) == 0\n"
        "print(sorted(k for k in ('jax', 'numpyro', 'arviz') if k in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]")
    assert "program" not in result(tmp_path)
    assert (tmp_path / "hand-dag.png").exists() and not (tmp_path / "program-dag.png").exists()


def test_compare_families(tmp_path, capsys):
    argv = ["--size", "small", "--families", "independent", "markov-chain", "--out", tmp_path]
    out, _ = run("compare_families.py", argv, capsys)
    r = result(tmp_path)
    rows = {row["family"]: row for row in r["rows"]}
    assert (rows["independent"]["params"], rows["markov-chain"]["params"]) == (64, 127)
    # one edge per pixel buys over a nat per digit (README: 25.25 against 24.13)
    assert rows["markov-chain"]["nats_per_item"] < rows["independent"]["nats_per_item"] - 1
    assert abs(rows["independent"]["nats_per_item"] - 25.25) < 0.05
    assert r["frontier"] == ["independent", "markov-chain"] and r["budget"] == "quick"
    report = json.loads((tmp_path / "results.json").read_text())
    assert [row["nats_per_item"] for row in report["rows"]] == [
        rows[f]["nats_per_item"] for f in ("independent", "markov-chain")
    ]
    assert (tmp_path / "index.html").exists()
    assert_figures(
        tmp_path, ["frontier.png", "learning.png", "samples.png", "dag-markov-chain.png"]
    )
    assert "the frontier" in out and "markov-chain" in out


def test_fit_and_diagnose(tmp_path, capsys):
    # 2 x (200 + 100) NUTS draws; 200 exact draws, the shape test_compare_families draws.
    # The SVI half is the same code with method="svi" (test_own_program fits by SVI)
    argv = ["--size", "small", "--draws", 100, "--svi-family", "none", "--out", tmp_path]
    out, err = run("fit_and_diagnose.py", argv, capsys)
    r = result(tmp_path)
    check = r["exact_check"]
    assert check["elements"] == 127 == r["nuts"]["params"]["model"]  # 2n - 1 for the chain
    # NUTS's means lie within a few Monte Carlo standard errors of the exact posterior's
    assert check["share_within_3_mcse"] >= 0.95
    assert check["max_abs_z"] < 5
    assert 0.8 < check["sd_ratio_median"] < 1.2
    assert abs(check["nats_nuts"] - check["nats_exact"]) < 0.02
    assert abs(check["nats_nuts"] - 24.13) < 0.05  # the README's yardstick for the chain
    nuts = r["nuts"]["diagnostics"]
    for key in ("rhat_max", "ess_bulk_min", "ess_tail_min", "divergences", "ebfmi_min"):
        assert nuts[key] is not None, key
    assert all(f"warning: {line}" in err for line in nuts["warnings"])  # failed checks
    assert r["nuts"]["settings"]["draws"] == 100 and r["svi"] is None
    assert "seconds" not in r["nuts"]
    assert "nuts" in json.loads((tmp_path / "timings.json").read_text())
    assert_figures(tmp_path, ["nuts-rank.png", "nuts-samples.png", "nuts-vs-exact.png"])
    assert not (tmp_path / "svi-elbo.png").exists()
    assert "within 3 MCSE of the exact mean" in out and "✓ divergences" in out


@pytest.fixture(scope="module")
def asia_truth():
    """P(lung | smoke=yes, dysp=yes) by pgmpy's own variable elimination on asia."""
    import warnings

    import graphs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.inference import VariableElimination

    ve = VariableElimination(graphs.to_pgmpy(graphs.load_network("asia")))
    q = ve.query(["lung"], evidence={"smoke": "yes", "dysp": "yes"}, show_progress=False)
    return dict(zip(q.state_names["lung"], q.values, strict=True))


def test_bring_a_network(tmp_path, capsys, asia_truth):
    # the exact conjugate posterior (NUTS on a tabular family runs in test_fit_and_diagnose);
    # 4 x 200 draws, as test_cli_fit draws for asia
    exact = ["--size", "small", "--items", 5000, "--method", "exact", "--chains", 4, "--draws", 200]
    out, _ = run("bring_a_network.py", [*exact, "--out", tmp_path], capsys)
    r = result(tmp_path)
    assert (r["network"], r["params"], r["full_joint"]) == ("asia", 18, 2**8 - 1)
    assert r["bif_round_trip"] and (tmp_path / "asia.bif").exists()
    q = r["query"]
    assert (q["variable"], q["evidence"]) == ("lung", {"smoke": "yes", "dysp": "yes"})
    assert q["true"] == pytest.approx([asia_truth["yes"], asia_truth["no"]], abs=1e-9)
    # 4,000 items: the fitted network answers within a few posterior sds of the truth
    assert abs(q["posterior_mean"][0] - asia_truth["yes"]) < 0.05
    assert q["interval_90"][0][0] < q["posterior_mean"][0] < q["interval_90"][1][0]
    assert r["heldout"]["nats_fitted"] == pytest.approx(r["heldout"]["nats_true"], abs=0.05)
    assert r["heldout"]["nats_fitted"] >= r["heldout"]["nats_true"] - 0.05
    # rows seen thousands of times are learned to within a few hundredths
    errors = r["cpd_errors"]
    assert errors["smoke"]["max_abs_error"] < 0.03 and errors["asia"]["max_abs_error"] < 0.03
    assert r["card"]["method"] == "exact" and r["card"]["diagnostics"]["rhat_max"] < 1.05
    assert_figures(tmp_path, ["dag.png", "rank.png", "cpds.png", "query.png"])
    assert "P(lung | smoke=yes, dysp=yes)" in out

    # the file it wrote comes back in through --bif: the same network and answer
    again = tmp_path / "from-bif"
    argv = ["--bif", tmp_path / "asia.bif", *exact, "--query-draws", 10, "--out", again]
    run("bring_a_network.py", argv, capsys)
    back = result(again)
    assert back["network"] == "asia" and back["bif_round_trip"] and back["params"] == 18
    assert back["query"]["true"] == pytest.approx(q["true"], abs=1e-9)
    assert abs(back["query"]["posterior_mean"][0] - asia_truth["yes"]) < 0.05
    assert back["card"]["method"] == "exact" and back["query"]["draws"] == 10


def test_own_program(tmp_path, capsys):
    # SVI only: NUTS on a tabular family runs in test_fit_and_diagnose, and a program's
    # NUTS compile costs twice an SVI one
    argv = ["--size", "small", "--methods", "svi", "--out", tmp_path]
    out, _ = run("own_program.py", argv, capsys)
    r = result(tmp_path)
    assert r["structure"]["params"]["model"] == 10 and r["structure"]["data_plates"] == ["days"]
    assert [p["name"] for p in r["structure"]["plates"]] == ["days"]
    # the program's claims hold on its own simulations; a DAG missing fire -> smoke is refuted
    assert r["claims"]["claimed"] > 0 and r["claims"]["contradicted"] == 0
    wrong = [t for t in r["wrong_dag"]["tests"] if t["contradicted"]]
    assert any({t["node"], t["other"]} == {"fire", "smoke"} for t in wrong)
    # the known answer: each probability's Beta posterior from the counts
    known = r["known_answer"]
    assert len(known) == 10
    for row in known:
        assert abs(row["svi_sds_off"]) < 1, row  # the mean-field guide within a posterior sd
        assert abs(row["exact_mean"] - row["truth"]) < 4 * row["exact_sd"], row
        assert row["nuts_mean"] is None
    post = r["svi"]["posterior"]
    p_fire = next(k for k in known if k["element"] == "p_fire")
    assert post["p_fire"]["mean"] == pytest.approx(p_fire["svi_mean"], abs=1e-6)
    d = r["svi"]["diagnostics"]
    assert d["elbo_final"] is not None and d["khat"] is not None and r["nuts"] is None
    figures = ["dag.png", "independence.png", "svi-elbo.png", "posterior.png"]
    assert_figures(tmp_path, figures)
    assert not (tmp_path / "nuts-rank.png").exists()
    assert "contradicted 0" in out and "the posterior against the known answer" in out
    # the data: the same seed gives the same simulated days, another seed others
    module = load("own_program.py")
    assert module.simulate_days(500, 0) == module.simulate_days(500, 0)
    assert module.simulate_days(500, 1) != module.simulate_days(500, 0)


def test_own_program_names_a_problem_with_a_brought_program(tmp_path, capsys):
    # eight schools needs its sigma: without --data the program cannot run, and says why
    models = EXAMPLES / "programs" / "models.py"
    argv = ["--program", f"{models}:eight_schools_nc", "--out", str(tmp_path)]
    assert load("own_program.py").main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("own_program.py: error:") and "sigma" in err and err.count("\n") == 1
    argv = ["--program", f"{models}:eight_school", "--out", str(tmp_path)]
    assert load("own_program.py").main(argv) == 2
    assert "did you mean 'eight_schools'" in capsys.readouterr().err


# -- every script is covered; flags; bad --out -------------------------------------------------

JOURNEYS = (
    "declare_and_inspect.py",
    "fit_and_diagnose.py",
    "compare_families.py",
    "bring_a_network.py",
    "own_program.py",
)
ANALYZE = sorted(p.name for p in EXAMPLES.glob("analyze_*.py"))


def test_every_example_script_is_covered():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    ran_here = {s for s in scripts if f"test_{Path(s).stem}" in globals()}
    assert ran_here == set(JOURNEYS)
    missing = set(scripts) - ran_here - set(ANALYZE)
    assert not missing, f"example scripts without a test: {sorted(missing)}"
    # one analysis script runs end to end there; the others are wired up here
    assert "analyze_double_counting.py" in (ROOT / "tests" / "test_analyses.py").read_text()


@pytest.mark.parametrize("name", ANALYZE)
def test_analyze_script_passes_its_flags_to_its_analysis(name, tmp_path, monkeypatch):
    import zoo
    from zoo.analyses import ANALYSES

    module = load(name)
    seen = {}

    def stub(run_fn, args, **options):
        seen.update(run_fn=run_fn, args=args, options=options)
        return 0

    monkeypatch.setattr(zoo.scripts, "run_example", stub)
    assert module.main(["--size", "small", "--seed", "3", "--out", str(tmp_path)]) == 0
    analysis = name.removeprefix("analyze_").removesuffix(".py").replace("_", "-")
    assert seen["run_fn"] is ANALYSES[analysis][0]
    assert (seen["args"].size, seen["args"].seed, seen["args"].out) == ("small", 3, str(tmp_path))
    assert all(v is None or v is False for v in seen["options"].values())  # none given
    # each flag is named after a keyword of the analysis: one its presets set
    presets = importlib.import_module(seen["run_fn"].__module__).PRESETS["small"]
    assert seen["options"] and set(seen["options"]) <= set(presets)


@pytest.mark.parametrize("name", [*JOURNEYS, *ANALYZE])
def test_a_file_as_out_is_refused_before_any_work_in_one_line(name, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert load(name).main(["--out", str(blocker / "sub")]) == 2
    out, err = capsys.readouterr()
    prefix = "error: --out" if name in ANALYZE else f"{name}: error: --out"
    assert err.startswith(prefix) and "is a file, not a folder" in err
    assert err.count("\n") == 1 and not out
    assert blocker.read_text() == "x"
