"""A month of too few deals is not a point of the conversion line. The realty agency's
«Бронь → Сделка» had one deal in March, not converted: the plot drew a 0 % point and
ran the line down to it, and the client read «conversion collapsed» (issue 14). Such a
month (fewer than `stats.MIN_MONTH_DEALS` deals) is drawn apart, with its 95 % Wilson
interval, and the tables keep it, its conversion marked † (JSON: `few`), so the page,
the terminal and the JSON agree on which months they are."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli
from funnelc.history.stats import MIN_MONTH_DEALS, wilson

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
PLANTED = "2026-03"


def planted(path: Path, march: int = 1) -> Path:
    """Six months of ten new deals at «Заявка», six of each month's ten on to «Встреча»
    within a day, except March: `march` deals (one), none of which moves on. The export
    runs to July, so every month has had its time."""
    rows = ["deal_id,timestamp,stage"]
    deal = met = 0
    for month in range(1, 7):
        for i in range(march if month == 3 else 10):
            deal += 1
            t = START.replace(month=month) + timedelta(days=2 * i)
            rows.append(f"{deal},{t.isoformat()},Заявка")
            if month != 3 and i < 6:
                rows.append(f"{deal},{(t + timedelta(hours=20)).isoformat()},Встреча")
                met = deal
    # One win, from «Встреча»: the table's step to the win is «Встреча» → won, which no
    # March deal entered.
    rows.append(f"{met},{datetime(2026, 7, 20, tzinfo=UTC).isoformat()},won")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_threshold_is_where_no_outcome_can_say_above_or_below_half() -> None:
    """`MIN_MONTH_DEALS`' reason, checked: below it even none or all of the deals
    converting leaves the 95 % interval on both sides of 50 %; at it, neither does."""
    for n in range(1, MIN_MONTH_DEALS):
        assert wilson(0, n)[1] > 0.5 and wilson(n, n)[0] < 0.5, n
    assert wilson(0, MIN_MONTH_DEALS)[1] < 0.5 < wilson(MIN_MONTH_DEALS, MIN_MONTH_DEALS)[0]


def test_the_one_deal_month_is_in_every_table_and_marked(tmp_path: Path) -> None:
    history = planted(tmp_path / "h.csv")
    rows = {r["month"]: r for r in json.loads(_run("history", history, "--format", "json"))
            ["tables"]["conversion"] if (r["from_stage"], r["to_stage"]) == ("Заявка", "Встреча")}
    march = rows[PLANTED]
    assert (march["entered"], march["direct"], march["few"], march["complete"]) == (
        1, 0, True, True)
    assert [m for m, r in rows.items() if r["few"]] == [PLANTED]
    assert rows["all"]["few"] is None and rows["2026-02"]["direct_pct"] == 60.0
    # The terminal: the month's line carries the mark, no other does; the note says it.
    text = _run("history", history, "--lang", "ru")
    marked = [line for line in text.splitlines() if "†" in line and "│" in line]
    assert len(marked) == 1 and "март\u00a02026" in marked[0], marked
    assert "0%\u00a0†" in marked[0]
    # Under the table, what the mark means (the terminal has no room for the note).
    assert "† меньше 4 сделок: слишком мало, чтобы судить о конверсии месяца" in " ".join(
        text.split())
    # The page: the same row, marked, and the plot's note under the axes.
    out = tmp_path / "out"
    _run("history", history, "-o", out, "-q", "--lang", "ru")
    page = (out / "history.html").read_text(encoding="utf-8")
    assert page.count("0%\u00a0†") == 2  # direct and with returns, on one row
    assert "Конверсия со знаком † — за месяц, в котором меньше 4 сделок" in page
    svg = (out / "plots" / "conversion.svg").read_text(encoding="utf-8")
    said = " ".join(re.findall(r"<!-- (.*?) -->", svg))
    assert "1 месяц пары этапов, в котором меньше 4 сделок, нарисован отдельно" in said


def test_the_sources_table_marks_the_month_as_the_stage_table_does(tmp_path: Path) -> None:
    """The same history with a source column: «Конверсия по источникам и месяцам» read
    «Сайт, март 2026: 1, 0%» unmarked beside the stage table's «0% †» (a windows maker's
    «Facebook, жовтень 2026: 1 угода, 0%», the export's last unfinished month, read as its
    offers stopped converting). The row is marked, the note says what the mark means, and
    the JSON's `source_months` rows carry `few` and `complete` as `conversion`'s do."""
    lines = planted(tmp_path / "h.csv").read_text(encoding="utf-8").splitlines()
    history = tmp_path / "sourced.csv"
    history.write_text("\n".join([lines[0] + ",source", *(f"{x},Сайт" for x in lines[1:])])
                       + "\n", encoding="utf-8")
    rows = {r["month"]: r for r in json.loads(_run("history", history, "--format", "json"))
            ["tables"]["source_months"] if (r["from_stage"], r["to_stage"]) == ("Заявка",
                                                                                "Встреча")}
    assert (rows[PLANTED]["entered"], rows[PLANTED]["few"], rows[PLANTED]["complete"]) == (
        1, True, True)
    assert [m for m, r in rows.items() if r["few"]] == [PLANTED]
    text = _run("history", history, "--lang", "ru")
    table = text.split("Конверсия по источникам и месяцам")[1].split("\n\n")[0]
    marked = [line for line in table.splitlines() if "март\u00a02026" in line]
    assert len(marked) == 1 and "0%\u00a0†" in marked[0], marked
    assert "† меньше 4 сделок" in " ".join(table.split())


def test_none_of_three_deals_is_drawn_too(tmp_path: Path) -> None:
    """0 of 3: the Wilson interval's lower bound is 5.6e-17, not 0, and the error below
    the point came out negative, which matplotlib refuses: `history -o` failed with
    «'yerr' must not contain negative values»."""
    out = tmp_path / "out"
    _run("history", planted(tmp_path / "h.csv", march=3), "-o", out, "-q", "--lang", "en")
    svg = (out / "plots" / "conversion.svg").read_text(encoding="utf-8")
    assert "1 month of a stage pair has fewer than 4 deals" in svg


def _conversion_figure(history: Path, tz: str = "UTC", funnel: Path | None = None
                       ) -> Figure:
    from funnelc.api import load_file
    from funnelc.history.plots import conversion_plot
    from funnelc.history.run import prepare
    from funnelc.i18n import translator

    model = load_file(funnel).model if funnel else None
    return conversion_plot(prepare([str(history)], tz, model).tables, translator("en"))


def _at(line: object, month: str) -> list[float]:
    """The y values `line` draws at `month` (a categorical x axis)."""
    xs, ys = line.get_xdata(), line.get_ydata()  # type: ignore[attr-defined]
    return [float(y) for x, y in zip(xs, ys) if x == month and not math.isnan(float(y))]


def test_the_plot_draws_the_one_deal_month_apart_with_its_interval(tmp_path: Path) -> None:
    fig = _conversion_figure(planted(tmp_path / "h.csv"))
    ax = fig.axes[0]
    # No line (solid or dotted) passes through March; its point stands alone, a cross.
    joined = [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("None", "none")
              and _at(ln, PLANTED)]
    assert joined == []
    # (an error bar's caps are lines of the marker "_")
    alone = [ln for ln in ax.get_lines() if _at(ln, PLANTED) and ln.get_marker() != "_"]
    assert [(ln.get_marker(), _at(ln, PLANTED)) for ln in alone] == [("x", [0.0])]
    # Its 95 % interval: 0 to 79 % for none of one deal.
    from matplotlib.collections import LineCollection

    (segment,) = [seg for coll in ax.collections if isinstance(coll, LineCollection)
                  for seg in coll.get_segments()]
    assert [round(y, 1) for _x, y in segment] == [0.0, round(100 * wilson(0, 1)[1], 1)]
    # The months of ten deals keep their line.
    assert any(_at(ln, "2026-02") == [60.0] and ln.get_linestyle() == "-"
               for ln in ax.get_lines())
    assert fig.get_supxlabel().startswith("1 month of a stage pair has fewer than 4 deals")


@pytest.fixture(scope="module")
def realty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("realty")
    data_generator("realty_amocrm_ru").write(out, 2)
    return out


def test_the_realty_agencys_march_booking_is_not_a_collapse(realty: Path) -> None:
    """The case the consultant saw: «Бронь → Сделка», one booking in March, not sold."""
    funnel = Path(__file__).resolve().parent / "data" / "realty_amocrm_ru" / "realty.funnel"
    fig = _conversion_figure(realty, "Asia/Yekaterinburg", funnel)
    ax = fig.axes[0]
    at_zero = [ln for ln in ax.get_lines() if _at(ln, "2026-03") == [0.0]]
    assert at_zero and all(ln.get_linestyle() in ("None", "none") for ln in at_zero)
    # A month of enough deals that are still moving keeps its dotted line: «Показ →
    # Бронь» from June (complete) on through October (22 to 28 showings a month).
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert {str(x) for ln in dotted for x in np.asarray(ln.get_xdata())} >= {
        "2026-06", "2026-07", "2026-10"}
    # November's two showings (none booked) and two consultations (one went on) are
    # too few: no line reaches them.
    assert not [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("None", "none")
                and set(_at(ln, "2026-11")) & {0.0, 50.0}]
    # March's booking, November's showings and consultations, and two months of the step
    # from «Сделка» to the win (3 deals in April, 2 in August).
    assert fig.get_supxlabel().startswith("5 months of stage pairs have fewer than 4 deals")
