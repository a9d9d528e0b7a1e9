"""A premature loss is one whose client came back (seed 001: a lead with potential sent to
the lost deals «щоб не погіршувати KPI»). The same deal reopened counts when it is worked
again: back in a stage of its pipeline after the loss and not lost again within an hour,
as a new deal of the same client counts when it enters the pipeline, whatever comes of
it. Counted only once it reached the pair's next stage, a manager whose clients came back
to «Встреча» and were lost there again read 2 of 20 losses back: no finding.

A hand-made CSV history, counted by hand:
* Анна: 20 deals lost at «Встреча»: 8 reopened to «Встреча» 10 days later and lost there
  again 5 days on, 2 reopened and moved on to «Договор», 2 reopened only to change the
  reason (back and lost again within two minutes), 8 not reopened: 10 of 20 came back.
* Борис: 40 deals at «Встреча», 20 of them won through «Договор» and 20 lost: 1 reopened
  and moved on to «Договор», 2 reopened to change the reason, 2 moved to another
  pipeline («Реанимация»: the company's re-engagement, not the client), 15 not
  reopened: 1 of 20 came back.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

T0 = datetime(2024, 1, 8, 10, 0)


def _history_csv(path: Path) -> None:
    rows = ["deal_id;timestamp;pipeline;stage;manager"]

    def row(deal: str, t: datetime, stage: str, who: str, pipeline: str = "Продажи") -> None:
        rows.append(f"{deal};{t:%Y-%m-%d %H:%M:%S};{pipeline};{stage};{who}")

    plans = ([("Анна", k) for k in ["back"] * 8 + ["on"] * 2 + ["edit"] * 2 + ["lost"] * 8]
             + [("Борис", k) for k in ["won"] * 20 + ["on"] + ["edit"] * 2 + ["away"] * 2
                + ["lost"] * 15])
    for i, (who, plan) in enumerate(plans):
        deal, t = f"D{i:03d}", T0 + timedelta(hours=7 * i)
        row(deal, t, "Новая", who)
        row(deal, t + timedelta(days=1), "Встреча", who)
        if plan == "won":
            row(deal, t + timedelta(days=4), "Договор", who)
            row(deal, t + timedelta(days=6), "won", who)
            continue
        lost = t + timedelta(days=4)
        row(deal, lost, "lost", who)
        if plan == "back":
            row(deal, lost + timedelta(days=10), "Встреча", who)
            row(deal, lost + timedelta(days=15), "lost", who)
        elif plan == "on":
            row(deal, lost + timedelta(days=10), "Встреча", who)
            row(deal, lost + timedelta(days=12), "Договор", who)
            row(deal, lost + timedelta(days=14), "won", who)
        elif plan == "edit":
            row(deal, lost + timedelta(minutes=1), "Встреча", who)
            row(deal, lost + timedelta(minutes=2), "lost", who)
        elif plan == "away":
            row(deal, lost + timedelta(days=10), "Прогрев", who, "Реанимация")
    # A last deal a season later: every loss above has had the time to come back.
    row("D999", T0 + timedelta(days=120), "Новая", "Борис")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_reopened_deal_worked_again_is_a_premature_loss_however_it_ends(tmp_path: Path
                                                                          ) -> None:
    path = tmp_path / "history.csv"
    _history_csv(path)
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    meeting = {r["manager"]: (r["lost_settled"], r["came_back"])
               for r in data["tables"]["managers"] if r["from_stage"] == "Встреча"}
    assert meeting == {"Анна": (20, 10), "Борис": (20, 1)}
    found = [f for f in data["tables"]["findings"] if f["kind"] == "premature_losses"]
    assert [(f["subject"], f["stage"]) for f in found] == [("Анна", "Встреча")]
    # The finding says what was counted: reopened and worked again, not just reopened.
    assert "They came back as: 10 deals reopened and not lost again within an hour." \
        in found[0]["finding"]
