"""Maths on the site as MathML, rendered at build time: arithmatex (generic mode) wraps each
``$...$`` and ``$$...$$`` of a page, and :func:`render` turns them into ``<math>`` elements
with latex2mathml. Browsers draw MathML natively, so the pages need no script, no font
download and no network, and a formula that does not parse stops the strict build.

latex2mathml writes what it does not know out as text instead of failing: a command it
lacks, or the ``&`` of an environment it lacks (``aligned``; ``align*`` works and draws a
table). :func:`render` stops the build on those too."""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

# arithmatex's generic output: \( \) inline in a span, \[ \] on its own in a div
_WRAPPED = re.compile(r'<(span|div) class="arithmatex">\s*\\([(\[])(.*?)\\[)\]]\s*</\1>', re.DOTALL)
# latex2mathml passes what it does not know through as text, with no error: a command
# (<mi>\lvert</mi>), or the & of an environment it lacks (aligned; align* works)
_UNKNOWN = re.compile(r">(\\[A-Za-z]+|&)<")


def render(page_html: str, page: str = "") -> str:
    """``page_html`` with every arithmatex formula replaced by MathML."""

    def one(match: re.Match) -> str:
        tex = html.unescape(match.group(3))
        display = "block" if match.group(2) == "[" else "inline"
        try:
            mathml = convert(tex.strip(), display=display)
        except Exception as err:
            raise PluginError(
                f"maths on {page or 'a page'}: {tex!r} does not parse: {err}"
            ) from err
        unknown = _UNKNOWN.search(mathml)
        if unknown:
            raise PluginError(
                f"maths on {page or 'a page'}: {tex!r} uses {unknown.group(1)!r}, "
                "which latex2mathml does not render"
            )
        return mathml

    return _WRAPPED.sub(one, page_html)
