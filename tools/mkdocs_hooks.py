"""MkDocs hook of the project documentation (``hooks:`` in the root ``mkdocs.yml``).

Not part of the package: it documents the package. ``docs/cli.md`` holds the marker
:data:`CLI_MARKER`, replaced at build time by :func:`cli_reference`, generated from the
Typer app, so the reference always lists the commands and options the installed version
has. ``docs/api.md`` holds :data:`API_MARKER`, replaced by a mkdocstrings block for
every module of :data:`API_MODULES` that can be imported.
"""

from __future__ import annotations

import html
import importlib
import inspect
from typing import Any

from coordgeo.report.collect import esc

# Typer ≥ 0.20 carries its own copy of click, so parameters and commands are recognised by
# their attributes (param_type_name, list_commands), not by isinstance on click classes.

CLI_MARKER = "<!-- coordgeo: cli reference -->"
API_MARKER = "<!-- coordgeo: api reference -->"

#: Modules of the Python API reference, in reading order (missing ones are skipped).
API_MODULES = (
    "coordgeo",
    "coordgeo.pipeline",
    "coordgeo.series",
    "coordgeo.model",
    "coordgeo.io.cif",
    "coordgeo.symmetry",
    "coordgeo.geometry",
    "coordgeo.coordination",
    "coordgeo.tables",
    "coordgeo.check",
    "coordgeo.published",
    "coordgeo.distortion",
    "coordgeo.shape",
    "coordgeo.descriptors",
    "coordgeo.polyhedra",
    "coordgeo.hbonds",
    "coordgeo.graph",
    "coordgeo.spin",
    "coordgeo.compare",
    "coordgeo.io.magdata",
    "coordgeo.magnetism",
    "coordgeo.magnetism.sd",
    "coordgeo.magnetism.sdfit",
    "coordgeo.magnetism.relax",
    "coordgeo.magnetism.transition",
    "coordgeo.magnetism.derivative",
    "coordgeo.io.magnetometer",
    "coordgeo.pxrd",
    "coordgeo.io.xy",
    "coordgeo.io.xyz",
    "coordgeo.io.sitables",
    "coordgeo.sitables",
    "coordgeo.bulk",
    "coordgeo.export",
    "coordgeo.interop",
    "coordgeo.extras",
    "coordgeo.options",
    "coordgeo.io.paths",
    "coordgeo.io.files",
    "coordgeo.report",
    "coordgeo.errors",
)


def _one_line(text: str | None) -> str:
    return esc(" ".join((text or "").split()))


def _code(text: str) -> str:
    """Inline code that may hold ``|`` and ``<…>`` inside a table cell."""
    return "<code>" + html.escape(text).replace("|", "&#124;") + "</code>"


def _argument_name(record: tuple[str, str] | None, param: Any) -> str:
    """``INPUT...`` from the help record ``'INPUT... <list[Path]>'``."""
    shown = (record[0] if record else str(param.name)).split(" <")[0]
    return shown if shown.isupper() or "." not in shown else shown.upper()


def command_markdown(name: str, command: Any, parent: Any) -> str:
    """One command: usage, its help text, and a table of its arguments and options as
    ``coordgeo NAME --help`` prints them (help records, defaults included)."""
    ctx = command.context_class(command, info_name=name, parent=parent)
    rows, arguments = [], []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if param.param_type_name == "argument":
            shown = _argument_name(record, param).upper()
            arguments.append(shown if param.required else f"[{shown}]")
            label, text = shown, record[1] if record else ""
        elif record is not None:
            label, text = record
        else:
            continue
        rows.append(f"| {_code(label)} | {_one_line(text)} |")
    usage = " ".join(["coordgeo", name, "[OPTIONS]", *arguments])
    out = [f"## `coordgeo {name}`\n", f"```text\n{usage}\n```\n"]
    help_text = inspect.cleandoc(command.help or "")
    if help_text:
        paragraphs = [" ".join(p.split()) for p in help_text.split("\n\n")]
        out.extend(esc(p) + "\n" for p in paragraphs)
    if rows:
        out.append("| argument / option | meaning |\n|---|---|")
        out.append("\n".join(rows) + "\n")
    return "\n".join(out)


def _first_paragraph(command: Any) -> str:
    return _one_line(inspect.cleandoc(command.help or "").split("\n\n")[0])


def cli_reference() -> str:
    """Markdown for every ``coordgeo`` command, in the order ``coordgeo --help`` lists them."""
    import typer.main

    from coordgeo.cli import app  # importing the package registers every command

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="coordgeo")
    names = group.list_commands(ctx)
    listing = "\n".join(
        f"- [`coordgeo {n}`](#coordgeo-{n}): {_first_paragraph(group.get_command(ctx, n))}"
        for n in names
    )
    parts = [listing + "\n"]
    for name in names:
        command = group.get_command(ctx, name)
        if command is not None:
            parts.append(command_markdown(name, command, ctx))
    return "\n".join(parts)


def api_reference() -> str:
    """A mkdocstrings block (``::: module``) for every importable module of the API."""
    blocks = []
    for name in API_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        blocks.append(f"::: {name}\n")
    return "\n".join(blocks)


def on_page_markdown(markdown: str, **kwargs) -> str:
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, api_reference())
    return markdown
