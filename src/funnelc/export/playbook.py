"""`--to playbook-md` / `--to playbook-html`: the manager playbook, per pipeline and stage:
the goal (seed 002: a manager's job is to sell the *next* stage), the hint, the fields to
fill before the deal may enter, the tasks and messages the CRM creates on entry, the SLA
and what happens when it runs out, the respond rule, and the cadence steps.

Everything follows the account's `language` (ru, uk, en; English when unset; `--lang`
overrides): the catalogs of `funnelc.i18n`, with CLDR's plural forms for the delays
(«через 1 день», «через 2 дня», «через 5 дней»).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .. import model as m
from ..i18n import C_, Translator, choose, translator
from ..routing import Route, StageKey, build_flows
from .base import ExportResult
from .crm_common import win_probabilities
from .wording import delay_words, duration_words, parse_duration, share_words

CHANNELS = {
    "call": C_("channel", "call"), "whatsapp": C_("channel", "WhatsApp"),
    "telegram": C_("channel", "Telegram"), "viber": C_("channel", "Viber"),
    "email": C_("channel", "email"),
    "sms": C_("channel", "SMS"), "chat": C_("channel", "chat"),
    "meeting": C_("channel", "meeting"),
}
"""The channels' names in a sentence (translated with the context `channel`)."""

PURPOSES = {
    "qualification": C_("purpose", "qualification"),
    "telemarketing": C_("purpose", "telemarketing"), "sales": C_("purpose", "sales"),
    "production": C_("purpose", "production"), "delivery": C_("purpose", "delivery"),
    "claims": C_("purpose", "claims"), "nurture": C_("purpose", "nurturing"),
    "regulars": C_("purpose", "regular customers"), "winback": C_("purpose", "win-back"),
}
"""A pipeline's `purpose` in words (context `purpose`)."""

_SIGNS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
"""A condition's operator as a client reads it (`>=` is the file's spelling)."""


def _cond_text(c: m.Condition, tr: Translator, currency: str | None = None,
               money_fields: frozenset[str] = frozenset()) -> str:
    """A `when` in words. English keeps the file's spelling (`>= 10k`); Russian and
    Ukrainian say the value in their own numbers and units (`≥ 10 000 ₴`, `2 дні`,
    `так`): `10k` and `yes` are the file's English, not the client's language."""
    _ = tr.gettext
    parts = []
    for t in c.terms:
        if t.op == "filled":
            parts.append(_("the field «{field}» is filled").format(field=t.field.value))
        elif tr.lang == "en":
            parts.append(f"{tr.quote(t.field.value)} {t.op} {t.value_text}")
        else:
            field = t.field.value
            value = _value_words(t, tr, currency if field in money_fields else None)
            parts.append(f"{tr.quote(field)} {_SIGNS[t.op]} {value}")
    return _(" and ").join(parts)


def _value_words(t: m.Comparison, tr: Translator, currency: str | None) -> str:
    """A compared value in `tr`'s language: money with its sign when the field holds
    money in the account's currency, a duration in words, a share with the decimal comma."""
    v = t.value
    if isinstance(v, bool):
        return tr.gettext("yes") if v else tr.gettext("no")
    if isinstance(v, m.Quantity):
        if v.kind == "duration":
            return duration_words(v.text, tr)
        return tr.money(v.value, currency) if currency else tr.number(v.value)
    if isinstance(v, m.Share):
        return share_words(v, tr)
    if isinstance(v, m.Name):
        return tr.quote(v.value)
    return t.value_text


@dataclass
class _Block:
    """One rendered stage: a heading and labelled lines, language-neutral structure."""

    heading: str
    badges: list[str]
    items: list[tuple[str, list[str]]]


class _Writer:
    def __init__(self, funnel: m.FunnelFile) -> None:
        self.funnel = funnel
        self.lang = choose(funnel.account.language if funnel.account else None)
        self.tr = translator(self.lang)
        self.calendar = funnel.account is not None and funnel.account.hours is not None
        self.flows = build_flows(funnel)
        account = funnel.account
        self.currency = account.currency.value if account and account.currency else None
        self.money_fields = frozenset(f.name.value for f in funnel.fields
                                      if f.type.kind == "money")
        self._wins: dict[StageKey, float] | None = None

    def share(self, share: m.Share) -> str:
        """A share as the file gives it, in the language's numbers (`0,5%`)."""
        return share_words(share, self.tr)

    def dur(self, text: str, after: bool = False) -> str:
        return duration_words(text, self.tr, after)

    def limit(self, text: str, brief: bool = False) -> str:
        """An SLA or respond limit as written (`200h` → `200 hours`). With a calendar it
        counts working hours, and says so; days and weeks are said in hours then, since
        the engine counts `3d` as 72 working hours, which «3 days of working time» would
        pass off as three working days. A limit of a working day or more adds what a
        manager can count on: working days of the account's calendar (and weeks from ten
        days on): «336 часов рабочего времени (≈ 37 рабочих дней по 9 ч, ≈ 7,5 недели)»
        read «336 часов рабочего времени», which nobody turns into a date. `brief`: without
        them (a line that refers back to the time limit)."""
        if not self.calendar:
            return self.dur(text)
        parsed = parse_duration(text)
        hours: float | None = None
        if parsed is not None:
            hours = parsed[0] * {"second": 1 / 3600, "minute": 1 / 60, "hour": 1.0,
                                 "day": 24.0, "week": 168.0}[parsed[1]]
        if parsed is not None and parsed[1] in ("day", "week"):
            after = self.tr.duration(hours or 0.0, "hour")
        else:
            after = self.dur(text)
        worded = self.tr.gettext("{after} of working time").format(after=after)
        days = self.working_days(hours) if hours is not None else None
        return worded if days is None or brief else f"{worded} ({days})"

    def working_days(self, hours: float) -> str | None:
        """`hours` of working time in working days of the account's calendar («≈ 37
        рабочих дней по 9 ч», from ten days on with the weeks they make: «≈ 7,5 недели»);
        None under one working day or without working time."""
        per_day, days_a_week, equal = self.workweek
        if per_day <= 0 or hours + 1e-9 < per_day:
            return None
        days = hours / per_day
        n = round(days)
        exact = abs(days - n) < 1e-6
        if equal:
            text = self.tr.ngettext("{n} working day of {h} h", "{n} working days of {h} h",
                                    n).format(n=self.tr.number(n),
                                              h=self.tr.number(per_day, 1))
        else:  # days of different lengths: an average day of 8,1 h is no one's day
            text = self.tr.ngettext("{n} working day", "{n} working days", n).format(
                n=self.tr.number(n))
        if not exact:
            text = "≈ " + text
        if days >= 10 and days_a_week > 0:
            weeks = round(days / days_a_week, 1)
            exact_weeks = abs(weeks * days_a_week - days) < 1e-6
            text += ", " + ("" if exact_weeks else "≈ ") + self.tr.duration(weeks, "week")
        return text

    @property
    def workweek(self) -> tuple[float, int, bool]:
        """(working hours in an average working day, working days a week, whether every
        working day is as long) of the account's `hours`."""
        account = self.funnel.account
        per_weekday: dict[str, float] = {}
        for entry in (account.hours.entries if account and account.hours else ()):
            for day in entry.days:
                length = max(0, entry.end_minute - entry.start_minute) / 60.0
                per_weekday[day] = per_weekday.get(day, 0.0) + length
        worked = [h for h in per_weekday.values() if h > 0]
        equal = len({round(h, 6) for h in worked}) <= 1
        return (sum(worked) / len(worked) if worked else 0.0), len(worked), equal

    def rate(self, rate: m.Rate) -> str:
        _ = self.tr.gettext
        count = self.tr.number(rate.count)
        words = {"hour": _("{count} an hour"), "day": _("{count} a day"),
                 "week": _("{count} a week"), "month": _("{count} a month")}
        return words[rate.unit].format(count=count)

    def channel(self, name: str) -> str:
        return self.tr.pgettext("channel", CHANNELS[name]) if name in CHANNELS else name

    def target_action(self, target: m.Target, copy: m.Copy | None, home: m.Pipeline) -> str:
        _ = self.tr.gettext
        if isinstance(target, m.WonTarget):
            text = _("is closed as won")
        elif isinstance(target, m.LostTarget):
            text = _("is closed as lost («{reason}»)").format(reason=target.reason.value)
        else:
            text = _("moves to «{target}»").format(target=target.ref.stage.value)
        if copy is not None:
            found = self.funnel.resolve(copy.ref, home)
            if found is not None:
                text += " " + _("and a copy is created in «{pipeline}» → «{stage}»").format(
                    pipeline=found[0].name.value, stage=found[1].name.value)
        return text

    def on_enter(self, actions: list[m.Action]) -> list[str]:
        _ = self.tr.gettext
        lines = []
        for a in actions:
            if isinstance(a, m.TaskAction):
                text = _("task «{text}»").format(text=a.text.value)
                if a.due is not None:
                    text += ", " + _("due in {due}").format(due=self.dur(a.due.text))
                if a.team is not None:
                    text += ", " + _("for {team}").format(team=a.team.value)
            elif isinstance(a, m.MessageAction):
                text = _("{channel} message: «{text}»").format(
                    channel=self.channel(a.channel.value), text=a.template.value)
            else:
                text = _("deal is reassigned to {team}").format(team=a.team.value)
            lines.append(text)
        return lines

    def cadence(self, pipe: m.Pipeline, cadence: m.Cadence) -> list[str]:
        _ = self.tr.gettext
        lines = []
        for i, touch in enumerate(cadence.touches, 1):
            when = _("at once") if touch.offset is None else _("after {offset}").format(
                offset=self.dur(touch.offset.text, after=True))
            lines.append(_("{n}. {channel} {when} (reply chance {reply})").format(
                n=i, channel=self.channel(touch.channel.value), when=when,
                reply=self.share(touch.reply)))
        if cadence.on_reply is not None:
            r = cadence.on_reply
            lines.append(_("On a reply the deal {action}").format(
                action=self.target_action(r.target, r.copy_to, pipe)))
        if cadence.on_exhausted is not None:
            r = cadence.on_exhausted
            lines.append(_("With no reply after all attempts the deal {action}").format(
                action=self.target_action(r.target, r.copy_to, pipe)))
        return lines

    def stage_block(self, pipe: m.Pipeline, stage: m.Stage) -> _Block:
        _ = self.tr.gettext
        flow = self.flows.stages[(pipe.name.value, stage.name.value)]
        items: list[tuple[str, list[str]]] = []
        items.append((_("Goal"), [self.goal(flow.key, flow.routes)]))
        if stage.hint is not None:
            items.append((_("What to do"), [stage.hint.value]))
        if stage.owner is not None:
            items.append((_("Responsible team"), [stage.owner.value]))
        if stage.requires:
            items.append((_("Fill in before the deal enters"),
                          [self.tr.quote(f.value) for f in stage.requires]))
        if stage.on_enter:
            items.append((_("The CRM does on entry"), self.on_enter(list(stage.on_enter))))
        if stage.respond is not None:
            items.append((_("Answer within"), [
                _("{after} from entry (pick the deal up by then)").format(
                    after=self.limit(stage.respond.text))]))
        if stage.sla is not None:
            action = self.target_action(stage.sla.target, stage.sla.copy_to, pipe)
            after = self.limit(stage.sla.after.text)
            items.append((_("Time limit"), [
                _("{after} from entry; then the deal {action}").format(after=after,
                                                                       action=action)]))
        if stage.cadence is not None:
            items.append((_("Contact attempts"), self.cadence(pipe, stage.cadence)))
        if stage.outcomes or stage.stay is not None:
            lines = []
            for out in stage.outcomes:
                text = self.target_action(out.target, out.copy_to, pipe)
                if out.share is not None:
                    text = f"{self.share(out.share)}: {text}"
                if out.after is not None:
                    text += ", " + delay_words(out.after, self.tr)
                if out.when is not None:
                    text += ", " + _("when {cond}").format(cond=_cond_text(
                        out.when, self.tr, self.currency, self.money_fields))
                lines.append(text)
            if stage.stay is not None and stage.sla is not None:
                # the SLA takes them (docs/semantics.md): «остаётся на этапе: 40%» beside
                # an SLA read as deals that stay forever
                lines.append(_("{share}: stay here until the time limit ({after}) runs out; "
                               "then the deal {action}").format(
                    share=self.share(stage.stay), after=self.limit(stage.sla.after.text, brief=True),
                    action=self.target_action(stage.sla.target, stage.sla.copy_to, pipe)))
            elif stage.stay is not None:
                lines.append(_("stay here: {share}").format(share=self.share(stage.stay)))
            items.append((_("Where deals go next"), lines))
        # seed 002: a key stage is where the client has committed (came to the meeting),
        # not the one closest to money: two in a row both read «ближе всего к деньгам»
        badges = [_("key stage: the client has clearly shown interest here, "
                    "work these deals first")] if stage.key else []
        return _Block(stage.name.value, badges, items)

    def goal(self, here: StageKey, routes: list[Route]) -> str:
        """The step forward (seed 002: a manager sells the deal its next stage): of the
        ways out whose deals are won more often than this stage's (`analysis.markov`'s win
        probabilities; a win is 1), the one the manager's routes take most often. The
        manager's routes are the outcomes and a cadence's reply or exhaustion, not the
        SLA's timeout, which nobody works for (an SLA that alone moves the deal counts
        when nothing else does); routes to one stage add up, so the share is what «where
        deals go next» lists. With nothing ahead (every way out wins alike), the way most
        deals take. «Отправлен расчет» (10% to a meeting, 15% warm, 35% cold, 30% cold by
        the SLA) read «move the deal to Холодные (65%)»: cooling the client down.

        When the SLA also takes the stage's waiting deals to the goal, the share said is
        all that get there, split into the manager's and the SLA's: «До покупки 30 дней»
        read «туда переходит 10% сделок» when all of them do (90% when the SLA runs out).
        A goal stage with required fields names those this stage did not require already:
        they are collected here, before the CRM lets the deal move."""
        _ = self.tr.gettext
        moves = [r for r in routes if r.kind == "won" or (r.kind == "stage" and r.stage)]
        worked = [r for r in moves if r.via != "sla"] or moves
        if not worked:
            return _("no next step is defined: deals stay here")
        wins = self.win_probabilities()
        totals: dict[StageKey | None, float] = {}
        for r in worked:
            key = None if r.kind == "won" else r.stage
            totals[key] = totals.get(key, 0.0) + r.share
        here_wins = wins.get(here, 0.0)
        ahead = {k: v for k, v in totals.items()
                 if (1.0 if k is None else wins.get(k, 0.0)) > here_wins + 1e-9}
        best, share = max((ahead or totals).items(), key=lambda kv: kv[1])
        by_sla = 0.0 if worked is moves else sum(
            r.share for r in moves
            if r.via == "sla" and (None if r.kind == "won" else r.stage) == best)
        pct = self.tr.percent
        if best is None:
            if by_sla > 0:
                text = _("close the deal as won ({total} of deals: {worked} closed by the "
                         "manager, {sla} by the time limit)").format(
                    total=pct(share + by_sla, 1), worked=pct(share, 1), sla=pct(by_sla, 1))
            else:
                text = _("close the deal as won ({share} of deals)").format(
                    share=pct(share, 1))
        elif by_sla > 0:
            text = _("move the deal to «{target}» ({total} of deals go there: {worked} moved "
                     "by the manager, {sla} by the time limit)").format(
                target=best[1], total=pct(share + by_sla, 1), worked=pct(share, 1),
                sla=pct(by_sla, 1))
        else:
            text = _("move the deal to «{target}» ({share} of deals go there)").format(
                target=best[1], share=pct(share, 1))
        # the fields this stage already required were filled when the deal came in
        filled = set(self.required(here))
        fields = [f for f in self.required(best) if f not in filled]
        if fields:
            text = _("{goal}; before the move fill in {fields}").format(
                goal=text, fields=self.tr.join([self.tr.quote(f) for f in fields]))
        return text

    def required(self, key: StageKey | None) -> list[str]:
        """The fields the stage `key` requires before a deal may enter it."""
        if key is None:
            return []
        flow = self.flows.stages.get(key)
        return [] if flow is None else [f.value for f in flow.stage.requires]

    def win_probabilities(self) -> dict[StageKey, float]:
        """Each stage's chance that its deal is won, computed once per playbook."""
        if self._wins is None:
            self._wins = win_probabilities(self.funnel)
        return self._wins

    def pipelines(self) -> Iterator[tuple[m.Pipeline, list[str], list[_Block]]]:
        _ = self.tr.gettext
        for pipe in self.funnel.pipelines:
            intro = []
            if pipe.purpose is not None:
                purpose = self.tr.pgettext("purpose", PURPOSES[pipe.purpose.value])
                intro.append(_("Purpose: {purpose}").format(purpose=purpose))
            for src, key in self.flows.sources:
                if key[0] == pipe.name.value:
                    intro.append(_("«{name}»: {rate} into «{stage}»").format(
                        name=src.name.value, rate=self.rate(src.rate), stage=key[1]))
            intro += self.arrivals(pipe)
            for ro in pipe.reopens:
                # seed 004: a reopened deal is a client who came back; say when, and that
                # it is to be picked up (the delay was dropped)
                if ro.after is not None:
                    line = _("{share} of deals lost as «{reason}» come back to «{stage}» "
                             "when the client gets in touch again ({after}): pick them up "
                             "at once").format(share=self.share(ro.share),
                                               reason=ro.reason.value,
                                               stage=ro.target.stage.value,
                                               after=delay_words(ro.after, self.tr))
                else:
                    line = _("{share} of deals lost as «{reason}» come back to «{stage}» "
                             "when the client gets in touch again: pick them up at once"
                             ).format(share=self.share(ro.share), reason=ro.reason.value,
                                      stage=ro.target.stage.value)
                intro.append(line)
            yield pipe, intro, [self.stage_block(pipe, s) for s in pipe.stages]

    def arrivals(self, pipe: m.Pipeline) -> list[str]:
        """Where deals come into `pipe` from other pipelines (a copy or a move), one line
        per pipeline and stage they arrive at, the counterpart of the «and a copy is
        created in …» lines: the sales manager did not learn that every deal of «Лид
        передан в продажи» was qualified by the call centre, the marketer where warming
        deals come from."""
        _ = self.tr.gettext
        name = pipe.name.value
        found: dict[tuple[str, str], list[str]] = {}
        for flow in self.flows:
            if flow.key[0] == name:
                continue
            for r in flow.routes:
                for key in (r.copy_to, r.stage if r.kind == "stage" else None):
                    if key is not None and key[0] == name:
                        stages = found.setdefault((flow.key[0], key[1]), [])
                        if flow.key[1] not in stages:
                            stages.append(flow.key[1])
        lines = []
        for (source, stage), stages in found.items():
            # one stage or several (not a CLDR plural: 21 stages are not «этап»)
            text = _("Deals come in from «{pipeline}» (stage {stages}) at «{stage}»") \
                if len(stages) == 1 else \
                _("Deals come in from «{pipeline}» (stages {stages}) at «{stage}»")
            lines.append(text.format(pipeline=source, stage=stage, stages=self.tr.join(
                [self.tr.quote(x) for x in stages])))
        return lines

    def title(self) -> str:
        name = self.funnel.account.name.value if self.funnel.account else ""
        title = self.tr.gettext("Manager playbook")
        return title + (f": {name}" if name else "")

    def pipeline_heading(self, name: str) -> str:
        return self.tr.gettext("Pipeline «{name}»").format(name=name)

    def stage_heading(self, name: str) -> str:
        return self.tr.gettext("Stage «{name}»").format(name=name)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    """Names and hints are any text: escape what Markdown would read as markup (emphasis,
    code, links, HTML, tables) and a leading `1.` that would start a numbered list."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", text)


def render_markdown(funnel: m.FunnelFile) -> str:
    w = _Writer(funnel)
    out = [f"# {_md(w.title())}", ""]
    for pipe, intro, blocks in w.pipelines():
        out += [f"## {w.pipeline_heading(_md(pipe.name.value))}", ""]
        out += [f"- {_md(line)}" for line in intro]
        if intro:
            out.append("")
        for b in blocks:
            out += [f"### {w.stage_heading(_md(b.heading))}", ""]
            out += [f"> {_md(badge)}" for badge in b.badges]
            if b.badges:
                out.append("")
            for label, lines in b.items:
                if len(lines) == 1:
                    out.append(f"- **{label}:** {_md(lines[0])}")
                else:
                    out.append(f"- **{label}:**")
                    out += [f"  - {_md(line)}" for line in lines]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d2430}
h1{border-bottom:2px solid #98cbff}h2{margin-top:2.5rem;color:#234}
section.stage{border:1px solid #dde3ea;border-radius:8px;padding:.5rem 1.2rem;margin:1rem 0}
section.stage.key{border-color:#ffce5a;background:#fffdf3}.badge{font-size:.9em;color:#8a5a00}
dt{font-weight:600;margin-top:.4rem}dd{margin-left:1.2rem}ul{margin:.2rem 0}"""


def render_html(funnel: m.FunnelFile) -> str:
    w = _Writer(funnel)
    e = html.escape
    out = ["<!DOCTYPE html>", f'<html lang="{w.lang}">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(w.title())}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{e(w.title())}</h1>"]
    for pipe, intro, blocks in w.pipelines():
        out.append(f"<h2>{e(w.pipeline_heading(pipe.name.value))}</h2>")
        if intro:
            out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in intro) + "</ul>")
        for b in blocks:
            cls = "stage key" if b.badges else "stage"
            out.append(f'<section class="{cls}"><h3>{e(w.stage_heading(b.heading))}</h3>')
            for badge in b.badges:
                out.append(f'<p class="badge">★ {e(badge)}</p>')
            out.append("<dl>")
            for label, lines in b.items:
                out.append(f"<dt>{e(label)}</dt>")
                if len(lines) == 1:
                    out.append(f"<dd>{e(lines[0])}</dd>")
                else:
                    out.append("<dd><ul>" + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul></dd>")
            out.append("</dl></section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class PlaybookExporter:
    name: str
    description: str
    html: bool
    folder: bool = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        if self.html:
            return ExportResult(files={"playbook.html": render_html(funnel)})
        return ExportResult(files={"playbook.md": render_markdown(funnel)})


EXPORTERS = {
    "playbook-md": PlaybookExporter("playbook-md", "manager playbook (Markdown)", html=False),
    "playbook-html": PlaybookExporter("playbook-html", "manager playbook (HTML)", html=True),
}
