"""Preloaded by the forkserver of a bulk run's process pool, and imported nowhere else.

Importing it inside the forkserver asks Linux to SIGKILL the server when the run that
started it ends (``PR_SET_PDEATHSIG``; the server is the run's child). Otherwise a
``kill -9`` of the run leaves the server waiting, and, since the server forks every
worker, nothing would stop it. Imported anywhere else (the server is recognised by
the ``multiprocessing.forkserver.main`` frame that imports it) it does nothing.
"""

from __future__ import annotations

import sys


def _in_forkserver() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if (
            frame.f_code.co_name == "main"
            and frame.f_globals.get("__name__") == "multiprocessing.forkserver"
        ):
            return True
        frame = frame.f_back
    return False


if _in_forkserver():
    from coordgeo.bulk.engines import die_with_parent

    die_with_parent()
