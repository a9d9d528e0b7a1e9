"""Where revenue is booked when the account declares `sales` pipelines
(`routing.sales_pipelines`): at every win in them, `then copy` or not, and at no win
elsewhere; `analyze`'s closed form and `simulate` by the same rule. Without a `sales`
pipeline a copy chain books once, at its final win (tests/test_sim.py)."""

from __future__ import annotations

import math

from conftest import reps
from funnelc.analysis.exact import analyze_account
from test_sim import model, monthly_revenue, sim, within

# Sales hands every sale to production, production to delivery, delivery to the regular
# clients, who end lost or order again (copied back into sales): no chain ever ends in a
# plain win, so the rule of the final win booked nothing at all (saleschef.funnel).
CHAIN = """
account "A" { currency RUB }
source Web 10/day -> Sales.Lead value uniform(50k, 150k)
source Cold 10/day -> Nurture.Warm value uniform(50k, 150k)
pipeline Sales main sales {
  stage Lead {
    -> won 40% after exp(1d) then copy Production.Make
    -> lost "no" 60% after exp(1d)
  }
}
pipeline Nurture nurture {
  stage Warm {
    -> won 50% after exp(1d) then copy Sales.Lead
    -> lost "cold" 50% after exp(1d)
  }
}
pipeline Production production {
  stage Make {
    -> won 100% after exp(2d) then copy Delivery.Ship
  }
}
pipeline Delivery delivery {
  stage Ship {
    -> won 90% after exp(1d) then copy Regulars.Recent
    -> lost "broken" 10% after exp(1d)
  }
}
pipeline Regulars regulars {
  stage Recent {
    -> won 25% after exp(5d) then copy Sales.Lead
    -> lost "gone" 75% after exp(5d)
  }
}
"""

LEADS_PER_MONTH = 10 * 730 / 24
"""Each source's leads in the language's month (730 h)."""
SALES_PER_SALES_LEAD = 0.4 / (1 - 0.4 * 1.0 * 0.9 * 0.25)
"""s = 0.4 (1 + 0.9 · 0.25 · s): a deal entering sales is sold with 40 %, and each sale
comes back as a repeat order with 90 % (delivered) × 25 % (ordered again)."""
HAND_REVENUE = 100_000 * LEADS_PER_MONTH * (SALES_PER_SALES_LEAD + 0.5 * SALES_PER_SALES_LEAD)
"""Web's leads enter sales; Cold's enter it with nurture's 50 %. Mean value 100k."""


def test_a_chain_without_a_final_win_books_every_sale_in_analyze() -> None:
    exact = analyze_account(model(CHAIN))
    wins = {s.source: s.wins_per_lead for s in exact.sources}
    assert math.isclose(wins["Web"], SALES_PER_SALES_LEAD, rel_tol=1e-12)
    assert math.isclose(wins["Cold"], 0.5 * SALES_PER_SALES_LEAD, rel_tol=1e-12)
    assert exact.revenue_per_month is not None
    assert math.isclose(exact.revenue_per_month, HAND_REVENUE, rel_tol=1e-12)
    assert exact.money is not None
    assert math.isclose(exact.money.per_month.revenue, HAND_REVENUE, rel_tol=1e-12)
    # Every sale is booked: the booked wins are sales' won deals, none elsewhere.
    won = {p.name: p.won_per_month for p in exact.pipelines}
    assert math.isclose(exact.money.per_month.won, won["Sales"], rel_tol=1e-12)
    assert "`sales` pipeline" in exact.revenue_assumption


def test_a_chain_without_a_final_win_books_every_sale_in_simulate() -> None:
    r = sim(CHAIN, reps=reps(8, 6), days=400, warmup_days=60, seed=5)
    rev, monthly = monthly_revenue(r)
    assert within(monthly, HAND_REVENUE), (monthly, HAND_REVENUE)
    assert rev.mean is not None and rev.ci95 is not None
    assert rev.ci95 < 0.05 * rev.mean, "the interval must be narrow enough to mean something"
    assert r.pipeline("Sales").revenue_won == rev
    for name in ("Nurture", "Production", "Delivery", "Regulars"):
        p = r.pipeline(name)
        assert (p.won.mean or 0) > 100 and p.revenue_won.mean == 0.0, name
        assert p.passed_on_to == ["Sales"] and (p.passed_on_won.mean or 0) > 0, name
    # Each source's booked wins are sales' won deals: the money table adds up to them.
    assert r.money is not None
    booked = sum(s.won.mean or 0.0 for s in r.money.sources)
    assert booked == r.pipeline("Sales").won.mean


# Instant moves (no work, no delay): every lead goes through the whole chain the moment
# it arrives, so the counts are exact in one replication.
REPEAT = """
account "A" { currency RUB }
source Web 10/day -> Nurture.Warm value 100k
pipeline Nurture nurture {
  stage Warm { -> won then copy Sales.Lead }
}
pipeline Sales main sales {
  stage Lead { -> won then copy Production.Make }
  stage Repeat { -> won }
}
pipeline Production production {
  stage Make { -> won then copy Regulars.Recent }
}
pipeline Regulars regulars {
  stage Recent { -> won then copy Sales.Repeat }
}
"""


def test_a_repeat_order_is_booked_again_and_a_nurture_handoff_not_at_all() -> None:
    exact = analyze_account(model(REPEAT))
    (web,) = exact.sources
    assert web.wins_per_lead == 2.0, "the sale and the repeat order, each booked"
    assert web.revenue_per_month == 2 * 100_000 * LEADS_PER_MONTH

    r = sim(REPEAT, reps=1, days=30)
    leads = r.pipeline("Nurture").started.mean
    assert leads is not None and leads > 200
    assert r.pipeline("Sales").won.mean == 2 * leads
    assert r.account.revenue_won.mean == 2 * leads * 100_000
    assert r.pipeline("Sales").revenue_won == r.account.revenue_won
    for name in ("Nurture", "Production", "Regulars"):
        assert r.pipeline(name).won.mean == leads
        assert r.pipeline(name).revenue_won.mean == 0.0, name
    # Credit follows the booking: nurture brought the first sale, production and the
    # regulars the repeat order; sales books both itself.
    assert r.pipeline("Nurture").passed_on_won.mean == leads
    assert r.pipeline("Production").passed_on_won.mean == leads
    assert r.pipeline("Regulars").passed_on_won.mean == leads
    assert r.pipeline("Regulars").passed_on_revenue.mean == leads * 100_000
    assert r.pipeline("Sales").passed_on_won.mean == 0.0
    assert r.money is not None and r.money.sources[0].won.mean == 2 * leads


def test_without_a_sales_pipeline_the_chain_still_books_once_at_its_final_win() -> None:
    plain = REPEAT.replace(" nurture {", " {").replace(" main sales {", " main {") \
        .replace(" production {", " {").replace(" regulars {", " {")
    assert "sales" not in plain.replace("Sales", "")
    exact = analyze_account(model(plain))
    assert exact.sources[0].wins_per_lead == 1.0
    assert "`sales` pipeline" not in exact.revenue_assumption
    r = sim(plain, reps=1, days=30)
    leads = r.pipeline("Nurture").started.mean
    assert leads is not None and r.account.revenue_won.mean == leads * 100_000
    assert r.pipeline("Sales").won.mean == 2 * leads, "won counts every win, as before"
    assert r.pipeline("Nurture").passed_on_won.mean == leads
