"""The start-up shortcuts of coordgeo.cli (issue 16 item 5) change nothing a user sees.

- ``coordgeo COMMAND`` imports only the cli module of COMMAND (``app.COMMANDS``), yet the
  app a test or the docs hook reads has every command, in the table's order;
- command-line values are converted without Pydantic, to the values (and error
  messages) Typer's own Pydantic converters give;
- ``--help`` is drawn without ``rich.markdown``/``rich.traceback``, to the same text.

Each import check runs in a fresh interpreter and reads ``sys.modules`` (which modules
were imported, not how long it took: timings belong in benchmarks/).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer._coercion
from typer.testing import CliRunner

from coordgeo.cli import app as cli_app
from coordgeo.cli import main
from coordgeo.cli.app import COMMANDS, _fast_coercion, command_name

# argv[1]: a JSON list of command lines, run through coordgeo.cli.main in one interpreter;
# argv[2] (optional): modules to import first. Prints, per command line, its stdout and
# the modules loaded after it (cumulative).
RUNNER = r"""
import contextlib, importlib, io, json, sys
for name in sys.argv[2:]:
    importlib.import_module(name)
from coordgeo.cli import main
result = []
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit:
            pass
    result.append({"out": out.getvalue(), "modules": sorted(sys.modules)})
print(json.dumps(result))
"""

#: What converting values and drawing help leave out.
PYDANTIC = ("pydantic", "pydantic_core")
MARKDOWN = ("markdown_it", "pygments", "rich.markdown", "rich.traceback", "rich.syntax")


def run(commands: list[list[str]], first: tuple[str, ...] = ()) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(commands), *first],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**__import__("os").environ, "COLUMNS": "100"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m in prefixes or m.startswith(tuple(p + "." for p in prefixes))]


def cli_modules(modules: list[str]) -> set[str]:
    return {m.removeprefix("coordgeo.cli.") for m in modules if m.startswith("coordgeo.cli.")}


def test_a_command_imports_its_own_cli_module_only(qsal_cif):
    sphere, octahedra = run([["sphere", str(qsal_cif)], ["octahedra", str(qsal_cif)]])
    assert cli_modules(sphere["modules"]) == {"app", "core"}
    assert cli_modules(octahedra["modules"]) == {"app", "core", "distortion"}
    assert "Fe1-N2" in sphere["out"] and "Fe1" in octahedra["out"]  # they did their work
    for result in (sphere, octahedra):
        assert not loaded(result["modules"], PYDANTIC + MARKDOWN)


def test_help_loads_every_command_without_pydantic_or_markdown():
    (result,) = run([["--help"]])
    # and sdfit_options, the SD fit options fit-sd and report share (it has no command)
    assert cli_modules(result["modules"]) == {"app", *COMMANDS.values(), "sdfit_options"}
    assert not loaded(result["modules"], PYDANTIC + MARKDOWN)
    for name in COMMANDS:
        assert f" {name} " in result["out"], name


def test_help_text_is_the_same_with_the_real_rich_modules():
    """With rich.markdown and rich.traceback imported first the stand-ins are not used:
    both ways draw the same help, for the app and for a command."""
    commands = [["--help"], ["sphere", "--help"], ["fit-sd", "--help"]]
    light = run(commands)
    real = run(commands, first=("rich.markdown", "rich.traceback"))
    assert [r["out"] for r in light] == [r["out"] for r in real]
    assert "Usage: coordgeo sphere" in light[1]["out"]


def test_rich_modules_are_real_after_help():
    runner = CliRunner()
    assert runner.invoke(cli_app, ["--help"]).exit_code == 0
    import rich.markdown
    import rich.traceback

    assert Path(rich.markdown.__file__).name == "markdown.py"
    assert rich.traceback.Traceback.__module__ == "rich.traceback"


def test_commands_table_matches_the_modules():
    """COMMANDS names each command once, with the module that registers it, in the
    order the app lists them."""
    group = typer.main.get_command(cli_app)
    assert list(group.commands) == list(COMMANDS)
    registered = {
        command_name(info): info.callback.__module__ for info in cli_app.registered_commands
    }
    assert registered == {name: f"coordgeo.cli.{module}" for name, module in COMMANDS.items()}


def test_the_whole_app_after_one_command_run(qsal_cif, capsys):
    """main() narrows the app to one command only while that command runs."""
    with pytest.raises(SystemExit) as done:
        main(["bonds", str(qsal_cif), "--format", "csv"])
    assert done.value.code in (None, 0)
    assert "atom1" in capsys.readouterr().out
    result = CliRunner().invoke(cli_app, ["query", "--help"])
    assert result.exit_code == 0 and "bulk dataset" in result.output
    assert list(typer.main.get_command(cli_app).commands) == list(COMMANDS)


#: Command-line words for each kind of parameter: valid ones and ones Typer rejects.
WORDS = {
    float: [
        "0.4",
        "1",
        "-2.5E-3",
        ".5",
        "5.",
        "+3",
        "1e3",
        " 1.5 ",
        "1_000",
        "inf",
        "nan",
        "1e400",
        "abc",
        "",
        "0x10",
        "１２",
        "1.5\n",
        0.35,
        2,
    ],
    int: ["3", "007", "-4", "+4", " 3", "3.0", "1_000", "٣", "x", "", "99999999999999999999", 5],
    str: ["Fe", "", " a b ", "data_x"],
}


def words_for(annotation, tmp_path: Path) -> list:
    base = getattr(annotation, "__origin__", None)
    if base is list:
        (item,) = annotation.__args__
        singles = words_for(item, tmp_path)
        return [tuple(singles[:3]), tuple(singles[-2:]), (), singles[0]]
    if isinstance(annotation, type) and issubclass(annotation, __import__("enum").Enum):
        values = [member.value for member in annotation]
        return [
            *values,
            values[0].upper(),
            values[-1].title(),
            "no-such-choice",
            "",
            annotation(values[0]),
        ]
    if annotation is Path:
        (tmp_path / "a.cif").write_text("data_a\n")
        return [str(tmp_path / "a.cif"), str(tmp_path), "missing.cif", "", "-", " a ", Path("x")]
    return WORDS.get(annotation, [])


def outcome(converter, value, param, ctx):
    try:
        result = converter.coerce(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return ("error", exc.format_message())
    except Exception as exc:  # what either converter raises must agree
        return (type(exc).__name__, str(exc))
    if isinstance(result, float) and math.isnan(result):
        return ("nan", float)
    return (repr(result), type(result))


def test_values_convert_as_typer_converts_them(tmp_path):
    """Every parameter of every command, fed valid and invalid words: the fast converter
    gives Typer's value (and type), or Typer's error message."""
    group = typer.main.get_command(cli_app)
    compared = kinds = 0
    for name, command in [("coordgeo", group), *group.commands.items()]:
        ctx = command.make_context(name, ["--help"], resilient_parsing=True)
        for param in command.params:
            descriptor = getattr(param, "type_descriptor", None)
            if descriptor is None or descriptor.annotation is bool:
                continue
            param._runtime_param = None
            (fast_param,) = _fast_coercion([param])
            fast = fast_param._runtime_param
            assert fast is not None, (name, param.name)
            typer_own = typer._coercion.build_runtime_param(descriptor)
            words = words_for(descriptor.annotation, tmp_path)
            kinds += bool(words)
            for word in words:
                expected = outcome(typer_own, word, param, ctx)
                got = outcome(fast, word, param, ctx)
                assert got == expected, (name, param.name, word)
                compared += 1
    assert kinds >= 8 and compared > 150, (kinds, compared)


@pytest.mark.parametrize(
    ("command", "fmt"), [("sphere", "csv"), ("octahedra", "json"), ("check", "table")]
)
def test_console_script_prints_the_same_without_pyarrow(qsal_cif, command, fmt):
    """``python -m coordgeo`` (one command per process) imports pandas without pyarrow for
    a one-file command and prints what the app prints in this process, whose pandas has
    pyarrow."""
    import pandas as pd

    assert pd.compat.pyarrow.HAS_PYARROW  # the reference side really uses Arrow strings
    args = [command, str(qsal_cif), "--format", fmt]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "coordgeo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "pandas" in imported and "pyarrow.lib" not in imported
    reference = CliRunner().invoke(cli_app, args)
    assert done.returncode == reference.exit_code
    assert done.stdout == reference.stdout


def test_pyarrow_stays_for_other_commands_help_and_a_process_with_pandas():
    import pandas  # noqa: F401  (this process has pandas: nothing is held back)

    from coordgeo.cli.app import without_arrow

    assert not without_arrow(["bulk", "x.cif"])
    assert not without_arrow(["query", "out"])
    assert not without_arrow(["report", "x.cif"])
    assert not without_arrow(["--help"])
    assert not without_arrow(["sphere", "x.cif"])
    assert sys.modules.get("pyarrow", "absent") is not None


#: What the text of ``coordgeo sphere`` is printed without (issue 16 item 5).
NUMERIC_STACK = ("pandas", "pyarrow", "scipy", "matplotlib")

#: CIFs of ../shared for the sphere text: several blocks (qsal_cif), symmetry legends,
#: published values beside recomputed ones (the * note), disorder configurations, a
#: structure without a metal.
SPHERE_CIFS = (
    "published/1000000.cif",
    "published/1101073-r-factor.cif",
    "published/2204368.cif",
    "published/7000165-disorder.cif",
    "published/1512116.cif",
)


#: A CIF whose _geom_bond loop names a label that is no site of the structure.
UNKNOWN_LABEL = "published/2010014.cif"


def test_sphere_text_imports_no_pandas(qsal_cif, shared):
    """``coordgeo sphere`` as text or markdown is made from columns
    (:func:`coordgeo.tables.si_columns`): no DataFrame, so no pandas. 2010014.cif's loop
    names a label no site has (its suggestions are looked up in coordgeo.io.sitables)."""
    cifs = [str(qsal_cif), *(str(shared / "cifs" / n) for n in (SPHERE_CIFS[0], UNKNOWN_LABEL))]
    text, markdown = run([["sphere", *cifs], ["sphere", *cifs, "--format", "markdown"]])
    assert "Fe1-N2" in text["out"] and "| Fe1-N2 |" in markdown["out"]  # they did their work
    assert not loaded(markdown["modules"], NUMERIC_STACK), loaded(
        markdown["modules"], NUMERIC_STACK
    )


def dataframe_sphere_text(path: Path, values: str, codes: str, markdown: bool) -> str:
    """What ``coordgeo sphere`` printed when it made its text from DataFrames (before the
    column path): :func:`coordgeo.tables.si_table`, grouped by pandas per sphere, the
    legend filtered with ``isin``, each sphere through :func:`coordgeo.tables.si_text`."""
    from coordgeo.cli.core import _sphere_title, no_metal_sites
    from coordgeo.io.paths import read_structures
    from coordgeo.pipeline import analyse_structure
    from coordgeo.tables import si_table, si_text

    structures, _ = read_structures([path], None)
    texts = []
    for structure in structures:
        analysis = analyse_structure(structure)
        rows, legend = si_table(structure, analysis.geometry, values=values, codes=codes)
        if rows.empty:
            texts.append(f"{no_metal_sites(structure)}\n\n")
            continue
        for metal, sub in rows.groupby(["metal", "configuration"], sort=False):
            title = _sphere_title(structure, analysis.spheres, metal, sub)
            used = set(" ".join(sub["symmetry_codes"]).split())
            leg = legend[legend["symmetry_code"].isin(used)]
            texts.append(si_text(title, sub, leg, markdown=markdown, codes=codes))
    return "".join(texts)


@pytest.mark.parametrize(
    ("values", "codes", "fmt"),
    [
        ("auto", "letters", "table"),
        ("published", "roman", "markdown"),
        ("recomputed", "nklm", "table"),
    ],
)
def test_sphere_text_is_the_dataframe_text(shared, values, codes, fmt):
    """The column path prints, byte for byte, what the DataFrame path printed (the full
    comparison over all 209 CIFs of ../shared is in the issue 16 report)."""
    printed = []
    for name in SPHERE_CIFS:
        path = shared / "cifs" / name
        args = ["sphere", str(path), "--values", values, "--codes", codes, "--format", fmt]
        result = CliRunner().invoke(cli_app, args)
        assert result.exit_code == 0, result.output
        expected = dataframe_sphere_text(path, values, codes, fmt == "markdown")
        assert result.stdout == expected, name
        printed.append(result.stdout)
    # the handful covers legends, disorder configurations and a structure without a metal
    assert "Symmetry" in printed[0] and "(disorder" in printed[3]
    assert "no metal sites" in printed[4]
