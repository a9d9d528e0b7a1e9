"""The data quality in words: what each anomaly counter and drop reason means, the
sentence above the data-quality table and the lines `history` prints after its tables.

`DataQuality` only counts (kinds, reasons, places); this module says it in the
language of the output (`funnelc.i18n`): the client's in `history`'s terminal and page
and in the lines of `fit` and `forecast`, English in `audit`'s warnings on stderr.
The counters' names (`out_of_order`, `dropped: duplicate`) are codes, kept in the JSON;
a Russian or Ukrainian table names each by a short label in its language
(`KIND_LABEL`, `DROP_LABEL`): one that said `deals_no_history` left the client a key to
decode. English keeps the code, the word the JSON and the docs use."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..i18n import C_, N_, Translator, translator
from .quality import EXPORTS, DataQuality, QualityNote

if TYPE_CHECKING:
    from .deal_currency import Converted

__all__ = ["KIND_TEXT", "DROP_TEXT", "KIND_LABEL", "DROP_LABEL", "kind_meaning",
           "drop_meaning", "kind_label", "drop_label", "quality_rows", "quality_note",
           "summary_lines", "note_text"]

LABEL = "data quality"
"""The context of the counters' labels. Their English is the code itself: an English
table says what the JSON and the docs say (`deals_no_history`); the catalogs give the
Russian and Ukrainian words («сделки без смены этапа»). The marks below spell the
context out: the extractor reads only a literal."""

KIND_TEXT: dict[str, str] = {
    "out_of_order": N_("events out of time order within a deal (sorted by time)"),
    "duplicates": N_("duplicate events (same event id, or same deal, time and stage; kept "
                     "once)"),
    "unknown_stage_ids": N_("stage ids missing from the pipelines/stage list (kept as # and "
                            "the id, «#142»)"),
    "deals_no_history": N_("deals with no stage change (their first stage only)"),
    "deals_without_lead": N_("deals with stage changes but no lead/deal record (created = "
                             "first event)"),
    "naive_timestamps": N_("timestamps without a time zone (read in {zone})"),
    "truncated_files": N_("files cut mid-way (what parsed was read)"),
    "broken_chains": N_("moves whose «from» stage differs from the deal's current stage "
                        "(missing events)"),
    "ignored_event_types": N_("events of other types (not stage changes; ignored)"),
    "cross_pipeline_moves": N_("moves from one pipeline to another"),
    "unknown_pipelines": N_("pipeline ids missing from the pipelines list (kept as # and "
                            "the id, «#142»)"),
    "ambiguous_inputs": N_("records that fit no known shape"),
    "bad_pick_up_times": N_("pick-up times unreadable or before the stage entry (read as "
                            "unknown)"),
    "ambiguous_local_times": N_("local times the clock change made happen twice (read as the "
                                "first)"),
    "skipped_local_time": N_("pick-up times skipped by the clock change (they do not exist "
                             "in {zone}; read as unknown)"),
    "bad_values": N_("amounts that are no number (read as unknown; write them as 1 234,50 "
                     "or 1234.50)"),
    "implausible_values": N_("amounts out of range, infinite or beyond 10¹⁵ (read as unknown; "
                             "a slip or a corrupt cell: correct the amount in the CRM)"),
    "totals_rows": N_("totals rows at the end of a table (not deals; skipped)"),
    "bulk_created": N_("deals created in bulk: 100 or more in one pipeline on one day, ten "
                       "times its usual day (an import, not that day's leads; they weigh on "
                       "that month's conversions)"),
}
"""Anomaly kinds: what each counter means, in the words the report uses. `{zone}` is the
zone zone-less times were read in (`DataQuality.tz`)."""

DROP_TEXT: dict[str, str] = {
    # Said of every format: a CSV row, an amoCRM event or lead, a Bitrix24 stage-history
    # item or deal read twice; it was «duplicate of an earlier row» of them all.
    "duplicate": N_("repeat of an earlier record: the same event, history item, lead or "
                    "deal read twice (overlapping export pages), or the same deal entering "
                    "the same stage at the same time again"),
    "bad_timestamp": N_("timestamp missing or unreadable"),
    "skipped_local_time": N_("local time skipped by the clock change (it does not exist in "
                             "{zone}; give the time with its UTC offset)"),
    "no_deal_id": N_("deal id missing"),
    "no_stage": N_("stage missing"),
    "undated_stage": N_("deal-list row whose current stage has no entry date, or whose "
                        "close has no close date (left out whole: where the deal is since "
                        "when is unknown)"),
    "closed_before_created": N_("deal-list row closed before it was created (left out "
                                "whole: its time in work would be negative)"),
    # From every format (`events._repeated_stages`, amoCRM's reader): said so that a
    # CSV row, a Bitrix24 stage-history item and an amoCRM event each read right; it
    # was «status change to the same status», amoCRM's words, of a spreadsheet's rows.
    "unchanged_status": N_("the deal entering the stage it is already in, which is "
                           "no move (a CSV row or a Bitrix24 stage-history item repeating the "
                           "deal's stage, such as a row written when only the amount "
                           "changed; an amoCRM status change to the same status)"),
    "truncated": N_("cut off by the end of a truncated file"),
    "unparsable": N_("does not parse"),
    "implausible_timestamp": N_("date before 2000 or after the end of next year (a "
                                "placeholder or a unit mix-up, not a real move)"),
    "mixed_time_units": N_("Unix time in the file's minority unit (the file mixes seconds "
                           "and milliseconds)"),
    "extra_fields": N_("more cells than the header has (an unquoted separator in a value, "
                       "such as 1234,50 in a comma-separated file, shifts the cells after it: "
                       "save the table with ; or quote the value)"),
}
"""Drop reasons: why input records (a CSV's rows, an amoCRM export's events and leads,
a Bitrix24 export's stage-history items, deals and leads) did not become events (`{zone}`
as in `KIND_TEXT`)."""


KIND_LABEL: dict[str, str] = {
    "out_of_order": C_("data quality", "out_of_order"),
    "duplicates": C_("data quality", "duplicates"),
    "unknown_stage_ids": C_("data quality", "unknown_stage_ids"),
    "deals_no_history": C_("data quality", "deals_no_history"),
    "deals_without_lead": C_("data quality", "deals_without_lead"),
    "naive_timestamps": C_("data quality", "naive_timestamps"),
    "truncated_files": C_("data quality", "truncated_files"),
    "broken_chains": C_("data quality", "broken_chains"),
    "ignored_event_types": C_("data quality", "ignored_event_types"),
    "cross_pipeline_moves": C_("data quality", "cross_pipeline_moves"),
    "unknown_pipelines": C_("data quality", "unknown_pipelines"),
    "ambiguous_inputs": C_("data quality", "ambiguous_inputs"),
    "bad_pick_up_times": C_("data quality", "bad_pick_up_times"),
    "ambiguous_local_times": C_("data quality", "ambiguous_local_times"),
    "skipped_local_time": C_("data quality", "skipped_local_time"),
    "bad_values": C_("data quality", "bad_values"),
    "implausible_values": C_("data quality", "implausible_values"),
    "totals_rows": C_("data quality", "totals_rows"),
    "bulk_created": C_("data quality", "bulk_created"),
}
"""Anomaly kinds by name, the table's first column (`KIND_TEXT` says what each means);
the code in English, words in the catalogs' languages (`LABEL`)."""

DROP_LABEL: dict[str, str] = {
    "duplicate": C_("data quality", "duplicate"),
    "bad_timestamp": C_("data quality", "bad_timestamp"),
    "skipped_local_time": C_("data quality", "skipped_local_time"),
    "no_deal_id": C_("data quality", "no_deal_id"),
    "no_stage": C_("data quality", "no_stage"),
    "undated_stage": C_("data quality", "undated_stage"),
    "closed_before_created": C_("data quality", "closed_before_created"),
    "unchanged_status": C_("data quality", "unchanged_status"),
    "truncated": C_("data quality", "truncated"),
    "unparsable": C_("data quality", "unparsable"),
    "implausible_timestamp": C_("data quality", "implausible_timestamp"),
    "mixed_time_units": C_("data quality", "mixed_time_units"),
    "extra_fields": C_("data quality", "extra_fields"),
}
"""Drop reasons by name, after «dropped:» in the table's first column."""


_EXPORT_NAMES = {EXPORTS[0]: N_("amoCRM events and leads"),
                 EXPORTS[1]: N_("Bitrix24 history")}


def _english() -> Translator:
    return translator("en")


def _day(iso: str, tr: Translator) -> str:
    """A day as the language says it (English keeps ISO)."""
    from datetime import date

    return tr.day(date.fromisoformat(iso))


def _currencies_text(c: Converted, path: str, tr: Translator) -> str:
    """«deals in USD at 41,5 UAH, …; 3 deals in EUR keep no value: …»."""
    parts = [tr.ngettext("{n} deal in {code} (1 {code} = {rate} {currency})",
                         "{n} deals in {code} (1 {code} = {rate} {currency})", n).format(
        n=tr.number(n, 0), code=code, rate=tr.number(rate, 4), currency=c.currency)
        for code, n, rate in c.converted]
    if c.source == "csv":
        # A spreadsheet carries no rates, and funnelc invents none.
        parts += [tr.ngettext(
            "{n} deal in {code} keeps no value: a CSV gives no rate for {code} (write its "
            "amount in {currency} to count it)",
            "{n} deals in {code} keep no value: a CSV gives no rate for {code} (write their "
            "amounts in {currency} to count them)", n).format(
            n=tr.number(n, 0), code=code, currency=c.currency) for code, n in c.left]
    else:
        parts += [tr.ngettext(
            "{n} deal in {code} keeps no value: the export has no rate for {code} (save "
            "Bitrix24's crm.currency.list with it)",
            "{n} deals in {code} keep no value: the export has no rate for {code} (save "
            "Bitrix24's crm.currency.list with it)", n).format(n=tr.number(n, 0), code=code)
            for code, n in c.left]
    if c.account:
        return tr.gettext("{path}: the deals' amounts are read in the account's currency, "
                          "{currency}: {parts}").format(path=path, currency=c.currency,
                                                        parts="; ".join(parts))
    return tr.gettext("{path}: the deals' amounts are in several currencies and are read in "
                      "{currency}: {parts}").format(path=path, currency=c.currency,
                                                     parts="; ".join(parts))


def _deal_level_text(note: QualityNote, read: tuple[str, str, str | None], path: str,
                     tr: Translator) -> str:
    """How a list was read deal by deal: its one stage, and the dates that open and close
    each deal (an API export's fields, a spreadsheet's columns)."""
    stage, created, closed = read
    if note.path == EXPORTS[1] and closed is not None:
        text = tr.ngettext(
            "{path}: a deal list without crm.stagehistory.list, read deal by deal: its {n} "
            "deal is read as in «{stage}» from its field {created} until won or lost at "
            "{closed}, when it was moved to its final stage; the conversion between stages "
            "and the time in each need crm.stagehistory.list",
            "{path}: a deal list without crm.stagehistory.list, read deal by deal: its {n} "
            "deals are read as in «{stage}» from their field {created} until won or lost at "
            "{closed}, when each was moved to its final stage; the conversion between "
            "stages and the time in each need crm.stagehistory.list",
            note.kept)
    elif note.path in _EXPORT_NAMES and closed is not None:
        text = tr.ngettext(
            "{path}: leads without any event, read deal by deal: its {n} deal is read "
            "as in «{stage}» from its field {created} until won or lost at {closed}; "
            "the conversion between stages and the time in each need the events",
            "{path}: leads without any event, read deal by deal: its {n} deals are read "
            "as in «{stage}» from their field {created} until won or lost at {closed}; "
            "the conversion between stages and the time in each need the events",
            note.kept)
    elif closed is None:
        text = tr.ngettext(
            "{path}: a deal list with no date per stage, read deal by deal: its {n} deal "
            "is read as in «{stage}» since «{created}»; with no close date, a won or "
            "lost deal is left out; the conversion between stages and the time in each "
            "need the stage history",
            "{path}: a deal list with no date per stage, read deal by deal: its {n} deals "
            "are read as in «{stage}» since «{created}»; with no close date, a won or "
            "lost deal is left out; the conversion between stages and the time in each "
            "need the stage history", note.kept)
    else:
        text = tr.ngettext(
            "{path}: a deal list with no date per stage, read deal by deal: its {n} deal is "
            "read as in «{stage}» from «{created}» until won or lost at «{closed}»; the "
            "conversion between stages and the time in each need the stage history",
            "{path}: a deal list with no date per stage, read deal by deal: its {n} deals "
            "are read as in «{stage}» from «{created}» until won or lost at «{closed}»; the "
            "conversion between stages and the time in each need the stage history",
            note.kept)
    return text.format(path=path, stage=stage, created=created, closed=closed,
                       n=tr.number(note.kept, 0))


def _lone_text(note: QualityNote, path: str, tr: Translator) -> str:
    """loss_stage_alone: the losses of deal pipelines with one failure stage, which the
    export gives no reason for."""
    stages = tr.join([tr.gettext("«{stage}» of «{pipeline}»").format(stage=s, pipeline=p)
                      for p, s in note.lone])
    n = tr.number(note.left_out, 0)
    if note.field is None:
        return tr.ngettext(
            "{path}: {n} loss has no reason: {stages} is its pipeline's only failure stage, "
            "so it tells no loss from another, and no deal userfield names a loss reason "
            "(save crm.deal.userfield.list and crm.deal.list with select [\"*\", \"UF_*\"], "
            "or name the field with --loss-field)",
            "{path}: {n} losses have no reason: {stages} is their pipeline's only failure "
            "stage, so it tells no loss from another, and no deal userfield names a loss "
            "reason (save crm.deal.userfield.list and crm.deal.list with select [\"*\", "
            "\"UF_*\"], or name the field with --loss-field)",
            note.left_out).format(path=path, n=n, stages=stages)
    field = f"{note.field} {tr.quote(note.label)}" if note.label else str(note.field)
    return tr.ngettext(
        "{path}: {n} loss has no reason: {stages} is its pipeline's only failure stage, so "
        "it tells no loss from another, and the deal list was saved without the deal field "
        "{field} that names the reason (save crm.deal.list with select [\"*\", \"UF_*\"])",
        "{path}: {n} losses have no reason: {stages} is their pipeline's only failure stage, "
        "so it tells no loss from another, and the deal list was saved without the deal "
        "field {field} that names the reason (save crm.deal.list with select [\"*\", "
        "\"UF_*\"])",
        note.left_out).format(path=path, n=n, stages=stages, field=field)


def note_text(note: QualityNote, tr: Translator | None = None) -> str:
    """A reader's note in a sentence (English unless `tr` says otherwise: history.json
    keeps them English)."""
    tr = tr or _english()
    path = tr.gettext(_EXPORT_NAMES[note.path]) if note.path in _EXPORT_NAMES else note.path
    if note.kind == "windows_1251":
        return tr.gettext("{path}: not UTF-8; read as Windows-1251 (Excel for Windows with Cyrillic)").format(
            path=path)
    if note.kind == "empty_file":
        return tr.gettext("{path}: empty file").format(path=path)
    if note.kind == "loss_stage_alone":
        return _lone_text(note, path, tr)
    if note.kind == "loss_field" and note.field is None:
        return tr.gettext(
            "{path}: no deal userfield names a loss reason, so each loss is named by its "
            "failure stage (save crm.deal.userfield.list, or name the field with "
            "--loss-field)").format(path=path)
    field = f"{note.field} {tr.quote(note.label)}" if note.label else str(note.field)
    if note.kind == "loss_field_unlisted":
        return tr.gettext(
            "{path}: the deal field {field} names the loss reason, but the deal list was "
            "saved without its userfields, so each loss is named by its failure stage (save "
            "crm.deal.list with select [\"*\", \"UF_*\"])").format(path=path, field=field)
    if note.kind == "loss_field" and note.lone:
        total = note.kept + note.left_out
        return tr.ngettext(
            "{path}: loss reasons read from the deal field {field}, filled on {kept} of "
            "{n} loss; a loss with the field empty has no reason in {pipelines}, whose only "
            "failure stage names none",
            "{path}: loss reasons read from the deal field {field}, filled on {kept} of "
            "{n} losses; a loss with the field empty has no reason in {pipelines}, whose "
            "only failure stage names none",
            total).format(path=path, field=field, kept=tr.number(note.kept, 0),
                          n=tr.number(total, 0),
                          pipelines=tr.join([tr.quote(p) for p, _ in note.lone]))
    if note.kind == "loss_field":
        total = note.kept + note.left_out
        return tr.ngettext(
            "{path}: loss reasons read from the deal field {field}, filled on {kept} of "
            "{n} loss; a loss with the field empty keeps its failure stage's name",
            "{path}: loss reasons read from the deal field {field}, filled on {kept} of "
            "{n} losses; a loss with the field empty keeps its failure stage's name",
            total).format(path=path, field=field, kept=tr.number(note.kept, 0),
                          n=tr.number(total, 0))
    if note.kind == "loss_field_reopened":
        return tr.ngettext(
            "{path}: {n} loss has no reason in the export: its deal was reopened, and the "
            "deal field {field} keeps only a deal's current reason; it is counted as «reason "
            "not kept», not as a loss without a reason, and fit credits it to a reopen only "
            "where the funnel declares one that tells whose it is (export the field's "
            "history, or a CSV with each loss's reason)",
            "{path}: {n} losses have no reason in the export: their deals were reopened, and "
            "the deal field {field} keeps only a deal's current reason; they are counted as "
            "«reason not kept», not as losses without a reason, and fit credits them to a "
            "reopen only where the funnel declares one that tells whose they are (export the "
            "field's history, or a CSV with each loss's reason)",
            note.left_out).format(path=path, field=field,
                                              n=tr.number(note.left_out, 0))
    if note.kind == "slash_dates" and note.slash is not None:
        order, value = note.slash
        if order == "mdy":
            return tr.gettext(
                "{path}: slash dates read as month/day/year: «{value}» has a day above 12 "
                "in second place").format(path=path, value=value)
        return tr.gettext(
            "{path}: slash dates read as day/month/year: «{value}» has a day above 12 in "
            "first place").format(path=path, value=value)
    if note.kind == "renamed_stage" and note.renamed is not None:
        pipe, old, last, new, first = note.renamed
        return tr.gettext(
            "{path}: «{new}» of «{pipeline}» was first entered on {first}, after the last "
            "«{old}» on {last}: the CRM renamed the stage, and the two names are read as two "
            "stages (the old one's conversion falls to 0% from then on); write one name in "
            "the export's stage column").format(
                path=path, new=new, pipeline=pipe, first=_day(first, tr), old=old,
                last=_day(last, tr))
    if note.kind == "renamed_stage_merged" and note.renamed is not None:
        pipe, old, last, new, first = note.renamed
        return tr.gettext(
            "{path}: «{new}» of «{pipeline}» was first entered on {first}, after the last "
            "«{old}» on {last}: the CRM renamed the stage, and both names are read as the "
            "funnel's one stage").format(
                path=path, new=new, pipeline=pipe, first=_day(first, tr), old=old,
                last=_day(last, tr))
    if note.kind in ("spelling_merged", "spelling_apart") and note.spelling is not None:
        return _spelling_text(note, path, tr)
    if note.kind == "currencies" and note.currencies is not None:
        return _currencies_text(note.currencies, path, tr)
    if note.kind == "amocrm_inbox" and note.inbox is not None:
        pipe, stage, first = note.inbox
        return tr.ngettext(
            "{path}: «{stage}» of «{pipeline}» is amoCRM's incoming leads, not a stage: "
            "its {n} lead is read as at «{first}» since it arrived, and as picked up when "
            "a manager accepted it",
            "{path}: «{stage}» of «{pipeline}» is amoCRM's incoming leads, not a stage: "
            "its {n} leads are read as at «{first}» since they arrived, and as picked up "
            "when a manager accepted them", note.kept).format(
                path=path, stage=stage, pipeline=pipe, first=first,
                n=tr.number(note.kept, 0))
    if note.kind == "deal_level" and note.deal_level is not None:
        return _deal_level_text(note, note.deal_level, path, tr)
    if note.kind == "utm_source":
        return tr.ngettext(
            "{path}: {n} deal without a source of its own is sourced by its utm_source",
            "{path}: {n} deals without a source of their own are sourced by their utm_source",
            note.kept).format(path=path, n=tr.number(note.kept, 0))
    if note.kind == "repeated_page":
        return tr.ngettext(
            "{path}: the same page as {first}, saved twice (the export tool retried it): "
            "its {n} record is read once",
            "{path}: the same page as {first}, saved twice (the export tool retried it): "
            "its {n} records are read once", note.kept).format(
                path=path, first=note.label, n=tr.number(note.kept, 0))
    if note.kind == "slow_csv":
        return tr.gettext("{path}: read with the slow CSV parser (the fast one refused "
                          "it)").format(path=path)
    unit = note.unit or "s"
    return tr.ngettext(
        "{path}: Unix times mix units: {kept} in {other}, {n} in {unit}; the {n} in {unit} "
        "is left out (mixed_time_units)",
        "{path}: Unix times mix units: {kept} in {other}, {n} in {unit}; the {n} in {unit} "
        "are left out (mixed_time_units)", note.left_out).format(
        path=path, kept=tr.number(note.kept, 0), n=tr.number(note.left_out, 0),
        unit=tr.gettext(_UNITS[unit]), other=tr.gettext(_UNITS["ms" if unit == "s" else "s"]))


def _spelling_text(note: QualityNote, path: str, tr: Translator) -> str:
    """A name read as another one that differs only in case or spaces, or two names in two
    scripts that spell one word, kept apart (`events.normalize`)."""
    assert note.spelling is not None
    col, name, other, n, n_other = note.spelling
    if note.kind == "spelling_merged":
        texts = {
            "source": N_("{path}: the source «{other}» ({n}) is read as «{name}» "
                         "({m}): the names differ only in case or spaces"),
            "manager": N_("{path}: the manager «{other}» ({n}) is read as «{name}» "
                          "({m}): the names differ only in case or spaces"),
            "loss_reason": N_("{path}: the loss reason «{other}» ({n}) is read as "
                              "«{name}» ({m}): the names differ only in case or "
                              "spaces")}
        return tr.gettext(texts[col]).format(path=path, other=other, name=name,
                                             n=_records(n, tr), m=_records(n_other, tr))
    texts = {
        "source": N_("{path}: the sources «{name}» ({n}) and «{other}» ({m}) "
                     "spell one word in two alphabets and are counted as two; if they are "
                     "one, write one name in the CRM or the file"),
        "manager": N_("{path}: the managers «{name}» ({n}) and «{other}» ({m}) "
                      "spell one word in two alphabets and are counted as two; if "
                      "they are one, write one name in the CRM or the file"),
        "loss_reason": N_("{path}: the loss reasons «{name}» ({n}) and «{other}» "
                          "({m}) spell one word in two alphabets and are counted as two; "
                          "if they are one, write one name in the CRM or the file")}
    return tr.gettext(texts[col]).format(path=path, other=other, name=name,
                                         n=_records(n, tr), m=_records(n_other, tr))


def _records(n: int, tr: Translator) -> str:
    return tr.ngettext("{n} record", "{n} records", n).format(n=tr.number(n, 0))


def kind_meaning(kind: str, tr: Translator, zone: str = "UTC") -> str:
    """What an anomaly counter means; an unknown kind is shown as its code. `zone`: the
    zone zone-less times were read in, which a skipped local time does not exist in."""
    text = KIND_TEXT.get(kind)
    return kind if text is None else tr.gettext(text).format(zone=zone)


def drop_meaning(reason: str, tr: Translator, zone: str = "UTC") -> str:
    """Why records of a drop reason did not become events; an unknown one as its code.
    `zone` as in `kind_meaning`."""
    text = DROP_TEXT.get(reason)
    return reason if text is None else tr.gettext(text).format(zone=zone)


def kind_label(kind: str, tr: Translator) -> str:
    """An anomaly counter's name in `tr`'s language; an unknown one as its code."""
    text = KIND_LABEL.get(kind)
    return kind if text is None else tr.pgettext(LABEL, text)


def drop_label(reason: str, tr: Translator) -> str:
    """A drop reason's name in `tr`'s language; an unknown one as its code."""
    text = DROP_LABEL.get(reason)
    return reason if text is None else tr.pgettext(LABEL, text)


def quality_rows(dq: DataQuality, tr: Translator) -> list[tuple[str, int, str, str]]:
    """(kind, count, meaning, first places) for every non-zero counter and drop reason,
    the kind by its label in `tr`'s language («отброшено: неверное время»; the code in
    English, `dropped: bad_timestamp`, as in the JSON's `DataQuality.as_dict`)."""
    dropped = tr.gettext("dropped")
    out = [(kind_label(kind, tr), n, kind_meaning(kind, tr, dq.tz),
            _places(dq.examples.get(kind, [])))
           for kind, n in sorted(dq.counts.items())]
    out += [(f"{dropped}: {drop_label(reason, tr)}", n, drop_meaning(reason, tr, dq.tz),
             _places(dq.examples.get("drop:" + reason, [])))
            for reason, n in sorted(dq.dropped.items())]
    return out


_RECORD = re.compile(r"\b(page|lead|event|deal|row|line|item) (\d+)")
_NEXT_RECORD = re.compile(r"(\d) (lead|event|deal|item)\b")


def _places(places: list[str]) -> str:
    """First places for a table cell, each record's part of a place unbreakable
    («leads.jsonl page 4 lead 183»): a narrow cell folded it into «page» / «4 lead 183»,
    a place nobody could read back."""
    return ", ".join(_NEXT_RECORD.sub("\\1\u00a0\\2", _RECORD.sub("\\1\u00a0\\2", p))
                     for p in places)


def quality_note(dq: DataQuality, tr: Translator) -> str:
    """The sentence above the data-quality table: records read, events kept, rows
    dropped (and events implied), then the readers' notes."""
    number = tr.number
    parts = [
        tr.ngettext("{n} input record read", "{n} input records read",
                    dq.rows_read).format(n=number(dq.rows_read, 0)),
        tr.ngettext("{n} event kept", "{n} events kept",
                    dq.rows_kept).format(n=number(dq.rows_kept, 0)),
        # «отброшено 0 (все посчитаны ниже)» above an export that lost nothing: none
        # dropped says so, as the terminal's line does.
        tr.ngettext("{n} dropped (each counted below)", "{n} dropped (each counted below)",
                    dq.dropped_total).format(n=number(dq.dropped_total, 0))
        if dq.dropped_total else tr.gettext("none dropped"),
    ]
    if dq.synthesized:
        parts.append(tr.ngettext("{n} implied", "{n} implied", dq.synthesized).format(
            n=number(dq.synthesized, 0)))
    note = tr.gettext("Note: {note}.")
    return (", ".join(parts) + "."
            + "".join(" " + note.format(note=note_text(n, tr)) for n in dq.notes))


_UNITS = {"s": N_("seconds"), "ms": N_("milliseconds")}


def _tables_only(dq: DataQuality) -> bool:
    """Whether every input was a table (CSV, a spreadsheet saved as one), so what a drop
    reason counts are its rows. An amoCRM export's records are events and leads, a
    Bitrix24 export's stage-history items, deals and leads: «dropped 12 rows» of those
    named a unit the client's files do not have, so they are records (the unit of «input
    records read» above them)."""
    return bool(dq.files) and all(fmt in ("csv", "empty") for _, fmt, _ in dq.files)


def _dropped_line(dq: DataQuality, reason: str, n: int, tr: Translator) -> str:
    units = set(dq.minority_units)
    count = tr.number(n, 0)
    if reason == "mixed_time_units" and len(units) == 1:
        unit = units.pop()
        text = tr.ngettext(
            "dropped {n} event whose time is in {unit} while most are in {other}",
            "dropped {n} events whose time is in {unit} while most are in {other}", n)
        line = text.format(n=count, unit=tr.gettext(_UNITS[unit]),
                           other=tr.gettext(_UNITS["ms" if unit == "s" else "s"]))
    elif _tables_only(dq):
        line = tr.ngettext("dropped {n} row: {meaning}", "dropped {n} rows: {meaning}",
                           n).format(n=count, meaning=drop_meaning(reason, tr, dq.tz))
    else:
        line = tr.ngettext("dropped {n} record: {meaning}", "dropped {n} records: {meaning}",
                           n).format(n=count, meaning=drop_meaning(reason, tr, dq.tz))
    where = dq.examples.get("drop:" + reason)
    if where:
        line += " " + tr.gettext("(first at {places})").format(places=", ".join(where))
    return line


def summary_lines(dq: DataQuality, tr: Translator | None = None) -> list[str]:
    """The data quality in sentences, for the terminal, where a table at the end of ten
    others is easy to miss: records read, kept and dropped; each drop reason with its
    count and first places; every note. English unless `tr` says otherwise."""
    tr = tr or _english()
    number = tr.number
    read = tr.ngettext("{n} input record read", "{n} input records read",
                       dq.rows_read).format(n=number(dq.rows_read, 0))
    if dq.synthesized:
        read += " " + tr.ngettext("(and {n} more event they imply)",
                                  "(and {n} more events they imply)",
                                  dq.synthesized).format(n=number(dq.synthesized, 0))
    kept = tr.ngettext("{n} event kept", "{n} events kept", dq.rows_kept).format(
        n=number(dq.rows_kept, 0))
    dropped = (tr.ngettext("{n} dropped", "{n} dropped", dq.dropped_total).format(
        n=number(dq.dropped_total, 0)) if dq.dropped else tr.gettext("none dropped"))
    out = [tr.gettext("data quality: {read}, {kept}, {dropped}").format(
        read=read, kept=kept, dropped=dropped)]
    out += [_dropped_line(dq, reason, n, tr) for reason, n in sorted(dq.dropped.items())]
    unread = dq.counts.get("bad_values", 0)
    if unread:
        # Kept rows, but a figure lost: said here too, where `audit` prints no table.
        out.append(tr.ngettext(
            "read {n} amount that is no number as unknown (first at {places})",
            "read {n} amounts that are no number as unknown (first at {places})",
            unread).format(n=tr.number(unread, 0),
                           places=", ".join(dq.examples.get("bad_values", []))))
    wild = dq.counts.get("implausible_values", 0)
    if wild:
        # Not «no number»: `1e308` is one, and the client mends it otherwise.
        out.append(tr.ngettext(
            "read {n} amount out of range (infinite or beyond 10¹⁵) as unknown (first at "
            "{places})",
            "read {n} amounts out of range (infinite or beyond 10¹⁵) as unknown (first at "
            "{places})",
            wild).format(n=tr.number(wild, 0),
                         places=", ".join(dq.examples.get("implausible_values", []))))
    bulk = dq.counts.get("bulk_created", 0)
    if bulk:
        # An import reads as leads: said where `audit` prints no table, beside a graveyard
        # finding it may be the whole of.
        out.append(tr.ngettext(
            "{n} deal was created in bulk, 100 or more in one pipeline on one day (first at "
            "{places}): an import, not that day's leads; it weighs on that month's "
            "conversions and can make a graveyard",
            "{n} deals were created in bulk, 100 or more in one pipeline on one day (first at "
            "{places}): an import, not that day's leads; they weigh on that month's "
            "conversions and can make a graveyard",
            bulk).format(n=tr.number(bulk, 0),
                         places=", ".join(dq.examples.get("bulk_created", []))))
    note = tr.gettext("note: {note}")
    out += [note.format(note=note_text(n, tr)) for n in dq.notes]
    return out
