"""Start-up: ``coordgeo --help`` and one-file commands load only what they use (issue 16).

Each check runs in a fresh interpreter (a test process has long imported pandas) and reads
``sys.modules`` after the command ran: which modules were imported, not how long it took
(timings belong in benchmarks/; machines here are shared and noisy).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coordgeo import options

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
# coordgeo.options holds the defaults --help shows (and imports only the standard library)
HELP_MODULES = (
    "coordgeo.cli",
    "coordgeo.errors",
    "coordgeo.esd",
    "coordgeo.figures",
    "coordgeo.options",
)


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
        assert {"numpy", "gemmi"} <= tops(after)  # they do their work
        assert not tops(after) & {"matplotlib", "networkx", "dask", "mkdocs", "docx"}
        assert not {m for m in after if m.startswith(OTHER_COMMANDS)}, sorted(after)
    assert "coordgeo.pipeline" in sphere and "coordgeo.shape" in octahedra
    # sphere prints its text from columns (tests/test_cli_lazy.py); octahedra's table is pandas'
    assert "pandas" not in tops(sphere) and "pandas" in tops(octahedra)


def test_option_defaults_are_defined_once():
    """--help shows the analyses' defaults without importing them because both read
    coordgeo.options; no module may define one of those defaults again."""
    import re

    names = [n for n in dir(options) if n.startswith("DEFAULT_")]
    assert "DEFAULT_TOLERANCE" in names and "DEFAULT_MAX_CG_CG" in names
    package = Path(options.__file__).parent
    pattern = re.compile(rf"^({'|'.join(names)})\s*=", re.M)
    copies = [
        f"{path.relative_to(package)}: {m.group(1)}"
        for path in package.rglob("*.py")
        if path.name != "options.py"
        for m in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not copies, copies
