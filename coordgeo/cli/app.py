"""The Typer application and what every command shares: input loading, output, errors.

Commands live in sibling modules (``core.py``, ``distortion.py``, …), each a
thin layer over the Python API: parse options, call one or two API
functions, print the DataFrame they return.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from coordgeo.errors import InputError
from coordgeo.tables import render

if TYPE_CHECKING:
    import click


class _Group(typer.core.TyperGroup):
    """Ends any command that raises InputError with one line and status 2, however the
    app is invoked (``coordgeo``, ``python -m coordgeo``, a test's CliRunner)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            error(str(exc))
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    name="coordgeo",
    help="Coordination geometry, distortion, hydrogen bonds and spin-crossover analysis from CIFs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
BlockOption = Annotated[
    str | None, typer.Option("--block", "-b", help="Only this data block of a multi-block CIF.")
]
CifArgument = Annotated[list[Path], typer.Argument(help="CIF file(s).", show_default=False)]


def error(message: str) -> None:
    """Print a one-line message to stderr (no traceback)."""
    typer.echo(f"coordgeo: error: {message}", err=True)


def warn(message: str) -> None:
    typer.echo(f"coordgeo: warning: {message}", err=True)


def emit(df: pd.DataFrame | str, fmt: Format | str = Format.table) -> None:
    """Write a table (or ready text) to stdout."""
    fmt = fmt.value if isinstance(fmt, Format) else fmt
    text = df if isinstance(df, str) else render(df, fmt)
    sys.stdout.write(text)


class Failures:
    """Collects per-file/per-block input errors so a command can go on with the rest.

    Each failure is printed at once as one line on stderr; the command exits
    with status 2 at the end when any occurred.
    """

    def __init__(self) -> None:
        self.count = 0

    def add(self, exc: InputError) -> None:
        self.count += 1
        error(str(exc))

    def exit_if_any(self) -> None:
        if self.count:
            raise typer.Exit(2)


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for every ``*.cif`` below it (sorted)."""
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.rglob("*.cif")) if path.is_dir() else [path])
    return out


def load(paths: Iterable[Path], block: str | None, failures: Failures):
    """Read every structure of every file; bad files/blocks are reported, not fatal."""
    from coordgeo.io.cif import read_cif_blocks

    structures = []
    for path in expand(paths):
        try:
            results = read_cif_blocks(path)
        except InputError as exc:
            failures.add(exc)
            continue
        for item in results:
            if isinstance(item, InputError):
                if block is None or item.block == block:
                    failures.add(item)
            elif block is None or item.block == block:
                structures.append(item)
        if block is not None and not any(
            getattr(s, "block", None) == block and s.path == str(path) for s in structures
        ):
            names = [getattr(r, "block", "?") for r in results]
            failures.add(
                InputError(f"no data block {block!r} (blocks: {', '.join(names)})", path=str(path))
            )
    return structures
