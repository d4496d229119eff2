"""Command-line interface: ``coordgeo COMMAND …`` (see ``coordgeo --help``).

Each command module registers itself on :data:`coordgeo.cli.app.app`.
User errors end as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

from coordgeo.cli import (  # noqa: F401  (each module registers its commands)
    bulk,
    compare,
    contacts,
    core,
    distortion,
    hbonds,
    magnetism,
    pxrd,
    report,
    validate,
)
from coordgeo.cli.app import app, error
from coordgeo.errors import InputError


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="coordgeo")
    except InputError as exc:
        error(str(exc))
        sys.exit(2)
    except BrokenPipeError:  # `coordgeo … | head`
        sys.exit(0)


__all__ = ["app", "main"]
