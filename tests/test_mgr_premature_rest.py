"""Premature losses are compared with the team's norm, not with a rest that holds the
manager who closes too early (issue 14, point 1; seed 001: «закрывают теплых как
проигранные»). One manager whose lost deals come back eight times as often as the
others' made every other manager's rest look premature, and the managers' table marked
all four «premature ⚠ yes»: the three who close as the team does, 5 % of their losses
back, read as different from a rest at 17 %. The conversion comparison leaves a flagged
manager out of everyone's rest (`managers.manager_table`); the premature one now does
the same.

The history is written here with its truth known: at «Встреча» each manager loses 80
deals; 32 of Борис's come back (the deal reopened a month later), 4 of each other's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from funnelc.cli import cli

MANAGERS = {"Анна": 4, "Борис": 32, "Вера": 4, "Глеб": 4}
"""Manager → of 80 losses at «Встреча», how many come back."""
LOSSES = 80


def write_history(path: Path, managers: dict[str, int] = MANAGERS) -> None:
    """Each manager: 160 deals at «Встреча», half won, half lost; of the losses,
    `managers[who]` reopened a month later and won."""
    lines = ["deal_id,timestamp,stage,manager"]
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    n = 0
    for who, back in managers.items():
        for i in range(2 * LOSSES):
            n += 1
            t = start + timedelta(hours=17 * n)
            rows = [(t, "Заявка"), (t + timedelta(days=1), "Встреча")]
            if i % 2:  # half the deals at «Встреча» are won
                rows.append((t + timedelta(days=3), "won"))
            else:
                rows.append((t + timedelta(days=3), "lost"))
                if i // 2 < back:
                    rows += [(t + timedelta(days=33), "Встреча"),
                             (t + timedelta(days=35), "won")]
            lines += [f"D{n},{at.isoformat()},{stage},{who}" for at, stage in rows]
    # A deal months later: every loss has had time to come back.
    lines.append(f"Z,{(start + timedelta(days=520)).isoformat()},Заявка,Анна")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_only_the_manager_who_closes_too_early_is_flagged(tmp_path: Path) -> None:
    write_history(tmp_path / "history.csv")
    result = CliRunner().invoke(cli, ["history", str(tmp_path / "history.csv"), "--format",
                                      "json", "-q"], env={"NO_COLOR": "1"})
    tables = json.loads(result.stdout)["tables"]
    rows = {r["manager"]: r for r in tables["managers"] if r["from_stage"] == "Встреча"}
    assert sorted(rows) == sorted(MANAGERS)
    for who, back in MANAGERS.items():
        assert (rows[who]["lost_settled"], rows[who]["came_back"]) == (LOSSES, back)
        assert rows[who]["premature_pct"] == back / LOSSES
    assert [w for w, r in rows.items() if r["premature_flagged"]] == ["Борис"]
    # Борис against the three others: 12 of 240 back.
    assert rows["Борис"]["premature_rest_pct"] == 12 / 240
    # Each of the three against the two others, Борис left out as the norm's outlier.
    for who in ("Анна", "Вера", "Глеб"):
        assert rows[who]["premature_rest_pct"] == 8 / 160
        assert rows[who]["premature_p"] == 1.0
    (finding,) = [f for f in tables["findings"] if f["kind"] == "premature_losses"]
    assert finding["subject"] == "Борис"


# The managers' table marks «premature ⚠» only where the findings see premature losses
# (issue 14, point 1; seed 001: «закрывают теплых как проигранные»): a manager whose
# lost deals come back far less often than the rest's closes nothing too early. The
# comparison is two-sided (such a manager is left out of the others' norm, as an outlier
# of conversion is), and the table marked them «premature ⚠ yes» while the findings and
# the managers' summary, which check the direction, said nothing of them.
#
# The history is written here with its truth known: at «Встреча» each manager loses 80
# deals; 30 of each one's come back (the deal reopened a month later), 1 of Борис's.


def _tables(path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json", "-q"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["tables"]  # type: ignore[no-any-return]


def test_a_manager_whose_losses_hardly_come_back_is_not_marked_premature(
        tmp_path: Path) -> None:
    managers = {"Анна": 30, "Борис": 1, "Вера": 30, "Глеб": 30}
    write_history(tmp_path / "history.csv", managers)
    tables = _tables(tmp_path / "history.csv")
    rows = {r["manager"]: r for r in tables["managers"] if r["from_stage"] == "Встреча"}
    for who, back in managers.items():
        assert (rows[who]["lost_settled"], rows[who]["came_back"]) == (LOSSES, back)
    # Борис: 1 of 80 back against the others' 90 of 240, clearly different (the test is
    # two-sided) and clearly not premature.
    assert rows["Борис"]["premature_rest_pct"] == 90 / 240
    assert rows["Борис"]["premature_p"] < 0.001
    assert not [w for w, r in rows.items() if r["premature_flagged"]]
    assert not [f for f in tables["findings"] if f["kind"] == "premature_losses"]
    assert all(not s["premature_at"] for s in tables["manager_summary"])


def test_the_one_who_closes_too_early_is_still_marked(tmp_path: Path) -> None:
    # The same history the other way round: Борис's losses come back 30 times in 80,
    # the others' 4: the flag and the finding agree on him.
    write_history(tmp_path / "history.csv", {"Анна": 4, "Борис": 30, "Вера": 4, "Глеб": 4})
    tables = _tables(tmp_path / "history.csv")
    rows = {r["manager"]: r for r in tables["managers"] if r["from_stage"] == "Встреча"}
    assert [w for w, r in rows.items() if r["premature_flagged"]] == ["Борис"]
    (finding,) = [f for f in tables["findings"] if f["kind"] == "premature_losses"]
    assert finding["subject"] == "Борис"
