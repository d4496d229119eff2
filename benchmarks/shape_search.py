"""The alternating Hungarian/Kabsch pairing search of coordgeo.shape against exact references.

For seven and eight donors the reference is coordgeo's own exhaustive pairing enumeration
(``shape_measures(..., method="exhaustive")``); for nine donors it is cosymlib's
``Shape.measure`` with the central atom (``pip install cosymlib``). Test polyhedra are every
reference shape of the coordination number, scaled to 2 Å, with Gaussian noise of 0.05–3 Å on
the donors (a third of that on the centre), each measured against every shape of its
coordination number. Prints, per coordination number, how many measures the search got
higher than the reference (misses), lower (impossible for an exact reference), the largest
difference and the time per (site, shape).

    python benchmarks/shape_search.py [seed ...]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from coordgeo import shape as S


def run(seed: int) -> None:
    from cosymlib.shape import Shape

    rng = np.random.default_rng(seed)
    for n, trials in ((7, 150), (8, 150), (9, 60)):
        labels = S.shape_labels(n)
        missed = below = count = 0
        worst = 0.0
        seconds = 0.0
        for _ in range(trials):
            noise = rng.choice([0.05, 0.15, 0.3, 0.6, 1.0, 3.0])
            ideal = S.ideal_polyhedron(str(rng.choice(labels)))
            ligands = 2 * ideal.vertices + rng.normal(0, noise, (n, 3))
            center = rng.normal(0, noise / 3, 3)
            started = time.perf_counter()
            found = S.shape_measures(center, ligands, method="hungarian")
            seconds += time.perf_counter() - started
            if n <= 8:
                exact = S.shape_measures(center, ligands, method="exhaustive")
            else:
                points = np.vstack([ligands, center])
                exact = {lab: Shape(points).measure(lab, central_atom=n + 1) for lab in labels}
            for label in labels:
                difference = float(found[label]) - float(exact[label])
                count += 1
                missed += difference > 1e-4
                below += difference < -1e-4
                worst = max(worst, abs(difference))
        per = 1e3 * seconds / (trials * len(labels))
        print(
            f"seed {seed} CN {n}: {count} measures, {missed} missed, {below} below the "
            f"reference, largest difference {worst:.1e}, {per:.1f} ms per site and shape"
        )


if __name__ == "__main__":
    for seed in [int(a) for a in sys.argv[1:]] or [0, 1]:
        run(seed)
