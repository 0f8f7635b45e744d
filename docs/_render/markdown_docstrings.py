"""Docstrings made into Markdown for the API pages: a griffe extension (``mkdocs.yml`` lists
it under mkdocstrings) and the Sphinx-role pattern the API name table shares.

griffe loads this file by its path, alone, so it imports nothing from its siblings.
"""

from __future__ import annotations

import re

# Sphinx roles in docstrings (:func:`x`): the name as code, without the role.
ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|exc|obj):`~?([^`]+)`")


def markdown_docstring(text: str) -> str:
    """A docstring in the code's own style made into Markdown: doctest examples fenced as
    ``pycon`` (else ``d["key"]`` reads as a link), Sphinx roles as plain code."""
    out, block, indent, fenced = [], [], 0, False

    def close() -> None:
        pad = " " * indent
        out.extend(["", pad + "```pycon", *(pad + b for b in block), pad + "```", ""])
        block.clear()

    lines = text.splitlines()
    examples = False  # inside a numpy "Examples" section, whose parser fences doctests itself
    for i, line in enumerate(lines):
        underlined = i + 1 < len(lines) and re.fullmatch(r"\s*-{3,}\s*", lines[i + 1])
        if underlined and line.strip():
            examples = line.strip() == "Examples"
        if line.lstrip().startswith("```"):
            fenced = not fenced  # already fenced: leave it alone
        prompt = not (fenced or examples) and line.lstrip().startswith(">>>")
        if prompt and not block:
            indent = len(line) - len(line.lstrip())
        if prompt or (block and line.strip()):
            block.append(line[indent:])
            continue
        if block:
            close()
        out.append(line if fenced else ROLE.sub(r"``\1``", line))
    if block:
        close()
    return "\n".join(out)


try:
    import griffe

    class DocstringsAsMarkdown(griffe.Extension):
        """Rewrite every docstring with :func:`markdown_docstring` once griffe has read it."""

        def on_object(self, *, obj, **_) -> None:
            if not obj.is_alias and obj.docstring is not None:
                obj.docstring.value = markdown_docstring(obj.docstring.value)

except ImportError:  # griffe comes with mkdocstrings; without it there is no API page to render
    pass
