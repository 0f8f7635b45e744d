"""Posterior analyses (``zoo.analyses``): each at small size with its qualitative finding
asserted with a margin; the pieces against known answers (scikit-learn's logistic
regression and BernoulliNB, the exact naive Bayes posterior, enumeration of missing pixels
and of the spam process, the Hessian of the NumPyro program); the CLI, an example script,
same seed same numbers, and bad input.

Analyses run once per module (fixtures) and share compiled fits; keep sizes small."""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from zoo.analyses import ANALYSES, get_analysis, write_result
from zoo.analyses import _common as common
from zoo.analyses import cli as analyses_cli
from zoo.analyses import double_counting as dc
from zoo.analyses import missing as miss
from zoo.analyses import semi_supervised as semi
from zoo.analyses.anomaly import run_anomaly
from zoo.analyses.ng_jordan import run_ng_jordan

ROOT = Path(__file__).resolve().parents[1]


# -- the analyses at small size ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ng():
    lines = []
    return run_ng_jordan(size="small", seed=0, progress=lines.append), lines


@pytest.fixture(scope="module")
def double():
    return dc.run_double_counting(size="small", seed=0)


@pytest.fixture(scope="module")
def missing():
    return miss.run_missing(size="small", seed=0)


@pytest.fixture(scope="module")
def anomaly():
    # the cheap families carry the finding; the SVI family runs in the benchmark
    return run_anomaly(
        size="small", seed=0, families=["independent", "markov-grid", "latent-class"]
    )


@pytest.fixture(scope="module")
def semi_supervised():
    return semi.run_semi_supervised(size="small", seed=0)


def _rows(table, **match):
    return [r for r in table if all(r[k] == v for k, v in match.items())]


def test_ng_jordan_naive_bayes_learns_faster_logistic_ends_lower(ng):
    result, lines = ng
    rows = _rows(result.table, dataset="digits-3v8")
    first, last = rows[0], rows[-1]
    assert first["train_items"] == 10
    assert first["naive_bayes_error"] < first["logistic_error"] - 0.01
    assert last["logistic_error"] <= last["naive_bayes_error"]
    cross = result.summary["datasets"]["digits-3v8"]
    assert cross["crossing"] == "crossed"
    assert first["train_items"] < cross["crossing_n"] < last["train_items"]
    # breast cancer: logistic regression is no worse with every training item
    bc = _rows(result.table, dataset="breast-cancer")[-1]
    assert bc["logistic_error"] <= bc["naive_bayes_error"]
    # the Bayesian fit and scikit-learn's at the matching penalty tell the same story
    for r in result.table:
        assert abs(r["logistic_error"] - r["sklearn_error"]) < 0.03, r
    assert any("repeat 4/4" in line for line in lines)
    assert "learning_curves.png" in result.figures
    assert "digits-3v8" in result.summary["finding"]


def test_double_counting_naive_bayes_is_overconfident(double):
    s = double.summary
    assert s["log_loss"]["truth"] < s["log_loss"]["logistic"] < s["log_loss"]["naive_bayes"] - 0.02
    assert s["ece"]["naive_bayes"] > s["ece"]["logistic"] + 0.02
    # BANK and ACCOUNT together: naive Bayes counts the evidence twice
    assert s["example"]["naive_bayes"] > s["example"]["truth"] + 0.1
    dup = s["duplication"]
    assert dup["copies"] == [0, 2, 4]
    nb, lr = dup["naive_bayes"]["log_loss"], dup["logistic"]["log_loss"]
    assert nb[-1] > nb[0] + 0.3 and nb == sorted(nb)
    assert abs(lr[-1] - lr[0]) < 0.02
    assert len(set(dup["truth"]["log_loss"])) == 1  # copies carry no information


def test_missing_marginalisation_beats_imputation(missing):
    half = missing.summary["at_half"]
    for gen in ("naive_bayes", "class_mixture"):
        assert half[gen]["accuracy"] > half["logistic"]["accuracy"] + 0.05
        assert half[gen]["log_loss"] < half["logistic"]["log_loss"] - 0.2
    # on complete images the discriminative model is at least as accurate as naive Bayes
    full = {r["model"]: r for r in _rows(missing.table, missing=0.0)}
    assert full["logistic"]["accuracy"] >= full["naive_bayes"]["accuracy"]
    acc = missing.summary["accuracy"]["naive_bayes"]
    assert acc == sorted(acc, reverse=True)  # hiding more never helps


def test_anomaly_structure_detects_unseen_classes(anomaly):
    fams = anomaly.summary["families"]
    ind = fams["independent"]["auroc_heldout_classes"]
    assert fams["latent-class"]["auroc_heldout_classes"] > ind + 0.15
    assert fams["markov-grid"]["auroc_heldout_classes"] > ind + 0.1
    for f in fams.values():
        assert f["auroc_flipped"]["4"] > 0.8  # flipped pixels are easy for every family
    assert fams["markov-grid"]["nats_in_distribution"] < fams["independent"]["nats_in_distribution"]
    assert {r["anomalies"] for r in anomaly.table} == {"held-out classes", "flipped pixels"}


def test_semi_supervised_mixture_beats_labelled_only_logistic(semi_supervised):
    few = semi_supervised.table[0]
    assert few["labels"] == 20
    assert few["mixture"] > few["logistic"] + 0.1
    assert semi_supervised.summary["gain_at_fewest"] == pytest.approx(
        few["mixture"] - few["logistic"], abs=1e-3
    )


def test_results_are_json_with_the_documented_keys(ng, double, missing, anomaly, semi_supervised):
    keys = {
        "ng-jordan": {"datasets", "finding"},
        "double-counting": {"log_loss", "ece", "example", "duplication", "reliability", "finding"},
        "missing": {"rates", "accuracy", "log_loss", "at_half", "finding"},
        "anomaly": {"families", "best_heldout", "finding"},
        "semi-supervised": {
            "labels",
            "mixture",
            "naive_bayes",
            "logistic",
            "fewest",
            "gain_at_fewest",
            "logistic_catches_up_at",
            "finding",
        },
    }
    for result in (ng[0], double, missing, anomaly, semi_supervised):
        data = json.loads(json.dumps(result.to_json()))
        assert data["analysis"] == result.name
        assert set(data["summary"]) == keys[result.name]
        assert data["table"] and data["settings"]["size"] == "small"
    assert set(ng[0].table[0]) == {
        "dataset",
        "train_items",
        "naive_bayes_error",
        "naive_bayes_se",
        "logistic_error",
        "logistic_se",
        "sklearn_error",
    }


def test_same_seed_same_numbers(double):
    again = dc.run_double_counting(size="small", seed=0)
    assert again.to_json() == double.to_json()
    other = dc.run_double_counting(size="small", seed=1)
    assert other.summary["log_loss"] != double.summary["log_loss"]


# -- known answers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits_pair():
    from zoo.data import digits

    data = digits()
    keep = np.isin(data.y, (3, 8))
    return data.x[keep], (data.y[keep] == 8).astype(np.int32)


def test_bayesian_logistic_map_is_sklearns_at_c_equal_prior_variance(digits_pair):
    from zoo.analyses._logistic import fit_logistic, sklearn_logistic
    from zoo.data import digits_split

    x, y = digits_pair
    subsets = [np.arange(30), np.arange(200)]
    fit = fit_logistic(x, y, subsets, classes=2, prior_scale=1.0)
    for i, idx in enumerate(subsets):
        sk = sklearn_logistic(x[idx], y[idx], prior_scale=1.0)
        assert np.abs(fit.map_proba(x, i) - sk.predict_proba(x)).max() < 0.03
        # the posterior predictive averages draws: close to the MAP's decisions
        agree = fit.predict_proba(x, i).argmax(1) == sk.predict(x)
        assert agree.mean() > 0.97
    train, test = digits_split()
    ten = fit_logistic(train.x, train.y, classes=10)
    sk = sklearn_logistic(train.x, train.y)
    assert np.abs(ten.map_proba(test.x) - sk.predict_proba(test.x)).max() < 0.03
    # a weaker prior is a larger C: the fits must differ, so the check above can fail
    loose = sklearn_logistic(x[:30], y[:30], prior_scale=10.0)
    assert np.abs(fit.map_proba(x, 0) - loose.predict_proba(x)).max() > 0.05


def test_laplace_precision_is_the_hessian_of_the_numpyro_program():
    import jax
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from zoo.analyses import _logistic

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.integers(0, 2, (25, 3)), dtype=jnp.float32)
    weight = jnp.asarray(rng.integers(0, 2, 25), dtype=jnp.float32)
    for classes, columns in ((2, 1), (3, 3)):
        y = jnp.asarray(rng.integers(0, classes, 25))
        w = jnp.asarray(rng.normal(size=(3, columns)), dtype=jnp.float32)
        b = jnp.asarray(rng.normal(size=columns), dtype=jnp.float32)

        def neg_log_post(theta, columns=columns, y=y):
            t = theta.reshape(4, columns)
            params = {"W": t[:3], "b": t[3]}
            kwargs = {"columns": columns, "prior_scale": 0.7}
            return -log_density(_logistic.program, (x, y, weight), kwargs, params)[0]

        theta = jnp.concatenate([w, b[None]], axis=0).reshape(-1)
        want = jax.jit(jax.hessian(neg_log_post))(theta)  # jit: eager NumPyro is slow
        got = _logistic._precision(x, weight, w, b, 0.7)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-4)


def test_naive_bayes_predictive_is_exact_and_matches_bernoulli_nb():
    from sklearn.naive_bayes import BernoulliNB

    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (60, 5))
    y = rng.integers(0, 3, 60)
    post = common.naive_bayes_fit(x, y, 3)
    counts = np.stack([x[y == k].sum(axis=0) for k in range(3)])
    nk = np.bincount(y, minlength=3)
    np.testing.assert_allclose(post.theta, (counts + 1) / (nk[:, None] + 2), rtol=1e-6)
    np.testing.assert_allclose(post.prior, (nk + 1) / (60 + 3), rtol=1e-6)
    test = rng.integers(0, 2, (40, 5))
    ours = post.predict_proba(test)
    sk = BernoulliNB(alpha=1.0, class_prior=post.prior).fit(x, y)
    np.testing.assert_allclose(ours, sk.predict_proba(test), atol=1e-6)
    # the posterior predictive averages p(y, x | theta) over the posterior: Monte Carlo
    # over exact draws from the zoo model's conjugate posterior lands on the closed form
    model = common.naive_bayes_model(5, 3)
    conc = model.posterior_params(common.binary_dataset(x, y, 3))
    draw = np.random.default_rng(0)
    draws = {
        "theta": draw.beta(conc[2][:, 1], conc[2][:, 0], (4000, len(conc[2]))),
        "probs3": np.stack([draw.dirichlet(row, 4000) for row in conc[3]], axis=1),
    }
    mc = model.predict_proba(draws, common.binary_dataset(test))
    assert np.abs(mc - ours).max() < 0.02
    plugin = model.predict_proba(
        {k: v.mean(axis=0, keepdims=True) for k, v in draws.items()}, common.binary_dataset(test)
    )
    assert np.abs(plugin - ours).max() < 0.02


def _enumerated(log_joint, x):
    """log sum over every completion of the NaN entries of one item, by brute force."""
    hidden = np.flatnonzero(np.isnan(x))
    total = []
    for bits in itertools.product((0.0, 1.0), repeat=len(hidden)):
        full = x.copy()
        full[hidden] = bits
        total.append(log_joint(full[None])[0])
    return common.logsumexp(np.stack(total, axis=-1))


def test_missing_pixels_are_summed_out_exactly():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, (80, 6))
    y = rng.integers(0, 3, 80)
    nb = common.naive_bayes_fit(x, y, 3)
    mix = miss.class_mixture_fit(x, y, 3, components=2, seed=0)
    item = np.array([1.0, np.nan, 0.0, np.nan, np.nan, 1.0])
    for model in (nb, mix):
        np.testing.assert_allclose(
            model.log_joint(item[None])[0], _enumerated(model.log_joint, item), rtol=1e-10
        )
    # imputation is not marginalisation: filling in a guess gives another answer
    guess = np.where(np.isnan(item), 0.0, item)
    assert not np.allclose(nb.predict_proba(guess[None]), nb.predict_proba(item[None]))
    hidden = miss.hide(np.ones((400, 10)), 0.3, np.random.default_rng(0))
    assert 0.25 < np.isnan(hidden).mean() < 0.35


def test_spam_truth_is_the_generating_process():
    patterns = np.array(list(itertools.product((0, 1), repeat=len(dc.VOCABULARY))))
    joint = np.exp(dc.true_log_joint(patterns))
    assert joint.sum() == pytest.approx(1.0, abs=1e-9)
    x, y = dc.spam_corpus(100_000, seed=3)
    assert y.mean() == pytest.approx(dc.SPAM_PRIOR, abs=0.01)
    b, a = len(dc.WORDS), len(dc.WORDS) + 1
    both = (patterns[:, b] == 1) & (patterns[:, a] == 1)
    want = joint[both].sum(axis=0)  # p(BANK, ACCOUNT, y) for each y
    got = [np.mean((x[:, b] == 1) & (x[:, a] == 1) & (y == k)) for k in (0, 1)]
    np.testing.assert_allclose(got, want, atol=0.005)
    # BANK and ACCOUNT are strongly dependent given the class; copies change nothing
    assert dc.with_copies(x[:5], 3).shape == (5, len(dc.VOCABULARY) + 3)
    np.testing.assert_allclose(dc.true_proba(dc.with_copies(x[:50], 3)), dc.true_proba(x[:50]))


def test_semi_supervised_em_climbs_the_program_log_density():
    import jax
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, (120, 8))
    y = rng.integers(0, 3, 120)
    labelled = rng.random(120) < 0.2
    fit, trace = semi.semi_supervised_em(x, y, labelled, 3)
    assert all(b >= a - 1e-9 for a, b in zip(trace, trace[1:], strict=False))

    args = (jnp.asarray(x, jnp.float32), jnp.asarray(y), jnp.asarray(labelled))

    @jax.jit  # eager NumPyro compiles op by op: slow
    def density(pi, theta):
        return log_density(semi.program, (*args, 3), {}, {"pi": pi, "theta": theta})[0]

    def program_density(pi, theta):
        return float(density(jnp.asarray(pi, jnp.float32), jnp.asarray(theta, jnp.float32)))

    nudged = np.clip(fit.theta + rng.normal(0, 0.03, fit.theta.shape), 0.01, 0.99)
    ours = [semi.objective(x, y, labelled, fit.prior, t) for t in (fit.theta, nudged)]
    numpyro_ = [program_density(fit.prior, t) for t in (fit.theta, nudged)]
    # the same function up to the priors' constants, and EM sits at its top
    assert ours[0] - ours[1] == pytest.approx(numpyro_[0] - numpyro_[1], rel=1e-3)
    assert ours[0] > ours[1]
    # every item labelled: the fit is naive Bayes' exact posterior predictive
    everyone, _ = semi.semi_supervised_em(x, y, np.ones(120, bool), 3)
    nb = common.naive_bayes_fit(x, y, 3)
    np.testing.assert_allclose(everyone.theta, nb.theta, rtol=1e-6)
    np.testing.assert_allclose(everyone.prior, nb.prior, rtol=1e-6)


def test_calibration_helpers_on_hand_cases():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.85, 0.95])
    assert common.expected_calibration_error(p, y, bins=10) == pytest.approx(0.1)
    proba = np.array([[0.5, 0.5], [0.9, 0.1]])
    assert common.log_loss(proba, np.array([1, 0])) == pytest.approx(
        -(np.log(0.5) + np.log(0.9)) / 2
    )
    subsets = common.nested_subsets(
        np.repeat(np.arange(5), 10), [5, 12], np.random.default_rng(0), 5, stratify=True
    )
    assert len(set(np.repeat(np.arange(5), 10)[subsets[0]])) == 5
    assert np.array_equal(subsets[1][:5], subsets[0])
    # stratified: 12 of 5 equal classes hold 2 or 3 of each; 30 of a 1:2 split hold 10:20
    assert set(np.bincount(np.repeat(np.arange(5), 10)[subsets[1]])) <= {2, 3}
    y = np.repeat([0, 1], [40, 80])
    (thirty,) = common.nested_subsets(y, [30], np.random.default_rng(1), 2, stratify=True)
    assert abs(np.bincount(y[thirty])[0] - 10) <= 1
    shares = [  # unstratified: random prefixes, so the shares vary from draw to draw
        np.bincount(y[common.nested_subsets(y, [30], np.random.default_rng(r), 2)[0]])[0]
        for r in range(20)
    ]
    assert len(set(shares)) > 3


# -- CLI, example, bad input -------------------------------------------------------------------


def _parse(argv):
    parser = argparse.ArgumentParser(prog="zoo")
    analyses_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_writes_result_json_and_figures(tmp_path, capsys, double):
    from zoo.cli import main

    out = tmp_path / "dc"
    assert main(["analyze", "double-counting", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed == double.to_json()
    assert json.loads((out / "result.json").read_text()) == double.to_json()
    assert (out / "double_counting.png").stat().st_size > 10_000
    assert "0 extra copies of BANK" in captured.err  # progress on stderr
    analyses_cli.run(_parse(["analyze", "double-counting", "--out", str(out)]))
    text = capsys.readouterr().out
    assert text.startswith("double-counting: naive Bayes is overconfident")
    assert "naive_bayes" in text and "log_loss" in text


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    from zoo.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["analyze", "missing", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: --out") and "is a file, not a folder" in err
    assert err.count("\n") == 1
    assert main(["analyze", "ng-jordon"]) == 2
    assert "invalid choice: 'ng-jordon'" in capsys.readouterr().err
    assert main(["analyze", "missing", "--size", "huge"]) == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_example_script_runs_small(tmp_path, capsys):
    path = ROOT / "examples" / "analyze_double_counting.py"
    spec = importlib.util.spec_from_file_location("analyze_double_counting", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--size", "small", "--train-items", "200", "--out", str(tmp_path)]) == 0
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["settings"]["train_items"] == 200
    assert (tmp_path / "double_counting.png").exists()
    assert "naive Bayes" in capsys.readouterr().out


def test_every_analysis_is_registered_with_an_example():
    assert list(ANALYSES) == [
        "ng-jordan",
        "double-counting",
        "missing",
        "anomaly",
        "semi-supervised",
        "inpaint",
        "toys",
    ]
    for name, (fn, description) in ANALYSES.items():
        assert fn.__doc__ and description
        assert (ROOT / "examples" / f"analyze_{name.replace('-', '_')}.py").exists()


def test_bad_input_is_a_clear_value_error(tmp_path):
    with pytest.raises(
        ValueError, match=r"unknown analysis 'ng-jordon' \(did you mean 'ng-jordan'"
    ):
        get_analysis("ng-jordon")
    with pytest.raises(
        ValueError, match=r"unknown size 'huge'; expected one of \['small', 'full'\]"
    ):
        run_ng_jordan(size="huge")
    with pytest.raises(ValueError, match="sizes must be strictly increasing"):
        run_ng_jordan(sizes=[40, 20])
    with pytest.raises(ValueError, match="repeats must be an integer >= 2, got 1"):
        run_ng_jordan(repeats=1)
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        run_ng_jordan(datasets=["mnist"])
    with pytest.raises(ValueError, match=r"each of rates must lie in \[0.0, 1.0\), got 1.2"):
        miss.run_missing(rates=[0.5, 1.2])
    with pytest.raises(TypeError, match=r"unknown keyword 'rate'; expected one of \['components'"):
        miss.run_missing(rate=[0.5])  # the overrides are the preset's keys
    with pytest.raises(ValueError, match="copies must start at 0"):
        dc.run_double_counting(copies=[1, 2])
    with pytest.raises(ValueError, match="inliers must leave at least one digit class out"):
        run_anomaly(inliers=range(10))
    with pytest.raises(ValueError, match="unknown family 'mixture'"):
        run_anomaly(families=["mixture"])
    with pytest.raises(ValueError, match="labels must be at most 1437, got 5000"):
        semi.run_semi_supervised(labels=[20, 5000])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"--out .*file.* is a file, not a folder"):
        analyses_cli.run(_parse(["analyze", "missing", "--out", str(blocker / "sub")]))
    assert not (blocker.parent / "sub").exists()
    with pytest.raises(SystemExit):  # argparse: NAME must be one of the registry (or all)
        _parse(["analyze", "nope"])


def test_write_result_refuses_a_file_as_folder(tmp_path, double):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    with pytest.raises(OSError):
        write_result(double, blocker)
