"""A consultant's acceptance pass on `funnelc audit`: small histories whose every number
was worked out by hand, each the exact input of a defect the pass found.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

START = datetime(2024, 1, 1, tzinfo=UTC)


FUNNEL = ('account "A" { language en }\n'
          'source "Сайт" 3/day -> "Продажи"."Заявка"\n'
          'pipeline "Продажи" sales {\n  stage "Заявка" { -> "Встреча" 50%\n'
          '    -> lost "Дорого" 50% }\n  stage "Встреча" { -> won }\n}\n')


def audit_json(path: Path) -> dict:
    funnel = path.with_suffix(".funnel")
    funnel.write_text(FUNNEL, encoding="utf-8")
    out = CliRunner().invoke(cli, ["audit", str(funnel), str(path), "--format", "json"],
                             env={"NO_COLOR": "1"})
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def mix_history(path: Path) -> Path:
    """«Сайт» converts 70 % and «Реклама» 10 %, both steadily; January has 90 and 10 of
    their deals, March 50 and 50. The overall rate falls 64 % → 40 % by the mix alone."""
    lines = ["deal_id,timestamp,pipeline,stage,source"]
    deal = 0
    for month, counts in ((1, {"Сайт": 90, "Реклама": 10}), (3, {"Сайт": 50, "Реклама": 50})):
        for source, n in counts.items():
            good = round(n * (0.7 if source == "Сайт" else 0.1))
            for i in range(n):
                deal += 1
                t = START.replace(month=month) + timedelta(hours=5 * i + 1)
                lines.append(f"D{deal},{t.isoformat()},Продажи,Заявка,{source}")
                nxt = "Встреча" if i < good else "lost"
                lines.append(f"D{deal},{(t + timedelta(hours=2)).isoformat()},Продажи,{nxt},{source}")
    # One deal in April, still open, so that March has had time to convert.
    lines.append(f"D{deal + 1},{START.replace(month=4, day=20).isoformat()},Продажи,Заявка,Сайт")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_mix_is_blamed_on_the_worse_source_that_grew(tmp_path: Path) -> None:
    """Kitagawa's mix term, source by source: by hand, with R̄ = (64 % + 40 %)/2 = 52 %,
    «Реклама» gained 40 points of share converting 42 points under it (−16.8 pp) and
    «Сайт» lost 40 converting 18 over it (−7.2 pp). Uncentred, «Сайт» carried −28 pp and
    «Реклама» +4 pp, and the audit said «more leads from worse sources, «Сайт» most» of
    the one good source."""
    data = audit_json(mix_history(tmp_path / "mix.csv"))
    (row,) = data["decomposition"]
    assert (row["first"], row["last"]) == ("2024-01", "2024-03")
    assert (row["rate_first"], row["rate_last"]) == pytest.approx((0.64, 0.40))
    assert row["mix_effect"] == pytest.approx(-0.24) and row["rate_effect"] == pytest.approx(0)
    assert row["dominant"] == "mix" and row["top_source"] == "Реклама"
    assert row["top_source_mix_effect"] == pytest.approx(0.4 * (0.1 - 0.52))
    (finding,) = [f for f in data["findings"] if f["kind"] == "source_mix"]
    assert finding["subject"] == "Реклама"
    assert "“Реклама” most" in finding["text"]


def test_a_loss_reason_spelled_two_ways_is_one_reason(tmp_path: Path) -> None:
    """«Дорого» three times and «дорого » (lower case, a trailing space) twice are one
    reason with five losses, written as the more frequent spelling; they were two, each
    with part of the losses."""
    reasons = ["Дорого", "дорого ", "Дорого", "Не отвечает", "дорого ", "Дорого"]
    lines = ["deal_id,timestamp,stage,loss_reason"]
    for i, reason in enumerate(reasons):
        t = START + timedelta(days=i)
        lines += [f"D{i},{t.isoformat()},Заявка,", f'D{i},{(t + timedelta(hours=1)).isoformat()},lost,"{reason}"']
    path = tmp_path / "reasons.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["history", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    losses = {r["reason"]: r["deals"] for r in json.loads(out.stdout)["tables"]["losses"]}
    assert losses == {"Дорого": 5, "Не отвечает": 1}


def test_money_at_stake_is_not_cut_by_missing_deal_values(tmp_path: Path) -> None:
    """Four deals reach «Встреча» (all Анна's): one won worth 200, one won without a
    value, two lost (100, no value). A deal there is worth 200 / 2 deals with a value =
    100, not 200 / 4 = 50 (a missing value counted as a deal worth nothing). Борис lost
    all four of his: 4 deals against Анна's 100 %, each at his deals' size, 100 against
    the 700 / 6 deals with a value at «Заявка» (not 700 / 8): 400 × 6 / 7 at stake."""
    rows = [("D1", "Анна", "200", "won"), ("D2", "Анна", "", "won"),
            ("D3", "Анна", "100", "lost"), ("D4", "Анна", "", "lost")]
    rows += [(f"D{i}", "Борис", "100", None) for i in range(5, 9)]
    lines = ["deal_id,timestamp,stage,manager,value"]
    for i, (deal, manager, value, end) in enumerate(rows):
        t = START + timedelta(days=i)
        lines.append(f"{deal},{t.isoformat()},Заявка,{manager},{value}")
        stages = ["Встреча", end] if end else ["lost"]
        for j, stage in enumerate(stages, 1):
            lines.append(f"{deal},{(t + timedelta(hours=j)).isoformat()},{stage},{manager},{value}")
    path = tmp_path / "values.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["history", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    (boris,) = [r for r in json.loads(out.stdout)["tables"]["managers"]
                if r["manager"] == "Борис"]
    assert (boris["entered"], boris["reached"], boris["rest_rate"]) == (4, 0, 1.0)
    assert boris["deals_effect"] == pytest.approx(4.0)
    assert boris["money"] == pytest.approx(400.0 * 100 / (700 / 6))


def test_the_funnel_plot_centres_on_the_managers_the_audit_did_not_flag(
        tmp_path: Path) -> None:
    """Four managers convert 8 of 20 deals each, «Слабый» 1 of 20: the audit flags him
    against the others' 40 % (32 of 80), and the plot's team line must be that 40 %,
    not the 33 % (33 of 100) of a team with him in, under which the four he is compared
    with sat on or above the upper limit."""
    from funnelc.history.analytics import analyse
    from funnelc.history.audit import run_audit
    from funnelc.history.load import load_history
    from funnelc.history.plots import funnel_plot
    from funnelc.i18n import translator

    lines = ["deal_id,timestamp,stage,manager"]
    deal = 0
    for manager, good in (("Анна", 8), ("Борис", 8), ("Вера", 8), ("Глеб", 8),
                          ("Слабый", 1)):
        for i in range(20):
            deal += 1
            t = START + timedelta(hours=3 * deal)
            nxt = "Встреча" if i < good else "lost"
            lines += [f"D{deal},{t.isoformat()},Заявка,{manager}",
                      f"D{deal},{(t + timedelta(hours=1)).isoformat()},{nxt},{manager}"]
    path = tmp_path / "team.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    audit = run_audit(analyse(load_history([str(path)])))
    assert audit.managers is not None
    flagged = audit.managers.filter("flagged")["manager"].to_list()
    assert flagged == ["Слабый"]
    ax = funnel_plot(audit, translator("en")).axes[0]
    team = next(line for line in ax.get_lines() if line.get_gid() == "team")
    assert list(team.get_ydata()) == pytest.approx([40.0, 40.0])


def test_a_manager_and_a_source_spelled_two_ways_are_one(tmp_path: Path) -> None:
    """«Иванов» three times and «иванов » (lower case, a trailing space) twice are one
    manager with five deals; «Яндекс Директ» three times and «яндекс директ» twice one
    source. They were two managers and two sources, each with part of the deals, the
    way loss reasons were before they were merged."""
    spellings = [("Иванов", "Яндекс Директ"), ("иванов ", "яндекс директ"),
                 ("Иванов", "Яндекс Директ"), ("Петров", "Сайт"),
                 ("иванов ", "яндекс директ"), ("Иванов", "Яндекс Директ")]
    lines = ["deal_id,timestamp,stage,manager,source"]
    for i, (manager, source) in enumerate(spellings):
        t = START + timedelta(days=i)
        lines += [f'D{i},{t.isoformat()},Заявка,"{manager}","{source}"',
                  f'D{i},{(t + timedelta(hours=1)).isoformat()},Встреча,"{manager}","{source}"']
    path = tmp_path / "names.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["history", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    tables = json.loads(out.stdout)["tables"]
    managers = {r["manager"]: r["entered"] for r in tables["managers"]}
    assert managers == {"Иванов": 5, "Петров": 1}
    sources: dict[str, int] = {}
    for r in tables["inflow"]:
        sources[r["source"]] = sources.get(r["source"], 0) + r["deals"]
    assert sources == {"Яндекс Директ": 5, "Сайт": 1}
