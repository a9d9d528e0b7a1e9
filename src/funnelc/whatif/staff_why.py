"""The sentences of `staff`: where the search starts and why, how sure the answer is,
why the answer is where it is (the breaches by arrival time, weekday and queue priority,
the load by stage, the levers simulated), the exact profit optimum and the run's place.
The service returns data (`StartReason`, `ConfidenceWhy`, `Explanation`,
`ExactProfitWhy`); these functions say it in the output's language with the gettext
catalogs, so a Russian account reads Russian. JSON keeps the English sentences
(`translator("en")`) beside the data."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

from ..i18n import Translator
from .compare import VerdictChange
from .executors import RunPlace
from .staff_explain import BreachSplit, Explanation, FirstTouch, Lever
from .staff_inflow import Inflow
from .staffing import ConfidenceWhy, StaffingResult
from .staffing_bound import Unreachable
from .staffing_exact import StartReason
from .staffing_profit import ExactProfitWhy
from .targets import Target

__all__ = ["inflow_text", "graveyard_why", "variant_name", "start_text", "confidence_text", "why_sentence",
           "breach_line", "lever_text", "exact_profit_text", "profit_note", "place_text", "hours_text", "weekday",
           "share", "breach_lines", "unreachable_text"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)\b")


def share(tr: Translator, part: int, whole: int) -> str:
    """`part` of `whole` as a rounded percentage (`12.5%`, `12,5%`), a dash of nothing."""
    if not whole:
        return "—"
    return tr.number(round(100.0 * part / whole, 1), 1) + "%"


def _pct(tr: Translator, fraction: float) -> str:
    return tr.number(round(100.0 * fraction, 1), 1) + "%"


def weekday(tr: Translator, day: str) -> str:
    """`mon` … `sun` as the language abbreviates it (`пн`); English keeps `mon`."""
    if tr.lang == "en":
        return day
    from babel.dates import get_day_names

    return str(get_day_names("abbreviated", locale=tr.locale)[_DAYS.index(day)])


def hours_text(tr: Translator, hours: str) -> str:
    """Working hours written as the language writes them (`пн-пт 09:00-18:00`)."""
    return _DAY.sub(lambda m: weekday(tr, m.group(1)), hours)


def _rate(tr: Translator, x: float | None) -> str:
    return tr.gettext("{rate}/h").format(rate=tr.sig(x, 4))


def _one_start(tr: Translator, r: StartReason, targets: Sequence[Target]) -> str:
    from .labels import target_named

    _ = tr.gettext
    r = replace(r, target=target_named(tr, targets, r.target))
    if r.kind == "load":
        return _("offered load {load} members' worth → {size} for «{target}»").format(
            load=tr.sig(r.load), size=r.size, target=r.target)
    if r.kind == "closed-form":
        rates = _("λ={lam}, μ={mu}").format(lam=_rate(tr, r.lam), mu=_rate(tr, r.mu))
        if r.theta is not None:
            rates += ", θ=" + _rate(tr, r.theta)
        return _("{model} ({rates}) → {size} for «{target}»").format(
            model=r.model, rates=rates, size=r.size, target=r.target)
    if r.kind == "no-closed-form":
        if r.abandon:
            return _("no closed form for «{target}» (the team serves several stages, works "
                     "by a calendar, or the work or patience is not exponential): stable "
                     "from {size}").format(target=r.target, size=r.size)
        return _("no closed form for «{target}» (the team serves several stages, works by a "
                 "calendar, deals give up waiting, or the work is not exponential): stable "
                 "from {size}").format(target=r.target, size=r.size)
    if r.kind == "stable":
        return _("stable (offered load < 1) from {size} for «{target}»").format(
            size=r.size, target=r.target)
    if r.kind == "calendar" and (r.open_hours or 0.0) >= 168.0 - 1e-9:
        # A team open around the clock (the work is what has no closed form): «100% of the
        # deals arriving while it is open; the rest wait for the opening» spoke of no rest.
        return _("approximately {size} for «{target}» (M/M/c with the offered load of "
                 "{load} members' worth, the team open around the clock)").format(
                     size=r.size, target=r.target, load=tr.sig(r.load))
    if r.kind == "calendar":
        rest = (_("the rest start their clocks at the opening") if r.clocks_in_hours else
                _("the rest wait for the opening"))
        # «offered load … members' worth», as the start without a calendar says it: a bare
        # «load 0.149» read as the team's utilization, which `analyze` gives as 0.074.
        return _("approximately {size} for «{target}» (M/M/c over the team's {hours} open "
                 "hours a week, offered load {load} members' worth, {inside} of the deals "
                 "arriving while it is open; {rest})").format(
                     size=r.size, target=r.target, hours=tr.sig(r.open_hours, 4),
                     load=tr.sig(r.load), inside=tr.number(round(100 * (r.inside or 0.0)), 0)
                     + "%", rest=rest)
    return _("the search starts one below the estimate, at {size}").format(size=r.size)


def graveyard_why(tr: Translator, v: VerdictChange) -> str:
    """Why a stage became a graveyard in a scenario: the simulator's first reason, said
    in the language from its code and figures (English: the simulator's own words)."""
    if not v.reasons:
        return ""
    if tr.lang == "en" or not v.codes:
        return v.reasons[0]
    code = v.codes[0]
    if code == "wip-growing":
        return tr.gettext("deals keep piling up beyond what their arrivals explain: {slope} "
                          "more per day over the second half of the run, {final} in the "
                          "stage at the horizon").format(
            slope=tr.sig(v.growth_per_day), final=tr.number(round(v.wip_final or 0.0), 0))
    if code == "older-than-sla":
        return tr.gettext("the deals still here are older on average than the stage's sla")
    return tr.gettext("some deals stay and no sla moves them on: they wait here forever")


def variant_name(tr: Translator, name: str, first: bool) -> str:
    """A variant as the reader knows it: the file as written is "baseline" (`базовый
    вариант`), a scenario its own name."""
    return tr.gettext("baseline") if first and name == "baseline" else name


def start_text(tr: Translator, reasons: tuple[StartReason, ...],
               targets: Sequence[Target] = ()) -> str:
    """Where the search starts and why, per target (`targets`: those the reasons name,
    said in words)."""
    return "; ".join(_one_start(tr, r, targets) for r in reasons)


def confidence_text(tr: Translator, c: ConfidenceWhy, targets: Sequence[Target] = ()
                    ) -> str:
    """What the confidence rests on (`targets`: those it names, said in words)."""
    from .labels import target_named

    _ = tr.gettext
    n = tr.ngettext("{n} replication", "{n} replications", c.replications).format(
        n=c.replications)
    if c.kind == "none-meets":
        if c.size is None:
            return _("no size up to {limit} meets every target").format(limit=c.limit)
        return _("no size up to {limit} meets every target; the best found is {best}").format(
            limit=c.limit, best=c.size)
    if c.kind == "sure":
        lower = (_("1 is the smallest size") if c.size == 1 else
                 _("at {below} the team cannot keep up").format(below=(c.size or 1) - 1)
                 if c.below_unstable else
                 _("{below} misses a target with 95% confidence").format(
                     below=(c.size or 1) - 1))
        return _("{size} meets every target with 95% confidence ({n}) and {lower}").format(
            size=c.size, n=n, lower=lower)
    if c.kind == "profit-bound":
        return _("{size} is the smallest size meeting every target and the sizes above it "
                 "earn less with 95% confidence ({n})").format(size=c.size, n=n)
    if c.kind == "profit-sure":
        return _("{size} has the highest profit and every size next to it is worse with 95% "
                 "confidence ({n})").format(size=c.size, n=n)
    if c.kind == "profit-flat":
        lo, hi = c.flat or (c.size, c.size)
        capped = _("{n}, the cap").format(n=n) if c.capped else n
        return _("sizes {low}–{high} are within the noise of the best ({n}): any of them is "
                 "as profitable as the data can tell").format(low=lo, high=hi, n=capped)
    parts = []
    if c.shaky:
        # Each target quoted, as the why and breach lines quote it: «при 39 95% интервал
        # реакция за 15 мин у 80% сделок заходит за цель» ran the size, the interval and
        # the target's words together.
        parts.append(_("with {size}, the 95% interval of {targets} reaches past the target")
                     .format(size=c.size, targets=", ".join(
                         tr.quote(target_named(tr, targets, t)) for t in c.shaky)))
    if c.below_unsure:
        parts.append(_("{below} misses only on average (its interval reaches the target)")
                     .format(below=(c.size or 1) - 1))
    return _("{parts} ({n} at {size}); more replications (--max-reps) or a longer horizon "
             "(--days) would settle it").format(parts="; ".join(parts), n=n, size=c.size)


def exact_profit_text(tr: Translator, w: ExactProfitWhy) -> str:
    """The closed form's profit optimum, or why there is none."""
    _ = tr.gettext
    if w.kind == "found":
        rates = _("λ={lam}, μ={mu}").format(lam=_rate(tr, w.lam), mu=_rate(tr, w.mu))
        if w.theta is not None:
            rates += ", θ=" + _rate(tr, w.theta)
        return _("{model} ({rates}) with the file's value and costs → {best}").format(
            model=w.model, rates=rates, best=w.best)
    why = {
        "several-stages": _("the team works several stages"),
        "calendar": _("the team works by a calendar"),
        "not-exponential": _("the team's work is not exponential"),
        "sla": _("the stage's sla cuts the queue (M/M/c+D with costs is not implemented)"),
        "patience": _("the patience is not exponential or does not lose the deal"),
        "elsewhere": _("deals reach the team's stage from elsewhere than the sources, or "
                       "sources feed other stages"),
        "unstable": _("no size up to {limit} keeps the queue stable").format(limit=w.limit),
    }[w.kind]
    return _("no closed form: {why}").format(why=why)


def profit_note(tr: Translator, note: str, team: str) -> str:
    """A note of the profit search (`no-cost`)."""
    return tr.gettext("team `{team}` has no `cost`: a member looks free, so profit can only "
                      "grow with the size; give it `cost 90k/month`").format(team=team)


def place_text(tr: Translator, place: RunPlace | None, where: str) -> str:
    """Where the replications ran (`local, 2 workers`), in the language; `where` as the
    runner said it when the place is not known."""
    if place is None:
        return where
    if place.serial_only:
        return tr.gettext("local, 1 process (too little work to start workers)")
    if place.executor == "dask":
        return tr.ngettext("dask at {address}, {n} worker thread",
                           "dask at {address}, {n} worker threads", place.workers).format(
                               address=place.address, n=place.workers)
    if place.executor == "local":
        return tr.ngettext("local, {n} worker", "local, {n} workers", place.workers).format(
            n=place.workers)
    return tr.ngettext("{name}, {n} worker", "{name}, {n} workers", place.workers).format(
        name=place.executor, n=place.workers)


def _noun(tr: Translator, b: BreachSplit) -> str:
    """What the split counts: breaches, or abandonments (the genitive: "of the …")."""
    if b.kind == "abandon":
        return tr.pgettext("of the", "abandonments")
    return tr.pgettext("of the", "breaches")


def breach_line(tr: Translator, b: BreachSplit) -> str:
    """One line: how many deals breached, and how many of the breaches arrived outside
    the team's working hours (and on which days, when a few days bring most of them)."""
    _ = tr.gettext
    # Deals a run, not the sum over the runs: «из 98 852 сделок» read as a year of the
    # account when it was ten replications of 9 885.
    n = round(b.checked / max(b.replications, 1))
    line = (tr.ngettext("{share} of the {n} deal a run gave up waiting",
                        "{share} of the {n} deals a run gave up waiting", n)
            if b.kind == "abandon" else
            tr.ngettext("{share} of the {n} deal a run breached",
                        "{share} of the {n} deals a run breached", n))
    text = line.format(share=share(tr, b.breached, b.checked), n=tr.number(n, 0))
    if b.hours is None or not b.breached:
        return text
    days = sorted(b.by_weekday, key=lambda d: -d.breached)
    top = [d.day for d in days[:2] if d.breached >= 0.25 * b.breached]
    text += "; " + _("{share} of the {noun} arrived outside working hours ({hours})").format(
        share=_pct(tr, b.outside_share), noun=_noun(tr, b), hours=hours_text(tr, b.hours))
    if top:
        # The days' share of all the breaches, said as staff's why says it: «пн: 25,8% из
        # них» after «0% нарушений пришлось на сделки, поступившие в нерабочее время» read
        # as a quarter of those none.
        text += "; " + tr.ngettext("{days} brings {share} of all the {noun}",
                                   "{days} bring {share} of all the {noun}", len(top)).format(
            days=", ".join(weekday(tr, d) for d in top),
            share=share(tr, sum(d.breached for d in days[:len(top)]), b.breached),
            noun=_noun(tr, b))
    return text


def lever_text(tr: Translator, lv: Lever) -> str:
    """A lever simulated: what would need how many members."""
    _ = tr.gettext
    what = (_("with the team opening an hour earlier") if lv.key == "earlier-hours" else
            _("with a first-come queue"))
    if lv.answer is None:
        return _("{what} (`{change}`), still no size up to {limit} meets every target").format(
            what=what, change=lv.change, limit=lv.limit)
    return tr.ngettext(
        "{what} (`{change}`), {answer} meets every target (confidence {level})",
        "{what} (`{change}`), {answer} meet every target (confidence {level})",
        lv.answer).format(what=what, change=lv.change, answer=lv.answer,
                          level=tr.pgettext("confidence", lv.confidence))


def _after(tr: Translator, hours: float) -> str:
    """A cadence offset as said after «через» (`1 day`, `через 1 день`)."""
    if hours >= 24.0 and float(hours / 24.0).is_integer():
        return tr.duration(hours / 24.0, "day", after=True)
    if hours >= 1.0:
        return tr.duration(round(hours, 2), "hour", after=True)
    return tr.duration(round(hours * 60.0), "minute", after=True)


def _channel(tr: Translator, channel: str) -> str:
    from ..export.playbook import CHANNELS

    return tr.pgettext("channel", CHANNELS[channel]) if channel in CHANNELS else channel


def _limit_text(tr: Translator, hours: float, account_hours: str | None) -> str:
    """A respond limit as the client reads it: `1 hour`, or, where it counts the
    account's working hours (`account_hours`, as `hours_spec` writes them), `1 hour of
    the account's working hours (mon-fri 09:00-18:00)`, since the touches of a cadence
    are due at plain hours after entry. The refusal (`unreachable_text`) and the
    explanation of the breaches (`_held`) say it alike."""
    from .labels import duration

    limit = tr.hours(hours) if tr.lang == "en" else duration(tr, hours)
    if account_hours is None:
        return limit
    return tr.gettext("{limit} of the account's working hours ({hours})").format(
        limit=limit, hours=hours_text(tr, account_hours))


def _held(tr: Translator, b: BreachSplit) -> str:
    """The deals behind the breaches no team size avoids in a cadence stage: their first
    worked touch was not due yet when their limit ran out (`BreachSplit.unqueued_breached`),
    and what to change. A limit counted in the account's working hours is said so
    (`_limit_text`): «their 1 hour limit» read as a clock hour beside a call due a day
    after entry."""
    _ = tr.gettext
    limit = _limit_text(tr, b.limit_hours or 0.0, b.account_hours)
    first: FirstTouch | None = b.first_touch
    if b.account_hours is not None:
        # The limit in words of its own («1 hour of the account's working hours (…)»),
        # set apart by commas where the clock's «their 1 hour limit» has it before the noun.
        if first is not None and first.channel is None:
            return _("deals whose cadence has no touch a member works, so no member ever "
                     "picks them up: no team size answers them in time; give `work` (a "
                     "member's call or message) to a touch due before their limit, {limit}, "
                     "runs out").format(limit=limit)
        if first is not None and first.channel is not None:
            return _("deals whose first {touch}, due {offset} after entry, comes after their "
                     "limit, {limit}, has run out: no team size answers them in time; move "
                     "the first worked touch before the limit").format(
                         touch=_channel(tr, first.channel), offset=_after(tr, first.hours),
                         limit=limit)
        return _("deals whose first worked touch was not due yet when their limit, {limit}, "
                 "ran out: no team size answers them in time; move the first worked touch "
                 "before the limit").format(limit=limit)
    if first is not None and first.channel is None:
        return _("deals whose cadence has no touch a member works, so no member ever picks "
                 "them up: no team size answers them in time; give a touch before the "
                 "{limit} limit `work` (a member's call or message)").format(limit=limit)
    if first is not None and first.channel is not None:
        return _("deals whose first {touch}, due {offset} after entry, comes after their "
                 "{limit} limit has run out: no team size answers them in time; move the "
                 "first worked touch before the limit").format(
                     touch=_channel(tr, first.channel), offset=_after(tr, first.hours),
                     limit=limit)
    return _("deals whose first worked touch was not due yet when their {limit} limit ran "
             "out: no team size answers them in time; move the first worked touch before "
             "the limit").format(limit=limit)


def _structural(tr: Translator, b: BreachSplit) -> str:
    """When nearly every deal arriving outside working hours breaches whatever the size
    (a clock that runs while the team is closed), the share of deals that arrive then.
    Not said where a cadence holds some of them (their breaches are the cadence's)."""
    if (b.clocks_in_hours and b.kind == "respond") or not b.outside_checked \
            or b.unqueued_outside or b.outside_breached < 0.95 * b.outside_checked:
        return ""
    text = (tr.gettext("{share} of them give up: no team size changes that, and they are "
                       "{part} of the deals") if b.kind == "abandon" else
            tr.gettext("{share} of them breach: no team size changes that, and they are "
                       "{part} of the deals"))
    return " (" + text.format(share=share(tr, b.outside_breached, b.outside_checked),
                              part=share(tr, b.outside_checked, b.checked)) + ")"


def _body(tr: Translator, x: Explanation, targets: Sequence[Target]) -> str:
    from .labels import target_named

    _ = tr.gettext
    split = next((b for b in x.breaches if b.target in x.missed), None)
    said = "" if split is None else target_named(tr, targets, split.target)
    # The cadence's breaches, said beside any other cause that leaves some of them.
    held = ("; " + _("{share} of the breaches are {deals}").format(
        share=share(tr, split.unqueued_breached, split.breached), deals=_held(tr, split))
            if split is not None and split.unqueued_breached and x.cause != "cadence"
            else "")
    if x.cause == "cadence" and split is not None:
        body = _("at {size}, {share} of the breaches of «{target}» are {deals}").format(
            size=split.size, share=share(tr, split.unqueued_breached, split.breached),
            target=said, deals=_held(tr, split))
        rest = split.breached - split.unqueued_breached
        if rest:
            body += "; " + _("the other {share} waited for a member (in the queue, or for "
                             "the team to open)").format(share=share(tr, rest, split.breached))
        return body
    if x.cause == "outside-hours" and split is not None:
        days = sorted(split.by_weekday, key=lambda d: -d.outside_breached)
        top: list[str] = []
        acc = 0
        for d in days:
            if acc >= 0.6 * split.outside_breached:
                break
            top.append(d.day)
            acc += d.outside_breached
        how = (_("their patience runs out while they wait for the team to open")
               if split.kind == "abandon" else
               _("their respond clocks only start at the next opening, when the whole "
                 "backlog waits") if split.clocks_in_hours else
               _("their respond clocks run while they wait for the team to open"))
        body = _("at {size}, {share} of the {noun} of «{target}» are deals that arrive "
                 "outside working hours ({hours}): {how}").format(
                     size=split.size, share=_pct(tr, split.queued_outside_share),
                     noun=_noun(tr, split), target=said,
                     hours=hours_text(tr, split.hours or ""), how=how)
        body += _structural(tr, split)
        # Name the days only when a few of them bring most of it (weekends, Mondays), with
        # their share of all the breaches, the weekday table's figure: «на вс приходится
        # 65% из них» (of the out-of-hours breaches) stood above a table saying 63,9%, and
        # «из них» read as «of those deals».
        if len(top) <= 2:
            days_all = sum(d.breached for d in split.by_weekday if d.day in top)
            body += "; " + tr.ngettext("{days} brings {share} of all the {noun}",
                                       "{days} bring {share} of all the {noun}",
                                       len(top)).format(
                days=", ".join(weekday(tr, d) for d in top),
                share=share(tr, days_all, split.breached), noun=_noun(tr, split))
        return body + held
    if x.cause == "queue-priority" and split is not None:
        low = [p for p in split.by_priority if p.rank > 1]
        # The queue in words: «`queue key-first`» was the file's syntax in a client's
        # sentence.
        return _("at {size}, {share} of the {noun} of «{target}» are at {stages}, which "
                 "the queue serves {rank} of {of}, after key and later stages").format(
                     size=split.size,
                     share=share(tr, sum(p.breached for p in low), split.breached),
                     noun=_noun(tr, split), target=said,
                     stages=", ".join(f"`{s}`" for p in low for s in p.stages),
                     rank=low[0].rank, of=low[0].of) + held
    if x.cause == "queueing" and split is not None:
        return _queueing(tr, split, said) + held
    if x.cause == "utilization" and x.loads:
        top3 = ", ".join(f"`{ld.stage}` {_pct(tr, ld.share)}" for ld in x.loads[:3])
        return _("«{targets}» decides; the team's load comes from {stages}").format(
            targets=", ".join(target_named(tr, targets, t) for t in x.missed), stages=top3)
    if x.cause == "graveyard":
        return _("at {size} a team stage still piles up deals (the target: no graveyard "
                 "stage)").format(size=x.at)
    if x.cause == "unstable" and x.load is not None:
        return _("at {size} the team cannot keep up: its load is {load} of its working time, "
                 "at or past the {capacity} it can do, so its queue grows for as long as "
                 "the run lasts; the targets' figures measured there only say how long "
                 "the run was").format(size=x.at, load=_pct(tr, x.load),
                                       capacity=_pct(tr, x.capacity))
    return _("the targets are met as simulated")


def _queueing(tr: Translator, split: BreachSplit, said: str) -> str:
    """The breaches are deals that waited in the queue for a free member. A team working
    around the clock has no «outside working hours»: «100% of the breaches … are deals
    arriving in working hours: the queue itself, not the calendar» said nothing there. The
    priority is named only where the queue has one (`key-first`, whose later-served stages
    did not breach, or the cause would be queue-priority)."""
    _ = tr.gettext
    if split.hours is None and split.unqueued_breached and split.kind == "respond":
        # Around the clock, but a cadence holds some breaches (said after this).
        text = _("with {size}, {share} of the breaches of «{target}» are deals that waited "
                 "in the queue for a free member (the team works around the clock, so no "
                 "deal waits for it to open)").format(
                     size=split.size, target=said,
                     share=share(tr, split.breached - split.unqueued_breached,
                                 split.breached))
    elif split.hours is None:  # around the clock: every breach waited for a member
        text = (_("with {size}, every deal that gave up on «{target}» gave up in the queue, "
                  "waiting for a free member (the team works around the clock, so no deal "
                  "waits for it to open)") if split.kind == "abandon" else
                _("with {size}, every breach of «{target}» is a deal that waited in the "
                  "queue for a free member (the team works around the clock, so no deal "
                  "waits for it to open)")).format(size=split.size, target=said)
    else:
        text = _("with {size}, {share} of the {noun} of «{target}» are deals that arrived "
                 "in working hours ({hours}) and waited in the queue for a free member, not "
                 "deals that arrived out of hours").format(
                     size=split.size, share=share(tr, split.queued_inside, split.breached),
                     noun=_noun(tr, split), target=said, hours=hours_text(tr, split.hours))
    if split.queue == "key-first":
        text += _("; none of them is at a stage the queue serves after key and later ones")
    return text


def why_sentence(tr: Translator, x: Explanation, result: StaffingResult) -> str:
    """One sentence: why the answer is where it is, from the evidence and the levers
    simulated (shown before the table when the answer is far from the file's size)."""
    _ = tr.gettext
    # «3: at 2, …» read as a stray label: the answer says what it counts.
    if result.answer is None:
        # «no size up to 12 is far from the 3 in the file» said the opposite in English.
        head = _("no size up to {limit} meets every target, far from the {current} in the "
                 "file: ").format(limit=result.limit, current=x.current)
    elif x.far:
        head = _("{answer} is far from the {current} in the file: ").format(
            answer=result.answer, current=x.current)
    else:
        head = tr.ngettext("{n} member", "{n} members", result.answer).format(
            n=result.answer) + ": "
    levers = "; ".join(lever_text(tr, lv) for lv in x.levers)
    return head + _body(tr, x, result.targets) + (f". {levers[0].upper()}{levers[1:]}" if levers else "") + "."


def breach_lines(tr: Translator, b: BreachSplit, targets: Sequence[Target] = ()
                 ) -> tuple[str, str]:
    """The evidence line of one split at one size, and its weekday table's title
    (`targets`: the one the split is of, said in words)."""
    from .labels import target_named

    _ = tr.gettext
    said = target_named(tr, targets, b.target)
    reps = tr.ngettext("{n} replication", "{n} replications", b.replications).format(
        n=b.replications)
    if b.kind == "abandon":
        text = _("abandonments of «{target}» at size {size} ({reps}): {breached} of "
                 "{checked} deals ({share})")
        title = _("abandonments of «{target}» by the weekday the deal arrived")
    else:
        text = _("breaches of «{target}» at size {size} ({reps}): {breached} of {checked} "
                 "deals ({share})")
        title = _("breaches of «{target}» by the weekday the deal arrived")
    text = text.format(target=said, size=b.size, reps=reps,
                       breached=tr.number(b.breached, 0), checked=tr.number(b.checked, 0),
                       share=share(tr, b.breached, b.checked))
    if b.hours is not None:
        more = (_("arrived outside working hours: {outside} of the abandonments ({outside_did} "
                  "of those deals gave up waiting), inside: {inside} ({inside_did} gave up "
                  "waiting)")
                if b.kind == "abandon" else
                _("arrived outside working hours: {outside} of the breaches ({outside_did} of "
                  "those deals breached), inside: {inside} ({inside_did} breached)"))
        text += "; " + more.format(
            outside=share(tr, b.outside_breached, b.breached),
            outside_did=share(tr, b.outside_breached, b.outside_checked),
            inside=share(tr, b.inside_breached, b.breached),
            inside_did=share(tr, b.inside_breached, b.inside_checked))
    # The target in words, quoted as the evidence line above quotes it: a Ukrainian title
    # read «порушення respond 15m 99% за днем тижня», then «порушення `respond 15m 99%`».
    return text, title.format(target=said)


def inflow_text(tr: Translator, x: Inflow, team: str) -> str:
    """Why the simulated utilization reads below the offered load (`staff_inflow`): the
    runs brought the team's stages less work than the exact flows send them, because a
    team upstream cannot keep up and keeps deals in its queue, or a run starts empty and
    deals reach the stages later than the warm-up."""
    _ = tr.gettext
    reasons = [_("team {team} cannot keep up (load {load} ≥ 100%): the deals waiting in "
                 "its queue never reach these stages").format(team=tr.quote(name),
                                                             load=tr.pct(load))
               for name, load in x.starved_by]
    reasons += [_("pipeline {pipeline}: 90% of its wins take up to {cycle} from the start, "
                  "longer than the warm-up of {warmup}: a run starts empty, so its later "
                  "stages get their first deals late in the window; a warm-up as long as "
                  "the wins take lets them all come").format(
                      pipeline=tr.quote(name), cycle=tr.hours(p90),
                      warmup=tr.hours(x.warmup_hours))
                for name, p90 in x.late]
    head = _("note: the offered load counts the work the exact flows send to the stages of "
             "`{team}` when every team keeps up and the run is past its start; the runs "
             "brought them {share} of it, so the simulated utilization reads lower").format(
                 team=team, share=tr.pct(x.share))
    # The option apart from the sentence, for the consultant (edf917d's form).
    option = (" " + _("For the consultant: {option}").format(option="`--warmup`")
              if x.late else "")
    return head + (": " + "; ".join(reasons) + "." if reasons else "") + option


def _bound_pcts(tr: Translator, bound: float, threshold: float) -> tuple[str, str]:
    """The bound rounded up and its complement rounded down, both still true: whole
    percentages, or one or two decimals where the rounded bound would reach the target
    (`at most 90%` beside `90%` would read as reachable)."""
    for digits in (0, 1, 2):
        scale = 10.0 ** digits
        up = math.ceil(bound * 100.0 * scale - 1e-9)
        if up < threshold * 100.0 * scale - 1e-9:
            break
    return (tr.number(up / scale, digits) + "%",
            tr.number((100.0 * scale - up) / scale, digits) + "%")


def _least_pct(tr: Translator, bound: float, threshold: float) -> str:
    """A least share rounded down, still true: whole, or with one or two decimals where
    the rounded figure would reach the target."""
    for digits in (0, 1, 2):
        scale = 10.0 ** digits
        down = math.floor(bound * 100.0 * scale + 1e-9)
        if down > threshold * 100.0 * scale + 1e-9:
            break
    return tr.number(down / scale, digits) + "%"


def unreachable_text(tr: Translator, u: Unreachable, targets: Sequence[Target]) -> str:
    """Why no size of the team can meet a respond or abandon target (`staffing_bound`):
    the most (respond) or least (abandon) share it can reach, the deals that arrive too
    long before the team opens, and what to change. Each figure is rounded the way that
    keeps it true."""
    from .labels import duration, target_named

    _ = tr.gettext
    said = target_named(tr, targets, u.target)
    if u.kind == "abandon" or u.limit_hours is None:
        return _("no size of `{team}` can meet «{target}»: at least {bound} of the deals give "
                 "up waiting, because they arrive while the team is closed ({hours}) and "
                 "their patience runs out before it opens; widen the target, staff the "
                 "closed hours (a night or weekend shift), or keep those deals waiting "
                 "longer (an automatic reply when they come)").format(
                     team=u.team, target=said, bound=_least_pct(tr, u.bound, u.threshold),
                     hours=hours_text(tr, u.hours))
    limit = tr.hours(u.limit_hours) if tr.lang == "en" else duration(tr, u.limit_hours)
    figures = {"team": u.team, "target": said, "limit": limit,
               "hours": hours_text(tr, u.hours)}
    figures["bound"], figures["out"] = _bound_pcts(tr, u.bound, u.threshold)
    if u.cadence:
        first = u.first_touch
        # The limit counts the account's working hours, the touches plain hours.
        figures["limit"] = _limit_text(tr, u.limit_hours, u.account_hours)
        if first is not None and first.channel is None:
            return _("no size of `{team}` can meet «{target}»: at most {bound} of the deals "
                     "can be picked up within {limit}, because {out} are still waiting when "
                     "it runs out and their cadence has no touch a member works; give a "
                     "touch before the limit `work` (a member's call or message), or widen "
                     "the limit").format(**figures)
        if first is not None and first.channel is not None:
            return _("no size of `{team}` can meet «{target}»: at most {bound} of the deals "
                     "can be picked up within {limit}, because {out} have not replied by "
                     "then and their first {touch} is due only {offset} after entry; move "
                     "the first worked touch before the limit, or widen the limit").format(
                         touch=_channel(tr, first.channel), offset=_after(tr, first.hours),
                         **figures)
        return _("no size of `{team}` can meet «{target}»: at most {bound} of the deals can "
                 "be picked up within {limit}, because {out} have not replied by then and "
                 "their first worked touch is due later; move the first worked touch before "
                 "the limit, or widen the limit").format(**figures)
    if u.account_hours is None:
        return _("no size of `{team}` can meet «{target}»: at most {bound} of the deals can "
                 "be picked up within {limit}, because {out} arrive while the team is closed "
                 "({hours}), more than {limit} before it opens, and respond clocks run around "
                 "the clock; widen the limit, count it in working hours (give the account "
                 "`hours`), or staff the closed hours (a night or weekend shift)").format(
                     **figures)
    return _("no size of `{team}` can meet «{target}»: at most {bound} of the deals can be "
             "picked up within {limit}, because {out} arrive more than {limit} of the "
             "account's working hours ({account_hours}) before the team opens ({hours}); "
             "widen the limit, open the team when the account's hours start, or staff "
             "those hours").format(account_hours=hours_text(tr, u.account_hours), **figures)
