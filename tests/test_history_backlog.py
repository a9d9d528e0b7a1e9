"""The month-end backlog of `funnelc history` (its plot; the back-test counts its own the
same way): deals in each stage at local midnight of the first of each month, whatever the
time of day of the data's first event. `dt.month_start()` kept that time of day, so a
history starting at 13:45 counted every month end at 13:45 on the 1st."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.run import prepare

ROWS = """deal_id,timestamp,pipeline,stage
d1,2024-01-10T13:45:00Z,Продажи,Новая
d2,2024-01-20T09:00:00Z,Продажи,Новая
d2,2024-02-01T10:00:00Z,Продажи,Встреча
d3,2024-02-10T10:00:00Z,Продажи,Новая
"""


def _wip(path: Path, tz: str) -> dict[tuple[str, str], int]:
    tables = prepare([str(path)], tz, None).tables
    return {(row["stage"], row["month"]): row["wip"]
            for row in tables.backlog.iter_rows(named=True)}


def test_month_end_is_midnight_not_the_first_events_time_of_day(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(ROWS, encoding="utf-8")
    wip = _wip(path, "UTC")
    # At 2024-02-01 00:00 d2 is still in «Новая» (it moves at 10:00), with d1.
    assert wip[("Новая", "2024-01")] == 2
    assert wip.get(("Встреча", "2024-01"), 0) == 0


def test_month_end_is_local_midnight(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(ROWS.replace("2024-02-01T10:00:00Z", "2024-01-31T22:00:00Z"),
                    encoding="utf-8")
    # 22:00 UTC on the 31st is 01:00 on the 1st in Moscow: after local midnight.
    assert _wip(path, "Europe/Moscow")[("Новая", "2024-01")] == 2
    assert _wip(path, "UTC")[("Новая", "2024-01")] == 1


def _legend(path: Path, out: Path) -> list[str]:
    """The backlog plot's legend entries, as `funnelc history -o` draws them (the SVG
    keeps each text as a comment before its glyphs)."""
    result = CliRunner().invoke(cli, ["history", str(path), "-o", str(out)],
                                env={"NO_COLOR": "1", "COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    svg = (out / "plots" / "backlog.svg").read_text(encoding="utf-8")
    return re.findall(r"<!-- (.*?) -->", svg[svg.index('<g id="legend_1">'):])


def _two_pipelines(pipelines: tuple[str, ...]) -> str:
    """Deals waiting in «Новая заявка» (then «Консультация») of each pipeline across
    the ends of January and February 2024."""
    rows = ["deal_id,timestamp,pipeline,stage"]
    for p in pipelines:
        for i in range(6):
            deal = f"{p}-{i}"
            rows.append(f"{deal},2024-01-{10 + i}T10:00:00Z,{p},Новая заявка")
            rows.append(f"{deal},2024-02-{10 + i}T10:00:00Z,{p},Консультация")
            if i % 2:
                rows.append(f"{deal},2024-03-{10 + i}T10:00:00Z,{p},won")
    return "\n".join(rows) + "\n"


def test_the_legend_names_the_pipeline_of_each_stage(tmp_path: Path) -> None:
    # Two pipelines with a «Новая заявка» each: the legend said «Новая заявка» twice,
    # two lines nobody could tell apart. A plot that spans pipelines names each line's
    # pipeline, as the time-in-stage and shape plots do («Первичные › Новая заявка»).
    path = tmp_path / "two.csv"
    path.write_text(_two_pipelines(("Первичные", "Повторные")), encoding="utf-8")
    legend = _legend(path, tmp_path / "two")
    assert sorted(legend) == ["Первичные › Консультация", "Первичные › Новая заявка",
                              "Повторные › Консультация", "Повторные › Новая заявка"], legend
    # One pipeline: its stages alone, as before.
    path.write_text(_two_pipelines(("Первичные",)), encoding="utf-8")
    assert sorted(_legend(path, tmp_path / "one")) == ["Консультация", "Новая заявка"]


TWO_FUNNEL = """account "Клиника" {
  language ru
}
source "Сайт" 4/day -> "Первичные"."Новая заявка"
source "Повторный визит" 2/day -> "Повторные"."Новая заявка"
pipeline "Первичные" sales {
  stage "Новая заявка" {
    -> "Консультация" 70% after exp(2d)
    -> lost "Не дозвонились" 30% after exp(1d)
  }
  stage "Консультация" {
    -> won 50% after exp(5d)
    -> lost "Дорого" 50% after exp(5d)
  }
}
pipeline "Повторные" sales {
  stage "Новая заявка" {
    -> "Консультация" 80% after exp(1d)
    -> lost "Не дозвонились" 20% after exp(1d)
  }
  stage "Консультация" {
    -> won 60% after exp(3d)
    -> lost "Дорого" 40% after exp(3d)
  }
}
"""


def _svg_texts(svg: Path) -> set[str]:
    return set(re.findall(r"<!-- (.*?) -->", svg.read_text(encoding="utf-8")))


def test_history_and_report_write_a_stage_path_alike(tmp_path: Path) -> None:
    """A client reads the history page beside the report: the same stage of a two-pipeline
    account was «Первичные · Новая заявка» on the history's plots and «Первичные › Новая
    заявка» on the report's. Both write the report's «›» now."""
    path = tmp_path / "two.csv"
    path.write_text(_two_pipelines(("Первичные", "Повторные")), encoding="utf-8")
    history = tmp_path / "history"
    assert "Первичные › Новая заявка" in _legend(path, history)
    drawn = _svg_texts(history / "plots" / "time_in_stage.svg") | _svg_texts(
        history / "plots" / "shape.svg")
    funnel = tmp_path / "two.funnel"
    funnel.write_text(TWO_FUNNEL, encoding="utf-8")
    report = tmp_path / "report"
    result = CliRunner().invoke(cli, ["report", str(funnel), "-o", str(report), "-q",
                                      "--days", "40", "--warmup", "10", "--reps", "2",
                                      "--jobs", "1", "--seed", "1"])
    assert result.exit_code == 0, result.output
    reported = _svg_texts(report / "time_in_stage.svg")
    for stage in ("Первичные › Новая заявка", "Повторные › Консультация"):
        assert stage in drawn and stage in reported, (stage, sorted(drawn), sorted(reported))
    assert not [t for t in drawn | reported if " · " in t], sorted(drawn | reported)
