"""The forkserver's set-up, for platforms where bulk workers come from one.

Preloaded by the forkserver, this module asks Linux to SIGKILL the
server when the run that started it ends (``PR_SET_PDEATHSIG``; the server is the run's
child). Otherwise a ``kill -9`` of the run leaves the server waiting, and, since the
server forks every worker, nothing would stop it. Imported anywhere else (the server is
recognised by the ``multiprocessing.forkserver.main`` frame that imports it) importing
it does nothing. In the server it also makes SIGINT ignored, so that the workers it
forks ignore it too, and warms up once for every worker it forks.
"""

from __future__ import annotations

import sys

from coordgeo.bulk.warmup import warm


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
    import signal

    from coordgeo.bulk.engines import die_with_parent

    die_with_parent()
    # the server gives each worker it forks the signal handlers it had before its main
    # loop, i.e. these: a worker ignores Ctrl-C (the run's to handle) from its first
    # instruction, not only once it has set itself up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm()
