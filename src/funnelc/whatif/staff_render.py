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
from ..i18n import Translator, choose, translator
from ..i18n.figures import CI_ENDS
from ..jsontypes import JSON, JSONObject
from ..numfmt import BUSY, SHARE, between, ends, low_end
from ..termtext import plain
from .labels import queue_text, target_text
from .service import StaffResult
from .staff_explain import BreachSplit, Explanation
from .staff_inflow import inflow
from .staff_why import (
    breach_lines,
    confidence_text,
    inflow_text,
    lever_text,
    place_text,
    share,
    start_text,
    weekday,
    why_sentence,
)
from .staffing import StaffingResult
from .targets import Target

__all__ = ["staff_text", "staff_json", "staff_csv", "save_staff_plot", "breach_json"]


def _en() -> Translator:
    """JSON keeps the English sentences beside the data they are built from."""
    return translator("en")


def _data(item: object) -> JSONObject:
    """A reason dataclass as JSON data (its fields; tuples as lists)."""
    from dataclasses import asdict

    out: JSONObject = {}
    for key, value in asdict(item).items():  # type: ignore[call-overload]
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _shown(t: Target, x: float | None) -> float | None:
    return None if x is None else x * t.scale


def staff_json(outcome: StaffResult) -> JSONObject:
    """The answer, the exact start, the search's cost and the curve in display units
    (schema `staff.schema.json`)."""
    result, reps = outcome.staffing, outcome.run.reps
    curve: list[JSON] = [{
        "size": ev.size, "replications": len(ev.reps), "meets_all": ev.meets_all,
        "settled": ev.settled, "keeps_up": ev.keeps_up,
        "load": None if ev.load is None or ev.load != ev.load or ev.load == float("inf")
        else 100.0 * ev.load,
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
        "confidence": result.confidence,
        "confidence_text": confidence_text(_en(), result.confidence_why, result.targets),
        "confidence_why": _data(result.confidence_why),
        "exact": {"model": result.exact_model, "start": result.start.start,
                  "search_started_at": result.started_at,
                  "why": start_text(_en(), result.start.reasons, result.targets),
                  "reasons": [_data(r) for r in result.start.reasons],
                  "answers": list(result.start.answers)},
        "search": {"sizes": list(result.search_sizes),
                   "replications": result.search_replications,
                   "first_replications": reps, "max_replications": result.max_reps,
                   "unsettled_sizes": [ev.size for ev in result.curve
                                       if ev.size in result.search_sizes and not ev.settled],
                   "scan_to_answer_replications": (result.answer or result.limit) * reps,
                   "scan_to_limit_replications": result.limit * reps},
        "run": outcome.run.to_json(with_file=False),
        "structural_graveyards": list(result.structural),
        "curve": curve,
        "explanation": (None if outcome.explanation is None else
                        _explanation_json(outcome.explanation, result)),
    }


def breach_json(b: BreachSplit) -> JSONObject:
    """One breach split in display units (percent), as `staff` and `whatif` write it."""
    return {
        "target": b.target, "kind": b.kind, "size": b.size, "replications": b.replications,
        "checked": b.checked, "breached": b.breached, "hours": b.hours,
        "clocks_in_working_hours": b.clocks_in_hours, "queue": b.queue,
        "inside_hours": {"checked": b.inside_checked, "breached": b.inside_breached},
        "outside_hours": {"checked": b.outside_checked, "breached": b.outside_breached},
        "outside_share": 100.0 * b.outside_share,
        "not_yet_due": {
            "breached": b.unqueued_breached, "outside_hours_breached": b.unqueued_outside,
            "first_touch": None if b.first_touch is None else {
                "channel": b.first_touch.channel, "hours": b.first_touch.hours}},
        "by_weekday": [{"day": d.day, "checked": d.checked, "breached": d.breached,
                        "outside_hours_breached": d.outside_breached, "days": d.days}
                       for d in b.by_weekday],
        "by_priority": [{"rank": p.rank, "of": p.of, "stages": list(p.stages),
                         "checked": p.checked, "breached": p.breached}
                        for p in b.by_priority],
    }


def _explanation_json(x: Explanation, result: StaffingResult) -> JSONObject:
    return {
        "cause": x.cause, "current_size": x.current, "far": x.far, "at": x.at,
        "missed": list(x.missed), "why": why_sentence(_en(), x, result),
        "breaches": [breach_json(b) for b in x.breaches],
        "load_by_stage": [{"stage": ld.stage, "busy": ld.busy, "share": 100.0 * ld.share}
                          for ld in x.loads],
        "levers": [{"lever": lv.key, "change": lv.change, "answer": lv.answer,
                    "limit": lv.limit, "confidence": lv.confidence,
                    "replications": lv.replications} for lv in x.levers],
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


def _verdict(result: StaffingResult, tr: Translator) -> Text:
    """The answer and whether the exact model agrees, or the best size and what it
    still misses."""
    _ = tr.gettext
    if result.answer is not None:
        exact = [a for a in result.start.answers if a is not None]
        agree = ""
        if exact:
            e = max(exact)
            if e == result.answer:
                agree = _("; {model} says {size}, simulation agrees")
            else:
                agree = _("; {model} says {size}, simulation finds otherwise (the other "
                          "targets or the simulated details decide)")
            agree = agree.format(model=result.exact_model, size=e)
        return plain(_("smallest size of `{team}` meeting every target: {answer}").format(
            team=result.team, answer=result.answer) + agree, style="bold green")
    best = result.evals[result.best] if result.best is not None else None
    missed = ""
    if best is not None:
        missed = ", ".join([target_text(tr, t) for t, ok in zip(result.targets, best.meets)
                            if not ok] + ([] if best.keeps_up else [_("keeping up")]))
    text = _("no size up to {limit} meets every target; best size found: {best}").format(
        limit=result.limit, best=result.best)
    if missed:
        text += " " + _("(still misses {targets})").format(targets=missed)
    return plain(text, style="bold red")


def staff_text(console: Console, outcome: StaffResult, lang: str | None = None) -> None:
    """The run and the search's start, the curve, the answer, how sure it is and what
    the search cost against a plain scan; in `lang` (the account's; `--lang` overrides),
    the search's reasons and the explanation of the breaches too (`staff_why`)."""
    tr = translator(choose(lang))
    _ = tr.gettext
    result, r = outcome.staffing, outcome.run
    console.print(plain(tr.ngettext(
        "{file}: sizing `{team}`, {reps} replication × {days} ({warmup} warm-up) per size, "
        "seed {seed}, common random numbers; ran on {where}",
        "{file}: sizing `{team}`, {reps} replications × {days} ({warmup} warm-up) per size, "
        "seed {seed}, common random numbers; ran on {where}", r.reps).format(
            file=r.file, team=result.team, reps=r.reps, days=tr.duration(r.days, "day"),
            warmup=tr.duration(r.warmup_days, "day"),
            seed=r.seed, where=place_text(tr, outcome.place, outcome.where)), style="dim"))
    start = _("start: {why}").format(why=start_text(tr, result.start.reasons,
                                                    result.targets))
    if result.started_because:
        start += _("; the search started at {size} ({why})").format(
            size=result.started_at, why=result.started_because)
    console.print(plain(start, style="dim"))
    why = outcome.explanation
    if why is not None and why.far:
        console.print(plain(why_sentence(tr, why, result), style="bold"))
    console.print(_curve_table(result, tr))
    console.print(plain(_("✓ meets, ✗ misses (by the mean); ? the 95% interval reaches the "
                          "target"), style="dim"))
    console.print(plain(_(CI_ENDS), style="dim"))
    if any(not ev.keeps_up for ev in result.curve):
        console.print(plain(_("! the team cannot keep up at this size: its load is at or past "
                              "the {capacity} of its working time it can do, so its queue "
                              "grows for as long as the run lasts and the size meets no "
                              "target, whatever the run's figures").format(
                                  capacity=tr.pct(result.start.capacity)), style="yellow"))
    short = inflow(result, r.warmup_days * 24.0)
    if short is not None:  # the offered load beside a utilization the runs could not reach
        console.print(plain(inflow_text(tr, short, result.team), style="yellow"))
    for name in result.structural:
        console.print(plain(_("note: {stage} is a graveyard by design (stay without sla); no "
                              "team size changes that, so it is not counted").format(
                                  stage=name), style="yellow"))
    console.print(_verdict(result, tr))
    console.print(plain(_("confidence: {level} — {why}").format(
        level=tr.pgettext("confidence", result.confidence),
        why=confidence_text(tr, result.confidence_why, result.targets))))
    if why is not None:
        _why_text(console, why, result, tr)
    if len(result.search_sizes) == 1:  # «при размерах 12» for the one size searched
        search = tr.ngettext(
            "search: {n} replication at size {sizes} ({reps} first, more until the 95% "
            "interval clears the targets, at most {most})",
            "search: {n} replications at size {sizes} ({reps} first, more until the 95% "
            "interval clears the targets, at most {most})", result.search_replications)
    else:
        search = tr.ngettext(
            "search: {n} replication at sizes {sizes} ({reps} per size first, more until the "
            "95% interval clears the targets, at most {most}); common random numbers across "
            "sizes",
            "search: {n} replications at sizes {sizes} ({reps} per size first, more until the "
            "95% interval clears the targets, at most {most}); common random numbers across "
            "sizes", result.search_replications)
    console.print(search.format(n=result.search_replications,
                                sizes=", ".join(str(c) for c in result.search_sizes),
                                reps=r.reps, most=result.max_reps))


def _why_text(console: Console, x: Explanation, result: StaffingResult,
              tr: Translator) -> None:
    """The evidence: breaches by arrival time, weekday and priority; load by stage;
    the levers simulated."""
    _ = tr.gettext
    if not x.far:
        console.print(plain(_("why: {why}").format(why=why_sentence(tr, x, result))))
    for b in x.breaches:
        line, title = breach_lines(tr, b, result.targets)
        console.print(plain(line))
        table = Table(title=plain(title), title_justify="left")
        # Deals a day, not in all: a window of 27 days holds one weekday 3 times and the
        # others 4, and «mon 2,871, tue 3,947» read as fewer leads on Mondays.
        per_day = all(d.days for d in b.by_weekday)
        cols = (_("day"), _("deals a day") if per_day else _("deals"),
                _("gave up waiting") if b.kind == "abandon" else _("breached"),
                _("share of abandonments") if b.kind == "abandon" else _("share of breaches")
                ) + ((_("outside hours"),) if b.hours is not None else ())
        for k, col in enumerate(cols):
            table.add_column(col, justify="right" if k else "left")
        for d in b.by_weekday:
            n = d.checked / (b.replications * d.days) if per_day else d.checked
            table.add_row(weekday(tr, d.day), tr.number(n, 0 if n >= 10 else 1),
                          share(tr, d.breached, d.checked),
                          share(tr, d.breached, b.breached),
                          *((share(tr, d.outside_breached, d.breached),) if b.hours is not None
                            else ()))
        console.print(table)
        counts = sorted({d.days for d in b.by_weekday})
        if per_day and len(counts) == 2:  # a window of whole days: they differ by one
            few = [weekday(tr, d.day) for d in b.by_weekday if d.days == counts[0]]
            console.print(plain(_("the observed window holds {n} of {days} and {m} of each "
                                  "other weekday: «deals a day» is per day; the share of "
                                  "breaches counts every day").format(
                n=counts[0], days=", ".join(few), m=counts[1]), style="dim"))
        for p in b.by_priority if b.queue == "key-first" else ():
            what = (tr.ngettext("{n} abandonment", "{n} abandonments", p.breached)
                    if b.kind == "abandon" else
                    tr.ngettext("{n} breach", "{n} breaches", p.breached))
            # The queue in words: «черга `key-first`» was the file's syntax.
            console.print(plain(_("queue ({queue}): {stages} served {rank} of {of}: {what} "
                                  "({share})").format(
                queue=queue_text(tr, b.queue), stages=", ".join(p.stages), rank=p.rank,
                of=p.of,
                what=what.format(n=tr.number(p.breached, 0)),
                share=share(tr, p.breached, b.breached))))
    if x.loads:
        console.print(plain(_("load by stage (members busy around the clock): {loads}").format(
            loads=", ".join(f"{ld.stage} {tr.sig(ld.busy)} ({tr.number(round(ld.share * 100, 1), 1)}%)"
                            for ld in x.loads))))
    for lv in x.levers:
        console.print(plain(_("lever: {lever}; {reps}").format(
            lever=lever_text(tr, lv), reps=tr.ngettext(
                "{n} replication", "{n} replications", lv.replications).format(
                    n=lv.replications))))


def _cell(t: Target, mean: float | None, ci95: float | None, tr: Translator) -> str:
    if t.kind == "graveyard":
        n = int(mean or 0)
        return tr.ngettext("{n} stage", "{n} stages", n).format(n=n)
    if mean is None:
        return "—"
    # a share of deals never below 0 or above 100 %: `3% [0–9,4%]`; a team's utilization
    # passes 100 % (work finished after closing): held at 0 only
    cut = ends(mean, ci95, *(BUSY if t.kind == "utilization" else SHARE)) if ci95 else None
    if cut is not None:
        return between(tr.sig(mean * 100) + "%",
                       low_end(cut[0], lambda x: tr.sig(x * 100) + "%"),
                       tr.sig(cut[1] * 100) + "%")
    return tr.sig(mean * 100) + "%" + (" ±" + tr.sig(ci95 * 100, 2) if ci95 else "")


def _curve_table(result: StaffingResult, tr: Translator) -> Table:
    """The staffing curve: per size each target's value ± CI with ✓/✗ (and `?` where the
    interval reaches the target), the exact value beside it where one applies."""
    _ = tr.gettext
    table = Table(title=plain(_("staffing curve of {team}").format(team=result.team)),
                  title_justify="left")
    table.add_column(_("size"), justify="right")
    has_exact = [any(ev.exact[i] is not None for ev in result.curve)
                 for i in range(len(result.targets))]
    for i, t in enumerate(result.targets):
        table.add_column(plain(target_text(tr, t)), justify="right")
        if has_exact[i]:
            table.add_column(_("exact") if t.kind != "utilization" else _("offered load"),
                             justify="right", style="dim")
    table.add_column(_("reps"), justify="right")
    for ev in result.curve:
        row: list[str | Text] = [str(ev.size) if ev.keeps_up else
                                 plain(f"{ev.size} !", style="red")]
        for i, t in enumerate(result.targets):
            e = ev.estimates[i]
            mark = ("✓" if ev.meets[i] else "✗") + ("" if ev.sure[i] else "?")
            row.append(plain(f"{_cell(t, e.mean, e.ci95, tr)} {mark}",
                             style="green" if ev.meets[i] else "red"))
            if has_exact[i]:
                x = ev.exact[i]
                row.append("—" if x is None else tr.sig(x * 100) + "%")
        row.append(str(len(ev.reps)))
        table.add_row(*row)
    return table


def save_staff_plot(outcome: StaffResult, png: str, svg: str) -> list[str]:
    """The staffing curve as `png` and `svg`; returns what matplotlib warned about."""
    from ..report.figures import save_figure
    from .plots import staffing_figure

    return save_figure(staffing_figure(outcome.staffing,
                                       translator(choose(outcome.language))), png, svg)
