"""The dataset on disk: numbered Parquet parts written atomically, resume, reading back."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from coordgeo.bulk.lock import LOCK_NAME
from coordgeo.bulk.schema import TABLES, Options, now
from coordgeo.errors import InputError

DEFAULT_PART_SIZE = 1000  # files per part file
#: … or once the buffered tables hold this many bytes (Arrow), whichever comes first: the
#: run's memory does not depend on how large the structures are (a part of 1000 median
#: files is ~18 MB of tables; of 1000 giant intermetallics it would be ~1 GB).
PART_BYTES = 4_000_000
#: … or this long since the last part, whichever comes first: what a ``kill -9`` can cost
#: (plus the batches in flight). Five seconds keeps that small and costs ~5 ms per part.
DEFAULT_FLUSH_SECONDS = 5.0


_MANIFEST = "_bulk.json"
_FORMAT_VERSION = 3  # 2: sites hold the descriptors (τ4, ⟨λ⟩, …) and the spin notes; 3: φ, θ


def _part_name(number: int) -> str:
    return f"part-{number:06d}.parquet"


def _part_number(name: str) -> int | None:
    if name.startswith("part-") and name.endswith(".parquet"):
        with contextlib.suppress(ValueError):
            return int(name[5:-8])
    return None


def _write_atomic(table: pa.Table, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)


class PartWriter:
    """Buffers batch results and writes them as numbered parts, ``files`` last.

    A part number is committed when its ``files`` part exists; parts of other tables
    without it are leftovers of a killed run (:func:`prepare_out` removes them).
    """

    def __init__(self, out: Path, schema: dict[str, pa.Schema], first_part: int,
                 part_size: int, flush_seconds: float) -> None:  # fmt: skip
        self.out = out
        self.schema = schema
        self.next_part = first_part
        self.part_size = part_size
        self.flush_seconds = flush_seconds
        self.buffer: dict[str, list[pa.Table]] = {t: [] for t in TABLES}
        self.buffered_files = 0
        self.buffered_bytes = 0
        self.last_flush = time.monotonic()
        self.parts_written = 0
        self.rows = dict.fromkeys(TABLES, 0)

    def add(self, tables: dict[str, pa.Table]) -> None:
        for name in TABLES:
            table = tables[name]
            if table.num_rows:
                self.buffer[name].append(table)
                self.rows[name] += table.num_rows
                self.buffered_bytes += table.nbytes
        self.buffered_files += tables["files"].num_rows
        if self.buffered_files >= self.part_size or self.buffered_bytes >= PART_BYTES:
            self.flush()
        else:
            self.flush_if_due()

    def flush_if_due(self) -> None:
        """Write what is buffered when the last part is ``flush_seconds`` old."""
        if self.buffered_files and time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self.buffered_files:
            return
        name = _part_name(self.next_part)
        for table in (*TABLES[1:], "files"):  # files last: it commits the part
            parts = self.buffer[table]
            data = pa.concat_tables(parts) if parts else self.schema[table].empty_table()
            _write_atomic(data, self.out / table / name)
        self.buffer = {t: [] for t in TABLES}
        self.buffered_files = 0
        self.buffered_bytes = 0
        self.next_part += 1
        self.parts_written += 1
        self.last_flush = time.monotonic()


@contextlib.contextmanager
def _dataset_errors(out: Path) -> Iterator[None]:
    """A folder that cannot be created or read, or holds damaged files, is the user's
    input: one InputError naming it, not a traceback."""
    try:
        yield
    except InputError:
        raise
    except (OSError, pa.ArrowException, json.JSONDecodeError) as exc:
        text = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"bulk dataset: {' '.join(text.split())}", path=str(out)) from None


def prepare_out(out: Path, options: Options, resume: bool) -> tuple[int, dict[str, str]]:
    """Create or reopen ``out``; (next part number, {path: sha256} of files already done)."""
    with _dataset_errors(out):
        return _prepare_out(out, options, resume)


def _prepare_out(out: Path, options: Options, resume: bool) -> tuple[int, dict[str, str]]:
    manifest_path = out / _MANIFEST
    settings = {"tolerance": options.tolerance, "shapes": list(options.shapes)}
    if manifest_path.exists():
        if not resume:
            raise InputError(
                f"{out} already holds a bulk dataset: pass --resume to continue it, "
                "or choose another --out"
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not (isinstance(manifest, dict) and isinstance(manifest.get("runs"), list)):
            raise InputError(
                f"{manifest_path} is not a coordgeo bulk manifest (a JSON object with its "
                "runs): the dataset is damaged; write a new one with another --out"
            )
        if manifest.get("settings") != settings:
            raise InputError(
                f"{out} was made with {manifest.get('settings')}; resuming needs the same "
                f"settings, not {settings}"
            )
        _check_schemas(out, options)
    else:
        others = [p for p in out.iterdir() if p.name != LOCK_NAME] if out.exists() else []
        if others and not (resume and (out / "files").is_dir()):
            raise InputError(f"{out} exists and is not a bulk dataset folder")
        manifest = {
            "format": _FORMAT_VERSION,
            "created": now().isoformat(),
            "settings": settings,
            "runs": [],
        }
    for table in TABLES:
        (out / table).mkdir(parents=True, exist_ok=True)
    # a killed run leaves temporaries, and parts of a batch whose files part never came
    committed = {
        n for n in map(_part_number, os.listdir(out / "files")) if n is not None
    }  # fmt: skip
    for table in TABLES:
        for name in os.listdir(out / table):
            number = _part_number(name)
            if name.endswith(".tmp") or (number is not None and number not in committed):
                with contextlib.suppress(OSError):
                    os.remove(out / table / name)
    done: dict[str, str] = {}
    if committed:
        files = pq.read_table(out / "files", columns=["path", "sha256", "finished"])
        frame = files.to_pandas().sort_values("finished", kind="stable")
        frame = frame.drop_duplicates("path", keep="last").dropna(subset=["sha256"])
        done = dict(zip(frame["path"], frame["sha256"], strict=True))
    manifest["runs"].append({"run": options.run, "started": now().isoformat()})
    tmp = out / f".{_MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, manifest_path)
    return (max(committed) + 1 if committed else 0), done


def _check_schemas(out: Path, options: Options) -> None:
    """A resumed dataset must have the columns this version writes: Parquet readers take
    one part's schema for a whole table and drop (or fail on) the others' columns."""
    from coordgeo.bulk.schema import schemas

    wanted = schemas(options.shapes)
    for table in TABLES:
        folder = out / table
        parts = sorted(p for p in folder.iterdir() if _part_number(p.name) is not None)
        if not parts or table not in wanted:
            continue
        with _dataset_errors(out):
            found = pq.read_schema(parts[0])
        if found.names != wanted[table].names or found.types != wanted[table].types:
            missing = [c for c in wanted[table].names if c not in found.names]
            what = f"no column {', '.join(missing[:4])}" if missing else "other columns"
            raise InputError(
                f"{out} was written by another version of coordgeo bulk ({table} has "
                f"{what}): write the new run to another --out",
                path=str(out),
            )


def _current(out: Path) -> pd.DataFrame | None:
    """(path, sha256) of the latest record of each file, when a resume superseded some."""
    files = pq.read_table(out / "files", columns=["path", "sha256", "finished"]).to_pandas()
    if not files["path"].duplicated().any():
        return None
    latest = files.sort_values("finished", kind="stable").drop_duplicates("path", keep="last")
    return latest[["path", "sha256", "finished"]]


def _is_current(frame: pd.DataFrame, current: pd.DataFrame, table: str) -> np.ndarray:
    """Rows of the latest record of their file (``files``: path and time; others: content)."""
    on = ["path", "finished"] if table == "files" else ["path", "sha256"]
    keys = pd.MultiIndex.from_frame(current[on])
    return np.asarray(pd.MultiIndex.from_frame(frame[on]).isin(keys))


def load(
    out: str | os.PathLike,
    table: str = "sites",
    *,
    columns: Sequence[str] | None = None,
    filters: Any = None,
) -> pd.DataFrame:
    """One table of a bulk dataset as a DataFrame (``filters`` as in ``pandas.read_parquet``).

    When a resumed run redid a file (it had changed, or could not be read before),
    only its latest record is returned.
    """
    out = Path(out)
    if table not in TABLES:
        raise InputError(f"no table {table!r}; tables: {', '.join(TABLES)}")
    if not (out / table).is_dir():
        raise InputError(f"{out} is not a bulk dataset (no {table}/ folder)")
    cols = None if columns is None else list(dict.fromkeys([*columns]))
    need = None if cols is None else list(dict.fromkeys([*cols, "path", "sha256", "finished"]))
    if table != "files" and need is not None:
        need.remove("finished")
    with _dataset_errors(out):
        if cols is not None:
            import pyarrow.dataset as ds

            known = set(ds.dataset(out / table, format="parquet").schema.names)
            unknown = [c for c in cols if c not in known]
            if unknown:
                raise InputError(
                    f"no column {', '.join(unknown)} in {table} (all columns: --columns all)",
                    path=str(out),
                )
        frame = pd.read_parquet(out / table, columns=need, filters=filters)
        current = _current(out)
    if current is not None:
        frame = frame[_is_current(frame, current, table)]
    if cols is not None:
        frame = frame[cols]
    return frame.reset_index(drop=True)


def export_csv(out: str | os.PathLike, table: str, schema: pa.Schema | None = None) -> Path:
    """Write ``out/<table>.csv`` from the table's parts, one part in memory at a time."""
    import pyarrow.csv as pacsv

    out = Path(out)
    target = out / f"{table}.csv"
    tmp = out / f".{table}.csv.tmp"
    with _dataset_errors(out):
        current = _current(out)
        parts = sorted(p for p in (out / table).iterdir() if _part_number(p.name) is not None)
        if parts:
            schema = pq.read_schema(parts[0])
        if schema is None:
            raise InputError(f"{out / table} has no parts to export")
        with pacsv.CSVWriter(tmp, schema) as writer:
            for part in parts:
                data = pq.read_table(part)
                if current is not None:
                    data = data.filter(pa.array(_is_current(data.to_pandas(), current, table)))
                writer.write_table(data)
        os.replace(tmp, target)
    return target


def query(
    out: str | os.PathLike,
    *,
    metal: str | None = None,
    donors: str | None = None,
    d_mean: tuple[float, float] | None = None,
    spin_state: str | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Sites of a bulk dataset by metal element, donor set, ⟨M–L⟩ range (Å) and spin state.

    >>> query("out", metal="Fe", donors="N6", d_mean=(2.0, 2.1))  # doctest: +SKIP
    """
    filters: list[tuple] = []
    if metal:
        filters.append(("metal_element", "==", metal.capitalize()))
    if donors:
        filters.append(("donor_set", "==", donors))
    if d_mean is not None:
        lo, hi = d_mean
        filters += [("d_mean", ">=", float(lo)), ("d_mean", "<=", float(hi))]
    if spin_state:
        filters.append(("spin_state", "==", spin_state))
    return load(out, "sites", columns=columns, filters=filters or None)


def sigma_vs_d_figure(sites: pd.DataFrame, title: str = ""):
    """Σ against ⟨M–L⟩ (with su's as error bars), one colour per spin state: a Figure."""
    from coordgeo.figures import new_figure

    fig = new_figure(6.0, 4.5)
    ax = fig.add_subplot()
    states = sites["spin_state"].fillna("unknown") if "spin_state" in sites else None
    groups = sites.groupby(states, sort=True) if states is not None else [("sites", sites)]
    for state, group in groups:
        ax.errorbar(
            group["d_mean"],
            group["Sigma"],
            xerr=group.get("d_mean_su"),
            yerr=group.get("Sigma_su"),
            fmt="o",
            ms=4,
            elinewidth=0.8,
            alpha=0.8,
            label=f"{state} ({len(group)})",
        )
    ax.set_xlabel("⟨M–L⟩ / Å")
    ax.set_ylabel("Σ / °")
    if title:
        ax.set_title(title)
    ax.legend(title="spin state", fontsize="small")
    return fig
