"""`coordgeo validate` on SI tables it has never seen, printed from the published CIFs.

For every CIF of ../shared/cifs/published (and the spin-crossover file), the metal's
rows of the authors' own ``_geom_bond``/``_geom_angle`` loops and the ``_geom_hbond``
rows are printed in the layouts of ``tests/support/si_layouts.py`` (tab, pipe and
space-aligned columns; letters, ``#1``, roman, primes, ``$1``; several legend and
operator styles), written to a temporary folder and validated against the CIF. An
untouched table must come out ``ok`` row for row (``not-checked`` counts apart); then
one value moved by 10 su, one legend operator shifted by a lattice vector and one given
an impossible 1/3 must each flag exactly their rows. The no-CIF self-check runs on each
table too (its ``invalid``/``inconsistent`` findings are counted).

    PYTHONPATH=. python3 benchmarks/validate_layouts.py [--limit N] [--style NAME] [-v]

Prints per layout family: tables, values, ok rate, and each non-ok value with its note.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import gemmi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from coordgeo.errors import InputError  # noqa: E402
from coordgeo.io.cif import read_cif  # noqa: E402
from coordgeo.io.sitables import read_si_tables  # noqa: E402
from coordgeo.sitables import check_tables, validate_document  # noqa: E402

from support.si_layouts import (  # noqa: E402
    STYLES,
    alter_legend,
    alter_value,
    hbond_rows,
    metal_rows,
    render,
    series_rows,
    symmetry_operators,
)

SHARED = ROOT.parent / "shared"


def cif_files() -> list[Path]:
    files = sorted((SHARED / "cifs" / "published").glob("*.cif"))
    return files + sorted((SHARED / "cifs" / "spin-crossover").glob("*.cif"))


def column_name(style, structure) -> str:
    if style.header == "temperature" and structure.temperature:
        return f"{structure.temperature:g} K"
    if style.header == "name":
        return "1"
    return "value"


def statuses(frame) -> collections.Counter:
    return collections.Counter(frame["status"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--style", action="append")
    parser.add_argument("--match", default="")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--no-mutations", action="store_true")
    parser.add_argument("--no-selfcheck", action="store_true")
    parser.add_argument("--rotate", type=int, default=0, help="styles per CIF, in turn")
    args = parser.parse_args()
    styles = {k: v for k, v in STYLES.items() if not args.style or k in args.style}
    files = [f for f in cif_files() if args.match in f.name]
    if args.limit:
        files = files[: args.limit]
    tally: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    problems: dict[str, list[str]] = collections.defaultdict(list)
    tmp = Path(tempfile.mkdtemp(prefix="si_layouts_"))
    for index, path in enumerate(files):
        try:
            structures = read_cif(path)
            doc = gemmi.cif.read(str(path))
        except (InputError, RuntimeError, ValueError) as exc:
            problems["(cif)"].append(f"{path.name}: {exc}")
            continue
        for block, structure in _pairs(doc, structures):
            ops = symmetry_operators(block)
            if not ops:
                continue
            _, rows = metal_rows(block)
            hb = hbond_rows(block)
            jobs = []
            names = list(styles)
            if args.rotate:  # N styles per CIF, in turn, so every style meets every kind
                names = [names[(index * args.rotate + j) % len(names)] for j in range(args.rotate)]
            for name in names:
                if rows:
                    jobs.append((name, styles[name], rows))
            hbond_styles = ["seed000-tsv", "pipe-primes", "spaces-pairs-roman", "tsv-paren-roman"]
            if hb:
                for name in hbond_styles if not args.rotate else [hbond_styles[index % 4]]:
                    jobs.append((name + "+hbond", STYLES[name], hb))
            for name, style, chosen in jobs:
                family = name
                column = column_name(style, structure)
                try:
                    printed = render(chosen, ops, style, columns=(column,))
                except (ValueError, KeyError, IndexError, RuntimeError) as exc:
                    problems[family].append(f"{path.name}: generator: {exc!r}")
                    continue
                file = tmp / f"{path.stem}_{block.name}_{name}.txt"
                file.write_text(printed.text, encoding="utf-8")
                where = f"{path.name}:{block.name} [{name}]"
                try:
                    tables = read_si_tables(file)
                    frame = validate_document(tables, [structure])
                except InputError as exc:
                    tally[family]["input-error"] += 1
                    problems[family].append(f"{where}: InputError {exc}")
                    continue
                expected = sum(len(cells[column]) for _, _, cells, _ in printed.rows)
                tally[family]["tables"] += 1
                tally[family]["expected"] += expected
                tally[family]["values"] += len(frame)
                if len(frame) != expected:
                    tally[family]["lost"] += expected - len(frame)
                    got = set(frame["label"]) if len(frame) else set()
                    missing = [lab for lab, *_ in printed.rows if lab not in got]
                    problems[family].append(
                        f"{where}: {len(frame)} values for {expected} printed; "
                        f"labels not read: {missing[:4]} tables={len(tables)}"
                    )
                for status, n in statuses(frame).items():
                    tally[family][status] += n
                for r in frame[~frame["status"].isin(["ok"])].itertuples():
                    problems[family].append(
                        f"{where}: {r.label} [{r.column}] {r.published} {r.status}: {r.note}"
                    )
                if not args.no_selfcheck:
                    found = check_tables(tables)
                    bad = found[found["status"].isin(["invalid", "inconsistent"])]
                    tally[family]["selfcheck-bad"] += len(bad)
                    for r in bad.itertuples():
                        problems[family + " selfcheck"].append(
                            f"{where}: {r.check} {r.subject} {r.status}: {r.note}"
                        )
                if args.no_mutations or set(frame["status"]) - {"ok", "not-checked"}:
                    continue
                _mutations(printed, structure, file, family, where, tally, problems)
    if not args.match or "qsal" in args.match:
        _multi_columns(tmp, tally, problems)
    for family, counts in tally.items():
        ok = counts["ok"]
        values = counts["values"] or 1
        print(
            f"{family:32s} tables {counts['tables']:4d} values {counts['values']:5d}"
            f" (printed {counts['expected']}) ok {ok / values:6.1%} "
            + " ".join(
                f"{k}={v}"
                for k, v in sorted(counts.items())
                if k not in ("tables", "values", "expected", "ok")
            )
        )
    if args.verbose:
        for family, lines in problems.items():
            print(f"\n== {family}: {len(lines)}")
            for line in lines[:400]:
                print("  " + line)
    return 0


def _multi_columns(tmp, tally, problems) -> None:
    """One column per temperature (the three data blocks of the spin-crossover CIF, in
    the order of the file and shuffled), and one per compound (``1``, ``1·MeOH``: two
    copies of one CIF, paired in the order given)."""
    path = next((SHARED / "cifs" / "spin-crossover").glob("*.cif"))
    doc = gemmi.cif.read(str(path))
    structures = read_cif(path)
    blocks = list(doc)
    ops = symmetry_operators(blocks[0])
    rows, per_block = series_rows(blocks)
    names = [f"{s.temperature:g}(2) K" for s in structures]
    for family, order, style in (
        ("columns-temperature", [0, 1, 2], STYLES["seed000-tsv"]),
        ("columns-temperature", [2, 0, 1], STYLES["spaces-letters"]),
        ("columns-temperature", [1, 2, 0], STYLES["pipe-seed003"]),
        ("columns-compound", [0, 0], STYLES["tsv-sharp-shelxl"]),
    ):
        if family == "columns-compound":
            cols = ["1", "1·MeOH"]
            given = [structures[0], structures[0]]
        else:
            cols = [names[k] for k in order]
            given = structures
        from dataclasses import replace

        style = replace(style, header="temperature", pairs=1)
        printed = render(rows, ops, style, columns=cols, values=[per_block[k] for k in order])
        file = tmp / f"multi_{family}_{'_'.join(map(str, order))}.txt"
        file.write_text(printed.text, encoding="utf-8")
        counts = tally[family]
        try:
            frame = validate_document(read_si_tables(file), given)
        except InputError as exc:
            counts["input-error"] += 1
            problems[family].append(f"{file.name}: InputError {exc}")
            continue
        counts["tables"] += 1
        counts["expected"] += len(rows) * len(cols)
        counts["values"] += len(frame)
        for status, n in statuses(frame).items():
            counts[status] += n
        wrong = frame[
            frame["block"]
            != frame["column"].map(
                {c: structures[k].block for c, k in zip(cols, order, strict=True)}
            )
        ]
        counts["wrong-block"] += len(wrong)
        for r in frame[frame["status"] != "ok"].itertuples():
            problems[family].append(f"{file.name}: {r.label} [{r.column}] {r.status}: {r.note}")


def _pairs(doc, structures):
    by_name = {s.block: s for s in structures} if structures else {}
    for block in doc:
        s = by_name.get(block.name)
        if s is not None:
            yield block, s


def _mutations(printed, structure, file, family, where, tally, problems) -> None:
    def run(text: str, tag: str):
        f = file.with_name(file.stem + f"_{tag}.txt")
        f.write_text(text, encoding="utf-8")
        frame = validate_document(read_si_tables(f), [structure])
        return frame[frame["status"] != "ok"]

    changed = alter_value(printed)
    if changed:
        bad = run(changed[0], "value")
        got = {(r.label, r.status) for r in bad.itertuples()}
        want = {(changed[1], "mismatch")}
        kind = "mut-value"
        tally[family][
            kind + ("-ok" if got == want or _hbond_value(got, changed[1]) else "-bad")
        ] += 1
        if not (got == want or _hbond_value(got, changed[1])):
            problems[family].append(f"{where}: altered value {changed[1]}: flagged {sorted(got)}")
    lengths = structure.cell.parameters[:3]
    k = max(range(3), key=lambda i: lengths[i])
    shift = tuple(gemmi.Op.DEN if i == k else 0 for i in range(3))
    for tag, move, status in (("shift", shift, "not-a-contact"),
                              ("third", (0, 0, gemmi.Op.DEN // 3), "code-invalid")):  # fmt: skip
        changed = alter_legend(printed, move)
        if not changed:
            continue
        key = changed[1]
        bad = run(changed[0], tag)
        got = {(r.label, r.status) for r in bad.itertuples()}
        want = {(label, status) for label, used, *_ in printed.rows if key in used}
        ok = got == want
        tally[family][f"mut-{tag}-{'ok' if ok else 'bad'}"] += 1
        if not ok:
            problems[family].append(
                f"{where}: {tag} {key}: extra {sorted(got - want)[:3]}"
                f" missed {sorted(want - got)[:3]}"
            )


def _hbond_value(got, label) -> bool:
    return got == {(label, "mismatch")}


if __name__ == "__main__":
    raise SystemExit(main())
