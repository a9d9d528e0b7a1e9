"""The one figure saver draws each output once (`funnelc.report.figures`).

`savefig` of a figure with a layout engine first draws the whole figure with its drawing
switched off, only to run the engine at the start of that draw, and then draws it again
for real: a third of a report plot's PNG time went to that first draw, whose every
measured text and tick was thrown away. `render_figure` now runs the constrained layout
alone, as that draw would, and saves a figure with no engine: one draw for the PNG, one
for the SVG. The files must be the bytes `savefig` wrote with the engine.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib import rc_context
from matplotlib.figure import Figure

from funnelc.report.figures import REPORT, STANDALONE, SVG_SALT, render_figure, render_svg
from funnelc.report.plots import RC


def _figure() -> Figure:
    """Two panels, long tick labels, titles and a figure legend outside the axes: what
    the constrained layout has to measure to place the axes."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    axes = fig.subplots(2, 1, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.barh(range(4), [3, 14, 159, 2653], label=f"серия {i}")
        ax.set_yticks(range(4), ["Квалификация", "Встреча назначена",
                                 "Коммерческое предложение", "Договор"])
        ax.set_title(f"Панель {i + 1}: сделки по этапам", loc="left")
        ax.set_xlabel("сделки")
    fig.suptitle("Воронка продаж за 2026 год")
    fig.legend(loc="outside lower center", ncol=2)
    return fig


@contextmanager
def _counting(calls: list[str]) -> Iterator[None]:
    """Count `Figure.draw`, with or without the drawing switched off."""
    draw = Figure.draw

    def counted(self: Figure, renderer: object) -> None:
        calls.append(type(renderer).__name__)
        draw(self, renderer)

    Figure.draw = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        Figure.draw = draw  # type: ignore[method-assign]


def test_a_report_figure_is_drawn_once_per_file() -> None:
    calls: list[str] = []
    with rc_context(RC), _counting(calls):
        render_figure(_figure(), REPORT)
    # Before: three draws (the PNG's switched-off one, the PNG's, the SVG's).
    assert len(calls) == 2, calls


def test_the_files_are_those_savefig_writes_with_the_layout_engine() -> None:
    with rc_context(RC):
        got = render_figure(_figure(), REPORT)
        fig = _figure()
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=REPORT.dpi, metadata={"Software": None})
        fig.set_layout_engine(None)
        with rc_context({"svg.hashsalt": SVG_SALT}):
            fig.savefig(svg, format="svg", dpi=REPORT.dpi, metadata={"Date": None})
    assert got.png == png.getvalue()
    assert got.svg == svg.getvalue().decode("utf-8")


def test_the_svg_alone_is_the_pairs_svg_drawn_once() -> None:
    """The back-test page inlines the SVG alone: it drew a PNG it threw away. Alone, the
    SVG is laid out where the pair's is and drawn once."""
    calls: list[str] = []
    with rc_context(RC):
        pair = render_figure(_figure(), REPORT)
        with _counting(calls):
            alone = render_svg(_figure(), REPORT)
    assert len(calls) == 1, calls
    assert alone.svg == pair.svg


def test_a_cropped_figure_is_measured_not_drawn_before_its_png() -> None:
    """The `--plot` figures are cropped to their content (`bbox_inches="tight"`), laid
    out by `tight_layout` in their builders: the PNG's box is measured on the PNG's
    canvas, not found by a switched-off draw of the whole figure first. The SVG keeps
    `savefig`'s own (its text is measured by the SVG renderer)."""
    def tight() -> Figure:
        fig = _figure()
        fig.set_layout_engine(None)
        fig.tight_layout()
        return fig

    calls: list[str] = []
    with rc_context(RC):
        with _counting(calls):
            got = render_figure(tight(), STANDALONE)
        fig = tight()
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=STANDALONE.dpi, bbox_inches="tight",
                    metadata={"Software": STANDALONE.png_software})
        fig.set_layout_engine(None)
        with rc_context({"svg.hashsalt": SVG_SALT}):
            fig.savefig(svg, format="svg", dpi=STANDALONE.dpi, bbox_inches="tight",
                        metadata={"Date": None})
    # Before: four (the PNG's switched-off draw and its own, the SVG's two).
    assert calls == ["RendererAgg", "MixedModeRenderer", "MixedModeRenderer"], calls
    assert got.png == png.getvalue()
    assert got.svg == svg.getvalue().decode("utf-8")
