"""Two figures a client read wrong, run the way a user runs the commands.

1. An account with `hours` counts `sla` and `respond` in working hours, yet
   `funnelc simulate pipelines/developer.funnel --days 180` wrote `sla 200h` as
   «SLA 8,33 дн.» (clock days: 200 working hours of a 10-hour day are 20 working days) and
   `sla 30h` as «30 год» with no hint it is working time. Limits are now working time
   wherever they are printed (simulate's table, the graveyard reason and its JSON
   message, the report's page, the playbook), said by the typed result
   (`limits_in_working_hours`); an account without `hours` prints as before.
2. No shipped example prices a cost, yet simulate, the report and analyze printed a cost
   of 0 and a profit equal to the revenue. Without a priced cost (`costs_priced` false)
   they show revenue and won deals only, with a note naming `cost` and `budget`; what-if
   metrics offer no cost or profit. A priced file prints both, profit below revenue.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli

DEVELOPER = str(PIPELINES / "developer.funnel")
SALESCHEF = str(PIPELINES / "saleschef.funnel")


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def _ways_out(text: str) -> list[str]:
    """The SLA rows of simulate's ways-out tables: `SLA 200 роб. год: відмова …`."""
    return re.findall(r"(?:SLA|sla) [^:│]+:", text)


# ------------------------------------------------------------ 1. working-hour limits


@pytest.fixture(scope="module")
def developer_text() -> str:
    """The exact command of the report: `funnelc simulate pipelines/developer.funnel
    --days 180` (the account's language, Ukrainian)."""
    return _run("simulate", DEVELOPER, "--days", "180")


def test_developer_sla_limits_are_working_hours_in_ukrainian(developer_text: str) -> None:
    """Regression: «SLA 8,33 дн.: відмова «Не визначився» …» for `sla 200h`, and
    «SLA 30 год» for `sla 30h`."""
    limits = _ways_out(developer_text)
    assert "SLA 200 роб. год:" in limits and "SLA 30 роб. год:" in limits, limits
    assert "SLA 300 роб. год:" in limits and "SLA 20 роб. год:" in limits, limits
    assert not any("дн." in x or re.search(r"\d год:", x) for x in limits), limits
    assert "8,33" not in developer_text


@pytest.mark.parametrize(("lang", "expected"), [("ru", "SLA 200 раб. ч:"),
                                                ("en", "sla 200 working h:")])
def test_developer_sla_limits_are_working_hours_in_every_language(lang: str,
                                                                  expected: str) -> None:
    limits = _ways_out(_run("simulate", DEVELOPER, "--days", "180", "--reps", "2",
                            "--lang", lang))
    assert expected in limits, limits
    assert not any(re.search(r"\d(\.\d+)?d:|дн\.", x) for x in limits), limits


def test_the_result_says_its_limits_count_working_hours() -> None:
    data = json.loads(_run("simulate", DEVELOPER, "--days", "40", "--reps", "2",
                           "--format", "json"))
    assert {s["limits_in_working_hours"] for s in data["stages"]} == {True}
    assert {s["limits_in_working_hours"] for s in json.loads(_run(
        "simulate", SALESCHEF, "--days", "40", "--reps", "2",
        "--format", "json"))["stages"]} == {False}


def test_an_account_without_hours_keeps_its_clock_limits() -> None:
    """saleschef.funnel has no `hours`: its limits read as any duration, days included
    (`sla 3d` is three clock days there), and never as working time."""
    limits = _ways_out(_run("simulate", SALESCHEF, "--days", "40", "--reps", "2"))
    assert limits and not any("раб." in x for x in limits), limits
    assert any(re.fullmatch(r"SLA \d+(,\d+)? дн\.:", x) for x in limits), limits
    english = _ways_out(_run("simulate", SALESCHEF, "--days", "40", "--reps", "2",
                             "--lang", "en"))
    assert not any("working" in x for x in english), english


LAWYERS = """\
account "Тест" {
  currency RUB
  hours mon-fri 09:00-19:00
  language ru
}

team "Юристы" size 3

source "Сайт" 1/day -> "Продажи"."Договор" value 100k

pipeline "Продажи" {
  stage "Договор" {
    owner "Юристы"
    respond 2h
    work 100h
    sla 5h -> lost "Затянули"
    -> won 100%
  }
}
"""
"""A stage whose deals in work outlive its SLA (the work finishes first): an
`older-than-sla` graveyard, ages and SLA counted in working hours."""


def _lawyers(tmp_path: Path, with_hours: bool) -> str:
    path = tmp_path / "lawyers.funnel"
    text = LAWYERS if with_hours else LAWYERS.replace("  hours mon-fri 09:00-19:00\n", "")
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("with_hours", [True, False])
def test_older_than_sla_says_working_hours_only_with_a_calendar(tmp_path: Path,
                                                                with_hours: bool) -> None:
    path = _lawyers(tmp_path, with_hours)
    run = ("--days", "60", "--reps", "3", "--seed", "1")
    data = json.loads(_run("simulate", path, *run, "--format", "json"))
    reason = next(r for r in data["stages"][0]["graveyard"]["reasons"]
                  if r["code"] == "older-than-sla")
    text = _run("simulate", path, *run)
    if with_hours:
        assert re.fullmatch(r"deals still here are [\d.]+ working h old on average, beyond "
                            r"the sla of 5 working h", reason["message"]), reason
        assert "в среднем старше SLA этапа (5 раб. ч)" in text
    else:
        assert re.fullmatch(r"deals still here are [\d.]+ h old on average, beyond the sla "
                            r"of 5 h", reason["message"]), reason
        assert "в среднем старше SLA этапа (5 часов)" in text


def test_report_page_writes_working_limits(tmp_path: Path) -> None:
    """The page's respond/SLA table and the graveyard story: `5 раб. ч`, `2 раб. ч`,
    never days (the headline said «… дня рабочего времени» for long limits)."""
    out = tmp_path / "report"
    _run("report", _lawyers(tmp_path, True), "-o", str(out), "--days", "60", "--reps", "3",
         "--seed", "1")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<td class="n"[^>]*>5 раб\. ч</td>', page)
    assert re.search(r'<td class="n"[^>]*>2 раб\. ч</td>', page)
    # The headline's age is the verdict's, in working hours too (it read «5,1 дня» against
    # an SLA of 5 working hours).
    assert re.search(r"было в среднем \d+(,\d)? раб\. ч, больше, чем его SLA в 5 раб\. ч", page)
    assert not re.search(r"SLA в [\d,]+ (дн|час)", page)


def test_playbook_says_respond_and_day_limits_in_working_hours(tmp_path: Path) -> None:
    """The respond rule counts working hours too; `sla 3d` is 72 working hours in the
    engine, not «3 days of working time» (three working days)."""
    path = tmp_path / "lawyers.funnel"
    path.write_text(LAWYERS.replace("sla 5h", "sla 3d"), encoding="utf-8")
    book = _run("export", str(path), "--to", "playbook-md")
    assert "2 часа рабочего времени с момента входа" in book
    # With the calendar's working days beside it (20005bd): 72 h of 10-hour days.
    assert "72 часа рабочего времени (≈ 7 рабочих дней по 10 ч) с момента входа" in book
    assert "3 дня" not in book


# ------------------------------------------------------------ 2. money with no cost priced


def test_developer_money_table_has_no_cost_or_profit(developer_text: str) -> None:
    """Regression: «витрати 0 ₴», «витрати на успішну угоду 0 ₴» and a bold «прибуток
    633 ±22,3 млн ₴» equal to the revenue."""
    money = developer_text[developer_text.index("гроші (вікно спостереження)"):]
    note = ("витрати не задано (немає `cost` у команд, немає `cost` чи `budget` у джерел): "
            "лише виручка та успішні угоди, без витрат і прибутку")
    assert note in money
    table = money[:money.index(note)]
    assert "виручка" in table and "виграно" in table and "разом" in table
    for word in ("прибуток", "витрати", "окупність", "0 ₴"):
        assert word not in table, word


def test_english_money_note_names_the_keywords() -> None:
    text = _run("simulate", DEVELOPER, "--days", "40", "--reps", "2", "--lang", "en")
    money = text[text.index("money (observed window)"):]
    assert "profit" not in money.replace("no cost or profit", "")
    assert ("no cost is priced (no team `cost`, no source `cost` or `budget`): revenue and "
            "won deals only, no cost or profit") in money


def test_developer_json_says_no_cost_is_priced() -> None:
    data = json.loads(_run("simulate", DEVELOPER, "--days", "40", "--reps", "2",
                           "--format", "json"))
    assert data["money"]["costs_priced"] is False
    assert data["money"]["revenue"]["mean"] > 0


PRICED = """\
account "Цены" {
  currency RUB
  language ru
}

team "Менеджеры" size 2 cost 150k/month

source "Сайт" 2/hour -> "Продажи"."Заявка" value 10k cost 300

pipeline "Продажи" main {
  stage "Заявка" {
    owner "Менеджеры"
    work exp(20m)
    -> won 70%
    -> lost "Отказ" 30%
  }
}
"""


def test_a_priced_file_prints_cost_and_profit_below_revenue(tmp_path: Path) -> None:
    path = tmp_path / "priced.funnel"
    path.write_text(PRICED, encoding="utf-8")
    run = ("--days", "20", "--warmup", "2", "--reps", "3", "--seed", "5")
    data = json.loads(_run("simulate", str(path), *run, "--format", "json"))["money"]
    assert data["costs_priced"] is True
    assert 0 < data["profit"]["mean"] < data["revenue"]["mean"]
    text = _run("simulate", str(path), *run)
    money = text[text.index("деньги (окно наблюдения)"):]
    assert "прибыль" in money and "затраты" in money and "затраты не заданы" not in money
    exact = _run("analyze", str(path))
    assert "прибыль" in exact and "затраты не заданы" not in exact


def test_analyze_shows_revenue_and_won_deals_only() -> None:
    text = _run("analyze", DEVELOPER)
    money = text[text.index("гроші (точний розрахунок"):]
    assert "виручка" in money and "успішні угоди" in money
    for word in ("прибуток", "витрати команд", "витрати на ліди", "окупність"):
        assert word not in money, word
    assert "витрати не задано (немає `cost` у команд" in money
    data = json.loads(_run("analyze", DEVELOPER, "--format", "json"))
    assert data["money"]["costs_priced"] is False


def test_report_money_section_shows_revenue_and_won_deals_only(tmp_path: Path) -> None:
    out = tmp_path / "report"
    _run("report", DEVELOPER, "-o", str(out), "--days", "40", "--reps", "2")
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<h3 id="money">'):]
    section = section[:section.index("</section>")]
    note = ("витрати не задано (немає <code>cost</code> у команд, немає <code>cost</code> чи "
            "<code>budget</code> у джерел): лише виручка та успішні угоди, без витрат і "
            "прибутку")
    assert note in section
    for word in ("прибуток", "витрати", "окупність", "коштували"):
        assert word not in section.replace(note, ""), word
    assert '<th scope="row">виручка</th>' in section
    assert '<th scope="row">успішні угоди</th>' in section
    # The summary's facts said «очікуваний прибуток на місяць (точно) 141 млн ₴», the
    # expected revenue again.
    assert "очікувана виручка на місяць (точно)" in page
    assert "прибуток" not in page.replace("без витрат і прибутку", "")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["simulation"]["money"]["costs_priced"] is False


def test_sweep_offers_no_profit_without_a_priced_cost() -> None:
    vary = ("--vary", 'team "Кол-центр" size 2..3', "--days", "40", "--reps", "1")
    data = json.loads(_run("sweep", DEVELOPER, *vary, "--format", "json"))
    keys = json.dumps(data)
    assert '"revenue"' in keys
    for key in ('"profit"', '"cost_per_won"', '"team_cost"'):
        assert key not in keys, key
    error = _run("sweep", DEVELOPER, *vary, "--metric", "profit", code=2)
    assert "metric `profit` needs a priced cost" in error
    assert "needs a None" not in error


def test_staff_objective_profit_needs_a_priced_cost() -> None:
    """Regression: `staff --objective profit` on a file pricing no cost searched sizes
    1–50 and answered «найприбутковіший розмір `Кол-центр`: 9 (102 млн ₴ на місяць)»,
    the revenue, with every member free."""
    error = _run("staff", DEVELOPER, "--team", "Кол-центр", "--objective", "profit",
                 "--days", "40", "--reps", "1", code=2)
    assert "Invalid value for '--objective'" in error
    assert "prices no cost (no team `cost`, no source `cost` or `budget`)" in error
