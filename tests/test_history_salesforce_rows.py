"""A history shaped like Salesforce's OpportunityHistory (a public org's export, read in
a consultant's pass): a row whenever the amount or the close date changes, the stage
repeated; deals whose history is only their win or only their loss; graveyards whose
deals move on to several stages; a dead end priced at nothing. Each was read into a
number the raw rows contradict or a client cannot be told."""

from __future__ import annotations

import html
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

REPEATS = """deal_id,date,stage,manager
D1,2026-01-05,Prospecting,Ann
D1,2026-01-20,Prospecting,Ann
D1,2026-02-04,Qualification,Ann
D1,2026-02-10,won,Ann
D2,2026-01-06,Prospecting,Bob
D2,2026-01-26,Prospecting,Bob
D2,2026-02-08,Prospecting,Bob
D3,2026-01-07,lost,Bob
D4,2026-01-08,won,Ann
"""


def _history(path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    return result.exit_code, json.loads(result.stdout)


def test_a_row_repeating_the_deals_stage_is_no_entry_into_it(tmp_path: Path) -> None:
    """D1 sat in «Prospecting» from Jan 5 to Feb 4 (30 days), with a row on Jan 20 when
    its amount changed: one visit of 720 hours, not two of 15 days, and «Prospecting»
    was entered twice (D1, D2), not five times. The repeats are dropped as
    `unchanged_status` (as amoCRM's status changes to the same status are), first at
    line 3, and no move «Prospecting» → «Prospecting» is listed."""
    path = tmp_path / "opportunity_history.csv"
    path.write_text(REPEATS, encoding="utf-8")
    code, out = _history(path)
    assert code == 1  # rows were dropped, and said so
    q, t = out["quality"], out["tables"]
    assert q["dropped"] == {"unchanged_status": 3}
    assert q["examples"]["drop:unchanged_status"] == [f"{path}:3"]
    assert q["rows_read"] == 9 and q["rows_kept"] == 6
    (pros,) = [r for r in t["time_in_stage"] if r["stage"] == "Prospecting"]
    assert (pros["n"], pros["median_h"], pros["open"]) == (1, 720.0, 1)
    (grave,) = [r for r in t["graveyards"] if r["stage"] == "Prospecting"]
    assert grave["entered"] == 2
    assert not [m for m in t["moves"] if m["stage"] == m["to_stage"]]


def test_the_funnel_shape_counts_a_deal_whose_history_is_only_its_loss(
        tmp_path: Path) -> None:
    """Four deals came into the pipeline: two won (D4 with nothing but its win), one
    lost with nothing but its loss (D3), one open. Won: 2 of 4, 50 %; counted with the
    deals that hold only a win but not those that hold only a loss, it was 2 of 3."""
    path = tmp_path / "opportunity_history.csv"
    path.write_text(REPEATS, encoding="utf-8")
    _, out = _history(path)
    shape = {r["stage"]: r["pct_of_first"] for r in out["tables"]["shape"]}
    assert shape == {"Prospecting": 50.0, "Qualification": 25.0, "won": 50.0}


def test_a_refused_tables_columns_are_quoted_without_the_byte_order_mark(
        tmp_path: Path) -> None:
    """Salesforce's OpportunityHistory saved as Excel's «CSV UTF-8» (a byte-order mark
    first), its columns the API's: refused, naming the user's columns as they read
    them, «Name», not «\\ufeffName» with an invisible character inside the quotes (the
    deal's name is no deal column: names repeat)."""
    path = tmp_path / "Opportunity History.csv"
    path.write_bytes("\ufeffName,CreatedDate,StageName\nAcme renewal,02/07/2022,Prospecting\n"
                     .encode())
    result = CliRunner().invoke(cli, ["history", str(path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert "column among «Name», «CreatedDate», «StageName»" in result.stderr
    assert "\ufeff" not in result.stderr


def _graveyard(path: Path, *, won_straight: bool) -> None:
    """400 deals into «Proposal sent»: 30 % move on within 6 days (to «Contract», or
    every other one of them won straight from the stage), 25 % are lost after weeks,
    the rest stay."""
    rng = random.Random(0)
    end = datetime(2024, 7, 1, tzinfo=UTC)
    lines = ["deal_id,timestamp,stage"]
    for i in range(400):
        t0 = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.uniform(0, 170))
        rows = [(t0, "New"), (t0 + timedelta(hours=3), "Proposal sent")]
        u = rng.random()
        if u < 0.3:
            rows.append((t0 + timedelta(days=rng.uniform(1, 6)),
                         "won" if won_straight and i % 2 else "Contract"))
        elif u < 0.55 and (t := t0 + timedelta(days=rng.uniform(20, 60))) < end:
            rows.append((t, "lost"))
        lines += [f"D{i},{t.isoformat()},{s}" for t, s in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _grave_finding(path: Path) -> dict:
    _, out = _history(path)
    (f,) = [f for f in out["tables"]["findings"] if f["kind"] == "graveyard"]
    return f


def test_a_graveyard_names_the_stage_moved_on_to_only_when_it_is_the_one_way(
        tmp_path: Path) -> None:
    """Its shares count every way forward. With half the movers won straight from the
    stage, «29% … moved on to "Contract"» named a stage only half of them went to: the
    sentence then says where «moved on» leads. With «Contract» the one way, it is named."""
    both = tmp_path / "both.csv"
    _graveyard(both, won_straight=True)
    text = " ".join(_grave_finding(both)["finding"].split())
    assert "a day moved on (to a later stage or won) in their first 7 days" in text
    assert "moved on, against 29% of all that came in" in text
    assert "Contract" not in text
    one = tmp_path / "one.csv"
    _graveyard(one, won_straight=False)
    text = " ".join(_grave_finding(one)["finding"].split())
    assert "a day moved on to “Contract” in their first 7 days" in text
    assert "moved on, against 29% of all that came in" in text
    CliRunner().invoke(cli, ["history", str(both), "--lang", "uk", "-o", str(tmp_path / "uk")],
                       env={"NO_COLOR": "1"})
    page = " ".join(html.unescape((tmp_path / "uk" / "history.html").read_text(
        encoding="utf-8")).replace("\u00a0", " ").split())
    assert "далі (на наступний етап або в успіх) переходило" in page
    assert "далі перейшло 0%, а з усіх, що надійшли, — 29%" in page


DEAD_END_FUNNEL = """account "Dead end" {
  currency USD
  language en
}
source "Web" 1/day -> "Sales"."New" value 1000
pipeline "Sales" {
  stage "New" {
    -> "Stuck" 50%
    -> won 50%
  }
  stage "Stuck" {
    -> won 100%
  }
}
"""


def test_a_dead_end_says_why_nothing_is_at_stake(tmp_path: Path) -> None:
    """Half the deals are won from «New», half go to «Stuck» and never leave it (as a
    demo org's Prospecting deals never did): priced at what a deal coming into «Stuck»
    is worth, its deals bring nothing, and the sentence said a bare «$0 at stake»."""
    rows = ["deal_id,date,stage,amount"]
    for i in range(40):
        day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i)
        nxt = (day + timedelta(days=2), "won") if i % 2 else (day + timedelta(days=1), "Stuck")
        rows += [f"D{i},{day:%Y-%m-%d},New,1000", f"D{i},{nxt[0]:%Y-%m-%d},{nxt[1]},1000"]
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "f.funnel").write_text(DEAD_END_FUNNEL, encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", str(tmp_path / "f.funnel"),
                                      str(tmp_path / "h.csv"), "--format", "json"])
    (dead,) = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "dead_end"]
    assert dead["money"] == 0
    assert dead["text"].endswith("give the stage a way out; 0 at stake: what they would "
                                 "bring if won as often as the deals that come into the "
                                 "stage (0 a deal).")


DATA_LOADER = """"ID","OPPORTUNITYID","CREATEDBYID","CREATEDDATE","STAGENAME","AMOUNT","CLOSEDATE"
"008A1","006X1","005U1","2026-01-05T09:00:00.000Z","Prospecting","1000","2026-03-01"
"008A2","006X1","005U1","2026-02-04T09:00:00.000Z","Qualification","1200","2026-03-15"
"008A3","006X1","005U1","2026-02-10T09:00:00.000Z","Closed Won","1200","2026-02-10"
"008A4","006X2","005U2","2026-01-06T09:00:00.000Z","Prospecting","500","2026-03-01"
"008A5","006X2","005U2","2026-01-26T09:00:00.000Z","Closed Lost","500","2026-01-26"
"""


def test_salesforce_api_names_as_data_loader_saves_them(tmp_path: Path) -> None:
    """OpportunityHistory saved by Data Loader names its columns by their API names and
    puts the row's own ID first: it was «no deal and no stage column» (OPPORTUNITYID,
    STAGENAME, CREATEDDATE were not names the reader knew), and with ID read as the deal,
    every row would be a deal of its own. The deals are OPPORTUNITYID's, each row written
    at its CREATEDDATE."""
    path = tmp_path / "OpportunityHistory.csv"
    path.write_text(DATA_LOADER, encoding="utf-8")
    code, out = _history(path)
    assert code == 0
    assert out["deals"] == 2 and out["quality"]["rows_kept"] == 5
    conv = {(r["from_stage"], r["to_stage"]): (r["entered"], r["direct"])
            for r in out["tables"]["conversion"] if r["month"] == "all"}
    assert conv == {("Prospecting", "Qualification"): (2, 1), ("Qualification", "won"): (1, 1)}


@pytest.mark.parametrize(("lang", "label", "meaning"), [
    ("en", "dropped: unchanged_status",
     "dropped 3 rows: the deal entering the stage it is already in, which is no "
     "move (a CSV row or a Bitrix24 stage-history item repeating the deal's stage, such as "
     "a row written when only the amount changed; an amoCRM status change to the same "
     "status)"),
    ("ru", "отброшено: тот же этап",
     "отброшены 3 строки: вход сделки в этап, в котором она уже находится: это "
     "не переход (строка CSV или запись истории стадий Bitrix24, повторяющая этап сделки, "
     "например строка, записанная, когда изменилась только сумма; смена статуса amoCRM на "
     "тот же статус)"),
    ("uk", "відкинуто: той самий етап",
     "відкинуто 3 рядки: вхід угоди в етап, у якому вона вже перебуває: це не "
     "перехід (рядок CSV або запис історії стадій Bitrix24, що повторює етап угоди, "
     "наприклад рядок, записаний, коли змінилася лише сума; зміна статусу amoCRM на той "
     "самий статус)")])
def test_a_repeated_stage_is_said_as_what_it_is_in_every_format(
        tmp_path: Path, lang: str, label: str, meaning: str) -> None:
    """The rows dropped as `unchanged_status` come from every format (a CSV row or a
    Bitrix24 stage-history item repeating the deal's stage, an amoCRM status change to
    the same status): the quality section said «status change to the same status»,
    «отброшено: тот же статус — смена статуса на тот же статус», amoCRM's words, of a
    spreadsheet's rows. It now says what the record is, for each format."""
    path = tmp_path / "opportunity_history.csv"
    path.write_text(REPEATS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path), "--lang", lang],
                                env={"NO_COLOR": "1", "COLUMNS": "4000"})
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert f"│ {label} │" in said and meaning in said, said


def _opportunities(with_stage_change: bool) -> str:
    """Salesforce's Opportunity table as Data Loader saves it: 40 deals created a day
    apart, 10 open, 10 won after 10 days (their `CloseDate` moved to the day), 20 lost
    after 5 days with the `CloseDate` planned 60 days ahead, which a loss leaves as it
    is."""
    head = ["Id", "Name", "StageName", "Amount", "CreatedDate", "CloseDate",
            "LastStageChangeDate", "IsClosed", "IsWon"]
    rows = []
    for i in range(40):
        made = datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=i)
        stage, moved, planned = (("Prospecting", 1, 90), ("Closed Won", 10, 10),
                                 ("Closed Lost", 5, 60), ("Closed Lost", 5, 60))[i % 4]
        closed = "false" if stage == "Prospecting" else "true"
        rows.append([f"006X{i:03d}", f"Deal {i}", stage, "1000",
                     f"{made:%Y-%m-%dT%H:%M:%S.000Z}",
                     f"{made + timedelta(days=planned):%Y-%m-%d}",
                     f"{made + timedelta(days=moved):%Y-%m-%dT%H:%M:%S.000Z}", closed,
                     str(stage == "Closed Won").lower()])
    if not with_stage_change:
        head.remove("LastStageChangeDate")
        rows = [r[:6] + r[7:] for r in rows]
    return "\n".join(",".join(f'"{c}"' for c in r) for r in [head, *rows]) + "\n"


def test_salesforce_opportunity_table_closes_at_its_last_stage_change(tmp_path: Path) -> None:
    """The Opportunity table (one row per deal) was refused as a deal list, with the hint
    to rename `CreatedDate` and `CloseDate`, which read each lost deal's planned close as
    its close: 60 days in work where it took 5. With `LastStageChangeDate` it is read deal
    by deal, each deal created at `CreatedDate` and closed at its last stage change."""
    path = tmp_path / "Opportunity.csv"
    path.write_text(_opportunities(True), encoding="utf-8")
    code, out = _history(path)
    assert code == 0
    assert out["deals"] == 40
    (conv,) = [r for r in out["tables"]["conversion"] if r["month"] == "all"]
    assert (conv["from_stage"], conv["to_stage"], conv["entered"], conv["direct"]) == (
        "Open deal", "won", 40, 10)
    (stay,) = out["tables"]["time_in_stage"]
    assert (stay["n"], stay["median_h"], stay["max_h"], stay["open"]) == (30, 120.0, 240.0, 10)


def test_salesforce_opportunity_table_without_its_stage_change_is_refused(
        tmp_path: Path) -> None:
    """Without `LastStageChangeDate` the table has no time a deal closed: refused, with
    the Salesforce field to add (its `CloseDate` is the planned close)."""
    path = tmp_path / "Opportunity.csv"
    path.write_text(_opportunities(False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"{path}:3: a deal list, not a stage history" in said
    assert "Salesforce's Opportunity: add `LastStageChangeDate`" in said, said


def test_a_deal_list_whose_closes_are_mostly_undated_is_refused(tmp_path: Path) -> None:
    """A public Salesforce Opportunity table had `LastStageChangeDate` on 2 of its 146
    closed deals: each closed deal without it was left out whole, and the 73 left, all
    open, read as «Open deal» hoarding 98.63% of its deals, exit 1 with every table
    printed. More than half of the closes undated is refused, at the first one's line."""
    text = _opportunities(True).splitlines()
    head, rows = text[0], text[1:]
    cells = [r.split(",") for r in rows]
    for i, r in enumerate(cells):
        if r[2] != '"Prospecting"' and i % 8 != 1:  # a few won deals keep their close
            r[6] = '""'
    path = tmp_path / "Opportunity.csv"
    path.write_text("\n".join([head, *(",".join(r) for r in cells)]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert (f"{path}:4: 25 of the 30 won or lost deals have no «LastStageChangeDate»" in said
            ), said
    assert "Open deal" not in said


def test_an_opp_id_column_is_the_deal(tmp_path: Path) -> None:
    """A Salesforce OpportunityHistory as a public data set saves it, `OppID`,
    `CreatedDate`, `StageName`: «not a known history format», exit 2, for want of the
    abbreviation."""
    path = tmp_path / "Opportunity History.csv"
    path.write_text("\ufeffOppID,CreatedDate,StageName,SortOrder\n"
                    "006A,2022-04-06,Prospecting,1\n006A,2022-04-20,Qualification,2\n"
                    "006A,2022-05-02,Closed Won,10\n006B,2022-04-07,Prospecting,1\n"
                    "006B,2022-04-30,Closed Lost,11\n", encoding="utf-8")
    code, out = _history(path)
    assert code == 0
    assert out["deals"] == 2 and out["quality"]["rows_kept"] == 5


SF_HEAD = "Id,OpportunityId,CreatedDate,StageName,Amount\n"
SF_FUNNEL = """account "Demo" {
  currency USD
  language ru
}
source "Leads" 2/week -> "Sales"."Prospecting" value 100k
pipeline "Sales" main {
  stage "Prospecting" {
    -> won 50% after exp(5d)
    -> lost "No" 50% after exp(5d)
  }
}
"""


def _sf_rows(when: list[str]) -> str:
    return SF_HEAD + "".join(f"H{i},O{i // 2},{w},{'Prospecting' if i % 2 == 0 else 'Closed Won'},"
                             f"100\n" for i, w in enumerate(when))


@pytest.mark.parametrize("command", ["history", "audit", "forecast"])
def test_unreadable_times_are_refused_with_the_column_the_value_and_the_forms_read(
        tmp_path: Path, command: str) -> None:
    """Review s20 F5: a Salesforce demo org's OpportunityHistory saved with
    `02/23/26 08:55 PM` lost its 48 rows as «timestamp missing or unreadable (first at
    OpportunityHistory.csv:2)», nothing said why; `history` then printed twenty empty
    tables and `audit` «Аудит 0 сделок … находок нет». Now one error (exit 1) names the
    column, the line, the value and what it is, and the forms read."""
    path = tmp_path / "OpportunityHistory.csv"
    path.write_text(_sf_rows([f"02/{d:02d}/26 08:55 PM" for d in range(1, 21)]),
                    encoding="utf-8")
    funnel = tmp_path / "sf.funnel"
    funnel.write_text(SF_FUNNEL, encoding="utf-8")
    args = {"history": ["history", str(path)], "audit": ["audit", str(funnel), str(path)],
            "forecast": ["forecast", str(path), "--funnel", str(funnel)]}[command]
    res = CliRunner().invoke(cli, args, env={"NO_COLOR": "1"})
    said = " ".join(res.output.split())
    assert res.exit_code == 1, said
    assert (f"error: {path}:2: no time in column `CreatedDate` can be read (20 of 20 "
            "unreadable): the first is `02/01/26 08:55 PM`, a 12-hour time (AM/PM) with a "
            "two-digit year") in said, said
    assert "help: save the column as YYYY-MM-DD HH:MM" in said and "h:mm AM/PM" in said
    assert "находок нет" not in said and "Traceback" not in said


def test_salesforce_us_twelve_hour_times_are_read(tmp_path: Path) -> None:
    """Salesforce's report export in the United States locale writes `2/23/2026 8:55 PM`
    (`2/23/2026, 8:55 PM` with ICU's formats): read on the 24-hour clock."""
    path = tmp_path / "OpportunityHistory.csv"
    path.write_text(_sf_rows(["2/3/2026 8:55 AM", '"2/13/2026, 8:55 PM"',
                              "2/14/2026 12:05 AM", "2/20/2026 12:30 PM"]), encoding="utf-8")
    code, out = _history(path)
    assert code == 0, out["quality"]
    assert out["quality"]["rows_kept"] == 4
    from funnelc.history.load import load_history

    ts = sorted(load_history([str(path)]).events["ts"].to_list())
    assert [t.strftime("%m-%d %H:%M") for t in ts] == [
        "02-03 08:55", "02-13 20:55", "02-14 00:05", "02-20 12:30"]


@pytest.mark.parametrize("command", ["history", "audit"])
def test_a_history_of_no_events_is_refused_not_reported(tmp_path: Path, command: str) -> None:
    """Every row dropped (here: no stage): `history` printed its empty tables, `audit`
    «no findings» about nothing; both refuse it, as `fit` and `forecast` do, with the
    data-quality lines that say why."""
    path = tmp_path / "h.csv"
    path.write_text("deal_id,timestamp,stage\n1,2026-02-01 10:00,\n2,2026-02-02 10:00,\n",
                    encoding="utf-8")
    funnel = tmp_path / "sf.funnel"
    funnel.write_text(SF_FUNNEL, encoding="utf-8")
    args = ["history", str(path)] if command == "history" else ["audit", str(funnel), str(path)]
    res = CliRunner().invoke(cli, args, env={"NO_COLOR": "1"})
    said = " ".join(res.output.split())
    assert res.exit_code == 1, said
    assert f"error: {path}: the history holds no events: every row was dropped" in said
    assert "dropped 2 rows" in said
    assert "находок нет" not in said and "no findings" not in said.lower()
