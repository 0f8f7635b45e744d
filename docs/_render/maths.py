"""Maths on the site as MathML, rendered at build time: arithmatex (generic mode) wraps each
``$...$`` and ``$$...$$`` of a page, and :func:`render` turns them into ``<math>`` elements
with latex2mathml; :func:`render_notebook` does the same in a notebook's markdown cells
(mkdocs-jupyter leaves their ``$`` for a script). Browsers draw MathML natively, so the
pages need no script, no font download and no network, and a formula that does not parse
stops the strict build.

latex2mathml writes what it does not know out as text instead of failing: a command it
lacks, or the ``&`` of an environment it lacks (``aligned``; ``align*`` works and draws a
table). The build stops on those too."""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

# arithmatex's generic output: \( \) inline in a span, \[ \] on its own in a div
_WRAPPED = re.compile(r'<(span|div) class="arithmatex">\s*\\([(\[])(.*?)\\[)\]]\s*</\1>', re.DOTALL)
# a notebook's rendered markdown cell holds no nested div; in it, $$...$$ or $...$
_CELL = re.compile(r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.DOTALL)
_DOLLARS = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.DOTALL)
# what latex2mathml passed through as text: a command (<mi>\lvert</mi>) or an environment's &
_UNKNOWN = re.compile(r">(\\[A-Za-z]+|&)<")


def _mathml(tex: str, display: str, page: str) -> str:
    where = page or "a page"
    try:
        mathml = convert(html.unescape(tex).strip(), display=display)
    except Exception as err:
        raise PluginError(f"maths on {where}: {tex!r} does not parse: {err}") from err
    unknown = _UNKNOWN.search(mathml)
    if unknown:
        raise PluginError(
            f"maths on {where}: {tex!r} uses {unknown.group(1)!r}, which latex2mathml "
            "does not render"
        )
    return mathml


def render(page_html: str, page: str = "") -> str:
    """``page_html`` with every arithmatex formula replaced by MathML."""

    def one(match: re.Match) -> str:
        return _mathml(match.group(3), "block" if match.group(2) == "[" else "inline", page)

    return _WRAPPED.sub(one, page_html)


# mkdocs-jupyter's MathJax loader (with an empty src): nothing is left for it to typeset
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)


def render_notebook(page_html: str, page: str = "") -> str:
    """``page_html`` of a notebook with the ``$`` formulas of its markdown cells as MathML,
    and without the MathJax loader that would otherwise look for them."""

    def formula(match: re.Match) -> str:
        if match.group(1) is not None:
            return _mathml(match.group(1), "block", page)
        return _mathml(match.group(2), "inline", page)

    def cell(match: re.Match) -> str:
        return match.group(1) + _DOLLARS.sub(formula, match.group(2)) + match.group(3)

    return _CELL.sub(cell, _MATHJAX.sub("", page_html))
