"""History's conversion by month marks the months whose deals have not all had time to
move on. The last month of every export "falls": its deals entered days ago, and the
ones that will convert have not yet. Read as a fall (seed 003's «квалификация упала»), it
sends the consultant after a problem that is not there.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli
from test_loss_reason_shifts import START, generate


def cut(path: Path, day: int) -> Path:
    """The export as a CRM gives it on `day`: nothing after it."""
    end = (START + timedelta(days=day)).isoformat()
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0]] + [x for x in lines[1:] if x.split(",")[1] <= end])
                    + "\n", encoding="utf-8")
    return path


def test_the_young_month_is_marked_and_the_others_are_not(tmp_path: Path) -> None:
    # 150 days of arrivals, exported on day 150 (May 30); 40 % move on within 1–10 days
    path = cut(generate(3, tmp_path / "h.csv"), 150)
    runner = CliRunner()
    out = runner.invoke(cli, ["history", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = {r["month"]: r for r in json.loads(out.stdout)["tables"]["conversion"]}
    young = [m for m, r in rows.items() if r["complete"] is False]
    assert young == ["2024-05"], young  # exported on May 30: May's deals are still moving
    for m in ("2024-01", "2024-02", "2024-03", "2024-04"):
        assert rows[m]["complete"] is True and abs(rows[m]["direct_pct"] - 40) < 6, rows[m]
    assert rows["all"]["complete"] is None
    text = runner.invoke(cli, ["history", str(path), "--lang", "ru"], env={"NO_COLOR": "1"})
    assert "2024-05 *" in text.stdout and "2024-04 *" not in text.stdout
    html = tmp_path / "out"
    res = runner.invoke(cli, ["history", str(path), "-o", str(html), "-q", "--lang", "ru"])
    assert res.exit_code == 0, res.output
    page = (html / "history.html").read_text(encoding="utf-8")
    assert "Месяц со звёздочкой * не завершён" in page
    assert "месяц не завершён" in (html / "plots" / "conversion.svg").read_text(encoding="utf-8")
