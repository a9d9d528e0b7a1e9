"""The history plots' legends sit where they cover no data. The realty agency's inflow
(tests/data/realty_amocrm_ru, seed 2: 40 new deals every month, one source) is a row of
bars that reach the top of the axes, and its legend, placed «upper left» inside them,
covered the January bar in the report a consultant sent back (issue 14). Checked on the
drawn artists: the legend's box against each bar's and each plotted point's, in pixels,
as matplotlib lays them out for the page (the report's style, `funnelc.report.plots.RC`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from conftest import data_generator
from funnelc.history.analytics import HistoryTables
from funnelc.i18n import Translator, translator

TZ = "Asia/Yekaterinburg"
FUNNEL = Path(__file__).resolve().parent / "data" / "realty_amocrm_ru" / "realty.funnel"


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> HistoryTables:
    """The realty agency's history tables, read against its funnel, as `history` reads
    them."""
    from funnelc.api import load_file
    from funnelc.history.run import prepare

    out = tmp_path_factory.mktemp("realty")
    data_generator("realty_amocrm_ru").write(out, 2)
    return prepare([str(out)], TZ, load_file(FUNNEL).model).tables


def _boxes_covered(draw: Callable[[HistoryTables, Translator], object],
                   t: HistoryTables) -> Iterator[str]:
    """What the legend's box overlaps: each bar, and each point of a line or a marker,
    by its place in the drawn figure."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from funnelc.report.plots import RC

    with rc_context(RC):
        fig = draw(t, translator("ru"))
        assert isinstance(fig, Figure)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        legends = [*fig.legends, *(lg for ax in fig.axes if (lg := ax.get_legend()))]
        assert legends, "the plot has a legend"
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in fig.axes:
                for bar in ax.patches:
                    if (isinstance(bar, Rectangle) and bar.get_height() and bar.get_width()
                            and box.overlaps(bar.get_window_extent(renderer))):
                        yield f"bar at {bar.get_x():.1f}, {bar.get_y():.1f}"
                for line in ax.get_lines():
                    if not line.get_visible():
                        continue
                    for x, y in line.get_transform().transform(line.get_xydata()):
                        if box.contains(x, y):
                            yield f"a point of {line.get_label()!r}"


LEGENDS = ("inflow", "conversion", "time_in_stage", "backlog")
"""The history plots that carry a legend (the funnel shape writes its counts beside its
bars instead)."""


@pytest.mark.parametrize("name", LEGENDS)
def test_no_legend_covers_a_bar_or_a_point(tables: HistoryTables, name: str) -> None:
    from funnelc.history.plots import PLOTS

    draw = {n: d for n, _title, d in PLOTS}[name]
    assert list(_boxes_covered(draw, tables)) == []


def test_the_inflow_bars_fill_the_axes(tables: HistoryTables) -> None:
    """What made the legend land on data: every month's bar reaches the top, so the
    check above has no empty corner to be lucky with."""
    months = tables.inflow.group_by("month").agg(pl.col("deals").sum())
    assert months.height == 10 and set(months["deals"].to_list()) == {40}


@pytest.mark.parametrize(("lang", "rest"), [("ru", "прочие источники (3)"),
                                            ("uk", "інші джерела (3)"),
                                            ("en", "other sources (3)")],
                         ids=["ru", "uk", "en"])
def test_the_lumped_sources_are_named_and_coloured_apart_from_a_source_called_other(
        tmp_path: Path, lang: str, rest: str) -> None:
    """Review s20 F9: past ten sources the inflow plot lumps the smallest into one series;
    it was labelled with the English literal "other" — the name of Olist's own source
    «other», also in the legend — and drawn in the first series' blue. Twelve sources
    here, «other» among the largest: the legend names it once, and the lump as the
    language says it with how many sources it holds; every series has its own colour,
    and the bars add up to the deals, each counted once."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex

    from funnelc.history.plots import inflow_plot
    from funnelc.history.run import prepare

    names = [f"src{i:02d}" for i in range(12)]
    names[1] = "other"
    rows = ["deal_id,timestamp,stage,source"]
    n = 0
    for i, name in enumerate(names):
        for _k in range(30 - 2 * i):
            n += 1
            rows.append(f"d{n},2026-03-{1 + n % 28:02d} 10:00,Заявка,{name}")
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tables = prepare([str(path)], "UTC", None).tables
    fig = inflow_plot(tables, translator(lang))
    FigureCanvasAgg(fig).draw()
    (ax,) = fig.axes
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [*names[:9], rest]
    colours = [to_hex(bar.get_facecolor()) for bar in ax.patches]
    assert len(set(colours)) == len(labels), colours
    assert sum(round(bar.get_height()) for bar in ax.patches) == n
    assert round(ax.patches[-1].get_height()) == sum(30 - 2 * i for i in (9, 10, 11))
