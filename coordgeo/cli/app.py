"""The Typer application and what every command shares: input loading, output, errors.

Commands live in sibling modules (``core.py``, ``distortion.py``, …), each a
thin layer over the Python API: parse options, call one or two API
functions, print the DataFrame they return.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer._coercion

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


#: A number as Pydantic reads it from a string, in the plain ASCII forms only (anything
#: else takes Typer's own Pydantic path, which gives the same value or its error message).
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT = re.compile(r"[+-]?[0-9]{1,18}")


class _Slow(Exception):
    """A value :func:`_fast_value` leaves to Typer's Pydantic coercion."""


def _fast_value(annotation, info, value, param, ctx):
    """``value`` from the command line converted as Typer ≥ 0.2x converts it for
    ``annotation`` (its ``_adapters.build_adapter``), for the annotations coordgeo's
    commands use: str, int, float, Path, an Enum, a ``parser`` and lists of them. Choices
    and paths go through Typer's own functions (``coerce_cli_choice``, ``coerce_cli_path``);
    what would need Pydantic (a constraint, an odd number, a bad value) raises
    :class:`_Slow`."""
    from typer import _param_types as types

    if getattr(annotation, "__origin__", None) is list:
        (item,) = annotation.__args__
        values = value if isinstance(value, list | tuple) else [value]
        return [_fast_value(item, info, v, param, ctx) for v in values]
    if info.parser is not None:  # Typer calls it on the value (a BeforeValidator), no more
        try:
            return info.parser(value)
        except (ValueError, AssertionError):  # Pydantic words these errors
            raise _Slow from None
    if getattr(annotation, "__origin__", None) is not None:
        raise _Slow
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return types.coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            raise _Slow from None
    if annotation is str and type(value) is str:
        return value
    if annotation in (int, float) and info.min is None and info.max is None and not info.clamp:
        if type(value) in (int, float) and (annotation is float or type(value) is int):
            return annotation(value)
        pattern = _FLOAT if annotation is float else _INT
        if type(value) is str and pattern.fullmatch(value):
            return annotation(value)
        raise _Slow
    if annotation is Path and info.path_type is None and type(value) is str and value:
        try:
            return types.coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        except typer.BadParameter:
            raise _Slow from None
    raise _Slow


def _fast_coercion(params: list) -> list:
    """Typer ≥ 0.2x converts every value of the command line with a Pydantic TypeAdapter
    built on first use; importing Pydantic and building the adapters costs ~0.1 s of a
    one-file command. Each parameter's converter is replaced by one that converts the
    plain cases itself (:func:`_fast_value`) and hands anything else to Typer's own, so the
    values and the error messages stay Typer's. Parameters of another Typer (no
    ``type_descriptor``/``_runtime_param``) are left alone."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue
        if descriptor.file_annotation is not None:
            continue
        param._runtime_param = _FastRuntime(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            descriptor=descriptor,
        )
    return params


@dataclass(frozen=True)
class _FastRuntime(typer._coercion.RuntimeParam):
    """A parameter's converter: :func:`_fast_value`, else Typer's (built when needed)."""

    descriptor: object = None

    def _coerce_value(self, value, param, ctx):
        try:
            return _fast_value(self.annotation, self.parameter_info, value, param, ctx)
        except _Slow:
            slow = typer._coercion.build_runtime_param(self.descriptor)
            return slow._coerce_value(value, param, ctx)


class _Markdown:
    """Stands for ``rich.markdown.Markdown`` in ``typer.rich_utils`` (see
    :func:`_light_rich_utils`): makes the real one, importing it then."""

    def __new__(cls, *args, **kwargs):
        from rich.markdown import Markdown

        return Markdown(*args, **kwargs)


class _Traceback:
    """Stands for ``rich.traceback.Traceback`` in ``typer.rich_utils``."""

    def __new__(cls, *args, **kwargs):
        from rich.traceback import Traceback

        return Traceback(*args, **kwargs)

    @classmethod
    def from_exception(cls, *args, **kwargs):
        from rich.traceback import Traceback

        return Traceback.from_exception(*args, **kwargs)


def _light_rich_utils() -> None:
    """Import ``typer.rich_utils``, which draws every ``--help``, without the two modules
    it imports for what coordgeo never shows: ``rich.markdown`` (markdown_it, pygments;
    help written in Markdown) and ``rich.traceback`` (pretty tracebacks, disabled here).
    They are ~30 % of ``coordgeo --help``. While it is imported, stand-ins that load the
    real classes when called take their place in ``sys.modules``, and leave at once, so
    any later ``import rich.markdown`` gets the real module. A Typer that imports more of
    them than these two names is imported the usual way."""
    stubs = {"rich.markdown": ("Markdown", _Markdown), "rich.traceback": ("Traceback", _Traceback)}
    if "typer.rich_utils" in sys.modules or any(name in sys.modules for name in stubs):
        return
    import types

    placed = {}
    for name, (attribute, stand_in) in stubs.items():
        module = placed[name] = types.ModuleType(name)
        setattr(module, attribute, stand_in)
        sys.modules[name] = module
    try:
        import typer.rich_utils  # noqa: F401
    except ImportError:
        pass  # Typer imports it itself, with the real modules
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def _refuse_non_finite(command: click.Command, ctx: click.Context) -> None:
    """No number option of any command means anything as ``nan``, ``inf`` or ``-inf``
    (``float()`` reads them, so Typer does): an :class:`InputError` naming the option, before
    the command starts (``--min-angle nan`` found no H-bond, ``--window inf`` smoothed
    everything away, without a word)."""
    import math

    for param in command.params:
        value = ctx.params.get(param.name)
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if isinstance(item, float) and not math.isfinite(item):
                name = max(param.opts, key=len) if param.opts else param.name
                raise InputError(f"{name} {item!r} is not a finite number")


class _Command(typer.core.TyperCommand):
    """Every command's class (see :class:`_Typer`): clean metavars in ``--help``, the
    values of the command line converted without Pydantic (:func:`_fast_coercion`), and
    number options that are not finite refused (:func:`_refuse_non_finite`)."""

    def get_params(self, ctx: click.Context) -> list:
        return _fast_coercion(_flags_without_metavar(super().get_params(ctx)))

    def invoke(self, ctx: click.Context) -> object:
        _refuse_non_finite(self, ctx)
        return super().invoke(ctx)

    def format_help(self, ctx: click.Context, formatter) -> None:
        _light_rich_utils()
        return super().format_help(ctx, formatter)


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
        return _fast_coercion(_flags_without_metavar(super().get_params(ctx)))

    def format_help(self, ctx: click.Context, formatter) -> None:
        _light_rich_utils()
        return super().format_help(ctx, formatter)


#: Every command, in the order ``coordgeo --help`` lists them, and the module of
#: ``coordgeo.cli`` that defines it. A command's module is imported when the command runs
#: (:meth:`_Typer.only`) or when the whole app is asked for (its ``--help``, a test's
#: ``CliRunner``, the docs hook); tests/test_cli_lazy.py checks this table against the modules.
COMMANDS = {
    "sphere": "core",
    "bonds": "core",
    "angles": "core",
    "check": "core",
    "bulk": "bulk",
    "query": "bulk",
    "compare": "compare",
    "graph": "compare",
    "contacts": "contacts",
    "octahedra": "distortion",
    "hbonds": "hbonds",
    "fit-sd": "magnetism",
    "relax": "magnetism",
    "transition": "magnetism",
    "pxrd": "pxrd",
    "report": "report",
    "validate": "validate",
}


#: Modules of COMMANDS whose one-file commands run without pyarrow in their own process
#: (:func:`without_arrow`): sphere, bonds, angles, check, octahedra, hbonds, contacts.
ARROW_FREE = ("core", "distortion", "hbonds", "contacts")


def without_arrow(args: Sequence[str]) -> bool:
    """In a process that runs one command (the console script, ``python -m coordgeo``),
    a one-file command (:data:`ARROW_FREE`) gets pandas as an install without the ``bulk``
    extra has it: pyarrow is made unimportable before pandas is imported, which spares
    pandas' Arrow string and compute layers (~0.1 s, a fifth of importing pandas). pyarrow
    is optional (:mod:`coordgeo.extras`), pandas runs without it alike; the outputs of
    these commands over the whole shared corpus are byte-identical either way. Not for
    the other commands (``bulk`` needs pyarrow; the rest were not compared), ``--help``,
    or a process that already has pandas. Returns whether pyarrow was held back."""
    name = next((a for a in args if not a.startswith("-")), None)
    if COMMANDS.get(name) not in ARROW_FREE:
        return False
    if "pandas" in sys.modules or "pyarrow" in sys.modules:
        return False
    sys.modules["pyarrow"] = None  # import pyarrow → ImportError, as when not installed
    return True


def command_name(info: typer.models.CommandInfo) -> str:
    """The name a registered command has on the command line (Typer's rule)."""
    return info.name or typer.main.get_command_name(info.callback.__name__)


class _Typer(typer.Typer):
    """``@app.command()`` makes a :class:`_Command` unless told otherwise.

    The command modules are loaded lazily: reading :attr:`registered_commands` (which
    Typer does when it builds the click group) imports every module of :data:`COMMANDS`
    first, except inside :meth:`only`, which ``coordgeo COMMAND …`` uses to import the one
    module it runs (start-up time: each module costs a few ms, some pull in more).
    """

    def __init__(self, *args, **kwargs) -> None:
        self._registering = 0  # > 0 while a command decorator appends to the list
        self._complete = False  # every module of COMMANDS imported
        self._narrow = False  # inside only(): the commands loaded so far are enough
        super().__init__(*args, **kwargs)

    @property
    def registered_commands(self) -> list:
        commands = self.__dict__["_commands"]
        if self._registering:
            return commands
        if not self._complete and not self._narrow:
            self._complete = True
            import importlib

            for module in dict.fromkeys(COMMANDS.values()):
                importlib.import_module(f"coordgeo.cli.{module}")
        order = {name: i for i, name in enumerate(COMMANDS)}
        commands.sort(key=lambda info: order.get(command_name(info), len(order)))
        return commands

    @registered_commands.setter
    def registered_commands(self, value: list) -> None:
        self.__dict__["_commands"] = value

    def command(self, *args, cls: type[typer.core.TyperCommand] | None = None, **kwargs):
        register = super().command(*args, cls=cls or _Command, **kwargs)

        def decorator(f):
            self._registering += 1
            try:
                return register(f)
            finally:
                self._registering -= 1

        return decorator

    @contextmanager
    def only(self, args: Sequence[str]):
        """Within the block the app holds the module of the command ``args`` names (its
        first word that is not an option) and what was loaded before; without a known
        command (``--help``, a typo: its suggestions need every name) it holds all."""
        name = next((a for a in args if not a.startswith("-")), None)
        if name not in COMMANDS:
            yield self
            return
        import importlib

        importlib.import_module(f"coordgeo.cli.{COMMANDS[name]}")
        self._narrow = True
        try:
            yield self
        finally:
            self._narrow = False


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


def path_argument(value: str) -> Path:
    """A path typed on the command line; an empty one is refused (typer would make it
    ``.``, the working folder, and a folder argument is searched recursively)."""
    if not value.strip():
        raise typer.BadParameter("an empty path names no file (give . for this folder)")
    return Path(value)


CifArgument = Annotated[
    list[Path],
    typer.Argument(
        help="CIF files, or folders (every *.cif below them).",
        metavar="CIF",
        show_default=False,
        parser=path_argument,
    ),
]


def forget_interrupt() -> None:
    """Before exiting 130 after a caught Ctrl-C: CPython sets a flag when a
    KeyboardInterrupt leaves code run from a string (the exec/eval behind dataclasses and
    named tuples, so a Ctrl-C at start-up) and, at exit, kills itself with SIGINT if the
    flag is set, caught or not (status −2, not 130). Running a string that ends normally
    clears the flag."""
    exec("pass")


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
    """Read every structure of every file (:func:`read_structures`); bad files and blocks
    are failures, not fatal."""
    structures, errors = read_structures(paths, block)
    for exc in errors:
        failures.add(exc)
    return structures


def read_structures(paths: Iterable[Path], block: str | None):
    """:func:`coordgeo.io.paths.read_structures`, with one warning line per note of the
    reader (:attr:`coordgeo.model.Structure.notes`: no symmetry operators so P1, an
    operator list taken from the space-group name, sites snapped onto special positions,
    an occupancy above 1, a file not in UTF-8 …), so that what the numbers rest on is
    said beside them. A note of the whole file (its encoding) is said once per file,
    and the reader's own DecodingWarning, which says the same, not at all."""
    import warnings

    from coordgeo.io.files import DecodingWarning
    from coordgeo.io.paths import read_structures as read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DecodingWarning)
        structures, errors = read(paths, block)
    said = set()
    for structure in structures:
        for note in structure.notes:
            if (structure.path, note) not in said:
                said.add((structure.path, note))
                warn(f"{structure.path} data_{structure.block}: {note}")
    return structures, errors
