"""The one figure saver (`funnelc.report.figures`): every `--plot` and the report's
inlined what-if plot come out byte-identical from run to run (the SVG ids were salted
at random before it), and a glyph the font lacks is a `warning: plot:` line, not a
Python warning with a source location."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """
team Sales size 2
source Web 10/day -> P.First
pipeline P main {
  stage First {
    owner Sales
    work 10m
    respond 30m
    -> won 60%
    -> lost "junk" 40%
  }
}
scenario "Bigger team \u4e2d" {
  team Sales size 3
}
"""

FAST = ["--days", "20", "--warmup", "5", "--reps", "2", "--jobs", "1"]


def _run(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(cli, args)
    return r.exit_code, r.output


def test_whatif_plot_is_reproducible_and_glyph_warning_is_plain(tmp_path: Path) -> None:
    src = tmp_path / "f.funnel"
    src.write_text(FUNNEL, encoding="utf-8")
    outs = []
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        for name in ("a", "b"):
            code, out = _run(["whatif", str(src), *FAST, "--plot", str(tmp_path / name)])
            assert code == 0, out
            outs.append(out)
    for ext in ("png", "svg"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes(), ext
    assert outs[0].count("warning: plot: Glyph 20013") == 1, outs[0]
    assert not [w for w in escaped if "Glyph" in str(w.message)], "a Python warning escaped"


def test_sweep_plot_is_reproducible(tmp_path: Path) -> None:
    src = tmp_path / "f.funnel"
    src.write_text(FUNNEL, encoding="utf-8")
    for name in ("a", "b"):
        code, out = _run(["sweep", str(src), "--vary", "team Sales size 1..2", *FAST,
                          "--metric", "conversion", "--plot", str(tmp_path / name)])
        assert code == 0, out
    made = sorted(p.name for p in tmp_path.glob("a*.svg"))
    assert made, "sweep wrote no SVG"
    for svg in made:
        twin = tmp_path / ("b" + svg[1:])
        assert (tmp_path / svg).read_bytes() == twin.read_bytes(), svg
        png = svg[:-3] + "png"
        assert (tmp_path / png).read_bytes() == (tmp_path / ("b" + png[1:])).read_bytes(), png


def test_report_with_whatif_section_is_reproducible(tmp_path: Path) -> None:
    src = tmp_path / "f.funnel"
    src.write_text(FUNNEL, encoding="utf-8")
    for name in ("a", "b"):
        code, out = _run(["report", str(src), *FAST, "--whatif", "-o", str(tmp_path / name)])
        assert code == 0, out
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert 'id="whatif"' in html and "<svg" in html
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_history_backlog_months_in_calendar_order(tmp_path: Path) -> None:
    """The stage with the largest backlog is plotted first; it has deals only from
    March, and January and February used to land after December on the x axis."""
    rows = ["deal_id,timestamp,pipeline,stage"]
    rows += [f"a{i},2024-01-0{i + 1}T10:00:00Z,P,First" for i in range(2)]
    rows += [f"a{i},2024-02-2{i}T10:00:00Z,P,won" for i in range(2)]
    rows += [f"b{i},2024-03-{i + 10}T10:00:00Z,P,Second" for i in range(9)]
    rows += [f"b{i},2024-05-{i + 10}T10:00:00Z,P,lost" for i in range(9)]
    src = tmp_path / "h.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out = _run(["history", str(src), "-o", str(tmp_path / "out")])
    assert code in (0, 1), out
    svg = (tmp_path / "out" / "plots" / "backlog.svg").read_text(encoding="utf-8")
    months = re.findall(r"<!-- (\d{4}-\d\d) -->", svg)
    assert months and months == sorted(months), months
