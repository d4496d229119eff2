"""What command-line paths mean: files, folders (recursively), globs, any case of ``.cif``.

The one function every command uses (``sphere``, ``octahedra``, …, ``report``, ``bulk``)
to turn what a user typed into the files to read, so that a folder holding only
``A.CIF`` is found by all of them or by none.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CIF_PATTERN", "Unmatched", "discover", "expand", "read_structures"]

#: Files a folder stands for (matched case-insensitively, so ``A.CIF`` is found too).
CIF_PATTERN = "*.cif"


@dataclass(frozen=True)
class Unmatched:
    """A path that names nothing to read: ``error_type`` and ``message`` say why."""

    path: str
    error_type: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def discover(
    paths: Iterable[str | os.PathLike],
    pattern: str = CIF_PATTERN,
    listed: Iterable[str | os.PathLike] = (),
) -> tuple[list[str], list[Unmatched]]:
    """Expand files, folders (recursively, files matching ``pattern``) and globs.

    Returns the absolute paths to read, each once, in the order given (a folder's files
    sorted), and an :class:`Unmatched` for each input that names nothing (a glob that
    matches nothing, a folder that cannot be listed). A named file is kept as it is,
    whatever its suffix and whether it exists, so that its reader says why it cannot be
    read. An empty path is refused (it is not the working folder). Symbolic links are
    followed for files, not for folders. ``listed`` paths
    (``--files-from``) are taken as files, not expanded.
    """
    seen: dict[str, None] = {}
    problems: list[Unmatched] = []
    pattern = pattern.lower()

    def walk(top: str) -> None:
        def failed(exc: OSError) -> None:
            where = os.path.abspath(exc.filename or top)
            problems.append(
                Unmatched(where, type(exc).__name__, f"cannot list folder: {exc.strerror or exc}")
            )

        for root, dirs, files in os.walk(top, onerror=failed):
            dirs.sort()
            for name in sorted(files):
                if fnmatch.fnmatchcase(name.lower(), pattern):
                    seen.setdefault(os.path.abspath(os.path.join(root, name)), None)

    for raw in paths:
        text = os.fspath(raw)
        if not text.strip():  # os.path.abspath("") is the working folder: refuse, never read it
            problems.append(Unmatched(text, "ValueError", "an empty path names no file"))
        elif os.path.isdir(text):
            walk(text)
        elif _has_magic(text) and not os.path.lexists(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                problems.append(
                    Unmatched(text, "FileNotFoundError", "no file matches this pattern")
                )
            for match in matches:
                if os.path.isdir(match):
                    walk(match)
                else:
                    seen.setdefault(os.path.abspath(match), None)
        else:
            seen.setdefault(os.path.abspath(text), None)
    for raw in listed:
        seen.setdefault(os.path.abspath(os.fspath(raw)), None)
    return list(seen), problems


def expand(paths: Iterable[str | os.PathLike], pattern: str = CIF_PATTERN):
    """:func:`discover` for the per-file commands: ``(files, errors)``.

    ``files`` are :class:`pathlib.Path` objects in the order given; ``errors`` are
    :class:`~coordgeo.errors.InputError` for each input that names nothing to read,
    including a folder that holds no file matching ``pattern``.
    """
    from pathlib import Path

    from coordgeo.errors import InputError

    files: dict[str, None] = {}
    errors: list[InputError] = []
    for raw in paths:
        found, unmatched = discover([raw], pattern)
        errors += [InputError(u.message, path=u.path) for u in unmatched]
        if not found and not unmatched and os.path.isdir(raw):
            errors.append(InputError(f"folder holds no {pattern} files", path=os.fspath(raw)))
        files.update(dict.fromkeys(found))
    return [Path(f) for f in files], errors


def read_structures(paths: Iterable[str | os.PathLike], block: str | None = None):
    """Every data block of every CIF that ``paths`` name (:func:`expand`): ``(structures,
    errors)``.

    A file or block that cannot be read is an :class:`~coordgeo.errors.InputError` in
    ``errors`` (a block's error keeps what the reader could salvage, such as ``geom``)
    and the others are still read. With ``block``, only blocks of that name are kept,
    and a file without one is an error naming the blocks it has.
    """
    from coordgeo.errors import InputError
    from coordgeo.io.cif import read_cif_blocks

    files, errors = expand(paths)
    structures = []
    for path in files:
        try:
            results = read_cif_blocks(path)
        except InputError as exc:
            errors.append(exc)
            continue
        wanted = [r for r in results if block is None or getattr(r, "block", None) == block]
        for item in wanted:
            (errors if isinstance(item, InputError) else structures).append(item)
        if block is not None and not wanted:
            names = ", ".join(str(getattr(r, "block", "?")) for r in results)
            errors.append(InputError(f"no data block {block!r} (blocks: {names})", path=str(path)))
    return structures, errors
