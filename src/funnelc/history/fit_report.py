"""`funnelc fit` in the terminal: every fitted number with its interval, the candidate
distributions with AIC and Kolmogorov–Smirnov goodness of fit, and every warning. CRM
names are shown as written (`termtext.plain`), never read as rich markup."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ..i18n import C_, N_, Translator, choose, translator
from ..i18n.figures import Figures
from ..i18n.note import say
from ..i18n.words import route_label_text
from ..report.fmt import hours as fmt_h
from .dists import DistFit
from .fit import MIN_DEALS, FitResult, SourceFit
from .quality_render import kind_label
from .report import print_quality
from .run import Prepared

__all__ = ["print_fit", "dist_text"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def warning_lines(r: FitResult, say_note: Callable[[str], str], tr: Translator,
                  drawn: bool = False) -> list[str]:
    """The fit's warnings as the back-test and the forecast carry them: the account's,
    then each source's and stage's, named once («Заявки с сайта: источник «Заявки с
    сайта»: …» named it twice) and in the language's quotes. `drawn`: the forecast draws
    the shares of a stage too small to fit (`uncertainty._small_stage_shares`), so its
    «too few deals to trust» warning says that, not fit's «the funnel's shares and delays
    kept», which the forecast's note just before contradicted (a cadence's stage keeps
    its split: `uncertainty.small_stages`)."""
    from ..i18n.note import Note, _n

    def small(note: str) -> str:
        count = note.fields.get("count") if isinstance(note, Note) else None
        if not (drawn and isinstance(note, Note) and isinstance(count, int)
                and note.template.startswith("too few deals to trust:")):
            return note
        return _n("too few deals to trust: {count} visit old enough to have left (fewer than "
                  "{min}); every run draws the stage's shares around the funnel's from the "
                  "deals seen there, its delays the funnel's",
                  "too few deals to trust: {count} visits old enough to have left (fewer than "
                  "{min}); every run draws the stage's shares around the funnel's from the "
                  "deals seen there, its delays the funnel's", count, count=count,
                  min=note.fields["min"])

    def named(name: str, note: str) -> str:
        if isinstance(note, Note) and "source" in note.fields:
            return say_note(note)
        return f"{tr.quote(name)}: {say_note(note)}"

    out = [say_note(x) for x in r.warnings]
    out += [named(s.name, x) for s in r.sources for x in s.warnings]
    out += [named(f"{s.pipeline}.{s.stage}", x if s.cadence else small(x))
            for s in r.stages for x in s.warnings if not x.startswith("no deal of the data")]
    return out


class _Words:
    """The report's words in the output's language (the account's `language`, `--lang`
    overrides); English keeps the forms it always printed."""

    def __init__(self, language: str | None, currency: str | None = None) -> None:
        self.tr: Translator = translator(choose(language))
        self.currency = currency
        """The account's currency: a deal's value reads «15,49 млн ₽», not «15 490 000»."""
        self._ = self.tr.gettext
        self.english = self.tr.lang == "en"
        self.hours: Callable[[float], str] = fmt_h if self.english else Figures(self.tr).hours

    def share(self, x: float) -> str:
        """A share with one decimal (`35.2%`)."""
        return f"{x:.1%}" if self.english else self.tr.percent(x, 1)

    def count(self, n: int) -> str:
        return f"{n:,}" if self.english else self.tr.number(n, 0)

    def number(self, x: float, digits: int) -> str:
        """`x` with exactly `digits` decimals (`0,520` in ru)."""
        if self.english or not math.isfinite(x):
            return f"{x:.{digits}f}"
        from babel.numbers import format_decimal

        from ..i18n import wide_decimals

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        with wide_decimals():
            return format_decimal(x, format=pattern, locale=self.tr.locale)

    def say(self, note: str) -> str:
        """A note or warning of the fit (`fit_notes.Note`) in the language."""
        return note if self.english else say(note, self.tr, self.route)

    def route(self, label: str) -> str:
        """A way out as the fit labels it (`-> Stage`, `lost "X"`) in the language."""
        return label if self.english else route_label_text(self.tr, label)

    def how(self, s: SourceFit) -> str:
        """How a source's deals were told apart (`SourceFit.how`, `shared_share`,
        `plain_months`) in the language."""
        if s.how == "shared":
            share = self.tr.percent(s.shared_share or 0.0, 0) if not self.english else \
                f"{s.shared_share or 0.0:.0%}"
            parts = [self._("entry stage shared with another source: split in the funnel's "
                            "proportions of rates and month profiles ({share} on average)"
                            ).format(share=share)]
        else:
            parts = [self._(_HOW[s.how])]
        if s.plain_months:
            n = len(s.plain_months)
            parts.append(self.tr.ngettext(
                "rate of the {n} month at 100% ({months})",
                "rate of the {n} months at 100% ({months})", n).format(
                n=n, months=", ".join(self.month(mo) for mo in s.plain_months)))
        return "; ".join(parts)

    def month(self, key: str) -> str:
        """A month key of the funnel (`feb`) as the language abbreviates it."""
        if self.english or key not in _MONTHS:
            return key
        return self.tr.month_short(_MONTHS.index(key) + 1)


_HOW = {"by source name": N_("by source name"), "by entry stage": N_("by entry stage"),
        "no deals": N_("no deals")}
"""The fixed ways `fit` tells a source's deals apart (`SourceFit.how`)."""

@functools.cache
def _english() -> _Words:
    """The English words, made once (the default of every render)."""
    return _Words("en")


def dist_text(d: DistFit | None, unit: str = "h", w: _Words | None = None) -> str:
    w = w if w is not None else _english()
    _ = w._
    if d is None:
        return "—"
    f = w.hours if unit == "h" else (lambda x: f"{x:,.0f}" if w.english
                                     else _money(x, w))
    few = (" " + _("⚠ fewer than {n}: the funnel's value kept").format(n=MIN_DEALS)
           if d.n < MIN_DEALS else "")
    how = _how(d, w)
    if d.kind == "none":
        return _("no delay (below {limit}){how} n={n}{few}").format(
            limit=f(d.ci_high), how=how, n=w.count(d.n), few=few)
    if d.beyond > 0:
        share = f"{d.beyond:.0%}" if w.english else w.tr.percent(d.beyond)
        how += ", " + (_("{share} of it past the history's end (the family's tail)")
                       if d.method == "cut" else
                       _("{share} of it past the SLA (the family's tail)")).format(share=share)
    return _("{kind} mean {mean} [{low}, {high}] n={n}{how}{few}").format(
        kind=_kind(d.kind, w), mean=f(d.mean), low=f(max(d.ci_low, 0)), high=f(d.ci_high), n=w.count(d.n),
        how=how, few=few)


_KINDS = {"fixed": C_("distribution", "fixed"), "empirical": C_("distribution", "empirical")}
"""Families said in words in Russian and Ukrainian: «fixed» is the file's keyword, not a
word of a client's table (exp, gamma and lognormal are the distributions' own names)."""


def _kind(kind: str, w: _Words) -> str:
    return kind if w.english or kind not in _KINDS else w.tr.pgettext("distribution",
                                                                      _KINDS[kind])


def _money(x: float, w: _Words) -> str:
    """A deal's value in the account's currency: whole below a million («82 084 ₽»),
    short above («15,49 млн ₽»; it read «15 490 000»)."""
    if not w.currency:
        return w.tr.number(round(x), 0) if abs(x) < 1e6 else w.tr.compact(x)
    return w.tr.money(round(x), w.currency, compact=abs(x) >= 1e6)


def _how(d: DistFit, w: _Words) -> str:
    """How a delay was found, when not by a plain likelihood fit of the times in stage."""
    dist = (", " + w._("distance {d}").format(d=w.number(d.distance, 3))
            if math.isfinite(d.distance) else "")
    if d.method == "calibrated":
        return ", " + w._("calibrated") + dist
    if d.method == "picked up":
        return ", " + w._("from pick-up times") + dist
    if d.method == "cut":
        # Deals were still leaving at the end: the times seen are those short enough to
        # have ended before it (`fit.fit_delay`).
        return ", " + w._("fitted with the deals still open, each cut at its age")
    return ""


def _gof(d: DistFit | None, w: _Words) -> str:
    if d is None or not d.candidates:
        return ""
    if all(math.isfinite(c.distance) for c in d.candidates):
        return "; ".join(w._("{kind} mean {mean} distance {d}").format(
            kind=c.kind, mean=w.hours(c.mean), d=w.number(c.distance, 3)) for c in d.candidates)
    # A fit from pick-up times has no Kolmogorov–Smirnov test (censored sample): its
    # candidates are told apart by AIC alone, and «KS nan p=nan» said nothing to a client.
    return "; ".join(f"{c.kind} AIC {w.number(c.aic, 0)}"
                     + (f" KS {w.number(c.ks, 3)} {w.tr.p_value(c.p)}"
                        if math.isfinite(c.ks) and math.isfinite(c.p) else "")
                     for c in d.candidates)


def _print_calibration(r: FitResult, console: Any, w: _Words) -> None:
    from rich.table import Table

    from ..termtext import plain

    _ = w._
    cal = r.calibration
    if cal is None or not cal.residuals:
        return
    picked = (w.tr.ngettext(
        "{n} stage from the pick-up times the history carries (wait = picked − entered; "
        "work and delay from picked → left)",
        "{n} stages from the pick-up times the history carries (wait = picked − entered; "
        "work and delay from picked → left)", len(cal.picked)).format(n=w.count(len(cal.picked)))
              if cal.picked else "")
    # A stage where deals wait for nobody took that path with no pick-up read (a CSV
    # without `picked_at` said «from the pick-up times the history carries»).
    unqueued = (w.tr.ngettext(
        "{n} stage where deals wait for nobody: from its times in stage, with no wait to "
        "take out",
        "{n} stages where deals wait for nobody: from their times in stage, with no wait "
        "to take out", len(cal.unqueued)).format(n=w.count(len(cal.unqueued)))
                if cal.unqueued else "")
    sim = (_("calibrated through the simulator ({runs}, {deals})").format(
        runs=w.tr.ngettext("{n} run", "{n} runs", cal.runs).format(n=w.count(cal.runs)),
        deals=w.tr.ngettext("{n} simulated deal", "{n} simulated deals",
                            cal.simulated_deals).format(n=w.count(cal.simulated_deals)))
           if cal.method != "picked up" else "")
    how = "; ".join(x for x in (sim, picked, unqueued) if x)
    t = Table(title=_("Delays {how}: time in stage, history vs model").format(how=how),
              title_justify="left")
    for c in (_("stage"), _("deals"), _("mean"), _("median"), _("90th pct"), _("distance")):
        t.add_column(c, overflow="fold")
    vs = _("{history} vs {model}")
    for x in cal.residuals:
        t.add_row(plain(f"{x.pipeline}.{x.stage}"), w.count(x.n),
                  vs.format(history=w.hours(x.obs_mean), model=w.hours(x.sim_mean)),
                  vs.format(history=w.hours(x.obs_p50), model=w.hours(x.sim_p50)),
                  vs.format(history=w.hours(x.obs_p90), model=w.hours(x.sim_p90)),
                  w.number(x.distance, 3))
    console.print(t)


def print_fit(r: FitResult, prep: Prepared, notes: list[str], console: Any,
              language: str | None = None, currency: str | None = None) -> None:
    """The fit report in `language` (the account's; `--lang` overrides it), money in
    the account's `currency`."""
    from rich.table import Table
    from rich.text import Text

    from ..termtext import plain

    w = _Words(language, currency)
    _ = w._
    dq = prep.history.quality
    deals, events = prep.tables.deals, prep.tables.events
    # «підібрано на основі 180 угод», not «за угодами: 180»: the counts after «from» take
    # the genitive (context "of").
    console.print(plain(_("fitted from {deals}, {events} over {days}").format(
        deals=w.tr.npgettext("of", "{n} deal", "{n} deals", deals).format(n=w.count(deals)),
        events=w.tr.npgettext("of", "{n} event", "{n} events", events).format(
            n=w.count(events)),
        days=w.tr.duration(round(r.span_hours / 24), "day")), style="bold"))
    t = Table(title=_("Sources"), title_justify="left")
    for c in (_("source"), _("deals"), w.tr.pgettext("arrivals", "rate"), _("95% CI"),
              _("month profile (listed*)"),
              _("value"), _("how")):
        t.add_column(c, overflow="fold")
    kept = _("⚠ kept")
    for s in r.sources:
        prof = ", ".join(f"{w.month(mo)} {f'{v[0]:.0%}' if w.english else w.tr.percent(v[0])}"
                         f"{'*' if v[3] else ''}" for mo, v in s.profile.items())
        rate = _("{rate}/day").format(rate=w.number(s.per_hour * 24, 2)) + (
            " " + _("⚠ fewer than {n} deals: the funnel's rate kept").format(n=MIN_DEALS)
            if 0 < s.deals < MIN_DEALS else "")
        t.add_row(plain(s.name), w.count(s.deals), rate,
                  f"{w.number(s.low * 24, 2)}–{w.number(s.high * 24, 2)}", plain(prof or "—"),
                  plain(dist_text(s.value, "amt", w)),
                  plain(w.how(s) + ("; " + "; ".join(w.say(x) for x in s.warnings)
                                        if s.warnings else "")))
    console.print(t)
    t = Table(title=_("Outcome shares and delays per stage"), title_justify="left")
    for c in (_("stage"), _("route"), _("deals"), _("share"), _("95% CI"), _("after (fitted)"),
              _("goodness of fit")):
        t.add_column(c, overflow="fold")
    for sf in r.stages:
        first = True
        name = plain(f"{sf.pipeline}.{sf.stage}")
        for rt in sf.routes:
            # A share the data cannot tell (`fit._mixture_shares`) is no number: its
            # warning below says why.
            share = "—" if rt.key[0] == "sla" or not rt.told else w.share(rt.share) + (
                " " + kept if sf.mature < MIN_DEALS else "")
            ci = "" if rt.key[0] == "sla" or not rt.told else f"{w.share(rt.low)}–{w.share(rt.high)}"
            new = ("" if rt.outcome is not None or rt.key in (("stay",), ("sla",))
                   else " " + _("(new)"))  # the SLA is the stage's own, never a new route
            label = _("sla timeout (not a share)") if rt.key[0] == "sla" else w.route(rt.label)
            t.add_row(name if first else "", plain(label + new),
                      w.count(rt.count), share, ci, plain(dist_text(rt.after, "h", w)),
                      plain(_gof(rt.after, w)))
            first = False
        if sf.work is not None:
            t.add_row(name if first else "", _("work (picked up → left, routes without after)"),
                      w.count(sf.work.n), "", "", dist_text(sf.work, "h", w), _gof(sf.work, w))
            first = False
        if sf.time is not None:
            t.add_row(name if first else "", _("time in stage"),
                      w.count(sf.time.n), "", "", dist_text(sf.time, "h", w), _gof(sf.time, w))
            first = False
        for warning in sf.warnings:
            t.add_row(name if first else "", plain(f"⚠ {w.say(warning)}", style="yellow"),
                      "", "", "", "", "")
            first = False
    console.print(t)
    if r.reopens:
        t = Table(title=_("Reopens (lost deals that came back)"), title_justify="left")
        for c in (_("pipeline"), _("reason"), _("lost"), _("came back"), _("share"), _("95% CI"),
                  _("to"), _("delay")):
            t.add_column(c, overflow="fold")
        for ro in r.reopens:
            if ro.not_kept:
                # Comebacks whose reason the export did not keep: no share to show (the
                # pipeline's warning says why and what the data does tell).
                t.add_row(plain(ro.pipeline), plain(ro.reason), w.count(ro.lost), "—",
                          "— " + kept, "—", plain(ro.target or "—"), "—")
                continue
            t.add_row(plain(ro.pipeline),
                      plain(ro.reason + ("" if ro.in_funnel else " " + _("(new)"))),
                      w.count(ro.lost), w.count(ro.back), w.share(ro.share) + (
                          " " + kept if ro.lost < MIN_DEALS else ""),
                      f"{w.share(ro.low)}–{w.share(ro.high)}", plain(ro.target or "—"),
                      dist_text(ro.delay, "h", w))
        console.print(t)
    _print_calibration(r, console, w)
    nm = prep.names
    if nm is not None and (nm.unmatched_stages or nm.unseen_stages):
        console.print(plain(_("names not matched"), style="bold"))
        for pn, sn, count in nm.unmatched_stages:
            console.print(plain("  " + w.tr.ngettext(
                "in the data, not in the funnel: {stage} ({n} event)",
                "in the data, not in the funnel: {stage} ({n} events)", count).format(
                    stage=f"{pn}.{sn}", n=w.count(count))))
        for pn, sn in nm.unseen_stages:
            console.print(plain("  " + _("in the funnel, not in the data: {stage}").format(
                stage=f"{pn}.{sn}")))
    for warning in [w.say(x) for x in r.warnings + [x for s in r.sources for x in s.warnings]] + [
            _("reopen \"{reason}\": {warning}").format(reason=ro.reason, warning=w.say(x))
            for ro in r.reopens for x in ro.warnings]:
        console.print(Text.assemble((_("warning:"), "yellow"), " ", plain(warning)))
    for note in notes:
        console.print(plain(_("note: {note}").format(note=w.say(note))))
    if dq.counts:
        # Named in the report's language, as the history's table names them: a clinic's
        # Russian fit said «аномалии (учтены, оставлены): cross_pipeline_moves 114».
        counts = ", ".join(f"{kind_label(k, w.tr)} {w.count(v)}"
                           for k, v in sorted(dq.counts.items()))
        console.print(Text.assemble((_("anomalies"), "bold"),
                                    plain(" " + _("(counted, kept): {counts}").format(
                                        counts=counts))))
    if dq.dropped or dq.notes:
        print_quality(dq, console, w.tr)
    console.print(_("delays: lowest AIC among exp/lognormal/gamma; empirical quantiles when the "
                    "best fails KS at 1% or misses the sample's mean (n ≥ 50); in stages "
                    "with work or an SLA, net of queue waits and work: from the pick-up "
                    "times where the history has them, else calibrated through the simulator (distance: gap in mean "
                    "and deciles over the observed mean); means: the family's own 95% "
                    "interval (calibrated: bootstrap); the stages' deals: the visits old "
                    "enough to have left (entered at least the stage's 99th percentile of "
                    "time in stage before the end), the delays' sample; shares: each way "
                    "out's cumulative "
                    "incidence at the horizon, the deals still open counted for as long as "
                    "they were watched (Aalen–Johansen), with its 95% interval; in a stage "
                    "without stay, with deals still open: the shares and delays fitted "
                    "together, each open deal counted for each way out by how likely it "
                    "still was at its age (a mixture of competing risks); rates: exact "
                    "Poisson; fewer than {n} deals behind a figure (⚠): the funnel's "
                    "value kept").format(n=MIN_DEALS))
