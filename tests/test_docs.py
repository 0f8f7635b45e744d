"""The documentation site: it builds strictly (a warning, a broken link or anchor fails it),
every public name is documented and on an API page, the CLI reference covers the parser, the
family pages show the saved results, and the docs' Python examples run.

One build (a few seconds) serves every test that reads the built pages.
"""

from __future__ import annotations

import argparse
import dataclasses
import doctest
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _api_modules() -> list[str]:
    """The modules the API pages render, from their ``::: module`` lines."""
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((DOCS / "reference").glob("*.md"))
    )
    return re.findall(r"^::: ([\w.]+)$", text, re.MULTILINE)


def _public_names(module) -> list[str]:
    """``__all__``, or else the functions and classes the module defines without a ``_``."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(v) or inspect.isclass(v))
        and v.__module__ == module.__name__
    ]


def _undocumented(obj, name: str) -> list[str]:
    """``name`` and its public methods and properties that have no docstring."""
    doc = obj.__doc__ or ""
    auto = dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}(")
    missing = [name] if not doc.strip() or auto else []
    if inspect.isclass(obj):
        fields = {f.name for f in dataclasses.fields(obj)} if dataclasses.is_dataclass(obj) else ()
        for attr, member in vars(obj).items():
            if attr.startswith("_") or attr in fields:
                continue
            member = member.fget if isinstance(member, property) else member
            member = getattr(member, "__func__", member)  # static and class methods
            if inspect.isfunction(member) and not (member.__doc__ or "").strip():
                missing.append(f"{name}.{attr}")
    return missing


def test_api_pages_cover_both_packages():
    modules = _api_modules()
    assert {"graphs.dag", "zoo", "zoo.fit", "zoo.inspection", "zoo.analyses"} <= set(modules)


def test_every_public_name_has_a_docstring():
    missing = []
    for module_name in ["graphs", "zoo", *_api_modules()]:
        module = importlib.import_module(module_name)
        assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
        for name in _public_names(module):
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                missing += _undocumented(obj, f"{module_name}.{name}")
    assert not missing, f"public names without a docstring: {missing}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    return out


def _page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_site_builds_strictly(site):
    assert (site / "index.html").is_file()
    assert (site / "figures" / "compare" / "samples.png").is_file()


def test_every_public_name_is_on_an_api_page(site):
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "reference").glob("*.html"))
    ids = set(re.findall(r'id="([\w.]+)"', pages))
    missing = []
    for module_name in _api_modules():
        if module_name in ("graphs", "zoo"):
            continue  # a package's curated names are checked in its table below
        module = importlib.import_module(module_name)
        missing += [
            f"{module_name}.{n}" for n in _public_names(module) if f"{module_name}.{n}" not in ids
        ]
    for package in ("graphs", "zoo"):  # the curated names, listed with a link to their entry
        table = _page(site, f"reference/{package}.html")
        missing += [
            f"{package}.{n}"
            for n in importlib.import_module(package).__all__
            if f"<code>{n}</code>" not in table
        ]
    assert not missing, f"public names missing from the API pages: {missing}"


def test_cli_reference_covers_the_parser(site):
    from zoo.cli import _parser

    page = _page(site, "reference/cli.html")
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sub.choices, "the zoo parser has no commands"
    for name, child in sub.choices.items():
        assert f'id="zoo-{name}"' in page, f"no section for zoo {name}"
        for action in child._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in page, f"zoo {name} {option} is not on the CLI page"


def test_family_pages_show_the_saved_results(site):
    results = json.loads((DOCS / "figures" / "compare" / "results.json").read_text())
    for row in results["rows"]:
        page = "autoregressive" if row["family"].startswith("autoregressive") else row["family"]
        html = _page(site, f"families/{page}.html")
        assert f"{row['nats_per_item']:.3f}" in html, f"{row['family']}: nats not on its page"
        assert f"{row['bits_per_dim']:.4f}" in html
    card = json.loads((DOCS / "figures" / "bayesnet" / "card.json").read_text())
    assert f"{card['heldout']['nats_per_item']:.3f}" in _page(site, "families/bayesnet.html")


def test_every_figure_says_how_it_was_made():
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"!\[[^\]]*\]\(([^)]+)\)", text):
            after = text[match.end() : match.end() + 400]
            assert re.search(r"made by|reproduce|\.venv/bin/", after, re.IGNORECASE) or (
                "benchmarks" in page.name or page.name in ("analyses.md", "calibration.md")
            ), f"{page.relative_to(ROOT)}: {match.group(1)} has no command next to it"


@pytest.mark.parametrize(
    "page",
    sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if ">>> " in p.read_text()),
)
def test_docs_examples_run(page):
    result = doctest.testfile(str(DOCS / page), module_relative=False, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page}"


def _without_quotes(html: str) -> str:
    """``html`` less its admonitions: the quoted docstrings keep their own code blocks."""
    while (start := html.find('<div class="admonition')) != -1:
        depth, pos = 0, start
        for tag in re.finditer(r"<(/?)div\b", html[start:]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                pos = html.find(">", start + tag.end()) + 1
                break
        else:
            raise AssertionError("an admonition's <div> is never closed")
        html = html[:start] + html[pos:]
    return html


def test_factorisations_render_as_maths(site):
    pages = sorted(
        p.relative_to(DOCS).with_suffix(".html").as_posix()
        for folder in ("families", "concepts")
        for p in (DOCS / folder).glob("*.md")
        if re.search(r"^## Factorisation$", p.read_text(encoding="utf-8"), re.MULTILINE)
    )
    assert len(pages) >= 13, pages  # every family page but the overview has one
    for name in pages:
        html = _page(site, name)
        section = re.search(r'<h2 id="factorisation".*?(?=<h2 |\Z)', html, re.DOTALL)
        assert section, f"{name}: no Factorisation section in the HTML"
        body = _without_quotes(section.group(0))
        assert re.search(r'<math [^>]*display="block"', body), f"{name}: no display formula"
        assert "<pre" not in body, f"{name}: a code block under Factorisation"


def test_no_page_keeps_unrendered_maths(site):
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        for raw in ("$$", "\\(", "\\[", 'class="arithmatex"'):
            assert raw not in html, f"{page.relative_to(site)}: {raw} left unrendered"


def test_maths_renderer_refuses_what_it_cannot_draw():
    pytest.importorskip("latex2mathml")
    from mkdocs.exceptions import PluginError

    spec = importlib.util.spec_from_file_location("docs_maths", DOCS / "_render" / "maths.py")
    maths = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maths)
    ok = maths.render(r'<div class="arithmatex">\[\begin{align*} a &amp;= b \end{align*}\]</div>')
    assert ok.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert "<mtable" in ok
    # a command latex2mathml lacks, an environment it lacks, a typo: it passes them as text
    for tex in (r"\big\lvert x \big\rvert", r"\begin{aligned} a &amp;= b \end{aligned}", r"\foo"):
        with pytest.raises(PluginError, match="maths on p.md"):
            maths.render(f'<span class="arithmatex">\\({tex}\\)</span>', "p.md")


def test_notebooks_are_pages_with_their_outputs_and_maths(site):
    for name in (
        "01-explosion-and-structures",
        "02-fit-diagnose-compare",
        "03-your-own-program",
    ):
        html = _page(site, f"notebooks/{name}.html")
        assert html.count("data:image/png;base64,") >= 2, name  # saved outputs shown
        assert "mathjax" not in html.lower(), name  # maths as MathML, no script
    assert "<math" in _page(site, "notebooks/01-explosion-and-structures.html")
