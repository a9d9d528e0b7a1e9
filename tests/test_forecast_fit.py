"""`funnelc forecast --fit-uncertainty` (issue 13, part 5): the funnel's figures fitted on
the history and drawn anew for every run, so the 80/95 % intervals carry the fit's
uncertainty as well as the process's — at least as wide as the point fit's, covering
what a synthetic account with a known truth went on to win, and saying which kind of
interval they are."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import reps
from funnelc.cli import cli

jsonschema = pytest.importorskip("jsonschema")

TRUTH = """\
account "Known truth" {
  currency USD
}

source "Web" 1/day -> "Sales"."Offer" value 1000

pipeline "Sales" main {
  stage "Offer" {
    -> won 60% after exp(5d)
    -> lost "No" 40% after exp(5d)
  }
}

scenario "No arrivals" {
  source "Web" 0/day
}
"""
"""A month's wins come from ~5 deals open at the cut and ~30 new ones: 60 days of
history (~45 deals old enough to have left) pin the rate and the share down to ±20-25 %
(95 %), as wide as the process's own noise, so leaving the fit's uncertainty out would
show."""

DAYS = 90
AS_OF = "2018-03-01"
"""Day 60 of the simulated history (from 2018-01-01): the forecast's today."""
UNTIL = "2018-03-31"
"""Day 90, the history's horizon: the 30 forecast days are the ones it went on to live."""
CUT_HOURS, END_HOURS = 60 * 24.0, 90 * 24.0


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"}, prog_name="funnelc")


def history(folder: Path, seed: int) -> Path:
    """The records of `DAYS` days of the truth: its past up to `AS_OF` and its future."""
    path = folder / f"truth-{seed}.csv"
    res = invoke("simulate", str(folder / "truth.funnel"), "--days", str(DAYS), "--warmup",
                 "0", "--reps", "1", "--jobs", "1", "--seed", str(seed), "--records",
                 str(path), "-q")
    assert res.exit_code == 0, res.output
    return path


def realised_wins(records: Path) -> int:
    """Deals the truth won in the forecast window (after the cut, up to its horizon)."""
    with open(records, encoding="utf-8", newline="") as fh:
        return sum(1 for row in csv.DictReader(fh)
                   if row["outcome"] == "won"
                   and CUT_HOURS <= float(row["left_hours"]) < END_HOURS)


def forecast(records: Path, funnel: Path, runs: int, *extra: str) -> dict[str, Any]:
    res = invoke("forecast", str(records), "--funnel", str(funnel), "--as-of", AS_OF,
                 "--until", UNTIL, "--reps", str(runs), "--jobs", "1", "--seed", "11",
                 "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    data: dict[str, Any] = json.loads(res.stdout)
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit-uncertainty")
    (out / "truth.funnel").write_text(TRUTH, encoding="utf-8")
    return out


def width(band: dict[str, float], lo: str, hi: str) -> float:
    return band[hi] - band[lo]


def test_intervals_with_the_fits_uncertainty_are_at_least_as_wide_as_the_point_fits(
        folder: Path) -> None:
    """The same figures (the fit `funnelc fit` writes from the same history) simulated
    as given and drawn per run, with the same seed: the runs share their random streams,
    so the draws alone widen the intervals."""
    records = history(folder, 21)
    past = folder / "past.csv"
    with open(records, encoding="utf-8", newline="") as fh, \
            open(past, "w", encoding="utf-8", newline="") as out:
        rows = csv.DictReader(fh)
        assert rows.fieldnames is not None
        w = csv.DictWriter(out, rows.fieldnames)
        w.writeheader()
        for row in rows:  # the history as it stood at the cut: what the fit sees
            if float(row["entered_hours"]) < CUT_HOURS:
                if row["left_hours"] and float(row["left_hours"]) >= CUT_HOURS:
                    row.update(left_hours="", outcome="open")
                w.writerow(row)
    fitted = folder / "fitted.funnel"
    res = invoke("fit", str(past), "--funnel", str(folder / "truth.funnel"), "-o", str(fitted))
    assert res.exit_code == 0, res.output

    runs = reps(200, 120)
    point = forecast(records, fitted, runs)
    drawn = forecast(records, folder / "truth.funnel", runs, "--fit-uncertainty")
    assert (point["interval_kind"], drawn["interval_kind"]) == ("process", "process_and_fit")
    assert point["fit"] is None
    assert drawn["fit"]["stages_fitted"] == 1 and drawn["fit"]["sources_fitted"] == 1
    assert drawn["fit"]["stages_kept"] == drawn["fit"]["sources_kept"] == 0
    p, d = point["rows"][0], drawn["rows"][0]
    # The point fit is the drawn runs' centre: both expect the same wins (within noise).
    assert abs(p["total"]["won"]["mean"] - d["total"]["won"]["mean"]) < 0.15 * p["total"]["won"]["mean"]
    for measure in ("won", "revenue"):
        for lo, hi in (("p10", "p90"), ("p2_5", "p97_5")):
            assert width(d["total"][measure], lo, hi) >= width(p["total"][measure], lo, hi), (
                measure, lo, hi, p["total"], d["total"])
    # Parameter uncertainty adds variance: the spread grows, it does not merely hold
    # (without the draws the two would be all but equal: the runs share their streams).
    both = sum(width(d["total"]["won"], lo, hi) for lo, hi in (("p10", "p90"), ("p2_5", "p97_5")))
    assert both > 1.05 * sum(width(p["total"]["won"], lo, hi)
                             for lo, hi in (("p10", "p90"), ("p2_5", "p97_5")))


def test_intervals_with_the_fits_uncertainty_cover_what_a_known_truth_went_on_to_win(
        folder: Path) -> None:
    """Synthetic accounts with a known truth: each history's first 60 days are fitted,
    and the next 30 days' wins (what the truth went on to do) must fall inside the 95 %
    interval as often as it claims. 20 accounts at 95 % coverage miss at most 4 with
    probability 98.4 %; the seeds are fixed, so the test is deterministic."""
    runs = reps(100, 60)
    inside95 = inside80 = 0
    accounts = 20
    for seed in range(1, accounts + 1):
        records = history(folder, 100 + seed)
        data = forecast(records, folder / "truth.funnel", runs, "--fit-uncertainty")
        band = data["rows"][0]["total"]["won"]
        won = realised_wins(records)
        inside95 += band["p2_5"] <= won <= band["p97_5"]
        inside80 += band["p10"] <= won <= band["p90"]
    assert inside95 >= accounts - 4, (inside95, accounts)
    # An 80 % interval that held every time would be too wide to be one.
    assert 10 <= inside80 <= accounts - 1, (inside80, accounts)


def test_the_output_says_which_kind_of_interval_it_is(folder: Path) -> None:
    records = history(folder, 7)
    funnel = str(folder / "truth.funnel")
    args = ["forecast", str(records), "--funnel", funnel, "--as-of", AS_OF, "--until", UNTIL,
            "--reps", "20", "--jobs", "1"]
    plain = invoke(*args)
    drawn = invoke(*args, "--fit-uncertainty")
    assert plain.exit_code == 0 and drawn.exit_code == 0, (plain.output, drawn.output)
    text, text_drawn = (" ".join(r.stdout.split()) for r in (plain, drawn))  # unwrapped
    assert "not how uncertain those figures are (--fit-uncertainty adds that)" in text
    assert "how uncertain the funnel's figures fitted from the history are" in text_drawn
    assert "fit's uncertainty" not in text
    assert ("note: the intervals carry the fit's uncertainty: the funnel's figures were "
            "fitted on the history from 2018-01-04 to the cut (1 stage, 1 source) and "
            "every run simulates its own draw of them") in text_drawn

    data = json.loads(invoke(*args, "--fit-uncertainty", "--format", "json").stdout)
    schema = json.loads(invoke("schema", "forecast").stdout)
    jsonschema.validate(data, schema)
    assert data["interval_kind"] == "process_and_fit"
    assert "the fit's uncertainty" in data["intervals"]
    assert data["fit"]["cut"] == "2018-03-02T00:00:00+00:00"


def test_a_short_history_keeps_the_funnels_figures_and_says_so(folder: Path) -> None:
    """Ten days of history: fewer than 30 deals behind the stage and the source, so
    nothing is fitted: the stage's shares are drawn around the funnel's from the deals
    seen (tests/test_forecast_small_stage.py), the source's rate is kept undrawn, and
    the note says which."""
    records = history(folder, 9)
    res = invoke("forecast", str(records), "--funnel", str(folder / "truth.funnel"),
                 "--as-of", "2018-01-10", "--until", "2018-01-31", "--reps", "20", "--jobs",
                 "1", "--fit-uncertainty", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["fit"]["stages_kept"] == 1 and data["fit"]["sources_kept"] == 1
    assert any("1 stage with fewer than 30 deals behind its shares has them drawn around "
               "the funnel's from the deals seen there (the funnel's shares weigh as 2 "
               "deals), its delays the funnel's, undrawn; 1 source with fewer than 30 deals "
               "keeps the funnel's rate, undrawn" in n for n in data["notes"]), data["notes"]


def test_fit_uncertainty_with_a_scenario_is_a_usage_error(folder: Path) -> None:
    """The fit would write the history's rate over the scenario's stopped source."""
    records = history(folder, 8)
    res = invoke("forecast", str(records), "--funnel", str(folder / "truth.funnel"),
                 "--scenario", "No arrivals", "--fit-uncertainty")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert "--fit-uncertainty replaces the funnel's figures" in res.output
    assert "'No arrivals'" in res.output


def _stepped_history(path: Path) -> None:
    """A source at 2 deals a day from January to April 2025, then at 6 a day in May and
    June; every deal enters «Заявка», a third of them won 3 days later."""
    from datetime import datetime, timedelta

    rows = ["deal_id,time,stage,source,value"]
    day, n = datetime(2025, 1, 1, 9), 0
    while day < datetime(2025, 7, 1):
        for k in range(2 if day.month <= 4 else 6):
            at = day + timedelta(hours=k)
            rows.append(f"D{n},{at:%Y-%m-%d %H:%M},Заявка,Сайт,")
            if n % 3 == 0:
                rows.append(f"D{n},{at + timedelta(days=3):%Y-%m-%d %H:%M},won,Сайт,")
            n += 1
        day += timedelta(days=1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


STEPPED = """\
account "Ступень" {
  currency RUB
  language ru
}

source "Сайт" 2/day -> "Продажи"."Заявка" value 1000

pipeline "Продажи" main {
  stage "Заявка" {
    -> won 33% after exp(3d)
    stay 67%
  }
}
"""


def test_the_forecast_takes_a_source_at_its_new_level_and_says_so(tmp_path: Path) -> None:
    """`fit` warns that a source's last months ran at a new level, and that the months
    after are forecast at the base rate; `forecast --fit-uncertainty` fitted the same
    figures and forecast new deals at that base rate without a word (Olist: «Заявки с
    сайта» at 285–302 % of its base in January–March, forecast at a third of it). Now the
    forecast takes the new level (6 a day here, not the base 2) and its note says both."""
    path, funnel = tmp_path / "h.csv", tmp_path / "f.funnel"
    _stepped_history(path)
    funnel.write_text(STEPPED, encoding="utf-8")
    args = ["forecast", str(path), "--funnel", str(funnel), "--as-of", "2025-06-29",
            "--until", "2025-07-31", "--reps", "4", "--jobs", "1", "--fit-uncertainty"]
    res = invoke(*args, "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert ("the fit: source “Сайт”: its last months ran at a new level: its new deals are "
            "forecast at that level, 6.0 a day, not at the base rate of 2.0 a day"
            ) in data["notes"], data["notes"]
    (new,) = [r for r in data["rows"] if r["origin"] == "new"]
    # 32 days at 6 a day, a third won 3 days later: about 60 (at the base rate, 20).
    assert 45 <= new["total"]["won"]["mean"] <= 75, new["total"]
    for lang, words in (("ru", "примечание: подбор по истории: источник «Сайт»: в последних "
                               "месяцах интенсивность вышла на новый уровень"),
                        ("uk", "примітка: підбір за історією: джерело «Сайт»: в останніх "
                               "місяцях інтенсивність вийшла на новий рівень")):
        res = invoke(*args, "--lang", lang)
        assert res.exit_code == 0, res.output
        assert words in " ".join(res.stdout.split()), res.stdout
