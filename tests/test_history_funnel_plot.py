"""The managers' funnel plot a client can read (issue 14's audit, consultant pass): the
axes fit the managers' points instead of starting at 0, no two names cover each other
(«M5M2M4M1» when volumes were alike), the manager the audit flagged stands out, and the
legend says what the lines mean in the account's language.

Each check draws the figure and measures the names' boxes in display coordinates
(`Text.get_window_extent`), the way they land in the PNG and the SVG.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg

from conftest import PIPELINES
from funnelc.cli import cli
from funnelc.history.analytics import analyse
from funnelc.history.audit import Audit, run_audit
from funnelc.history.load import load_history
from funnelc.history.plots import FLAGGED, funnel_axes_limits, funnel_plot
from funnelc.history.stats import funnel_limits
from funnelc.i18n import translator

START = datetime(2024, 1, 1, tzinfo=UTC)


def team_history(path: Path, team: dict[str, tuple[int, float]], seed: int = 1) -> Audit:
    """`team`: manager → (deals, chance each reaches «Встреча»), deals interleaved over
    the year; the audit of that history."""
    rng = random.Random(seed)
    deals = [m for m, (n, _) in team.items() for _ in range(n)]
    rng.shuffle(deals)
    lines = ["deal_id,timestamp,stage,manager"]
    for i, manager in enumerate(deals):
        t = START + timedelta(minutes=97 * i)
        nxt = "Встреча" if rng.random() < team[manager][1] else "lost"
        lines += [f"D{i},{t.isoformat()},Заявка,{manager}",
                  f"D{i},{(t + timedelta(hours=2)).isoformat()},{nxt},{manager}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_audit(analyse(load_history([str(path)])))


def check_panels(audit: Audit, lang: str = "en") -> list[str]:
    """Draw the plot and check every panel: each manager named once, no two names
    overlapping, each inside its panel, the axes fitted to the points. Returns the
    legend's texts."""
    assert audit.managers is not None
    fig = funnel_plot(audit, translator(lang))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        title = ax.get_title()
        # A panel of an account with several pipelines names its pipeline first.
        pipeline, _sep, pair = title.rpartition(" › ")
        f, to = pair.split(" → ")
        rows = audit.managers.filter((audit.managers["from_stage"] == f)
                                     & (audit.managers["to_stage"] == to))
        if pipeline:
            rows = rows.filter(rows["pipeline"] == pipeline)
        names = sorted(rows["manager"].to_list())
        labels = ax.texts
        assert sorted(t.get_text() for t in labels) == names
        boxes = [t.get_window_extent(renderer) for t in labels]
        frame = ax.get_window_extent(renderer)
        for (a, ba), (b, bb) in combinations(zip(labels, boxes), 2):
            assert not ba.overlaps(bb), (title, a.get_text(), b.get_text())
        for t, box in zip(labels, boxes):
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1, (title, t.get_text())
            assert frame.y0 <= box.y0 and box.y1 <= frame.y1, (title, t.get_text())
        ns = rows["entered"].to_list()
        rates = [100 * r for r in rows["rate"].to_list()]
        (xlo, xhi), (ylo, yhi) = ax.get_xlim(), ax.get_ylim()
        assert xlo <= min(ns) and max(ns) <= xhi
        # Fitted to the volumes: at most the points' spread plus margins, not 0 to max.
        assert xhi - xlo <= (max(ns) - min(ns)) + 0.3 * max(ns) + 2
        team = next(line for line in ax.get_lines() if line.get_gid() == "team")
        p0 = team.get_ydata()[0] / 100  # type: ignore[index]
        low, high = funnel_limits(p0, min(ns))
        ys = [*rates, 100 * low, 100 * high]
        assert ylo <= min(rates) and max(rates) <= yhi
        assert yhi - ylo <= 1.3 * (max(ys) - min(ys)) + 3
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


@pytest.mark.parametrize("team", [
    {f"M{i}": (200 + 3 * i, 0.4) for i in range(1, 6)},
    {"M1": (300, 0.4), "M2": (305, 0.4)},
    {f"M{i}": (100 + i, 0.4) for i in range(1, 13)},
    {"M1": (5, 0.4), **{f"M{i}": (500, 0.4) for i in range(2, 6)}},
], ids=["5 alike", "2", "12", "5 deals and 500"])
def test_names_do_not_overlap_and_the_axes_fit_the_points(tmp_path: Path,
                                                          team: dict[str, tuple[int, float]]
                                                          ) -> None:
    check_panels(team_history(tmp_path / "team.csv", team))


def test_the_developer_example_with_five_managers(tmp_path: Path) -> None:
    """The exact input of the report: `developer.funnel` simulated for 365 days, seed 7,
    each deal given one of five managers at random; the names printed on top of each
    other («M5M2M4M1») and the x axis started at 0."""
    records = tmp_path / "r.csv"
    out = CliRunner().invoke(cli, ["simulate", str(PIPELINES / "developer.funnel"),
                                   "--days", "365", "--seed", "7", "--records", str(records),
                                   "-q"])
    assert out.exit_code == 0, out.output
    rng = random.Random(7)
    rows = pl.read_csv(records, infer_schema=False)
    deals = rows["deal_id"].unique(maintain_order=True)
    who = pl.DataFrame({"deal_id": deals,
                        "manager": [f"M{rng.randrange(5) + 1}" for _ in range(len(deals))]})
    path = tmp_path / "team.csv"
    rows.join(who, on="deal_id", how="left", maintain_order="left").write_csv(path)
    audit = run_audit(analyse(load_history([str(path)])))
    assert audit.managers is not None
    assert sorted(audit.managers["manager"].unique()) == [f"M{i}" for i in range(1, 6)]
    check_panels(audit)


def test_the_flagged_manager_stands_out_and_the_legend_speaks_russian(
        tmp_path: Path) -> None:
    """«Слабый» converts 10 % against the others' 45 %: his point is a red diamond on
    top, his name red and bold, placed first; the legend explains the lines in the
    account's language."""
    team = {"Анна": (150, 0.45), "Борис": (152, 0.45), "Вера": (149, 0.45),
            "Глеб": (151, 0.45), "Слабый": (150, 0.10)}
    audit = team_history(tmp_path / "team.csv", team)
    assert audit.managers is not None
    assert audit.managers.filter("flagged")["manager"].to_list() == ["Слабый"]
    legend = check_panels(audit, "ru")
    assert any(text.startswith("контрольные границы 95%") for text in legend)
    assert any(text.startswith("отмечен аудитом") for text in legend)
    ax = funnel_plot(audit, translator("ru")).axes[0]
    (weak,) = [t for t in ax.texts if t.get_text() == "Слабый"]
    assert weak.get_color() == FLAGGED and weak.get_fontweight() == "bold"
    assert all(t.get_fontweight() == "normal" for t in ax.texts if t is not weak)
    dots = [c for c in ax.collections if len(c.get_offsets()) == 1]
    (red,) = dots
    assert red.get_zorder() > max(c.get_zorder() for c in ax.collections if c is not red)


def test_no_manager_the_audit_did_not_flag_is_outside_the_outer_limits(
        tmp_path: Path) -> None:
    """Twelve managers alike (40 %): by chance M5 (50.5 % of 105, p = 0.032) and M6
    (29.2 % of 106, p = 0.013) fall outside the 95 % control limits, and the audit,
    5 % over its 12 comparisons, rightly names neither. Drawn with the 95 % limits
    alone, labelled «how far chance goes at a manager's volume», they read as beyond
    chance (a window maker's closer at 72 % of 25 contracts against the team's 90 %,
    below the lower limit). The audit's bar is drawn outside them and named."""
    team = {f"M{i}": (100 + i, 0.4) for i in range(1, 13)}
    audit = team_history(tmp_path / "team.csv", team, seed=7)
    assert audit.managers is not None and not audit.managers["flagged"].any()
    fig = funnel_plot(audit, translator("en"))
    (ax,) = fig.axes
    lines = [line for line in ax.get_lines() if line.get_gid() != "team"]
    for row in audit.managers.iter_rows(named=True):
        at = [float(np.interp(row["entered"], line.get_xdata(), line.get_ydata()))
              for line in lines]
        assert min(at) <= 100 * row["rate"] <= max(at), row["manager"]
    legend = [t.get_text().replace("\n", " ")
              for lg in fig.legends for t in lg.get_texts()]
    assert any("12 comparisons" in text for text in legend), legend
    assert any(text.startswith("95% control limits for one manager alone")
               for text in legend), legend


def test_axis_limits_of_one_panel() -> None:
    """Five managers at 14 000-15 000 deals, 72-74 %: x from 13 880, not 0; y around the
    points and the limits at 14 000 deals."""
    (xlo, xhi), (ylo, yhi) = funnel_axes_limits(
        [14000, 14200, 14500, 14800, 15000], [72.0, 73.5, 74.0, 73.0, 72.5], 0.73)
    assert (xlo, xhi) == pytest.approx((14000 - 900, 15000 + 900))
    low, high = funnel_limits(0.73, 14000)
    assert ylo == pytest.approx(min(72.0, 100 * low) - 1.5)
    assert yhi == pytest.approx(max(74.0, 100 * high) + 1.5)
    # A manager at 100 % or at 0 % keeps the axis within 0-100 %.
    assert funnel_axes_limits([3, 400], [100.0, 0.0], 0.5)[1] == (0.0, 100.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1),
                          st.text("MАБВ0123456789 ", min_size=1, max_size=14)),
                min_size=1, max_size=15),
       st.floats(0.001, 1.0))
def test_labels_never_overlap_wherever_the_points_are(
        points: list[tuple[float, float, str]], spread: float) -> None:
    """Up to 15 names around points crowded into a corner `spread` wide (1 %: all on top
    of each other): each name in the panel, none over another or over a point."""
    from matplotlib.figure import Figure

    from funnelc.history.label_layout import LabelSpec, place_labels

    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax = fig.add_subplot()
    xs = [0.2 + spread * x * 0.6 for x, _, _ in points]
    ys = [0.2 + spread * y * 0.6 for _, y, _ in points]
    ax.scatter(xs, ys, s=49)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    fig.set_layout_engine("none")
    renderer = canvas.get_renderer()
    texts = place_labels(ax, [LabelSpec(x, y, name) for x, y, (_, _, name)
                              in zip(xs, ys, points)], 12.0, renderer)
    canvas.draw()
    boxes = [t.get_window_extent(renderer) for t in texts]
    frame = ax.get_window_extent(renderer)
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b)
    dots = [ax.transData.transform((x, y)) for x, y in zip(xs, ys)]
    for box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1
        for px, py in dots:
            assert not (box.x0 < px + 6 and px - 6 < box.x1
                        and box.y0 < py + 6 and py - 6 < box.y1)
