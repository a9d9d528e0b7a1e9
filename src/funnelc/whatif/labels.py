"""The words and units of what-if, sweep and staffing outputs in the output's language:
a metric's label (`конверсия (Продажи)`, `загрузка: Менеджеры`), a sweep axis
(`Менеджеры: размер`), and figures in their unit (`26,6 дн.`, `+4,1 п.п.`, `1,76 тыс.`).
English keeps the labels and formats the outputs always had (`MetricDef.label`,
`numfmt`); another language says the same data with the catalogs' words and CLDR's
numbers. JSON and CSV keep the English keys and labels: these are for people."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..i18n import C_, Translator
from ..numfmt import money_in, money_pm
from .grid import VarySpec
from .metrics import METRICS, MetricDef
from .targets import Target

__all__ = ["metric_label", "axis_text", "value_text", "figure", "duration", "count", "money",
           "money_estimate", "UNIT_WORDS", "target_text", "target_named", "queue_text"]

METRIC_TITLES = (
    C_("metric", "conversion"), C_("metric", "deals won"), C_("metric", "revenue"),
    C_("metric", "team cost"), C_("metric", "lead cost"), C_("metric", "total cost"),
    C_("metric", "profit"), C_("metric", "cost per won deal"), C_("metric", "time to won"),
    C_("metric", "respond breaches"), C_("metric", "sla timeouts"),
    C_("metric", "wait for a member"), C_("metric", "utilization"),
    C_("metric", "open at the end"))
"""`metrics.METRICS` titles, marked for extraction (translated where shown)."""

AXIS_WORDS = (C_("axis", "size"), C_("axis", "rate"), C_("axis", "profile"),
              C_("axis", "work"), C_("axis", "sla"), C_("axis", "respond"),
              C_("axis", "stay"), C_("axis", "share"), C_("axis", "cost"),
              C_("axis", "budget"))
"""What a `--vary` axis changes (`VarySpec.axis_what`), marked for extraction."""

UNIT_WORDS = (C_("unit", "s"), C_("unit", "m"), C_("unit", "h"), C_("unit", "d"),
              C_("unit", "w"), C_("unit", "pp"), C_("unit", "deals"))
"""Short units of the tables: seconds, minutes, hours, days, weeks, percentage points,
deals."""

_AMOUNTS = {"k": 1e3, "K": 1e3, "M": 1e6}

_RATE_UNITS = {"/hour": C_("rate", "/hour"), "/day": C_("rate", "/day"),
               "/week": C_("rate", "/week"), "/month": C_("rate", "/month")}


def metric_label(tr: Translator, d: MetricDef) -> str:
    """What a person reads for metric `d`: its title in the language, then the main
    pipeline in brackets or its subject."""
    if tr.lang == "en":
        return d.label
    kind = METRICS[d.name]
    title = tr.pgettext("metric", kind.title)
    if d.subject is None:
        return title + d.label[len(kind.title):]
    return tr.gettext("{metric} {subject}").format(metric=title, subject=d.subject)


def _unit(tr: Translator, unit: str) -> str:
    if unit in _RATE_UNITS:
        return tr.pgettext("rate", unit)
    key = {"min": "m"}.get(unit, unit)
    if key in ("s", "m", "h", "d", "w"):
        return tr.pgettext("unit", key)
    return unit


def axis_text(tr: Translator, spec: VarySpec) -> str:
    """A sweep axis as a column or axis title (`Менеджеры: размер`); English and lines
    of another kind as named (`VarySpec.axis`)."""
    if tr.lang == "en" or not spec.axis_what:
        return spec.axis
    text = tr.gettext("{subject}: {what}").format(
        subject=spec.axis_subject, what=tr.pgettext("axis", spec.axis_what))
    shown = spec.unit and spec.unit not in _AMOUNTS  # an amount's values say their scale
    return text + (f" ({_unit(tr, spec.unit)})" if shown else "")


def value_text(tr: Translator, spec: VarySpec, value: float) -> str:
    """One value of a sweep axis (`20/день`); English as written (`20/day`)."""
    if tr.lang == "en":
        return spec.value_text(value)
    if spec.unit in _AMOUNTS:
        return tr.compact(value * _AMOUNTS[spec.unit])  # `30 тыс.`
    unit = _unit(tr, spec.unit)
    return tr.number(value, 10) + ("" if unit.startswith("/") or unit == "%" or not unit
                                   else " ") + unit


def figure(tr: Translator, x: float, digits: int = 3) -> str:
    """`x` to `digits` significant digits as the language writes it (`12,3`, `1 250`),
    never in scientific notation: a sliver below a thousandth is rounded (`0,0004`)."""
    if x != 0 and abs(x) < 0.01:
        return tr.number(x, 4)
    return tr.sig(x, digits)


def duration(tr: Translator, h: float, like: float | None = None) -> str:
    """A time in hours in the unit a reader takes in at a glance, minutes under an hour,
    days from two days (`40 мин`, `5,2 ч`, `3,1 дн.`); `like`: the figure whose unit a
    half-width shares."""
    a = abs(h if like is None else like)
    if a < 1.0:
        return figure(tr, h * 60) + " " + tr.pgettext("unit", "m")
    if a < 48.0:
        return figure(tr, h) + " " + tr.pgettext("unit", "h")
    return figure(tr, h / 24) + " " + tr.pgettext("unit", "d")


def count(tr: Translator, x: float) -> str:
    """A count or other plain figure: `12,3`, `1 761`, `11 263`, whole from 100 on and
    never in a short form: a sweep's column read «9 243 ±425» then «11,26 тис. ±259»
    (the mean in thousands, its ± in deals) where its heat map said «11 263»."""
    a = abs(x)
    if a >= 100:
        return tr.number(round(x), 0)
    if a == 0:
        return "0"
    return figure(tr, x)


_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def money(tr: Translator, x: float, currency: str | None) -> str:
    """Money as the language writes it, its scale word and sign once (`1,38 млрд ₽`)."""
    from babel.numbers import get_decimal_symbol

    return _POINT.sub(get_decimal_symbol(tr.locale), money_in(x, currency, tr.lang))


def money_scale(tr: Translator, amounts: Sequence[float], currency: str | None
                ) -> tuple[float, str]:
    """One scale for a column of money (the largest amount's: `млрд`, `тис.`, English
    `M`) and its unit as a header says it (`млрд ₽`, `₽B`, `$M`); none under a
    thousand (`₽`)."""
    from ..numfmt import _WORDS, currency_mark

    top = max((abs(x) for x in amounts if math.isfinite(x)), default=0.0)
    words = _WORDS.get(tr.lang, ((1e9, "B"), (1e6, "M"), (1e3, "k")))
    div, word = next(((d, w) for d, w in words if top >= d), (1.0, ""))
    if not currency:
        return div, word
    sign, before = currency_mark(currency, tr.lang)
    if not word:
        return div, sign
    gap = "" if tr.lang == "en" and not sign[-1:].isalpha() else "\u00a0"
    return div, f"{sign}{gap}{word}" if before else f"{word}\u00a0{sign}"


def money_estimate(tr: Translator, mean: float, half: float, currency: str | None,
                   low: float | None = 0.0) -> str:
    """A money estimate in the mean's scale (`18,9 ±4,95 млн ₽`); its ends held at `low`
    when it crosses it (`0,5 [0–6,85] тыс. ₽`; `None` for profit)."""
    from babel.numbers import get_decimal_symbol

    return _POINT.sub(get_decimal_symbol(tr.locale),
                      money_pm(mean, half, currency, tr.lang, low))


def target_text(tr: Translator, t: Target) -> str:
    """A staffing target in words, as a client reads it (`реакция за 15 мин у 80% сделок`,
    `занятость ≤ 85%`; English `respond within 15 minutes for 80% of deals`), never the
    `--target` syntax it was given in (a Ukrainian table's header read «respond 15m 80%»).
    JSON and CSV keep the text as given (`Target.text`)."""
    share = figure(tr, t.threshold * 100) + "%"
    op = "<" if t.strict else "≤"
    if t.kind == "respond":
        limit = tr.hours(t.hours) if tr.lang == "en" else duration(tr, t.hours or 0.0)
        text = tr.pgettext("target", "respond within {limit} for {share} of deals").format(
            limit=limit, share=share)
    elif t.kind == "utilization":
        text = tr.pgettext("target", "utilization {op} {share}").format(op=op, share=share)
    elif t.kind == "abandon":
        text = tr.pgettext("target", "gave up waiting {op} {share}").format(op=op, share=share)
    else:
        text = tr.pgettext("target", "no graveyard stage")
    if t.at is not None:
        text = tr.pgettext("target", "{target} at {stage}").format(target=text, stage=t.at)
    return text


def target_named(tr: Translator, targets: Sequence[Target], text: str) -> str:
    """The target given as `text` (its `--target`, as the service's data keeps it) in
    words; a text no target of `targets` has is shown as it is."""
    t = next((t for t in targets if t.text.strip() == text.strip()), None)
    return text if t is None else target_text(tr, t)


def queue_text(tr: Translator, queue: str) -> str:
    """The team's queue discipline in words (`queue key-first` / `queue fifo`)."""
    if queue == "key-first":
        return tr.pgettext("queue", "key and later stages first")
    return tr.pgettext("queue", "in order of arrival")
