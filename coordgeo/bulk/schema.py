"""What passes between the parts of a bulk run: the tables' Arrow schemas, the
``files`` row of an input, and the options and tasks sent to the workers."""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from coordgeo.coordination import DEFAULT_TOLERANCE
from coordgeo.errors import InputError
from coordgeo.shape import COMMON_SHAPES

TABLES = ("files", "blocks", "sites", "bonds", "hbonds", "contacts")

#: Shape measures computed in bulk: for each coordination number its common reference
#: polyhedra (OC-6 and TPR-6 for CN 6, so the Bailar path comes too), the ones
#: ``coordgeo octahedra`` shows. ``shapes="all"`` gives every polyhedron of
#: :func:`coordgeo.shape.shape_labels` instead.
BULK_SHAPES = COMMON_SHAPES


# --- schemas ------------------------------------------------------------------------------

_S, _F, _I, _B = pa.string(), pa.float64(), pa.int64(), pa.bool_()
_KEY = [("path", _S), ("sha256", _S)]

_FILES = [
    *_KEY,
    ("size", _I),
    ("status", _S),
    ("error_type", _S),
    ("error", _S),
    ("n_blocks", _I),
    ("n_blocks_ok", _I),
    ("n_sites", _I),
    ("n_hbonds", _I),
    ("seconds", _F),
    ("finished", pa.timestamp("us", tz="UTC")),
    ("run", _S),
    ("worker", _S),
]
_BLOCKS = [
    *_KEY,
    ("block", _S),
    ("status", _S),
    ("error_type", _S),
    ("error", _S),
    ("line", _I),
    ("n_atoms", _I),
    ("n_sites", _I),
    ("n_bonds", _I),
    ("n_hbonds", _I),
    ("space_group", _S),
    ("crystal_system", _S),
    ("a", _F),
    ("b", _F),
    ("c", _F),
    ("alpha", _F),
    ("beta", _F),
    ("gamma", _F),
    ("cell_volume", _F),
    ("temperature", _F),
    ("temperature_su", _F),
    ("formula_sum", _S),
    ("R1", _F),
    ("wR2", _F),
    ("ccdc", _S),
    ("cod", _S),
    ("notes", _S),
]
_BONDS = [
    *_KEY,
    ("block", _S),
    ("metal", _S),
    ("metal_element", _S),
    ("configuration", _S),
    ("donor", _S),
    ("donor_element", _S),
    ("symmetry_code", _S),
    ("distance", _F),
    ("distance_su", _F),
    ("occupancy", _F),
]
_HBONDS = [
    *_KEY,
    ("block", _S),
    ("donor", _S),
    ("hydrogen", _S),
    ("acceptor", _S),
    ("acceptor_code", _S),
    ("d_dh", _F),
    ("d_dh_su", _F),
    ("d_ha", _F),
    ("d_ha_su", _F),
    ("d_da", _F),
    ("d_da_su", _F),
    ("angle_dha", _F),
    ("angle_dha_su", _F),
    ("donor_code", _S),
    ("intramolecular", _B),
    ("riding", _B),
]


def _sites_fields(shapes: Sequence[str]) -> list[tuple[str, pa.DataType]]:
    """Columns of ``sites``: the key, then :func:`site_parameters`' columns, the
    descriptors, then spin: every column of :attr:`coordgeo.pipeline.Analysis.sites`
    (its ``element`` is ``metal_element``)."""
    from coordgeo.descriptors import SITE_COLUMNS
    from coordgeo.polyhedra import shape_column

    measured = ["d_mean", "zeta", "Delta", "Sigma", "Theta", "volume"]
    labels = list(dict.fromkeys(["OC-6", "TPR-6", *shapes]))  # always in site_parameters
    fields: list[tuple[str, pa.DataType]] = [
        *_KEY,
        ("block", _S),
        ("metal", _S),
        ("metal_element", _S),
        ("temperature", _F),
        ("coordination_number", _I),
        ("donors", _S),
        ("donor_set", _S),
    ]
    for name in measured + [shape_column(s) for s in labels]:
        fields += [(name, _F), (f"{name}_su", _F)]
    fields += [
        ("path_deviation_oc6_tpr6", _F),
        ("generalized_coordinate_oc6_tpr6", _F),
        ("trans_angle_1", _F),
        ("trans_angle_2", _F),
        ("trans_angle_3", _F),
        # τ4, τ4′, τ5, ⟨λ⟩, σ² (coordgeo.descriptors.SITE_COLUMNS), each with its su
        *((c, _F) for name in SITE_COLUMNS for c in (name, f"{name}_su")),
        ("configuration", _S),
        ("occupancy", _F),
        ("reason", _S),
        ("oxidation_state", _F),
        ("oxidation_state_source", _S),
        ("spin_state", _S),
        ("spin_confidence", _F),
        ("oxidation_state_bvs", _F),
        ("gamma_hs", _F),
        ("gamma_hs_basis", _S),
        ("oxidation_state_confidence", _F),
        ("oxidation_state_method", _S),
        ("bvs_ii", _F),
        ("bvs_iii", _F),
        ("spin_note", _S),
        ("reference", _S),
    ]
    return fields


def _contacts_fields() -> list[tuple[str, pa.DataType]]:
    """Columns of ``contacts``: the key, then :data:`coordgeo.contacts.ALL_COLUMNS`."""
    from coordgeo.contacts import ALL_COLUMNS, BOOL_COLUMNS, TEXT_COLUMNS

    kind = {**dict.fromkeys(TEXT_COLUMNS, _S), **dict.fromkeys(BOOL_COLUMNS, _B)}
    return [*_KEY, *((name, kind.get(name, _F)) for name in ALL_COLUMNS)]


def schemas(shapes: Sequence[str] = BULK_SHAPES) -> dict[str, pa.Schema]:
    """The Arrow schema of each table (``sites`` depends on the shape measures asked for)."""
    return {
        "files": pa.schema(_FILES),
        "blocks": pa.schema(_BLOCKS),
        "sites": pa.schema(_sites_fields(shapes)),
        "bonds": pa.schema(_BONDS),
        "hbonds": pa.schema(_HBONDS),
        "contacts": pa.schema(_contacts_fields()),
    }


# --- options and inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What every worker needs to analyse a file (picklable, sent with each task)."""

    tolerance: float = DEFAULT_TOLERANCE
    shapes: tuple[str, ...] = BULK_SHAPES
    timeout: float | None = None  # seconds per file (process engine only)
    max_size: int | None = None  # bytes; larger files are recorded as errors, not read
    run: str = ""

    @property
    def analysis(self):
        """The :class:`coordgeo.pipeline.Options` every block is analysed with."""
        from coordgeo.pipeline import Options as AnalysisOptions

        return AnalysisOptions(tolerance=self.tolerance, shapes=self.shapes)


@dataclass(frozen=True)
class Task:
    """One input file for a worker; ``expected`` is its recorded sha256 when resuming."""

    path: str
    size: int = -1
    expected: str | None = None
    data: bytes | None = None  # sent with the task (Dask without a shared filesystem)
    problem: tuple[str, str] | None = None  # why the client could not send the bytes


def now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def storable(path: str) -> str:
    """The path as valid UTF-8 text: undecodable bytes of a file name as ``\\xNN``."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def file_row(path: str, status: str, error_type: str | None, error: str | None) -> dict:
    return {
        "path": storable(path),
        "sha256": None,
        "size": None,
        "status": status,
        "error_type": error_type,
        "error": error,
        "n_blocks": 0,
        "n_blocks_ok": 0,
        "n_sites": 0,
        "n_hbonds": 0,
        "seconds": 0.0,
        "finished": now(),
        "run": "",
        "worker": worker_name(),
    }


def describe(exc: BaseException) -> tuple[str, str]:
    """(type, one-line message) of an exception; InputErrors without the path (a column)."""
    if isinstance(exc, InputError):
        where = f"line {exc.line}: " if exc.line else ""
        text = f"{where}{exc.message}"
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc) or repr(exc)
        # where it happened: the innermost frame inside coordgeo (for a bug report)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "coordgeo" in f.filename]
        if frames:
            text += f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})"
    kind = "InputError" if isinstance(exc, InputError) else type(exc).__name__
    return kind, storable(" ".join(text.split()))
