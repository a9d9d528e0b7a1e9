"""A source-mix finding names the source whose share change moved the rate most, not the
one with the largest total effect (a Russian consultant's pass over `audit`).

The history, counted by hand (leads → qualified, January and February 2026):

    source   January         February        share        rate
    Яндекс   400 → 200 (50 %)  380 → 114 (30 %)  40 % → 38 %  −20 pp
    vk       100 →  10 (10 %)  300 →  30 (10 %)  10 % → 30 %    —
    Сайт     500 → 350 (70 %)  320 → 224 (70 %)  50 % → 32 %    —

Overall 56 % → 36.8 %: −19.2 pp. The average rate R̄ = 46.4 %, so by Kitagawa

    Яндекс  mix −0.02·(40 % − 46.4 %) = +0.128 pp   rate −20 pp·39 % = −7.8 pp
    vk      mix +0.20·(10 % − 46.4 %) = −7.28 pp    rate 0
    Сайт    mix −0.18·(70 % − 46.4 %) = −4.248 pp   rate 0

mix −11.4 pp, rate −7.8 pp (together −19.2 pp): a mix shift. Яндекс has the largest
total (−7.672 pp), but its share hardly moved; vk's share tripled at a rate far below
the average, and that is what the mix finding must name. Before the fix it named Яндекс.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

NEW, QUAL = "Заявка", "Квалификация"
# source → ((leads, qualified) in January, (leads, qualified) in February)
PLAN = {"Яндекс": ((400, 200), (380, 114)), "vk": ((100, 10), (300, 30)),
        "Сайт": ((500, 350), (320, 224))}
FUNNEL = """\
source "Сайт" 30/day -> "Продажи"."Заявка" value 100000
pipeline "Продажи" main sales {
  stage "Заявка" {
    -> "Квалификация" 50%
    -> lost "Спам" 50%
  }
  stage "Квалификация" {
    -> won 100%
  }
}
"""


def write_history(path: Path) -> Path:
    lines = ["deal_id,timestamp,pipeline,stage,source,loss_reason,value"]
    deal = 0
    for month, at in enumerate((datetime(2026, 1, 1, tzinfo=UTC),
                                datetime(2026, 2, 1, tzinfo=UTC))):
        for source, plan in PLAN.items():
            n, k = plan[month]
            for i in range(n):
                deal += 1
                # Spread over the first 25 days, each deal decided an hour after it came.
                t0 = at + timedelta(minutes=i * 25 * 24 * 60 // n)
                t1 = t0 + timedelta(hours=1)
                lines.append(f"L{deal},{t0.isoformat()},Продажи,{NEW},{source},,100000")
                stage, reason = (QUAL, "") if i < k else ("lost", "Спам")
                lines.append(f"L{deal},{t1.isoformat()},Продажи,{stage},{source},{reason},"
                             "100000")
    # One sale in March: the history runs past February, whose month is then complete.
    lines.append("L1,2026-03-02T10:00:00+00:00,Продажи,won,Яндекс,,100000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _json(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--format", "json"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_history(tmp_path_factory.mktemp("mix") / "leads.csv")


def test_the_mix_verdict_names_the_source_whose_share_moved(history: Path) -> None:
    tables = _json("history", str(history))["tables"]
    (row,) = [r for r in tables["decomposition"] if (r["from_stage"], r["to_stage"]) == (NEW, QUAL)]
    assert (row["first"], row["last"]) == ("2026-01", "2026-02")
    assert row["change"] == pytest.approx(-0.192)
    assert row["mix_effect"] == pytest.approx(-0.114)
    assert row["rate_effect"] == pytest.approx(-0.078)
    assert row["mix_effect"] + row["rate_effect"] == pytest.approx(row["change"], abs=1e-12)
    assert row["dominant"] == "mix"
    assert row["top_source"] == "vk"
    assert row["top_source_mix_effect"] == pytest.approx(-0.0728)
    assert row["top_source_rate_effect"] == pytest.approx(0.0, abs=1e-12)
    # The sentence says vk's part of the mix effect, the part it was named for.
    assert "source “vk” accounts for −7.3\u00a0pp of it" in row["verdict"], row["verdict"]
    assert "a different mix of sources (mix effect)" in row["verdict"]


def test_the_mix_finding_names_the_source_whose_share_moved(history: Path) -> None:
    funnel = history.parent / "sales.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    findings = _json("audit", str(funnel), str(history))["findings"]
    mix = [f for f in findings if f["kind"] == "source_mix"]
    assert [(f["stage"], f["subject"]) for f in mix] == [(NEW, "vk")]
    # 1000 February leads × the 11.4 pp of the mix effect.
    assert mix[0]["deals"] == pytest.approx(114)
