"""Errors raised for bad user input.

Every error a user can cause (an unreadable file, a block without atoms, an
unknown element, a symmetry code that names no operator, a malformed data
file) is an :class:`InputError`. Its ``str()`` is a single line naming the
file, the data block and, where known, the line, so the command-line layer
can print it as it is and exit with status 2 instead of a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """A problem with the user's input, reported as one line.

    Parameters
    ----------
    message
        What is wrong, in the user's terms.
    path
        The file, when known.
    block
        The CIF data block (or table name), when known.
    line
        1-based line number in the file, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        block: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.block = block
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(str(self.path))
        if self.block:
            where.append(f"block {self.block}")
        if self.line:
            where.append(f"line {self.line}")
        prefix = ": ".join(where)
        text = " ".join(self.message.split())  # always one line
        return f"{prefix}: {text}" if prefix else text

    def located(
        self, *, path: str | None = None, block: str | None = None, line: int | None = None
    ) -> InputError:
        """Return a copy with missing location fields filled in."""
        return InputError(
            self.message,
            path=self.path or path,
            block=self.block or block,
            line=self.line or line,
        )
