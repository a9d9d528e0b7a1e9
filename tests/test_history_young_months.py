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
    # The month by its name, the mark on its line (it read «2024-05 *»).
    assert "май\u00a02024\u00a0*" in text.stdout and "апрель\u00a02024\u00a0*" not in text.stdout
    html = tmp_path / "out"
    res = runner.invoke(cli, ["history", str(path), "-o", str(html), "-q", "--lang", "ru"])
    assert res.exit_code == 0, res.output
    page = (html / "history.html").read_text(encoding="utf-8")
    assert "Месяц со звёздочкой * не завершён" in page
    assert "месяц не завершён" in (html / "plots" / "conversion.svg").read_text(encoding="utf-8")


def test_history_plots_speak_the_language(tmp_path: Path) -> None:
    """Regression: the funnel-shape plot of a Ukrainian history said «Продажи · won» and
    «3,547 (92%)», and the time-in-stage axis was ticked in powers of ten of hours."""
    import re

    from test_decomposition_verdict import generate as with_wins

    def words(history: Path, name: str) -> str:
        out = tmp_path / history.stem
        res = CliRunner().invoke(cli, ["history", str(history), "-o", str(out), "-q",
                                       "--lang", "uk"])
        assert res.exit_code == 0, res.output
        svg = (out / "plots" / f"{name}.svg").read_text(encoding="utf-8")
        return " ".join(re.findall(r"<!-- (.*?) -->", svg))

    shape = words(with_wins(tmp_path / "won.csv", ("Сайт",), (0.5, 0.5), 3000), "shape")
    assert "› Успішно реалізовано" in shape and " won" not in shape, shape
    assert re.search(r"\d\xa0\d{3} \(100%\)", shape), shape  # «3 000 (100%)»
    # Stays of ten minutes in one stage and a month in the next: a log axis.
    rows = ["deal_id,timestamp,stage"]
    for i in range(40):
        t = START + timedelta(hours=6 * i)
        rows += [f"{i},{t.isoformat()},Заявка",
                 f"{i},{(t + timedelta(minutes=10)).isoformat()},Договор",
                 f"{i},{(t + timedelta(days=30, minutes=10)).isoformat()},won"]
    spread = tmp_path / "spread.csv"
    spread.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ticks = words(spread, "time_in_stage")
    assert "дн." in ticks and "10^" not in ticks, ticks  # «дн.», as the tables (be73b7e)
