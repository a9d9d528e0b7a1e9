"""Money (issue 15, points 3 and 4): costs of members, leads and budgets in the language;
revenue, costs, profit, cost per won deal and return per source in `simulate`; and
`staff --objective profit`, held to the exact optimum of a one-stage M/M/c+M funnel that
this file computes itself (the Erlang A birth-death chain, not funnelc's formula)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import reps
from funnelc.cli import cli

# λ = 2/h, μ = 1/h, patience exp(15m) (θ = 4/h), 10k per won deal, 2M a month per member:
# the exact profit curve peaks at 3 (5.58M, 6.23M, 5.65M a month at 2, 3, 4).
ERLANG_A = """\
account "Заявки" {
  currency RUB
  language ru
}

team "Менеджеры" size 2 cost 2M/month

source "Сайт" 2/hour -> "Продажи"."Заявка" value 10k

pipeline "Продажи" main {
  stage "Заявка" {
    owner "Менеджеры"
    work exp(1h)
    patience exp(15m) -> lost "Ушел к конкурентам"
    -> won
  }
}
"""
LAM, MU, THETA, VALUE, MEMBER_PER_MONTH = 2.0, 1.0, 4.0, 10_000.0, 2_000_000.0
MONTH = 730.0


def _abandon_share(c: int, lam: float, mu: float, theta: float, states: int = 400) -> float:
    """P(abandon) of M/M/c+M from its birth-death chain: π_n ∝ Π λ / (min(k, c)μ +
    (k - c)⁺θ); abandonments per hour are θ·E[(N - c)⁺], a share of λ."""
    weights = [1.0]
    for n in range(1, states):
        weights.append(weights[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    total = sum(weights)
    queued = sum(max(n - c, 0) * w for n, w in enumerate(weights)) / total
    return theta * queued / lam


def _exact_profit(c: int) -> float:
    revenue = LAM * VALUE * (1.0 - _abandon_share(c, LAM, MU, THETA)) * MONTH
    return revenue - c * MEMBER_PER_MONTH


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture
def erlang_a(tmp_path: Path) -> Path:
    path = tmp_path / "erlang_a.funnel"
    path.write_text(ERLANG_A, encoding="utf-8")
    return path


def test_profit_staffing_equals_the_exact_optimum(erlang_a: Path) -> None:
    curve = {c: _exact_profit(c) for c in range(1, 11)}
    optimum = max(curve, key=lambda c: curve[c])
    assert optimum == 3  # the parameters above were chosen for a clear peak
    code, out = _invoke("staff", str(erlang_a), "--team", "Менеджеры", "--objective", "profit",
                        "--days", "60", "--warmup", "5", "--reps", str(reps(6, 4)),
                        "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    profit = doc["profit"]
    assert doc["objective"] == "profit"
    assert profit["exact"]["optimum"] == optimum
    assert profit["best"] == optimum and doc["answer"] == optimum
    sizes = {s["size"]: s for s in profit["sizes"]}
    for c in (optimum - 1, optimum, optimum + 1):
        assert sizes[c]["exact_profit_per_month"] == pytest.approx(curve[c], rel=1e-6)
        sim = sizes[c]["profit_per_month"]
        # The simulated profit contains the exact one (99 %-ish: 1.5 × the 95 % half-width).
        assert abs(sim["mean"] - curve[c]) <= 1.5 * sim["ci95"] + 0.02 * abs(curve[c])
    # The neighbours are worse than the best on the paired difference.
    for c in (optimum - 1, optimum + 1):
        d = sizes[c]["versus_best"]
        assert d["mean"] + d["ci95"] < 0
    assert profit["flat_region"] == {"from": optimum, "to": optimum}
    code, schema = _invoke("schema", "staff")
    assert code == 0
    jsonschema.validate(doc, json.loads(schema))


def test_profit_subject_to_a_respond_target_is_the_smallest_size_meeting_it(
        erlang_a: Path) -> None:
    code, out = _invoke("staff", str(erlang_a), "--team", "Менеджеры", "--objective", "profit",
                        "--target", "respond 5m 95%", "--days", "60", "--warmup", "5",
                        "--reps", str(reps(6, 4)), "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    best = doc["profit"]["best"]
    sizes = {s["size"]: s for s in doc["profit"]["sizes"]}
    assert best > 3  # the target costs profit: the free optimum misses it
    assert sizes[best]["meets_targets"] and not sizes[best - 1]["meets_targets"]
    assert sizes[best - 1]["profit_per_month"]["mean"] > sizes[best]["profit_per_month"]["mean"]


def test_profit_text_names_the_answer_the_exact_model_and_money_in_roubles(
        erlang_a: Path) -> None:
    code, out = _invoke("staff", str(erlang_a), "--team", "Менеджеры", "--objective", "profit",
                        "--days", "30", "--warmup", "5", "--reps", "3")
    assert code == 0, out
    # The account is Russian: the answer is said in Russian (issue 16), --lang en in English.
    assert "самый прибыльный размер `Менеджеры`: 3" in out
    assert "Erlang A (M/M/c+M)" in out
    assert "млн\u00a0₽" in out  # money never wraps inside
    code, out = _invoke("staff", str(erlang_a), "--team", "Менеджеры", "--objective", "profit",
                        "--days", "30", "--warmup", "5", "--reps", "3", "--lang", "en")
    assert code == 0, out
    assert "most profitable size of `Менеджеры`: 3" in out


def test_staff_without_target_or_profit_is_a_usage_error(erlang_a: Path) -> None:
    result = CliRunner().invoke(cli, ["staff", str(erlang_a), "--team", "Менеджеры"])
    assert result.exit_code == 2
    assert "give at least one --target, or --objective profit" in result.output


def test_simulate_money_adds_up(tmp_path: Path) -> None:
    path = tmp_path / "money.funnel"
    path.write_text(ERLANG_A.replace(
        'value 10k', 'value 10k cost 500').replace(
        'source "Сайт"', 'source "Реклама" 1/hour -> "Продажи"."Заявка" value 10k '
                          'budget 300k/month\nsource "Сайт"'), encoding="utf-8")
    code, out = _invoke("simulate", str(path), "--days", "40", "--warmup", "5", "--reps", "3",
                        "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    money = doc["money"]
    hours = doc["run"]["observed_hours"]
    assert money["currency"] == "RUB"
    assert money["team_cost"]["mean"] == pytest.approx(2 * 2_000_000 / 730 * hours)
    site, ads = (next(s for s in money["sources"] if s["source"] == n)
                 for n in ("Сайт", "Реклама"))
    assert site["cost"]["mean"] == pytest.approx(500 * site["leads"]["mean"])
    assert ads["cost"]["mean"] == pytest.approx(300_000 / 730 * hours)
    assert money["lead_cost"]["mean"] == pytest.approx(site["cost"]["mean"] + ads["cost"]["mean"])
    assert money["cost"]["mean"] == pytest.approx(money["team_cost"]["mean"]
                                                  + money["lead_cost"]["mean"])
    assert money["profit"]["mean"] == pytest.approx(money["revenue"]["mean"]
                                                    - money["cost"]["mean"])
    assert money["revenue"]["mean"] == pytest.approx(site["revenue"]["mean"]
                                                     + ads["revenue"]["mean"])
    assert money["revenue"]["mean"] == pytest.approx(doc["account"]["revenue_won"]["mean"])
    assert site["revenue"]["mean"] == pytest.approx(10_000 * site["won"]["mean"])
    assert site["return_on_cost"]["mean"] > 0


def test_simulate_without_money_has_no_money_section(tmp_path: Path) -> None:
    path = tmp_path / "plain.funnel"
    path.write_text(ERLANG_A.replace(" cost 2M/month", "").replace(" value 10k", ""),
                    encoding="utf-8")
    code, out = _invoke("simulate", str(path), "--days", "10", "--warmup", "2", "--reps", "2",
                        "--format", "json")
    assert code == 0, out
    assert json.loads(out)["money"] is None
