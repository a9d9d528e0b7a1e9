"""Drawing the plots: the report's four figures of `pipelines/cottages.funnel` (one
replication, 60 days) through the one figure saver, `funnelc.report.figures.render_figure`
(PNG at 110 dpi and SVG), against the same figures saved the way `savefig` saves a
figure with a layout engine (what `render_figure` did before 6967925): the PNG with
constrained layout on, which first draws the whole figure with drawing switched off only
to run the layout, then the SVG with the layout frozen.

CPU time in process (`time.process_time`, the machine is shared), each figure built
afresh for every round and the building not timed; rounds interleaved, medians compared.
Both ways must write the same bytes: the row fails otherwise, whatever the time.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import ROOT, Result

ROUNDS = 5
FUNNEL = ROOT / "pipelines" / "cottages.funnel"


def _report_data() -> Any:
    """The report's tables, as `funnelc report` hands them to its plots."""
    from click.testing import CliRunner

    import funnelc.report.plots as plots
    from funnelc.cli import cli

    caught: list[Any] = []
    draw_all = plots.draw_all

    def keep(data: Any) -> Any:
        caught.append(data)
        return draw_all(data)

    plots.draw_all = keep
    try:
        with tempfile.TemporaryDirectory(prefix="funnelc-bench-figures-") as tmp:
            r = CliRunner().invoke(cli, ["report", str(FUNNEL), "--reps", "1", "--days", "60",
                                         "--jobs", "1", "-o", str(Path(tmp) / "r")])
    finally:
        plots.draw_all = draw_all
    assert caught, r.output
    return caught[0]


def _savefig_pair(fig: Any) -> tuple[bytes, str]:
    from matplotlib import rc_context

    from funnelc.report.figures import REPORT, SVG_SALT

    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=REPORT.dpi, metadata={"Software": None})
    fig.set_layout_engine(None)
    with rc_context({"svg.hashsalt": SVG_SALT}):
        fig.savefig(svg, format="svg", dpi=REPORT.dpi, metadata={"Date": None})
    return png.getvalue(), svg.getvalue().decode("utf-8")


def _render(fig: Any) -> tuple[bytes, str]:
    from funnelc.report.figures import REPORT, render_figure

    out = render_figure(fig, REPORT)
    return out.png, out.svg


def _timed(data: Any, save: Callable[[Any], tuple[bytes, str]]
           ) -> tuple[float, list[tuple[bytes, str]]]:
    from matplotlib import rc_context

    from funnelc.report.plots import PLOTS, RC

    spent = 0.0
    files = []
    with rc_context(RC):
        for _name, _title, draw in PLOTS:
            fig = draw(data)
            start = time.process_time()
            files.append(save(fig))
            spent += time.process_time() - start
    return spent, files


def run() -> list[Result]:
    data = _report_data()
    ours: list[float] = []
    theirs: list[float] = []
    same = True
    for _ in range(ROUNDS):
        t_ref, ref = _timed(data, _savefig_pair)
        t_ours, got = _timed(data, _render)
        theirs.append(t_ref)
        ours.append(t_ours)
        same = same and got == ref
    value = statistics.median(ours)
    reference = statistics.median(theirs)
    return [Result(
        "report's 4 plots of cottages: PNG + SVG, CPU", value if same else float("inf"), "s",
        reference, "savefig with the layout engine on", 0.95 * reference,
        note=f"median of {ROUNDS} interleaved rounds; target 0.95 x the reference; "
             + ("files byte-identical" if same else "FILES DIFFER from savefig's"))]


if __name__ == "__main__":
    for r in run():
        print(r)
