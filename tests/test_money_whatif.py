"""Money in `whatif` and `sweep` (issue 15, point 3; labels and units from issue 16):
revenue, team and lead costs, profit and cost per won deal compared replication by
replication; the baseline is `simulate`'s money to the last digit, each scenario is
`simulate --scenario`'s, and money reads as the account writes it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from funnelc.cli import cli

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

scenario "Третий" {
  team "Менеджеры" size 3
}
"""
RUN = ("--days", "30", "--warmup", "3", "--reps", "6", "--seed", "11", "--jobs", "1")
MONEY = ("revenue", "team_cost", "lead_cost", "cost", "profit", "cost_per_won")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def funnel(tmp_path: Path) -> str:
    path = tmp_path / "money.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    return str(path)


def test_whatif_money_is_simulates_money_paired(funnel: str) -> None:
    doc = json.loads(invoke("whatif", funnel, "--format", "json", *RUN))
    base = {m["key"]: m for m in doc["metrics"]}
    (scen,) = doc["scenarios"]
    deltas = scen["deltas"]
    plain = json.loads(invoke("simulate", funnel, "--format", "json", *RUN))["money"]
    third = json.loads(invoke("simulate", funnel, "--format", "json", "--scenario", "Третий",
                              *RUN))["money"]
    for key in MONEY:
        assert base[key]["unit"] == "RUB"
        for got, want in ((base[key]["baseline"], plain[key]),
                          (deltas[key]["value"], third[key])):
            assert got["mean"] == pytest.approx(want["mean"], rel=1e-12), key
            assert got["ci95"] == pytest.approx(want["ci95"], rel=1e-9, abs=1e-9), key
        diff = deltas[key]["diff"]
        assert diff["mean"] == pytest.approx(third[key]["mean"] - plain[key]["mean"],
                                             rel=1e-9, abs=1e-6), key
    labels = {k: base[k]["label"] for k in MONEY}
    assert labels == {"revenue": "revenue", "team_cost": "team cost", "lead_cost": "lead cost",
                      "cost": "total cost", "profit": "profit",
                      "cost_per_won": "cost per won deal"}
    # A third member costs 150k a month, whatever the replication: no spread at all.
    team = deltas["team_cost"]["diff"]
    observed = 27 * 24.0
    assert team["mean"] == pytest.approx(150e3 * observed / 730.0, rel=1e-12)
    assert not team["ci95"]
    # Common random numbers: the same leads arrive, so the leads cost the same.
    assert deltas["lead_cost"]["verdict"] == "identical"
    # Fewer deals give up: revenue grows, and pairing makes its interval narrower
    # than the two runs' own intervals side by side.
    revenue = deltas["revenue"]
    assert revenue["verdict"] == "better"
    unpaired = math.hypot(base["revenue"]["baseline"]["ci95"], revenue["value"]["ci95"])
    assert revenue["diff"]["ci95"] < 0.75 * unpaired
    code = CliRunner().invoke(cli, ["schema", "whatif"])
    jsonschema.validate(doc, json.loads(code.stdout))


def test_whatif_text_writes_money_as_money_with_labels(funnel: str) -> None:
    out = invoke("whatif", funnel, *RUN)
    # A `language ru` account: labels in Russian, money with its scale word and sign.
    for text in ("выручка", "прибыль", "затраты всего", "затраты на выигранную сделку",
                 "млн\u00a0₽", "тыс.\u00a0₽", "деньги и число сделок — за 27 наблюдаемых дней",
                 "цикл до успеха (Продажи)"):
        assert text in out, text
    assert "cost_per_won" not in out and "e+0" not in out


def test_a_file_without_prices_has_only_revenue(tmp_path: Path) -> None:
    path = tmp_path / "plain.funnel"
    path.write_text("team T size 2\nsource S 2/hour -> P.A\npipeline P {\n  stage A {\n"
                    "    owner T\n    work exp(30m)\n    -> won\n  }\n}\n", encoding="utf-8")
    doc = json.loads(invoke("whatif", str(path), "--set", "team T size 3", "--format", "json",
                            *RUN))
    keys = {m["key"] for m in doc["metrics"]}
    assert "revenue" in keys and not keys & {"profit", "cost", "team_cost", "cost_per_won"}


def test_sweep_shows_profit_by_default_and_in_its_json(funnel: str) -> None:
    out = invoke("sweep", funnel, "--vary", 'team "Менеджеры" size 2..3', *RUN)
    assert "прибыль" in out and "млн\u00a0₽" in out
    doc = json.loads(invoke("sweep", funnel, "--vary", 'team "Менеджеры" size 2..3',
                            "--format", "json", *RUN))
    schema = json.loads(CliRunner().invoke(cli, ["schema", "sweep"]).stdout)
    jsonschema.validate(doc, schema)
    plain = json.loads(invoke("simulate", funnel, "--format", "json", *RUN))["money"]
    first = {m["metric"]: m for m in doc["points"][0]["metrics"] if m["subject"] is None}
    assert first["profit"]["label"] == "profit" and first["profit"]["unit"] == "RUB"
    assert first["profit"]["mean"] == pytest.approx(plain["profit"]["mean"], rel=1e-12)


@pytest.mark.parametrize(("reps", "verdict"), [("3", "no change"), ("6", "worse")])
def test_a_difference_the_same_in_every_replication_needs_the_sign_tests_runs(
        funnel: str, reps: str, verdict: str) -> None:
    """A third member adds exactly 150k a month to the team's cost in every replication:
    a paired difference of sd 0, whose t-interval has width 0. With 3 replications it
    was called significant («worse», no ± at all); the exact sign test's p for 3 of one
    sign is 0.25, so it is not, and from 6 (p = 0.031) it is."""
    run = ("--days", "30", "--warmup", "3", "--reps", reps, "--seed", "11", "--jobs", "1")
    doc = json.loads(invoke("whatif", funnel, "--format", "json", *run))
    (scen,) = doc["scenarios"]
    cost = scen["deltas"]["team_cost"]
    assert cost["diff"]["sd"] == 0 and cost["diff"]["mean"] > 0, cost
    assert cost["verdict"] == verdict and cost["significant"] == (verdict != "no change")
