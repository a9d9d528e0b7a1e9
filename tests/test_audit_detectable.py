"""«No finding» says what the comparisons could have seen (`history.detectable`,
`history.stats.detectable_gap`): a realty agency's fired manager, 70 % of showings to
a reservation against the team's 50 %, was not flagged, and the audit said only
«находок нет».

The gap is the normal approximation's; the exact power of the pooled z test at that gap
(both binomials enumerated) must be four in five or a little more, never less by more
than the approximation's slack, over the sample sizes and rates of real stage pairs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.stats import POWER, detectable_gap

scipy_stats = pytest.importorskip("scipy.stats")
optimize = pytest.importorskip("scipy.optimize")
np = pytest.importorskip("numpy")

ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def exact_power(n1: int, n2: int, p1: float, p2: float, alpha: float) -> float:
    """P(pooled two-proportion p < alpha), every (k1, k2) enumerated."""
    k1, k2 = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1), indexing="ij")
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(k1 / n1 - k2 / n2) / np.sqrt(var)
    p = np.where(var > 0, scipy_stats.norm.sf(z) * 2, 1.0)
    w = np.outer(scipy_stats.binom.pmf(np.arange(n1 + 1), n1, p1),
                 scipy_stats.binom.pmf(np.arange(n2 + 1), n2, p2))
    return float((w * (p < alpha)).sum())


@pytest.mark.parametrize(("n1", "n2", "rate", "m"), [
    (15, 60, 0.5, 20), (23, 70, 0.5, 20), (40, 160, 0.3, 30), (100, 400, 0.6, 40),
    (200, 800, 0.2, 100), (30, 120, 0.8, 10), (60, 240, 0.1, 20), (121, 279, 0.749, 18)])
def test_the_gap_is_seen_four_times_in_five(n1: int, n2: int, rate: float, m: int) -> None:
    alpha = 0.05 / m
    for lower in (True, False):
        gap = detectable_gap(n1, n2, rate, alpha, lower)
        if gap is None:
            # Out of reach: even the extreme rate is seen less than four times in five.
            extreme = 0.0 if lower else 1.0
            assert exact_power(n1, n2, extreme, rate, alpha) < POWER + 0.05
            continue
        p1 = rate - gap if lower else rate + gap
        got = exact_power(n1, n2, p1, rate, alpha)
        assert 0.78 <= got <= 0.9, (lower, gap, got)
        # And a third of the gap is seen far less often: the bound is not loose.
        p_small = rate - gap / 3 if lower else rate + gap / 3
        assert exact_power(n1, n2, p_small, rate, alpha) < 0.3


def scipy_gap(n1: int, n2: int, rate: float, alpha: float, lower: bool) -> float:
    """The same gap solved independently: scipy's normal and Brent's root."""
    z = scipy_stats.norm.isf(alpha / 2)

    def short(d: float) -> float:
        p1 = rate - d if lower else rate + d
        pooled = (n1 * p1 + n2 * rate) / (n1 + n2)
        s0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        s1 = math.sqrt(p1 * (1 - p1) / n1 + rate * (1 - rate) / n2)
        return (scipy_stats.norm.cdf((d - z * s0) / s1)
                + scipy_stats.norm.cdf((-d - z * s0) / s1) - POWER)

    return float(optimize.brentq(short, 1e-9, (rate if lower else 1 - rate) - 1e-9,
                                 xtol=1e-12))


# Four managers at one pair, every deal closed: Глеб 30, Анна 40, Вера 50, Борис 60
# deals at «Заявка», half of each reach «Встреча», half of those are won.
TEAM = {"Глеб": 30, "Анна": 40, "Вера": 50, "Борис": 60}
FUNNEL = """\
account "Окна" { currency RUB }
source "Сайт" 2/day -> "Продажи"."Заявка" value 100000
pipeline "Продажи" main sales {
  stage "Заявка" {
    -> "Встреча" 50%
    -> lost "Дорого" 50%
  }
  stage "Встреча" {
    -> won 50%
    -> lost "Дорого" 50%
  }
}
"""


def _history(path: Path) -> Path:
    lines = ["deal_id,timestamp,pipeline,stage,manager,loss_reason,value"]
    deal = 0
    for who, n in TEAM.items():
        for i in range(n):
            deal += 1
            day = f"2026-03-{1 + deal % 28:02d}"
            lines.append(f"D{deal},{day}T09:00:00,Продажи,Заявка,{who},,100000")
            if i % 2:
                lines.append(f"D{deal},{day}T12:00:00,Продажи,lost,{who},Дорого,100000")
                continue
            lines.append(f"D{deal},{day}T12:00:00,Продажи,Встреча,{who},,100000")
            end = "won" if i % 4 == 0 else "lost"
            lines.append(f"D{deal},{day}T15:00:00,Продажи,{end},{who},"
                         f"{'' if end == 'won' else 'Дорого'},100000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("detectable")
    funnel = tmp / "okna.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    return funnel, _history(tmp / "history.csv")


def _audit(*args: str) -> str:
    result = CliRunner().invoke(cli, ["audit", *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_no_finding_says_what_the_team_could_have_shown(account: tuple[Path, Path]) -> None:
    """By hand: the busiest pair is «Заявка» → «Встреча» (180 deals; the closing step
    has 90); its median manager (of 30, 40, 50, 60) is Анна with 40, the rest 140 deals
    of which 70 reached «Встреча»; 4 managers × 2 pairs = 8 comparisons, so the level is
    5 % / 8."""
    funnel, history = account
    data = json.loads(_audit(str(funnel), str(history), "--format", "json"))
    assert data["findings"] == []
    [d] = data["detectable"]
    assert (d["dimension"], d["subjects"], d["pairs"], d["comparisons"]) == (
        "managers", 4, 2, 8)
    assert (d["from_stage"], d["to_stage"], d["subject"], d["deals"], d["deals_other"]) == (
        "Заявка", "Встреча", "Анна", 40, 140)
    assert d["rate"] == pytest.approx(0.5)
    lower = scipy_gap(40, 140, 0.5, 0.05 / 8, True)
    higher = scipy_gap(40, 140, 0.5, 0.05 / 8, False)
    assert d["lower"] == pytest.approx(lower, abs=1e-6)
    assert d["higher"] == pytest.approx(higher, abs=1e-6)
    assert 0.78 <= exact_power(40, 140, 0.5 - lower, 0.5, 0.05 / 8) <= 0.9

    text = " ".join(_audit(str(funnel), str(history), "--lang", "ru").split())
    pp = f"{100 * lower:.1f}".replace(".", ",")
    assert "находок нет" in text
    assert "Что сравнения могли заметить:" in text
    assert ("4 менеджера сравнены с остальными в команде на 2 парах этапов "
            "(8 сравнений, поправка Холма).") in text
    assert "у типичного менеджера 40 сделок" in text
    assert f"хотя бы на {pp} п. п. ниже" in text
    assert "из 140 сделок" in text


def test_a_rate_near_the_edge_is_seen_on_one_side_only() -> None:
    """At a 97 % rate no rise can be told from chance with 40 deals against 140; at
    10 deals against 20 nothing can."""
    assert detectable_gap(40, 140, 0.97, 0.05 / 8, lower=False) is None
    assert detectable_gap(40, 140, 0.97, 0.05 / 8, lower=True) is not None
    assert detectable_gap(3, 5, 0.5, 0.05 / 40, lower=True) is None
    assert detectable_gap(3, 5, 0.5, 0.05 / 40, lower=False) is None


def test_each_managers_row_says_from_what_gap_it_would_be_clear(
        account: tuple[Path, Path]) -> None:
    """The busiest pair's paragraph speaks of the median manager; each row of the
    managers' table says its own: Глеб's 30 deals against the rest's 150 at «Заявка» →
    «Встреча» (75 reached, 50 %), 8 comparisons."""
    _, history = account
    res = CliRunner().invoke(cli, ["history", str(history), "--format", "json", "-q"], env=ENV)
    assert res.exit_code == 0, res.output
    rows = {(r["manager"], r["to_stage"]): r for r in json.loads(res.stdout)["tables"]["managers"]}
    gleb = rows[("Глеб", "Встреча")]
    assert (gleb["entered"], gleb["rest_entered"]) == (30, 150)
    assert gleb["seen_below"] == pytest.approx(scipy_gap(30, 150, 0.5, 0.05 / 8, True), abs=1e-6)
    assert gleb["seen_above"] == pytest.approx(scipy_gap(30, 150, 0.5, 0.05 / 8, False),
                                               abs=1e-6)
    anna = rows[("Анна", "Встреча")]
    assert anna["seen_below"] == pytest.approx(scipy_gap(40, 140, 0.5, 0.05 / 8, True),
                                               abs=1e-6)


def test_history_says_it_beside_the_findings(account: tuple[Path, Path], tmp_path: Path
                                            ) -> None:
    """history.html said nothing of what the comparisons could have shown: its findings
    table read «(нет)» alone, while the audit's terminal said it. Now the paragraph is a
    table of its own, right under the findings and above the plots, and history.json keeps
    its figures (Анна's 40 deals against 140, 8 comparisons, by hand above)."""
    funnel, history = account
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["history", str(history), "--funnel", str(funnel),
                                   "--lang", "ru", "-o", str(out), "-q"], env=ENV)
    assert res.exit_code == 0, res.output
    [d] = json.loads((out / "history.json").read_text("utf-8"))["tables"]["detectable"]
    assert (d["dimension"], d["subject"], d["deals"], d["deals_other"], d["comparisons"]) == (
        "managers", "Анна", 40, 140, 8)
    assert d["lower"] == pytest.approx(scipy_gap(40, 140, 0.5, 0.05 / 8, True), abs=1e-6)
    page = (out / "history.html").read_text("utf-8")
    heads = [h.split('"')[1] for h in page.split('<h2 id=')[1:]]
    assert heads[:3] == ["findings", "detectable", "plots"], heads
    section = page.split('<h2 id="detectable">')[1].split("<h2")[0]
    text = " ".join(section.replace("&nbsp;", " ").split())
    assert "Что сравнения могли заметить" in text
    assert "4 менеджера сравнены с остальными в команде на 2 парах этапов" in text
    assert "у типичного менеджера 40 сделок" in text
