"""Run every funnelc benchmark and print one table: `python benchmarks/run.py [--only AREA]`.

Registry: every `benchmarks/bench_<area>.py` is a benchmark module; it exposes
`run() -> list[harness.Result]`. Dropping the file in is the registration, so several
people can add benchmarks without editing a shared list. Exit status 1 when any target
is missed or a module fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import Result  # noqa: E402  (needs the path above)


def areas() -> list[str]:
    """Benchmark areas in name order: `bench_cli.py` → `cli`."""
    return sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))


def run_area(area: str) -> list[Result]:
    module = importlib.import_module(f"bench_{area}")
    results = module.run()
    for r in results:
        if not isinstance(r, Result):
            raise TypeError(f"bench_{area}.run() returned {type(r).__name__}, not Result")
    return list(results)


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def render(rows: list[tuple[str, Result]]) -> str:
    header = ("area", "benchmark", "value", "reference", "ratio", "target", "")
    table = [header]
    for area, r in rows:
        if r.target is None:
            target, status = "-", "info"
        else:
            target = f"{'>=' if r.higher_is_better else '<='} {_fmt(r.target)} {r.unit}"
            status = "ok" if r.passed else "MISSED"
        table.append((area, r.name, f"{_fmt(r.value)} {r.unit}",
                      f"{_fmt(r.reference)} {r.unit} ({r.reference_name})", f"{r.ratio:.2f}x",
                      target, status))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.name}: {r.note}" for _, r in rows if r.note]
    if notes:
        lines += ["", "notes:"] + notes
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", metavar="AREA", action="append",
                    help="run only this area (repeatable); areas: " + ", ".join(areas()))
    ap.add_argument("--list", action="store_true", help="list the areas and exit")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(areas()))
        return 0
    selected = areas()
    if args.only:
        unknown = [a for a in args.only if a.removeprefix("bench_") not in selected]
        if unknown:
            ap.error(f"no benchmark area {', '.join(unknown)}; known: {', '.join(selected)}")
        selected = [a.removeprefix("bench_") for a in args.only]

    rows: list[tuple[str, Result]] = []
    failed_areas: list[str] = []
    for area in selected:
        start = time.perf_counter()
        print(f"running {area} …", file=sys.stderr, flush=True)
        try:
            results = run_area(area)
        except Exception:  # noqa: BLE001 - one broken module must not hide the others
            traceback.print_exc()
            failed_areas.append(area)
            continue
        rows.extend((area, r) for r in results)
        print(f"  {area}: {len(results)} results in {time.perf_counter() - start:.1f} s",
              file=sys.stderr, flush=True)

    print(render(rows))
    missed = [r.name for _, r in rows if not r.passed]
    if missed or failed_areas:
        print()
        if missed:
            print(f"missed targets: {', '.join(missed)}")
        if failed_areas:
            print(f"failed to run: {', '.join(failed_areas)}")
        return 1
    print(f"\nall {len(rows)} benchmarks met their targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
