"""A source whose leads stop closing: the closing stage's step to the win is compared
between periods like any stage pair, so a source whose deals reach «Договор» as often as
before but are won half as often there is flagged at «Договор» → won (stage pairs alone
never saw it: no pair starts at the last stage).

Known truth: two sources; «Реклама»'s deals at «Договор» are won 60 % of the time in
the first months and 30 % from the fourth month on; everything else the same for both.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from conftest import reps
from funnelc.cli import cli
from test_history_audit import binomial_tail

START = datetime(2024, 1, 1, tzinfo=UTC)
WIN, WIN_LATE, LATE = 0.6, 0.3, 92


def generate(seed: int, path: Path, deals: int = 6000) -> Path:
    rng = random.Random(seed)
    lines = ["deal_id,timestamp,pipeline,stage,source,loss_reason,value"]
    for i in range(deals):
        t = START + timedelta(days=rng.uniform(0, 180))
        src, d = rng.choice(("Сайт", "Реклама")), f"D{i}"
        win = WIN_LATE if src == "Реклама" and t >= START + timedelta(days=LATE) else WIN
        lines.append(f"{d},{t.isoformat()},Продажи,Заявка,{src},,100000")
        for stage, p in (("Встреча", 0.6), ("Договор", 0.5)):
            t += timedelta(hours=rng.uniform(1, 72))
            if rng.random() >= p:
                lines.append(f"{d},{t.isoformat()},Продажи,lost,{src},Дорого,100000")
                break
            lines.append(f"{d},{t.isoformat()},Продажи,{stage},{src},,100000")
        else:
            t += timedelta(hours=rng.uniform(1, 72))
            won = rng.random() < win
            lines.append(f"{d},{t.isoformat()},Продажи,{'won' if won else 'lost'},{src},"
                         f"{'' if won else 'Дорого'},100000")
    later = START + timedelta(days=220)
    lines.append(f"D{deals},{later.isoformat()},Продажи,Заявка,Сайт,,100000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_source_that_stops_closing_is_flagged_at_the_step_to_the_win(tmp_path: Path) -> None:
    seeds = reps(12, 6)
    false_flags = 0
    for seed in range(seeds):
        out = CliRunner().invoke(cli, ["history", str(generate(seed, tmp_path / f"{seed}.csv")),
                                       "--format", "json"])
        assert out.exit_code == 0, out.output
        changes = json.loads(out.stdout)["tables"]["source_changes"]
        flagged = [r for r in changes if r["flagged"]]
        hit = [r for r in flagged if (r["source"], r["from_stage"], r["to_stage"])
               == ("Реклама", "Договор", "won")]
        assert len(hit) == 1, (seed, flagged)
        h = hit[0]
        assert abs(h["rate_first"] - WIN) < 0.15 and abs(h["rate_last"] - WIN_LATE) < 0.15, h
        assert h["deals_effect"] > 0 and h["money"] > 0
        false_flags += len(flagged) > 1
    assert binomial_tail(false_flags, seeds, 0.05) > 0.01, false_flags
