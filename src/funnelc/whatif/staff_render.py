"""What `staff` prints and writes: the staffing curve as a table with the answer and how
sure it is (rich), the JSON of the search, the curve as CSV, and its plot. Team names and
targets are shown as written (`termtext.plain`), never read as rich markup."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import csvsafe
from ..csvsafe import Figure
from ..jsontypes import JSON, JSONObject
from ..termtext import plain
from .service import StaffResult
from .staffing import StaffingResult
from .targets import Target

__all__ = ["staff_text", "staff_json", "staff_csv", "save_staff_plot"]


def _shown(t: Target, x: float | None) -> float | None:
    return None if x is None else x * t.scale


def staff_json(outcome: StaffResult) -> JSONObject:
    """The answer, the exact start, the search's cost and the curve in display units
    (schema `staff.schema.json`)."""
    result, reps = outcome.staffing, outcome.run.reps
    curve: list[JSON] = [{
        "size": ev.size, "replications": len(ev.reps), "meets_all": ev.meets_all,
        "notes": list(ev.notes),
        "targets": [{"target": t.text.strip(), "value": _shown(t, e.mean),
                     "ci95": _shown(t, e.ci95), "n": e.n, "meets": ok, "sure": sure,
                     "exact": _shown(t, x)}
                    for t, e, ok, sure, x in zip(result.targets, ev.estimates, ev.meets,
                                                 ev.sure, ev.exact)]}
        for ev in result.curve]
    return {
        "file": outcome.run.file, "team": result.team,
        "targets": [t.text.strip() for t in result.targets],
        "answer": result.answer, "best": result.best, "max_size": result.limit,
        "confidence": result.confidence, "confidence_text": result.confidence_text,
        "exact": {"model": result.exact_model, "start": result.start.start,
                  "search_started_at": result.started_at,
                  "why": result.start.why, "answers": list(result.start.answers)},
        "search": {"sizes": list(result.search_sizes),
                   "replications": result.search_replications,
                   "scan_to_answer_replications": (result.answer or result.limit) * reps,
                   "scan_to_limit_replications": result.limit * reps},
        "run": outcome.run.to_json(with_file=False),
        "structural_graveyards": list(result.structural),
        "curve": curve,
    }


def _figure(x: float | None) -> str:
    """A number cell of the CSV (a `csvsafe.Figure`: never prefixed, negative or not)."""
    return Figure("" if x is None else repr(x))


def staff_csv(outcome: StaffResult) -> str:
    """The staffing curve as CSV: one row per size and target."""
    result = outcome.staffing
    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(["size", "target", "value", "ci95", "n", "meets", "sure", "exact"])
    for ev in result.curve:
        for t, e, ok, sure, x in zip(result.targets, ev.estimates, ev.meets, ev.sure,
                                     ev.exact):
            w.writerow([ev.size, t.text.strip(), _figure(_shown(t, e.mean)),
                        _figure(_shown(t, e.ci95)), e.n, int(ok), int(sure),
                        _figure(_shown(t, x))])
    return buf.getvalue()


def _verdict(result: StaffingResult) -> Text:
    """The answer and whether the exact model agrees, or the best size and what it
    still misses."""
    if result.answer is not None:
        exact = [a for a in result.start.answers if a is not None]
        agree = ""
        if exact:
            e = max(exact)
            agree = f"; {result.exact_model} says {e}, " + (
                "simulation agrees" if e == result.answer else
                "simulation finds otherwise (the other targets or the simulated details "
                "decide)")
        return plain(f"smallest size of `{result.team}` meeting every target: "
                     f"{result.answer}{agree}", style="bold green")
    best = result.evals[result.best] if result.best is not None else None
    missed = ""
    if best is not None:
        missed = ", ".join(t.text.strip() for t, ok in zip(result.targets, best.meets)
                           if not ok)
    return plain(f"no size up to {result.limit} meets every target; best size found: "
                 f"{result.best}" + (f" (still misses {missed})" if missed else ""),
                 style="bold red")


def staff_text(console: Console, outcome: StaffResult) -> None:
    """The run and the search's start, the curve, the answer, how sure it is and what
    the search cost against a plain scan."""
    result, r = outcome.staffing, outcome.run
    console.print(plain(f"{r.file}: sizing `{result.team}`, {r.reps} replications × "
                        f"{r.days} days ({r.warmup_days} warm-up) per size, seed "
                        f"{r.seed}, common random numbers; ran on {outcome.where}",
                        style="dim"))
    console.print(plain(f"start: {result.start.why}" + (
        f"; the search started at {result.started_at} ({result.started_because})"
        if result.started_because else ""), style="dim"))
    console.print(_curve_table(result))
    console.print(plain("✓ meets, ✗ misses (by the mean); ? the 95% interval reaches the "
                        "target", style="dim"))
    for name in result.structural:
        console.print(plain(f"note: {name} is a graveyard by design (stay without sla); no "
                            "team size changes that, so it is not counted", style="yellow"))
    console.print(_verdict(result))
    console.print(plain(f"confidence: {result.confidence} — {result.confidence_text}"))
    scan = result.answer or result.limit
    console.print(f"search: {result.search_replications} replications at sizes "
                  f"{', '.join(str(c) for c in result.search_sizes)}; a scan from 1 to "
                  f"{scan} would take {scan * r.reps}, of 1…{result.limit} "
                  f"{result.limit * r.reps}")


def _cell(t: Target, mean: float | None, ci95: float | None) -> str:
    if t.kind == "graveyard":
        return f"{int(mean or 0)} stage{'s' if (mean or 0) != 1 else ''}"
    if mean is None:
        return "—"
    return f"{mean * 100:.3g}%" + (f" ±{ci95 * 100:.2g}" if ci95 else "")


def _curve_table(result: StaffingResult) -> Table:
    """The staffing curve: per size each target's value ± CI with ✓/✗ (and `?` where the
    interval reaches the target), the exact value beside it where one applies."""
    table = Table(title=plain(f"staffing curve of {result.team}"), title_justify="left")
    table.add_column("size", justify="right")
    has_exact = [any(ev.exact[i] is not None for ev in result.curve)
                 for i in range(len(result.targets))]
    for i, t in enumerate(result.targets):
        table.add_column(plain(t.text.strip()), justify="right")
        if has_exact[i]:
            table.add_column("exact" if t.kind != "utilization" else "offered load",
                             justify="right", style="dim")
    table.add_column("reps", justify="right")
    for ev in result.curve:
        row: list[str | Text] = [str(ev.size)]
        for i, t in enumerate(result.targets):
            e = ev.estimates[i]
            mark = ("✓" if ev.meets[i] else "✗") + ("" if ev.sure[i] else "?")
            row.append(plain(f"{_cell(t, e.mean, e.ci95)} {mark}",
                             style="green" if ev.meets[i] else "red"))
            if has_exact[i]:
                x = ev.exact[i]
                row.append("—" if x is None else f"{x * 100:.3g}%")
        row.append(str(len(ev.reps)))
        table.add_row(*row)
    return table


def save_staff_plot(outcome: StaffResult, png: str, svg: str) -> list[str]:
    """The staffing curve as `png` and `svg`; returns what matplotlib warned about."""
    from ..report.figures import save_figure
    from .plots import staffing_figure

    return save_figure(staffing_figure(outcome.staffing), png, svg)
