"""The absorbing chain and the account's traffic equations (`funnelc.analysis.markov`):
hand-solved funnels, the research note's §4.3 funnel, reopens, copies, stuck deals,
loops nobody leaves, and random accounts checked against dense linear algebra."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest

from funnelc import load_text
from funnelc.analysis.markov import (
    account_chain,
    expected_visits,
    profile_factor,
    solve_backward,
    solve_forward,
    win_probabilities,
)
from funnelc.model import FunnelFile

# Research note §4.3: Lead → Qualified → Meeting → Proposal → Negotiation with rework
# loops Proposal → Meeting 10 % and Negotiation → Proposal 20 %, λ = 200 leads/day,
# mean times in stage 1, 3, 5, 4, 7 days (lognormal; M/G/∞ does not care).
FUNNEL_43 = """
source Web 200/day -> "Sales"."Lead"
pipeline Sales main {
  stage Lead { -> Qualified 40% after lognormal(1d, 1d)
               -> lost "junk" 60% after lognormal(1d, 1d) }
  stage Qualified { -> Meeting 60% after lognormal(3d, 2d)
                    -> lost "no budget" 40% after lognormal(3d, 2d) }
  stage Meeting { -> Proposal 70% after lognormal(5d, 4d)
                  -> lost "no show" 30% after lognormal(5d, 4d) }
  stage Proposal { -> Negotiation 60% after lognormal(4d, 4d)
                   -> Meeting 10% after lognormal(4d, 4d)
                   -> lost "too expensive" 30% after lognormal(4d, 4d) }
  stage Negotiation { -> won 55% after lognormal(7d, 6d)
                      -> Proposal 20% after lognormal(7d, 6d)
                      -> lost "competitor" 25% after lognormal(7d, 6d) }
}
"""


def model(text: str, *, checks: bool = True) -> FunnelFile:
    loaded = load_text(text, "<test>", checks=checks)
    assert loaded.model is not None, loaded.diagnostics
    if checks:
        assert loaded.ok, [(d.code, d.message) for d in loaded.errors]
    return loaded.model


def test_research_note_funnel_visits_and_win_probability() -> None:
    chain = account_chain(model(FUNNEL_43))
    sales = chain.pipelines[0]
    visits = [s.visits_per_lead for s in sales.stages]
    assert visits == pytest.approx([1, .4, .2607, .2074, .1244], abs=1e-4)
    assert sales.absorption.p_win == pytest.approx(0.06844, abs=1e-5)
    # Exact closed form by hand: P = 0.168 / 0.81, N = 0.6 P, won = 0.55 N.
    assert sales.absorption.p_win == pytest.approx(0.55 * 0.6 * 0.168 / 0.81, rel=1e-12)
    assert [s.arrivals_per_hour * 24 for s in sales.stages] == pytest.approx(
        [200 * v for v in visits], rel=1e-12)
    total = sales.absorption.p_win + sum(sales.absorption.p_lost.values())
    assert total == pytest.approx(1.0, abs=1e-12)


def test_rework_loop_against_hand_solution() -> None:
    # A → B; B: won 50 %, back to A 20 %, lost 30 %.  w_B = 0.5 + 0.2 w_A, w_A = w_B.
    text = """
    source S 10/day -> "P"."A"
    pipeline P main {
      stage A { -> B }
      stage B { -> won 50%
                -> A 20%
                -> lost "no" 30% }
    }
    """
    chain = account_chain(model(text))
    a, b = chain.stages[("P", "A")], chain.stages[("P", "B")]
    assert a.absorption.p_win == pytest.approx(0.625, rel=1e-12)
    assert b.absorption.p_win == pytest.approx(0.625, rel=1e-12)
    assert b.absorption.p_lost == pytest.approx({"no": 0.375}, rel=1e-12)
    assert a.visits_per_lead == pytest.approx(1.25, rel=1e-12)
    assert b.visits_per_lead == pytest.approx(1.25, rel=1e-12)
    assert a.arrivals_per_hour == pytest.approx(10 / 24 * 1.25, rel=1e-12)


def test_reopen_loop_returns_part_of_a_lost_reason() -> None:
    # A: won 40 %, lost "x" 60 %; half of "x" reopens into A, a quarter into B.
    text = """
    source S 7/day -> "P"."A"
    pipeline P main {
      stage A { -> won 40%
                -> lost "x" 60% }
      stage B { -> won 100% }
      reopen "x" 50% after exp(14d) -> A
      reopen "x" 25% -> B
    }
    """
    chain = account_chain(model(text))
    a = chain.stages[("P", "A")]
    # w_A = 0.4 + 0.6 (0.5 w_A + 0.25 · 1) → w_A = 0.55 / 0.7
    assert a.absorption.p_win == pytest.approx(0.55 / 0.7, rel=1e-12)
    assert a.absorption.p_lost["x"] == pytest.approx(0.6 * 0.25 / 0.7, rel=1e-12)
    assert a.visits_per_lead == pytest.approx(1 / 0.7, rel=1e-12)
    assert chain.stages[("P", "B")].visits_per_lead == pytest.approx(0.15 / 0.7, rel=1e-12)
    assert a.lost_share == {"x": 0.6}


def test_copies_are_new_deals_in_another_pipeline() -> None:
    text = """
    source S 10/day -> "Sales"."Lead" value 100k
    pipeline Sales main {
      stage Lead { -> won 30% then copy "Prod"."New"
                   -> lost "no" 70% then copy "Nurture"."Warm" }
    }
    pipeline Prod production {
      stage New { -> won 90%
                  -> lost "refund" 10% }
    }
    pipeline Nurture nurture {
      stage Warm { -> won 20% then copy "Sales"."Lead"
                   -> lost "cold" 80% }
    }
    """
    chain = account_chain(model(text))
    lead = chain.stages[("Sales", "Lead")]
    # The deal's own fate ignores copies.
    assert lead.absorption.p_win == pytest.approx(0.3)
    # Traffic: λ_S = 10 + 0.2 λ_N, λ_N = 0.7 λ_S; λ_P = 0.3 λ_S (per day).
    lam_s = 10 / (1 - 0.14)
    assert lead.arrivals_per_hour * 24 == pytest.approx(lam_s, rel=1e-12)
    assert chain.stages[("Nurture", "Warm")].arrivals_per_hour * 24 == pytest.approx(0.7 * lam_s)
    assert chain.stages[("Prod", "New")].arrivals_per_hour * 24 == pytest.approx(0.3 * lam_s)
    prod = next(p for p in chain.pipelines if p.name == "Prod")
    assert prod.inflow_per_hour * 24 == pytest.approx(0.3 * lam_s)
    assert prod.absorption.p_win == pytest.approx(0.9)
    assert prod.won_per_hour * 24 == pytest.approx(0.9 * 0.3 * lam_s)
    assert not prod.entry_assumed
    # Final wins along the copy chain: a sale counts when production wins it, and a
    # nurture win counts through its copy back into sales.
    # v_S = 0.3·0.9 + 0.7·v_N, v_N = 0.2·v_S → v_S = 0.27 / 0.86
    assert lead.wins_with_copies == pytest.approx(0.27 / 0.86, rel=1e-12)


def test_pipeline_entry_mixes_sources_and_copies() -> None:
    text = """
    source A 6/day -> "Sales"."First"
    source B 2/day -> "Sales"."Second"
    pipeline Sales main {
      stage First { -> Second 50%
                    -> lost "no" 50% }
      stage Second { -> won 100% }
    }
    """
    sales = account_chain(model(text)).pipelines[0]
    assert sales.entry == pytest.approx({"First": 0.75, "Second": 0.25})
    assert [s.visits_per_lead for s in sales.stages] == pytest.approx([0.75, 0.25 + 0.375])
    assert sales.absorption.p_win == pytest.approx(0.625)


def test_stay_without_sla_is_stuck_and_with_sla_moves_on() -> None:
    text = """
    source S 10/day -> "P"."A"
    pipeline P main {
      stage A { -> B 50%
                -> lost "no" 20%
                stay 30% }
      stage B { sla 7d -> lost "slow"
                -> won 60%
                stay 40% }
    }
    """
    chain = account_chain(model(text))
    a, b = chain.stages[("P", "A")], chain.stages[("P", "B")]
    assert a.stuck_share == pytest.approx(0.3)
    assert a.absorption.p_stuck == pytest.approx(0.3)
    assert b.stuck_share == 0.0
    assert b.absorption.p_lost == pytest.approx({"slow": 0.4})
    assert a.absorption.p_win == pytest.approx(0.5 * 0.6)
    pipe = chain.pipelines[0]
    assert pipe.absorption.p_stuck == pytest.approx(0.3)
    assert pipe.stuck_per_hour * 24 == pytest.approx(3.0)


def test_loop_nobody_leaves_is_reported_not_solved() -> None:
    text = """
    source S 10/day -> "P"."A"
    pipeline P main {
      stage A { -> B 50%
                -> won 50% }
      stage B { -> C }
      stage C { -> B }
    }
    """
    chain = account_chain(model(text, checks=False))
    a, b = chain.stages[("P", "A")], chain.stages[("P", "B")]
    assert b.absorption.p_loop == 1.0
    assert b.absorption.p_win == 0.0
    assert a.absorption.p_loop == pytest.approx(0.5)
    assert a.absorption.p_win == pytest.approx(0.5)
    assert math.isinf(b.arrivals_per_hour) and math.isinf(b.visits_per_lead)
    assert a.arrivals_per_hour == pytest.approx(10 / 24)


def test_copies_that_multiply_give_unbounded_flow() -> None:
    text = """
    source S 1/day -> "X"."A"
    pipeline X main { stage A { -> won 100% then copy "Y"."B" } }
    pipeline Y { stage B { -> won 100% then copy "X"."A" } }
    """
    chain = account_chain(model(text, checks=False))
    assert math.isinf(chain.stages[("X", "A")].arrivals_per_hour)
    assert math.isinf(chain.stages[("Y", "B")].arrivals_per_hour)
    assert chain.stages[("X", "A")].absorption.p_win == 1.0  # each deal itself is won


def test_cadence_routes_by_reply_probability() -> None:
    text = """
    source S 10/day -> "P"."Call"
    pipeline P main {
      stage Call { cadence {
          call now 30%
          whatsapp 1h 20%
          call 1d 10%
          on reply -> won
          on exhausted -> lost "silent" } }
    }
    """
    a = account_chain(model(text)).stages[("P", "Call")]
    p_reply = 1 - 0.7 * 0.8 * 0.9
    assert a.absorption.p_win == pytest.approx(p_reply)
    assert a.absorption.p_lost == pytest.approx({"silent": 1 - p_reply})


def test_month_profile_scales_sources() -> None:
    text = """
    source S 12/day -> "P"."A" profile jan 80%, sep 150%
    pipeline P main { stage A { -> won 100% } }
    """
    funnel = model(text)
    src = funnel.sources[0]
    assert profile_factor(src, "sep") == 1.5
    assert profile_factor(src, "mar") == 1.0
    assert profile_factor(src, None) == pytest.approx((0.8 + 1.5 + 10) / 12)
    assert account_chain(funnel, "jan").stages[("P", "A")].arrivals_per_hour == \
        pytest.approx(0.5 * 0.8)
    with pytest.raises(ValueError, match="unknown month"):
        account_chain(funnel, "janvier")


def test_narrow_entry_points_for_lint_and_exporters() -> None:
    funnel = model(FUNNEL_43)
    visits = expected_visits(funnel)
    wins = win_probabilities(funnel)
    assert visits[("Sales", "Meeting")] == pytest.approx(0.260741, abs=1e-6)
    # Negotiation: w_N = 0.55 + 0.2 w_P; w_P = 0.6 w_N + 0.1 w_M; w_M = 0.7 w_P.
    w_p = 0.6 * 0.55 / (1 - 0.07 - 0.12)
    assert wins[("Sales", "Proposal")] == pytest.approx(w_p, rel=1e-12)
    assert wins[("Sales", "Negotiation")] == pytest.approx(0.55 + 0.2 * w_p, rel=1e-12)


# ------------------------------------------------------------------- solvers vs dense


def _dense_forward(n: int, edges: list[list[tuple[int, float]]], gamma: list[float]):
    np = pytest.importorskip("numpy")
    w = np.zeros((n, n))
    for i, succ in enumerate(edges):
        for j, p in succ:
            w[i, j] += p
    return np.linalg.solve(np.eye(n) - w.T, np.array(gamma)), w


@pytest.mark.parametrize("seed", range(8))
def test_solvers_match_dense_linear_algebra(seed: int) -> None:
    np = pytest.importorskip("numpy")
    rng = random.Random(seed)
    n = 60
    edges: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        budget = rng.uniform(0.3, 0.95)  # the rest leaves (won/lost)
        k = rng.randint(0, 3)
        for _ in range(k):
            j = rng.randrange(n)
            p = budget / k
            edges[i].append((j, p))
    gamma = [rng.random() if rng.random() < 0.2 else 0.0 for _ in range(n)]
    lam = solve_forward(n, edges, gamma)
    dense, w = _dense_forward(n, edges, gamma)
    assert lam == pytest.approx(list(dense), rel=1e-9, abs=1e-12)
    r = [{"won": rng.random() * (1 - sum(p for _, p in edges[i]))} for i in range(n)]
    x = solve_backward(n, edges, r, {"loop": 1.0})
    dense_x = np.linalg.solve(np.eye(n) - w, np.array([v["won"] for v in r]))
    assert [v.get("won", 0.0) for v in x] == pytest.approx(list(dense_x), rel=1e-9, abs=1e-12)


def test_random_accounts_sum_to_one_and_match_dense() -> None:
    """Funnel text with random shares, rework, reopens and copies: every stage's fate
    sums to 1, and the account's arrival rates equal a dense solve of λ = γ + Wᵀλ."""
    np = pytest.importorskip("numpy")
    rng = random.Random(7)
    lines = ['source S 30/day -> "P0"."S0"']
    for p in range(4):
        lines.append(f"pipeline P{p}{' main' if p == 0 else ''} {{")
        for s in range(6):
            back = rng.randrange(0, s) if s else None
            fwd = min(s + 1, 5)
            shares = [rng.randint(5, 40) for _ in range(3)]
            rest = 100 - sum(shares)
            copy = ""
            if p < 3 and s == 5:
                copy = f' then copy "P{p + 1}"."S0"'
            target = f"S{fwd}" if fwd != s else "won"
            lines.append(f"  stage S{s} {{")
            lines.append(f"    -> {target} {shares[0]}%")
            lines.append(f'    -> lost "r{s % 2}" {shares[1]}%{copy}')
            lines.append(f"    -> {'S' + str(back) if back is not None else 'won'} {shares[2]}%")
            lines.append(f"    -> won {rest}%")
            lines.append("  }")
        lines.append(f'  reopen "r0" 30% -> S{rng.randrange(6)}')
        lines.append("}")
    funnel = model("\n".join(lines), checks=False)
    chain = account_chain(funnel)
    for st in chain.stages.values():
        ab = st.absorption
        assert ab.p_win + sum(ab.p_lost.values()) + ab.p_stuck + ab.p_loop == \
            pytest.approx(1.0, abs=1e-12)
    keys = list(chain.stages)
    idx = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    w = np.zeros((n, n))
    for k, flow in chain.flows.stages.items():
        for r in flow.routes:
            if r.kind == "stage":
                w[idx[k], idx[r.stage]] += r.share
            if r.kind == "lost":
                for ro, tgt in chain.flows.reopens.get((k[0], r.reason), []):
                    w[idx[k], idx[tgt]] += r.share * ro.share.value
            if r.copy_to is not None:
                w[idx[k], idx[r.copy_to]] += r.share
    gamma = np.zeros(n)
    gamma[idx[("P0", "S0")]] = 30 / 24
    dense = np.linalg.solve(np.eye(n) - w.T, gamma)
    assert [chain.stages[k].arrivals_per_hour for k in keys] == pytest.approx(list(dense),
                                                                              rel=1e-9)


def test_core_is_pure_python() -> None:
    code = ("import sys, funnelc.analysis.markov, funnelc.analysis.exact; "
            "print(sorted(m for m in ('numpy', 'scipy', 'rich', 'simpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
