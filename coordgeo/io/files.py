"""Opening a user's file: the one function every reader uses.

:func:`read_bytes` reads a file only when it is a regular file (a FIFO, a device such
as ``/dev/urandom``, a socket or a directory given as a file is an
:class:`~coordgeo.errors.InputError` at once, before anything is read: a FIFO would
block and a device never ends) and not larger than the size limit
(``COORDGEO_MAX_BYTES``, 200 MB by default, or the ``max_bytes`` argument; see
:mod:`coordgeo.options`).

:func:`read_text` decodes what :func:`read_bytes` read: UTF-8, with or without a
byte-order mark; UTF-16 with a byte-order mark (Windows "Unicode" text); otherwise
Windows-1252 (CP1252), else Latin-1, with a :class:`DecodingWarning` and a note. CIFs
written by old programs put ``°``, ``µ`` or ``é`` in free text in those encodings.
:func:`text_of` does the same with bytes the caller has read already (bulk hashes them).

:func:`safe_filename` turns text from a file (a data block name, an atom label) into a
file name that cannot leave its folder.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
import warnings
from dataclasses import dataclass

from coordgeo.errors import InputError
from coordgeo.options import LIMITS

__all__ = ["DecodingWarning", "UserText", "read_bytes", "read_text", "safe_filename", "text_of"]


class DecodingWarning(UserWarning):
    """A text file was not UTF-8 and was read as Windows-1252 or Latin-1."""


@dataclass(frozen=True)
class UserText:
    """The decoded text of a file, the encoding it was read with and what a user should know."""

    text: str
    encoding: str
    notes: tuple[str, ...] = ()


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: str | os.PathLike, *, max_bytes: int | None = None, what: str = "") -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` (default: the ``bytes`` limit).

    The file is opened without blocking (``O_NONBLOCK``: a FIFO opens at once) and
    checked with ``fstat`` on the open descriptor, so what is checked is what is read.

    Raises
    ------
    InputError
        The file does not exist or cannot be opened; it is not a regular file; it is
        larger than the limit (the message says how to raise it).
    """
    name = os.fspath(path)
    what = what.removesuffix(" file")
    label = f"{what} " if what else ""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise InputError(f"cannot read the {label}file: no such file", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot open the {label}file: {exc.strerror or exc}", path=name) from None
    except ValueError:  # a NUL in the name (a path read from a damaged list)
        shown = name.replace("\0", "\\0")
        raise InputError(
            f"cannot open the {label}file: a NUL byte in its name", path=shown
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"{_kind(info.st_mode)}, not a regular {label}file: give the file itself",
                path=name,
            )
        limit = LIMITS["bytes"]
        limit.check(info.st_size, override=max_bytes, path=name)
        cap = limit.value(max_bytes)
        chunks = []
        size = 0
        while True:  # read to the end, but never past the limit (the file may grow)
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                limit.check(size, override=max_bytes, path=name)
    except OSError as exc:
        raise InputError(f"cannot read the {label}file: {exc.strerror or exc}", path=name) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def decode(data: bytes, path: str = "") -> UserText:
    """Decode bytes as :func:`read_text` does (UTF-8 → CP1252 → Latin-1, BOMs honoured)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return UserText(data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return UserText(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            raise InputError(
                "starts with a UTF-16 byte-order mark but is not UTF-16", path=path
            ) from None
    try:
        return UserText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    for encoding, name in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = (
            f"not UTF-8 (first non-UTF-8 byte on line {line}): read as {name}; "
            "check accented letters and symbols such as ° and µ"
        )
        warnings.warn(f"{path}: {note}" if path else note, DecodingWarning, stacklevel=3)
        return UserText(text, encoding, (note,))
    raise AssertionError("Latin-1 decodes every byte string")  # pragma: no cover


def read_text(
    path: str | os.PathLike,
    *,
    max_bytes: int | None = None,
    what: str = "",
    allow_binary: bool = False,
) -> UserText:
    """The text of a regular file (see :func:`read_bytes`), decoded as in the module doc.

    A NUL byte in the first 4 kB (a binary file: an image, a ``.docx``, random bytes) is
    an :class:`InputError` unless ``allow_binary``; UTF-16 text with a byte-order mark
    is not binary.
    """
    name = os.fspath(path)
    data = read_bytes(name, max_bytes=max_bytes, what=what)
    _refuse_binary(data, name, what, allow_binary)
    return decode(data, name)


def text_of(
    data: bytes,
    path: str | os.PathLike,
    *,
    max_bytes: int | None = None,
    what: str = "",
    allow_binary: bool = False,
) -> UserText:
    """:func:`read_text` of a file whose bytes the caller has read already (``coordgeo
    bulk`` reads each file once, for its sha256 and its parse): the same size limit, the
    same binary check and decoding, the same errors naming ``path``; the file is not
    opened again."""
    name = os.fspath(path)
    LIMITS["bytes"].check(len(data), override=max_bytes, path=name)
    _refuse_binary(data, name, what, allow_binary)
    return decode(data, name)


def _refuse_binary(data: bytes, name: str, what: str, allow_binary: bool) -> None:
    """The binary check of :func:`read_text` (see there)."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not allow_binary and not utf16 and b"\0" in data[:4096]:
        what = what.removesuffix(" file")
        label = f"a {what} file" if what else "a text file"
        raise InputError(f"binary data, not {label}", path=name)


# --- names derived from file content ------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+|\.{2,}")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(text: str, max_len: int = 80) -> str:
    """A file name made from ``text`` (a block name, an atom label) that stays in its folder.

    Letters, digits and ``. _ + -`` are kept (accents are dropped: ``é`` → ``e``); every
    other run of characters (``/``, ``\\``, spaces, ``<``, ``@``, control characters)
    becomes ``_``, and so does a run of dots; leading dots are removed, so the name
    never holds ``..`` and is never hidden. When anything had to change, or the name is
    longer than ``max_len``, it ends in ``-`` and 8 hex digits of the SHA-256 of the
    original text: stable from run to run, and different for two texts that clean to the
    same name (``a/b``, ``a b``). An empty result becomes ``_`` plus the hash. The result
    is at most ``max_len`` characters (``max_len`` ≥ 16).
    """
    if max_len < 16:
        raise ValueError("max_len must be at least 16 (room for the hash suffix)")
    original = str(text)
    ascii_text = unicodedata.normalize("NFKD", original).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_text).lstrip(".")
    if _WINDOWS_RESERVED.match(cleaned):
        cleaned = "_" + cleaned
    if cleaned == original and 0 < len(cleaned) <= max_len:
        return cleaned
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    head = cleaned[: max_len - len(digest) - 1].rstrip(".") or "_"
    return f"{head}-{digest}"
