"""Start-up: ``coordgeo --help`` and one-file commands load only what they use (issue 16).

Each check runs in a fresh interpreter (a test process has long imported pandas) and reads
``sys.modules`` after the command ran: which modules were imported, not how long it took
(timings belong in benchmarks/; machines here are shared and noisy).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from coordgeo.cli import defaults

# argv[1]: a JSON list of command lines. Runs each through coordgeo.cli.main in this one
# interpreter, stdout swallowed, and prints which modules of interest were loaded after
# each (cumulative: a later command only adds to what an earlier one loaded).
RUNNER = r"""
import contextlib, io, json, sys
from coordgeo.cli import main
loaded = []
for args in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit:
            pass
    loaded.append(sorted(m for m in sys.modules if m.split(".")[0] in {
        "pandas", "numpy", "scipy", "matplotlib", "networkx", "pyarrow", "gemmi", "dask",
        "distributed", "mkdocs", "docx", "pymatgen"} or m.startswith("coordgeo.")))
print(json.dumps(loaded))
"""

#: What --help needs none of: the numeric stack, the plotting and graph libraries, the
#: extras' packages.
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "networkx", "pyarrow", "gemmi", "dask",
         "distributed", "mkdocs", "docx", "pymatgen")  # fmt: skip

#: The modules of other commands, which a one-file structure command has no use for.
OTHER_COMMANDS = ("coordgeo.pxrd", "coordgeo.magnetism", "coordgeo.sitables", "coordgeo.bulk",
                  "coordgeo.report", "coordgeo.graph", "coordgeo.compare",
                  "coordgeo.series")  # fmt: skip
#: All of coordgeo that --help may load: the command modules and what they share.
HELP_MODULES = ("coordgeo.cli", "coordgeo.errors", "coordgeo.esd", "coordgeo.figures")


def loaded_after(*commands: list[str]) -> list[set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps([list(map(str, c)) for c in commands])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [set(m) for m in json.loads(done.stdout.splitlines()[-1])]


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_help_imports_no_heavy_module():
    (after,) = loaded_after(["--help"])
    assert not tops(after) & set(HEAVY), sorted(tops(after) & set(HEAVY))
    # the command modules register themselves without the analyses behind them
    assert "coordgeo.cli.core" in after and "coordgeo.cli.pxrd" in after
    ours = {m for m in after if m.startswith("coordgeo.")}
    assert {m for m in ours if not m.startswith(HELP_MODULES)} == set(), sorted(ours)


def test_every_command_help_is_light():
    from typer.main import get_command

    from coordgeo.cli import app

    names = sorted(get_command(app).commands)
    assert len(names) >= 15  # sphere, bonds, …, validate
    results = loaded_after(*([name, "--help"] for name in names), ["--version"])
    heavy = tops(results[-1]) & set(HEAVY)
    assert not heavy, f"some command's --help imports {sorted(heavy)}"


def test_one_file_commands_load_only_their_own_modules(qsal_cif):
    sphere, octahedra = loaded_after(["sphere", qsal_cif], ["octahedra", qsal_cif])
    for after in (sphere, octahedra):
        assert {"pandas", "numpy", "gemmi"} <= tops(after)  # they do their work
        assert not tops(after) & {"matplotlib", "networkx", "dask", "mkdocs", "docx"}
        assert not {m for m in after if m.startswith(OTHER_COMMANDS)}, sorted(after)
    assert "coordgeo.pipeline" in sphere and "coordgeo.shape" in octahedra


@pytest.mark.parametrize("name", sorted(defaults.SOURCES))
def test_help_defaults_are_the_analysis_defaults(name):
    """The defaults --help shows are copied so that it need not import the analyses;
    each copy equals the value the analysis module uses."""
    module, attribute = defaults.SOURCES[name]
    assert getattr(defaults, name) == getattr(importlib.import_module(module), attribute)
