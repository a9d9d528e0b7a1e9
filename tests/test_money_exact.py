"""`funnelc analyze`'s money (issue 15, point 3): expected revenue, team and lead costs,
profit, cost per won deal and return per source, per month and per year, with the deals
that give up waiting (`patience`) taken out of the wins. Every figure is held to a closed
form this file computes by hand (Erlang A by its own birth-death chain), to 1e-9."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from funnelc.cli import cli

MONTH = 730.0

# Two sources: "Сайт" (500 per lead) goes through the queue at "Заявка", where a deal
# waits for one of 3 managers (work exp(1h)) at most exp(20m); "Партнеры" (a 100k/month
# budget) enters "Договор" directly. 60 % of the served go on to "Договор", which wins
# half of its deals.
TWO_SOURCES = """\
account "Деньги" {
  currency RUB
  language ru
}

team "Менеджеры" size 3 cost 90k/month

source "Сайт" 2.5/hour -> "Продажи"."Заявка" value 40k cost 500
source "Партнеры" 100/month -> "Продажи"."Договор" value 200k budget 100k/month

pipeline "Продажи" main {
  stage "Заявка" {
    owner "Менеджеры"
    work exp(1h)
    patience exp(20m) -> lost "Ушел к конкурентам"
    -> "Договор" 60%
    -> lost "Отказ" 40%
  }
  stage "Договор" {
    -> won 50%
    -> lost "Не подписал" 50%
  }
}
"""
C, LAM, MU, THETA = 3, 2.5, 1.0, 3.0
SITE_VALUE, PARTNER_VALUE, PER_LEAD, BUDGET, MEMBER = 40e3, 200e3, 500.0, 100e3, 90e3
PARTNERS = 100.0 / MONTH


def abandon_share(c: int, lam: float, mu: float, theta: float, states: int = 600) -> float:
    """P(give up) in M/M/c+M from the birth-death chain: π_n ∝ Π λ / (min(k, c)μ +
    (k − c)⁺θ); give-ups per hour are θ·E[(N − c)⁺], a share of λ."""
    if lam <= 0:
        return 0.0
    weights = [1.0]
    for n in range(1, states):
        weights.append(weights[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    total = sum(weights)
    return theta * sum(max(n - c, 0) * w for n, w in enumerate(weights)) / total / lam


def analyze(path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["analyze", str(path), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "money.funnel"
    path.write_text(text, encoding="utf-8")
    return path


def close(got: float | None, want: float) -> None:
    assert got is not None
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_money_per_month_and_year_match_the_closed_form(tmp_path: Path) -> None:
    doc = analyze(write(tmp_path, TWO_SOURCES))
    money = doc["money"]
    p_ab = abandon_share(C, LAM, MU, THETA)
    assert 0.05 < p_ab < 0.5  # a give-up share that matters
    site_leads, partner_leads = LAM * MONTH, PARTNERS * MONTH
    site_won = site_leads * (1 - p_ab) * 0.6 * 0.5
    partner_won = partner_leads * 0.5
    revenue = site_won * SITE_VALUE + partner_won * PARTNER_VALUE
    team = C * MEMBER
    site_cost, partner_cost = site_leads * PER_LEAD, BUDGET
    cost = team + site_cost + partner_cost
    month = money["per_month"]
    for key, want in (("revenue", revenue), ("team_cost", team),
                      ("lead_cost", site_cost + partner_cost), ("cost", cost),
                      ("profit", revenue - cost), ("won", site_won + partner_won),
                      ("cost_per_won", cost / (site_won + partner_won))):
        close(month[key], want)
        close(money["per_year"][key], want * (1 if key == "cost_per_won" else 12))
    sources = {s["source"]: s for s in money["sources"]}
    site, partner = sources["Сайт"], sources["Партнеры"]
    close(site["leads_per_month"], site_leads)
    close(site["won_per_month"], site_won)
    close(site["revenue_per_month"], site_won * SITE_VALUE)
    close(site["cost_per_month"], site_cost)
    close(site["cost_per_won"], site_cost / site_won)
    close(site["return_on_cost"], (site_won * SITE_VALUE - site_cost) / site_cost)
    close(partner["cost_per_month"], BUDGET)
    close(partner["return_on_cost"], (partner_won * PARTNER_VALUE - BUDGET) / BUDGET)
    assert money["teams"] == [{"team": "Менеджеры", "size": 3,
                               "member_cost_per_month": pytest.approx(MEMBER, rel=1e-12),
                               "cost_per_month": pytest.approx(team, rel=1e-12)}]
    (gave_up,) = money["gave_up"]
    assert gave_up["stage"] == "Продажи.Заявка"
    close(gave_up["share"], p_ab)
    close(gave_up["per_month"], site_leads * p_ab)
    assert money["revenue_is_bound"] is False
    # The declared-shares revenue analyze has always printed still counts them.
    close(doc["revenue_per_month"], LAM * MONTH * 0.3 * SITE_VALUE + partner_won * PARTNER_VALUE)
    schema = json.loads(CliRunner().invoke(cli, ["schema", "analyze"]).stdout)
    jsonschema.validate(doc, schema)


def test_money_prints_in_the_accounts_currency_and_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", str(write(tmp_path, TWO_SOURCES))])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("деньги (точный расчёт, в среднем за год)", "в месяц", "в год", "прибыль",
                 "затраты на успешную сделку", "тыс.\u00a0₽", "млн\u00a0₽", "│ Сайт ",
                 # money's spaces do not break: «90 тыс. ₽» stays on one line
                 "команда Менеджеры: 3 × 90\u00a0тыс.\u00a0₽",
                 "не дождалось на этапе Продажи.Заявка",
                 "+1\u00a0781%"):  # a no-break space between thousands
        assert text in out, text
    english = CliRunner().invoke(cli, ["analyze", str(write(tmp_path, TWO_SOURCES)),
                                       "--lang", "en"]).stdout
    for text in ("money (exact, annual mean)", "per month", "per year", "profit",
                 "cost per won deal", "│ Сайт ", "team Менеджеры: 3 × RUB\u00a090k",
                 "RUB\u00a027.2M", "RUB\u00a0270k", "expected revenue: RUB\u00a031.9M per month",
                 "gave up waiting at Продажи.Заявка", "+1,781%"):
        assert text in english, text
    # English money is written as English writes it, never in the account's Russian
    # (it read «team Менеджеры: 3 × 90 тыс. ₽» and «27,2 млн ₽» among English words), and
    # roubles as the English audit writes them, the code before the figure («RUB 27.2M»).
    for russian in ("тыс.", "млн", "27,2", "₽", "M RUB", "k RUB"):
        assert russian not in english, russian
    assert "e+03%" not in out + english  # a return on cost is never in scientific notation


def test_a_seasonal_year_adds_up_twelve_months_each_with_its_own_give_ups(
        tmp_path: Path) -> None:
    """Give-ups are not linear in the rate: a year of profiles is the sum of its months,
    not 12 × the mean month."""
    profile = {"jan": 0.5, "jul": 1.6}
    text = TWO_SOURCES.replace('value 40k cost 500', 'value 40k cost 500 profile jan 50%, '
                               'jul 160%')
    doc = analyze(write(tmp_path, text))
    months = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
              "dec")
    revenue = 0.0
    for mo in months:
        lam = LAM * profile.get(mo, 1.0)
        revenue += (lam * MONTH * (1 - abandon_share(C, lam, MU, THETA)) * 0.3 * SITE_VALUE
                    + PARTNERS * MONTH * 0.5 * PARTNER_VALUE)
    close(doc["money"]["per_year"]["revenue"], revenue)
    mean = LAM * (10 + 0.5 + 1.6) / 12
    assert "twelve months" in doc["money"]["year_basis"]
    # The month asked for is priced at its own rate; the year does not change with it.
    jul = analyze(write(tmp_path, text), "--month", "jul")
    lam = LAM * 1.6
    close(jul["money"]["per_month"]["revenue"],
          lam * MONTH * (1 - abandon_share(C, lam, MU, THETA)) * 0.3 * SITE_VALUE
          + PARTNERS * MONTH * 0.5 * PARTNER_VALUE)
    close(jul["money"]["per_year"]["revenue"], revenue)
    close(doc["money"]["per_month"]["revenue"],
          mean * MONTH * (1 - abandon_share(C, mean, MU, THETA)) * 0.3 * SITE_VALUE
          + PARTNERS * MONTH * 0.5 * PARTNER_VALUE)


def test_give_ups_in_series_lower_the_next_queue(tmp_path: Path) -> None:
    """A second patience stage sees only the deals the first one kept: its give-up
    share is that of the thinned arrival rate."""
    text = """\
team A size 2 cost 50k/month
team B size 1
source S 3/hour -> P.First value 10k
pipeline P {
  stage First {
    owner A
    work exp(30m)
    patience exp(10m) -> lost "gone"
    -> Second
  }
  stage Second {
    owner B
    work exp(15m)
    patience exp(30m) -> lost "gone too"
    -> won
  }
}
"""
    doc = analyze(write(tmp_path, text))
    p1 = abandon_share(2, 3.0, 2.0, 6.0)
    lam2 = 3.0 * (1 - p1)
    p2 = abandon_share(1, lam2, 4.0, 2.0)
    won = 3.0 * MONTH * (1 - p1) * (1 - p2)
    money = doc["money"]
    close(money["per_month"]["won"], won)
    close(money["per_month"]["revenue"], won * 10e3)
    close(money["per_month"]["profit"], won * 10e3 - 2 * 50e3)
    shares = {g["stage"]: g["share"] for g in money["gave_up"]}
    close(shares["P.First"], p1)
    close(shares["P.Second"], p2)


def test_no_closed_form_for_the_give_ups_makes_revenue_an_upper_bound(tmp_path: Path) -> None:
    text = TWO_SOURCES.replace("work exp(1h)", "work uniform(30m, 90m)")
    doc = analyze(write(tmp_path, text))
    money = doc["money"]
    assert money["revenue_is_bound"] is True
    (gave_up,) = money["gave_up"]
    assert gave_up["share"] is None and "not exponential" in gave_up["reason"]
    assert any("upper bound" in n for n in money["notes"])
    out = CliRunner().invoke(cli, ["analyze", str(write(tmp_path, text))]).stdout
    assert "≤" in out


def test_a_file_without_prices_has_no_money(tmp_path: Path) -> None:
    text = "team T size 1\nsource S 1/hour -> P.A\npipeline P {\n  stage A {\n    owner T\n" \
           "    work exp(30m)\n    -> won\n  }\n}\n"
    doc = analyze(write(tmp_path, text))
    assert doc["money"] is None
    out = CliRunner().invoke(cli, ["analyze", str(write(tmp_path, text))]).stdout
    assert "money (exact" not in out and "profit" not in out
