"""``zoo compare``: the quick budget end to end once (module fixture), then its table,
results.json, report files and figures; determinism on cheap families; bad input."""

from __future__ import annotations

import contextlib
import io
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from zoo import figures, report
from zoo.cli import main
from zoo.compare import FAMILY_ROWS, ROW_KEYS, SAMPLES, compare
from zoo.data import digits_split
from zoo.models import Trained


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One ``zoo compare --budget quick`` run: its stdout, stderr, folder, and the result
    and figures it built (recorded by wrapping ``zoo.figures.compare_figures``)."""
    out = tmp_path_factory.mktemp("compare") / "report"
    seen = {}
    real = figures.compare_figures

    def recording(result):
        seen["result"], seen["figures"] = result, real(result)
        return seen["figures"]

    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figures, "compare_figures", recording)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["compare", "--budget", "quick", "--seed", "0", "--out", str(out)])
    assert code == 0, stderr.getvalue()
    return {"stdout": stdout.getvalue(), "stderr": stderr.getvalue(), "out": out, **seen}


def test_every_family_has_a_row_with_every_key(run):
    results = json.loads((run["out"] / "results.json").read_text())
    rows = results["rows"]
    assert [r["family"] for r in rows] == list(FAMILY_ROWS)
    for row in rows:
        assert set(ROW_KEYS) <= set(row), row["family"]
        assert row["params"] > 0 and row["nats_per_item"] > 0
        assert row["method_reason"]
    by = {r["family"]: r for r in rows}
    assert by["independent"]["method"] == "exact"
    assert by["independent"]["method_reason"].startswith("quick budget")
    assert by["autoregressive-neural"]["method"] == "svi"
    assert by["naive-bayes"]["dsep_given"] == 1.0  # pixels independent given the label
    # structure beats static: the neural family scores far better than full independence
    assert by["autoregressive-neural"]["nats_per_item"] < by["independent"]["nats_per_item"] - 3
    # per-family progress on the terminal
    for name in FAMILY_ROWS:
        assert f"{name}: fitting" in run["stderr"]


def _table_rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    head = lines[0].split("  ")
    assert head[0].startswith("family")
    rows = {}
    for line in lines[2:]:
        if not line.strip():
            break
        cells: list[str] = []
        for token in line.split():  # a failed check's mark follows its value after a space
            if token == report.FAIL.strip():
                cells[-1] += report.FAIL
            else:
                cells.append(token)
        rows[cells[0]] = cells
    return rows


def test_printed_table_numbers_equal_results_json(run):
    results = json.loads((run["out"] / "results.json").read_text())
    timings = json.loads((run["out"] / "timings.json").read_text())
    table = _table_rows(run["stdout"])
    assert set(table) == set(FAMILY_ROWS)
    keys = [k for _, k in report.COLUMNS]
    for row in results["rows"]:
        cells = table[row["family"]]
        if row["guide"]:  # "svi (map)" is one cell
            cells = cells[:6] + [" ".join(cells[6:8])] + cells[8:]
        shown = dict(zip(keys, cells, strict=True))
        marked = {k for k, v in shown.items() if v.endswith(report.FAIL)}
        shown = {k: v.removesuffix(report.FAIL) for k, v in shown.items()}
        failed = set(row["diagnostics_failed"])
        assert bool(marked) == bool(failed) == (not row["diagnostics_pass"]), row["family"]
        assert ("khat" in failed or "ebfmi" in failed) == ("ebfmi_or_khat" in marked)
        assert ("rhat" in failed) == ("rhat_max" in marked)
        for key in ("params", "local_markov", "ess_bulk_min", "ess_tail_min", "divergences"):
            assert shown[key] == ("-" if row[key] is None else str(row[key])), key
        for key in ("log10_ratio", "dsep_marginal", "dsep_given", "rhat_max", "nats_per_item"):
            want = row[key]
            assert (None if shown[key] == "-" else float(shown[key])) == want, key
        assert float(shown["bits_per_dim"]) == row["bits_per_dim"]
        other = row["ebfmi_min"] if row["method"] == "nuts" else row["khat"]
        assert shown["ebfmi_or_khat"] == ("-" if other is None else f"{other:.2f}")
        assert shown["method"].split()[0] == row["method"]
        assert float(shown["seconds"]) == round(timings[row["family"]]["total"], 1)
    assert "why each method:" in run["stdout"]
    assert (report.FAIL_LEGEND in run["stdout"]) == any(
        r["diagnostics_failed"] for r in results["rows"]
    )


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("href", "src")]


def test_html_parses_and_links_only_existing_files(run):
    parser = _Links()
    parser.feed((run["out"] / "index.html").read_text(encoding="utf-8"))
    parser.close()
    assert "table" in parser.tags and "img" in parser.tags
    assert parser.links
    for link in parser.links:
        assert "://" not in link and not link.startswith("/"), link
        assert (run["out"] / link).is_file(), link
    for name in ("frontier.png", "learning.png", "samples.png", "results.json"):
        assert name in parser.links
    written = {p.name for p in run["out"].glob("*.png")}
    assert written <= set(parser.links), written - set(parser.links)  # no figure left unshown
    page = (run["out"] / "index.html").read_text(encoding="utf-8")
    marks = sum(line.count(report.FAIL) for line in run["stdout"].splitlines()[2:])
    assert page.count('<td class="fail">') == marks > 0  # the quick budget fails some checks


def test_every_figure_exists(run):
    out = run["out"]
    for name, fitted in run["result"].fits.items():
        assert (out / f"dag-{name}.png").stat().st_size > 0
        assert (out / f"independence-{name}.png").stat().st_size > 0
        trained = isinstance(fitted.model, Trained)
        kind = "elbo" if fitted.method == "svi" else "objective" if trained else "rank"
        assert (out / f"{kind}-{name}.png").is_file(), name
    for name in ("samples.png", "frontier.png", "learning.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_sample_grid_has_the_requested_images(run):
    fig = run["figures"]["samples.png"]
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == SAMPLES * len(FAMILY_ROWS)
    for name in FAMILY_ROWS:
        assert sum(im.get_gid() == f"samples:{name}" for im in images) == SAMPLES


def test_frontier_has_one_point_per_family(run):
    fig = run["figures"]["frontier.png"]
    (points,) = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "frontier"]
    assert len(points.get_offsets()) == len(FAMILY_ROWS)


def test_frontier_labels_overlap_no_label_and_no_point():
    from zoo.figures import frontier_figure

    path = Path(__file__).resolve().parents[1] / "docs" / "figures" / "compare" / "results.json"
    saved = json.loads(path.read_text())
    fig = frontier_figure(saved["rows"])
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == len(saved["rows"])
    points = ax.transData.transform(ax.collections[0].get_offsets())
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[i + 1 :]), ax.texts[i].get_text()
        assert not any(box.contains(px, py) for px, py in points)


def test_learning_curves_cover_every_family(run):
    curves = json.loads((run["out"] / "results.json").read_text())["learning_curves"]
    fig = run["figures"]["learning.png"]
    gids = {line.get_gid() for ax in fig.axes for line in ax.get_lines()}
    for name in FAMILY_ROWS:
        sizes = [p["train_items"] for p in curves[name]]
        if not sizes and isinstance(run["result"].fits[name].model, Trained):
            continue  # a trained row's curve is refits, which the quick budget skips
        assert len(sizes) >= 3 and sizes == sorted(sizes), name
        assert f"curve:{name}" in gids
    assert {p["method"] for p in curves["autoregressive-neural"][:-1]} == {"map"}
    # little data costs the flexible mixture more than naive Bayes' assumptions; more data
    # helps the neural autoregressive model far more than full independence, and it wins
    small = {n: curves[n][0]["nats_per_item"] for n in curves if curves[n]}
    full = {n: curves[n][-1]["nats_per_item"] for n in curves if curves[n]}
    assert small["naive-bayes"] < small["latent-class"]
    gain = {n: small[n] - full[n] for n in small}
    assert gain["autoregressive-neural"] > gain["independent"] + 2
    assert full["autoregressive-neural"] == min(full.values())


def test_same_seed_same_results_json():
    train, test = digits_split()
    families = ["independent", "naive-bayes"]
    first = compare(train, test, families, budget="quick", seed=0)
    again = compare(train, test, families, budget="quick", seed=0)
    assert report.results_json(first) == report.results_json(again)
    other = compare(train, test, families, budget="quick", seed=1)
    assert report.results_json(other) != report.results_json(first)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--families", "independent", "markov-chian"], "unknown family 'markov-chian'"),
        (["--budget", "huge"], "huge"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["compare", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert not out.exists()


def test_unwritable_out_is_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["compare", "--budget", "quick", "--out", str(blocker / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a folder" in err
    assert Path(blocker).read_text() == "x"


def _needs_chromium():
    from browser import chromium

    if chromium() is None:  # CI installs it (make test): there the test always runs
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: make test installs it")
        pytest.skip("no Chromium here; make test installs it")


def test_report_in_a_browser_loads_every_image(run):
    from browser import open_page

    _needs_chromium()
    broken, count, shot = open_page(run["out"] / "index.html", "compare-index.png")
    assert count >= 3 * len(FAMILY_ROWS) and broken == []
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 50_000


def test_the_browser_check_sees_a_broken_image(tmp_path):
    from browser import open_page

    _needs_chromium()
    (tmp_path / "page.html").write_text('<img src="missing.png"><img src="data:,">')
    broken, count, _ = open_page(tmp_path / "page.html", "broken-control.png")
    assert count == 2 and broken == ["missing.png", "data:,"]
