"""Published supporting-information (SI) tables: checked on their own, turned back into
coordination cores, and validated against the CIFs they were made from.

The tables are read by :func:`coordgeo.io.sitables.read_si_tables` (the input layer);
this package does the rest, one job a module:

==========================================  ================================================
:mod:`~coordgeo.sitables.operators`         symmetry-code legends: is each operator a
                                            crystallographic operation, and if not, which
                                            one was meant (:func:`check_operator`)
:mod:`~coordgeo.sitables.spheres`           the coordination spheres a table describes:
                                            site symmetry of each metal, its donors
:mod:`~coordgeo.sitables.selfcheck`         a table checked on its own (:func:`check_table`):
                                            labels, duplicates, angles, H-bonds, T½ = ΔH/ΔS
:mod:`~coordgeo.sitables.reconstruct`       the core that best fits a table
                                            (:func:`reconstruct_core`), in a canonical
                                            orientation, and every row's residual
:mod:`~coordgeo.sitables.corecif`           a fitted core as a model CIF
                                            (:func:`write_core_cif`)
:mod:`~coordgeo.sitables.columns`           which structure each value column is checked
                                            against (:func:`match_columns`)
:mod:`~coordgeo.sitables.labels`            which sites a printed label names
:mod:`~coordgeo.sitables.resolve`           one printed row onto atoms and symmetry images
:mod:`~coordgeo.sitables.validate`          a table against CIFs, row by row
                                            (:func:`validate_table`, :func:`check_tables`)
==========================================  ================================================
"""

from coordgeo.sitables.columns import (
    COMPOUND_SHARE,
    TEMPERATURE_TOLERANCE,
    ColumnMatch,
    match_columns,
    select_columns,
    select_tables,
    wanted_columns,
)
from coordgeo.sitables.corecif import write_core_cif
from coordgeo.sitables.operators import (
    OperatorCheck,
    check_legend,
    check_operator,
    compatible_settings,
    describe_operation,
    format_operator,
    reference_operations,
)
from coordgeo.sitables.reconstruct import (
    CoreFit,
    canonical_orientation,
    check_reconstruction,
    reconstruct_core,
    reconstruct_cores,
)
from coordgeo.sitables.resolve import CONTACT_MARGIN, LONG_CONTACT
from coordgeo.sitables.selfcheck import (
    check_coordination,
    check_duplicates,
    check_hbonds,
    check_labels,
    check_table,
    check_thermo,
)
from coordgeo.sitables.validate import (
    COLUMNS,
    EXTRA_COLUMNS,
    FINDING_COLUMNS,
    STATUSES,
    check_tables,
    failed,
    validate_document,
    validate_matches,
    validate_table,
)

__all__ = [
    "COLUMNS",
    "COMPOUND_SHARE",
    "CONTACT_MARGIN",
    "EXTRA_COLUMNS",
    "FINDING_COLUMNS",
    "LONG_CONTACT",
    "STATUSES",
    "TEMPERATURE_TOLERANCE",
    "ColumnMatch",
    "CoreFit",
    "OperatorCheck",
    "canonical_orientation",
    "check_coordination",
    "check_duplicates",
    "check_hbonds",
    "check_labels",
    "check_legend",
    "check_operator",
    "check_reconstruction",
    "check_table",
    "check_tables",
    "check_thermo",
    "compatible_settings",
    "describe_operation",
    "failed",
    "format_operator",
    "match_columns",
    "reconstruct_core",
    "reconstruct_cores",
    "reference_operations",
    "select_columns",
    "select_tables",
    "validate_document",
    "validate_matches",
    "validate_table",
    "wanted_columns",
    "write_core_cif",
]
