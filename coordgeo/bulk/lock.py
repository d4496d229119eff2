"""One bulk run per dataset folder: a lock file held for the whole run.

Two runs writing one dataset would both number their parts from the same count and
overwrite each other's files (issue 17 found 155 of 585 files lost that way). A run
therefore holds ``OUT/_bulk.lock`` from before it reads the dataset until after its last
part: an exclusive ``flock`` on the open file (POSIX), which the kernel releases when the
process ends, however it ends. The file records who holds it (pid, host, start time,
run id, command), so a second run is refused with one line naming the first.

A run that was killed leaves the file behind but not the lock: the next run takes the
file over and says whose it was (stale-lock recovery needs no action from the user).
Where ``flock`` does not exist (Windows) the file is created exclusively and a record
whose process is gone from this host is taken over.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from coordgeo.bulk.schema import now
from coordgeo.errors import InputError

LOCK_NAME = "_bulk.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) the lock of a dataset folder."""

    pid: int | None
    host: str
    started: str
    run: str
    command: str = ""

    @classmethod
    def read(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(
                pid=int(data["pid"]) if data.get("pid") is not None else None,
                host=str(data.get("host", "")),
                started=str(data.get("started", "")),
                run=str(data.get("run", "")),
                command=str(data.get("command", "")),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    def describe(self) -> str:
        host = self.host or "an unknown host"
        return f"pid {self.pid} on {host}, started {self.started}, run {self.run}"


def _me(run: str) -> Holder:
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    if program == "__main__.py":  # python -m coordgeo
        program = "coordgeo"
    command = " ".join([program, *sys.argv[1:]])
    return Holder(os.getpid(), socket.gethostname(), now().isoformat(timespec="seconds"), run,
                  command[:300])  # fmt: skip


def _unwritable(out: Path, exc: OSError) -> InputError:
    why = exc.strerror or str(exc)
    return InputError(f"cannot write the dataset folder (--out): {why}", path=str(out))


def _refused(out: Path, holder: Holder | None) -> InputError:
    who = holder.describe() if holder else "its record is not written yet"
    return InputError(
        f"in use by another coordgeo bulk run ({who}); wait for it to end or stop it, "
        "then run again (with --resume to continue the dataset)",
        path=str(out),
    )


def _process_gone(pid: int | None) -> bool:
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's live process
        return False
    return False


class DatasetLock:
    """The lock of one dataset folder; use as a context manager (:func:`hold`)."""

    def __init__(self, out: Path, run: str) -> None:
        self.out = Path(out)
        self.path = self.out / LOCK_NAME
        self.run = run
        self.fd: int | None = None
        self.previous: Holder | None = None  # a crashed run whose lock was taken over

    def acquire(self) -> None:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            if fcntl is not None:
                self._acquire_flock()
            else:  # pragma: no cover (Windows)
                self._acquire_exclusive()
            me = json.dumps(_me(self.run).__dict__)
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, me.encode("utf-8"), 0)
            os.fsync(self.fd)
        except InputError:
            self._close()
            raise
        except OSError as exc:  # read-only or full file system, no permission
            self._close()
            raise _unwritable(self.out, exc) from None

    def _acquire_flock(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = Holder.read(os.pread(fd, 65536, 0).decode("utf-8", "replace"))
                os.close(fd)
                raise _refused(self.out, holder) from None
            # the run before may have removed the file between our open and our lock
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                self.previous = Holder.read(os.pread(fd, 65536, 0).decode("utf-8", "replace"))
                return
            os.close(fd)

    def _acquire_exclusive(self) -> None:  # pragma: no cover (Windows)
        for _ in range(2):
            try:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                return
            except FileExistsError:
                holder = Holder.read(self.path.read_text(encoding="utf-8", errors="replace"))
                gone = holder is not None and holder.host == socket.gethostname()
                if not (gone and _process_gone(holder.pid)):
                    raise _refused(self.out, holder) from None
                self.previous = holder
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path)
        raise _refused(self.out, None)

    def release(self) -> None:
        """Remove the lock file (while still holding the lock) and let go."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.remove(self.path)
        self._close()

    def _close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


@contextlib.contextmanager
def hold(out: str | os.PathLike, run: str) -> Iterator[DatasetLock]:
    """Hold the lock of ``out`` (created when missing) for the ``with`` block.

    Raises
    ------
    InputError
        Another run holds it (the message names that run), or ``out`` cannot be
        written (read-only file system, no permission).
    """
    lock = DatasetLock(Path(out), run)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def holder(out: str | os.PathLike) -> Holder | None:
    """Who holds the lock of ``out`` now (a record whose process runs on this host), or
    None. Only reads: it never takes the lock, so it cannot get in a starting run's way."""
    try:
        record = Holder.read((Path(out) / LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if record is None or record.host != socket.gethostname() or _process_gone(record.pid):
        return None
    return record


__all__ = ["LOCK_NAME", "DatasetLock", "Holder", "hold", "holder"]
