"""A finished run → the report's files, in memory: `report.html`, `summary.json`,
`stages.csv`, and each plot as PNG and SVG. Nothing touches the disk here, so a failure
while rendering leaves no partial report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim.config import SimConfig
    from ..sim.results import SimResult
    from ..sim.stats import RepStats

__all__ = ["Report", "build_report", "report_file_names"]

HTML = "report.html"
SUMMARY = "summary.json"
CSV = "stages.csv"


def report_file_names() -> list[str]:
    from .plots import PLOTS

    names = [HTML, SUMMARY, CSV]
    for name, _, _ in PLOTS:
        names += [f"{name}.png", f"{name}.svg"]
    return names


@dataclass
class Report:
    files: dict[str, str | bytes]
    """File name → content, in the order they are listed to the user."""
    headline: str
    warnings: list[str] = field(default_factory=list)
    money: str | None = None
    """The money line the command prints under the headline (`report.terminal`)."""
    language: str | None = None
    """The account's `language`, which the printed lines speak (`--lang` overrides)."""


def build_report(model: FunnelFile, config: SimConfig, reps: list[RepStats],
                 result: SimResult, version: str,
                 extra_sections: Sequence[tuple[str, str, str]] = ()) -> Report:
    from .csv import stages_csv
    from .data import collect
    from .headline import headlines, one_line
    from .html import render_html
    from .plots import draw_all
    from .summary import summary_json
    from .terminal import money_line

    data = collect(model, config, reps, result)
    heads = headlines(result, model)
    line = one_line(result, model)
    plots = draw_all(data)
    names = report_file_names()
    files: dict[str, str | bytes] = {
        HTML: render_html(data, heads, plots, version, names, extra_sections),
        SUMMARY: summary_json(data, heads, line, names, version),
        CSV: stages_csv(data),
    }
    warnings: list[str] = []
    for plot in plots:
        files[f"{plot.name}.png"] = plot.png
        files[f"{plot.name}.svg"] = plot.svg
        warnings += [f"{plot.name} plot: {w}" for w in plot.warnings if w not in warnings]
    assert list(files) == names
    return Report(files=files, headline=line, warnings=warnings, money=money_line(data),
                  language=data.language)
