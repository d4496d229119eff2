"""The import direction: data flows one way (CIF text → model → geometry → analyses →
tables → applications), and every module imports only from layers below it or its own.

The layers are listed here and in docs/development.md; a new module must be given a
layer in :data:`LAYERS` (the test fails for a module without one), which is the moment
to decide where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "coordgeo"

#: Layer of each module (dotted name without the ``coordgeo.`` prefix; a package name
#: stands for every module in it). Lower numbers are further down the pipeline.
LAYERS: dict[str, int] = {
    # 0: what every stage needs: errors, su numbers, elements, limits, optional extras,
    # DataFrames from column arrays
    "errors": 0,
    "esd": 0,
    "elements": 0,
    "options": 0,
    "extras": 0,
    "blas": 0,
    "figures": 0,
    "frames": 0,
    # 1: the structure model and symmetry
    "model": 1,
    "symmetry": 1,
    # 2: readers (CIF, xyz, SI tables, χMT, powder patterns, paths)
    "io": 2,
    # 3: geometry with su's and the neighbour search
    "geometry": 3,
    # 4: bonds and coordination spheres
    "coordination": 4,
    # 5: analyses of one structure (or of arrays)
    "distortion": 5,
    "shape": 5,
    "descriptors": 5,
    "polyhedra": 5,
    "hbonds": 5,
    "graph": 5,
    "rings": 5,
    "contacts": 5,
    "spin": 5,
    "magnetism": 5,
    "check": 5,
    "published": 5,
    "pxrd": 5,
    "export": 5,
    "interop": 5,
    # 6: the one pipeline over a structure
    "pipeline": 6,
    # 7: presentation of one structure's results: SI labels, letters, formats
    "tables": 7,
    # 8-9: series of structures of one compound: pairing, Table S1, changes
    "series": 8,
    "compare": 9,
    # 10: SI tables checked and validated against structures
    "sitables": 10,
    # 11: applications
    "bulk": 11,
    "report": 11,
    "cli": 12,
    "__main__": 13,
    "__init__": 13,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(name: str) -> int | None:
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        key = ".".join(parts[:k])
        if key in LAYERS:
            return LAYERS[key]
    return None


def imports(path: Path) -> set[str]:
    """Every coordgeo module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this.rsplit(".", 1)[0] if "." in this or path.name == "__init__.py" else ""
    if path.name == "__init__.py":
        package = this
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("coordgeo")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: max(len(package.split(".")) - node.level + 1, 0)]
                mod = ".".join(["coordgeo", *[b for b in base if b], node.module or ""]).strip(".")
            else:
                mod = node.module or ""
            if not mod.startswith("coordgeo"):
                continue
            for alias in node.names:  # `from coordgeo import spin` imports the module spin
                sub = f"{mod}.{alias.name}"
                found.add(sub if (PACKAGE.parent / sub.replace(".", "/")).exists()
                          or (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                          else mod)  # fmt: skip
    return {f.removeprefix("coordgeo.").removeprefix("coordgeo") or "__init__" for f in found}


def edges() -> list[tuple[str, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        src = (
            module_name(path)
            if path.name != "__init__.py" or path.parent != PACKAGE
            else "__init__"
        )
        for target in imports(path):
            if target and target != src:
                out.append((src, target))
    return out


def test_every_module_has_a_layer():
    missing = sorted(
        {module_name(p) for p in PACKAGE.rglob("*.py")}
        - {"__init__"}
        - {m for m in (module_name(p) for p in PACKAGE.rglob("*.py")) if layer_of(m) is not None}
    )
    assert not missing, f"give these modules a layer in tests/test_layers.py: {missing}"


def test_imports_go_down_only():
    upward = [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, b in edges()
        if layer_of(a) is not None and layer_of(b) is not None and layer_of(b) > layer_of(a)
        and not b.startswith(a.split(".")[0] + ".") and b != "__init__"
    ]  # fmt: skip
    assert not upward, "imports that go up the pipeline:\n" + "\n".join(upward)


def test_no_import_cycles_between_modules():
    g = nx.DiGraph((a, b) for a, b in edges() if b != "__init__" and not a.startswith("__"))
    cycles = list(nx.simple_cycles(g))
    assert not cycles, f"import cycles: {cycles[:5]}"
