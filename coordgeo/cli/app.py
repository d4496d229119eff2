"""The Typer application and what every command shares: input loading, output, errors.

Commands live in sibling modules (``core.py``, ``distortion.py``, …), each a
thin layer over the Python API: parse options, call one or two API
functions, print the DataFrame they return.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo.errors import InputError

if TYPE_CHECKING:  # pandas and the tables load with the first command that prints one
    import click
    import pandas as pd

    from coordgeo.tables import ViewSpec


def _flags_without_metavar(params: list) -> list:
    """Typer ≥ 0.2x shows every option's type, so each flag reads ``--quiet <bool>``;
    an empty metavar keeps the type column of flags (and ``--help``) empty."""
    for param in params:
        if (getattr(param, "is_flag", False) or getattr(param, "count", False)) and (
            param.metavar is None
        ):
            param.metavar = ""
    return params


class _Command(typer.core.TyperCommand):
    """Every command's class (see :class:`_Typer`): clean metavars in ``--help``."""

    def get_params(self, ctx: click.Context) -> list:
        return _flags_without_metavar(super().get_params(ctx))


class _Group(typer.core.TyperGroup):
    """Ends any command that raises InputError with one line and status 2, however the
    app is invoked (``coordgeo``, ``python -m coordgeo``, a test's CliRunner)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            error(str(exc))
            raise typer.Exit(2) from None

    def get_params(self, ctx: click.Context) -> list:
        return _flags_without_metavar(super().get_params(ctx))


class _Typer(typer.Typer):
    """``@app.command()`` makes a :class:`_Command` unless told otherwise."""

    def command(self, *args, cls: type[typer.core.TyperCommand] | None = None, **kwargs):
        return super().command(*args, cls=cls or _Command, **kwargs)


app = _Typer(
    cls=_Group,
    name="coordgeo",
    help="Coordination geometry, distortion, hydrogen bonds and spin-crossover analysis from CIFs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("coordgeo")
        except PackageNotFoundError:  # run from a source tree that was never installed
            from coordgeo import __version__ as number
        typer.echo(f"coordgeo {number}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    # Options of ``coordgeo`` itself, before the command (the help text is the app's).
    pass


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    docx = "docx"  # a Word file: needs --out (coordgeo.tables.to_docx)
    latex = "latex"  # a LaTeX document (coordgeo.tables.to_latex)


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Output format (docx: a Word file, give --out; latex: a document pdflatex compiles).",
        case_sensitive=False,
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Write the output to FILE instead of stdout (needed for --format docx).",
        show_default=False,
    ),
]
BlockOption = Annotated[
    str | None, typer.Option("--block", "-b", help="Only this data block of a multi-block CIF.")
]
CifArgument = Annotated[
    list[Path],
    typer.Argument(
        help="CIF files, or folders (every *.cif below them).",
        metavar="CIF",
        show_default=False,
    ),
]


def error(message: str) -> None:
    """Print a one-line message to stderr (no traceback)."""
    typer.echo(f"coordgeo: error: {message}", err=True)


def warn(message: str) -> None:
    typer.echo(f"coordgeo: warning: {message}", err=True)


#: Formats people read: a DataFrame given with a ``view`` is printed through
#: :func:`coordgeo.tables.readable` (values as ``1.994(4)``); csv and json stay numeric.
READABLE = ("table", "markdown", "docx", "latex")


def emit(
    df: pd.DataFrame | str | list,
    fmt: Format | str = Format.table,
    out: Path | None = None,
    *,
    view: Mapping[str, ViewSpec] | Sequence[str] | bool | None = None,
    names: Mapping[str, str] | None = None,
):
    """Write a table, ready text or document tables to stdout, or to ``out``.

    ``view`` (a :func:`coordgeo.tables.readable` spec, or True for every column's
    :func:`~coordgeo.tables.su_view`) makes the table, markdown, Word and LaTeX output the
    readable view of a DataFrame: its values with their su as ``1.949(14)``, headers from
    ``names``. csv and json get the whole numeric frame. ``docx`` and ``latex`` take a
    list of :class:`coordgeo.tables.DocTable` (a command's SI tables) or a DataFrame
    (written as one table); ``docx`` needs ``out``.
    """
    fmt = fmt.value if isinstance(fmt, Format) else fmt
    if isinstance(df, str):
        if fmt == "docx":
            raise InputError("--format docx is a Word file: this output has no Word form")
        text = df
    else:
        text = _table_text(df, fmt, out, view, names)
        if text is None:  # a Word file was written
            return
    if out is None:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}", path=str(out)) from None


def _table_text(df, fmt: str, out: Path | None, view, names) -> str | None:
    """:func:`emit` of a DataFrame or of DocTables: the text, or None once a Word file
    is written."""
    import pandas as pd

    from coordgeo.tables import frame_doc_table, readable, render, su_view, to_docx, to_latex

    numeric = None
    if view is not None and view is not False and fmt in READABLE and isinstance(df, pd.DataFrame):
        spec = su_view(df) if view is True else view
        if not isinstance(spec, Mapping):
            spec = su_view(df, spec)
        numeric = tuple(spec[c] is not None for c in spec if c in df.columns)
        df = readable(df, spec, names=names)
    if fmt not in ("docx", "latex"):
        return render(df, fmt)
    if isinstance(df, pd.DataFrame):
        doc = frame_doc_table("", df)
        docs = [replace(doc, numeric=numeric) if numeric is not None else doc]
    else:
        docs = list(df)
    if fmt == "latex":
        return to_latex(docs)
    if out is None:
        raise InputError("--format docx writes a Word file: give --out FILE.docx")
    to_docx(docs, out)
    typer.echo(f"coordgeo: wrote {out}", err=True)
    return None


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


def per_structure_paths(out: Path, structures: Sequence) -> list[Path]:
    """Output files for several structures: ``out`` itself for one structure, else
    ``OUT_<block>.suffix`` beside it (``OUT_<cif name>_<block>`` when two CIFs share a
    block name, ``~2``, ``~3``… after that); names never leave ``out``'s folder."""
    from coordgeo.io.files import safe_filename

    if len(structures) == 1:
        return [Path(out)]
    out = Path(out)
    blocks = [s.block for s in structures]
    paths, used = [], set()
    for s in structures:
        stem = s.block if blocks.count(s.block) == 1 else f"{Path(s.path).stem}_{s.block}"
        base = stem = safe_filename(stem)
        n = 1
        while stem in used:
            n += 1
            stem = f"{base}~{n}"
        used.add(stem)
        paths.append(out.with_name(f"{out.stem}_{stem}{out.suffix}"))
    return paths


def load(paths: Iterable[Path], block: str | None, failures: Failures):
    """Read every structure of every file (:func:`coordgeo.io.paths.read_structures`);
    bad files and blocks are failures, not fatal."""
    from coordgeo.io.paths import read_structures

    structures, errors = read_structures(paths, block)
    for exc in errors:
        failures.add(exc)
    return structures
