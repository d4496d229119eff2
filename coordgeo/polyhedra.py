"""Per-site table of a coordination polyhedron: distortion and shape parameters with su's.

This is where the array functions of :mod:`coordgeo.distortion` and
:mod:`coordgeo.shape` meet the crystal: each coordination sphere from
:mod:`coordgeo.coordination` gives the Cartesian positions of the metal and
its donors, every parameter is evaluated on them, and its su is propagated
from the coordinate and cell su's through its analytic Jacobian with respect
to those positions (:func:`coordgeo.distortion.distortion_jacobians`, the
closed-form CShM gradient of :func:`coordgeo.shape.cshm_gradient` at the
pairings that can be the best, :func:`coordgeo.geometry.su_from_gradients`;
linearisation, like the bond and angle su's). Where a parameter has a kink
(|90° − φ| at an angle of exactly 90°, two pairings tied by symmetry) the
derivative is the central difference over ±:data:`~coordgeo.geometry.FINITE_DIFFERENCE_STEP`
of the linearised branches, which is what the finite differences of the
displaced copies used before gave. One vectorised call per coordination
number (in chunks of :data:`_CHUNK` spheres) evaluates all spheres.

Columns of :func:`site_parameters` (one row per sphere), in this order:
``block, metal, coordination_number, donors, d_mean, d_mean_su, zeta,
zeta_su, Delta, Delta_su, Sigma, Sigma_su, Theta, Theta_su, volume,
cshm_oc6, cshm_tpr6``, then ``volume_su, cshm_oc6_su, cshm_tpr6_su``, the
other shape measures of the site's coordination number (``cshm_hp6``,
``cshm_t4`` …, each with ``_su``), ``path_deviation_oc6_tpr6`` and
``generalized_coordinate_oc6_tpr6`` (percent, Cirera/Ruiz/Alvarez 2005),
``trans_angle_1..3`` (ascending), ``donor_set`` (``N4O2``),
``configuration`` (disorder groups), ``occupancy``, ``reason`` (which
parameters are undefined for this coordination number, and why).
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from coordgeo import distortion, shape
from coordgeo.coordination import DEFAULT_TOLERANCE, Sphere, coordination_spheres, donor_labels
from coordgeo.geometry import FINITE_DIFFERENCE_STEP, image_fract, su_from_gradients
from coordgeo.model import Structure

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (start-up time)
    import pandas as pd

CONTRACT_COLUMNS = [
    "block",
    "metal",
    "coordination_number",
    "donors",
    "d_mean",
    "d_mean_su",
    "zeta",
    "zeta_su",
    "Delta",
    "Delta_su",
    "Sigma",
    "Sigma_su",
    "Theta",
    "Theta_su",
    "volume",
    "cshm_oc6",
    "cshm_tpr6",
]
_DISTORTION = [("d_mean", "d_mean"), ("zeta", "zeta"), ("delta", "Delta"), ("sigma", "Sigma"),
               ("theta", "Theta"), ("volume", "volume")]  # fmt: skip


def shape_column(label: str) -> str:
    """``OC-6`` → ``cshm_oc6``."""
    return "cshm_" + label.lower().replace("-", "")


def donor_set(structure: Structure, sphere: Sphere) -> str:
    """Donor atoms as a formula, heaviest-first by convention of the field: ``N4O2``, ``N6``."""
    return _donor_formula(tuple(structure.elements[a.site] for a in sphere.donors))


@functools.lru_cache(maxsize=4096)
def _donor_formula(elements: tuple[str, ...]) -> str:
    """:func:`donor_set` of donors with these elements (kept: a batch has few donor sets,
    and counting them per sphere was most of the site table's per-sphere columns)."""
    counts = Counter(elements)
    return "".join(f"{el}{n if n > 1 else ''}" for el, n in sorted(counts.items()))


def _evaluator(n: int, shapes: tuple[str, ...], path: bool):
    """func(x (..., n+1, 3)) → (..., q) with every parameter of a sphere of n donors."""

    def func(x: np.ndarray) -> np.ndarray:
        center, ligands = x[..., 0, :], x[..., 1:, :]
        params = distortion.distortion_parameters(center, ligands)
        cols = [params[name] for name, _ in _DISTORTION]
        if shapes:
            measures = shape.shape_measures(center, ligands, shapes)
            cols.extend(measures[label] for label in shapes)
            if path:
                cols.extend(_path_columns(measures))
        return np.stack(cols, axis=-1)

    return func


@functools.cache
def _bailar_angle() -> float:
    """θ_AB of the OC-6 → TPR-6 path: arcsin(√S_TPR-6(ideal OC-6)/10), radians."""
    return np.arcsin(np.sqrt(shape.cshm(*_ideal("OC-6"), "TPR-6")) / 10.0)


def _path_columns(measures: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Path deviation and generalised coordinate (percent) along OC-6 → TPR-6."""
    a, b = measures["OC-6"], measures["TPR-6"]
    total = np.arcsin(np.sqrt(a) / 10.0) + np.arcsin(np.sqrt(b) / 10.0)
    theta_ab = _bailar_angle()
    return [100.0 * (total / theta_ab - 1.0), 100.0 * np.arcsin(np.sqrt(a) / 10.0) / theta_ab]


def _ideal(label: str) -> tuple[np.ndarray, np.ndarray]:
    p = shape.ideal_polyhedron(label)
    return p.center, p.vertices


def _near_tie_gradients(
    q: np.ndarray, norm2: np.ndarray, references: list[np.ndarray], step: float
) -> np.ndarray:
    """∂S/∂x (k, L, N+1, 3), centre first, of L shape measures from their candidate fits.

    ``q`` (k, N+1, 3) are the centred problems (donors, then the centre), ``references``
    one (k, w, N+1, 3) array per shape: the ideal points of every pairing that can be
    the best one within ``step`` Å of each problem
    (:func:`coordgeo.shape.shape_measures_with_copies` chooses the same ones). For each
    candidate, pairing π with its optimal orthogonal R, the closed form of
    :func:`coordgeo.shape.cshm_gradient`,

        ∂S/∂qₖ = (200 ν / N²) · (ν q′ₖ / N² − R p′_π(k)),

    and the same for R′ = V·diag(1, 1, −1)·Uᵀ (ν′ = σ₁ + σ₂ − σ₃: the other branch of
    the nuclear norm where H is nearly singular). S is the minimum of these smooth
    candidates; each coordinate's derivative is the central difference of that minimum
    over ±``step`` of the linearised candidates,
    (min_c(S_c + δ g_c) − min_c(S_c − δ g_c)) / 2δ, which is the gradient of the best
    candidate unless another one is within δ|g| of it (two non-equivalent pairings tied
    by the site's symmetry): there, as finite differences of the measure did, the
    derivative of the kink's two sides are averaged. The candidates of all shapes go
    through one SVD and one set of products; each shape's minima are taken over its own
    candidates (min is exact, so the numbers are those of one shape at a time).
    """
    widths = [r.shape[1] for r in references]
    starts = np.cumsum([0, *widths[:-1]])
    refs = np.concatenate(references, axis=1) if len(references) > 1 else references[0]
    h = np.einsum("kwpa,kpb->kwab", refs, q)  # Σ p qᵀ over the paired points
    u, sv, vt = np.linalg.svd(h)
    n2 = norm2[:, None]
    half = []  # the rotations R, then the reflections R′
    for nu, rot in (
        (sv.sum(axis=-1), vt.swapaxes(-1, -2) @ u.swapaxes(-1, -2)),
        (sv[..., 0] + sv[..., 1] - sv[..., 2],
         vt.swapaxes(-1, -2) @ (u * np.array([1.0, 1.0, -1.0])).swapaxes(-1, -2)),
    ):  # fmt: skip
        measure = 100.0 * (1.0 - nu * nu / n2)  # (k, W)
        scale = (200.0 * nu / n2)[..., None, None]
        g = scale * (nu[..., None, None] * q[:, None] / n2[..., None, None]
                     - refs @ rot.swapaxes(-1, -2))  # fmt: skip
        half.append((measure, g))
    best = np.minimum(*(np.minimum.reduceat(m, starts, axis=1) for m, _ in half))  # (k, L)
    best = np.repeat(best, widths, axis=1)[..., None, None]

    def lowest(sign: float) -> np.ndarray:
        """min over each shape's candidates of S_c − S_best ± δ g_c: (k, L, N+1, 3)."""
        return np.minimum(
            *(np.minimum.reduceat((m[..., None, None] - best) + sign * step * g, starts, axis=1)
              for m, g in half)
        )  # fmt: skip

    grad = (lowest(1.0) - lowest(-1.0)) / (2.0 * step)
    return np.concatenate([grad[:, :, -1:], grad[:, :, :-1]], axis=2)  # centre first


def _shape_columns(
    center: np.ndarray, ligands: np.ndarray, labels: tuple[str, ...], step: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Shape measures {label: (k,)} and their gradients {label: (k, N+1, 3)} of k spheres.

    The values and the candidate pairings are those of
    :func:`coordgeo.shape.shape_candidates`; the gradients come from the closed form at
    each candidate (:func:`_near_tie_gradients`).
    """
    values, candidates = shape.shape_candidates(center, ligands, labels, step)
    x = np.concatenate([ligands, center[:, None]], axis=1)  # donors, then the centre
    q = x - x.mean(axis=1, keepdims=True)
    norm2 = (q * q).sum(axis=(1, 2))
    good = (norm2 > 0) & np.isfinite(norm2)
    grad = np.full((len(q), len(labels), ligands.shape[1] + 1, 3), np.nan)
    if good.any():
        every = good.all()
        with np.errstate(invalid="ignore", divide="ignore"):
            found = _near_tie_gradients(
                q if every else q[good],
                norm2 if every else norm2[good],
                [candidates[label] if every else candidates[label][good] for label in labels],
                step,
            )
        grad[good] = found
    return values, {label: grad[:, j] for j, label in enumerate(labels)}


def _evaluate(
    x: np.ndarray, shapes: tuple[str, ...], path: bool
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Every parameter of k spheres of one size (Cartesian x (k, n + 1, 3), metal first),
    whatever structures they come from: values (k, p); the Jacobians (k, n + 1, 3, q) of the
    first q of them (those with an su); trans angles (k, 3); the volume's Jacobian
    (k, n + 1, 3), for ⟨λ⟩ of :mod:`coordgeo.descriptors`.

    The Jacobians are analytic (:func:`coordgeo.distortion.distortion_jacobians`,
    :func:`coordgeo.shape.cshm_gradient`): what central differences with
    :data:`~coordgeo.geometry.FINITE_DIFFERENCE_STEP` gave before, without the 6(n + 1)
    displaced copies of each polyhedron. Each sphere's numbers are its own whatever the
    others (per-row arithmetic), so the spheres of a whole bulk batch go through one call.
    """
    center, ligands = x[:, 0, :], x[:, 1:, :]
    params, jac = distortion.distortion_jacobians(center, ligands, kink_step=FINITE_DIFFERENCE_STEP)
    cols = [params[name] for name, _ in _DISTORTION]
    grads = [jac[name] for name, _ in _DISTORTION]
    if shapes:
        measures, gradients = _shape_columns(center, ligands, shapes, FINITE_DIFFERENCE_STEP)
        cols.extend(measures[label] for label in shapes)
        grads.extend(gradients[label] for label in shapes)
        if path:
            cols.extend(_path_columns(measures))
    return (np.stack(cols, axis=-1), np.stack(grads, axis=-1), len(grads),
            params["trans_angles"], jac["volume"])  # fmt: skip


def _sus(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    fract: np.ndarray,
    values: np.ndarray,
    grads: np.ndarray,
    q: int,
) -> np.ndarray:
    """su's (k, p) of the values (k, p) of :func:`_evaluate` of k spheres of one structure,
    from the coordinate and cell su's through the Jacobians
    (:func:`coordgeo.geometry.su_from_gradients`, :data:`_CHUNK` spheres at a time); NaN
    for the columns without one."""
    sus = np.concatenate(
        [
            su_from_gradients(
                structure,
                sites[c : c + _CHUNK],
                ops[c : c + _CHUNK],
                fract[c : c + _CHUNK],
                values[c : c + _CHUNK, :q],
                grads[c : c + _CHUNK],
            )
            for c in range(0, len(values), _CHUNK)
        ]
    )
    return np.concatenate([sus, np.full((len(values), values.shape[1] - q), np.nan)], axis=1)


#: Spheres per vectorised evaluation: bounds the memory of the Θ Jacobian (~7 kB a
#: sphere) and of the hull search (:func:`coordgeo.distortion.polyhedron_volume`, linear
#: in the number of spheres).
_CHUNK = 512


def site_parameters(
    structure: Structure,
    spheres: list[Sphere] | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    shapes: str | tuple[str, ...] = "all",
) -> pd.DataFrame:
    """Distortion and shape parameters, with su's, of every coordination sphere.

    ``shapes`` is ``"all"`` (every ideal polyhedron of the site's
    coordination number) or a tuple of labels such as ``("OC-6", "TPR-6")``;
    shapes of another coordination number are ignored for a site.
    See the module docstring for the columns.
    """
    import pandas as pd

    if spheres is None:
        spheres = coordination_spheres(structure, tolerance)
    if len(spheres) == 0:
        empty = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su",
                 "donor_set", "configuration", "occupancy", "reason"]  # fmt: skip
        return pd.DataFrame({c: np.zeros(0) for c in empty}, index=pd.RangeIndex(0))
    return pd.DataFrame(site_columns(structure, spheres, shapes))


def site_columns(
    structure: Structure,
    spheres: list[Sphere],
    shapes: str | tuple[str, ...] = "all",
    volumes: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, list | np.ndarray]:
    """The columns of :func:`site_parameters` (at least one sphere), in order: what the
    pipeline extends with descriptors and spin states before it makes one DataFrame.

    ``volumes``, when given, receives for each coordination number n the hull volumes
    (k_n,) and their Jacobians (k_n, n + 1, 3) of its spheres, in sphere order: the
    ``volume`` argument of :func:`coordgeo.descriptors.site_descriptors`, which then
    finds no hull again. :func:`site_columns_of` with one structure.
    """
    return site_columns_of([(structure, spheres)], shapes, [volumes])[0]


def site_columns_of(
    jobs: list[tuple[Structure, list[Sphere]]],
    shapes: str | tuple[str, ...] = "all",
    volumes: list[dict | None] | None = None,
    points: list[dict | None] | None = None,
) -> list[dict[str, list | np.ndarray]]:
    """:func:`site_columns` of several structures (each with at least one sphere), one list
    of columns per structure: the spheres of one coordination number of all of them go
    through one vectorised evaluation (:func:`_evaluate`, in chunks of :data:`_CHUNK`
    spheres) and only the su's (which need each structure's su's) are per structure.

    A bulk worker measures the sites of a whole batch of files this way: a few numpy calls
    per coordination number instead of per structure. ``volumes`` (one dict or None per
    structure) as for :func:`site_columns`. ``points`` (one dict or None per structure),
    when given, receives for each coordination number n the sites, operators,
    fractional and Cartesian coordinates (metal first) of the structure's spheres of n
    donors, in sphere order: the positions :func:`coordgeo.descriptors.site_descriptors_of`
    would otherwise work out again.
    """
    volumes = volumes or [None] * len(jobs)
    points = points or [None] * len(jobs)
    shapes = shapes if isinstance(shapes, str) else tuple(shapes)  # a key of the caches below
    # per structure: its columns in order of first appearance (as rows would give), and its
    # spheres of each size (rows, sites, operators, shifts)
    tables: list[dict] = []
    groups: dict[int, list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
    for j, (structure, spheres) in enumerate(jobs):
        k = len(spheres)
        by_n: dict[int, list[int]] = {}
        for i, sp in enumerate(spheres):
            by_n.setdefault(sp.coordination_number, []).append(i)
        order: dict[str, int] = {}  # the structure's columns in order of first appearance
        for n, members in by_n.items():
            if n == 0:
                continue
            for name in _value_and_su_columns(n, shapes):
                order.setdefault(name, len(order))
            ident = structure.identity_op
            group = [spheres[i] for i in members]
            sites = np.array([[sp.metal] + [a.site for a in sp.donors] for sp in group])
            ops = np.array([[ident] + [a.code.op for a in sp.donors] for sp in group])
            shifts = np.array(
                [[(0, 0, 0)] + [a.code.shift for a in sp.donors] for sp in group], dtype=float
            )
            groups.setdefault(n, []).append((j, np.asarray(members), sites, ops, shifts))
        # every column a row of one NaN block: one allocation per structure, and the values
        # of a group of spheres go in with one assignment
        block = np.full((len(order), k), np.nan)
        tables.append((dict(zip(order, block, strict=True)), block, order))
    for n, parts in groups.items():
        wanted, path, names = _columns_of(n, shapes)
        fracts = [image_fract(jobs[j][0], sites, ops, shifts) for j, _, sites, ops, shifts in parts]
        xs = [
            f @ jobs[j][0].cell.orthogonalization.T
            for f, (j, *_) in zip(fracts, parts, strict=True)
        ]
        for f, xj, (j, _, sites, ops, _) in zip(fracts, xs, parts, strict=True):
            if points[j] is not None:
                points[j][n] = (sites, ops, f, xj)
        x = np.concatenate(xs)
        evaluated = []
        for lo in range(0, len(x), _CHUNK):
            with np.errstate(invalid="ignore", divide="ignore"):
                evaluated.append(_evaluate(x[lo : lo + _CHUNK], wanted, path))
        values, grads, trans, d_volume = (
            np.concatenate([e[i] for e in evaluated]) if len(evaluated) > 1 else evaluated[0][i]
            for i in (0, 1, 3, 4)
        )
        q = evaluated[0][2]
        with_su = [c for c, name in enumerate(names) if not name.startswith(_NO_SU)]
        lo = 0
        for f, (j, rows, sites, ops, _) in zip(fracts, parts, strict=True):
            part = slice(lo, lo + len(rows))
            lo += len(rows)
            with np.errstate(invalid="ignore", divide="ignore"):
                sus = _sus(jobs[j][0], sites, ops, f, values[part], grads[part], q)
            columns, block, order = tables[j]
            block[np.ix_([order[name] for name in names], rows)] = values[part].T
            su_rows = [order[f"{names[c]}_su"] for c in with_su]
            block[np.ix_(su_rows, rows)] = sus[:, with_su].T
            if n == 6:
                trans_rows = [order[f"trans_angle_{t + 1}"] for t in range(3)]
                block[np.ix_(trans_rows, rows)] = trans[part].T
            if volumes[j] is not None:
                volumes[j][n] = (columns["volume"][rows], d_volume[part])
    return [
        _ordered(structure, spheres, columns)
        for (structure, spheres), (columns, _, _) in zip(jobs, tables, strict=True)
    ]


# columns without an su: the OC-6 → TPR-6 path's
_NO_SU = ("path_", "generalized_")


@functools.lru_cache(maxsize=64)
def _value_and_su_columns(n: int, shapes: str | tuple[str, ...]) -> tuple[str, ...]:
    """The columns of :func:`site_columns_of` for n donors in their order: each value
    of :func:`_columns_of` followed by its su (the path's have none), then the trans
    angles of an octahedron."""
    _, _, names = _columns_of(n, shapes)
    out = []
    for name in names:
        out.append(name)
        if not name.startswith(_NO_SU):
            out.append(f"{name}_su")
    if n == 6:
        out += [f"trans_angle_{t + 1}" for t in range(3)]
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _columns_of(
    n: int, shapes: str | tuple[str, ...]
) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """The shapes measured for n donors, whether the OC-6 → TPR-6 path is, and the value
    columns of :func:`_evaluate` in order (cached: asked per coordination number of every
    bulk batch)."""
    available = shape.shape_labels(n)
    wanted = available if shapes == "all" else tuple(s for s in shapes if s in available)
    path = "OC-6" in wanted and "TPR-6" in wanted
    names = [col for _, col in _DISTORTION] + [shape_column(s) for s in wanted]
    if path:
        names += ["path_deviation_oc6_tpr6", "generalized_coordinate_oc6_tpr6"]
    return wanted, path, tuple(names)


def _ordered(structure: Structure, spheres: list[Sphere], columns: dict) -> dict:
    """A structure's columns of :func:`site_columns` in their order, with the per-sphere ones."""
    k = len(spheres)
    labels = structure.labels
    base: dict[str, list] = {
        "block": [structure.block] * k,
        "metal": [labels[sp.metal] for sp in spheres],
        "coordination_number": [sp.coordination_number for sp in spheres],
        "donors": [" ".join(donor_labels(structure, sp)) for sp in spheres],
        "donor_set": [donor_set(structure, sp) for sp in spheres],
        "configuration": [sp.configuration for sp in spheres],
        "occupancy": [sp.occupancy for sp in spheres],
        "reason": [distortion.undefined_reason(sp.coordination_number) for sp in spheres],
    }
    ordered = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su"]
    tail = ["donor_set", "configuration", "occupancy", "reason"]
    middle = [c for c in columns if c not in ordered]
    data = {**base, **columns}
    return {c: data[c] if c in data else np.full(k, np.nan) for c in [*ordered, *middle, *tail]}


def _positions(structure: Structure, sites, ops, shifts) -> tuple[np.ndarray, np.ndarray]:
    x = image_fract(structure, sites, ops, shifts) @ structure.cell.orthogonalization.T
    return x[:, 0, :], x[:, 1:, :]


def xyz_parameters(polyhedra, shapes: str | tuple[str, ...] = "all") -> pd.DataFrame:
    """The same table for polyhedra read from xyz files (:func:`coordgeo.io.xyz.read_xyz`).

    xyz coordinates carry no su's, so every ``_su`` column is empty; ``block``
    holds the file name and molecule title, ``donors`` element+index labels
    (``N2`` = atom 2 of the molecule, 1-based, as OctaDist numbers them).
    """
    import pandas as pd

    rows = []
    shapes = shapes if isinstance(shapes, str) else tuple(shapes)
    for p in polyhedra:
        n = p.n
        wanted, path, names = _columns_of(n, shapes)
        x = np.vstack([p.center[None], p.ligands])
        with np.errstate(invalid="ignore", divide="ignore"):
            values = _evaluator(n, wanted, path)(x)
        row = {
            "block": f"{p.path}:{p.title}" if p.title else p.path,
            "metal": f"{p.metal}{p.metal_index + 1}",
            "coordination_number": n,
            "donors": " ".join(
                f"{el}{i + 1}" for el, i in zip(p.ligand_elements, p.ligand_indices, strict=True)
            ),
            "donor_set": "".join(
                f"{el}{c if c > 1 else ''}" for el, c in sorted(Counter(p.ligand_elements).items())
            ),
            "configuration": "",
            "occupancy": 1.0,
            "reason": distortion.undefined_reason(n),
        }
        row.update({name: float(v) for name, v in zip(names, values, strict=True)})
        row.update(
            {f"{name}_su": np.nan for name in names if not name.startswith(("path_", "gen"))}
        )
        if n == 6:
            trans = distortion.trans_angles(p.center, p.ligands)
            row.update({f"trans_angle_{t + 1}": float(trans[t]) for t in range(3)})
        rows.append(row)
    frame = pd.DataFrame(rows)
    ordered = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su"]
    tail = ["donor_set", "configuration", "occupancy", "reason"]
    middle = [c for c in frame.columns if c not in ordered and c not in tail]
    return frame.reindex(columns=[*ordered, *middle, *tail])
