"""A source's fall is priced at that source's deals, not the team's average deal (issue
14, point 2): the deals it lost are its own. A managers' gap is priced at the manager's
deal size (`managers._relative_size`, docs/audit.md); a source whose deals are worth
three times the others' was priced as if each of its lost deals were an average one,
and its finding ranked below findings worth less.

The history is written here with its truth known: «Реклама» (3,000 a deal) qualifies
half its leads in January–March and a tenth from April, «Сайт» (1,000 a deal) half
throughout; every qualified deal is won or lost within hours, alternately."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

VALUE = {"Сайт": 1000.0, "Реклама": 3000.0}
PER_MONTH = 40


Deal = tuple[str, str, bool, bool, float]
"""A deal's month, source, whether it was qualified, whether it was won, and value."""


def write_history(path: Path) -> list[Deal]:
    """Write the CSV; the deals' truth."""
    lines = ["deal_id,timestamp,pipeline,stage,source,value"]
    truth: list[Deal] = []
    won = 0
    for m in range(1, 7):
        for src in VALUE:
            good = PER_MONTH // 2 if src == "Сайт" or m <= 3 else PER_MONTH // 10
            for i in range(PER_MONTH):
                t = datetime(2026, m, 1 + i % 27, 10, tzinfo=UTC)
                deal, v = f"{src[0]}{m}-{i}", VALUE[src]
                rows = ["Лид"]
                if i < good:
                    rows.append("Квалифицирован")
                    won += 1
                    rows.append("won" if won % 2 else "lost")
                else:
                    rows.append("lost")
                for j, stage in enumerate(rows):
                    at = (t + timedelta(hours=j)).isoformat()
                    lines.append(f"{deal},{at},Продажи,{stage},{src},{v:.0f}")
                truth.append((f"2026-{m:02d}", src, i < good, rows[-1] == "won", v))
    # A deal in August: June's deals have had time to move on.
    lines.append("Z,2026-08-20T10:00:00+00:00,Продажи,Лид,Сайт,1000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def test_source_fall_is_priced_at_the_sources_deals(tmp_path: Path) -> None:
    truth = write_history(tmp_path / "history.csv")
    result = CliRunner().invoke(cli, ["history", str(tmp_path / "history.csv"), "--format",
                                      "json", "-q"], env={"NO_COLOR": "1"})
    tables = json.loads(result.stdout)["tables"]
    (row,) = [r for r in tables["source_changes"]
              if r["source"] == "Реклама" and r["from_stage"] == "Лид"]
    # Six whole months: January–February against May–June.
    assert (row["first"], row["last"]) == ("2026-01..2026-02", "2026-05..2026-06")
    assert row["flagged"]
    late = [d for d in truth if d[0] in ("2026-05", "2026-06")]
    ads = [d for d in late if d[1] == "Реклама"]
    rate_first, rate_last = 0.5, (PER_MONTH // 10) / PER_MONTH
    assert row["rate_first"] == rate_first and row["rate_last"] == rate_last
    deals = (rate_first - rate_last) * len(ads)
    assert abs(row["deals_effect"] - deals) < 1e-9
    # What a deal reaching «Квалифицирован» is worth across the team: the won value over
    # the deals that entered it (every deal has a value).
    qualified = [d for d in truth if d[2]]
    worth = sum(d[4] for d in qualified if d[3]) / len(qualified)
    # «Реклама»'s deals against the pair's, in the period whose deals the effect counts.
    size = (sum(d[4] for d in ads) / len(ads)) / (sum(d[4] for d in late) / len(late))
    assert size == 1.5
    assert abs(row["money"] - deals * worth * size) < 1e-6 * deals * worth
    (finding,) = [f for f in tables["findings"] if f["kind"] == "source_quality"]
    assert abs(finding["money"] - row["money"]) < 1e-6 * row["money"]

