"""`forecast` of an account that declares a `sales` pipeline fed only by copies
(saleschef's shape): the open deals of «Продажи» had no amount and no source feeds the
pipeline, so they stood in with nothing and their sales booked 0 ₽ (saleschef's January
read 4.28 M ₽ for 11.4 M); and the account counted final wins, 3.4 in a January of 37
sales. Now an open deal without an amount is worth the mean value of the deals that
reach its stage (`markov.mean_value_at`), and the account counts sales, as its revenue.

By hand: «Сайт» brings 2 deals a day at 100 000 ₽, half of which qualification hands to
«Договор»; «Партнёры» 1 a day at 300 000 ₽, all handed on. One deal a day of each reaches
«Договор»: a deal there is worth (100 000 + 300 000) / 2 = 200 000 ₽.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc import load_file
from funnelc.analysis.markov import mean_value_at
from funnelc.cli import cli

FUNNEL = """\
account "Окна" {
  currency RUB
}

source "Сайт" 2/day -> "Квалификация"."Заявка" value 100k
source "Партнёры" 1/day -> "Квалификация"."Рекомендация" value 300k

pipeline "Квалификация" conversion qualification {
  stage "Заявка" {
    -> won 50% after exp(1d) then copy "Продажи"."Договор"
    -> lost "Спам" 50% after exp(1d)
  }
  stage "Рекомендация" {
    -> won 100% after exp(1d) then copy "Продажи"."Договор"
  }
}

pipeline "Продажи" main conversion sales {
  stage "Договор" {
    -> won 50% after exp(5d) then copy "Производство"."Изготовление"
    -> lost "Дорого" 50% after exp(5d)
  }
}

pipeline "Производство" conversion production {
  stage "Изготовление" {
    -> won 100% after exp(20d)
  }
}
"""


@pytest.fixture(scope="module")
def forecast(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("sales")
    funnel = folder / "okna.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    rows = ["deal_id,timestamp,pipeline,stage"]
    rows += [f"d{i},2024-03-{1 + i % 28:02d}T{9 + i % 9:02d}:00:00,Продажи,Договор"
             for i in range(200)]
    rows.append("last,2024-03-31T11:00:00,Квалификация,Заявка")
    history = folder / "h.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = CliRunner().invoke(
        cli, ["forecast", str(history), "--funnel", str(funnel), "--until", "2024-04-30",
         "--reps", "20", "--jobs", "1", "--format", "json"], env={"NO_COLOR": "1"})
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_the_mean_value_of_the_deals_that_reach_a_stage(tmp_path: Path) -> None:
    path = tmp_path / "okna.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    values = mean_value_at(load_file(path).model)
    assert values[("Продажи", "Договор")] == pytest.approx(200_000)
    assert values[("Квалификация", "Заявка")] == pytest.approx(100_000)
    assert values[("Производство", "Изготовление")] == pytest.approx(200_000)


def test_open_sales_book_the_value_of_the_deals_that_reach_them(forecast: dict) -> None:
    (row,) = [r for r in forecast["rows"] if r["pipeline"] == "Продажи"
              and r["origin"] == "open" and r["origin_stage"] == "Договор"]
    assert row["open_deals"] == 200 and row["open_value"] == pytest.approx(200 * 200_000)
    won, revenue = row["total"]["won"]["mean"], row["total"]["revenue"]["mean"]
    assert won > 50 and revenue == pytest.approx(200_000 * won)


def test_an_open_deal_is_worth_what_the_deals_reaching_its_stage_are(forecast: dict) -> None:
    """Only «Сайт» feeds «Заявка»: its open deal is worth 100 000 ₽, not the pipeline's
    rate-weighted (2 × 100 000 + 300 000) / 3 = 166 667 ₽."""
    (row,) = [r for r in forecast["rows"] if r["pipeline"] == "Квалификация"
              and r["origin"] == "open"]
    assert row["open_deals"] == 1 and row["open_value"] == pytest.approx(100_000)


def test_the_account_counts_sales_as_its_revenue_does(forecast: dict) -> None:
    total = next(r for r in forecast["rows"] if r["pipeline"] is None)["total"]
    sales = next(r for r in forecast["rows"] if r["pipeline"] == "Продажи"
                 and r["origin"] == "all")["total"]
    production = next(r for r in forecast["rows"] if r["pipeline"] == "Производство"
                      and r["origin"] == "all")["total"]
    assert total["won"]["mean"] == pytest.approx(sales["won"]["mean"])
    assert total["won"]["mean"] != pytest.approx(production["won"]["mean"])
    assert forecast["cumulative"][-1]["won"]["mean"] == pytest.approx(sales["won"]["mean"])
    assert total["revenue"]["mean"] == pytest.approx(sales["revenue"]["mean"])
    assert any("the whole account counts each sale, a win in “Продажи”" in n
               for n in forecast["notes"])
