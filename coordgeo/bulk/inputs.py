"""Which files a bulk run analyses: paths, folders and globs expanded; bytes read safely."""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from coordgeo.bulk.schema import Options, Task, describe, file_row
from coordgeo.errors import InputError


def _has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def discover(
    paths: Iterable[str | os.PathLike],
    pattern: str = "*.cif",
    listed: Iterable[str | os.PathLike] = (),
) -> tuple[list[str], list[dict]]:
    """Expand files, folders (recursively, files matching ``pattern``) and globs.

    Returns the absolute paths to analyse, each once, and ``files`` rows for inputs
    that name nothing to analyse (a glob that matches nothing, a folder that cannot
    be listed): those are results too. A named file that does not exist is kept as a
    path, so its row says why. Symbolic links are followed for files, not for folders.
    ``listed`` paths (``--files-from``) are files as they are: not expanded, so a
    folder among them is an error row, as any other path that is not a file.
    """
    seen: dict[str, None] = {}
    problems: list[dict] = []
    pattern = pattern.lower()

    def walk(top: str) -> None:
        def failed(exc: OSError) -> None:
            problems.append(
                file_row(
                    os.path.abspath(exc.filename or top),
                    "error",
                    type(exc).__name__,
                    f"cannot list folder: {exc.strerror or exc}",
                )
            )

        for root, dirs, files in os.walk(top, onerror=failed):
            dirs.sort()
            for name in sorted(files):
                if fnmatch.fnmatchcase(name.lower(), pattern):
                    seen.setdefault(os.path.abspath(os.path.join(root, name)), None)

    for raw in paths:
        text = os.fspath(raw)
        if os.path.isdir(text):
            walk(text)
        elif _has_magic(text) and not os.path.lexists(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                problems.append(
                    file_row(text, "error", "FileNotFoundError", "no file matches this pattern")
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


def read_list(path: str | os.PathLike) -> list[str]:
    """Paths listed one per line (``--files-from``); blank lines and ``#`` comments skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def read_input(path: str, options: Options, row: dict | None = None) -> bytes:
    """The bytes of a regular file; raises (never blocks) for anything else."""
    info = os.stat(path)
    if row is not None:
        row["size"] = info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "is a directory, not a file", path)
    if not stat.S_ISREG(info.st_mode):  # a pipe would block the read forever
        raise OSError(0, "not a regular file (device, pipe or socket)", path)
    if options.max_size and info.st_size > options.max_size:
        raise InputError(
            f"file of {info.st_size / 1e6:.1f} MB is larger than the limit "
            f"of {options.max_size / 1e6:.1f} MB (max_size)"
        )
    return Path(path).read_bytes()


def with_bytes(task: Task, options: Options) -> Task:
    """Read the file here (the client) so that workers need no access to it; what cannot
    be read goes as the reason, recorded by the worker exactly as if it had tried."""
    try:
        data = read_input(task.path, options)
    except Exception as exc:
        return Task(task.path, task.size, task.expected, None, describe(exc))
    return Task(task.path, len(data), task.expected, data)
