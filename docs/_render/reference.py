"""The reference pages: every ``zoo`` command and option, walked from the parser of
``zoo.cli``, and the names of a package's ``__all__`` with the module that documents each."""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from functools import cache

from .common import DOCS, md, table
from .markdown_docstrings import ROLE


def _option_line(action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(action.option_strings)
        if action.nargs != 0:
            metavar = action.metavar or (
                "{" + ",".join(map(str, action.choices)) + "}"
                if action.choices
                else action.dest.upper()
            )
            name += f" {metavar}" + (" ..." if action.nargs in ("+", "*") else "")
    else:
        name = action.metavar or action.dest
    line = f"- `{name}`" + (f": {md(action.help)}" if action.help else "")
    if action.choices and action.option_strings and action.metavar:
        line += f" (one of {', '.join(f'`{c}`' for c in action.choices)})"
    return line


def _command(parser: argparse.ArgumentParser, level: str) -> list[str]:
    out = [f"{level} `{parser.prog}`", ""]
    if parser.description:
        if isinstance(parser.formatter_class, type) and issubclass(
            parser.formatter_class, argparse.RawDescriptionHelpFormatter
        ):
            out += ["```text", parser.description, "```", ""]
        else:
            out += [md(parser.description), ""]
    out += ["```text", parser.format_usage().strip(), "```", ""]
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if a.help != argparse.SUPPRESS
            and not isinstance(a, argparse._SubParsersAction)
            and not isinstance(a, argparse._HelpAction)
        ]
        if actions:
            out += [f"**{md(group.title)}**", ""]
            out += [_option_line(a) for a in actions] + [""]
    return out


def cli_reference() -> str:
    from zoo.cli import _parser

    parser = _parser()
    out = _command(parser, "##")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    out += ["| command | what it does |", "|---|---|"]
    out += [f"| [`zoo {name}`](#zoo-{name}) | {md(helps.get(name, ''))} |" for name in sub.choices]
    out.append("")
    for child in sub.choices.values():
        out += _command(child, "##")
    return "\n".join(out)


def _home(package: str, name: str, obj) -> str:
    """The dotted path under which the API pages document ``package.name``."""
    if inspect.isfunction(obj) or inspect.isclass(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    # a constant: the documented module that holds it (only those already loaded, so that
    # building the docs never imports JAX)
    for module_name in _documented():
        module = sys.modules.get(module_name)
        if (
            module is not None
            and module_name.startswith(f"{package}.")
            and (vars(module).get(name) is obj)
        ):
            return f"{module_name}.{name}"
    return f"{package}.{name}"


@cache
def _documented() -> list[str]:
    """The modules the API pages render (their ``::: module`` lines)."""
    return re.findall(
        r"^::: ([\w.]+)$",
        "\n".join(
            page.read_text(encoding="utf-8") for page in sorted((DOCS / "reference").glob("*.md"))
        ),
        re.MULTILINE,
    )


def api_names(package: str) -> str:
    module = importlib.import_module(package)
    rows = []
    for name in module.__all__:
        obj = getattr(module, name)
        home = _home(package, name, obj)
        doc = (inspect.getdoc(obj) or "") if callable(obj) else ""
        summary = ROLE.sub(r"``\1``", doc.split("\n\n")[0].replace("\n", " "))
        # an autorefs link: the build fails if the API pages do not document the name
        rows.append([f"[`{name}`][{home}]", f"`{home}`", summary.replace("|", "\\|")])
    return table(["name", "documented as", "summary"], rows)


RENDER = {
    "cli-reference": cli_reference,
    "api-names": api_names,
}
