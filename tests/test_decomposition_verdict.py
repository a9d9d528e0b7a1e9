"""The decomposition's one sentence says only what the history can tell. A change within
chance has nothing to split; a history that names one source, or none, cannot tell
marketing from sales; a rise is said as a rise, with "better" (it read «every source
converts worse» of a rate that rose by 8.8 points).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

START = datetime(2024, 1, 1, tzinfo=UTC)


def generate(path: Path, sources: tuple[str, ...], rate: tuple[float, float], deals: int,
             seed: int = 5) -> Path:
    """Deals over four months from `sources` (empty: no source column); «Заявка» →
    «Встреча» within two days at rate[0] in January, rate[1] from March on."""
    rng = random.Random(seed)
    head = "deal_id,timestamp,stage" + (",source" if sources else "")
    lines = [head]
    for i in range(deals):
        t = START + timedelta(days=rng.uniform(0, 120))
        src = f",{rng.choice(sources)}" if sources else ""
        lines.append(f"D{i},{t.isoformat()},Заявка{src}")
        r = rate[0] if t < START + timedelta(days=59) else rate[1]
        t += timedelta(days=rng.uniform(0.1, 2))
        if rng.random() >= r:
            lines.append(f"D{i},{t.isoformat()},lost{src}")
            continue
        lines.append(f"D{i},{t.isoformat()},Встреча{src}")
        lines.append(f"D{i},{(t + timedelta(days=1)).isoformat()},won{src}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def decomposition(path: Path) -> dict:
    out = CliRunner().invoke(cli, ["history", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    # «Встреча» → won, the closing stage's step (every deal there is won), has its own.
    (row,) = [r for r in json.loads(out.stdout)["tables"]["decomposition"]
              if r["to_stage"] == "Встреча"]
    return row


def test_a_change_within_chance_is_not_explained(tmp_path: Path) -> None:
    row = decomposition(generate(tmp_path / "a.csv", ("Сайт", "Реклама"), (0.5, 0.5), 300))
    assert row["p_value"] > 0.05
    assert "within chance" in row["verdict"] and "a marketing matter" not in row["verdict"]


def test_one_source_or_none_cannot_tell_marketing_from_sales(tmp_path: Path) -> None:
    none = generate(tmp_path / "b.csv", (), (0.6, 0.3), 3000)
    out = CliRunner().invoke(cli, ["history", str(none), "--format", "json"])
    assert "decomposition" not in json.loads(out.stdout)["tables"]  # no source column at all
    row = decomposition(generate(tmp_path / "b.csv", ("Сайт",), (0.6, 0.3), 3000))
    assert row["p_value"] < 0.001 and row["sources"] == 1, row
    assert "names one source, “Сайт”" in row["verdict"], row["verdict"]
    assert "cannot be split between marketing and sales" in row["verdict"]
    assert "a marketing matter" not in row["verdict"]


def test_a_rise_is_said_as_better(tmp_path: Path) -> None:
    row = decomposition(generate(tmp_path / "c.csv", ("Сайт", "Реклама", "Звонок"),
                                 (0.3, 0.6), 6000))
    assert row["change"] > 0 and row["p_value"] < 0.001
    assert "rose" in row["verdict"] and "worse" not in row["verdict"], row["verdict"]
