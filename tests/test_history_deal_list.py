"""Deal lists (one row per deal: its current stage and dates) are read as the history
they hold, or refused: never read as a history in which no deal ever moved.

Before: a public 8,800-deal list (Prospecting → Engaging → Won/Lost, one row per deal)
read with its engage date as the rows' time gave «"Engaging" is a dead end: 1,577 deals
pile up there and no deal has moved on from it» as the audit's one finding, about the
stage every one of the 6,711 closed deals had passed (`funnelc.history.deal_list`).
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history

STAGES = ("Заявка", "Квалификация", "Переговоры")
START = datetime(2026, 1, 5, 9, 0)


def _deals(seed: int, n: int) -> list[dict[str, object]]:
    """Deals that move forward only (a deal list keeps one date per stage): each enters
    the first stage, moves on stage by stage with some chance, then is won, lost or left
    open; some skip the middle stage, some close the day they entered."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        t = START + timedelta(hours=rng.randrange(0, 24 * 150))
        visits = [(STAGES[0], t)]
        for stage in STAGES[1:]:
            if rng.random() < 0.3:
                break
            if stage == STAGES[1] and rng.random() < 0.1:
                continue  # skipped
            t += timedelta(days=rng.randrange(0, 20), hours=rng.randrange(0, 8))
            visits.append((stage, t))
        fate = rng.choice(("won", "lost", "lost", "open"))
        close = t + timedelta(days=rng.randrange(0, 15)) if fate != "open" else None
        out.append({"id": f"D{i:04d}", "manager": rng.choice(("Анна", "Игорь", "Олег")),
                    "value": rng.choice((12000, 45000, 90000)), "visits": visits,
                    "fate": fate, "close": close,
                    "reason": rng.choice(("Дорого", "Не отвечает")) if fate == "lost" else ""})
    return out


def _long_csv(path: Path, deals: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["deal_id", "timestamp", "stage", "manager", "value", "loss_reason"])
        for d in deals:
            for stage, t in d["visits"]:  # type: ignore[attr-defined]
                w.writerow([d["id"], f"{t:%Y-%m-%d %H:%M}", stage, d["manager"], d["value"], ""])
            if d["fate"] != "open":
                name = "Успешно реализовано" if d["fate"] == "won" else "Закрыто и не реализовано"
                w.writerow([d["id"], f"{d['close']:%Y-%m-%d %H:%M}", name, d["manager"],
                            d["value"], d["reason"]])
    return path


def _wide_csv(path: Path, deals: list[dict[str, object]], header: list[str]) -> Path:
    """The same deals as a deal list: `header` names the entry columns of STAGES."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["ID", "Этап сделки", "Ответственный", "Бюджет", "Причина отказа",
                    *header, "Дата закрытия"])
        for d in deals:
            dates = dict(d["visits"])  # type: ignore[call-overload]
            current = {"won": "Успешно реализовано", "lost": "Закрыто и не реализовано"}.get(
                str(d["fate"]), d["visits"][-1][0])  # type: ignore[index]
            close = f"{d['close']:%d.%m.%Y %H:%M}" if d["close"] else ""
            w.writerow([d["id"], current, d["manager"], d["value"], d["reason"],
                        *(f"{dates[s]:%d.%m.%Y %H:%M}" if s in dates else "" for s in STAGES),
                        close])
    return path


def _events(path: Path) -> pl.DataFrame:
    h = load_history([str(path)])
    assert h.quality.balanced
    return h.events.select("deal_id", "ts", "stage", "kind", "manager", "value",
                           "loss_reason").sort("deal_id", "ts", "kind")


def test_a_deal_list_with_stage_dates_reads_as_its_history(tmp_path: Path) -> None:
    """The list holds every dated entry, win and loss the long history does, with the
    same manager, value and reason: nothing lost, nothing invented."""
    deals = _deals(7, 400)
    long = _events(_long_csv(tmp_path / "long.csv", deals))
    wide = _events(_wide_csv(tmp_path / "list.csv", deals,
                             [f"Дата входа в этап {s}" for s in STAGES]))
    assert wide.height == long.height > 400
    assert wide.equals(long)


def test_an_entry_and_a_close_the_same_moment_keep_their_order(tmp_path: Path) -> None:
    """A deal engaged and won the same day (dates without a time) entered first."""
    path = tmp_path / "list.csv"
    path.write_text("deal_id,stage,entered Engaging,close_date\n"
                    + "".join(f"O{i},{'Won' if i % 2 else 'Lost'},3/{i + 1}/2017,3/{i + 1}/2017\n"
                              for i in range(20)), encoding="utf-8")
    h = load_history([str(path)])
    order = h.events.group_by("deal_id", maintain_order=True).agg(pl.col("kind"))
    assert all(kinds[0] == "stage" and kinds[-1] in ("won", "lost")
               for kinds in order["kind"].to_list())


def test_hubspot_date_entered_columns_name_the_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_text(
        'Record ID,Deal Stage,Deal owner,'
        'Date entered "Appointment scheduled (Sales Pipeline)",'
        'Date entered "Contract sent (Sales Pipeline)",Close Date\n'
        "1,Closed won,Ann,2026-03-02 10:00,2026-03-09 12:00,2026-03-20 15:00\n"
        "2,Contract sent,Bob,2026-03-03 10:00,2026-03-10 12:00,\n",
        encoding="utf-8")
    h = load_history([str(path)])
    ev = h.events.sort("deal_id", "ts")
    assert ev["pipeline"].unique().to_list() == ["Sales Pipeline"]
    assert ev["stage"].to_list() == ["Appointment scheduled", "Contract sent", "Closed won",
                                     "Appointment scheduled", "Contract sent"]
    assert ev["kind"].to_list() == ["stage", "stage", "won", "stage", "stage"]
    assert ev["manager"].to_list()[:1] == ["Ann"]


HUBSPOT = ('Record ID,Deal Name,Deal Stage,Pipeline,Deal owner,Amount,Create Date,Close Date,'
           'Date entered "Appointment scheduled (Sales Pipeline)",'
           'Date exited "Appointment scheduled (Sales Pipeline)",'
           'Date entered "Contract sent (Sales Pipeline)",'
           'Date entered "Closed won (Sales Pipeline)",'
           'Date entered "Closed lost (Sales Pipeline)",'
           'Date entered "Renewal due (Renewals)",Date entered "Closed lost (Renewals)"\n')


def test_a_hubspot_export_of_two_pipelines(tmp_path: Path) -> None:
    """HubSpot writes a «Date entered» column per stage of every pipeline, the closed
    stages too (`Date entered "Closed won (Sales Pipeline)"` dates the win), and a
    «Date exited» beside each, which says nothing new."""
    path = tmp_path / "hubspot.csv"
    path.write_text(
        HUBSPOT
        + "1,A,Closed won,Sales Pipeline,Ann,900,2026-03-01,2026-03-20 15:00,"
          "2026-03-02 10:00,2026-03-09 12:00,2026-03-09 12:00,2026-03-20 15:00,,,\n"
          "2,B,Contract sent,Sales Pipeline,Bob,500,2026-03-02,,"
          "2026-03-03 10:00,2026-03-10 09:00,2026-03-10 09:00,,,,\n"
          "3,C,Closed lost,Renewals,Ann,300,2026-03-04,2026-03-08 11:00,"
          ",,,,,2026-03-05 09:00,2026-03-08 11:00\n", encoding="utf-8")
    h = load_history([str(path)])
    ev = h.events.sort("deal_id", "ts").select("deal_id", "pipeline", "stage", "kind")
    assert ev.rows() == [
        ("1", "Sales Pipeline", "Appointment scheduled", "stage"),
        ("1", "Sales Pipeline", "Contract sent", "stage"),
        ("1", "Sales Pipeline", "Closed won", "won"),
        ("2", "Sales Pipeline", "Appointment scheduled", "stage"),
        ("2", "Sales Pipeline", "Contract sent", "stage"),
        ("3", "Renewals", "Renewal due", "stage"),
        ("3", "Renewals", "Closed lost", "lost")]
    assert h.quality.balanced and not h.quality.dropped


def test_entry_columns_of_several_pipelines_need_the_pipeline_column(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_text('Record ID,Deal Stage,Date entered "New (Sales)",'
                    'Date entered "Due (Renewals)"\n1,New,2026-03-02,\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(path)])
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert (f"error: {path}:1: the entry date columns name 2 pipelines («Renewals», «Sales») "
            "and the file has no pipeline column") in said
    assert "export the «Pipeline» column too" in said


def test_a_deal_whose_place_has_no_date_is_left_out_whole_and_counted(tmp_path: Path) -> None:
    """Read without its current stage, the deal would sit in its last dated stage."""
    path = tmp_path / "list.csv"
    path.write_text("deal_id,stage,entered A,entered B,close date\n"
                    "1,B,2026-01-01,2026-01-05,\n"      # fine: open in B since the 5th
                    "2,B,2026-01-01,,\n"                # in B, but since when?
                    "3,Won,2026-01-01,2026-01-04,\n"    # won, but when?
                    "4,Prospecting,,,\n"                # no date at all
                    "5,Lost,2026-01-02,,2026-01-03\n",  # lost from A
                    encoding="utf-8")
    h = load_history([str(path)])
    assert sorted(h.events["deal_id"].unique().to_list()) == ["1", "5"]
    assert h.quality.dropped == {"undated_stage": 3}
    assert h.quality.examples["drop:undated_stage"] == [f"{path}:3"]
    assert h.quality.balanced


def test_a_bad_entry_date_is_dropped_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("deal_id,stage,entered A,entered B\n"
                    "1,B,2026-01-01,2026-01-05\n"
                    "2,A,soon,\n", encoding="utf-8")
    h = load_history([str(path)])
    assert h.quality.dropped == {"bad_timestamp": 1}
    assert h.quality.examples["drop:bad_timestamp"] == [f"{path}:3"]
    assert h.place(int(h.events.filter(pl.col("stage") == "B")["seq"][0])) == f"{path}:2"


def test_a_deal_list_without_stage_dates_is_refused_with_what_to_export(
        tmp_path: Path) -> None:
    """Each deal's current stage at one date: the «dead end» of the public list."""
    rng = random.Random(3)
    rows = ["deal_id,manager,stage,date,close_date,value"]
    for i in range(300):
        stage = rng.choice(("Engaging", "Won", "Won", "Lost"))
        day = START + timedelta(days=rng.randrange(100))
        close = f"{day + timedelta(days=9):%m/%d/%Y}" if stage != "Engaging" else ""
        rows.append(f"X{i},Ann,{stage},{day:%m/%d/%Y},{close},{rng.randrange(100, 900)}")
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "report"
    res = CliRunner().invoke(cli, ["history", str(path), "-o", str(out)])
    assert res.exit_code == 1, res.output
    first_closed = next(i for i, r in enumerate(rows) if ",Won," in r or ",Lost," in r)
    assert f"error: {path}:{first_closed + 1}: a deal list, not a stage history: " \
           "300 of 300 deals have one row" in " ".join(res.output.split())
    assert "«Deal lists»" in res.output and "entered <stage>" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_a_short_history_of_single_moves_is_still_read(tmp_path: Path) -> None:
    """A week of a history where most deals only entered is a history: the refusal needs
    closes without entries too."""
    rows = ["deal_id,timestamp,stage"] + [f"{i},2026-02-0{1 + i % 7} 10:00,Заявка"
                                          for i in range(100)]
    rows += [f"{i},2026-02-08 10:00,Успешно реализовано" for i in range(5)]
    path = tmp_path / "week.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    h = load_history([str(path)])
    assert h.events.height == 105


def test_a_pipeline_of_one_working_stage_is_compared(tmp_path: Path) -> None:
    """«Engaging» → won or lost, nothing between (what a list with one dated stage holds):
    no stage pair, and before the closing step alone was added, no conversion, no
    manager and no source was compared at all (`analytics._with_won`). Here «Bob» wins
    a quarter of his deals and the others three in five: he is the one flagged."""
    rng = random.Random(11)
    rows = ["deal_id,stage,manager,entered Engaging,close_date,value"]
    for i in range(600):
        who = ("Ann", "Bob", "Cid", "Dan")[i % 4]
        fate = "Won" if rng.random() < (0.25 if who == "Bob" else 0.6) else "Lost"
        day = START + timedelta(days=rng.randrange(120))
        rows.append(f"E{i},{fate},{who},{day:%Y-%m-%d},{day + timedelta(days=20):%Y-%m-%d},"
                    f"{rng.choice((500, 900))}")
    path = tmp_path / "list.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    # history.json as `--format json` prints it (the bytes `-o` writes, without the plots).
    res = CliRunner().invoke(cli, ["history", str(path), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    tables = json.loads(res.stdout)["tables"]
    total = [r for r in tables["conversion"] if r["month"] == "all"]
    assert [(r["from_stage"], r["to_stage"], r["entered"]) for r in total] == [
        ("Engaging", "won", 600)]
    flagged = {r["manager"] for r in tables["managers"] if r["flagged"]}
    assert flagged == {"Bob"}, flagged


def test_amocrm_deal_export_is_read_deal_by_deal(tmp_path: Path) -> None:
    """amoCRM's «Экспорт» of the deals' table dates each deal's creation and close, no
    move: it was told to call a column «Дата», which would have read it as a history.
    It is read deal by deal (`tests/test_history_deal_level.py`), not as a history in
    which each deal entered its current stage when it was created."""
    path = tmp_path / "amocrm_export.csv"
    path.write_text("ID;Название сделки;Бюджет ₽;Ответственный;Дата создания;Дата закрытия;"
                    "Этап сделки;Воронка\n"
                    "1;Окна;45000;Анна;05.11.2026 10:00;;Переговоры;Продажи\n",
                    encoding="utf-8")
    h = load_history([str(path)])
    assert h.events.select("deal_id", "stage", "kind", "value").rows() == [
        ("1", "Сделка в работе", "stage", 45000.0)]
    assert [n.kind for n in h.quality.notes] == ["deal_level"]


def test_pipedrive_deal_export_is_read_by_its_own_names(tmp_path: Path) -> None:
    """Pipedrive names each column after its object («Deal - Stage», «Deal - Owner»); its
    deal export has no date per stage, so it is read deal by deal (from «Deal - Deal
    created» to «Deal - Deal closed on»), not told that it has no deal and no stage
    column. With an entry date per stage added,
    «Deal - Status» (open, won, lost) says the outcome: Pipedrive keeps the stage a deal
    was closed in."""
    head = ("Deal - ID,Deal - Title,Deal - Status,Deal - Stage,Deal - Owner,Deal - Value,"
            "Deal - Deal created,Deal - Won time,Deal - Lost time,Deal - Deal closed on,"
            "Deal - Lost reason,Deal - Pipeline")
    path = tmp_path / "deals.csv"
    path.write_text(head + "\n1,A,won,Proposal,Ann,900,2026-03-01 10:00,2026-03-20 15:00,,"
                    "2026-03-20 15:00,,Sales\n", encoding="utf-8")
    h = load_history([str(path)])
    assert h.events.select("deal_id", "stage", "kind", "ts").rows() == [
        ("1", "Open deal", "stage", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("1", "Proposal", "won", datetime(2026, 3, 20, 15, tzinfo=UTC))]
    path.write_text(head + ",entered Qualified,entered Proposal\n"
                    "1,A,won,Proposal,Ann,900,2026-03-01 10:00,2026-03-20 15:00,,"
                    "2026-03-20 15:00,,Sales,2026-03-01 10:00,2026-03-10 10:00\n"
                    "2,B,lost,Qualified,Bob,500,2026-03-02 10:00,,2026-03-05 12:00,"
                    "2026-03-05 12:00,Too expensive,Sales,2026-03-02 10:00,\n"
                    "3,C,open,Proposal,Bob,700,2026-03-03 10:00,,,,,Sales,"
                    "2026-03-03 10:00,2026-03-06 10:00\n", encoding="utf-8")
    h = load_history([str(path)])
    ev = h.events.sort("deal_id", "ts").select("deal_id", "stage", "kind", "manager",
                                               "loss_reason")
    assert ev.rows() == [
        ("1", "Qualified", "stage", "Ann", None), ("1", "Proposal", "stage", "Ann", None),
        ("1", "Proposal", "won", "Ann", None),
        ("2", "Qualified", "stage", "Bob", None),
        ("2", "Qualified", "lost", "Bob", "Too expensive"),
        ("3", "Qualified", "stage", "Bob", None), ("3", "Proposal", "stage", "Bob", None)]


def test_an_entered_at_column_is_no_stage(tmp_path: Path) -> None:
    """`entered_at` (a history row's time) and "Entered by" (its author) are not the entry
    dates of stages «at» and «by»: the file stays a history, told to name its time."""
    path = tmp_path / "h.csv"
    path.write_text("deal_id,stage,entered_at,Entered by\n1,New,2026-03-02 10:00,Ann\n",
                    encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(path)])
    assert res.exit_code == 1, res.output
    assert "no time column among" in " ".join(res.output.split())
