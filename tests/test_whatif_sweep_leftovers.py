"""What a consultant tripped on in whatif, sweep and forecast after the review of
2026-12-07 (each test fails on the code before its fix):

* a `--set` variant was named «--set» in the tables («Δ --set»);
* a sweep heat map's colour bar kept three significant digits («5,48%» beside the
  cells' «5,5%») and could repeat a label over a narrow range;
* sweep's CSV rows did not carry the run they came from (the JSON has it in `run`);
* forecast's notes said a small stage's shares are drawn, and then repeated fit's «the
  funnel's shares and delays kept»;
* `--help` of history, fit, forecast and audit did not say that a file that is not a
  history is exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """account "Тест" {{
  language {lang}
  currency RUB
}}
team "Менеджеры" size 3
source "Сайт" 60/day -> "Продажи"."Заявка" value 10k
pipeline "Продажи" main {{
  stage "Заявка" {{
    owner "Менеджеры"
    work exp(1h)
    -> won 30%
    -> lost "Отказ" 70%
  }}
}}
"""
QUICK = ["--days", "12", "--warmup", "2", "--jobs", "1"]


@pytest.mark.parametrize(("lang", "name"), [("ru", "изменение (--set)"),
                                            ("uk", "зміна (--set)"),
                                            ("en", "change (--set)")])
def test_a_set_variant_has_a_name_a_client_reads(tmp_path: Path, lang: str,
                                                  name: str) -> None:
    path = tmp_path / "m.funnel"
    path.write_text(FUNNEL.format(lang=lang), "utf-8")
    args = ["whatif", str(path), "--set", 'team "Менеджеры" size 4', "--reps", "2", *QUICK]
    r = CliRunner().invoke(cli, args, env={"COLUMNS": "1000"})
    assert r.exit_code == 0, r.output
    assert f"Δ {name}" in r.output, r.output
    assert f'{name}: `team "Менеджеры" size 4`' in r.output, r.output
    assert "Δ --set" not in r.output
    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert [s["name"] for s in data["scenarios"]] == ["--set"]  # the JSON's key stays


def _heat_bar_labels(means: list[float]) -> list[str]:
    """The colour bar's labels of a ru heat map of conversion over 2 × len(means)/2 points
    whose means (percent) are `means`."""
    from funnelc.i18n import translator
    from funnelc.sim.results import Estimate
    from funnelc.whatif.grid import SweepPoint, parse_vary
    from funnelc.whatif.metrics import MetricDef
    from funnelc.whatif.plots import sweep_figure

    specs = [parse_vary('team "Менеджеры" size 2..3'), parse_vary('team "Менеджеры" size 4..5')]
    d = MetricDef("conversion", "conversion", None, "conversion", "%", 100.0, None)
    points = [SweepPoint(i, (2 + i % 2, 4 + i // 2), str(i),
                         {"conversion": Estimate(mean=m / 100, ci95=None, sd=None, n=1)}, [])
              for i, m in enumerate(means)]
    fig = sweep_figure(points, specs, d, translator("ru"))
    fig.canvas.draw()
    bar = fig.axes[-1]  # the colour bar comes last
    return [t.get_text() for t in bar.yaxis.get_ticklabels() if t.get_text()]


def test_a_heat_maps_colour_bar_labels_its_ticks_as_the_cells_and_never_twice() -> None:
    """A step of 2.5 put a tick at 5.475 labelled «5,48%» beside «5,5%»; a narrow range
    repeated its labels."""
    wide = _heat_bar_labels([5.41, 5.45, 5.5, 5.52])
    assert wide and len(set(wide)) == len(wide), wide
    assert all(len(t.rstrip("%").replace(",", "").lstrip("0")) <= 3 for t in wide), wide
    assert "5,48%" not in wide and "5,47%" not in wide, wide
    narrow = _heat_bar_labels([5.4751, 5.4752, 5.4753, 5.4754])
    assert narrow and len(set(narrow)) == len(narrow), narrow


def test_every_sweep_csv_row_says_its_observed_days(tmp_path: Path) -> None:
    """The JSON said the run in `run`; the CSV, read in a spreadsheet, did not say over
    which days its revenue was earned. Each row now ends with the observed window (after
    the warm-up), as forecast's CSV dates its rows: 12 days from 1 March, 2 of warm-up."""
    import csv
    import io

    path = tmp_path / "m.funnel"
    path.write_text(FUNNEL.format(lang="ru"), "utf-8")
    r = CliRunner().invoke(cli, ["sweep", str(path), "--vary", 'team "Менеджеры" size 3..4',
                                 "--reps", "2", "--start", "2026-03-01", *QUICK,
                                 "--format", "csv"])
    assert r.exit_code == 0, r.output
    header, *rows = list(csv.reader(io.StringIO(r.stdout)))
    assert header[-2:] == ["first_day", "last_day"], header
    assert rows and all(row[-2:] == ["2026-03-03", "2026-03-12"] for row in rows), rows[:3]


SMALL = """\
account "Known truth" {
  currency USD
}
source "Web" 3/day -> "Sales"."Lead" value 1000
pipeline "Sales" main {
  stage "Lead" {
    -> "Talk" 30% after exp(2d)
    -> lost "No" 70% after exp(2d)
  }
  stage "Talk" {
    -> won 65% after exp(4d)
    -> lost "Dear" 35% after exp(4d)
  }
}
"""


def test_forecasts_notes_agree_on_a_small_stages_shares(tmp_path: Path) -> None:
    """tests/test_forecast_small_stage.py's account: «Talk» has 15 visits old enough to
    have left. The note said its shares are drawn around the funnel's, and the fit's
    warning repeated under it «the funnel's shares and delays kept»."""
    funnel = tmp_path / "truth.funnel"
    funnel.write_text(SMALL, "utf-8")
    records = tmp_path / "h.csv"
    r = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", "60", "--warmup", "0",
                                 "--reps", "1", "--jobs", "1", "--seed", "301", "--records",
                                 str(records), "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["forecast", str(records), "--funnel", str(funnel),
                                 "--as-of", "2018-01-30", "--until", "2018-03-01", "--reps",
                                 "3", "--jobs", "1", "--fit-uncertainty", "--format", "json"])
    assert r.exit_code == 0, r.output
    notes = json.loads(r.stdout)["notes"]
    drawn = [n for n in notes if "has them drawn around the funnel's" in n]
    fit = [n for n in notes if n.startswith("the fit: “Sales.Talk”: too few deals")]
    assert drawn and fit, notes
    assert "shares and delays kept" not in fit[0], fit
    assert fit[0].endswith("every run draws the stage's shares around the funnel's from the "
                           "deals seen there, its delays the funnel's"), fit


@pytest.mark.parametrize("command", ["history", "fit", "forecast", "audit"])
@pytest.mark.parametrize(("lang", "said"), [
    ("en", "a file is not a history funnelc reads"),
    ("ru", "файл — не история, которую читает funnelc"),
    ("uk", "файл — не історія, яку читає funnelc"),
])
def test_help_says_a_file_that_is_not_a_history_is_exit_1(command: str, lang: str,
                                                           said: str) -> None:
    """Since 060ed0f a file that is no history funnelc reads is exit 1 (a problem in the
    input), which `--help` of the four commands that read histories did not say."""
    r = CliRunner().invoke(cli, [command, "--help", "--lang", lang], terminal_width=2000)
    assert r.exit_code == 0, r.output
    assert said in " ".join(r.output.split()), r.output
