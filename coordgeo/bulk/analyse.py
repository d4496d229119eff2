"""The work of one worker: files → rows of every table, as Arrow tables per batch.

Nothing a file contains makes these functions raise: every failure becomes the
``status``/``error`` of its ``files`` (and ``blocks``) row."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from coordgeo.bulk.inputs import read_input
from coordgeo.bulk.schema import Options, Task, describe, file_row, now, schemas
from coordgeo.coordination import sphere_columns
from coordgeo.errors import InputError
from coordgeo.model import Structure


class _Timeout(Exception):
    """Raised by the alarm when one file takes longer than ``Options.timeout``."""


@contextlib.contextmanager
def _time_limit(seconds: float | None, limit: float | None = None):
    """SIGALRM-based limit of ``seconds`` (what is left of a file's ``limit``, the
    ``Options.timeout`` the error names; ``seconds`` itself if None); only in a process's
    main thread (process and serial engines)."""
    usable = (
        seconds
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def fire(signum, frame):
        raise _Timeout(f"analysis took longer than {limit or seconds:g} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 1e-3))  # 0 would be no limit
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Collected:
    """Rows of one batch, per table: dict rows, or columns ({name: array}) per block with
    their key columns."""

    files: list[dict] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)
    frames: dict[str, list[dict]] = field(
        default_factory=lambda: {"sites": [], "bonds": [], "hbonds": [], "contacts": []}
    )
    keys: dict[str, list[tuple[int, dict]]] = field(
        default_factory=lambda: {"sites": [], "bonds": [], "hbonds": [], "contacts": []}
    )
    #: A worker's batch: the sites of every file wait for :meth:`finish` (called by
    #: :func:`to_tables`), which evaluates those of all files together; else each file's
    #: sites are evaluated as soon as it is read.
    batched: bool = False
    pending: list[_Pending] = field(default_factory=list)
    options: Options | None = None

    def finish(self) -> None:
        """The sites of the files waiting for them (:func:`_finish_sites`); then none wait."""
        if self.pending:
            pending, self.pending = self.pending, []
            _finish_sites(pending, self.options, self)

    def add_frame(self, table: str, frame: dict | None, **constants: Any) -> None:
        """Rows of ``table``: columns ({name: array}) of equal length (None: no row)."""
        size = _rows(frame)
        if size:
            self.frames[table].append(frame)
            self.keys[table].append((size, constants))

    def truncate(self, sizes: dict[str, int], n_blocks: int) -> None:
        """Forget what was added after ``sizes`` (a file that failed half-way)."""
        del self.blocks[n_blocks:]
        for table, n in sizes.items():
            del self.frames[table][n:]
            del self.keys[table][n:]


def _rows(frame: dict | None) -> int:
    return len(next(iter(frame.values()))) if frame else 0


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _block_row(path: str, sha: str, s: Structure) -> dict:
    info = s.info
    cell = s.cell
    return {
        "path": path,
        "sha256": sha,
        "block": s.block,
        "status": "ok",
        "error_type": None,
        "error": None,
        "line": s.line,
        "n_atoms": len(s),
        "n_sites": 0,
        "n_bonds": 0,
        "n_hbonds": 0,
        "space_group": s.space_group,
        "crystal_system": s.crystal_system,
        "a": cell.a,
        "b": cell.b,
        "c": cell.c,
        "alpha": cell.alpha,
        "beta": cell.beta,
        "gamma": cell.gamma,
        "cell_volume": cell.volume,
        "temperature": s.temperature,
        "temperature_su": s.temperature_su,
        "formula_sum": info.get("formula_sum"),
        "R1": _float(info.get("R1")),
        "wR2": _float(info.get("wR2")),
        "ccdc": info.get("ccdc"),
        "cod": info.get("cod"),
        "notes": "; ".join(s.notes) or None,
    }


@dataclass(eq=False)
class _Block:
    """A block analysed but for its sites: its row, what went wrong so far (bonds, H-bonds,
    contacts) and what its ``sites`` rows are keyed by."""

    analysis: Any
    row: dict
    problems: list[str]
    metal_elements: np.ndarray
    sites_problem: str | None = None


@dataclass(eq=False)
class _Pending:
    """A file read and analysed but for its sites: its ``files`` row, its problems in order
    (text, or a block whose problems are known once its sites are), how many blocks it has
    and how many were analysed, and the wall seconds spent on it so far."""

    row: dict
    parts: list[str | _Block]
    n_blocks: int
    n_ok: int
    seconds: float

    @property
    def blocks(self) -> list[_Block]:
        return [p for p in self.parts if isinstance(p, _Block)]


@lru_cache(maxsize=8)
def _analysis_options(options: Options):
    """``options.analysis``, made (and checked) once per bulk :class:`Options`: every
    block of a run is analysed with the same, and checking them again cost ~0.1 ms twice
    per block (the shape labels parsed each time)."""
    return options.analysis


def _analyse_structure(
    path: str, sha: str, s: Structure, options: Options, out: Collected
) -> _Block:
    """:func:`coordgeo.pipeline.analyse_structure` of one block into ``out``, all but its
    sites (:func:`_finish_sites`): bonds, H-bonds and contacts, and its ``blocks`` row."""
    from coordgeo.coordination import bond_contacts
    from coordgeo.pipeline import analyse_structure

    row = _block_row(path, sha, s)
    problems: list[str] = []
    analysis_options = _analysis_options(options)
    # the bonds of every site first: H-bonds and contacts need them all, and the spheres
    # and spin states then take their rows instead of searching again
    bond_contacts(s, analysis_options.tolerance)
    analysis = analyse_structure(s, analysis_options)  # the spheres: nothing works without
    spheres = analysis.spheres
    # what the reader and the sphere rules report (unresolved disorder, a capped number of
    # disorder configurations) goes with the block, as on the command line
    row["notes"] = "; ".join(dict.fromkeys([*s.notes, *analysis.notes])) or None
    metal_elements = np.array([s.elements[sp.metal] for sp in spheres], dtype=object)
    n_hbonds = 0
    try:
        bonds = sphere_columns(s, spheres)
        counts = [sp.coordination_number for sp in spheres]
        per_bond = np.repeat(metal_elements, counts)
        out.add_frame("bonds", bonds, path=path, sha256=sha, metal_element=per_bond)
        row["n_bonds"] = _rows(bonds)
    except Exception as exc:
        problems.append("bonds: {}: {}".format(*describe(exc)))
    try:
        found = analysis.hbond_columns  # the schema picks its columns
        out.add_frame("hbonds", found, path=path, sha256=sha)
        n_hbonds = _rows(found)
    except Exception as exc:
        problems.append("hbonds: {}: {}".format(*describe(exc)))
    try:
        out.add_frame("contacts", analysis.contact_columns, path=path, sha256=sha)
    except Exception as exc:
        problems.append("contacts: {}: {}".format(*describe(exc)))
    row["n_hbonds"] = n_hbonds
    out.blocks.append(row)
    return _Block(analysis, row, problems, metal_elements)


def _finish_sites(pending: list[_Pending], options: Options, out: Collected) -> None:
    """The sites of the blocks of ``pending`` files, then their ``sites`` rows and the
    status of their ``blocks`` and ``files`` rows, in file and block order.

    A file's status does not depend on the files batched with it: its sites are
    evaluated within what is left of its own time (``Options.timeout`` less its reading
    and analysis), as when it is alone. The blocks of all files go through one stacked
    evaluation (:func:`coordgeo.pipeline.site_columns_of`: one vectorised call per
    coordination number for the whole batch) limited to the least time left among them;
    should it fail or run out of time, each file's sites are evaluated on their own
    (:func:`_sites_alone`). A file whose time is spent before its sites gets its
    ``partial`` row with the ``sites`` problem and no evaluation.

    ``seconds`` of a file: its reading and analysis, its share of the stacked evaluation
    in proportion to its number of coordination spheres (the evaluation's work is per
    sphere), or the time of its own evaluation after a stacked one failed (the failed
    call is charged to no file), and the writing of its rows.
    """
    from coordgeo.pipeline import site_columns_of

    batch = []
    for p in pending:
        left = _time_left(p, options)
        if left is not None and left <= 0:
            _sites_timed_out(p.blocks, options)
        elif p.blocks:
            batch.append(p)
    blocks = [b for p in batch for b in p.blocks]
    tables = None
    charged = {id(p): 0.0 for p in pending}
    if len(batch) > 1:
        limits = [_time_left(p, options) for p in batch]
        started = time.perf_counter()
        try:
            with _time_limit(min(limits) if options.timeout else None, options.timeout):
                tables = site_columns_of([b.analysis for b in blocks])
        except Exception:
            tables = None
        if tables is not None:
            elapsed = time.perf_counter() - started
            spheres = [sum(len(b.analysis.spheres) for b in p.blocks) for p in batch]
            for p, share in zip(batch, sphere_shares(spheres), strict=True):
                charged[id(p)] = elapsed * share
    found = iter(tables or [])
    for p in pending:
        clock = time.perf_counter()
        if p in batch and tables is None:
            columns_of = _sites_alone(p, options)
        else:
            columns_of = {id(b): next(found) for b in p.blocks} if p in batch else {}
        for b in p.blocks:
            if b.sites_problem is None:
                columns = columns_of[id(b)]
                out.add_frame(
                    "sites",
                    columns,
                    path=b.row["path"],
                    sha256=b.row["sha256"],
                    temperature=b.analysis.structure.temperature,
                    metal_element=b.metal_elements,
                )
                b.row["n_sites"] = _rows(columns)
            _settle_block(b)
        _settle_file(p)
        p.row["seconds"] = p.seconds + charged[id(p)] + time.perf_counter() - clock
        p.row["finished"] = now()


def sphere_shares(spheres: Sequence[int]) -> list[float]:
    """Each file's share of a stacked site evaluation: its number of coordination spheres
    over the batch's (the evaluation's work is per sphere), equal shares when no file has
    one. What bulk's ``seconds`` column and benchmarks/stages_vs_gemmi.py charge."""
    total = sum(spheres)
    return [n / total if total else 1 / len(spheres) for n in spheres]


def _sites_alone(p: _Pending, options: Options) -> dict[int, dict]:
    """The site columns of one file's blocks (by ``id`` of the block) within what is left
    of its time: one stacked evaluation of its blocks; if it runs out of time, every block
    has the ``sites`` problem (no second try: the time is spent); if it fails otherwise,
    each block on its own within what is then left, so that one block's failure costs the
    others nothing. A block that fails gets its ``sites_problem`` and no columns."""
    from coordgeo.pipeline import site_columns_of

    left = _time_left(p, options)
    deadline = None if left is None else time.perf_counter() + left
    try:
        with _time_limit(left, options.timeout):
            tables = site_columns_of([b.analysis for b in p.blocks])
        return {id(b): t for b, t in zip(p.blocks, tables, strict=True)}
    except _Timeout:
        _sites_timed_out(p.blocks, options)
        return {}
    except Exception:
        pass
    found: dict[int, dict] = {}
    for i, b in enumerate(p.blocks):
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            _sites_timed_out(p.blocks[i:], options)
            break
        try:
            with _time_limit(left, options.timeout):
                found[id(b)] = site_columns_of([b.analysis])[0]
        except _Timeout:
            _sites_timed_out(p.blocks[i:], options)
            break
        except Exception as exc:
            b.sites_problem = "sites: {}: {}".format(*describe(exc))
    return found


def _sites_timed_out(blocks: list[_Block], options: Options) -> None:
    """The ``sites`` problem of blocks whose file ran out of time before their sites."""
    for b in blocks:
        b.sites_problem = f"sites: _Timeout: analysis took longer than {options.timeout:g} s"


def _time_left(p: _Pending, options: Options) -> float | None:
    """What is left of a file's time limit (``Options.timeout``) after its other work."""
    return options.timeout - p.seconds if options.timeout else None


def _settle_block(b: _Block) -> None:
    """A block's status once its sites are known: ``partial`` if anything failed."""
    problems = [*([b.sites_problem] if b.sites_problem else []), *b.problems]
    b.problems = problems
    if problems:
        b.row["status"], b.row["error_type"] = "partial", "AnalysisError"
        b.row["error"] = "; ".join(problems)


def _settle_file(p: _Pending) -> None:
    """A file's counts and status from its blocks (:func:`_analyse_blocks`)."""
    row = p.row
    problems: list[str] = []
    for part in p.parts:
        if isinstance(part, _Block):
            row["n_sites"] += part.row["n_sites"]
            row["n_hbonds"] += part.row["n_hbonds"]
            problems += [f"block {part.row['block']}: {q}" for q in part.problems]
        else:
            problems.append(part)
    row["n_blocks"] = p.n_blocks
    row["n_blocks_ok"] = p.n_ok
    clean = p.n_ok == p.n_blocks and not problems
    row["status"] = "ok" if clean else ("partial" if p.n_ok else "error")
    if not clean:
        row["error_type"] = "InputError" if p.n_ok < p.n_blocks else "AnalysisError"
        row["error"] = "; ".join(problems)


class _Unreadable(Exception):
    """(type, message) of a file the client could not read (send-bytes mode)."""


def analyse_file(path: str, options: Options, out: Collected, task: Task | None = None) -> bool:
    """Analyse one file into ``out`` (its ``files`` row always); False when skipped.

    Skipped means resumed: ``task.expected`` equals the file's sha256. Never raises
    for anything the file contains. Its sites are evaluated at once, or with those of the
    other files of the batch when ``out.batched`` (:meth:`Collected.finish`).
    """
    started = time.perf_counter()
    task = task or Task(path)
    row = file_row(path, "error", None, None)
    row["run"] = options.run
    sizes = {table: len(out.frames[table]) for table in out.frames}
    n_blocks = len(out.blocks)
    pending = None
    try:
        with _time_limit(options.timeout):
            if task.problem is not None:
                row["size"] = task.size if task.size >= 0 else None
                raise _Unreadable(*task.problem)
            data = task.data if task.data is not None else read_input(path, options, row)
            row["size"] = len(data)
            sha = hashlib.sha256(data).hexdigest()
            row["sha256"] = sha
            if task.expected is not None and task.expected == sha:
                return False
            # the bytes just hashed are the ones parsed (read or sent by the client once)
            pending = _analyse_blocks(row["path"], path, data, sha, options, out, row)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        pending = None
        out.truncate(sizes, n_blocks)  # a file's tables must not be half there
        row["status"] = "error"
        row["error_type"], row["error"] = (
            exc.args if isinstance(exc, _Unreadable) else describe(exc)
        )
        row["n_blocks"] = row["n_blocks_ok"] = row["n_sites"] = row["n_hbonds"] = 0
    row["seconds"] = time.perf_counter() - started
    row["finished"] = now()
    out.files.append(row)
    if pending is not None:
        pending.seconds = row["seconds"]
        out.options = options
        out.pending.append(pending)
        if not out.batched:
            out.finish()
    return True


def _analyse_blocks(
    path: str, source: str, data: bytes, sha: str, options: Options, out: Collected, row: dict
) -> _Pending:
    """Every block of a file into ``out`` but for its sites: what :func:`_finish_sites`
    completes. ``data`` are the bytes of the file ``source``, parsed as they are (the file
    is not read again)."""
    from coordgeo.io.cif import read_cif_blocks

    results = read_cif_blocks(source, data)
    parts: list[str | _Block] = []
    n_ok = 0
    for item in results:
        if isinstance(item, InputError):
            kind, message = describe(item)
            parts.append(f"block {item.block}: {message}" if item.block else message)
            out.blocks.append(
                {
                    "path": path,
                    "sha256": sha,
                    "block": item.block,
                    "status": "error",
                    "error_type": kind,
                    "error": message,
                    "line": item.line,
                }
            )
            continue
        try:
            block = _analyse_structure(path, sha, item, options, out)
        except _Timeout:
            raise
        except Exception as exc:  # one block's crash must not hide the others
            kind, message = describe(exc)
            parts.append(f"block {item.block}: {kind}: {message}")
            failed = _block_row(path, sha, item)
            failed.update(status="error", error_type=kind, error=message)
            out.blocks.append(failed)
            continue
        n_ok += 1
        parts.append(block)
    return _Pending(row, parts, len(results), n_ok, 0.0)


def _columns_table(parts: list[dict], keys: list[tuple[int, dict]], schema: pa.Schema) -> pa.Table:
    """One Arrow table from a batch's columns ({name: array} per block), with the columns
    each part was added with (a value for all its rows, or one per row); a column a part
    does not have (a shape measure of another coordination number) is null in its rows.

    One numpy concatenation and one Arrow array per column and batch: anything done per
    block and per column costs more than the analysis of a small file.
    """
    if not parts:
        return schema.empty_table()
    arrays = []
    total = sum(size for size, _ in keys)
    nulls: dict[int, np.ndarray] = {}  # size → None × size, for the parts without a column
    extension = pd.api.extensions.ExtensionArray
    owners = None  # each row's part (its index), for the columns of one value per part
    for name, kind in zip(schema.names, schema.types, strict=True):
        values_of = _constants_of(name, parts, keys)
        if values_of is not None:  # path, sha256 ...: one Arrow value per part, repeated
            if owners is None:
                owners = pa.array(np.repeat(np.arange(len(keys)), [size for size, _ in keys]))
            arrays.append(pa.array(values_of, type=kind, from_pandas=True).take(owners))
            continue
        pieces = []
        found = False  # whether any part has the column (else it is null in every row)
        nullable = 0  # pieces that are nullable Int64/boolean arrays
        for part, (size, constants) in zip(parts, keys, strict=True):
            values = part.get(name)
            if values is None:
                values = constants.get(name)
                if values is None:  # not this part's column (or a None constant): null
                    if size not in nulls:
                        nulls[size] = np.full(size, None, dtype=object)
                    pieces.append(nulls[size])
                    continue
                if not isinstance(values, np.ndarray):
                    values = np.full(size, values, dtype=object)
            found = True
            if type(values) is not np.ndarray:
                if isinstance(values, extension):
                    nullable += 1
                else:
                    values = np.asarray(values)
            pieces.append(values)
        if not found:
            arrays.append(pa.nulls(total, type=kind))
            continue
        if nullable:
            pieces = _nullable_to_objects(pieces, nullable)
        merged = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        arrays.append(pa.array(merged, type=kind, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _constants_of(name: str, parts: list[dict], keys: list[tuple[int, dict]]) -> list | None:
    """The value of column ``name`` in each part when every part has it as one value for all
    its rows (a constant it was added with, :meth:`Collected.add_frame`), with at least one
    not None; else None. Such a column (``path``, ``sha256``, ``temperature``) is made as
    one Arrow value per part taken for its rows: one object per row and a conversion of
    each cost ~5 µs per 100 rows of the largest tables."""
    values = []
    for part, (_, constants) in zip(parts, keys, strict=True):
        if name in part:
            return None
        value = constants.get(name)
        if isinstance(value, np.ndarray):
            return None
        values.append(value)
    return values if any(v is not None for v in values) else None


def _nullable_to_objects(pieces: list, nullable: int) -> list[np.ndarray]:
    """The pieces of a column with its nullable (Int64/boolean) arrays as object arrays,
    None where missing: when every piece is one of the same kind, joined and converted
    once (a conversion costs ~30 µs however short the array), else one by one."""
    first = pieces[0]
    if nullable == len(pieces) and all(type(p) is type(first) for p in pieces):
        joined = type(first)._concat_same_type(pieces) if len(pieces) > 1 else first
        return [joined.to_numpy(dtype=object, na_value=None)]
    extension = pd.api.extensions.ExtensionArray
    return [
        p.to_numpy(dtype=object, na_value=None) if isinstance(p, extension) else p for p in pieces
    ]


def rows_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()


def to_tables(out: Collected, schema: dict[str, pa.Schema]) -> dict[str, pa.Table]:
    """The Arrow tables of a batch, its files' sites first evaluated if they wait
    (:meth:`Collected.finish`)."""
    out.finish()
    tables = {
        "files": rows_table(out.files, schema["files"]),
        "blocks": rows_table(out.blocks, schema["blocks"]),
    }
    for name in ("sites", "bonds", "hbonds", "contacts"):
        tables[name] = _columns_table(out.frames[name], out.keys[name], schema[name])
    return tables


def analyse_batch(tasks: Sequence[Task], options: Options) -> dict[str, pa.Table]:
    """Analyse a batch of files; one Arrow table per table name (what a worker returns).

    Files skipped on resume have no row. Catches everything a file can cause.
    """
    out = Collected(batched=True)
    for task in tasks:
        analyse_file(task.path, options, out, task)
    return to_tables(out, schemas(options.shapes))


def crashed_rows(tasks: Sequence[Task], options: Options, why: str) -> dict[str, pa.Table]:
    out = Collected()
    for task in tasks:
        row = file_row(task.path, "error", "WorkerCrash", why)
        row["run"], row["size"] = options.run, task.size if task.size >= 0 else None
        out.files.append(row)
    return to_tables(out, schemas(options.shapes))
