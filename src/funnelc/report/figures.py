"""The one figure saver: a matplotlib `Figure` to PNG bytes and SVG text, and to a PNG+SVG
pair of files written together (atomically). Every plot of funnelc goes through here:
the report's four plots, the history plots and back-test chart, the what-if, sweep and
staffing figures, and the what-if section inlined into `report.html`.

Reproducibility is decided here once: the SVG carries no date and its element ids are
salted with a fixed string (`svg.hashsalt`), so the same figure gives the same bytes; the
PNG's only text chunk is the `Software` one the style names. The two styles differ only
where their outputs already differed before they shared this module (DPI, the tight
bounding box, the PNG's `Software` chunk); keeping them keeps the files byte-identical.

matplotlib is imported inside the functions: `report` is imported by commands whose
`--help` must stay light.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

__all__ = ["FigureStyle", "REPORT", "STANDALONE", "RenderedFigure", "SVG_SALT",
           "draws_figure", "render_figure", "render_svg", "save_figure"]

P = ParamSpec("P")

SVG_SALT = "funnelc"
"""Seed of the SVG element ids (clip paths, glyphs); matplotlib uses a random one unless
told, which makes every SVG differ from the last."""


@dataclass(frozen=True)
class FigureStyle:
    """How a figure becomes files. All choices explicit, none left to rcParams."""

    dpi: int
    """Pixels per inch of the PNG (the SVG is vector; its size is the figure's inches)."""
    tight: bool
    """Crop to the drawn content (`bbox_inches="tight"`), for figures laid out by hand."""
    png_software: str | None
    """The PNG's `Software` text chunk; None writes none."""


REPORT = FigureStyle(dpi=110, tight=False, png_software=None)
"""The report's and history's plots: constrained layout, exact figure size."""

STANDALONE = FigureStyle(dpi=120, tight=True, png_software="funnelc")
"""What-if, sweep and staffing figures (`--plot PATH`): cropped to their content."""


@dataclass(frozen=True)
class RenderedFigure:
    png: bytes
    svg: str
    warnings: list[str] = field(default_factory=list)
    """Drawing warnings (e.g. a character the font lacks), for the command to print."""


@contextmanager
def _recording(caught: list[str]) -> Iterator[None]:
    """Collect matplotlib's warnings as text (once each) instead of letting Python print
    them with a source location the user cannot act on."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield
    for w in seen:
        text = str(w.message)
        if text not in caught:
            caught.append(text)


_DRAWN: weakref.WeakKeyDictionary[Figure, list[str]] = weakref.WeakKeyDictionary()
"""Warnings raised while a figure was built (a builder that lays its figure out draws
its text then), handed to the render of that figure."""


def draws_figure(build: Callable[P, Figure]) -> Callable[P, Figure]:
    """Decorate a figure builder so the warnings it raises (a glyph missing from the
    font, met by `tight_layout`) are reported with the figure's own when it is saved."""

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        caught: list[str] = []
        with _recording(caught):
            fig = build(*args, **kwargs)
        _DRAWN[fig] = caught
        return fig

    return wrapper


def _svg(fig: Figure, style: FigureStyle, buf: io.BytesIO) -> None:
    from matplotlib import rc_context

    with rc_context({"svg.hashsalt": SVG_SALT}):
        fig.savefig(buf, format="svg", dpi=style.dpi, metadata={"Date": None},
                    bbox_inches="tight" if style.tight else None)


def _close(fig: Figure) -> None:
    """Release a figure pyplot may be tracking (the what-if figures are drawn with
    pyplot); a plain `Figure` is not registered anywhere and needs nothing."""
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def _no_engine(fig: Figure) -> None:
    """No layout engine at all (not "none", a placeholder): matplotlib then saves the
    figure without first drawing all of it to lay it out (`print_figure` draws the whole
    figure with its drawing switched off whenever the figure has an engine)."""
    from matplotlib import rc_context

    with rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


def _lay_out(fig: Figure, dpi: int, tight: bool = False) -> Bbox | None:
    """Run the figure's layout engine as `savefig` would at `dpi`, then freeze it; with
    `tight`, return the PNG's cropping box (`bbox_inches="tight"`'s, padded as `savefig`
    pads it), measured on the same canvas, for `savefig` to use as it is.

    With an engine, `savefig` first draws the whole figure with its drawing switched off
    (`print_figure`'s "trigger a draw before printing to make sure CL works"): the engine
    runs at the start of that draw, and the rest of it, every artist, tick and text
    measured and thrown away, is a third of the PNG's time; the PNG's own draw does it all
    again. Run here alone, on the Agg canvas at the PNG's DPI (where that draw runs it),
    the engine places the axes where it did there: the files are byte-identical. The
    canvas stays Agg, so the PNG's draw reuses the renderer and its text measurements."""
    from matplotlib import cbook, rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    engine = fig.get_layout_engine()
    if engine is None and not tight:
        return None
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    box = None
    with cbook._setattr_cm(fig, dpi=dpi):
        if engine is not None and fig.axes:
            # As `Figure.draw` runs it: only with axes, and a ValueError is no layout.
            with contextlib.suppress(ValueError):
                engine.execute(fig)
        if tight:
            pad = rcParams["savefig.pad_inches"]
            box = fig.get_tightbbox(canvas.get_renderer()).padded(pad, pad)
    _no_engine(fig)
    return box


def render_figure(fig: Figure, style: FigureStyle) -> RenderedFigure:
    """PNG bytes, SVG text and the drawing warnings, then the figure is closed. The PNG
    is drawn first; its layout is then frozen so the SVG shows the very same one
    (constrained layout would otherwise run again and may move things)."""
    caught = _DRAWN.pop(fig, [])
    png = io.BytesIO()
    svg = io.BytesIO()
    with _recording(caught):
        box = _lay_out(fig, style.dpi, style.tight)
        fig.savefig(png, format="png", dpi=style.dpi,
                    metadata={"Software": style.png_software}, bbox_inches=box)
        _svg(fig, style, svg)
    _close(fig)
    return RenderedFigure(png.getvalue(), svg.getvalue().decode("utf-8"), caught)


def render_svg(fig: Figure, style: FigureStyle) -> RenderedFigure:
    """The SVG alone (for inlining into HTML), then the figure is closed: the SVG
    `render_figure` gives with the PNG, laid out where the PNG's is, without drawing the
    PNG."""
    caught = _DRAWN.pop(fig, [])
    svg = io.BytesIO()
    with _recording(caught):
        if not style.tight:
            _lay_out(fig, style.dpi)
        _svg(fig, style, svg)
    _close(fig)
    return RenderedFigure(b"", svg.getvalue().decode("utf-8"), caught)


def save_figure(fig: Figure, png: str, svg: str, style: FigureStyle = STANDALONE) -> list[str]:
    """Write the figure as PNG and SVG, both rendered first and then written together
    (`atomic.write_all`): a full disk leaves neither a new PNG beside an old SVG nor a
    torn file. Returns the drawing warnings. OSError propagates for the caller to report
    with the path."""
    from ..atomic import write_all

    out = render_figure(fig, style)
    write_all({png: out.png, svg: out.svg.encode("utf-8")})
    return out.warnings
