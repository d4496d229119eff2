"""Command-line interface: ``coordgeo COMMAND …`` (see ``coordgeo --help``).

Each command module registers itself on :data:`coordgeo.cli.app.app`; the app imports a
command's module when it is needed (:data:`coordgeo.cli.app.COMMANDS`): ``coordgeo sphere``
loads ``cli/core.py`` alone, ``coordgeo --help`` and a test's ``CliRunner`` all of them.
User errors end as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

from coordgeo.cli.app import app, error, forget_interrupt, without_arrow
from coordgeo.errors import InputError


def main(argv: list[str] | None = None) -> None:
    """``coordgeo …``: ``argv`` (default ``sys.argv[1:]``, as the console script runs it;
    then this process runs one command and may import pandas without pyarrow, see
    :func:`coordgeo.cli.app.without_arrow`)."""
    if argv is None:
        without_arrow(sys.argv[1:])
    try:
        with app.only(sys.argv[1:] if argv is None else argv):
            app(args=argv, prog_name="coordgeo")
    except InputError as exc:
        error(str(exc))
        sys.exit(2)
    except BrokenPipeError:  # `coordgeo … | head`
        sys.exit(0)
    except KeyboardInterrupt:  # Ctrl-C while a command's modules load (in a command,
        # click says "Aborted!"; bulk says what it wrote): one line, status 130
        error("interrupted")
        forget_interrupt()  # status 130, not −2
        sys.exit(130)


__all__ = ["app", "main"]
