"""Money in the report (issue 15, point 3): report.html's Money table sets the simulated
money (scaled to a month) beside analyze's exact figures per month and per year, per
source and paid team, written as the account writes money; summary.json carries both and
follows its schema. The HTML is parsed, not searched as text."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.numfmt import money_in
from funnelc.report.summary import SUMMARY_SCHEMA_PATH

FUNNEL = """\
account "Деньги" {
  currency RUB
  language ru
}

team "Менеджеры" size 2 cost 150k/month

source "Сайт" 2/hour -> "Продажи"."Заявка" value 10k cost 300
source "Партнеры" 1/day -> "Продажи"."Заявка" value 50k budget 20k/month

pipeline "Продажи" main {
  stage "Заявка" {
    owner "Менеджеры"
    work exp(50m)
    patience exp(15m) -> lost "Ушел к конкурентам"
    -> won 70%
    -> lost "Отказ" 30%
  }
}
"""
RUN = ("--days", "20", "--warmup", "2", "--reps", "3", "--seed", "5", "--jobs", "1")


class Tables(HTMLParser):
    """Every table of the page as rows of cell texts, with the heading before it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.heading = ""
        self._in_heading = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h3":
            self._in_heading, self.heading = True, ""
        elif tag == "table":
            self.tables.append((self.heading, []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "nav":
            self._nav = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_heading = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None
        elif tag == "nav":
            self._nav = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.heading += data
        if self._cell is not None:
            self._cell.append(data)


def report(tmp_path: Path, text: str) -> tuple[Tables, dict]:  # type: ignore[type-arg]
    src = tmp_path / "money.funnel"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["report", str(src), "-o", str(out), *RUN])
    assert result.exit_code == 0, result.output
    page = Tables()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return page, summary


@pytest.fixture(scope="module")
def money_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tables, dict]:  # type: ignore[type-arg]
    return report(tmp_path_factory.mktemp("money"), FUNNEL)


def cash(x: float | None) -> str:
    return money_in(x, "RUB", "ru")


def test_the_money_table_sets_simulated_beside_exact(money_report: tuple[Tables, dict]) -> None:  # type: ignore[type-arg]
    page, summary = money_report
    sim, exact = summary["simulation"]["money"], summary["analysis"]["money"]
    month = 730.0 / summary["simulation"]["run"]["observed_hours"]
    # The account is `language ru`: the page speaks Russian.
    money = [rows for heading, rows in page.tables if heading == "Деньги"]
    assert len(money) == 4  # summary: totals and sources; exact analysis: the same two
    totals = {r[0]: r[1:] for r in money[0][1:]}
    assert list(totals) == ["выручка", "затраты на команду", "затраты на лиды", "все затраты",
                            "прибыль", "успешные сделки", "затраты на успешную сделку"]
    for label, key in (("выручка", "revenue"), ("все затраты", "cost"), ("прибыль", "profit")):
        simulated, per_month, per_year = totals[label]
        e = sim[key]
        assert simulated == f"{cash(e['mean'] * month)} ±{cash(e['ci95'] * month)}", label
        assert per_month == cash(exact["per_month"][key])
        assert per_year == cash(exact["per_year"][key])
    # Two members at 150k a month: no spread, and the same in both.
    assert totals["затраты на команду"] == ["300\u00a0тыс.\u00a0₽", "300\u00a0тыс.\u00a0₽", "3,6\u00a0млн\u00a0₽"]
    sources = {r[0]: r for r in money[1][1:]}
    assert set(sources) == {"Сайт", "Партнеры", "команда Менеджеры: 2 × 150\u00a0тыс.\u00a0₽"}
    partners = sources["Партнеры"]
    # A budget is the same every month, simulated or exact.
    assert partners[4] == "20\u00a0тыс.\u00a0₽ / 20\u00a0тыс.\u00a0₽"
    exact_rows = {r[0]: r[1:] for r in money[2][1:]}
    assert exact_rows["прибыль"] == [cash(exact["per_month"]["profit"]),
                                    cash(exact["per_year"]["profit"])]


def test_summary_json_carries_both_moneys_and_follows_its_schema(
        money_report: tuple[Tables, dict]) -> None:  # type: ignore[type-arg]
    _, summary = money_report
    jsonschema.validate(summary, json.loads(SUMMARY_SCHEMA_PATH.read_text("utf-8")))
    exact = summary["analysis"]["money"]
    assert exact["gave_up"][0]["stage"] == "Продажи.Заявка" and exact["gave_up"][0]["share"] > 0
    assert summary["simulation"]["money"]["currency"] == "RUB"


def test_a_report_without_prices_has_no_money_table(tmp_path: Path) -> None:
    text = ("team T size 2\nsource S 2/hour -> P.A\npipeline P {\n  stage A {\n    owner T\n"
            "    work exp(30m)\n    -> won\n  }\n}\n")
    page, summary = report(tmp_path, text)
    assert summary["analysis"]["money"] is None and summary["simulation"]["money"] is None
    assert not [h for h, _ in page.tables if h in ("Money", "Деньги")]
