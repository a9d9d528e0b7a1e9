"""Messy exports: every anomaly kind is counted, nothing crashes, and every input row
is either kept or counted as dropped (`DataQuality.balanced`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history

PIPES = {"_embedded": {"pipelines": [{"id": 7, "name": "Продажи", "sort": 1, "is_main": True,
                                      "_embedded": {"statuses": [
                                          {"id": 71, "name": "Новая", "sort": 10},
                                          {"id": 72, "name": "Встреча", "sort": 20},
                                          {"id": 142, "name": "Успешно реализовано", "sort": 10000},
                                          {"id": 143, "name": "Закрыто и не реализовано",
                                           "sort": 11000}]}}]}}


def _ev(i: int, lead: int, t: int, a: int, b: int) -> dict:
    return {"id": f"e{i}", "type": "lead_status_changed", "entity_id": lead,
            "entity_type": "lead", "created_at": t,
            "value_before": [{"lead_status": {"id": a, "pipeline_id": 7}}],
            "value_after": [{"lead_status": {"id": b, "pipeline_id": 7}}]}


def _lead(i: int, t: int, status: int) -> dict:
    return {"id": i, "price": 1000, "status_id": status, "pipeline_id": 7, "created_at": t}


def _amo(tmp: Path, events: list[dict], leads: list[dict], cut: int = 0) -> Path:
    d = tmp / "amo"
    d.mkdir()
    (d / "pipelines.json").write_text(json.dumps(PIPES, ensure_ascii=False), encoding="utf-8")
    text = json.dumps({"_embedded": {"events": events}})
    (d / "events.json").write_text(text[:-cut] if cut else text, encoding="utf-8")
    (d / "leads.json").write_text(json.dumps({"_embedded": {"leads": leads}}), encoding="utf-8")
    return d


T = 1_700_000_000


def test_newest_first_events_are_not_out_of_order(tmp_path: Path) -> None:
    """amoCRM's events pages list the newest first: an export saved as it came runs
    backwards throughout, and was reported as "events out of time order" for every
    move of every deal. Only an event against the input's own direction is one."""
    events = [
        _ev(3, 1, T + 800, 72, 142),
        _ev(2, 2, T + 500, 71, 72),         # against the direction: older than e4 next
        _ev(4, 2, T + 900, 72, 143),
        _ev(6, 3, T + 600, 72, 142),
        _ev(1, 1, T + 400, 71, 72),
        _ev(5, 3, T + 300, 71, 72),
    ]
    leads = [_lead(1, T, 142), _lead(2, T, 143), _lead(3, T, 142)]
    h = load_history([str(_amo(tmp_path, events, leads))])
    assert h.quality.counts.get("out_of_order", 0) == 1
    assert h.quality.counts.get("broken_chains", 0) == 0
    clean = [events[0], events[2], events[1], *events[3:]]
    (tmp_path / "clean").mkdir()
    h = load_history([str(_amo(tmp_path / "clean", clean, leads))])
    assert h.quality.counts.get("out_of_order", 0) == 0


def test_amocrm_anomalies_are_counted(tmp_path: Path) -> None:
    events = [
        _ev(2, 1, T + 7200, 72, 142),       # out of order: before e1 in the file
        _ev(1, 1, T + 3600, 71, 72),
        _ev(1, 1, T + 3600, 71, 72),        # duplicate event id
        _ev(3, 2, T + 100, 71, 99),         # unknown status id 99
        _ev(4, 3, T + 100, 71, 143),        # lead 3 has no lead record
        _ev(5, 2, T + 200, 71, 72),         # broken chain: deal 2 was in #99, not 71
        {"id": "x", "type": "task_added", "entity_id": 1, "created_at": T},
        _ev(6, 2, T + 300, 72, 72),         # unchanged status
    ]
    leads = [_lead(1, T, 142), _lead(2, T, 72), _lead(4, T, 71)]  # lead 4: no history
    h = load_history([str(_amo(tmp_path, events, leads))])
    c, d = h.quality.counts, h.quality.dropped
    assert c["out_of_order"] == 1
    assert c["duplicates"] == 1 and d["duplicate"] == 1
    assert c["unknown_stage_ids"] == 1
    assert c["deals_without_lead"] == 1
    assert c["deals_no_history"] == 1
    assert c["broken_chains"] == 1
    assert c["ignored_event_types"] == 1
    assert d["unchanged_status"] == 1
    assert h.quality.balanced
    assert set(h.events["stage"].to_list()) >= {"#99", "Новая", "Встреча"}
    # The deal without a lead record starts in its `from` stage at an unknown time.
    first3 = h.events.filter(h.events["deal_id"] == "3").row(0, named=True)
    assert first3["stage"] == "Новая" and first3["entry_known"] is False


def test_truncated_json_is_read_as_far_as_it_parses(tmp_path: Path) -> None:
    events = [_ev(i, 10 + i, T + i, 71, 72) for i in range(1, 6)]
    leads = [_lead(10 + i, T, 72) for i in range(1, 6)]
    h = load_history([str(_amo(tmp_path, events, leads, cut=60))])
    assert h.quality.counts["truncated_files"] == 1
    # Where the cut is, as every place is given: «(byte 383381 of 383453)» was English in
    # the Russian and Ukrainian tables.
    (place,) = h.quality.examples["truncated_files"]
    assert re.fullmatch(r".+\.json:1:\d+", place), place
    assert h.quality.dropped["truncated"] == 1
    moved = h.events.filter(h.events["from_stage"].is_not_null()).height
    assert 1 <= moved < 5  # the events before the cut; the leads after it had no history
    assert h.quality.counts["deals_no_history"] == 5 - moved
    assert h.quality.balanced


def test_csv_time_zones_bad_rows_and_truncation(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text(
        "Сделка;Дата;Воронка;Этап;Сумма;Причина отказа\n"
        "1;2024-03-01 12:00;Продажи;Новая;1 500,50;\n"          # naive: read in --tz
        "1;2024-03-01T12:00:00+03:00;Продажи;Встреча;;\n"       # offset: kept
        "2;not a date;Продажи;Новая;;\n"                         # bad timestamp
        ";2024-03-02 10:00;Продажи;Новая;;\n"                    # no deal id
        "3;2024-03-02 10:00;Продажи;Новая;;\n"
        "3;2024-03-02 11:00;Продажи;lost;;Дорого\n"
        "4;2024-03-0", encoding="utf-8")                        # cut mid-line
    h = load_history([str(p)], tz="Europe/Moscow")
    q = h.quality
    assert q.counts["naive_timestamps"] >= 3
    assert q.dropped == {"bad_timestamp": 1, "no_deal_id": 1, "truncated": 1}
    assert q.counts["truncated_files"] == 1
    assert q.balanced
    deal1 = h.events.filter(h.events["deal_id"] == "1")
    # 12:00 in Moscow is 09:00 UTC: both rows of deal 1 fall at the same instant.
    assert deal1["ts"].n_unique() == 1
    assert deal1["value"][0] == 1500.5
    lost = h.events.filter(h.events["kind"] == "lost").row(0, named=True)
    assert lost["loss_reason"] == "Дорого"


def test_history_cli_reports_drops_and_exits_1(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text("deal_id,timestamp,stage\n1,2024-01-01,Новая\n2,??,Новая\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(p)])
    assert res.exit_code == 1
    assert "bad_timestamp" in res.output and "Data quality" in res.output


def test_unknown_format_is_an_input_problem_and_missing_file_a_usage_error(
        tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("hello\nworld\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(p)])
    assert res.exit_code == 1 and "not a known history format" in res.output
    res = CliRunner().invoke(cli, ["history", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "no such file" in res.output
    res = CliRunner().invoke(cli, ["history", str(p), "--tz", "Mars/Olympus"])
    assert res.exit_code == 2


def test_bitrix24_unknown_stage_and_quiet_deal(tmp_path: Path) -> None:
    hist = {"result": {"items": [
        {"ID": "1", "TYPE_ID": 1, "OWNER_ID": 5, "CREATED_TIME": "2024-01-01T10:00:00+03:00",
         "CATEGORY_ID": 0, "STAGE_ID": "NEW", "STAGE_SEMANTIC_ID": "P"},
        {"ID": "2", "TYPE_ID": 2, "OWNER_ID": 5, "CREATED_TIME": "2024-01-02T10:00:00+03:00",
         "CATEGORY_ID": 0, "STAGE_ID": "ODD", "STAGE_SEMANTIC_ID": "P"},
        {"ID": "3", "TYPE_ID": 3, "OWNER_ID": 5, "CREATED_TIME": "2024-01-03T10:00:00+03:00",
         "CATEGORY_ID": 0, "STAGE_ID": "LOSE", "STAGE_SEMANTIC_ID": "F"},
        {"ID": "3", "TYPE_ID": 3, "OWNER_ID": 5, "CREATED_TIME": "2024-01-03T10:00:00+03:00",
         "CATEGORY_ID": 0, "STAGE_ID": "LOSE", "STAGE_SEMANTIC_ID": "F"}]}}
    stages = {"result": [
        {"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW", "NAME": "Новая", "SORT": "10"},
        {"ID": "2", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "LOSE", "NAME": "Сделка провалена",
         "SORT": "100", "SEMANTICS": "F"}]}
    deals = {"result": [{"ID": "5", "DATE_CREATE": "2024-01-01T10:00:00+03:00", "STAGE_ID": "LOSE",
                         "OPPORTUNITY": "2000.00"},
                        {"ID": "6", "DATE_CREATE": "2024-01-05T10:00:00+03:00", "STAGE_ID": "NEW",
                         "OPPORTUNITY": "10.00"}]}
    for name, doc in (("h.json", hist), ("s.json", stages), ("d.json", deals)):
        (tmp_path / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    h = load_history([str(tmp_path)])
    q = h.quality
    assert q.counts["unknown_stage_ids"] == 1 and q.counts["duplicates"] == 1
    assert q.counts["deals_no_history"] == 1
    assert q.balanced
    lost = h.events.filter(h.events["kind"] == "lost").row(0, named=True)
    # «Сделка провалена» is the pipeline's only failure stage: no reason.
    assert lost["stage"] == "Сделка провалена" and lost["loss_reason"] is None
    assert lost["value"] == 2000.0


DROPPED = {
    "en": ("dropped 1 record: repeat of an earlier record: the same event, history item, lead "
           "or deal read twice", "dropped 1 record: the deal entering the stage"),
    "ru": ("отброшена 1 запись: повтор более ранней записи: то же событие, запись истории, лид "
           "или сделка, прочитанные дважды", "отброшена 1 запись: вход сделки в этап"),
    "uk": ("відкинуто 1 запис: повтор попереднього запису: та сама подія, запис історії, лід "
           "чи угода, прочитані двічі", "відкинуто 1 запис: вхід угоди в етап"),
}


@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_what_an_amocrm_export_drops_is_records_not_rows(tmp_path: Path, lang: str) -> None:
    """An amoCRM export has events and leads, no rows: its data quality said «dropped 1
    row: duplicate of an earlier row» of a repeated event («отброшена 1 строка: повтор
    более ранней строки»)."""
    events = [_ev(1, 1, T + 3600, 71, 72), _ev(1, 1, T + 3600, 71, 72),  # the same event id
              _ev(2, 1, T + 7200, 72, 142), _ev(3, 2, T + 300, 71, 71)]  # unchanged status
    export = _amo(tmp_path, events, [_lead(1, T, 142), _lead(2, T, 71)])
    result = CliRunner().invoke(cli, ["history", str(export), "--lang", lang],
                                env={"NO_COLOR": "1", "COLUMNS": "400"})
    said = " ".join(result.output.split())
    assert all(line in said for line in DROPPED[lang]), said
    assert not re.search(r"\b(rows?|строк[аи]?|рядк(?:и|ів)?|рядок)\b:", said), said


@pytest.mark.parametrize(("formats", "unit"), [
    (("amocrm",), "record"), (("bitrix24",), "record"), (("csv",), "row"),
    (("csv", "bitrix24"), "record"), (("csv", "empty"), "row")])
def test_a_drop_is_said_in_the_unit_of_its_inputs(formats: tuple[str, ...], unit: str) -> None:
    """Rows when every input is a table, records (the unit of «input records read»)
    when any is a CRM export: a Bitrix24 export's stage-history items read «rows»."""
    from funnelc.history.quality import DataQuality
    from funnelc.history.quality_render import summary_lines

    dq = DataQuality(rows_read=5, rows_kept=3,
                     files=[(f"in{i}", fmt, 1) for i, fmt in enumerate(formats)])
    dq.drop("no_stage", 2)
    assert summary_lines(dq)[1] == f"dropped 2 {unit}s: stage missing"
