"""A consultant's pass over `history`, `audit` and `fit` on a Bitrix24 account in classic
mode (tests/data/b24_leads_ru/generate.py, seed 3): a Novosibirsk supplier of warehouse
equipment takes requests in as leads (NEW → IN_PROCESS → PROCESSED → CONVERTED, or a
failure status) and a converted lead becomes a deal (`LEAD_ID`) of «Общая». From July
the advertising's leads qualify at a third of their rate (seed 003: marketing broke
it), and Олег Смирнов closes his junk with the catch-all «Другое». Leads and deals, and
their history items, are numbered apart from 1 as Bitrix24 numbers them.

Every figure asserted here is counted from the generator's own truth with plain Python
(independent of funnelc). Before 76caaa7 every deal history item was dropped as a
«duplicate» of the lead item of the same number, a lead and the deal of the same number
were one record, and the lead statuses were stages of «Общая»: no qualification rate."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli
from judged_count import judged_entries

DATA = Path(__file__).resolve().parent / "data" / "b24_leads_ru"
FUNNEL = DATA / "account.funnel"
TZ = "Asia/Novosibirsk"
LEADS, DEALS = "Лиды", "Общая"
SOURCE = {"WEB": "Веб-сайт", "ADVERTISING": "Реклама", "CALL": "Звонок"}
LEAD_NAME = {"NEW": "Не обработан", "IN_PROCESS": "В работе", "PROCESSED": "Обработан"}
FAIL_NAME = {"JUNK": "Другое", "1": "Неверный номер", "2": "Спам", "3": "Нецелевой запрос"}
FIRST, LAST = ["2026-03", "2026-04"], ["2026-08", "2026-09"]
JUNKER = "Олег Смирнов"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("b24_leads_ru")
    data_generator("b24_leads_ru").write(out, 3)
    return out


@pytest.fixture(scope="module")
def truth(export: Path) -> dict[str, Any]:
    return json.loads((export / "truth.json").read_text(encoding="utf-8"))


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "160"})
    assert result.exit_code == code, result.output
    return result.stdout


@pytest.fixture(scope="module")
def history(export: Path) -> dict[str, Any]:
    return json.loads(_run("history", str(export / "bitrix24"), "--tz", TZ,
                           "--format", "json"))


@pytest.fixture(scope="module")
def audit(export: Path) -> dict[str, Any]:
    return json.loads(_run("audit", str(FUNNEL), str(export / "bitrix24"), "--tz", TZ,
                           "--format", "json"))


def _steps(record: dict[str, Any]) -> list[tuple[datetime, str]]:
    return [(datetime.fromisoformat(t), s) for t, s in record["events"]]


def _month(iso: str) -> str:
    return iso[:7]  # the generator writes Novosibirsk time with its offset


def _qualified(lead: dict[str, Any]) -> bool | None:
    """Whether a lead in work reached «Обработан» before any failure (None: never in work)."""
    statuses = [s for _t, s in lead["events"]]
    if "IN_PROCESS" not in statuses:
        return None
    return "PROCESSED" in statuses


def test_every_lead_and_deal_is_read_and_nothing_dropped(
        export: Path, history: dict[str, Any], truth: dict[str, Any]) -> None:
    # Every deal history item was a «duplicate» of the lead item of the same ID (exit 1,
    # 3,040 of 4,336 rows), and 879 records stood for 901 leads and 342 deals.
    events = sum(len(r["events"]) for r in (*truth["leads"], *truth["deals"]))
    assert history["deals"] == len(truth["leads"]) + len(truth["deals"])
    assert history["events"] == events
    assert history["quality"]["dropped"] == {}
    assert history["quality"]["rows_kept"] == history["quality"]["rows_read"] == events


def test_leads_per_month_and_source_are_counted_by_hand(
        history: dict[str, Any], truth: dict[str, Any]) -> None:
    lead_rows = {(r["month"], r["source"]): r["deals"] for r in history["tables"]["inflow"]
                 if r["pipeline"] == LEADS}
    by_hand = Counter((_month(r["events"][0][0]), r["source"]) for r in truth["leads"])
    assert lead_rows == dict(by_hand)
    assert len(by_hand) == 24  # 8 months × 3 sources
    deal_rows = {(r["month"], r["source"]): r["deals"] for r in history["tables"]["inflow"]
                 if r["pipeline"] == DEALS}
    # A deal keeps its lead's source: the deals of «Общая» by month and source.
    assert deal_rows == dict(Counter((_month(d["events"][0][0]), d["source"])
                                     for d in truth["deals"]))


def test_the_lead_statuses_are_their_own_pipeline_in_the_crms_order(
        history: dict[str, Any]) -> None:
    stages: dict[str, list[str]] = {r["pipeline"]: [] for r in history["tables"]["shape"]}
    for r in history["tables"]["shape"]:
        stages[r["pipeline"]].append(r["stage"])
    assert stages[LEADS] == [*LEAD_NAME.values(), "won"]
    assert stages[DEALS] == ["Новая сделка", "Подбор оборудования", "КП отправлено",
                             "Счёт выставлен", "won"]


def test_a_converted_lead_is_the_leads_success_and_its_deal_keeps_source_and_manager(
        history: dict[str, Any], truth: dict[str, Any]) -> None:
    shape = {(r["pipeline"], r["stage"]): r["deals"] for r in history["tables"]["shape"]}
    converted = [r for r in truth["leads"] if r["events"][-1][1] == "CONVERTED"]
    assert shape[LEADS, "won"] == len(converted) == len(truth["deals"])
    assert {r["deal"] for r in converted} == {d["id"] for d in truth["deals"]}
    # No converted lead is a loss or an open lead of «Обработан».
    lost = sum(r["deals"] for r in history["tables"]["losses"] if r["pipeline"] == LEADS)
    assert lost == sum(r["events"][-1][1] in FAIL_NAME for r in truth["leads"])
    open_processed = next(r["open"] for r in history["tables"]["time_in_stage"]
                          if (r["pipeline"], r["stage"]) == (LEADS, "Обработан"))
    assert open_processed == sum(r["events"][-1][1] == "PROCESSED" for r in truth["leads"])
    leads = {r["id"]: r for r in truth["leads"]}
    assert all((d["source"], d["manager"]) == (leads[d["lead"]]["source"],
                                               leads[d["lead"]]["manager"])
               for d in truth["deals"])
    # The deals' manager table counts each manager's deals, as converted from their leads.
    entered = {r["manager"]: r["entered"] + r["recent"] for r in history["tables"]["managers"]
               if (r["pipeline"], r["from_stage"]) == (DEALS, "Новая сделка")}
    assert entered == dict(Counter(d["manager"] for d in truth["deals"]))


def test_the_qualification_rate_per_source_and_period_is_counted_by_hand(
        history: dict[str, Any], truth: dict[str, Any]) -> None:
    rows = {r["source"]: r for r in history["tables"]["source_changes"]
            if (r["pipeline"], r["from_stage"], r["to_stage"]) == (LEADS, "В работе",
                                                                   "Обработан")}
    assert set(rows) == set(SOURCE.values())
    for name, row in rows.items():
        for months, n_key, rate_key in ((FIRST, "entered_first", "rate_first"),
                                        (LAST, "entered_last", "rate_last")):
            entered = [q for r in truth["leads"] if r["source"] == name
                       and _month(next(t for t, s in r["events"] if s == "IN_PROCESS"))
                       in months and (q := _qualified(r)) is not None]
            assert row[n_key] == len(entered), (name, months)
            assert row[rate_key] == pytest.approx(sum(entered) / len(entered))
    assert [s for s, r in rows.items() if r["flagged"]] == ["Реклама"]
    assert rows["Реклама"]["rate_last"] < rows["Реклама"]["rate_first"] / 2


def test_the_decomposition_blames_the_advertising_marketing_not_sales(
        history: dict[str, Any], audit: dict[str, Any]) -> None:
    row = next(r for r in history["tables"]["decomposition"]
               if (r["pipeline"], r["from_stage"]) == (LEADS, "В работе"))
    assert row["dominant"] == "rate" and row["top_source"] == "Реклама"
    assert row["top_source_flagged"]
    assert "a marketing matter" in row["verdict"] and "“Реклама”" in row["verdict"]
    first = audit["findings"][0]
    assert first["kind"] == "source_quality" and first["subject"] == "Реклама"
    assert first["pipeline"] == LEADS
    assert not any(f["kind"].startswith("manager") for f in audit["findings"])


def test_the_manager_comparison_on_qualification_is_counted_by_hand(
        history: dict[str, Any], truth: dict[str, Any]) -> None:
    end = max(datetime.fromisoformat(t) for r in (*truth["leads"], *truth["deals"])
              for t, _s in r["events"])
    manager = {r["id"]: r["manager"] for r in truth["leads"]}
    judged = judged_entries([(r["id"], _steps(r)) for r in truth["leads"]], "IN_PROCESS",
                            "PROCESSED", lambda s: s in FAIL_NAME, end)
    rows = {r["manager"]: r for r in history["tables"]["managers"]
            if (r["pipeline"], r["from_stage"]) == (LEADS, "В работе")}
    assert set(rows) == set(manager.values())
    for name, row in rows.items():
        mine = [j for j in judged if manager[str(j.key)] == name]
        assert row["entered"] == sum(j.judged for j in mine), name
        assert row["recent"] == sum(not j.judged for j in mine), name
        assert row["reached"] == sum(j.converted for j in mine if j.judged), name
    assert min(rows, key=lambda m: rows[m]["rate"]) == JUNKER
    assert rows[JUNKER]["top_reason"] == "Другое"
    assert all(rows[m]["top_reason"] != "Другое" for m in rows if m != JUNKER)


def test_the_junk_reasons_are_the_failure_statuses_counted_by_hand(
        history: dict[str, Any], truth: dict[str, Any]) -> None:
    losses = {r["reason"]: r["deals"] for r in history["tables"]["losses"]
              if (r["pipeline"], r["stage"]) == (LEADS, "В работе")}
    by_hand = Counter(FAIL_NAME[r["events"][-1][1]] for r in truth["leads"]
                      if r["events"][-1][1] in FAIL_NAME)
    assert losses == dict(by_hand)
    missing = next(r for r in history["tables"]["loss_reasons_missing"]
                   if r["pipeline"] == LEADS)
    assert missing["catch_all"] == by_hand["Другое"] and missing["flagged"]
    mine = Counter(FAIL_NAME[r["events"][-1][1]] for r in truth["leads"]
                   if r["manager"] == JUNKER and r["events"][-1][1] in FAIL_NAME)
    by_manager = {r["reason"]: r["deals"] for r in history["tables"]["loss_reasons_by"]
                  if (r["pipeline"], r["dimension"], r["group"]) == (LEADS, "manager",
                                                                     JUNKER)}
    assert by_manager == dict(mine)
    assert mine.most_common(1)[0][0] == "Другое"


def test_the_leads_keep_their_failure_status_and_the_deals_lone_stage_is_no_reason(
        history: dict[str, Any], truth: dict[str, Any]) -> None:
    """The leads' failure statuses stay reasons (their catch-all and the junk finding rest
    on them), while the deals' pipeline, whose only failure stage is «Сделка провалена»
    and whose export has no loss field, has every loss without a reason (before: 0 of
    them, each «Сделка провалена»)."""
    missing = {r["pipeline"]: r for r in history["tables"]["loss_reasons_missing"]}
    junk = sum(r["events"][-1][1] == "JUNK" for r in truth["leads"])
    assert (missing[LEADS]["catch_all"], missing[LEADS]["no_reason"]) == (junk, 0)
    lost = sum(s == "LOSE" for d in truth["deals"] for _t, s in d["events"])
    assert (missing[DEALS]["losses"], missing[DEALS]["no_reason"]) == (lost, lost)
    assert missing[DEALS]["flagged"]
    leads = {r["reason"] for r in history["tables"]["losses"] if r["pipeline"] == LEADS}
    assert "Другое" in leads and "(no reason)" not in leads


def test_the_audit_reads_in_russian_and_counts_the_catch_all(
        export: Path, truth: dict[str, Any]) -> None:
    text = _run("audit", str(FUNNEL), str(export / "bitrix24"), "--tz", TZ)
    junk = sum(r["events"][-1][1] == "JUNK" for r in truth["leads"])
    assert "Источник «Реклама»" in text and "воронке «Лиды»" in text
    assert f"{junk} отказа" in text or f"{junk} отказов" in text


def test_a_deal_without_a_source_takes_its_leads(export: Path, tmp_path: Path,
                                                 truth: dict[str, Any]) -> None:
    # crm.deal.list of a deal whose SOURCE_ID nobody filled: the lead it was converted
    # from (LEAD_ID) says where it came from.
    folder = tmp_path / "bitrix24"
    folder.mkdir()
    for f in (export / "bitrix24").iterdir():
        text = f.read_text(encoding="utf-8")
        if f.name == "deals.jsonl":
            pages = [json.loads(line) for line in text.splitlines()]
            for page in pages:
                for d in page["result"]:
                    d["SOURCE_ID"] = None
                    d["ASSIGNED_BY_ID"] = "0"
            text = "\n".join(json.dumps(p, ensure_ascii=False) for p in pages) + "\n"
        (folder / f.name).write_text(text, encoding="utf-8")
    out = json.loads(_run("history", str(folder), "--tz", TZ, "--format", "json"))
    deal_rows = {(r["month"], r["source"]): r["deals"] for r in out["tables"]["inflow"]
                 if r["pipeline"] == DEALS}
    assert deal_rows == dict(Counter((_month(d["events"][0][0]), d["source"])
                                     for d in truth["deals"]))
    entered = {r["manager"]: r["entered"] + r["recent"] for r in out["tables"]["managers"]
               if (r["pipeline"], r["from_stage"]) == (DEALS, "Новая сделка")}
    assert entered == dict(Counter(d["manager"] for d in truth["deals"]))


def test_fit_counts_the_leads_as_the_sources_and_the_deals_as_their_copies(
        export: Path, truth: dict[str, Any]) -> None:
    # Each deal keeps its lead's SOURCE_ID and starts in «Общая», which the funnel fills
    # by `then copy`, no source: fit warned «source “Реклама”: 134 deals of that name
    # started in pipeline “Общая”, which the source does not feed», once per source,
    # of every converted lead, as if the export were off.
    fit = json.loads(_run("fit", "--funnel", str(FUNNEL), str(export / "bitrix24"),
                          "--tz", TZ, "--format", "json"))
    assert fit["warnings"] == []
    assert {s["source"]: s["deals"] for s in fit["sources"]} == dict(
        Counter(r["source"] for r in truth["leads"]))
    work = next(s for s in fit["stages"] if (s["pipeline"], s["stage"]) == (LEADS, "В работе"))
    counts = {r["route"]: r["count"] for r in work["routes"]}
    assert sum(counts.values()) == work["mature"]
    left = [r["events"][-1][1] if r["events"][-1][1] in FAIL_NAME else "PROCESSED"
            for r in truth["leads"] if len(r["events"]) > 2]
    assert work["mature"] <= len(left) and counts["-> Обработан"] <= left.count("PROCESSED")
    assert len(left) - work["mature"] <= 10  # only the last days' leads are not mature


def test_the_inflow_plot_draws_the_leads_and_says_the_copies(export: Path,
                                                             truth: dict[str, Any]) -> None:
    """A deal made from a converted lead starts in «Общая», which only the funnel's copies
    enter: it is no new demand. Stacked on the sources' bars, March read 144 new requests
    for the 104 leads that came; the table keeps those rows, the plot says how many it
    leaves out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from funnelc.api import load_file
    from funnelc.history.plots import inflow_plot
    from funnelc.history.run import prepare
    from funnelc.i18n import translator

    tables = prepare([str(export / "bitrix24")], TZ, load_file(FUNNEL).model).tables
    leads = Counter(_month(lead["events"][0][0]) for lead in truth["leads"])
    assert leads["2026-03"] == 104
    fig = inflow_plot(tables, translator("ru"))
    FigureCanvasAgg(fig).draw()
    (ax,) = fig.axes
    assert len(ax.get_xticklabels()) == len(leads)
    heights: Counter[int] = Counter()
    for bar in ax.patches:
        heights[round(bar.get_x() + bar.get_width() / 2)] += round(bar.get_height())
    assert [heights[i] for i in range(len(leads))] == [leads[m] for m in sorted(leads)]
    deals = len(truth["deals"])
    said = " ".join(fig.get_supxlabel().split())
    assert said.startswith((f"{deals} сделки, созданные копиями в воронке «{DEALS}»",
                            f"{deals} сделок, созданных копиями в воронке «{DEALS}»")), said
    copies = tables.inflow.filter(tables.inflow["pipeline"] == DEALS)["deals"].sum()
    assert copies == deals
