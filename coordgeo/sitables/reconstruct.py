"""Reconstructing the coordination core a published table describes.

:func:`reconstruct_cores` / :func:`check_reconstruction` — the coordination core that
best fits the table: least squares over the Cartesian positions of the donors around the
metal, with the metal's site symmetry (from the legend) imposed; every distance and angle
row of the metal gets its reconstructed value and residual (calc − published)/su. The
fitted core is put in a canonical orientation (:func:`canonical_orientation`), so the same
table gives the same coordinates on every machine; :func:`coordgeo.sitables.corecif.write_core_cif`
writes it as a model CIF.

Rows that involve atoms beyond the first sphere (``C14-N3-Fe1``, ``Fe2-Fe1-Fe2A``) are
reported ``not-reconstructed``: such an atom would enter the fit as a free point that
reproduces any printed value exactly, so those rows carry no test. Which atoms are donors
and which legend operators are site symmetry is told in :mod:`coordgeo.sitables.spheres`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import gemmi
import numpy as np
import pandas as pd

from coordgeo.errors import InputError
from coordgeo.io.sitables import SITable, element_of_label
from coordgeo.model import orthogonalization_matrix
from coordgeo.sitables.spheres import (
    Image,
    Sphere,
    act,
    centred_images,
    column_rows,
    effective_su,
    geometry_rows,
    image_name,
    metal_spheres,
)
from coordgeo.symmetry import op_parts

__all__ = [
    "MODEL_EDGE",
    "CoreFit",
    "canonical_orientation",
    "check_reconstruction",
    "reconstruct_core",
    "reconstruct_cores",
]

MODEL_EDGE = 30.0  # Å, model-cell edge: copies of the core stay > 15 Å apart


@dataclass(frozen=True, eq=False)
class CoreFit:
    """A coordination core reconstructed from one column of a table.

    ``positions`` are Cartesian (Å) in the model cell's frame, relative to the metal, one
    row per entry of ``labels`` (the asymmetric donors; their site-symmetry images follow
    from ``site_ops``). ``rows`` has one row per distance/angle row of the metal:
    published value, reconstructed value, residual (calc − published)/su, redundancy
    (1 − leverage: the share of the row that other rows check; 0 for a row nothing else
    constrains), normalised residual (residual/√redundancy), status and note.
    """

    table: str
    source: str | None
    compound: str | None
    metal: str
    column: str
    temperature: float | None
    site_keys: tuple[str, ...]
    site_ops: tuple[str, ...]
    labels: tuple[str, ...]
    elements: tuple[str, ...]
    positions: np.ndarray
    cell: tuple[float, float, float, float, float, float]
    rows: pd.DataFrame
    chi2: float
    dof: int
    status: str
    note: str

    @property
    def p_value(self) -> float:
        """P(χ² ≥ observed) for ``dof`` degrees of freedom (nan when dof = 0)."""
        return _chi2_sf(self.chi2, self.dof) if self.dof > 0 else math.nan

    def __repr__(self) -> str:
        return (
            f"CoreFit({self.table} {self.metal} {self.column}: χ² = {self.chi2:.3g} for "
            f"{self.dof} dof, {self.status})"
        )


def _model_metric(site_ops: Sequence[gemmi.Op]) -> tuple[float, float, float, float, float, float]:
    """Cell parameters (edges ≥ MODEL_EDGE) of a lattice the site operations are isometries of.

    The metric is the group average G = Σ Rᵀ R of the identity metric, which every R keeps.
    """
    rotations = [op_parts(op)[0] for op in site_ops]
    metric = sum(r.T @ r for r in rotations) / len(rotations)
    edges = np.sqrt(np.diag(metric))
    scale = MODEL_EDGE / edges.min()
    a, b, c = edges * scale
    cosines = [
        metric[1, 2] / (edges[1] * edges[2]),
        metric[0, 2] / (edges[0] * edges[2]),
        metric[0, 1] / (edges[0] * edges[1]),
    ]
    alpha, beta, gamma = (math.degrees(math.acos(max(-1.0, min(1.0, x)))) for x in cosines)
    return (float(a), float(b), float(c), round(alpha, 6), round(beta, 6), round(gamma, 6))


def _chi2_sf(chi2: float, dof: int) -> float:
    """P(χ² ≥ chi2) for dof degrees of freedom (scipy imported on first use: slow to load)."""
    from scipy.special import chdtrc

    return float(chdtrc(dof, chi2))


@dataclass(frozen=True)
class _Observation:
    """One distance or angle row of the metal: the donor images it names (one for a
    distance, the two ends of an angle), the printed value and its su."""

    index: int
    kind: str
    images: tuple[Image, ...]
    value: float
    su: float


@dataclass(frozen=True, eq=False)
class _CoreModel:
    """The least-squares model of a core: every donor image is R_g · x_k, the free point
    x_k of its orbit moved by a site operation g (Cartesian, relative to the metal), so the
    site symmetry holds exactly; residuals are (calc − published)/su of the rows.

    ``image_point``/``image_rot`` give, per image, its orbit and R_g; ``first``/``second``
    the images of each row (the same image twice for a distance).
    """

    image_point: np.ndarray
    image_rot: np.ndarray
    is_distance: np.ndarray
    first: np.ndarray
    second: np.ndarray
    published: np.ndarray
    sus: np.ndarray

    @classmethod
    def build(
        cls,
        observations: Sequence[_Observation],
        representative: Mapping[Image, tuple[int, str]],
        cart: Mapping[str, np.ndarray],
    ) -> _CoreModel:
        """The model of the observations, every image R_g·x_k with g's Cartesian matrix
        ``cart[g]`` and (k, g) from ``representative``."""
        images = list(representative)
        slot = {im: i for i, im in enumerate(images)}
        return cls(
            image_point=np.array([representative[im][0] for im in images]),
            image_rot=np.array([cart[representative[im][1]] for im in images]),
            is_distance=np.array([o.kind == "distance" for o in observations]),
            first=np.array([slot[o.images[0]] for o in observations]),
            second=np.array([slot[o.images[-1]] for o in observations]),
            published=np.array([o.value for o in observations]),
            sus=np.array([o.su for o in observations]),
        )

    def positions(self, p: np.ndarray) -> np.ndarray:
        """Every image's position for the parameters p (the free points, flattened)."""
        return np.einsum("nij,nj->ni", self.image_rot, p.reshape(-1, 3)[self.image_point])

    def _vectors(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        pos = self.positions(p)
        u, v = pos[self.first], pos[self.second]
        nu, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
        cosine = np.clip(np.einsum("ni,ni->n", u, v) / (nu * nv), -1.0, 1.0)
        return u, v, nu, nv, cosine

    def residuals(self, p: np.ndarray) -> np.ndarray:
        """(calc − published)/su: |u| for a distance, ∠(u, v) in degrees for an angle."""
        _, _, nu, _, cosine = self._vectors(p)
        calc = np.where(self.is_distance, nu, np.degrees(np.arccos(cosine)))
        return (calc - self.published) / self.sus

    def jacobian(self, p: np.ndarray) -> np.ndarray:
        """d residual / d p, analytic.

        d|u|/du = u/|u|;  dθ/du = −(v/(|u||v|) − cos θ·u/|u|²)/sin θ (in degrees), and
        through the image d(R·x)/dx = R, so the gradient on x is Rᵀ·grad.
        """
        u, v, nu, nv, cosine = self._vectors(p)
        sine = np.maximum(np.sqrt(1.0 - cosine**2), 1e-9)
        scale = np.degrees(-1.0 / sine)[:, None]
        distance = self.is_distance[:, None]
        d_u = np.where(
            distance,
            u / nu[:, None],
            scale * (v / (nu * nv)[:, None] - cosine[:, None] * u / (nu**2)[:, None]),
        )
        d_v = np.where(
            distance, 0.0, scale * (u / (nu * nv)[:, None] - cosine[:, None] * v / (nv**2)[:, None])
        )
        jac = np.zeros((len(self.published), p.size))
        rows = np.arange(len(self.published))
        for which, grad in ((self.first, d_u), (self.second, d_v)):
            back = np.einsum("nji,nj->ni", self.image_rot[which], grad)
            for axis in range(3):
                np.add.at(jac, (rows, 3 * self.image_point[which] + axis), back[:, axis])
        return jac / self.sus[:, None]


def reconstruct_core(
    table: SITable, metal: str, column: str, *, starts: int = 32, seed: int = 0
) -> CoreFit:
    """Least-squares coordination core of ``metal`` from one column of a geometry table.

    Parameters are the Cartesian positions (relative to the metal) of one donor per orbit
    of the site group; the others are their images, so the site symmetry holds exactly
    (Fe1 on the 2-fold axis of ``-x+1,y,-z+1/2``: N1A = 2_y(N1)). Residuals are
    (calc − published)/su for every M–L distance and L–M–L angle row of the metal
    (su = half a unit of the last digit when none is printed). The best of ``starts``
    random starts (fixed ``seed``) is kept and put in the canonical orientation of
    :func:`canonical_orientation`: distances and angles fix a core only up to the
    orthogonal maps that commute with the site group (any rotation about a 2-fold axis,
    and mirror images), and without a rule which of those equal fits comes out would
    depend on the start and on the numpy/scipy version. Degrees of freedom = rows − rank
    of the Jacobian (rotations that commute with the site group are not parameters).
    Raises InputError when the metal has no such rows in that column.
    """
    sphere = _sphere_of(table, metal, column)
    cell = _model_metric(sphere.site_ops)
    ortho = orthogonalization_matrix(cell)
    cart = {op.triplet(): ortho @ op_parts(op)[0] @ np.linalg.inv(ortho) for op in sphere.site_ops}
    labels, representative = _donor_orbits(sphere)
    data = column_rows(table, column, sphere.rows)
    observations = _observations(data, metal, table.operators)
    if not observations:
        raise InputError(
            f"{table.name} has no rows around {metal} in column {column!r}", path=table.source
        )
    model = _CoreModel.build(observations, representative, cart)
    distance_of = {o.images[0]: o.value for o in observations if o.kind == "distance"}
    # a printed distance that is none (0, -2.08, 1e300) cannot start a donor: 2 Å does
    radii = [distance_of.get(donor, 2.0) for donor in labels]
    radii = [r if 0.0 < r < 100.0 else 2.0 for r in radii]
    try:
        points = _best_fit(model, radii, starts, seed).reshape(-1, 3)
    except ValueError as exc:  # scipy: residuals not finite at the start (values ~1e308)
        raise InputError(
            f"{table.name}, column {column!r}: the rows around {metal} give no finite "
            f"core fit ({exc})",
            path=table.source,
        ) from None
    x = (points @ canonical_orientation(points, list(cart.values())).T).ravel()
    r = model.residuals(x)
    rank, redundancy = _rank_and_redundancy(model.jacobian(x))
    chi2 = float(np.sum(r**2))
    dof = len(observations) - rank
    rows = _fit_rows(data, observations, r, redundancy, metal, column)
    status, note = _verdict(rows, chi2, dof)
    return CoreFit(
        table=table.name,
        source=table.source,
        compound=table.compound,
        metal=metal,
        column=column,
        temperature=table.temperatures[table.columns.index(column)],
        site_keys=sphere.site_keys,
        site_ops=tuple(op.triplet() for op in sphere.site_ops),
        labels=tuple(image_name(im, table.operators) for im in labels),
        elements=tuple(element_of_label(im[0]) or "X" for im in labels),
        positions=x.reshape(-1, 3),
        cell=cell,
        rows=rows,
        chi2=chi2,
        dof=dof,
        status=status,
        note=note,
    )


def _sphere_of(table: SITable, metal: str, column: str) -> Sphere:
    """The metal's sphere, or InputError when the table cannot give a core of it."""
    if table.kind != "geometry":
        raise InputError(f"{table.name} is not a table of distances and angles", path=table.source)
    sphere = metal_spheres(table).get(metal)
    if sphere is None or not sphere.rows:
        raise InputError(
            f"{table.name} has no distance or angle rows around {metal}", path=table.source
        )
    if column not in table.columns:
        raise InputError(f"{table.name} has no column {column!r}", path=table.source)
    return sphere


def _donor_orbits(sphere: Sphere) -> tuple[list[Image], dict[Image, tuple[int, str]]]:
    """One representative per donor orbit of the site group (in the sphere's donor order),
    and for every donor image its (orbit, site operation) from the representative."""
    representative: dict[Image, tuple[int, str]] = {}
    labels: list[Image] = []
    for donor in sphere.donors:
        if donor in representative:
            continue
        labels.append(donor)
        for g in sphere.site_ops:
            representative.setdefault(act(g, donor), (len(labels) - 1, g.triplet()))
    return labels, representative


def _observations(
    data: pd.DataFrame, metal: str, ops: Mapping[str, gemmi.Op]
) -> list[_Observation]:
    """The metal's distance and angle rows of one column as observations."""
    found = []
    for index, row in data.iterrows():
        images = centred_images(row, metal, ops)
        assert images is not None
        others = (images[1],) if row["kind"] == "distance" else (images[0], images[2])
        su = effective_su(row["published_su"], row["text"])
        found.append(_Observation(index, row["kind"], others, float(row["published"]), su))
    return found


def _best_fit(model: _CoreModel, radii: Sequence[float], starts: int, seed: int) -> np.ndarray:
    """The lowest-cost of ``starts`` least-squares fits from random directions (fixed seed),
    each donor started at its published distance (2 Å when none is printed)."""
    from scipy.optimize import least_squares  # imported here: slow, and only fits need it

    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        directions = rng.normal(size=(len(radii), 3))
        start = directions / np.linalg.norm(directions, axis=1)[:, None] * np.array(radii)[:, None]
        fit = least_squares(
            model.residuals, start.ravel(), jac=model.jacobian, method="trf", xtol=1e-12, ftol=1e-12
        )
        if best is None or fit.cost < best.cost - 1e-12:
            best = fit
    assert best is not None
    return best.x


def _rank_and_redundancy(jacobian: np.ndarray) -> tuple[int, np.ndarray]:
    """Rank of the Jacobian (singular values above 1e-6 of the largest; rotations that
    commute with the site group are not counted) and each row's redundancy 1 − leverage,
    the share of it that other rows check (Σ redundancy = rows − rank = dof)."""
    u, singular, _ = np.linalg.svd(jacobian, full_matrices=False)
    rank = int(np.sum(singular > 1e-6 * singular[0])) if singular.size else 0
    return rank, np.clip(1.0 - np.sum(u[:, :rank] ** 2, axis=1), 0.0, 1.0)


def _fit_rows(
    data: pd.DataFrame,
    observations: Sequence[_Observation],
    residuals: np.ndarray,
    redundancy: np.ndarray,
    metal: str,
    column: str,
) -> pd.DataFrame:
    """One row per observation: published and reconstructed value, residual, redundancy,
    normalised residual, status (ok ≤ 2 su < warning ≤ 3 su < inconsistent) and note."""
    records = []
    for o, res, red in zip(observations, residuals, redundancy, strict=True):
        row = data.loc[o.index]
        normalised = res / math.sqrt(red) if red > 1e-6 else math.nan
        status = "ok" if abs(res) <= 2 else ("warning" if abs(res) <= 3 else "inconsistent")
        if red < 0.01 and abs(res) < 0.01:
            note = "reproduced exactly: no other row constrains it"
        else:
            note = f"{res:+.2f} su ({red:.0%} checked by other rows)"
        records.append(
            {
                "row": int(row["row"]),
                "label": row["label"],
                "column": column,
                "kind": o.kind,
                "metal": metal,
                "published": o.value,
                "published_su": row["published_su"],
                "calculated": o.value + res * o.su,
                "residual": float(res),
                "redundancy": float(red),
                "normalised_residual": float(normalised),
                "status": status,
                "note": note,
            }
        )
    return pd.DataFrame.from_records(records, index=[o.index for o in observations])


def _verdict(rows: pd.DataFrame, chi2: float, dof: int) -> tuple[str, str]:
    """Status and note of a whole fit: inconsistent when a row is beyond 3 su or
    P(χ²) < 0.001 (naming the row with the largest normalised residual), warning when a
    row is beyond 2 su, else ok."""
    p_value = _chi2_sf(chi2, dof) if dof > 0 else math.nan
    if (rows["status"] == "inconsistent").any() or (dof > 0 and p_value < 1e-3):
        # the outlier test statistic; a row nothing else checks can still be impossible
        score = rows["normalised_residual"].abs().fillna(rows["residual"].abs())
        suspect = rows.loc[score.idxmax()]
        return "inconsistent", (
            f"the rows cannot all hold: χ² = {chi2:.1f} for {dof} dof (p = {p_value:.1g}); "
            f"most likely misprinted: {suspect['label']} ({suspect['residual']:+.1f} su)"
        )
    if (rows["status"] == "warning").any():
        worst = rows.loc[rows["residual"].abs().idxmax()]
        return "warning", (
            f"χ² = {chi2:.2f} for {dof} dof; "
            f"largest residual {worst['label']} {worst['residual']:+.1f} su"
        )
    if dof > 0:
        return "ok", (
            f"all rows reproduced within 2 su: χ² = {chi2:.2f} for {dof} dof (p = {p_value:.2f})"
        )
    return "ok", "all rows reproduced, but the table does not over-determine the core (0 dof)"


_GAUGE_TOL = 1e-3  # Å: a component smaller than this counts as zero when orienting a core


def canonical_orientation(points: np.ndarray, rotations: Sequence[np.ndarray]) -> np.ndarray:
    """The orthogonal Q that puts a fitted core into its canonical orientation.

    ``points`` are the donors' free points (Cartesian, relative to the metal, in a fixed
    order); ``rotations`` the Cartesian matrices of the site group. Distances and angles
    are kept by every orthogonal Q, and the site symmetry by those that commute with the
    site group, so the fit fixes the core only up to such a Q. The space splits into
    blocks Q acts on independently (:func:`_gauge_blocks`); in each block the first point
    with a non-zero component fixes the free rotation and later points the free
    reflections:

    * no site symmetry, or only the inversion: the first donor along +x, the next one
      not on that line in the xy plane with y > 0, the next one off that plane at z > 0;
    * one 2-, 3-, 4- or 6-fold axis (``2``, ``m``, ``2/m``, ``3``, ``-3``, ``4``, …): the
      first donor off the axis in the half-plane of the axis and the block's first basis
      vector; with a 2-fold axis (where reflections across that half-plane commute too)
      the next donor on the positive side of it; the first donor off the plane
      perpendicular to the axis on its positive side;
    * several axes: only sign changes remain, each fixed by the first non-zero component.

    Applied to every image (Q commutes with the site group), ``Q @ p``.
    """
    q = np.zeros((3, 3))
    for basis, freedom in _gauge_blocks(rotations):
        coordinates = points @ basis.T
        q += basis.T @ _block_frame(coordinates, freedom) @ basis
    return q


def _gauge_blocks(rotations: Sequence[np.ndarray]) -> list[tuple[np.ndarray, str]]:
    """Orthonormal bases (rows) of the subspaces the orthogonal maps commuting with the
    site group act on independently, and how they act: ``O3``, ``O2``, ``SO2`` or ``sign``.

    Read off the axes of the proper parts det(R)·R of the site operations: none (the
    group is 1 or -1): all of O(3); one axis a of order n: ±1 along a and, in the plane
    ⊥ a, O(2) for n = 2 (the group acts there as ±1) or the rotations SO(2) for n ≥ 3;
    several axes of order 2 (222, mm2, mmm): ±1 along each; a principal axis of order
    ≥ 3 with 2-folds ⊥ it (32, 3m, 422, …): ±1 along it and ±1 on its plane; more than
    one axis of order ≥ 3 (cubic groups): ±1 only.
    """
    axes: list[tuple[np.ndarray, int]] = []
    for r in rotations:
        proper = r * np.sign(np.linalg.det(r))
        if np.allclose(proper, np.eye(3), atol=1e-8):
            continue
        axis = _signed(np.linalg.svd(proper - np.eye(3))[2][-1])
        order = round(2 * math.pi / math.acos(max(-1.0, min(1.0, (np.trace(proper) - 1) / 2))))
        for k, (known, n) in enumerate(axes):
            if abs(abs(float(known @ axis)) - 1.0) < 1e-6:
                axes[k] = (known, max(n, order))
                break
        else:
            axes.append((axis, order))
    if not axes:
        return [(np.eye(3), "O3")]
    principal = [(a, n) for a, n in axes if n >= 3]
    if len(axes) == 1:
        a, n = axes[0]
        return [(a[None, :], "sign"), (_plane_basis(a), "O2" if n == 2 else "SO2")]
    if not principal:  # three perpendicular 2-fold axes
        first, second = axes[0][0], axes[1][0]
        third = _signed(np.cross(first, second))
        return [(v[None, :], "sign") for v in (first, second, third)]
    if len(principal) == 1:
        a = principal[0][0]
        return [(a[None, :], "sign"), (_plane_basis(a), "sign")]
    return [(np.eye(3), "sign")]


def _signed(vector: np.ndarray) -> np.ndarray:
    """The unit vector along ``vector`` whose first non-zero component is positive."""
    vector = vector / np.linalg.norm(vector)
    first = vector[np.flatnonzero(np.abs(vector) > 1e-6)[0]]
    return vector if first > 0 else -vector


def _plane_basis(axis: np.ndarray) -> np.ndarray:
    """Rows f1, f2 spanning the plane ⊥ ``axis``: f1 the projection of the Cartesian axis
    (x, y or z, in that order of preference) most nearly in the plane, f2 = axis × f1."""
    unit = np.eye(3)[int(np.argmin(np.round(np.abs(axis), 9)))]
    f1 = unit - (unit @ axis) * axis
    f1 /= np.linalg.norm(f1)
    return np.array([f1, np.cross(axis, f1)])


def _block_frame(coordinates: np.ndarray, freedom: str) -> np.ndarray:
    """The orthogonal matrix (k × k) that puts the points' coordinates in one block into
    canonical orientation (see :func:`canonical_orientation`)."""
    k = coordinates.shape[1]
    if freedom == "sign":
        significant = coordinates.ravel()[np.abs(coordinates.ravel()) > _GAUGE_TOL]
        return np.eye(k) * (-1.0 if len(significant) and significant[0] < 0 else 1.0)
    frame = []
    for c in coordinates:  # Gram–Schmidt over the points, in order
        rest = c - sum((c @ e) * e for e in frame)
        if np.linalg.norm(rest) > _GAUGE_TOL:
            frame.append(rest / np.linalg.norm(rest))
        if len(frame) == k - 1:
            break
    if not frame:
        return np.eye(k)
    if len(frame) < k - 1:  # all the points on one line: any perpendicular will do
        frame.append(_plane_basis(frame[0])[0])
    last = np.array([-frame[0][1], frame[0][0]]) if k == 2 else np.cross(frame[0], frame[1])
    if freedom != "SO2":  # reflections commute too: the first point off the plane decides
        off = coordinates @ last
        significant = off[np.abs(off) > _GAUGE_TOL]
        if len(significant) and significant[0] < 0:
            last = -last
    return np.array([*frame, last])


def reconstruct_cores(table: SITable) -> list[CoreFit]:
    """Fits for every metal with at least one L–M–L angle row, for every column."""
    if table.kind != "geometry":
        return []
    fits = []
    for metal, sphere in metal_spheres(table).items():
        if not sphere.has_angles:
            continue
        for column in table.columns:
            if len(column_rows(table, column, sphere.rows)):
                fits.append(reconstruct_core(table, metal, column))
    return fits


def check_reconstruction(table: SITable, fits: Sequence[CoreFit] | None = None) -> pd.DataFrame:
    """Every geometry row of the table: its reconstructed value and residual, or the
    reason it is ``not-reconstructed``."""
    columns = [
        "row", "label", "column", "kind", "metal", "published", "published_su", "calculated",
        "residual", "redundancy", "normalised_residual", "status", "note",
    ]  # fmt: skip
    if table.kind != "geometry":
        return pd.DataFrame(columns=columns)
    fits = reconstruct_cores(table) if fits is None else fits
    spheres = metal_spheres(table)
    done = {index: f for fit in fits for index, f in fit.rows.iterrows()}
    ops = table.operators
    records = []
    for index, row in geometry_rows(table).iterrows():
        if index in done:
            records.append(done[index].to_dict())
            continue
        records.append(
            {
                "row": int(row["row"]),
                "label": row["label"],
                "column": row["column"],
                "kind": row["kind"],
                "metal": "",
                "published": row["published"],
                "published_su": row["published_su"],
                "calculated": math.nan,
                "residual": math.nan,
                "redundancy": math.nan,
                "normalised_residual": math.nan,
                "status": "not-reconstructed",
                "note": _why_not(row, spheres, ops),
            }
        )
    return pd.DataFrame.from_records(records, columns=columns, index=geometry_rows(table).index)


def _why_not(row: pd.Series, spheres: Mapping[str, Sphere], ops: Mapping[str, gemmi.Op]) -> str:
    atoms = row["atoms"]
    metals = [a for a in atoms if a in spheres]
    if not metals:
        return "no metal in the row: not part of a coordination core"
    if row["kind"] == "distance" and atoms[0] == atoms[1]:
        return f"names {atoms[0]} twice (see the label check): a zero distance"
    for metal in metals:
        sphere = spheres[metal]
        images = centred_images(row, metal, ops)
        if images is None:
            continue
        outside = [im for im in images if im[0] != metal and im not in sphere.donors]
        if row["kind"] == "distance" and outside:
            return (
                f"{image_name(outside[0], ops)} at {row['published']:g} Å is beyond the "
                f"{metal} coordination sphere"
            )
        if outside:
            names = ", ".join(sorted({image_name(im, ops) for im in outside}))
            return (
                f"not a donor of {metal}: {names} (no short {metal}–X row); as a free point it "
                "would fit any value, so the row carries no test"
            )
        if not sphere.has_angles:
            return (
                f"{metal} has no angle rows: any set of {metal}–L distances can be realised, "
                "nothing to reconstruct"
            )
    vertex = atoms[1] if row["kind"] == "angle" else ""
    return (
        f"angle at {vertex}, outside the coordination sphere of {', '.join(metals)}: it needs "
        "a second-sphere atom, which as a free point would fit any value"
        if vertex
        else "not a metal–donor row"
    )
