"""Issue 14, the audit: a generated history with a known truth — five managers, one of
whom (Вера) converts half as well as the others from «Квалификация» to «Встреча»; two
sources, one of which («Реклама») brings leads half as good from the second month on —
must flag exactly that manager and that source, with the right effect size, and
nothing else at the 5 % level, over many seeds (fewer under CI=true; the assertions
are the same). Then `funnelc audit` on it: the findings by money at stake, the JSON
against its schema.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import history_once
from conftest import reps
from funnelc.cli import cli

jsonschema = pytest.importorskip("jsonschema")

MANAGERS = ("Анна", "Борис", "Вера", "Глеб", "Дина")
WEAK, WEAK_PAIR = "Вера", ("Квалификация", "Встреча")
SOURCES = ("Сайт", "Реклама")
JUNK, JUNK_PAIR = "Реклама", ("Заявка", "Квалификация")
QUALIFY, QUALIFY_JUNK, MEET = 0.5, 0.25, 0.4
DEALS = 5000
START = datetime(2024, 1, 1, tzinfo=UTC)
FUNNEL = """\
source "Сайт" 30/day -> "Продажи"."Заявка" value 100000
source "Реклама" 30/day -> "Продажи"."Заявка" value 100000
pipeline "Продажи" main sales {
  stage "Заявка" {
    -> "Квалификация" 45%
    -> lost "Спам" 55%
  }
  stage "Квалификация" {
    -> "Встреча" 35%
    -> lost "Дорого" 65%
  }
  stage "Встреча" {
    -> won 50%
    -> lost "Дорого" 50%
  }
}
"""


def generate(seed: int, path: Path) -> Path:
    """The known truth, as a CSV with manager and source columns. Deals arrive evenly
    over 90 days; every manager and source gets a fair share of them at random."""
    rng = random.Random(seed)
    lines = ["deal_id,timestamp,pipeline,stage,source,manager,loss_reason,value"]

    def row(deal: str, t: datetime, stage: str, src: str, who: str, reason: str = "") -> None:
        lines.append(f"{deal},{t.isoformat()},Продажи,{stage},{src},{who},{reason},100000")

    for i in range(DEALS):
        t = START + timedelta(days=rng.uniform(0, 90))
        src, who = rng.choice(SOURCES), rng.choice(MANAGERS)
        q = QUALIFY_JUNK if src == JUNK and t >= START + timedelta(days=31) else QUALIFY
        d = f"D{i}"
        row(d, t, "Заявка", src, who)
        t += timedelta(hours=rng.uniform(1, 48))
        if rng.random() >= q:
            row(d, t, "lost", src, who, rng.choice(("Спам", "Нецелевой")))
            continue
        row(d, t, "Квалификация", src, who)
        t += timedelta(hours=rng.uniform(1, 100))
        if rng.random() >= MEET * (0.5 if who == WEAK else 1.0):
            row(d, t, "lost", src, who, rng.choice(("Дорого", "Не отвечает")))
            continue
        row(d, t, "Встреча", src, who)
        t += timedelta(hours=rng.uniform(1, 100))
        row(d, t, "won" if rng.random() < 0.5 else "lost", src, who, "Дорого")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def history_json(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_known_truth_flags_exactly_the_weak_manager_and_the_junk_source(tmp_path: Path) -> None:
    seeds = reps(40, 10)
    false_managers = false_sources = 0
    manager_covered = source_covered = 0
    for seed in range(seeds):
        data = history_json(generate(seed, tmp_path / f"h{seed}.csv"))["tables"]
        flagged = [r for r in data["managers"] if r["flagged"]]
        weak = [r for r in flagged if r["manager"] == WEAK
                and (r["from_stage"], r["to_stage"]) == WEAK_PAIR]
        assert len(weak) == 1, (seed, flagged)
        w = weak[0]
        # Half as well as the rest: the ratio is 0.5 within sampling error (n ≈ 500).
        assert abs(w["rate"] / w["rest_rate"] - 0.5) < 0.2, (seed, w)
        assert w["deals_effect"] > 0 and w["money"] > 0
        manager_covered += w["diff_low"] <= QUALIFY * MEET * 0.5 - QUALIFY * MEET <= 0 and \
            w["diff_low"] <= -MEET / 2 <= w["diff_high"]
        false_managers += len(flagged) > 1
        src = [r for r in data["source_changes"] if r["flagged"]]
        junk = [r for r in src if r["source"] == JUNK
                and (r["from_stage"], r["to_stage"]) == JUNK_PAIR]
        assert len(junk) == 1, (seed, src)
        j = junk[0]
        assert abs(j["rate_last"] - QUALIFY_JUNK) < 0.08 and abs(j["rate_first"] - QUALIFY) < 0.08
        source_covered += j["diff_low"] <= QUALIFY_JUNK - QUALIFY <= j["diff_high"]
        false_sources += len(src) > 1
        # The effect in deals is the gap times the last month's entries.
        assert j["deals_effect"] == pytest.approx(-j["diff"] * j["entered_last"])
    # Nothing else at the 5 % level: no more seeds with a false flag than a 5 % rate
    # makes plausible (one-sided binomial test at 1 %), for managers and for sources.
    assert binomial_tail(false_managers, seeds, 0.05) > 0.01, false_managers
    assert binomial_tail(false_sources, seeds, 0.05) > 0.01, false_sources
    # The 95 % intervals of the effect hold the true effect as often as they should.
    assert binomial_tail(seeds - manager_covered, seeds, 0.05) > 0.01, manager_covered
    assert binomial_tail(seeds - source_covered, seeds, 0.05) > 0.01, source_covered


def test_audit_lists_findings_by_money_with_json_schema(tmp_path: Path) -> None:
    csv = generate(7, tmp_path / "h.csv")
    funnel = tmp_path / "sales.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(cli, ["audit", str(funnel), str(csv)], env={"NO_COLOR": "1"})
    assert text.exit_code == 0, text.output
    flat = " ".join(text.stdout.split())
    assert "1. " in flat and "Вера converts" in flat and "Source “Реклама” converts" in flat
    out = runner.invoke(cli, ["audit", str(funnel), str(csv), "--format", "json"],
                        env={"NO_COLOR": "1"})
    data = json.loads(out.stdout)
    schema = json.loads(runner.invoke(cli, ["schema", "audit"]).stdout)
    jsonschema.validate(data, schema)
    money = [f["money"] for f in data["findings"] if f["money"] is not None]
    assert money == sorted(money, reverse=True) and money
    kinds = {(f["kind"], f["subject"]) for f in data["findings"]}
    assert ("manager_conversion", WEAK) in kinds and ("source_quality", JUNK) in kinds
    assert not any(k == "manager_conversion" and s != WEAK for k, s in kinds)
    # Money follows from the deals: the won value per deal that reached «Встреча».
    f = next(f for f in data["findings"] if f["kind"] == "manager_conversion")
    assert f["money"] == pytest.approx(f["deals"] * 100000 * 0.5, rel=0.15)


@pytest.fixture(scope="module")
def seed3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(3, tmp_path_factory.mktemp("seed3") / "h.csv")


def test_history_html_has_the_funnel_plot_and_sections(seed3: Path) -> None:
    # `history -o -q` once in the session, as the test below reads it too.
    out = history_once([seed3, "-q"], {"NO_COLOR": "1"}).folder
    html = (out / "history.html").read_text(encoding="utf-8")
    for key in ("findings", "managers", "decomposition", "loss_reasons_missing",
                "graveyard_segments"):
        assert f'id="{key}"' in html
    assert "managers_funnel" in html and (out / "plots" / "managers_funnel.svg").exists()


def test_history_without_managers_or_sources_has_no_such_tables(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("deal_id,timestamp,stage\n1,2024-01-01T10:00:00,A\n1,2024-01-02T10:00:00,B\n"
                    "2,2024-01-01T10:00:00,A\n2,2024-01-03T10:00:00,lost\n", encoding="utf-8")
    data = history_json(path)["tables"]
    assert "managers" not in data and "decomposition" not in data
    assert data["findings"] == []


def test_audit_says_what_it_could_not_compare(tmp_path: Path) -> None:
    """Regression: on a history with no manager and no source the audit said «no
    manager, source, loss reason or graveyard stands out», as if every manager was fine."""
    funnel = tmp_path / "sales.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    plain = tmp_path / "plain.csv"
    rows = generate(7, tmp_path / "h.csv").read_text(encoding="utf-8").splitlines()
    plain.write_text("\n".join(",".join(r.split(",")[:4] + r.split(",")[6:7]) for r in rows)
                     + "\n", encoding="utf-8")  # deal_id,timestamp,pipeline,stage,loss_reason
    runner = CliRunner()
    text = runner.invoke(cli, ["audit", str(funnel), str(plain)], env={"NO_COLOR": "1"})
    flat = " ".join(text.stdout.split())
    assert "names no manager and no source, so neither was compared" in flat, flat
    assert "stands out clearly" not in flat
    out = runner.invoke(cli, ["audit", str(funnel), str(plain), "--format", "json"])
    data = json.loads(out.stdout)
    jsonschema.validate(data, json.loads(runner.invoke(cli, ["schema", "audit"]).stdout))
    assert data["compared"] == {"managers": False, "sources": False}
    full = runner.invoke(cli, ["audit", str(funnel), str(tmp_path / "h.csv"), "--format",
                               "json"])
    assert json.loads(full.stdout)["compared"] == {"managers": True, "sources": True}



def test_history_o_prints_the_tables_history_prints_and_writes_the_json_it_prints(
        seed3: Path) -> None:
    """`cli_once.history_once` lets one `history -o` run stand for `history` and
    `history --format json` (the tests of a shared export read all three): its stdout is
    the tables `history` prints and one last line saying what it wrote, its history.json
    the bytes `--format json` prints."""
    env = {"NO_COLOR": "1"}
    once = history_once([seed3, "-q"], env)
    text = CliRunner().invoke(cli, ["history", str(seed3), "-q"], env=env)
    data = CliRunner().invoke(cli, ["history", str(seed3), "-q", "--format", "json"], env=env)
    assert text.exit_code == data.exit_code == 0, text.output + data.output
    assert once.text == text.stdout and "Managers against the rest of the team" in once.text
    assert once.json == data.stdout
