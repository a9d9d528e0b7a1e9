"""simulate's team table has its flag column only when a team is unstable: every shipped
example printed a last column with no title and no value («┃  ┃»)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli


def _teams(tmp_path: Path, rate: str) -> str:
    path = tmp_path / "t.funnel"
    path.write_text(f"team T size 1\nsource S {rate}/hour -> P.New\n"
                    "pipeline P { stage New { owner T\n  work exp(1h)\n  -> won } }\n",
                    encoding="utf-8")
    out = CliRunner().invoke(cli, ["simulate", str(path), "--days", "60", "--reps", "2"],
                             env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert out.exit_code in (0, 1), out.output
    lines = out.stdout.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("teams"))
    return "\n".join(lines[start:start + 6])


def test_a_stable_team_has_no_empty_column(tmp_path: Path) -> None:
    table = _teams(tmp_path, "0.5")
    assert "queue max ┃\n" in table + "\n" and "┃  ┃" not in table, table
    assert "unstable" not in table


def test_an_unstable_team_is_flagged_in_its_column(tmp_path: Path) -> None:
    table = _teams(tmp_path, "1.5")
    assert "unstable" in table, table
