"""`sweep`'s table writes each column in one scale, with each ± in its mean's unit, and
its line plot's legend sits clear of the data (a native speaker's review of the
cottages account, Ukrainian):

* the SLA timeouts' column read «6 867 ±399», «9 243 ±425», then «11,26 тис. ±259» (the
  mean in thousands, its ± in deals) where the heat map said «11 263»: counts are whole
  numbers in every cell now;
* a revenue cell read «1,91 ±0,00463 млрд» with its «₽» wrapped alone onto the next line,
  while other rows of the column could be in «млн»: the column's scale and sign are in
  its header («виручка (млрд ₽)») and its cells are figures in that scale, never wrapped;
* a half-width of 770 to two digits read «±7,7e+02»;
* the legend of the lines (error bars) was placed by `loc="best"` over a bar and a line:
  it is outside the axes now, and no plotted point or error bar is under it.

Run through the CLI as a user runs it, on the Russian account and with `--lang uk`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
COTTAGES = str(ROOT / "pipelines" / "cottages.funnel")  # language ru
GRID = ["--vary", 'team "Менеджеры" size 3..4',
        "--vary", 'source "Калькулятор на сайте" rate 200..600/week step 400',
        "--days", "90", "--warmup", "30", "--reps", "2", "--jobs", "2"]


def _rows(out: str) -> tuple[list[str], list[list[str]]]:
    """The table's header cells (joined over its lines) and its body rows' cells."""
    lines = out.splitlines()
    head = [line for line in lines if line.startswith("┃")]
    columns = [" ".join(parts) for parts in zip(*(
        [c.strip() for c in line.strip("┃").split("┃")] for line in head))]
    body = [[c.strip() for c in line.strip("│").split("│")] for line in lines
            if line.startswith("│")]
    return [" ".join(c.split()) for c in columns], body


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_sweep_columns_keep_one_scale(lang: str) -> None:
    result = CliRunner().invoke(cli, ["sweep", COTTAGES, *GRID, "--lang", lang],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    header, body = _rows(result.output)
    revenue = next(i for i, h in enumerate(header) if h.startswith(("выручка", "виручка")))
    timeouts = next(i for i, h in enumerate(header) if "SLA" in h)
    assert re.fullmatch(r"(выручка|виручка) \((млн|млрд)\s₽\)", header[revenue])
    assert len(body) == 4  # every row on one line: no cell wrapped
    for row in body:
        # with 2 replications an interval reaching below 0 is printed by its ends
        assert re.fullmatch(r"\d[\d,]* (±\d[\d,]*|\[0–\d[\d,]*\])", row[revenue]), row[revenue]
        assert re.fullmatch(r"\d{1,3}(\s\d{3})* ±\d[\d\s,]*", row[timeouts]), row[timeouts]
    assert "тыс." not in result.output and "тис." not in result.output
    assert "e+" not in result.output


def _captured(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from funnelc.report import figures

    seen: list[Any] = []
    save = figures.save_figure

    def keep(fig: Any, png: str, svg: str, *args: Any, **kwargs: Any) -> list[str]:
        seen.append(fig)
        return save(fig, png, svg, *args, **kwargs)

    monkeypatch.setattr(figures, "save_figure", keep)
    return seen


def test_sweep_line_legend_is_clear_of_the_data(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """Each line panel's legend, measured by matplotlib's renderer, lies outside its axes,
    and no point or error bar end of the lines falls inside it."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    seen = _captured(monkeypatch)
    result = CliRunner().invoke(cli, ["sweep", COTTAGES, *GRID, "--lang", "uk", "--metric",
                                      "revenue", "--metric", "timeouts", "--plot",
                                      str(tmp_path / "sw")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(seen) == 2
    for fig in seen:
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        lines = next(ax for ax in fig.axes if ax.get_legend() is not None)
        box = lines.get_legend().get_window_extent(renderer)
        assert not box.overlaps(lines.get_window_extent(renderer))
        points = [ln.get_xydata() for ln in lines.get_lines()]
        ends = [seg for coll in lines.collections for seg in coll.get_segments()]
        xy = np.concatenate([*points, *ends]) if ends else np.concatenate(points)
        shown = lines.transData.transform(xy)
        assert not any(box.contains(x, y) for x, y in shown)
