"""The audit in words: one sentence per finding, the decomposition's verdict, the
sections `history` adds to its terminal, HTML and JSON output, and what `funnelc audit`
prints (text) or writes (JSON, schema audit.schema.json). People read it in the
account's language (`--lang` overrides; `funnelc.i18n`); the JSON's `text` stays
English, as data."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl

from ..i18n import C_, Translator, choose, translator
from ..numfmt import with_currency
from .audit import Audit
from .detectable_render import detectable_json, detectable_section, detectable_text
from .events import WON
from .findings import ALPHA, Contact, Entangled, Finding, Junk, LeftOpen, Regulars, Speed, Upstream
from .loss_reasons import BAND_DIGITS, MISSING_MIN, MISSING_SHARE
from .report import Column, Section, _Formats, conversion_marks, pair_stage, placeholder, points
from .sources import spread as is_spread
from .sources import unknown_heavy
from .stats import MIN_MONTH_DEALS
from .transitions import COMEBACK_DAYS

if TYPE_CHECKING:
    from rich.console import Console

    from ..jsontypes import JSONObject

__all__ = ["finding_text", "verdict", "audit_sections", "audit_heading", "print_audit",
           "not_compared", "audit_json"]


class _Fmt:
    """The audit's figures in one language: shares, percentage points, money, counts."""

    def __init__(self, tr: Translator, currency: str | None = None) -> None:
        self.tr = tr
        self.currency = currency

    def pct(self, x: float | None) -> str:
        return "—" if x is None else self.tr.percent(x, 2)

    def pp(self, x: float) -> str:
        # A change that rounds to nothing has no sign: a window firm's mix effect of
        # −0.045 pp read «−0 п. п.» in the decomposition's table.
        sign = "" if round(abs(100 * x), 1) == 0 else "+" if x > 0 else "−"
        return points(self.tr, sign, abs(100 * x))

    def money(self, x: float | None) -> str:
        if x is None:
            return "—"
        if self.currency:
            return self.tr.money(round(x), self.currency)
        return self.tr.number(round(x), 0)

    def count(self, x: float) -> str:
        return self.tr.number(round(x), 0)

    def amount(self, x: float) -> str:
        """A deal's amount to the cent, as a size band names it (`money` rounds to
        whole units: a band of 5.2–7.3 million read «5–7»)."""
        figure = self.tr.number(x, BAND_DIGITS)
        return with_currency(figure, self.currency, self.tr.lang) if self.currency \
            else figure

    def month(self, ym: object, named: bool) -> str:
        """A cohort month (`2026-05`) as people say it after «in»/«у»/«в» («у травні
        2026»), when `named`; as written otherwise (the JSON's sentences are data)."""
        text = str(ym)
        year, _, month = text.partition("-")
        if not named or not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
            return text
        return f"{self.tr.month_in(int(month))} {year}"

    def period(self, text: object, named: bool, after_in: bool = True) -> str:
        """A period of months (`2026-05`, `2026-01..2026-03`) as people say it, when
        `named`: after «in»/«в»/«у» («в январе–марте 2026») or, not `after_in`,
        standing alone in a table cell («январь–март 2026», «січень–березень 2026»);
        as written otherwise (the JSON's sentences are data)."""
        raw = str(text)
        if not named:
            return raw
        lo, sep, hi = raw.partition("..")
        if not sep or lo == hi:
            return self.month(lo, named) if after_in else self._alone(lo)
        a, b = self._split(lo), self._split(hi)
        if a is None or b is None:
            return raw
        word = self.tr.month_in if after_in else self.tr.month
        # A table cell's year is bound to its months by a no-break space, so the page
        # does not wrap «январь–март» and «2026» apart (a narrow terminal column may
        # still fold it).
        gap = " " if after_in else "\u00a0"
        if a[0] == b[0]:
            return f"{word(a[1])}–{word(b[1])}{gap}{a[0]}"
        return f"{word(a[1])}{gap}{a[0]} – {word(b[1])}{gap}{b[0]}"

    def _alone(self, ym: str) -> str:
        got = self._split(ym)
        return ym if got is None else f"{self.tr.month(got[1])}\u00a0{got[0]}"

    @staticmethod
    def _split(ym: str) -> tuple[str, int] | None:
        year, _, month = ym.partition("-")
        if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
            return None
        return year, int(month)

    def p(self, x: float | None) -> str:
        """A p-value in a sentence: «p < 0,001», «p = 0,0043» (it read «p = 8,6e-59»)."""
        return self.tr.p_value(x)

    def p_cell(self, x: float | None) -> str:
        """A p-value in a table's `p` column, scientific when tiny (`8,6e-59`)."""
        return self.tr.p_cell(x)

    def bases(self, counts: tuple[int, int, int, int]) -> dict[str, str]:
        """A two-period finding's counts (first period's k of n, last period's k of n)
        as the `{before} of {n_before}` / `{after} of {n_after}` fields of its text."""
        k_first, n_first, k_last, n_last = counts
        return {"before": self.count(k_first), "n_before": self.count(n_first),
                "after": self.count(k_last), "n_after": self.count(n_last)}

    def deals(self, f: Finding) -> str:
        n = round(f.deals)
        if f.deals_low is not None and f.deals_high is not None:
            return self.tr.ngettext("{n} deal (95% interval {low}–{high})",
                                    "{n} deals (95% interval {low}–{high})", n).format(
                n=self.count(f.deals), low=self.count(f.deals_low),
                high=self.count(f.deals_high))
        return self.tr.ngettext("{n} deal", "{n} deals", n).format(n=self.count(f.deals))

    def where(self, f: Finding, subject: bool = False) -> str:
        """The finding's place as a phrase of its own, after the sentence's preposition
        in English («on «Sales» «New» → «Met»») or, `subject`, opening it. Russian and
        Ukrainian carry their preposition and case in the phrase («на переходе «A» → «B»
        в воронке «Первичные»», «Этап «A» в воронке «Первичные» — кладбище»): the
        sentence's «на «Первичные» «A» → «B»» read as a stage named after the pipeline."""
        named = "pair" if f.stage and f.to_stage else "stage" if f.stage else ""
        shape = " ".join(w for w in ("pipeline" if f.pipeline else "", named) if w)
        context, text = (("finding place, subject", _PLACE_OPENING[shape]) if subject
                         else ("finding place", _PLACE[shape]))
        return self.tr.pgettext(context, text).format(
            pipeline=f.pipeline, stage=f.stage or "",
            to_stage=pair_stage(f.to_stage, self.tr) if f.to_stage else "")


_PLACE = {
    "pipeline pair": C_("finding place", "«{pipeline}» «{stage}» → «{to_stage}»"),
    "pipeline stage": C_("finding place", "«{pipeline}» «{stage}»"),
    "pipeline": C_("finding place", "«{pipeline}»"),
    "pair": C_("finding place", "«{stage}» → «{to_stage}»"),
    "stage": C_("finding place", "«{stage}»"),
    "": C_("finding place", "the pipeline"),
}
"""A finding's place after the sentence's preposition, by what the finding names."""
_PLACE_OPENING = {
    "pipeline pair": C_("finding place, subject", "«{pipeline}» «{stage}» → «{to_stage}»"),
    "pipeline stage": C_("finding place, subject", "«{pipeline}» «{stage}»"),
    "pipeline": C_("finding place, subject", "«{pipeline}»"),
    "pair": C_("finding place, subject", "«{stage}» → «{to_stage}»"),
    "stage": C_("finding place, subject", "«{stage}»"),
    "": C_("finding place, subject", "the pipeline"),
}
"""A finding's place opening its sentence («{where} is a graveyard»)."""


def _english() -> Translator:
    return translator("en")


def finding_text(f: Finding, tr: Translator | None = None, currency: str | None = None) -> str:
    """One sentence a consultant can read out (English unless `tr` says otherwise: the
    JSON's `text` stays English, the tables follow the account's language), the money
    at stake in `currency` when the account has one."""
    named = tr is not None
    tr = tr or _english()
    _ = tr.gettext
    x = _Fmt(tr, currency)
    money = _("; {money} at stake").format(money=x.money(f.money)) \
        if f.money is not None else ""
    if f.kind in ("graveyard", "hoarding", "dead_end") and f.money is not None and f.deals:
        # The hoarded deals are priced as the stage's deals are worth on entry: said so,
        # a training company's «4 137 920 ₽ at stake» for 42 deals whose own age gives
        # them a few per cent could not be explained to the client. So is nothing at
        # stake: a dead end's deals never moved on, so none was won (a demo org's «18
        # deals pile up there … $0 at stake» said nothing of why).
        money = _("; {money} at stake: what they would bring if won as often as the deals "
                  "that come into the stage ({each} a deal)").format(
                      money=x.money(f.money), each=x.money(f.money / f.deals))
    a, b = f.periods or ("", "")
    fields = {"subject": placeholder(f.subject, tr), "observed": x.pct(f.observed), "where": x.where(f),
              "expected": x.pct(f.expected), "n": x.count(f.n), "p": x.p(f.p_value),
              "deals": x.deals(f), "money": money, "first": x.period(a, named),
              "last": x.period(b, named),
              "alpha": tr.percent(ALPHA), "days": tr.duration(round(f.within_days or 0), "day"),
              "after": tr.duration(round(f.after_days or 0), "day"),
              "hoarded": tr.number(f.deals, 0),
              "entered": tr.ngettext("{n} deal", "{n} deals", f.n).format(n=x.count(f.n))}
    # Counts are said with their noun through ngettext: «там накопичилося угод: 123»
    # wrote around the plural a Ukrainian client reads as «123 угоди».
    hoarded = round(f.deals)
    if f.kind == "loss_reasons_missing":
        # `deals` counts losses here (a deal lost twice is two): said as «45 losses», not
        # «45 deals», as the loss-reason tables head that count.
        fields["deals"] = tr.ngettext("{n} loss", "{n} losses", round(f.deals)).format(
            n=x.count(f.deals))
    if f.entangled is not None and f.entangled.explained:
        return _untangled_text(f, f.entangled, tr, x)
    if f.regulars is not None and not f.regulars.holds:
        return _regulars_text(f, f.regulars, tr, x)
    if f.left_open is not None and f.left_open.explained:
        return _left_open_text(f, f.left_open, tr, x)
    if f.kind == "manager_conversion":
        text = _("{subject} converts {observed} on {where} against {expected} for the rest of "
                 "the team ({entered}, {p}): {deals} short{money}.")
    elif f.kind == "manager_practice":
        text = _("{subject} converts {observed} on {where} against {expected} for the rest of "
                 "the team ({entered}, {p}): at that rate the rest would have had {deals} "
                 "more{money}. Find out what {subject} does differently and teach it to "
                 "the team.")
    elif f.kind == "premature_losses":
        # The clients come back, not always the deals (a new deal of the same client:
        # `cohorts.COMEBACK_DAYS`); the noun follows its count («із 51 відмови»).
        text = tr.ngettext(
            "{subject} closes deals on {where} as lost whose clients come back later: "
            "{observed} of {n} loss old enough to have come back, against {expected} for the "
            "rest ({p}); {deals} closed too early{money}.",
            "{subject} closes deals on {where} as lost whose clients come back later: "
            "{observed} of {n} losses old enough to have come back, against {expected} for "
            "the rest ({p}); {deals} closed too early{money}.", f.n)
    elif f.kind == "source_quality" and f.counts is not None:
        # Each rate with its base, as the loss-reason shifts give theirs.
        fields.update(x.bases(f.counts))
        text = _("Source «{subject}» converts {observed} on {where} in {last} ({after} of "
                 "{n_after}) against {expected} in {first} ({before} of {n_before}; {p}): its "
                 "leads got worse, {deals} fewer{money}.")
    elif f.kind == "source_quality":
        text = _("Source «{subject}» converts {observed} on {where} in {last} against "
                 "{expected} in {first} ({p}): its leads got worse, {deals} "
                 "fewer{money}.")
    elif f.kind == "source_mix" and f.counts is not None and \
            f.counts[2] * f.counts[1] < f.counts[0] * f.counts[3]:
        # The source that carried the fall lost share, converting better than the rest:
        # «more leads from worse sources, “Site” most» read as Site's leads being worse.
        fields.update(x.bases(f.counts))
        text = _("On {where} the mix of sources moved the rate between {first} and {last}: "
                 "fewer leads from better sources, «{subject}» most (its deals: {before} "
                 "of {n_before}, then {after} of {n_after}); a shortfall of "
                 "{deals}{money}.")
    elif f.kind == "source_mix":
        text = _("On {where} the mix of sources moved the rate between {first} and {last}: "
                 "more leads from worse sources, «{subject}» most; a shortfall of "
                 "{deals}{money}.")
    elif f.kind == "source_junk" and f.junk is not None:
        return _junk_text(f, f.junk, tr, x) + _entangled_note(f, tr, x)
    elif f.kind == "manager_speed" and f.speed is not None:
        return _speed_text(f, f.speed, tr, x)
    elif f.kind == "source_rate":
        text = _("On {where} every source converts worse in {last} than in {first} "
                 "({expected} → {observed}, {p}); the mix of sources explains little of "
                 "it: a sales matter, look at how leads are worked; a shortfall of "
                 "{deals}{money}.")
    elif f.kind == "loss_reasons_missing" and f.subject:
        # The catch-alls the client's CRM has, as written (`subject`): a list of other
        # CRMs' words («Прочее», «Other») read as English left in a Ukrainian sentence.
        fields["reasons"] = ", ".join(tr.quote(r) for r in f.subject.split(", "))
        text = _("{observed} of the {n} losses in {where} have no reason or a catch-all one "
                 "({reasons}): {deals} whose reason nobody can act on{money}. Make "
                 "the reason required and drop the catch-all.")
    elif f.kind == "loss_reasons_missing" and f.lone_stage is not None:
        # Read as the reason, a standard Bitrix24 pipeline's lone «Сделка провалена»
        # made every loss look explained: the cause is the export, or the account.
        fields["stage"] = tr.quote(f.lone_stage)
        text = _("{observed} of the {n} losses in {where} have no reason: {deals} whose "
                 "reason nobody can act on{money}. The pipeline has one failure stage, "
                 "{stage}, which tells no loss from another, and the reason is in no deal "
                 "field of the export: not exported, or not kept. Save crm.deal.userfield.list "
                 "and crm.deal.list with select [\"*\", \"UF_*\"] (or name the field with "
                 "--loss-field); if no deal field holds the reason, add one and make it "
                 "required.")
    elif f.kind == "loss_reasons_missing":
        text = _("{observed} of the {n} losses in {where} have no reason: {deals} whose "
                 "reason nobody can act on{money}. Make the reason required.")
    elif f.kind == "manager_on_wins":
        fields.update(_on_wins_counts(f, tr, x))
        text = _("In {where} the manager is named {named}, {observed} of them won, and on "
                 "{expected} {others}: the field is filled once a deal is won, so who worked "
                 "the others, and lost them, is unknown. The managers are not compared "
                 "there: have the responsible manager set when a deal is taken up, then "
                 "compare again.")
    elif f.kind == "value_on_wins":
        fields.update(_on_wins_counts(f, tr, x))
        text = _("In {where} an amount is written {named}, {observed} of them won, and on "
                 "{expected} {others}: the field is filled once a deal is won, so what the "
                 "open and lost deals are worth is unknown. The money at stake there is the "
                 "won deals' mean amount times the share of deals won: have the amount set "
                 "when a deal is taken up to price each deal by its own.")
    elif f.kind == "loss_reason_shift" and f.counts is not None:
        # Each share with its base: «25.84% … 15.91%» alone left the client to ask «of
        # how many?», where every other finding gives its counts. The share is of the
        # losses at the stage the reason is given at (`where`), not of all the losses:
        # more junk lost at qualification made «Дорого» «fall» from 25.84% to 15.91% of
        # all the losses with nothing changed where prices are discussed.
        fields.update(x.bases(f.counts))
        fields["stages"] = x.count(f.stages or 1)
        # A reason given at several stages is tested over them all (Cochran–Mantel–
        # Haenszel), its figures those of the stage that moved most.
        text = tr.ngettext(
            "Loss reason «{subject}» on {where}, where it moved most of the {stages} stage "
            "it is given at: {expected} of the losses at that stage of deals that came in "
            "{first} ({before} of {n_before}), {observed} of those that came in {last} "
            "({after} of {n_after}), each counted within {days} of entry ({p} over those "
            "stages, Cochran–Mantel–Haenszel; Benjamini–Hochberg at {alpha}).",
            "Loss reason «{subject}» on {where}, where it moved most of the {stages} stages "
            "it is given at: {expected} of the losses at that stage of deals that came in "
            "{first} ({before} of {n_before}), {observed} of those that came in {last} "
            "({after} of {n_after}), each counted within {days} of entry ({p} over those "
            "stages, Cochran–Mantel–Haenszel; Benjamini–Hochberg at {alpha}).",
            f.stages or 1) if (f.stages or 1) > 1 else _(
            "Loss reason «{subject}» on {where}: {expected} of the losses at that stage "
            "of deals that came in {first} ({before} of {n_before}), {observed} of those "
            "that came in {last} ({after} of {n_after}), each counted within {days} of "
            "entry ({p}, Benjamini–Hochberg at {alpha}).")
    elif f.kind == "loss_reason_upstream" and f.upstream is not None:
        return _upstream_text(f, f.upstream, tr, x, named)
    elif f.kind == "loss_reason_shift":
        text = _("Loss reason «{subject}» on {where}: {expected} of the losses at that stage "
                 "of deals that came in {first}, {observed} of those that came in {last}, each "
                 "counted within {days} of entry ({p}, Benjamini–Hochberg at {alpha}).")
    elif f.kind == "hoarding":
        fields["where"] = x.where(f, subject=True)
        text = tr.ngettext(
            "{where} is a graveyard: {hoarded} deal piles up there, older than 95% of the "
            "deals that moved on took to move on, but those that sat long do not clearly move "
            "on less often than fresh ones, so their age does not segment them: go through "
            "them by their last activity{money}.",
            "{where} is a graveyard: {hoarded} deals pile up there, older than 95% of the "
            "deals that moved on took to move on, but those that sat long do not clearly move "
            "on less often than fresh ones, so their age does not segment them: go through "
            "them by their last activity{money}.", hoarded)
    elif f.kind == "dead_end":
        fields["where"] = x.where(f, subject=True)
        text = tr.ngettext(
            "{where} is a dead end: {hoarded} deal piles up there and no deal has moved on from "
            "it in the history: close it with its reason, or give the stage a way out{money}.",
            "{where} is a dead end: {hoarded} deals pile up there and no deal has moved on from "
            "it in the history: close them with their reason, or give the stage a way "
            "out{money}.", hoarded)
    else:
        # The graveyard is the stage; its next stage is where the old deals rarely go.
        # Written «Думає» → «Договір» — кладовище, the move read as the graveyard.
        fields["where"] = x.where(replace(f, to_stage=None), subject=True)
        fields["to_stage"] = f.to_stage or ""
        fields["stayed"] = tr.ngettext(
            "the {n} deal still there after {after}", "the {n} deals still there after {after}",
            f.n).format(n=x.count(f.n), after=fields["after"])
        # The comparison the finding rests on is per day in the stage (the exposure test):
        # said as moves a day of every 100 deals there, before the cut and after it. The
        # shares that follow are where the deals ended up however long it took: «71.32%
        # … against 72.57%: old deals move on under half as often per day» set two near
        # shares against «under half» and left the client to square them.
        before, later = f.daily if f.daily is not None else (None, None)
        fields["before"] = tr.sig(None if before is None else 100 * before, 2)
        fields["later"] = tr.sig(None if later is None else 100 * later, 2)
        # The shares count every way forward: the stage is named only when it is the one
        # (`graveyard_findings`), else the sentence says where «moved on» leads.
        text = tr.ngettext(
            "{where} is a graveyard: {hoarded} deal piles up there. Deals that have been "
            "there {after} or longer move on less than half as often: of every 100 deals in the "
            "stage, {before} a day moved on to «{to_stage}» in their first {after}, and "
            "{later} a day after that ({p}, Holm at {alpha}). In the end, {observed} of "
            "{stayed} moved on, against {expected} of all that came in. It is the old, slow "
            "deals that pile up: segment the stage so that they are worked apart from the "
            "fresh ones (the proposed stages are below){money}.",
            "{where} is a graveyard: {hoarded} deals pile up there. Deals that have been "
            "there {after} or longer move on less than half as often: of every 100 deals in the "
            "stage, {before} a day moved on to «{to_stage}» in their first {after}, and "
            "{later} a day after that ({p}, Holm at {alpha}). In the end, {observed} of "
            "{stayed} moved on, against {expected} of all that came in. It is the old, slow "
            "deals that pile up: segment the stage so that they are worked apart from the "
            "fresh ones (the proposed stages are below){money}.", hoarded) if f.to_stage else \
            tr.ngettext(
            "{where} is a graveyard: {hoarded} deal piles up there. Deals that have been "
            "there {after} or longer move on less than half as often: of every 100 deals in the "
            "stage, {before} a day moved on (to a later stage or won) in their first {after}, "
            "and {later} a day after that ({p}, Holm at {alpha}). In the end, {observed} of "
            "{stayed} moved on, against {expected} of all that came in. It is the old, slow "
            "deals that pile up: segment the stage so that they are worked apart from the "
            "fresh ones (the proposed stages are below){money}.",
            "{where} is a graveyard: {hoarded} deals pile up there. Deals that have been "
            "there {after} or longer move on less than half as often: of every 100 deals in the "
            "stage, {before} a day moved on (to a later stage or won) in their first {after}, "
            "and {later} a day after that ({p}, Holm at {alpha}). In the end, {observed} of "
            "{stayed} moved on, against {expected} of all that came in. It is the old, slow "
            "deals that pile up: segment the stage so that they are worked apart from the "
            "fresh ones (the proposed stages are below){money}.", hoarded)
    said = text.format(**fields)
    if f.kind in ("source_quality", "source_mix", "source_rate") and f.within_days is not None:
        # Both periods' conversions counted within the same time of entry: counted to the
        # export's end, the earlier period had months more to convert (`sources`).
        said += " " + _("Both periods' deals are counted as converted within {days} of "
                        "entry.").format(days=fields["days"])
    if f.band is not None:
        # Where the change is: a price list that loses the small deals is fixed in the
        # small deals' prices (the band as the size table names it, in the currency).
        bd = f.band
        band = x.amount(bd.high) if bd.low == bd.high else \
            f"{tr.number(bd.low, BAND_DIGITS)}–{x.amount(bd.high)}"
        said += " " + _("Most in deals of {band}: {first_share} of their losses then, "
                        "{last_share} now ({p}, Holm over the size bands at {alpha}).").format(
            band=band, first_share=x.pct(bd.losses_first / bd.of_first),
            last_share=x.pct(bd.losses_last / bd.of_last), p=x.p(bd.p_value),
            alpha=fields["alpha"])
    if f.comeback is not None and (f.comeback.reopened or f.comeback.new_deal):
        # Which way the losses came back: a new deal of the same client is another
        # manager's win in the CRM, and the client's own card shows only the new deal.
        cb = f.comeback
        # What a reopened deal is, said where it is counted (`cohorts._reopens`): back
        # in the pipeline and not lost again within the hour of the loss (`REOPEN_HOURS`).
        ways = ([tr.ngettext("{n} deal reopened and not lost again within an hour",
                             "{n} deals reopened and not lost again within an hour",
                             cb.reopened)
                 .format(n=x.count(cb.reopened))] if cb.reopened else []) + (
            [tr.ngettext("{n} new deal of the same client within {days} of the loss",
                         "{n} new deals of the same client within {days} of the loss",
                         cb.new_deal).format(n=x.count(cb.new_deal),
                                             days=tr.duration(cb.window_days, "day"))]
            if cb.new_deal else [])
        said += " " + _("They came back as: {ways}.").format(ways="; ".join(ways))
        if cb.new_deal:
            # Whose win a returning client is: a colleague's, while the manager who closed
            # the deal keeps a clean record (seed 001: closed «щоб не погіршувати KPI»).
            said += " " + _("Of the new deals: {parts}.").format(parts="; ".join((
                tr.ngettext("{n} went to another manager", "{n} went to other managers",
                            cb.other_manager).format(n=x.count(cb.other_manager)),
                tr.ngettext("{n} was won", "{n} were won", cb.won).format(
                    n=x.count(cb.won)))))
    for m in f.named:
        # Who leaves the reasons out: the consultant talks to that manager, not to the
        # pipeline. The noun follows the count it is said with («з 21 відмови»).
        said += " " + tr.ngettext(
            "{name} leaves {count} of {of} loss without a usable reason ({share}), the rest "
            "of the team {rest_count} of {rest_of} ({rest_share}; {p}, Holm at {alpha}).",
            "{name} leaves {count} of {of} losses without a usable reason ({share}), the "
            "rest of the team {rest_count} of {rest_of} ({rest_share}; {p}, Holm at "
            "{alpha}).", m.of).format(
                name=m.name, count=x.count(m.count), of=x.count(m.of),
                share=x.pct(m.count / m.of), rest_count=x.count(m.rest_count),
                rest_of=x.count(m.rest_of), rest_share=x.pct(m.rest_count / m.rest_of),
                p=x.p(m.p_value), alpha=fields["alpha"])
    said += _entangled_note(f, tr, x)
    # A translation may open with the place («{where} конверсию…» in Russian, where the
    # place carries its own «на»): a sentence starts with a capital.
    return said[:1].upper() + said[1:] if text.startswith("{where}") else said


def _on_wins_counts(f: Finding, tr: Translator, x: _Fmt) -> dict[str, str]:
    """The two counts of a field filled only on won deals (manager, amount), with their
    prepositions and case («у 842 сделок», «из 7 158 невыигранных сделок»)."""
    return {
        "named": tr.ngettext("on {n} deal", "on {n} deals", f.n).format(n=x.count(f.n)),
        "others": tr.ngettext("of the {n} deal not won", "of the {n} deals not won",
                              round(f.deals)).format(n=x.count(f.deals)),
    }


def _untangled_text(f: Finding, e: Entangled, tr: Translator, x: _Fmt) -> str:
    """A manager's or a source's difference that the other dimension explains (routed
    leads, `Entangled.explained`): the figures, who or what explains them, and whose
    matter it is; no money at stake (it is the other finding's)."""
    _ = tr.gettext
    fields = {"subject": f.subject or "", "other": e.other, "share": x.pct(e.share),
              "observed": x.pct(f.observed), "expected": x.pct(f.expected),
              "outside": x.pct(e.outside_k / e.outside_n if e.outside_n else None),
              "rest": x.pct(e.rest_k / e.rest_n if e.rest_n else None),
              "other_rate": x.pct(e.other_k / e.other_n if e.other_n else None),
              "within_p": x.p(e.within_p), "other_p": x.p(e.other_p),
              "where": x.where(f), "stage": f.stage or "",
              "entered": tr.ngettext("{n} deal", "{n} deals", f.n).format(n=x.count(f.n))}
    if f.kind == "source_mix":
        a, b = f.periods or ("", "")
        fields.update(first=x.period(a, True), last=x.period(b, True))
        said = _("On {where} the mix of sources moved the rate between {first} and {last} "
                 "({expected} → {observed}): more leads from «{subject}», whose deals convert "
                 "worse, but {other} works {share} of them there, and with the other managers "
                 "they converted {outside} (the other sources {rest}); within the same "
                 "managers «{subject}» is not clearly worse than the other sources "
                 "({within_p}, Cochran–Mantel–Haenszel test). {other} converts the other "
                 "sources' deals at {other_rate} against {rest} for the rest of the team "
                 "({other_p}). It is who works the growing source, not the mix of "
                 "sources.").format(**fields)
        return said[:1].upper() + said[1:]
    if f.kind == "source_quality":
        a, b = f.periods or ("", "")
        fields.update(first=x.period(a, True), last=x.period(b, True), p=x.p(f.p_value))
        return _("Source «{subject}» converts {observed} on {where} in {last} against "
                 "{expected} in {first} ({p}), but in {last} {other} works {share} of its "
                 "deals there, and with the other managers it converted {outside} (the other "
                 "sources {rest}); within the same managers the change is not clear "
                 "({within_p}, Cochran–Mantel–Haenszel test). {other} converts the other "
                 "sources' deals at {other_rate} against {rest} for the rest of the team "
                 "({other_p}). It is who works the leads, not the source.").format(**fields)
    if f.kind == "source_junk":
        # TRANSLATORS: a count after «of» (63% of 300 deals): the genitive.
        fields["entered"] = tr.npgettext("of", "{n} deal", "{n} deals", f.n).format(
            n=x.count(f.n))
        if not e.outside_n:
            # No other manager works the source: no rate «with the other managers» to
            # give («— против 81,59%» read as a figure left out).
            return _("Source «{subject}»'s requests are lost as junk at «{stage}» more "
                     "often than the other sources' ({observed} of {entered} against "
                     "{expected}), but {other} works all of them, and within the same "
                     "manager they are not clearly worse than the other sources' "
                     "({within_p}, Cochran–Mantel–Haenszel test). {other} loses the other "
                     "sources' requests as junk too: {other_rate} against {rest} for the "
                     "other managers ({other_p}). It is how the requests are worked, not "
                     "the source.").format(**fields)
        return _("Source «{subject}»'s requests are lost as junk at «{stage}» more often "
                 "than the other sources' ({observed} of {entered} against {expected}), but "
                 "{other} works {share} of them, and with the other managers they are not "
                 "clearly worse than the other sources' ({outside} against {rest}; within "
                 "the same managers {within_p}, Cochran–Mantel–Haenszel test). {other} "
                 "loses the other sources' requests as junk too: {other_rate} against "
                 "{rest} for the other managers ({other_p}). It is how the requests are "
                 "worked, not the source.").format(**fields)
    if not e.outside_n:
        # All of the manager's deals there are the source's: no conversion «on the other
        # sources» to give (a key-account manager's orders of existing clients).
        return _("{subject} converts {observed} on {where} against {expected} for the rest "
                 "of the team ({entered}), but works {share} of source «{other}»'s deals "
                 "there and no other source's, and «{other}» converts {other_rate} with the "
                 "rest of the team against {rest} for the other sources ({other_p}); within "
                 "that source the difference is not clear ({within_p}, "
                 "Cochran–Mantel–Haenszel test). It is the source's leads, not the "
                 "manager.").format(**fields)
    return _("{subject} converts {observed} on {where} against {expected} for the rest of the "
             "team ({entered}), but works {share} of source «{other}»'s deals there, and "
             "«{other}» converts {other_rate} with the rest of the team against {rest} for "
             "the other sources ({other_p}); on the other sources {subject} converts "
             "{outside} against the rest's {rest}, and within the same sources the "
             "difference is not clear ({within_p}, Cochran–Mantel–Haenszel test). It is "
             "the source's leads, not the manager.").format(**fields)


def _left_open_text(f: Finding, e: LeftOpen, tr: Translator, x: _Fmt) -> str:
    """A manager's difference the deals left open explain (`LeftOpen.explained`): the
    figures, the open shares, and the manager against the rest on the deals decided; no
    money at stake. A closer who left no deal open was «teach it to the team», $2.57 M
    at stake, for a team that left a fifth of its deals open."""
    _ = tr.gettext
    fields = {"subject": placeholder(f.subject, tr), "observed": x.pct(f.observed),
              "expected": x.pct(f.expected), "where": x.where(f),
              "entered": tr.ngettext("{n} deal", "{n} deals", f.n).format(n=x.count(f.n)),
              "open": x.pct(e.open_n / e.n if e.n else None),
              "rest_open": x.pct(e.rest_open / e.rest_n if e.rest_n else None),
              "days": tr.duration(round(e.days), "day"),
              "closed": x.pct(e.closed_k / e.closed_n if e.closed_n else None),
              "rest_closed": x.pct(e.rest_closed_k / e.rest_closed_n
                                   if e.rest_closed_n else None),
              "decided": tr.ngettext("{n} deal", "{n} deals", e.closed_n).format(
                  n=x.count(e.closed_n)),
              "closed_p": _("{p} against the finding's bar of {bar} under Holm's correction"
                            ).format(p=x.p(e.closed_p), bar=tr.sig(e.level, 2))}
    if f.kind == "manager_conversion":
        text = _("{subject} converts {observed} on {where} against {expected} for the rest "
                 "of the team ({entered}), but {open} of {subject}'s deals there are still "
                 "open after {days} and count as not converted (of the rest's, {rest_open}). "
                 "Of the deals decided, moved on or lost, {subject} converts {closed} "
                 "({decided}) against the rest's {rest_closed} ({closed_p}). The gap is the "
                 "deals left open, not how they are closed: have them moved on or closed as "
                 "lost in the CRM, then compare again.")
    else:
        text = _("{subject} converts {observed} on {where} against {expected} for the rest "
                 "of the team ({entered}), but {rest_open} of the rest's deals there are "
                 "still open after {days} and count as not converted (of {subject}'s, "
                 "{open}). Of the deals decided, moved on or lost, {subject} converts "
                 "{closed} ({decided}) against the rest's {rest_closed} ({closed_p}). The gap "
                 "is the deals the rest left open, not how deals are closed: have them moved "
                 "on or closed as lost in the CRM, then compare again.")
    return text.format(**fields)


def _regulars_text(f: Finding, e: Regulars, tr: Translator, x: _Fmt) -> str:
    """A manager's difference that does not hold within the kinds of client
    (`Regulars.holds`): the figures, the share of regular clients' orders, how those
    differ from new business within the same managers when they clearly do
    (`Regulars.explained`), and the manager against the rest among new clients; no money
    at stake. A key-account manager's 362 of 362 at «Расчёт КП» was «teach it to the
    team»."""
    _ = tr.gettext

    def rate(k: int, n: int) -> str:
        return x.pct(k / n if n else None)

    mine_n, rest_n = e.orders_n + e.new_n, e.rest_orders_n + e.rest_new_n
    fields = {"subject": placeholder(f.subject, tr), "observed": x.pct(f.observed),
              "expected": x.pct(f.expected),
              "share": rate(e.orders_n, mine_n), "rest_share": rate(e.rest_orders_n, rest_n),
              "new": rate(e.new_k, e.new_n),
              "rest_orders": rate(e.rest_orders_k, e.rest_orders_n),
              "rest_new": rate(e.rest_new_k, e.rest_new_n),
              "mix_p": x.p(e.mix_p), "n": x.count(e.new_n),
              "within_p": _("{p} against the finding's bar of {bar} under Holm's correction"
                            ).format(p=x.p(e.within_p), bar=tr.sig(e.level, 2)),
              "entered": tr.ngettext("{n} deal", "{n} deals", f.n).format(n=x.count(f.n))}
    speed = f.kind == "manager_speed"
    if speed:
        fields["where"] = x.where(replace(f, to_stage=None))
        head = _("{subject} picks up {observed} of deals late at {where} against {expected} "
                 "for the rest of the team ({entered}), but {rest_share} of the rest's deals "
                 "there are orders of regular clients (of {subject}'s, {share}).")
        mix = (_("Within the same managers regular clients' orders are picked up late more "
                 "often than new clients' deals (the rest: {rest_orders} against {rest_new}; "
                 "{mix_p}, Cochran–Mantel–Haenszel test).") if e.orders_ahead else
               _("Within the same managers regular clients' orders are picked up late less "
                 "often than new clients' deals (the rest: {rest_orders} against {rest_new}; "
                 "{mix_p}, Cochran–Mantel–Haenszel test)."))
        among = (tr.ngettext(
            "Within the same kind of client the difference is not clear ({within_p}, "
            "Cochran–Mantel–Haenszel test): of {subject}'s {n} new client's deal {new} was "
            "picked up late, against the rest's {rest_new}.",
            "Within the same kind of client the difference is not clear ({within_p}, "
            "Cochran–Mantel–Haenszel test): of {subject}'s {n} new clients' deals {new} were "
            "picked up late, against the rest's {rest_new}.", e.new_n) if e.new_n else
                 _("Within the same kind of client the difference is not clear ({within_p}, "
                   "Cochran–Mantel–Haenszel test)."))
    else:
        fields["where"] = x.where(f)
        head = _("{subject} converts {observed} on {where} against {expected} for the rest of "
                 "the team ({entered}), but {share} of these deals are orders of regular "
                 "clients (of the rest's, {rest_share}).")
        mix = (_("Within the same managers regular clients' orders convert better than new "
                 "clients' deals (the rest: {rest_orders} against {rest_new}; {mix_p}, "
                 "Cochran–Mantel–Haenszel test).") if e.orders_ahead else
               _("Within the same managers regular clients' orders convert worse than new "
                 "clients' deals (the rest: {rest_orders} against {rest_new}; {mix_p}, "
                 "Cochran–Mantel–Haenszel test)."))
        among = (tr.ngettext(
            "Within the same kind of client the difference is not clear ({within_p}, "
            "Cochran–Mantel–Haenszel test): on {subject}'s {n} new client's deal the "
            "conversion is {new}, against the rest's {rest_new}.",
            "Within the same kind of client the difference is not clear ({within_p}, "
            "Cochran–Mantel–Haenszel test): on {subject}'s {n} new clients' deals the "
            "conversion is {new}, against the rest's {rest_new}.", e.new_n) if e.new_n else
                 _("Within the same kind of client the difference is not clear ({within_p}, "
                   "Cochran–Mantel–Haenszel test): {subject} has no new clients' deals "
                   "there."))
    end = (_("It is the mix of clients, not the manager.") if e.explained else
           _("The data cannot tell {subject}'s work from the mix of clients."))
    parts = [head, mix, among, end] if e.explained else [head, among, end]
    return " ".join(t.format(**fields) for t in parts)


def _entangled_note(f: Finding, tr: Translator, x: _Fmt) -> str:
    """What a manager's or a source's finding that is not explained by the other
    dimension says of it, when leads are routed (empty when they are not)."""
    e = f.entangled
    if e is None or e.explained:
        return ""
    _ = tr.gettext
    fields = {"subject": f.subject or "", "other": e.other, "share": x.pct(e.share),
              "outside": x.pct(e.outside_k / e.outside_n if e.outside_n else None),
              "rest": x.pct(e.rest_k / e.rest_n if e.rest_n else None),
              "within_p": x.p(e.within_p)}
    source = f.kind in ("source_junk", "source_quality", "source_mix")
    if e.within_p < ALPHA and not e.outside_n:
        text = (_("{other} works all of these requests, but the difference holds within "
                  "the same manager ({within_p}, Cochran–Mantel–Haenszel test).")
                if source else
                _("{subject} works {share} of source «{other}»'s deals there and no other "
                  "source's, but the difference holds within that source ({within_p}, "
                  "Cochran–Mantel–Haenszel test)."))
    elif e.within_p < ALPHA:
        text = (_("{other} works {share} of these requests, but the difference holds "
                  "within the same managers ({within_p}, Cochran–Mantel–Haenszel test): "
                  "with the other managers {outside} against {rest} for the other sources.")
                if source else
                _("{subject} works {share} of source «{other}»'s deals there, but the "
                  "difference holds within the same sources ({within_p}, "
                  "Cochran–Mantel–Haenszel test): on the other sources {outside} against "
                  "{rest} for the rest."))
    else:
        text = (_("{other} works {share} of these requests, and within the same managers "
                  "the difference is not clear ({within_p}, Cochran–Mantel–Haenszel "
                  "test): the data cannot tell the source from how {other} works it.")
                if source else
                _("{subject} works {share} of source «{other}»'s deals there, and within "
                  "the same sources the difference is not clear ({within_p}, "
                  "Cochran–Mantel–Haenszel test): the data cannot tell the manager from "
                  "the source."))
    return " " + text.format(**fields)



def _junk_text(f: Finding, j: Junk, tr: Translator, x: _Fmt) -> str:
    """source_junk: which source brings junk, against the others, and what it cost (or
    that the funnel does not say: an unknown price is not a zero one)."""
    _ = tr.gettext
    c = j.contact
    head = (_("Source «{subject}»'s requests are lost at «{stage}» more often than the other "
              "sources', with reasons given mostly at that stage: {junk} of {deals} ({observed}; "
              "{reasons}) against {rest_junk} of {rest_deals} ({expected}): {diff} (95% "
              "interval {low} to {high}; {p}, two-sided z test, Holm over the sources at "
              "{alpha}).") if c is not None and c.sooner else
            _("Source «{subject}» brings junk: {junk} of {deals} ({observed}) are lost at "
              "«{stage}» with a reason given mostly there ({reasons}), against {rest_junk} of "
              "{rest_deals} ({expected}) from the other sources: {diff} (95% interval {low} "
              "to {high}; {p}, two-sided z test, Holm over the sources at {alpha}); {extra} "
              "of them beyond the other sources' share."))
    said = head.format(
        subject=f.subject, junk=x.count(f.deals),
        # TRANSLATORS: a count after «of» (115 of 255 deals): the genitive.
        deals=tr.npgettext("of", "{n} deal", "{n} deals", f.n).format(n=x.count(f.n)),
        observed=x.pct(f.observed), stage=f.stage or "",
        reasons=", ".join(f"{tr.quote(r)} {x.count(k)}" for r, k in j.reasons),
        rest_junk=x.count(j.rest_count),
        rest_deals=tr.npgettext("of", "{n} deal", "{n} deals", j.rest_of).format(
            n=x.count(j.rest_of)),
        expected=x.pct(f.expected), diff=x.pp((f.observed or 0) - (f.expected or 0)),
        low=x.pp(j.diff_low), high=x.pp(j.diff_high), p=x.p(f.p_value),
        alpha=tr.percent(ALPHA), extra=x.count(j.extra))
    if c is not None and c.sooner:
        # How long the team calls, not what the leads cost: no money (`Contact`).
        return said + " " + _contact_text(f, c, tr, x)
    parts = []
    if j.per_lead is not None:
        parts.append(tr.ngettext("{n} lead at {price}", "{n} leads at {price} each",
                                 round(f.deals)).format(n=x.count(f.deals),
                                                        price=x.money(j.per_lead)))
    if j.per_month is not None:
        parts.append(_("{share} of the budget of {budget} a month over {months}").format(
            share=x.pct(f.observed), budget=x.money(j.per_month),
            months=tr.ngettext("{n} month", "{n} months", j.months).format(
                n=x.count(j.months))))
    if f.money is not None and parts:
        said += " " + _("They cost {money}: {how}.").format(money=x.money(f.money),
                                                           how=_(" and ").join(parts))
    else:
        said += " " + _("What they cost is not known: the funnel gives no price for "
                        "«{subject}» (a cost a lead or a budget).").format(
                            subject=f.subject)
    return said + (" " + _contact_text(f, c, tr, x) if c is not None else "")


def _contact_text(f: Finding, c: Contact, tr: Translator, x: _Fmt) -> str:
    """What the source's failed contact attempts say (`Contact`): given up on sooner than
    the other sources' (a sales matter), or called as long (the leads do not answer)."""
    _ = tr.gettext
    fields = {"subject": f.subject or "", "count": x.count(c.count),
              "reasons": ", ".join(tr.quote(r) for r in c.reasons),
              "hours": tr.hours(c.hours),
              "rest_hours": tr.hours(c.rest_hours) if c.rest_hours is not None else "—",
              "p": x.p(c.p_value)}
    if c.p_value is None:
        return _("{count} of these requests were closed as {reasons}, given up after {hours} "
                 "(the median). The other sources have too few such losses to tell whether "
                 "theirs were called as long.").format(**fields)
    if c.sooner:
        return _("{count} of these requests were closed as {reasons}. «{subject}»'s requests "
                 "were given up as unreachable after {hours} (the median), the other "
                 "sources' after {rest_hours} ({p}, Mann–Whitney test). They were called for "
                 "less time: how many of them could have been reached depends on how long the "
                 "team calls them. This is a sales matter, and no money is at stake "
                 "here.").format(**fields)
    return _("{count} of these requests were closed as {reasons}. «{subject}»'s requests were "
             "not given up sooner than the other sources' (a median of {hours} against "
             "{rest_hours}; {p}, Mann–Whitney test): the leads themselves do not "
             "answer.").format(**fields)


def _speed_text(f: Finding, sp: Speed, tr: Translator, x: _Fmt) -> str:
    """manager_speed: how much later the manager picks deals up than the rest, by what
    measure and limit, and what the rest's own deals say the delay costs (or that they
    do not show it costing anything: then no money)."""
    _ = tr.gettext
    wait = tr.hours(sp.limit_hours)
    if sp.limit == "respond":
        limit = (_("longer than the stage's norm for the first touch ({wait} of working "
                   "time)") if sp.working else
                 _("longer than the stage's norm for the first touch ({wait})")).format(wait=wait)
    else:
        limit = (_("longer than half of the team's deals at the stage waited (the median, "
                   "{wait} of working time)") if sp.working else
                 _("longer than half of the team's deals at the stage waited (the median, "
                   "{wait})")).format(wait=wait)
    measure = (_("for the first touch (a call, a message or a completed task; the move, "
                 "when the deal left untouched)") if sp.measure == "picked" else
               _("for the first move (the history has no calls or messages, so the time "
                 "to the first move is used)"))
    said = _("{subject} picks deals up late at {where}: {late} of {deals} ({observed}) waited "
             "{measure} {limit}, against {rest_late} of {rest_deals} ({expected}) for the "
             "rest of the team: {diff} (95% interval {low} to {high}; {p}, two-sided z test, "
             "Holm over managers and stages at {alpha}).").format(
        subject=placeholder(f.subject, tr), where=x.where(replace(f, to_stage=None)),
        late=x.count(sp.late),
        deals=tr.npgettext("of", "{n} deal", "{n} deals", f.n).format(n=x.count(f.n)),
        observed=x.pct(f.observed), measure=measure, limit=limit,
        rest_late=x.count(sp.rest_late),
        rest_deals=tr.npgettext("of", "{n} deal", "{n} deals", sp.rest_of).format(
            n=x.count(sp.rest_of)),
        expected=x.pct(f.expected), diff=x.pp((f.observed or 0) - (f.expected or 0)),
        low=x.pp(sp.diff_low), high=x.pp(sp.diff_high), p=x.p(f.p_value),
        alpha=tr.percent(ALPHA))
    if sp.waiting:
        said += " " + tr.ngettext(
            "{n} of them was never picked up and is still waiting.",
            "{n} of them were never picked up and are still waiting.",
            sp.waiting).format(n=x.count(sp.waiting))
    if not sp.conv_clear:
        # The finding's deals are then these (the table's «deals» column): said, or the
        # client reads a count the sentence never mentions.
        said += " " + tr.ngettext(
            "That is {n} late deal more than at the rest's share.",
            "That is {n} late deals more than at the rest's share.",
            round(sp.extra_late)).format(n=x.count(sp.extra_late))
    to = pair_stage(f.to_stage, tr) if f.to_stage else ""
    if sp.measure == "move":
        said += " " + _("Without calls or messages the wait ends with the deal's move or "
                        "loss itself, so the data cannot tell what the delay costs: no money "
                        "is put on it.")
    elif sp.rest_late_judged and sp.rest_on_time_judged:
        conv = _("In the rest of the team, deals taken late moved on to «{to}» in {late_conv} "
                 "of cases ({lk} of {ln}) against {on_conv} ({ok} of {on}) of those taken on "
                 "time ({p})").format(
            to=to, late_conv=x.pct(sp.rest_late_reached / sp.rest_late_judged),
            lk=x.count(sp.rest_late_reached),
            ln=tr.npgettext("of", "{n} deal", "{n} deals", sp.rest_late_judged).format(
                n=x.count(sp.rest_late_judged)),
            on_conv=x.pct(sp.rest_on_time_reached / sp.rest_on_time_judged),
            ok=x.count(sp.rest_on_time_reached),
            on=x.count(sp.rest_on_time_judged), p=x.p(sp.conv_p))
        if sp.conv_clear:
            money = (" " + _("({money})").format(money=x.money(f.money))
                     if f.money is not None else "")
            said += " " + conv + _(": at the rest's speed {subject} would have moved on "
                                   "≈ {deals} more{money}.").format(
                subject=placeholder(f.subject, tr),
                deals=tr.ngettext("{n} deal", "{n} deals", round(f.deals)).format(
                    n=x.count(f.deals)), money=money)
        else:
            said += " " + conv + _(": the data do not show speed changing conversion here, "
                                   "so no money is put on the delay.")
    else:
        said += " " + _("The rest of the team has too few deals taken late to tell whether "
                        "speed changes conversion here, so no money is put on the delay.")
    if sp.overlaps and sp.conv_clear:
        said += " " + _("These deals are part of {subject}'s conversion shortfall on the "
                        "same step named in this audit: do not add the two sums.").format(
            subject=placeholder(f.subject, tr))
    return said


def _number(x: object) -> float:
    """A figure of a table row (polars gives its cells untyped)."""
    if not isinstance(x, (int, float)):
        raise TypeError(f"expected a number, got {type(x).__name__}")
    return float(x)


def verdict(row: Mapping[str, object], tr: Translator | None = None) -> str:
    """The decomposition in one sentence: which effect dominates, and which source. Only
    what the history can tell: a change within chance is not explained, with fewer
    than two named sources the change cannot be split between marketing and sales, and
    a rate effect is pinned on a source only when that source's own change is clear
    after Holm (`top_source_flagged`), as the findings do."""
    named = tr is not None
    tr = tr or _english()
    _ = tr.gettext
    x = _Fmt(tr)
    change, mix, rate = (_number(row[k]) for k in ("change", "mix_effect", "rate_effect"))
    fields = {"from_stage": row["from_stage"], "to_stage": pair_stage(row["to_stage"], tr),
              "rate_first": x.pct(_number(row["rate_first"])),
              "first": x.period(row["first"], named),
              "rate_last": x.pct(_number(row["rate_last"])),
              "last": x.period(row["last"], named),
              "change": x.pp(change), "rate": x.pp(rate), "mix": x.pp(mix),
              "source": placeholder(row["top_source"], tr),
              # The named source's part of the effect that dominates: it was named
              # for that part, and its total can even have the other sign.
              "effect": x.pp(_number(row["top_source_mix_effect" if row["dominant"] == "mix"
                                         else "top_source_rate_effect"]))}
    p_value = row.get("p_value")
    if isinstance(p_value, (int, float)) and p_value >= ALPHA:
        return _("«{from_stage}» → «{to_stage}»: {rate_first} in {first}, {rate_last} in "
                 "{last} ({change}), within chance ({p}): nothing to split between "
                 "marketing and sales.").format(p=x.p(p_value), **fields)
    known = row.get("sources")
    if isinstance(known, int) and known < 2:
        text = (_("«{from_stage}» → «{to_stage}» fell from {rate_first} in {first} to "
                  "{rate_last} in {last} ({change})") if change < 0 else
                _("«{from_stage}» → «{to_stage}» rose from {rate_first} in {first} to "
                  "{rate_last} in {last} ({change})"))
        why = (_("the history names no source") if known == 0 else
               _("the history names one source, «{source}»"))
        return (text + "; " + why + _(", so the change cannot be split between marketing "
                                      "and sales: look at the leads and at how they are "
                                      "worked.")).format(**fields)
    if unknown_heavy(dict(row)):
        # Deals with no source are no source the client can look at, and when they are
        # many in either period (a CRM that started recording sources mid-history) the
        # split says nothing of what the leads did.
        text = (_("«{from_stage}» → «{to_stage}» fell from {rate_first} in {first} to "
                  "{rate_last} in {last} ({change})") if change < 0 else
                _("«{from_stage}» → «{to_stage}» rose from {rate_first} in {first} to "
                  "{rate_last} in {last} ({change})"))
        return (text + _("; {unknown_first} of the deals in {first} and {unknown_last} in "
                         "{last} have no source, too many to split the change between "
                         "marketing and sales: record every deal's source and compare "
                         "periods where it is known.")).format(
            unknown_first=x.pct(_number(row["unknown_first"])),
            unknown_last=x.pct(_number(row["unknown_last"])), **fields)
    worse = rate < 0
    if row["dominant"] == "rate":
        what = _("the sources converting worse (rate effect)") if worse else \
            _("the sources converting better (rate effect)")
    else:
        what = _("a different mix of sources (mix effect)")
    spread = is_spread(dict(row))
    if row["dominant"] == "rate" and row.get("top_source_flagged") is False:
        # A rate verdict blames a source only when its own change is clear after Holm,
        # as the findings do: a clinic's verdict named Яндекс.Директ «вопрос маркетинга»
        # while the audit listed no source finding.
        if spread:
            side = (_("every source converts worse: a sales matter, look at how leads are "
                      "worked") if worse else
                    _("every source converts better: a sales matter, see how leads are "
                      "worked now"))
        else:
            side = _("too little to blame one source's leads: compare longer periods or "
                     "watch the next months")
        if change < 0:
            text = _("«{from_stage}» → «{to_stage}» fell from {rate_first} in {first} to "
                     "{rate_last} in {last} ({change}): mostly {what}, rate {rate} and mix "
                     "{mix}, but no single source's change is clear after Holm's correction "
                     "— {side}.")
        else:
            text = _("«{from_stage}» → «{to_stage}» rose from {rate_first} in {first} to "
                     "{rate_last} in {last} ({change}): mostly {what}, rate {rate} and mix "
                     "{mix}, but no single source's change is clear after Holm's correction "
                     "— {side}.")
        return text.format(what=what, side=side, **fields)
    if spread:
        side = (_("every source converts worse: a sales matter, look at how leads are worked")
                if worse else
                _("every source converts better: a sales matter, see how leads are worked now"))
    elif row["dominant"] == "rate":
        side = _("a marketing matter: look at that source's leads first")
    elif isinstance(e := row.get("entangled"), Mapping) and e.get("explained"):
        # The growing source converts worse only as the manager routed it works it
        # (`sources._mix_within_managers`): the finding says so, and so does the table.
        side = _("but «{source}»'s deals convert worse only as {manager} works them "
                 "({share} of them): a sales matter, look at who works the leads").format(
            source=fields["source"], manager=e["manager"], share=x.pct(_number(e["share"])))
    else:
        side = _("a marketing matter: look at where the leads come from first")
    if change < 0:
        text = _("«{from_stage}» → «{to_stage}» fell from {rate_first} in {first} to "
                 "{rate_last} in {last} ({change}): mostly {what}, rate {rate} and mix {mix}; "
                 "source «{source}» accounts for {effect} of it — {side}.")
    else:
        text = _("«{from_stage}» → «{to_stage}» rose from {rate_first} in {first} to "
                 "{rate_last} in {last} ({change}): mostly {what}, rate {rate} and mix {mix}; "
                 "source «{source}» accounts for {effect} of it — {side}.")
    return text.format(what=what, side=side, **fields)


def _c(key: str, title: str, fmt: Callable[[object], str] | None = None) -> Column:
    return Column(key, title, fmt or (lambda x: "—" if x is None else str(x)), fmt is not None)


def _detail(col: Column) -> Column:
    """A column of a wide table left to the HTML and JSON: 20 columns in a terminal were
    folded every few letters («Прода / жі», «Кваліфік / овано»)."""
    return replace(col, terminal=False)


def _w(key: str, title: str, fmt: Callable[[object], str]) -> Column:
    """A text column whose cells `fmt` words in the output's language."""
    return Column(key, title, fmt, False)


DIMENSIONS: dict[str, str] = {
    "month": C_("loss reasons by", "month"), "source": C_("loss reasons by", "source"),
    "manager": C_("loss reasons by", "manager"), "size": C_("loss reasons by", "size"),
}
"""The groupings of `loss_reasons_by` (machine values in the JSON)."""


def month_cell(ym: object, tr: Translator) -> str:
    """A month (`2026-01`) in a table cell as the language names it standing alone,
    «январь\u00a02026» (`month_words.said`); the history page's by-month tables read
    «2026-01» in Russian and Ukrainian. English keeps the ISO month, as the JSON."""
    text = str(ym)
    if _Fmt._split(text) is None:
        return placeholder(ym, tr)
    from .month_words import said

    return said([text], tr)


def group_label(row: Mapping[str, object], tr: Translator) -> str:
    """A group of `loss_reasons_by`: a deal-size band from the least and greatest
    value of its deals in the language's numbers («50 000–120 000», «1 200 000» when
    they are one), any other group as written or as the placeholder for none."""
    low, high = row.get("low"), row.get("high")
    if row.get("dimension") == "month" and isinstance(row.get("group"), str):
        return month_cell(row.get("group"), tr)
    if row.get("dimension") != "size" or (low is None and high is None):
        return placeholder(row.get("group"), tr)
    if low == high and isinstance(low, (int, float)):
        return tr.number(low, BAND_DIGITS)
    if not isinstance(high, (int, float)):
        return f"> {tr.number(_number(low), BAND_DIGITS)}"
    if not isinstance(low, (int, float)):
        return f"≤ {tr.number(high, BAND_DIGITS)}"
    return f"{tr.number(low, BAND_DIGITS)}–{tr.number(high, BAND_DIGITS)}"


def segment_label(row: Mapping[str, object], tr: Translator) -> str:
    """A graveyard segment from its bounds in days: «7–30 дней», «90+ дней», «последняя
    активность 14–60 дней назад»; the frame's own `segment` (English) otherwise."""
    lo, hi = row.get("from_days"), row.get("to_days")
    if not isinstance(lo, (int, float)):
        return str(row.get("segment") or "—")
    if isinstance(hi, (int, float)):
        span = tr.duration_range(float(lo), float(hi), "day")
    else:
        n = round(lo)
        span = tr.ngettext("{n}+ day", "{n}+ days", n).format(n=tr.number(lo))
    if row.get("kind") == "activity":
        return tr.gettext("last activity {span} ago").format(span=span)
    return span


def _recent_mark(managers: pl.DataFrame, tr: Translator) -> str:
    """Under the terminal's managers table, whose «recent» column is left to the HTML
    and JSON: “entered” there counts the deals judged, not every deal that entered."""
    n = int(managers["recent"].sum()) if managers.height else 0
    if not n:
        return ""
    return tr.ngettext(
        "“entered” counts the deals judged: {n} deal still open at its stage is too recent "
        "to judge (it has not waited as long as 90% of the deals that moved on took)",
        "“entered” counts the deals judged: {n} deals still open at their stage are too "
        "recent to judge (they have not waited as long as 90% of the deals that moved on "
        "took)", n).format(n=tr.number(n, 0))


def _no_reason(by: pl.DataFrame, missing: pl.DataFrame, tr: Translator
               ) -> tuple[pl.DataFrame | None, tuple[str, ...]]:
    """The loss reasons by month, source, manager and size without the pipelines where
    no loss has a reason (a deal list that records none), and a sentence for each of
    those: their rows said «(no reason) 100%» in every group (28 rows for a reseller's
    ten agents), nothing to compare, and hid the one finding, that no loss has a reason.
    A pipeline whose losses all have one real reason keeps its rows (its size bands say
    which deals it loses). (None, ()) when no pipeline is so; the JSON keeps all."""
    if not by.height:
        return None, ()
    none = (by.group_by("pipeline", maintain_order=True)
            .agg((pl.col("reason") == "(no reason)").all().alias("none"))
            .filter(pl.col("none"))["pipeline"])
    if not none.len():
        return None, ()
    losses = dict(zip(missing["pipeline"].to_list(), missing["losses"].to_list(),
                      strict=True)) if "losses" in missing.columns else {}
    said = []
    for p in none.to_list():
        # Else the losses the pipeline's months count (each loss in one month).
        n = losses.get(p) or int(by.filter((pl.col("pipeline") == p)
                                           & (pl.col("dimension") == "month"))["deals"].sum())
        said.append((tr.ngettext(
            "“{pipeline}”: its {n} loss has no reason, in any month, source, manager or "
            "size band: there is nothing to break down (the rows are in the JSON).",
            "“{pipeline}”: none of its {n} losses has a reason, in any month, source, "
            "manager or size band: there is nothing to break down (the rows are in the "
            "JSON).", n) if p else tr.ngettext(
            "The {n} loss has no reason, in any month, source, manager or size band: "
            "there is nothing to break down (the rows are in the JSON).",
            "None of the {n} losses has a reason, in any month, source, manager or size "
            "band: there is nothing to break down (the rows are in the JSON).", n))
            .format(pipeline=p, n=tr.number(n, 0)))
    return by.filter(~pl.col("pipeline").is_in(none.implode())), tuple(said)


def _no_reason_shifts(shifts: pl.DataFrame, by: pl.DataFrame, tr: Translator
                      ) -> tuple[pl.DataFrame | None, tuple[str, ...]]:
    """The loss reasons whose share changed, without the pipelines where no loss has a
    reason (`_no_reason`): their one row said «(no reason) 100% → 100%, p 1», a share
    that cannot change. (None, ()) when no pipeline is so; the JSON keeps all."""
    if not shifts.height or not by.height:
        return None, ()
    none = set(by.group_by("pipeline").agg((pl.col("reason") == "(no reason)").all()
                                           .alias("none")).filter(pl.col("none"))["pipeline"])
    here = [p for p in dict.fromkeys(shifts["pipeline"].to_list()) if p in none]
    if not here:
        return None, ()
    said = tuple((tr.gettext(
        "“{pipeline}”: no loss has a reason: there is no reason's share to compare between "
        "the periods (the rows are in the JSON).") if p else tr.gettext(
        "No loss has a reason: there is no reason's share to compare between the periods "
        "(the rows are in the JSON).")).format(pipeline=p) for p in here)
    return shifts.filter(~pl.col("pipeline").is_in(here)), said


def _no_usable_reason(by_manager: pl.DataFrame, tr: Translator
                      ) -> tuple[pl.DataFrame | None, tuple[str, ...]]:
    """The managers' losses without a usable reason without the pipelines where no loss
    has one: each manager's share and the rest's are all 100%, p 1 (ten rows of a
    reseller's agents), no one to compare; a sentence for each such pipeline instead.
    (None, ()) when no pipeline is so; the JSON keeps all."""
    if not by_manager.height:
        return None, ()
    none = (by_manager.group_by("pipeline", maintain_order=True)
            .agg((pl.col("missing") == pl.col("losses")).all().alias("all"),
                 pl.col("losses").sum(), pl.len().alias("managers"))
            .filter(pl.col("all")))
    if not none.height:
        return None, ()
    said = tuple((tr.ngettext(
        "“{pipeline}”: no loss has a usable reason, whoever lost it ({n} manager): there "
        "is no one to compare with the rest of the team (the rows are in the JSON).",
        "“{pipeline}”: no loss has a usable reason, whoever lost it ({n} managers): there "
        "is no one to compare with the rest of the team (the rows are in the JSON).",
        m) if p else tr.ngettext(
        "No loss has a usable reason, whoever lost it ({n} manager): there is no one to "
        "compare with the rest of the team (the rows are in the JSON).",
        "No loss has a usable reason, whoever lost it ({n} managers): there is no one to "
        "compare with the rest of the team (the rows are in the JSON).", m))
        .format(pipeline=p, n=tr.number(m, 0))
        for p, m in none.select("pipeline", "managers").iter_rows())
    return (by_manager.filter(~pl.col("pipeline").is_in(none["pipeline"].implode())), said)


def _month_marks(by_month: pl.DataFrame, months: pl.DataFrame | None) -> pl.DataFrame:
    """The sources' months with the marks of history's conversion table: `complete` and
    `partial` of the pair's month (null when the table is not given), `few` for a source's
    month of fewer than `MIN_MONTH_DEALS` deals."""
    keys = ["pipeline", "from_stage", "to_stage", "month"]
    if months is not None and {*keys, "complete", "partial"} <= set(months.columns):
        flags = months.select(*keys, "complete", "partial").unique(subset=keys, keep="first")
        by_month = by_month.join(flags, on=keys, how="left", maintain_order="left")
    else:
        by_month = by_month.with_columns(complete=pl.lit(None, pl.Boolean),
                                         partial=pl.lit(None, pl.Boolean))
    return by_month.with_columns(few=pl.col("entered") < MIN_MONTH_DEALS)


def audit_sections(a: Audit, tr: Translator | None = None,
                   months: pl.DataFrame | None = None) -> list[Section]:
    """The audit's tables for `history`'s outputs, titled in `tr`'s language (`--lang`
    when not given). `months`: history's conversion table, whose `complete` and `partial`
    flags of each pair's month mark the sources' months as its own are marked."""
    tr = tr or translator(choose(None))
    _ = tr.gettext
    x = _Fmt(tr)

    def frac(v: object) -> str:
        return "—" if v is None else x.pct(_number(v))

    def num(v: object) -> str:
        return "—" if v is None else x.count(_number(v))

    def pv(v: object) -> str:
        return "—" if v is None else x.p_cell(_number(v))

    def cash(v: object) -> str:
        # Money at stake as the finding beside it says it («€434,667»; it read «434,667»).
        if v is None or a.currency is None:
            return num(v)
        return tr.money(_number(v), a.currency)

    # A manager's gap to the rest of the team as the owner reads it, the sign on the
    # manager's side: a clearly better administrator read «недобор сделок −24».
    def gap(v: object) -> int | None:
        return None if v is None else round(-_number(v))

    def against(v: object) -> str:
        n = gap(v)
        if n is None or n == 0:
            return "—" if n is None else "0"
        return (_("+{n} over") if n > 0 else _("−{n} short")).format(n=x.count(abs(n)))

    def gained(v: object) -> str:
        n = gap(v)
        if n is None or n == 0:
            return "—" if n is None else "0"
        # In the account's currency, as the findings say it: a real-estate agency's
        # manager read «−12 924 841», a figure with no unit beside counts of deals.
        return ("+" if n > 0 else "−") + (tr.money(abs(n), a.currency) if a.currency
                                          else x.count(abs(n)))

    def signed(v: object, money: bool) -> str:
        """A source's effect as a count or money, a gain with a true minus sign: the
        sources' table read «-1» and «-127 898» (no ₴) beside the managers' «−1 082 257 ₴»."""
        if v is None:
            return "—"
        n = round(_number(v))
        body = tr.money(abs(n), a.currency) if money and a.currency else x.count(abs(n))
        return ("−" if n < 0 else "") + body

    def period(key: str, title: str) -> Column:
        """A period column (`first`, `last`) as a table cell names it («январь–март
        2026»)."""
        return Column(key, title, from_row=lambda r: x.period(r[key], True, False))

    def ratio(v: object) -> str:
        return "—" if v is None else tr.number(_number(v), 2)

    def pp(v: object) -> str:
        return x.pp(_number(v))

    def seen(row: Mapping[str, object]) -> str:
        """«−19,4 / +16,2 п. п.»: the gaps under and over the rest the row's sizes would
        flag four times in five; «—» for a side out of reach."""
        lo, hi = row.get("seen_below"), row.get("seen_above")
        if not isinstance(lo, float) and not isinstance(hi, float):
            return "—"
        return " / ".join("—" if not isinstance(v, float) else x.pp(sign * v)
                          for v, sign in ((lo, -1.0), (hi, 1.0)))

    def flag(v: object) -> str:
        return "⚠ " + _("yes") if v else ""

    # Manager findings the sources explain (routed leads, `Entangled`): the table's
    # flag says so, as the finding does, not a bare «yes» against the manager.
    by_source: dict[tuple[object, ...], str] = {
        (f.pipeline, f.stage, f.to_stage, f.subject): f.entangled.other
        for f in a.findings if f.entangled is not None and f.entangled.explained
        and f.kind != "source_junk"}

    # Manager findings that do not hold within the kinds of client (`Regulars`): the
    # flag says so too (a key-account manager's «★ yes» beside «the mix of clients»).
    by_clients: dict[tuple[object, ...], Regulars] = {
        (f.kind == "manager_speed", f.pipeline, f.stage, f.to_stage, f.subject): f.regulars
        for f in a.findings if f.regulars is not None and not f.regulars.holds}

    # Manager findings the deals left open explain (`LeftOpen`): alike.
    by_open = {(f.pipeline, f.stage, f.to_stage, f.subject) for f in a.findings
               if f.left_open is not None and f.left_open.explained}

    def clear(row: Mapping[str, object]) -> str:
        """A clear difference: ⚠ for a manager short of the rest, ★ for one clearly
        better (a clinic's best administrator was marked with the warning sign)."""
        if not row["flagged"]:
            return ""
        effect = row["deals_effect"]
        better = isinstance(effect, (int, float)) and effect < 0
        said = ("★ " if better else "⚠ ") + _("yes")
        source = by_source.get((row.get("pipeline"), row.get("from_stage"),
                                row.get("to_stage"), row.get("manager")))
        speed = "from_stage" not in row
        clients = by_clients.get((speed, row.get("pipeline"),
                                  row.get("stage" if speed else "from_stage"),
                                  row.get("to_stage"), row.get("manager")))
        if clients is not None:
            return said + " " + (_("(the mix of clients, not the manager)")
                                 if clients.explained else
                                 _("(not clear within the same kind of client)"))
        if not speed and (row.get("pipeline"), row.get("from_stage"), row.get("to_stage"),
                          row.get("manager")) in by_open:
            return said + " " + _("(deals left open, not how they are closed)")
        return said if source is None else said + " " + _(
            "(the source «{source}», not the manager)").format(source=source)

    def junk_flag(row: Mapping[str, object]) -> str:
        """A flagged source whose junk (or fall) its manager explains (routed leads)
        says so."""
        e = row.get("entangled")
        if row["flagged"] and isinstance(e, dict) and e.get("explained"):
            return flag(True) + " " + _("(the manager {manager}, not the source)").format(
                manager=e["manager"])
        c = row.get("contact")
        if row["flagged"] and isinstance(c, dict) and c.get("sooner"):
            # Given up on sooner than the other sources' requests (`Contact`).
            return flag(True) + " " + _("(given up on sooner, not the source)")
        return flag(row["flagged"])

    def hours(v: object) -> str:
        return "—" if v is None else tr.hours(_number(v))

    def name(v: object) -> str:
        return placeholder(v, tr)

    def target(v: object) -> str:
        return pair_stage(v, tr)

    def dimension(v: object) -> str:
        return tr.pgettext("loss reasons by", DIMENSIONS[str(v)]) if v in DIMENSIONS \
            else placeholder(v, tr)

    alpha = tr.percent(ALPHA)
    out: list[Section] = []
    # The frame, and so history.json, keeps each sentence in English as `funnelc audit
    # --format json` does; the tables people read say it in their language. A Ukrainian
    # account's history.json had its findings and verdicts in Ukrainian.
    said = [finding_text(f, tr, a.currency) for f in a.findings]
    # A difference the other side explains (routed leads, the kinds of client) is not
    # the subject's shortfall: its deals stay in the JSON, the table does not add them
    # up with the rest (a key-account manager's «33» beside «—» money read as a gain).
    unowned = [(f.regulars is not None and not f.regulars.holds)
               or (f.entangled is not None and f.entangled.explained)
               or (f.left_open is not None and f.left_open.explained) for f in a.findings]
    findings = pl.DataFrame(
        [(i + 1, f.kind, f.pipeline, f.stage, f.subject, f.deals, f.money, finding_text(f))
         for i, f in enumerate(a.findings)],
        schema={"rank": pl.Int64, "kind": pl.Utf8, "pipeline": pl.Utf8, "stage": pl.Utf8,
                "subject": pl.Utf8, "deals": pl.Float64, "money": pl.Float64,
                "finding": pl.Utf8}, orient="row")
    out.append(Section("findings", _("Audit findings, by money at stake"),
                       _("What the audit found (managers, sources, loss reasons, graveyards), "
                         "the largest stake first; the same list as «funnelc audit» prints."),
                       findings,
                       # The money the list is sorted by, then the deals, before the
                       # sentence: on a 390 px phone the money column, last, was off-screen.
                       [_c("rank", "#", num), _c("money", _("money"), cash),
                        Column("deals", _("deals"), numeric=True,
                               from_row=lambda row: "—" if unowned[int(row["rank"]) - 1]
                               else num(row["deals"])),
                        Column("finding", _("finding"),
                               from_row=lambda row: said[int(row["rank"]) - 1])]))
    if a.detectable:
        out.append(detectable_section(a.detectable, tr, lambda s: x.period(s, True, False)))
    if a.manager_summary is not None:
        out.append(_summary_section(a.manager_summary, tr, num, cash, name, target))
    if a.managers is not None:
        out.append(Section(
            "managers", _("Managers against the rest of the team"),
            _("Per stage pair and manager: deals entered, conversion to the next stage (from "
              "the stage most deals are won from, to the win: «{won}») (with "
              "its Wilson 95% interval and the beta-binomial shrunk value), the rest of the "
              "team's, the gap in deals and money; flagged when clear after Holm's correction "
              "over all managers and pairs (family-wise {alpha}). Premature losses: the share "
              "of the manager's losses whose client came back later (the same deal reopened "
              "in the pipeline and not lost again within an hour, or, within {days}, a new "
              "deal of a client who had bought nothing in the "
              "pipeline before the loss: a buyer's next order is a repeat purchase, not a "
              "comeback), among the losses as old as 90% of the comebacks took (a younger one "
              "has not had the time). A deal still open at the stage is "
              "judged once it has waited as long as 90% of the deals that moved on took; until "
              "then it is recent, counted in no rate.").format(
                alpha=alpha, won=target(WON), days=tr.duration(COMEBACK_DAYS, "day"))
            + " " + _("«Clear from»: the smallest gap under and over the rest's rate that "
                      "the manager's and the rest's numbers of deals would show as clear "
                      "four times in five; a smaller gap, not flagged, is not shown to be "
                      "no gap."),
            a.managers,
            [_c("pipeline", _("pipeline")), _c("from_stage", _("from")),
             _w("to_stage", _("to"), target), _w("manager", _("manager"), name),
             _c("entered", _("entered"), num), _detail(_c("recent", _("recent"), num)),
             _c("rate", _("conversion"), frac),
             _detail(_c("rate_low", _("low"), frac)), _detail(_c("rate_high", _("high"), frac)),
             _detail(_c("shrunk", _("shrunk"), frac)), _c("rest_rate", _("rest"), frac),
             _c("deals_effect", _("deals against the rest"), against),
             _c("money", _("money against the rest"), gained),
             _c("p_value", "p", pv), Column("flagged", _("clear"), from_row=clear),
             _detail(Column("seen_below", _("clear from"), from_row=seen)),
             _detail(_c("won_rate", _("to won"), frac)),
             _detail(_c("first_move_median_h", _("first move"), hours)),
             _c("lost", _("lost"), num),
             _detail(_c("lost_settled", _("losses old enough"), num)),
             _c("premature_pct", _("came back"), frac),
             _detail(_c("came_back_new", _("as a new deal"), num)),
             _detail(_c("repeat_orders", _("repeat orders"), num)),
             _c("premature_flagged", _("premature"), flag),
             _w("top_reason", _("top reason"), name)], _recent_mark(a.managers, tr)))
    if a.speed is not None and a.speed.height:
        def limit(row: Mapping[str, object]) -> str:
            """«15 минут (норма этапа)», «1,5 часа (медиана команды)»."""
            said = (_("{wait} (the stage's norm)") if row["limit"] == "respond"
                    else _("{wait} (the team's median)"))
            return said.format(wait=hours(row["limit_h"]))

        def measure(v: object) -> str:
            return _("first touch") if v == "picked" else _("first move")

        out.append(Section(
            "manager_speed", _("Who picks deals up late"),
            _("Per stage and manager: the deals whose wait for the first touch (a call, a "
              "message or a completed task; the move when the deal left untouched; the first "
              "move where the history has no touches) was longer than the limit: the stage's "
              "norm for the first touch in the funnel, or else the team's median wait there "
              "(working hours when the account has them). A deal never picked up counts as "
              "late once older than the limit. Against the rest of the team: two-sided z "
              "test, Holm's correction over all managers and stages (family-wise {alpha}); "
              "a clearly larger late share from 10 late deals is a finding. Deals against the "
              "rest: the manager's deals × the gap in late shares × how much worse the rest's "
              "own late deals moved on, when that is clear.").format(alpha=alpha), a.speed,
            [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
             _w("manager", _("manager"), name), _c("deals", _("deals"), num),
             _c("late", _("late"), num), _c("share", _("share"), frac),
             _c("rest_share", _("rest"), frac),
             _detail(_c("median_wait_h", _("median wait"), hours)),
             _detail(_c("waiting", _("still waiting"), num)),
             Column("limit_h", _("limit"), from_row=limit),
             _detail(_w("measure", _("measured to"), measure)),
             _c("p_value", "p", pv), Column("flagged", _("clear"), from_row=clear),
             _c("deals_effect", _("deals against the rest"), against),
             _c("money", _("money against the rest"), gained)]))
    if a.sources is not None:
        st = a.sources
        by_month = _month_marks(st.by_month, months)
        marks = conversion_marks(by_month, tr)
        mark = _Formats(tr)

        def first_rate(r: dict[str, object]) -> str:
            rate, n = r["rate_first"], r["entered_first"]
            if rate is None or not isinstance(n, int):
                return frac(rate)
            # The deals that moved on, back from the rate and its deals (their quotient).
            return _("{rate} ({k} of {n})").format(
                rate=frac(rate), k=x.count(round(_number(rate) * n)), n=x.count(n))

        out.append(Section(
            "source_months", _("Conversion by source and month"),
            _("Deals that entered the first stage that month, by source, and the share that "
              "reached the second directly.") + (" " + marks if marks else ""), by_month,
            [_c("pipeline", _("pipeline")), _c("from_stage", _("from")),
             _w("to_stage", _("to"), target), _w("source", _("source"), name),
             # Marked as the stage table marks the same month: the export's last,
             # unfinished month read «Facebook, October: 1 deal, 0%» with no mark beside
             # the stage table's «October *» and «100% †».
             Column("month", _("month"), lambda v: month_cell(v, tr), from_row=lambda r: (
                 month_cell(r["month"], tr) + (mark.incomplete() if r["complete"] is False
                                               else "")
                 + (mark.partial() if r["partial"] else ""))),
             _c("entered", _("entered"), num),
             Column("rate", _("conversion"), frac, True,
                    from_row=lambda r: frac(r["rate"]) + (mark.few() if r["few"] else ""))],
            marks))
        out.append(Section(
            "source_changes", _("Sources: first against last period"),
            _("Each source's conversion in the first and the last period of months whose "
              "deals have had time to convert (by default the first and the last third of such "
              "months, one to three months each, the months between left out, unless the "
              "consultant names the periods); flagged when clear after Holm's correction "
              "(family-wise {alpha}); the effect in deals of the last period and in money. "
              "For the consultant: «--periods».").format(
                  alpha=alpha), st.changes,
            [_c("pipeline", _("pipeline")), _c("from_stage", _("from")),
             _w("to_stage", _("to"), target), _w("source", _("source"), name),
             period("first", _("first")),
             # «then 56.49%» stood beside «entered 136», the last period's deals: the
             # first period's rate carries its own base, as the finding's sentence does.
             Column("rate_first", _("then"), frac, True, from_row=first_rate),
             period("last", _("last")),
             _c("rate_last", _("now"), frac), _c("entered_last", _("entered"), num),
             _c("deals_effect", _("deals lost"), lambda v: signed(v, False)),
             _c("money", _("money"), lambda v: signed(v, True)),
             _c("p_value", "p", pv), Column("flagged", _("clear"), from_row=junk_flag)]))
        dec = st.decomposition.with_columns(verdict=pl.Series(
            [verdict(r) for r in st.decomposition.iter_rows(named=True)], dtype=pl.Utf8))
        out.append(Section(
            "decomposition", _("Marketing or sales? Mix and rate effects"),
            _("Kitagawa's shift-share decomposition of each pair's change between the two "
              "periods: the mix effect (more leads from sources that convert worse) plus the "
              "rate effect (sources converting worse) is the change; the source that moved it "
              "most is named when its own change is clear."), dec,
            [_c("pipeline", _("pipeline")), _c("from_stage", _("from")),
             _w("to_stage", _("to"), target),
             _detail(period("first", _("first"))),
             _detail(period("last", _("last"))),
             _c("change", _("change"), pp),
             _c("mix_effect", _("mix"), pp), _c("rate_effect", _("rate"), pp),
             Column("verdict", _("verdict"), from_row=lambda row: verdict(row, tr))]))
    if a.junk is not None and a.junk.height:
        def reasons(row: Mapping[str, object]) -> str:
            items = row["reasons"]
            return ", ".join(f"{tr.quote(x['reason'])} {num(x['junk'])}"
                             for x in items) if isinstance(items, list) and items else "—"

        out.append(Section(
            "source_junk", _("Which source brings junk"),
            _("Each source's deals lost at the pipeline's qualifying stage (the first that "
              "loses deals) with a junk reason (one given there for more than half of its "
              "losses), against the other sources' "
              "deals, without the orders of clients who had already bought in the pipeline "
              "(no leads): two-sided z test, Holm's correction over all sources (family-wise "
              "{alpha}); a clearly higher share from 10 such deals is a finding.").format(
                alpha=alpha), a.junk,
            [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
             _w("source", _("source"), name), _c("deals", _("deals"), num),
             _c("junk", _("junk"), num), _c("share", _("share"), frac),
             _c("rest_share", _("other sources"), frac), _c("p_value", "p", pv),
             Column("flagged", _("finding"), from_row=junk_flag),
             Column("reasons", _("junk reasons"), from_row=reasons)]))
    lt = a.losses
    by_shown, by_said = _no_reason(lt.by, lt.missing, tr)
    shifts_shown, shifts_said = _no_reason_shifts(lt.shifts, lt.by, tr)
    managers_shown, managers_said = _no_usable_reason(lt.missing_by_manager, tr)
    # The thresholds as the code has them (`MISSING_SHARE`, `MISSING_MIN`): the intros
    # said «10%» and «10 losses» in words of their own.
    min_losses = tr.ngettext("{n} loss", "{n} losses", MISSING_MIN).format(
        n=x.count(MISSING_MIN))
    out.append(Section(
        "loss_reasons_by", _("Loss reasons by month, source, manager and size"),
        _("Losses by reason within each group, a deal lost, brought back and lost again "
          "counting twice (deal-size bands: the terciles of the lost "
          "deals' values, or each value when there are three or fewer, each band named by "
          "the least and greatest value of its deals)."), lt.by,
        [_c("pipeline", _("pipeline")), _w("dimension", _("by"), dimension),
         Column("group", _("group"), from_row=lambda r: group_label(r, tr)),
         _w("reason", _("reason"), name),
         _c("deals", _("losses"), num),
         _c("share", _("share"), frac)], shown=by_shown, summary=by_said))
    out.append(Section(
        "loss_reasons_missing", _("Losses without a usable reason"),
        _("Losses with no reason or a catch-all one («Other», «Misc»): flagged from "
          "{share} of a pipeline's losses and {losses}, or when a manager leaves clearly "
          "more of them than the rest of the team (the table by manager).").format(
              share=tr.percent(MISSING_SHARE), losses=min_losses), lt.missing,
        [_c("pipeline", _("pipeline")), _c("losses", _("losses"), num),
         _c("no_reason", _("no reason"), num), _c("catch_all", _("catch-all"), num),
         _c("share", _("share"), frac), _c("value", _("their value"), cash),
         _c("not_kept", _("reason not kept"), num),
         _c("flagged", _("finding"), flag)]))
    if lt.missing_by_manager.height:
        # A manager with 3 losses, all «Інше», read «100% against 14.95%, p < 0.001» and
        # an empty «finding» with no word why: fewer than `MISSING_MIN` such losses are
        # never one, whatever the shares; the cell says so, the mark under the table why.
        few_rows = (managers_shown if managers_shown is not None
                    else lt.missing_by_manager)
        few = few_rows.filter(pl.col("missing") < MISSING_MIN).height > 0
        few_mark = tr.ngettext(
            "fewer than {n} loss without a usable reason: too few for a finding, however "
            "the shares compare",
            "fewer than {n} losses without a usable reason: too few for a finding, however "
            "the shares compare", MISSING_MIN).format(n=x.count(MISSING_MIN))
        mark = _Formats(tr)
        out.append(Section(
            "loss_reasons_missing_by_manager", _("Losses without a usable reason by manager"),
            _("Each manager's losses with no reason or a catch-all one against the rest of "
              "the team's; flagged when clearly more often (Holm's correction over all "
              "managers, family-wise {alpha}), from {share} and {losses} of their own: the "
              "finding names them.").format(alpha=alpha, share=tr.percent(MISSING_SHARE),
                                            losses=min_losses)
            + (" † " + few_mark if few else ""),
            lt.missing_by_manager,
            [_c("pipeline", _("pipeline")), _w("manager", _("manager"), name),
             _c("losses", _("losses"), num),
             Column("missing", _("no usable reason"), num, True, from_row=lambda r: (
                 num(r["missing"]) + (mark.few() if r["missing"] < MISSING_MIN else ""))),
             _c("share", _("share"), frac), _c("rest_losses", _("rest: losses"), num),
             _c("rest_missing", _("rest: no usable reason"), num),
             _c("rest_share", _("rest"), frac), _c("p_value", "p", pv),
             _c("flagged", _("finding"), flag)],
            "† " + few_mark if few else "",
            shown=managers_shown, summary=managers_said))
    out.append(Section(
        "loss_reason_shifts", _("Loss reasons whose share changed"),
        _("Each reason read within the stages it is given at (stages: how many), by the "
          "deals that came in the first and the last period of months old enough (the "
          "periods the sources compare: by default the first and the last third of such "
          "months, one to three months each, unless the consultant names them), each loss "
          "counted within the same days of the deal's entry (so a history that starts "
          "empty, or stops before the slow losses, does not fake a change). Its share of "
          "each stage's losses and its rate per deal that reached the stage are each tested "
          "over those stages (Cochran–Mantel–Haenszel), and it is flagged by "
          "Benjamini–Hochberg at a {alpha} false discovery rate over all reasons when both "
          "moved the same way: a reason that only gave way to one that grew keeps its rate, "
          "and one whose share of all the losses fell because an earlier stage loses more "
          "deals keeps both. The figures are the stage that moved most: the reason's share "
          "of the losses there, its rate per deal that reached it. For the consultant: "
          "«--periods».").format(alpha=alpha), lt.shifts,
        [_c("pipeline", _("pipeline")), _w("reason", _("reason"), name),
         _c("stage", _("stage")), _c("stages", _("stages"), num),
         period("first", _("first")),
         _c("within_days", _("within, days"), num),
         _c("share_first", _("then"), frac),
         period("last", _("last")),
         _c("share_last", _("now"), frac), _c("p_value", "p", pv),
         _c("rate_first", _("of deals then"), frac), _c("rate_last", _("of deals now"), frac),
         _c("flagged", _("changed"), flag)], shown=shifts_shown, summary=shifts_said))
    gs = a.graveyard
    out.append(Section(
        "graveyard_segments", _("Graveyard segments"),
        _("Deals of each graveyard stage by age in the stage: of the visits that lasted at "
          "least that long, the share that moved forward later, with its 95% interval "
          "(Aalen–Johansen: a deal still there counts for as long as it was watched, not as "
          "one that failed); deals there now. Open deals also by their last recorded "
          "activity; when the export lists the deals' activities, of the visits that went "
          "that long untouched, the share that moved forward later."), gs.segments,
        [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
         Column("segment", _("segment"), from_row=lambda r: segment_label(r, tr)),
         _c("reached", _("lasted this long"), num),
         _c("conversion", _("then moved on"), frac),
         _detail(_c("conversion_low", _("low"), frac)),
         _detail(_c("conversion_high", _("high"), frac)), _c("open_now", _("there now"), num),
         _c("open_value", _("their value"), cash)]))
    # The intro names the columns it explains, in the titles the table shows them under.
    # It said «move on under half as often per day as before» beside two shares of deals
    # that moved on (32.28% before, 20.96% after), which are no such comparison, and the
    # daily rates the finding gives («5.7 a day … 0.33 a day after that») were nowhere.
    titles = {"cut": _("cold after, days"), "before": _("per 100 a day, before"),
              "after": _("per 100 a day, after"), "ratio": _("rate after / before"),
              "warm": _("moved on before"), "cold": _("moved on after")}

    def daily(v: object) -> str:
        # Moves a day of every 100 deals, as the graveyard finding says them.
        return "—" if v is None else tr.sig(100 * _number(v), 2)

    out.append(Section(
        "graveyard_proposals", _("Proposed segmentation stages"),
        _("Where deals that have sat in a graveyard stage this long («{cut}») move on less "
          "than half as often per day as before. Of every 100 deals in the stage, «{before}» "
          "is how many moved on a day in their first days there, «{after}» how many a day "
          "after that; «{ratio}» is the one over the other, by an exact test on the moves "
          "per deal-day (Holm at {alpha} over every cut). «{warm}» is the share of all the "
          "deals that came in that moved on before that age, «{cold}» the share of those "
          "still there at that age that moved on later, however long it took. An SLA moves "
          "the old deals to a cold stage. Replace the stage's ways out with these and add "
          "the cold stage after it: the shares are what the data shows, and the deals still "
          "there make the share that stays on the stage. The cold stage's deals are lost when "
          "95% of the deals that moved on had done so, and copied into the funnel's nurture "
          "pipeline for marketing to warm up; the comments in the text say what each number "
          "is of. For the consultant: the share that stays is «stay» in the text.").format(
              alpha=alpha, **titles),
        gs.proposals,
        [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
         _c("cold_after_days", titles["cut"], num),
         _c("daily_before", titles["before"], daily),
         _c("daily_after", titles["after"], daily),
         _c("rate_ratio", titles["ratio"], ratio),
         _c("warm_conversion", titles["warm"], frac),
         _c("cold_conversion", titles["cold"], frac), _c("p_value", "p", pv),
         # Folded into a terminal column, the text could not be pasted (a line break
         # in a stage's name): the terminal has it whole from `funnelc audit`.
         _detail(_c("funnel_text", _("funnel text")))]))
    return out


def _summary_section(frame: pl.DataFrame, tr: Translator, num: Callable[[object], str],
                     cash: Callable[[object], str], name: Callable[[object], str],
                     target: Callable[[object], str]) -> Section:
    """Each manager across the stage pairs (`managers.manager_summary`), the worst first."""
    _ = tr.gettext
    x = _Fmt(tr)

    def pairs(v: object) -> str:
        if not isinstance(v, list) or not v:
            return "—"
        return "; ".join(f"{tr.quote(p['from_stage'])} → {tr.quote(target(p['to_stage']))}"
                         for p in v)

    def stages(v: object) -> str:
        return "; ".join(tr.quote(s) for s in v) if isinstance(v, list) and v else "—"

    def sourced(v: object) -> str:
        if not isinstance(v, list) or not v:
            return "—"
        return "; ".join(f"{tr.quote(p['from_stage'])} → {tr.quote(target(p['to_stage']))} "
                         f"({tr.quote(p['source'])})" for p in v)

    def closing(row: Mapping[str, object]) -> str:
        n, won = row["closing_entered"], row["closing_won"]
        if not isinstance(n, int) or not isinstance(won, int) or not n:
            return "—"
        rest = row["closing_rest_rate"]
        text = _("{stage}: {won} of {n}, {rate}").format(
            stage=tr.quote(row["closing_stage"]), won=x.count(won), n=x.count(n),
            rate=x.pct(_number(row["closing_rate"])))
        if isinstance(rest, (int, float)):
            text += "; " + _("the rest {rate}").format(rate=x.pct(float(rest)))
        return text

    def short(v: object) -> str:
        return "—" if not isinstance(v, (int, float)) or round(v) <= 0 else num(v)

    def where_any(col: Column) -> Column:
        """Shown in the terminal only where some manager has such a pair: a column of
        dashes in every account without routed sources or regular clients' orders
        widened a table folded already (a window maker's weak closer)."""
        if col.key not in frame.columns or not frame[col.key].list.len().sum():
            return _detail(col)
        return col

    return Section(
        "manager_summary", _("Each manager across the stages"),
        _("One row per manager and pipeline, the largest shortfall first: the deals won at "
          "the closing stage (the stage most deals are won from) against the rest of the "
          "team, the stage pairs where the manager converts clearly worse or clearly better "
          "than the rest, the stages whose losses came back too often (premature losses), "
          "and the deals and money short over the pairs where worse. The table below gives "
          "each pair's figures."), frame,
        [_c("pipeline", _("pipeline")), _w("manager", _("manager"), name),
         Column("closing_won", _("won at the closing stage"), from_row=closing),
         _w("worse_at", _("clearly worse at"), pairs),
         _w("better_at", _("clearly better at"), pairs),
         where_any(_w("source_at", _("different for the source's leads, not the manager, at"),
                      sourced)),
         where_any(_w("clients_at", _("not clear within the same kind of client at"), pairs)),
         where_any(_w("open_at", _("deals left open, not how they are closed, at"), pairs)),
         _w("premature_at", _("premature losses at"), stages),
         _c("deals_short", _("deals short"), short),
         _c("money_short", _("money short"), cash),
         _detail(_c("pairs", _("pairs compared"), num))])


def audit_heading(deals: int, events: int, funnel: str, findings: int,
                  tr: Translator) -> str:
    """The line above the findings; their order is said only when there is one."""
    found = tr.ngettext("{n} finding", "{n} findings", findings).format(n=findings)
    if findings == 0:
        text = tr.gettext("Audit of {deals} and {events} against {funnel}.")
    elif findings == 1:
        text = tr.gettext("Audit of {deals} and {events} against {funnel}: {found}.")
    else:
        text = tr.gettext("Audit of {deals} and {events} against {funnel}: {found}, the most "
                          "money at stake first.")
    # «Аудит 2 306 угод і 9 077 подій»: after «audit of» the counts take the genitive.
    return text.format(
        # TRANSLATORS: a count after «of», «from» (audit of, fitted from): the genitive.
        deals=tr.npgettext("of", "{n} deal", "{n} deals", deals).format(
            n=tr.number(deals, 0)),
        events=tr.npgettext("of", "{n} event", "{n} events", events).format(
            n=tr.number(events, 0)),
        funnel=funnel, found=found)


def not_compared(a: Audit, tr: Translator) -> str:
    """The dimensions the history does not have, so the audit could not judge them: "no
    finding" must not read as "every manager is fine" when no manager was named."""
    _ = tr.gettext
    # The export's own column and field names in «», as the client sees them in the
    # CSV and the CRM: backticks are markup, and the terminal printed them as they are
    # («столбец `source` в CSV» under a realty agency's audit).
    # A manager named only on won deals is named: its finding says why no manager was
    # compared (`manager_on_wins`); «names no manager» above it contradicted it.
    no_managers = a.managers is None and not any(f.kind == "manager_on_wins"
                                                 for f in a.findings)
    if no_managers and a.sources is None:
        return _("The history names no manager and no source, so neither was compared (a "
                 "CSV's «manager» and «source» columns, amoCRM's responsible_user_id and "
                 "«source» fields, Bitrix24's ASSIGNED_BY_ID and SOURCE_ID fields name "
                 "them).")
    if no_managers:
        return _("The history names no manager, so managers were not compared (a CSV's "
                 "«manager» column, amoCRM's responsible_user_id field or Bitrix24's "
                 "ASSIGNED_BY_ID field names them).")
    if a.sources is None:
        return _("The history names no source, so sources were not compared (a CSV's "
                 "«source» column, amoCRM's «source» field or Bitrix24's SOURCE_ID field "
                 "names them).")
    return ""


def print_audit(a: Audit, console: Console, head: str, tr: Translator | None = None) -> None:
    from ..termtext import plain

    tr = tr or translator(choose(None))
    console.print(plain(head, style="bold"))
    gap = not_compared(a, tr)
    if gap:
        console.print(plain(gap))
    if not a.findings:
        console.print(plain(tr.gettext("No finding among what was compared.") if gap else
                            tr.gettext("No finding: no manager, source, loss reason or "
                                       "graveyard stands out clearly.")))
    for i, f in enumerate(a.findings, 1):
        console.print(plain(f"{i:>3}. {finding_text(f, tr, a.currency)}"))
    for r in a.graveyard.proposals.iter_rows(named=True):
        console.print(plain("\n" + tr.gettext("Proposed segmentation of «{stage}»:").format(
            stage=r["stage"])))
        console.print(plain(r["funnel_text"].rstrip()))
    if a.detectable:
        x = _Fmt(tr, a.currency)
        console.print(plain("\n" + tr.gettext("What the comparisons could see:"), style="bold"))
        for d in a.detectable:
            console.print(plain(detectable_text(d, tr, lambda s: x.period(s, True, False))))


def _upstream_text(f: Finding, up: Upstream, tr: Translator, x: _Fmt, named: bool) -> str:
    """Why a reason's share of all the losses moved while it held where it is given: an
    earlier stage lost more deals, or fewer when the share rose (`loss_reasons._upstream`).
    Once the shift was read within the stages, «Дорого» falling from 30.56% to 20.65% of
    all the losses was no finding, and nothing said why the loss-reason tables showed it
    fall: the client took it for fewer price objections. Each share with its base, as the
    shifts give theirs."""
    a, b = f.periods or ("", "")
    k1, n1, k2, n2 = up.all_counts
    fields = x.bases(f.counts or (0, 0, 0, 0))
    fields.update(
        subject=placeholder(f.subject, tr), where=x.where(replace(f, stage=None)),
        stage=tr.quote(f.stage or ""), upstream=tr.quote(up.stage),
        up_reason=placeholder(up.reason, tr),
        first=x.period(a, named), last=x.period(b, named),
        days=tr.duration(round(f.within_days or 0), "day"),
        expected=x.pct(k1 / n1 if n1 else None), observed=x.pct(k2 / n2 if n2 else None),
        all_before=x.count(k1), all_n_before=x.count(n1), all_after=x.count(k2),
        all_n_after=x.count(n2), p=x.p(f.p_value),
        up_expected=x.pct(up.losses_first / up.deals_first),
        up_observed=x.pct(up.losses_last / up.deals_last),
        up_before=x.count(up.losses_first), up_n_before=x.count(up.deals_first),
        up_after=x.count(up.losses_last), up_n_after=x.count(up.deals_last),
        up_p=x.p(up.p_value),
        up_reason_first=x.pct(up.reason_first / up.deals_first),
        up_reason_last=x.pct(up.reason_last / up.deals_last),
        share_first=x.pct(f.counts[0] / f.counts[1] if f.counts and f.counts[1] else None),
        share_last=x.pct(f.counts[2] / f.counts[3] if f.counts and f.counts[3] else None),
        held_p=x.p(up.held_p))
    fields["stages"] = x.count(f.stages or 1)
    fell = k2 * n1 < k1 * n2
    # A share that rose did so because the earlier stage lost fewer deals (marketing
    # cleaned its leads up): the client reads «price objections grew» unless told.
    moved = tr.gettext(
        "Loss reason «{subject}» on {where}: {expected} of all the losses of deals that came "
        "in {first} ({all_before} of {all_n_before}), {observed} of those that came in "
        "{last} ({all_after} of {all_n_after}; {p}), each counted within {days} of entry. "
        "That is not the reason changing: an earlier stage, {upstream}, lost more of the "
        "deals that reached it, {up_expected} of those that came in {first} ({up_before} of "
        "{up_n_before}) and {up_observed} of those that came in {last} ({up_after} of "
        "{up_n_after}; {up_p}); «{up_reason}» grew most there ({up_reason_first} → "
        "{up_reason_last} of those deals).") if fell else tr.gettext(
        "Loss reason «{subject}» on {where}: {expected} of all the losses of deals that came "
        "in {first} ({all_before} of {all_n_before}), {observed} of those that came in "
        "{last} ({all_after} of {all_n_after}; {p}), each counted within {days} of entry. "
        "That is not the reason changing: an earlier stage, {upstream}, lost fewer of the "
        "deals that reached it, {up_expected} of those that came in {first} ({up_before} of "
        "{up_n_before}) and {up_observed} of those that came in {last} ({up_after} of "
        "{up_n_after}; {up_p}), so more of them went on to the later stages, whose losses "
        "became a larger part of all the losses; «{up_reason}» fell most there "
        "({up_reason_first} → {up_reason_last} of those deals).")
    # Where it is given at several stages, its figures are those of the one it moved most
    # at, and the test is over them all, as the shift's sentence says. A fall sends the
    # consultant to the earlier stage; a rise is that stage's good news, with nothing to
    # fix where the reason is given.
    held = (tr.ngettext(
        "At {stage}, where it moved most of the {stages} stage it is given at, «{subject}» "
        "did not clearly change: {share_first} of the losses there ({before} of {n_before}), "
        "then {share_last} ({after} of {n_after}; {held_p} over those stages, "
        "Cochran–Mantel–Haenszel). Look at {upstream}, not at the objections where it is "
        "given.",
        "At {stage}, where it moved most of the {stages} stages it is given at, «{subject}» "
        "did not clearly change: {share_first} of the losses there ({before} of {n_before}), "
        "then {share_last} ({after} of {n_after}; {held_p} over those stages, "
        "Cochran–Mantel–Haenszel). Look at {upstream}, not at the objections where it is "
        "given.", f.stages or 1) if (f.stages or 1) > 1 else tr.gettext(
        "At {stage}, where it is given, «{subject}» did not clearly change: {share_first} of "
        "the losses there ({before} of {n_before}), then {share_last} ({after} of {n_after}; "
        "{held_p}). Look at {upstream}, not at the objections at {stage}.")) if fell else (
        tr.ngettext(
            "At {stage}, where it moved most of the {stages} stage it is given at, "
            "«{subject}» did not clearly change: {share_first} of the losses there ({before} "
            "of {n_before}), then {share_last} ({after} of {n_after}; {held_p} over those "
            "stages, Cochran–Mantel–Haenszel). That is good news: {upstream} loses fewer "
            "deals, and there is nothing to fix where it is given: the objections there did "
            "not clearly grow.",
            "At {stage}, where it moved most of the {stages} stages it is given at, "
            "«{subject}» did not clearly change: {share_first} of the losses there ({before} "
            "of {n_before}), then {share_last} ({after} of {n_after}; {held_p} over those "
            "stages, Cochran–Mantel–Haenszel). That is good news: {upstream} loses fewer "
            "deals, and there is nothing to fix where it is given: the objections there did "
            "not clearly grow.", f.stages or 1) if (f.stages or 1) > 1 else tr.gettext(
            "At {stage}, where it is given, «{subject}» did not clearly change: {share_first} "
            "of the losses there ({before} of {n_before}), then {share_last} ({after} of "
            "{n_after}; {held_p}). That is good news: {upstream} loses fewer deals, "
            "and there is nothing to fix at {stage}: the objections there did not clearly "
            "grow."))
    return (moved + " " + held).format(**fields)


def finding_json(f: Finding) -> JSONObject:
    return {"kind": f.kind, "pipeline": f.pipeline, "stage": f.stage, "to_stage": f.to_stage,
            "subject": f.subject, "deals": f.deals, "deals_low": f.deals_low,
            "deals_high": f.deals_high, "money": f.money, "observed": f.observed,
            "expected": f.expected, "n": f.n, "p_value": f.p_value,
            "periods": list(f.periods) if f.periods else None,
            "within_days": f.within_days, "after_days": f.after_days,
            **({"band": None if f.band is None else {
                "low": f.band.low, "high": f.band.high,
                "losses_first": f.band.losses_first, "of_first": f.band.of_first,
                "losses_last": f.band.losses_last, "of_last": f.band.of_last,
                "p_value": f.band.p_value}, "stages": f.stages}
               if f.kind == "loss_reason_shift" else {}),
            **({"stages": f.stages, "counts": list(f.counts) if f.counts else None,
                "upstream": None if f.upstream is None else {
                    "stage": f.upstream.stage, "losses_first": f.upstream.losses_first,
                    "deals_first": f.upstream.deals_first,
                    "losses_last": f.upstream.losses_last,
                    "deals_last": f.upstream.deals_last, "p_value": f.upstream.p_value,
                    "reason": f.upstream.reason, "reason_first": f.upstream.reason_first,
                    "reason_last": f.upstream.reason_last,
                    "all": list(f.upstream.all_counts), "held_p": f.upstream.held_p}}
               if f.kind == "loss_reason_upstream" else {}),
            **({"managers": [{"manager": m.name, "missing": m.count, "losses": m.of,
                              "rest_missing": m.rest_count, "rest_losses": m.rest_of,
                              "p_value": m.p_value} for m in f.named],
                "lone_failure_stage": f.lone_stage}
               if f.kind == "loss_reasons_missing" else {}),
            **({"came_back": None if f.comeback is None else {
                "reopened": f.comeback.reopened, "new_deal": f.comeback.new_deal,
                "window_days": f.comeback.window_days,
                "other_manager": f.comeback.other_manager, "won": f.comeback.won}}
               if f.kind == "premature_losses" else {}),
            **({"junk": None if f.junk is None else {
                "reasons": [{"reason": r, "deals": k} for r, k in f.junk.reasons],
                "rest_junk": f.junk.rest_count, "rest_deals": f.junk.rest_of,
                "diff_low": f.junk.diff_low, "diff_high": f.junk.diff_high,
                "extra": f.junk.extra, "cost_per_lead": f.junk.per_lead,
                "budget_per_month": f.junk.per_month, "months": f.junk.months,
                "contact": None if f.junk.contact is None else {
                    "reasons": list(f.junk.contact.reasons), "deals": f.junk.contact.count,
                    "median_hours": f.junk.contact.hours,
                    "rest_deals": f.junk.contact.rest_count,
                    "rest_median_hours": f.junk.contact.rest_hours,
                    "p_value": f.junk.contact.p_value, "sooner": f.junk.contact.sooner}}}
               if f.kind == "source_junk" else {}),
            **({"speed": None if f.speed is None else {
                "late": f.speed.late, "rest_late": f.speed.rest_late,
                "rest_deals": f.speed.rest_of, "diff_low": f.speed.diff_low,
                "diff_high": f.speed.diff_high, "limit_hours": f.speed.limit_hours,
                "limit": f.speed.limit, "measure": f.speed.measure,
                "working_hours": f.speed.working, "waiting": f.speed.waiting,
                "extra_late": f.speed.extra_late,
                "rest_late_reached": f.speed.rest_late_reached,
                "rest_late_judged": f.speed.rest_late_judged,
                "rest_on_time_reached": f.speed.rest_on_time_reached,
                "rest_on_time_judged": f.speed.rest_on_time_judged,
                "conversion_p": f.speed.conv_p, "conversion_clear": f.speed.conv_clear,
                "overlaps_conversion": f.speed.overlaps}}
               if f.kind == "manager_speed" else {}),
            **({"entangled": None if f.entangled is None else {
                "other": f.entangled.other, "share": f.entangled.share,
                "within_p": f.entangled.within_p, "explained": f.entangled.explained,
                "outside": [f.entangled.outside_k, f.entangled.outside_n],
                "rest": [f.entangled.rest_k, f.entangled.rest_n],
                "other_outside": [f.entangled.other_k, f.entangled.other_n],
                "other_p": f.entangled.other_p}}
               if f.kind in ("manager_conversion", "manager_practice", "source_junk",
                             "source_quality", "source_mix") else {}),
            **({"regulars": None if f.regulars is None else {
                "orders": [f.regulars.orders_k, f.regulars.orders_n],
                "new": [f.regulars.new_k, f.regulars.new_n],
                "rest_orders": [f.regulars.rest_orders_k, f.regulars.rest_orders_n],
                "rest_new": [f.regulars.rest_new_k, f.regulars.rest_new_n],
                "within_p": f.regulars.within_p, "mix_p": f.regulars.mix_p,
                "orders_ahead": f.regulars.orders_ahead, "holds": f.regulars.holds,
                "explained": f.regulars.explained, "level": f.regulars.level}}
               if f.kind in ("manager_conversion", "manager_practice", "manager_speed")
               else {}),
            **({"left_open": None if f.left_open is None else {
                "open": [f.left_open.open_n, f.left_open.n],
                "rest_open": [f.left_open.rest_open, f.left_open.rest_n],
                "open_p": f.left_open.open_p,
                "decided": [f.left_open.closed_k, f.left_open.closed_n],
                "rest_decided": [f.left_open.rest_closed_k, f.left_open.rest_closed_n],
                "decided_p": f.left_open.closed_p, "days": f.left_open.days,
                "explained": f.left_open.explained, "level": f.left_open.level}}
               if f.kind in ("manager_conversion", "manager_practice") else {}),
            "text": finding_text(f)}


def audit_json(a: Audit, meta: Mapping[str, object]) -> str:
    data: dict[str, object] = dict(meta)
    data["compared"] = {"managers": a.managers is not None, "sources": a.sources is not None}
    data["findings"] = [finding_json(f) for f in a.findings]
    data["detectable"] = [detectable_json(d) for d in a.detectable]
    data["decomposition"] = [] if a.sources is None else [
        {**{k: v for k, v in r.items()}, "verdict": verdict(r)}
        for r in a.sources.decomposition.iter_rows(named=True)]
    data["proposals"] = [{k: r[k] for k in (
                          "pipeline", "stage", "cold_after_days", "fresh_conversion",
                          "warm_conversion", "cold_conversion", "rate_ratio",
                          "daily_before", "daily_after", "p_value",
                          "reached", "moved_p95_days", "cold_sla_days", "cold_reason",
                          "nurture", "funnel_text")}
                         for r in a.graveyard.proposals.iter_rows(named=True)]
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
