"""Notebook display: DAGs, cards, compare results and claims reports show an HTML table with
an embedded picture; names are escaped; the terminal repr stays one short line."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import graphs
from graphs import DAG, Variable
from zoo.cards import FitCard, ProgramFitCard, StructureCard
from zoo.claims import check_claims
from zoo.compare import CompareResult
from zoo.models import get_family

GOLDEN = Path(__file__).parent / "golden"
IMAGE = re.compile(r'<img src="data:image/(svg\+xml|png);base64,[A-Za-z0-9+/=]{200,}"')


def golden(name):
    return json.loads((GOLDEN / name).read_text())


def short(obj):
    text = repr(obj)
    assert "\n" not in text and len(text) < 120, text
    return text


def test_dag_shows_a_table_and_a_picture():
    dag = graphs.naive_bayes(64, 10)
    assert short(dag) == "DAG('naive_bayes(K=10)', 65 nodes, 64 edges)"
    bundle = dag._repr_mimebundle_()
    page = bundle["text/html"]
    assert "<table>" in page and "<td>65 (label 1, observed 64)</td>" in page
    assert IMAGE.search(page)
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and "<svg" in dag._repr_svg_()
    assert dag._repr_html_() == page


def test_a_big_dag_is_shown_as_png():
    dag = graphs.markov_chain(300)
    bundle = dag._repr_mimebundle_()
    assert "image/png" in bundle and dag._repr_svg_() is None
    assert 'src="data:image/png;base64,' in bundle["text/html"]


def test_names_are_escaped():
    nasty = "<script>alert(1)</script>"
    dag = DAG([Variable(nasty), Variable("a&b")], [(nasty, "a&b")], name="<b>net</b>")
    page = dag._repr_html_()
    assert "<script>" not in page and "<b>net</b>" not in page
    assert "&lt;b&gt;net&lt;/b&gt;" in page
    card = StructureCard.of(get_family("bayesnet"), dag)
    page = card._repr_html_()
    assert "<script>" not in page and IMAGE.search(page)


def test_structure_card():
    card = StructureCard.from_json(golden("show_bayesnet_asia.json"))
    assert short(card) == "<StructureCard 'bayesnet': 8 nodes, 8 edges>"
    page = card._repr_html_()
    assert "<td>parameters</td><td>18</td>" in page and IMAGE.search(page)


def test_fit_cards_mark_each_check():
    card = FitCard.from_json(golden("fit_bayesnet_asia_nuts.json"))
    assert short(card).startswith("<FitCard 'bayesnet': nuts, ")
    page = card._repr_html_()
    assert "<th>check</th>" in page and IMAGE.search(page)
    marks = re.findall(r"<td(?: class=\"fail\")?>([✓✗])</td></tr>", page)
    assert page.count('<td class="fail">✗</td>') == marks.count("✗") > 0  # drawn in red
    assert len(marks) == len(card.diagnostics.checks)
    assert marks == ["✓" if c.passed else "✗" for c in card.diagnostics.checks.values()]
    program = ProgramFitCard.from_json(golden("fit_program_eight_schools_nuts.json"))
    assert short(program).startswith("<ProgramFitCard ")
    page = program._repr_html_()
    assert "<th>site</th>" in page and "theta[0]" in page and IMAGE.search(page)


def test_compare_result_shows_the_report_table_and_the_frontier():
    r = golden("compare_quick.json")
    result = CompareResult(
        r["rows"], {}, r["learning_curves"], r["budget"], r["seed"], r["data"], None
    )
    want = f"<CompareResult: {len(r['rows'])} families, budget 'quick', seed {r['seed']}>"
    assert short(result) == want
    page = result._repr_html_()
    assert "<th>nats/item</th>" in page and 'src="data:image/png;base64,' in page
    for row in r["rows"]:
        assert f"<td>{row['family']}</td>" in page


def _contradicted_naive_bayes():
    """Columns where x1 depends on x0 beyond y, and the naive Bayes DAG that denies it."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    x0 = (y ^ (rng.random(400) < 0.1)).astype(int)
    x1 = (x0 ^ (rng.random(400) < 0.1)).astype(int)
    dag = DAG(["y", "x0", "x1"], [("y", "x0"), ("y", "x1")], name="nb")
    return {"y": y, "x0": x0, "x1": x1}, dag


def test_claims_report():
    columns, dag = _contradicted_naive_bayes()
    report = check_claims(columns, dag)
    assert report.contradicted
    counts = f"{report.claimed} claimed, {len(report.contradicted)} contradicted"
    assert short(report) == f"<ClaimsReport: {counts} (holm, alpha 0.05)>"
    page = report._repr_html_()
    assert "✗" in page and "<th>adjusted</th>" in page and "<td>x1</td>" in page


def test_zoo_check_result():
    from zoo.claims_data import check_data

    columns, dag = _contradicted_naive_bayes()
    report = check_data(columns, dag, source="toy")
    assert short(report) == f"<DataClaims 'nb' on toy: {report.statement_share:.1%} contradicted>"
    page = report._repr_html_()
    assert "nb on toy: ✗ claims contradicted" in page and "<th>p (Holm)</th>" in page
    assert "<td>x1 ⟂ x0 | y</td>" in page or "<td>x0 ⟂ x1 | y</td>" in page
    independent = np.random.default_rng(1).integers(0, 2, 400)
    fine = check_data({**columns, "x1": independent}, dag, source="toy")
    assert "✓ no claim contradicted" in fine._repr_html_()


def test_display_loads_no_jax_and_graphs_no_matplotlib_until_drawn():
    code = (
        "import sys, graphs\n"
        "d = graphs.naive_bayes(9, 2); repr(d)\n"
        "print('matplotlib' in sys.modules)\n"
        "d._repr_html_()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'numpyro', 'arviz'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False", "[]"]


def test_a_dataset_is_short_in_a_terminal_and_drawn_in_a_notebook():
    from zoo.data import digits_split

    train, _ = digits_split()
    assert short(train) == "<Dataset 'digits': 1,437 items x 64 variables, labels with 10 classes>"
    page = train._repr_html_()
    assert "<td>1,437</td>" in page and "<td>10 classes</td>" in page and IMAGE.search(page)
