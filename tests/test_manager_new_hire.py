"""A new hire who converts exactly as well as the team must not be flagged more often
than the comparison's 5 % (issue 14, point 1: «flag only differences that are
statistically clear»). She joins three weeks before the export and takes her share of
the inflow; a qualified lead takes 1–30 days to a meeting or a loss, so at the export's
end about half of her deals are still open. Counted as failures, they made her «clearly
worse» in 33 of 40 histories (at 5e302f1); judged only once moved on, lost, or old enough, she is
flagged no more often than chance allows, over many seeds (fewer under CI=true; the
assertions are the same).

When a move and a loss take different times, the deals of the last weeks that are
already settled lean towards the faster outcome; the times are the same here so that
the test measures the rule, not that lean."""
from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from conftest import reps
from funnelc.cli import cli
from funnelc.history.stats import wilson
from test_history_audit import binomial_tail

TEAM = ("Анна", "Борис", "Глеб", "Дина")
NEW = "Ева"
START = datetime(2025, 1, 6, tzinfo=UTC)
DAYS, JOINS = 120, 99
DEALS_A_DAY = 12
MEET = 0.4


def generate(seed: int, path: Path) -> Path:
    rng = random.Random(seed)
    lines = ["deal_id,timestamp,pipeline,stage,manager,loss_reason"]
    n = 0
    for day in range(DAYS):
        team = TEAM + (NEW,) if day >= JOINS else TEAM
        for _ in range(DEALS_A_DAY):
            n += 1
            who = rng.choice(team)
            t = START + timedelta(days=day, hours=rng.uniform(9, 18))
            lines.append(f"D{n},{t.isoformat()},Продажи,Квалификация,{who},")
            t += timedelta(days=rng.uniform(1, 30))
            if rng.random() < MEET:
                lines.append(f"D{n},{t.isoformat()},Продажи,Встреча,{who},")
            else:
                lines.append(f"D{n},{t.isoformat()},Продажи,lost,{who},Дорого")
    end = START + timedelta(days=DAYS)
    kept = [lines[0]] + [line for line in lines[1:]
                         if datetime.fromisoformat(line.split(",")[1]) < end]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def _managers(path: Path) -> list[dict]:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return [r for r in json.loads(result.stdout)["tables"]["managers"]
            if (r["from_stage"], r["to_stage"]) == ("Квалификация", "Встреча")]


def test_a_new_hire_as_good_as_the_team_is_flagged_no_more_than_chance(tmp_path: Path) -> None:
    seeds = reps(40, 15)
    flagged_new = flagged_any = reached = judged = 0
    for seed in range(seeds):
        rows = {r["manager"]: r for r in _managers(generate(seed, tmp_path / f"h{seed}.csv"))}
        new = rows[NEW]
        # Many of her deals are open at the end and not judged (about half).
        assert new["recent"] > 0 and new["entered"] > 0, new
        flagged_new += bool(new["flagged"])
        reached, judged = reached + new["reached"], judged + new["entered"]
        flagged_any += any(r["flagged"] for r in rows.values())
    assert binomial_tail(flagged_new, seeds, 0.05) > 0.01, flagged_new
    assert binomial_tail(flagged_any, seeds, 0.05) > 0.01, flagged_any
    # What is judged of hers is an honest sample: over all seeds its 95 % interval holds
    # her true 40 % (counted with the open deals, it read about 15 %; 33 of 40 flagged).
    lo, hi = wilson(reached, judged)
    assert lo < MEET < hi, (reached, judged)
