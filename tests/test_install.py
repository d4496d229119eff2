"""A light install: the core runs without the extras, and a missing extra is one clear line.

``pip install coordgeo`` brings the core only; pyarrow/dask (``[bulk]``), MkDocs
(``[report]``), python-docx (``[docx]``) and pymatgen (``[pymatgen]``) are extras. A fresh
virtual environment per test run would take minutes, so the tests make the extras
unimportable instead: a subprocess puts an import blocker first on ``sys.meta_path``
(whatever is installed, ``import pyarrow`` then fails as it does on a light install) and
runs the command line or the API there.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer.main
from packaging.requirements import Requirement
from typer.testing import CliRunner

from coordgeo.cli import app
from coordgeo.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "coordgeo"

#: top-level module → the extra that installs it
EXTRA_MODULES = {
    "pyarrow": "bulk",
    "dask": "bulk",
    "distributed": "bulk",
    "mkdocs": "report",
    "material": "report",
    "yaml": "report",
    "docx": "docx",
    "pymatgen": "pymatgen",
}
EVERY_EXTRA = ",".join(EXTRA_MODULES)

# Run in a fresh interpreter: block the modules named in argv[1], then run each job of
# argv[2] (a JSON list of ["cli", args…] or ["py", code]) and print one JSON result per
# job: exit status, stdout, stderr, and which blocked modules something tried to import.
RUNNER = r"""
import contextlib, importlib.abc, io, json, sys, traceback
BLOCKED = set(filter(None, sys.argv[1].split(",")))
tried = set()
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in BLOCKED:
            tried.add(top)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Blocker())
results = []
for kind, *rest in json.loads(sys.argv[2]):
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if kind == "cli":
                from coordgeo.cli import main
                main(rest)
            else:
                exec(rest[0], {})
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 99
    results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps({"results": results, "tried": sorted(tried)}))
"""


def run_isolated(*runs: tuple[str, list[list[str]]]) -> list[tuple[list[dict], list[str]]]:
    """Each (blocked modules, jobs) in its own interpreter, all at once: (results, tried)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER, blocked, json.dumps(jobs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for blocked, jobs in runs
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        report = json.loads(out.splitlines()[-1])
        reports.append((report["results"], report["tried"]))
    return reports


@pytest.fixture(scope="module")
def core_jobs(qsal_cif) -> list[list[str]]:
    cif = str(qsal_cif)
    return [
        ["cli", "--version"],
        ["cli", "sphere", cif],
        ["cli", "octahedra", cif],
        ["cli", "octahedra", "-f", "markdown", cif],
        ["cli", "bonds", "-f", "csv", cif],
        ["cli", "hbonds", cif],
        ["cli", "check", cif],
        ["py", "import coordgeo; print(coordgeo.octahedra(" + repr(cif) + ").to_csv())"],
    ]


def test_core_runs_without_the_extras(core_jobs):
    (light, tried), (full, _) = run_isolated((EVERY_EXTRA, core_jobs), ("", core_jobs))
    for job, got, want in zip(core_jobs, light, full, strict=True):
        assert got["code"] == 0, (job, got["err"])
        assert "Traceback" not in got["err"], job
        # the same answer as with every extra installed
        assert got["out"] == want["out"], job
        assert got["out"].strip(), job
    # what a light install may try and do without: pandas probes for pyarrow (its
    # optional string backend); nothing else of the extras is even looked for
    assert set(tried) <= {"pyarrow"}, tried


def _one_line_install(result: dict, command: str, extra: str, module: str) -> None:
    assert result["code"] == 2, result
    assert result["out"] == ""
    assert result["err"] == (
        f"coordgeo: error: {command} needs the '{extra}' extra "
        f"(No module named '{module}'): pip install 'coordgeo[{extra}]'\n"
    )


def test_missing_extra_is_one_line_and_status_2(qsal_cif, tmp_path):
    cif = str(qsal_cif)
    jobs = [
        ["cli", "bulk", cif, "--out", str(tmp_path / "bulk"), "--quiet"],
        ["cli", "query", str(tmp_path / "bulk")],
        ["cli", "report", cif, "--out", str(tmp_path / "site")],
        ["cli", "report", cif, "--out", str(tmp_path / "site"), "--no-build"],
    ]
    ((results, _),) = run_isolated((EVERY_EXTRA, jobs))
    _one_line_install(results[0], "coordgeo bulk", "bulk", "pyarrow")
    _one_line_install(results[1], "coordgeo query", "bulk", "pyarrow")
    _one_line_install(results[2], "coordgeo report", "report", "yaml")
    _one_line_install(results[3], "coordgeo report", "report", "yaml")
    assert not (tmp_path / "bulk").exists() and not (tmp_path / "site").exists()


def test_each_part_of_an_extra_is_checked(qsal_cif, tmp_path):
    """pyarrow without dask: the dask engine still names the extra; MkDocs without Material."""
    cif = str(qsal_cif)
    out = str(tmp_path / "bulk")
    dask = ["cli", "bulk", cif, "--out", out, "--engine", "dask", "--scheduler", "tcp://x:1"]
    site = ["cli", "report", cif, "--out", str(tmp_path / "site")]
    ((dask_result,), _), ((site_result,), _) = run_isolated(
        ("dask,distributed", [[*dask, "--quiet"]]), ("material", [site])
    )
    _one_line_install(dask_result, "coordgeo bulk --engine dask", "bulk", "dask")
    _one_line_install(site_result, "coordgeo report", "report", "material")


def test_api_names_the_extra(qsal_cif):
    jobs = [
        ["py", "import coordgeo.bulk"],
        [
            "py",
            "import coordgeo; from coordgeo.interop import to_pymatgen; "
            f"to_pymatgen(coordgeo.read({str(qsal_cif)!r})[0])",
        ],
    ]
    (((bulk, pmg), _),) = run_isolated((EVERY_EXTRA, jobs))
    assert bulk["code"] == 99 and pmg["code"] == 99  # raised, as an API does
    assert (
        "MissingExtra: coordgeo.bulk needs the 'bulk' extra (No module named 'pyarrow'): "
        "pip install 'coordgeo[bulk]'"
    ) in bulk["err"]
    assert (
        "coordgeo.interop.to_pymatgen needs the 'pymatgen' extra (No module named "
        "'pymatgen'): pip install 'coordgeo[pymatgen]'"
    ) in pmg["err"]


# --- the code: extras are imported late, and only behind require() ------------------------


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return []


def _required_before(function: ast.AST, line: int) -> set[str]:
    """Top-level modules named in ``require(...)`` calls of ``function`` above ``line``."""
    names = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "require"
            and node.lineno < line
        ):
            for const in ast.walk(node):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    names.add(const.value.partition(".")[0])
    return names


def test_extras_are_imported_inside_functions_behind_require():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        in_bulk = rel.startswith("coordgeo/bulk/")
        tree = ast.parse(path.read_text(), filename=rel)
        parents = _parents(tree)
        for node in ast.walk(tree):
            names = _imported(node)
            tops = {n.partition(".")[0] for n in names} & EXTRA_MODULES.keys()
            bulk_package = any(
                n == "coordgeo.bulk" or n.startswith("coordgeo.bulk.") for n in names
            )
            if not tops and not (bulk_package and not in_bulk):
                continue
            chain, up = [], node
            while up in parents:
                up = parents[up]
                chain.append(up)
            if any(isinstance(p, ast.If) and "TYPE_CHECKING" in ast.unparse(p.test) for p in chain):
                continue
            function = next(
                (p for p in chain if isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef)), None
            )
            where = f"{rel}:{node.lineno}"
            if in_bulk and tops <= {"pyarrow"}:
                continue  # coordgeo/bulk/__init__.py requires pyarrow first (checked below)
            if function is None:
                problems.append(f"{where}: module-level import of {sorted(tops) or names}")
            elif tops - _required_before(function, node.lineno):
                problems.append(f"{where}: {sorted(tops)} imported without require() first")
    assert not problems, "\n".join(problems)
    # coordgeo.bulk: the require() call comes before the first import of its modules
    init = ast.parse((PACKAGE / "bulk" / "__init__.py").read_text())
    first_import = min(
        n.lineno
        for n in ast.walk(init)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("coordgeo.bulk.")
    )
    assert "pyarrow" in _required_before(init, first_import)


# --- the packaging: extras in pyproject.toml, version ------------------------------------


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {Requirement(r).name.lower().replace("_", "-") for r in requirements}


def _provided(requirement: str) -> set[str]:
    """Distributions a requirement installs directly, its extras' dependencies included."""
    req = Requirement(requirement)
    names = {req.name.lower()}
    for extra in req.extras:
        for dep in importlib.metadata.requires(req.name) or []:
            parsed = Requirement(dep)
            if parsed.marker is not None and parsed.marker.evaluate({"extra": extra}):
                names.add(parsed.name.lower())
    return names


def test_pyproject_extras(project):
    core = _names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert set(EXTRAS) | {"all", "test", "bench"} == set(extras)
    assert {"gemmi", "ase", "numpy", "pandas", "scipy", "networkx", "matplotlib"} <= core
    assert {"typer", "rich"} <= core
    distributions = importlib.metadata.packages_distributions()
    for module, extra in EXTRA_MODULES.items():
        provided = set().union(*(_provided(r) for r in extras[extra]))
        owners = {d.lower() for d in distributions[module]}
        assert owners & provided, (module, extra, owners)
        assert not owners & core, f"{module} is an extra's, not the core's"
    # [all] is every extra and the README's `pip install -e '.[test]'` installs it
    assert extras["all"] == [f"coordgeo[{','.join(EXTRAS)}]"]
    assert "coordgeo[all]" in extras["test"]


def test_version(project):
    installed = importlib.metadata.version("coordgeo")
    assert installed == project["version"]
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"coordgeo {installed}\n"


def test_help_shows_no_bool_metavar():
    group = typer.main.get_command(app)
    runner = CliRunner()
    texts = {"coordgeo": runner.invoke(app, ["--help"], terminal_width=200).output}
    for name in group.commands:
        result = runner.invoke(app, [name, "--help"], terminal_width=200)
        assert result.exit_code == 0, name
        texts[name] = result.output
    flags = 0
    for name, text in texts.items():
        assert "<bool>" not in text, name
        command = group if name == "coordgeo" else group.commands[name]
        for param in command.params:
            if getattr(param, "is_flag", False):
                flags += 1
                (row,) = [line for line in text.splitlines() if f" {param.opts[0]} " in line]
                assert not re.search(r"<\w+>", row), (name, row)
    assert flags > 5  # --version, --quiet, --resume, --pxrd/--no-pxrd, …
    # options with a value keep their type
    assert re.search(r"--tolerance\s+-t\s+<float>", texts["sphere"])
