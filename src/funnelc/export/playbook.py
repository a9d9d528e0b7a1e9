"""`--to playbook-md` / `--to playbook-html`: the manager playbook, per pipeline and stage:
the goal (seed 002: a manager's job is to sell the *next* stage), the hint, the fields to
fill before the deal may enter, the tasks and messages the CRM creates on entry, the SLA
and what happens when it runs out, the respond rule, and the cadence steps.

Headings follow the account's `language` (ru, uk, en; English when unset).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .. import model as m
from ..numfmt import pct_rounded
from ..routing import Route, build_flows
from .base import ExportResult

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Manager playbook", "pipeline": "Pipeline", "stage": "Stage",
        "key": "key stage: deals here are closest to money, answer them first",
        "goal": "Goal", "goal_text": "move the deal to «{target}» ({share} of deals go there)",
        "goal_won": "close the deal as won ({share} of deals)",
        "goal_none": "no next step is defined: deals stay here",
        "hint": "What to do", "requires": "Fill in before the deal enters",
        "on_enter": "The CRM does on entry", "task": "task «{text}»",
        "due": "due in {due}", "to": "for {team}", "message": "{channel} message: «{text}»",
        "assign": "deal is reassigned to {team}", "owner": "Responsible team",
        "sla": "Time limit", "sla_text": "{after} from entry; then the deal {action}",
        "respond": "Answer within", "respond_text": "{after} of entry (pick the deal up by then)",
        "cadence": "Contact attempts", "touch_now": "at once", "touch_at": "after {offset}",
        "touch": "{n}. {channel} {when} (reply chance {reply})",
        "on_reply": "On a reply the deal {action}", "on_exhausted":
        "With no reply after all attempts the deal {action}",
        "outcomes": "Where deals go next", "moves_to": "moves to «{target}»",
        "moves_won": "is closed as won", "moves_lost": "is closed as lost («{reason}»)",
        "copy": "and a copy is created in «{pipeline}» → «{stage}»",
        "when": "when {cond}", "stay": "stay here: {share}",
        "purpose": "Purpose", "sources": "Lead sources", "source": "«{name}»: {rate} into «{stage}»",
        "reopen": "Reopens", "reopen_text": "{share} of deals lost as «{reason}» come back to «{stage}»",
        "nothing": "nothing", "and": "and", "filled": "is filled",
    },
    "ru": {
        "title": "Регламент менеджера", "pipeline": "Воронка", "stage": "Этап",
        "key": "ключевой этап (КЭВ): сделки здесь ближе всего к деньгам, работайте с ними первыми",
        "goal": "Цель", "goal_text": "перевести сделку на этап «{target}» (туда переходит {share} сделок)",
        "goal_won": "закрыть сделку как успешную ({share} сделок)",
        "goal_none": "следующий шаг не задан: сделки остаются здесь",
        "hint": "Что делать", "requires": "Заполнить до перехода на этап",
        "on_enter": "CRM при входе на этап", "task": "задача «{text}»",
        "due": "срок {due}", "to": "для команды {team}", "message": "сообщение в {channel}: «{text}»",
        "assign": "ответственной становится команда {team}", "owner": "Ответственная команда",
        "sla": "Допустимое время на этапе", "sla_text": "{after} с момента входа; затем сделка {action}",
        "respond": "Ответить в течение", "respond_text": "{after} с момента входа",
        "cadence": "Попытки связи", "touch_now": "сразу", "touch_at": "через {offset}",
        "touch": "{n}. {channel} {when} (шанс ответа {reply})",
        "on_reply": "При ответе сделка {action}",
        "on_exhausted": "Если ответа нет после всех попыток, сделка {action}",
        "outcomes": "Куда переходят сделки", "moves_to": "переходит на этап «{target}»",
        "moves_won": "закрывается как успешная", "moves_lost": "закрывается как неуспешная («{reason}»)",
        "copy": "и создаётся копия в воронке «{pipeline}» на этапе «{stage}»",
        "when": "если {cond}", "stay": "остаются на этапе: {share}",
        "purpose": "Назначение", "sources": "Источники заявок",
        "source": "«{name}»: {rate} на этап «{stage}»",
        "reopen": "Возвраты", "reopen_text": "{share} сделок, закрытых как «{reason}», возвращаются на этап «{stage}»",
        "nothing": "нет", "and": "и", "filled": "заполнено",
    },
    "uk": {
        "title": "Регламент менеджера", "pipeline": "Воронка", "stage": "Етап",
        "key": "ключовий етап: угоди тут найближчі до грошей, працюйте з ними першими",
        "goal": "Мета", "goal_text": "перевести угоду на етап «{target}» (туди переходить {share} угод)",
        "goal_won": "закрити угоду як успішну ({share} угод)",
        "goal_none": "наступний крок не задано: угоди залишаються тут",
        "hint": "Що робити", "requires": "Заповнити до переходу на етап",
        "on_enter": "CRM при вході на етап", "task": "завдання «{text}»",
        "due": "термін {due}", "to": "для команди {team}", "message": "повідомлення в {channel}: «{text}»",
        "assign": "відповідальною стає команда {team}", "owner": "Відповідальна команда",
        "sla": "Допустимий час на етапі", "sla_text": "{after} з моменту входу; потім угода {action}",
        "respond": "Відповісти протягом", "respond_text": "{after} з моменту входу",
        "cadence": "Спроби зв'язку", "touch_now": "одразу", "touch_at": "через {offset}",
        "touch": "{n}. {channel} {when} (шанс відповіді {reply})",
        "on_reply": "При відповіді угода {action}",
        "on_exhausted": "Якщо відповіді немає після всіх спроб, угода {action}",
        "outcomes": "Куди переходять угоди", "moves_to": "переходить на етап «{target}»",
        "moves_won": "закривається як успішна", "moves_lost": "закривається як неуспішна («{reason}»)",
        "copy": "і створюється копія у воронці «{pipeline}» на етапі «{stage}»",
        "when": "якщо {cond}", "stay": "залишаються на етапі: {share}",
        "purpose": "Призначення", "sources": "Джерела заявок",
        "source": "«{name}»: {rate} на етап «{stage}»",
        "reopen": "Повернення", "reopen_text": "{share} угод, закритих як «{reason}», повертаються на етап «{stage}»",
        "nothing": "немає", "and": "і", "filled": "заповнено",
    },
}


WORDS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "unit": {"s": "s", "m": "min", "min": "min", "h": "h", "d": "d", "w": "w"},
        "rate": {"hour": "an hour", "day": "a day", "week": "a week", "month": "a month"},
        "channel": {"call": "call", "whatsapp": "WhatsApp", "telegram": "Telegram",
                    "email": "email", "sms": "SMS", "chat": "chat", "meeting": "meeting"},
        "purpose": {"qualification": "qualification", "telemarketing": "telemarketing",
                    "sales": "sales", "production": "production", "delivery": "delivery",
                    "claims": "claims", "nurture": "nurturing", "regulars": "regular customers",
                    "winback": "win-back"},
        "phrase": {"working": "{after} of working time", "fixed": "after {after}",
                   "mean": "after {after} on average", "range": "after {lo}–{hi}",
                   "mode": "after {lo}–{hi}, most often {mode}", "either": "after {values}",
                   "or": " or "},
    },
    "ru": {
        "unit": {"s": "с", "m": "мин", "min": "мин", "h": "ч", "d": "дн", "w": "нед"},
        "rate": {"hour": "в час", "day": "в день", "week": "в неделю", "month": "в месяц"},
        "channel": {"call": "звонок", "whatsapp": "WhatsApp", "telegram": "Telegram",
                    "email": "письмо", "sms": "SMS", "chat": "чат", "meeting": "встреча"},
        "purpose": {"qualification": "квалификация", "telemarketing": "телемаркетинг",
                    "sales": "продажи", "production": "производство", "delivery": "доставка",
                    "claims": "рекламации", "nurture": "прогрев", "regulars": "постоянные клиенты",
                    "winback": "возврат отказников"},
        "phrase": {"working": "{after} рабочего времени", "fixed": "через {after}",
                   "mean": "в среднем через {after}", "range": "через {lo}–{hi}",
                   "mode": "через {lo}–{hi}, чаще всего через {mode}", "either": "через {values}",
                   "or": " или "},
    },
    "uk": {
        "unit": {"s": "с", "m": "хв", "min": "хв", "h": "год", "d": "дн", "w": "тиж"},
        "rate": {"hour": "на годину", "day": "на день", "week": "на тиждень", "month": "на місяць"},
        "channel": {"call": "дзвінок", "whatsapp": "WhatsApp", "telegram": "Telegram",
                    "email": "лист", "sms": "SMS", "chat": "чат", "meeting": "зустріч"},
        "purpose": {"qualification": "кваліфікація", "telemarketing": "телемаркетинг",
                    "sales": "продажі", "production": "виробництво", "delivery": "доставка",
                    "claims": "рекламації", "nurture": "дозрівання", "regulars": "постійні клієнти",
                    "winback": "повернення відмовників"},
        "phrase": {"working": "{after} робочого часу", "fixed": "через {after}",
                   "mean": "в середньому через {after}", "range": "через {lo}–{hi}",
                   "mode": "через {lo}–{hi}, найчастіше через {mode}", "either": "через {values}",
                   "or": " або "},
    },
}
"""Words inside the sentences: units, rates, channels, purposes, how a delay is spread."""

_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(min|s|m|h|d|w)$")


def _duration(text: str, words: dict[str, dict[str, str]]) -> str:
    """`15m` → `15 min` / `15 мин` / `15 хв`; anything else is shown as written."""
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        return text
    return f"{match[1]} {words['unit'][match[2]]}"


def _dist_words(d: m.Dist, words: dict[str, dict[str, str]]) -> str:
    """A delay as a manager reads it: `exp(3d)` → `after 3 d on average`, `uniform(1d, 5d)`
    → `after 1 d–5 d`, `triangular(2h, 1d, 3d)` → `after 2 h–3 d, most often 1 d`."""
    phrase = words["phrase"]
    args = [_duration(q.text, words) for q in d.args]
    if d.bare or d.kind == "fixed":
        return phrase["fixed"].format(after=args[0])
    if d.kind in ("exp", "lognormal", "gamma"):
        return phrase["mean"].format(after=args[0])
    if d.kind == "uniform":
        return phrase["range"].format(lo=args[0], hi=args[1])
    if d.kind == "triangular":
        return phrase["mode"].format(lo=args[0], mode=args[1], hi=args[2])
    return phrase["either"].format(values=phrase["or"].join(args))


def _cond_text(c: m.Condition, words: dict[str, str]) -> str:
    parts = []
    for t in c.terms:
        if t.op == "filled":
            parts.append(f"«{t.field.value}» {words['filled']}")
        else:
            parts.append(f"«{t.field.value}» {t.op} {t.value_text}")
    return f" {words['and']} ".join(parts)


@dataclass
class _Block:
    """One rendered stage: a heading and labelled lines, language-neutral structure."""

    heading: str
    badges: list[str]
    items: list[tuple[str, list[str]]]


class _Writer:
    def __init__(self, funnel: m.FunnelFile) -> None:
        self.funnel = funnel
        lang = funnel.account.language if funnel.account and funnel.account.language else "en"
        self.t = TEXTS.get(lang, TEXTS["en"])
        self.w = WORDS.get(lang, WORDS["en"])
        self.calendar = funnel.account is not None and funnel.account.hours is not None
        self.flows = build_flows(funnel)

    def dur(self, text: str) -> str:
        return _duration(text, self.w)

    def rate(self, rate: m.Rate) -> str:
        return f"{rate.count:g} {self.w['rate'][rate.unit]}"

    def target_action(self, target: m.Target, copy: m.Copy | None, home: m.Pipeline) -> str:
        t = self.t
        if isinstance(target, m.WonTarget):
            text = t["moves_won"]
        elif isinstance(target, m.LostTarget):
            text = t["moves_lost"].format(reason=target.reason.value)
        else:
            text = t["moves_to"].format(target=target.ref.stage.value)
        if copy is not None:
            found = self.funnel.resolve(copy.ref, home)
            if found is not None:
                text += " " + t["copy"].format(pipeline=found[0].name.value, stage=found[1].name.value)
        return text

    def stage_block(self, pipe: m.Pipeline, stage: m.Stage) -> _Block:
        t = self.t
        flow = self.flows.stages[(pipe.name.value, stage.name.value)]
        items: list[tuple[str, list[str]]] = []
        items.append((t["goal"], [self.goal(flow.routes)]))
        if stage.hint is not None:
            items.append((t["hint"], [stage.hint.value]))
        if stage.owner is not None:
            items.append((t["owner"], [stage.owner.value]))
        if stage.requires:
            items.append((t["requires"], [f"«{f.value}»" for f in stage.requires]))
        if stage.on_enter:
            lines = []
            for a in stage.on_enter:
                if isinstance(a, m.TaskAction):
                    text = t["task"].format(text=a.text.value)
                    if a.due is not None:
                        text += ", " + t["due"].format(due=self.dur(a.due.text))
                    if a.team is not None:
                        text += ", " + t["to"].format(team=a.team.value)
                elif isinstance(a, m.MessageAction):
                    text = t["message"].format(channel=self.w["channel"][a.channel.value],
                                                 text=a.template.value)
                else:
                    text = t["assign"].format(team=a.team.value)
                lines.append(text)
            items.append((t["on_enter"], lines))
        if stage.respond is not None:
            items.append((t["respond"], [t["respond_text"].format(after=self.dur(stage.respond.text))]))
        if stage.sla is not None:
            action = self.target_action(stage.sla.target, stage.sla.copy_to, pipe)
            after = self.dur(stage.sla.after.text)
            if self.calendar:  # an SLA counts working hours when the account has a calendar
                after = self.w["phrase"]["working"].format(after=after)
            items.append((t["sla"], [t["sla_text"].format(after=after, action=action)]))
        if stage.cadence is not None:
            lines = []
            for i, touch in enumerate(stage.cadence.touches, 1):
                when = t["touch_now"] if touch.offset is None else t["touch_at"].format(
                    offset=self.dur(touch.offset.text))
                lines.append(t["touch"].format(n=i, channel=self.w["channel"][touch.channel.value],
                                               when=when,
                                               reply=touch.reply.text))
            if stage.cadence.on_reply is not None:
                r = stage.cadence.on_reply
                lines.append(t["on_reply"].format(action=self.target_action(r.target, r.copy_to, pipe)))
            if stage.cadence.on_exhausted is not None:
                r = stage.cadence.on_exhausted
                lines.append(t["on_exhausted"].format(
                    action=self.target_action(r.target, r.copy_to, pipe)))
            items.append((t["cadence"], lines))
        if stage.outcomes or stage.stay is not None:
            lines = []
            for out in stage.outcomes:
                text = self.target_action(out.target, out.copy_to, pipe)
                if out.share is not None:
                    text = f"{out.share.text}: {text}"
                if out.after is not None:
                    text += ", " + _dist_words(out.after, self.w)
                if out.when is not None:
                    text += ", " + t["when"].format(cond=_cond_text(out.when, t))
                lines.append(text)
            if stage.stay is not None:
                lines.append(t["stay"].format(share=stage.stay.text))
            items.append((t["outcomes"], lines))
        badges = [t["key"]] if stage.key else []
        return _Block(stage.name.value, badges, items)

    def goal(self, routes: list[Route]) -> str:
        """The way forward most deals take; routes to one target add up (an outcome and the
        SLA's timeout to the same stage are one way)."""
        t = self.t
        totals: dict[tuple[str, str] | None, float] = {}
        for r in routes:
            if r.kind == "won" or (r.kind == "stage" and r.stage is not None):
                key = None if r.kind == "won" else r.stage
                totals[key] = totals.get(key, 0.0) + r.share
        if not totals:
            return t["goal_none"]
        best, share = max(totals.items(), key=lambda kv: kv[1])
        if best is None:
            return t["goal_won"].format(share=pct_rounded(share))
        return t["goal_text"].format(target=best[1], share=pct_rounded(share))

    def pipelines(self) -> Iterator[tuple[m.Pipeline, list[str], list[_Block]]]:
        t = self.t
        for pipe in self.funnel.pipelines:
            intro = []
            if pipe.purpose is not None:
                intro.append(f"{t['purpose']}: {self.w['purpose'][pipe.purpose.value]}")
            for src, key in self.flows.sources:
                if key[0] == pipe.name.value:
                    intro.append(t["source"].format(name=src.name.value, rate=self.rate(src.rate),
                                                    stage=key[1]))
            for ro in pipe.reopens:
                intro.append(t["reopen_text"].format(share=ro.share.text, reason=ro.reason.value,
                                                     stage=ro.target.stage.value))
            yield pipe, intro, [self.stage_block(pipe, s) for s in pipe.stages]

    def title(self) -> str:
        name = self.funnel.account.name.value if self.funnel.account else ""
        return f"{self.t['title']}" + (f": {name}" if name else "")


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
        out += [f"## {w.t['pipeline']} «{_md(pipe.name.value)}»", ""]
        out += [f"- {_md(line)}" for line in intro]
        if intro:
            out.append("")
        for b in blocks:
            out += [f"### {w.t['stage']} «{_md(b.heading)}»", ""]
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
    lang = funnel.account.language if funnel.account and funnel.account.language else "en"
    out = ["<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(w.title())}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{e(w.title())}</h1>"]
    for pipe, intro, blocks in w.pipelines():
        out.append(f"<h2>{e(w.t['pipeline'])} «{e(pipe.name.value)}»</h2>")
        if intro:
            out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in intro) + "</ul>")
        for b in blocks:
            cls = "stage key" if b.badges else "stage"
            out.append(f'<section class="{cls}"><h3>{e(w.t["stage"])} «{e(b.heading)}»</h3>')
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
