"""The terminal's inflow table says what «→ stage» in its source column is. Regression: a
history with no source column listed its new deals as «→ Closed Lost», «→ Prospecting»
under «source», and only the HTML's note said those are stages, not sources (found by a
new-user review on a public Salesforce OpportunityHistory table)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli


def _run(tmp_path: Path, source: bool) -> str:
    rows = ["deal_id,time,stage" + (",source" if source else "")]
    for i in range(12):
        tail = ",Сайт" if source else ""
        rows.append(f"D{i},2026-03-{2 + i:02d} 10:00,Новая{tail}")
        rows.append(f"D{i},2026-03-{3 + i:02d} 10:00,{('Встреча', 'lost')[i % 2]}{tail}")
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path), "--lang", "ru"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def test_stages_in_the_source_column_are_explained(tmp_path: Path) -> None:
    out = _run(tmp_path, source=False)
    assert "→ Новая" in out
    assert ("«→ этап»: сделки без источника (и копии в воронку, куда не ведёт ни один "
            "источник) по этапу, с которого они начались.") in out


def test_no_explanation_where_every_deal_has_its_source(tmp_path: Path) -> None:
    out = _run(tmp_path, source=True)
    assert "→ Новая" not in out and "«→ этап»" not in out
