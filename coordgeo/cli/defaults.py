"""Default values the command-line options show in ``--help``, without importing numpy,
pandas or the analysis modules that define them.

Typer reads every option's default when the commands are registered, that is for
``coordgeo --help`` too; importing :mod:`coordgeo.coordination` or :mod:`coordgeo.contacts`
for four numbers would load numpy, pandas and gemmi before anything is asked. Each value is
the one of the module named beside it, and ``tests/test_startup.py`` checks that they are
equal, so a default changed there and not here fails the tests.
"""

from __future__ import annotations

#: :data:`coordgeo.coordination.DEFAULT_TOLERANCE` (Å added to the sum of covalent radii)
TOLERANCE = 0.45
#: :data:`coordgeo.hbonds.DEFAULT_HA_MARGIN` (Å below the sum of van der Waals radii)
HA_MARGIN = 0.0
#: :data:`coordgeo.hbonds.DEFAULT_MIN_ANGLE` (degrees, D–H···A)
MIN_ANGLE = 100.0
#: :data:`coordgeo.contacts.DEFAULT_MAX_CG_CG` (Å)
MAX_CG_CG = 4.0
#: :data:`coordgeo.contacts.DEFAULT_MAX_ALPHA` (degrees)
MAX_ALPHA = 30.0
#: :data:`coordgeo.contacts.DEFAULT_MAX_BETA` (degrees)
MAX_BETA = 60.0
#: :data:`coordgeo.contacts.DEFAULT_MAX_H_CG` (Å)
MAX_H_CG = 3.0
#: :data:`coordgeo.contacts.DEFAULT_MAX_GAMMA` (degrees)
MAX_GAMMA = 30.0
#: :data:`coordgeo.contacts.DEFAULT_MIN_XH_CG_ANGLE` (degrees)
MIN_XH_CG_ANGLE = 100.0
#: :data:`coordgeo.contacts.DEFAULT_DA_MARGIN` (Å)
DA_MARGIN = 0.0
#: :data:`coordgeo.rings.DEFAULT_PLANARITY` (Å)
PLANARITY = 0.10

#: option default → (module, name) it copies; what tests/test_startup.py compares.
SOURCES = {
    "TOLERANCE": ("coordgeo.coordination", "DEFAULT_TOLERANCE"),
    "HA_MARGIN": ("coordgeo.hbonds", "DEFAULT_HA_MARGIN"),
    "MIN_ANGLE": ("coordgeo.hbonds", "DEFAULT_MIN_ANGLE"),
    "MAX_CG_CG": ("coordgeo.contacts", "DEFAULT_MAX_CG_CG"),
    "MAX_ALPHA": ("coordgeo.contacts", "DEFAULT_MAX_ALPHA"),
    "MAX_BETA": ("coordgeo.contacts", "DEFAULT_MAX_BETA"),
    "MAX_H_CG": ("coordgeo.contacts", "DEFAULT_MAX_H_CG"),
    "MAX_GAMMA": ("coordgeo.contacts", "DEFAULT_MAX_GAMMA"),
    "MIN_XH_CG_ANGLE": ("coordgeo.contacts", "DEFAULT_MIN_XH_CG_ANGLE"),
    "DA_MARGIN": ("coordgeo.contacts", "DEFAULT_DA_MARGIN"),
    "PLANARITY": ("coordgeo.rings", "DEFAULT_PLANARITY"),
}
