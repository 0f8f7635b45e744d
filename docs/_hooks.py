"""MkDocs hooks: the numbers, tables and the CLI reference on the site are rendered from the
repository's code and saved results at build time, so a page cannot disagree with them.

A page asks for generated content with an HTML comment on a line of its own. This module
finds the markers; each module of ``docs/_render/`` renders its own (its ``RENDER``):

``fitted``: ``<!-- fitted: ROW -->`` and ``<!-- fitted-card: PATH -->``
    one row of ``docs/figures/compare/results.json`` (and its seconds, ``timings.json``);
    the fit card ``zoo fit ... --out DIR`` saved as ``DIR/card.json``;
``fitted``: ``<!-- compare-table -->`` and ``<!-- learning-table -->``
    every row of ``results.json`` side by side, and every learning curve;
``structure``: ``<!-- structure: FAMILY [key=value ...] -->`` (or ``structure: card=PATH``)
    the parameter count and independence statements of ``zoo show`` (``zoo.structure_card``);
``structure``: ``<!-- counts -->`` and ``<!-- order-table -->``
    parameter counts of every family, and of raster chains of growing order, on 64 pixels;
``structure``: ``<!-- dsep: FAMILY [key=value ...]; X Y | Z; ... -->`` (or ``card=PATH``)
    d-separation queries answered by ``graphs.is_d_separated``;
``analyses``: ``<!-- csv: PATH -->``
    a small CSV file as a table;
``analyses``: ``<!-- diagnostics-table -->`` and ``<!-- ng-jordan -->``
    the checks of ``zoo.diagnostics`` with their thresholds and advice; the Ng-Jordan summary;
``reference``: ``<!-- cli-reference -->``
    every ``zoo`` command and option, walked from the parser of ``zoo.cli``;
``reference``: ``<!-- api-names: PACKAGE -->``
    the names in ``PACKAGE.__all__`` with the module that documents each;
``sweep``: ``<!-- sweep-table: PATH -->``, ``<!-- sweep-paired: PATH [neighbours] -->``
    a saved ``zoo compare --splits`` run's intervals and paired differences;
``sweep``: ``<!-- bench-dask: FILE -->``
    the Dask speed-up benchmark and its projection onto more workers;
``benchmarks``: ``<!-- bench-KIND: FILE -->``
    a table of ``benchmarks/results/*.json`` (KIND: env, nuts, nuts-ratios, svi, svi-ratios,
    scaling, overhead, vae-torch; ``bench-nuts: FILE SCALE`` keeps one scale).

Formulas (``$...$``, ``$$...$$``) become MathML at build time (``_render/maths.py``).

PATH is relative to ``docs/``, FILE to the repository root. An unknown marker or a missing
file stops the build.
"""

from __future__ import annotations

import re
from pathlib import Path

# MkDocs puts this file's folder on sys.path while it imports it, so the sibling package
# docs/_render imports here, at the top (and only here).
from _render import analyses, benchmarks, fitted, maths, reference, structure, sweep
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

MARKER = re.compile(r"^<!-- ([a-z-]+)(?::\s*(.*?))? -->$", re.MULTILINE)
RENDER = {
    **fitted.RENDER,
    **structure.RENDER,
    **analyses.RENDER,
    **reference.RENDER,
    **benchmarks.RENDER,
    **sweep.RENDER,
}


def _replace(match: re.Match) -> str:
    kind, args = match.group(1), match.group(2)
    if kind not in RENDER:
        raise PluginError(f"docs hook: unknown marker {match.group(0)!r}")
    try:
        return RENDER[kind](args) if args is not None else RENDER[kind]()
    except PluginError:
        raise
    except Exception as err:  # name the marker, not just the traceback
        raise PluginError(f"docs hook: {match.group(0)} failed: {err!r}") from err


def on_page_markdown(markdown: str, **_) -> str:
    return MARKER.sub(_replace, markdown)


def on_page_content(html: str, page, **_) -> str:
    uri = page.file.src_uri
    return maths.render_notebook(html, uri) if uri.endswith(".ipynb") else maths.render(html, uri)


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config, **_) -> Files:
    """The notebooks of ``examples/notebooks/`` become pages under ``notebooks/``."""
    for path in sorted((EXAMPLES / "notebooks").glob("*.ipynb")):
        uri = f"notebooks/{path.name}"
        files.append(File(uri, str(EXAMPLES), config["site_dir"], config["use_directory_urls"]))
    return files
