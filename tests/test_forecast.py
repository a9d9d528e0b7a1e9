"""`funnelc forecast` (issue 13, part 5): won deals and revenue by week and month from
today's open deals (warm start) plus new arrivals, with 80 % and 95 % intervals, per
pipeline and stage of origin — on funnelc's own records of a shipped example, against a
closed form, and with the bad inputs a user gives it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import PIPELINES, reps
from funnelc.cli import cli

jsonschema = pytest.importorskip("jsonschema")

COURSES = str(PIPELINES / "courses.funnel")
QUICK = ["--reps", str(reps(40, 20)), "--jobs", "1"]
"""The round trip's runs: 20 under CI. The 80 % band must hold the mean only where a cell
expects 30 wins or more (20 such figures here, 6 needed): counts that near normal put the
mean of 20 runs between their 2nd and 19th smallest all but surely; the other assertions
are sums (exact whatever the runs) and a mean of ~180 wins against a bound of 20."""
SHORT = ["--until", "2018-03-25", "--reps", "20", "--jobs", "1"]
"""A fortnight: what the output tests need (simulating courses costs ~0.1 s a run)."""

CLOSED_FORM = """\
account "Closed form" {
  currency USD
}

source "Web" 1/day -> "Sales"."Offer" value 1000

pipeline "Sales" main {
  stage "Offer" {
    -> won 60% after exp(10d)
    -> lost "No" 40% after exp(10d)
  }
}

scenario "No arrivals" {
  source "Web" 0/day
}
"""
OPEN = 400
SHARE = 0.6
MEAN_HOURS = 240.0


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"}, prog_name="funnelc")


def assert_clean(res: Result) -> None:
    """No traceback, no internal failure: a message for a person."""
    assert "Traceback" not in res.output and "internal failure" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """70 days of courses.funnel as `simulate --records` writes them."""
    path = tmp_path_factory.mktemp("records") / "deals.csv"
    res = invoke("simulate", COURSES, "--days", "70", "--warmup", "0", "--reps", "1",
                 "--jobs", "1", "--seed", "3", "--records", str(path))
    assert res.exit_code == 0, res.output
    return path


@pytest.fixture(scope="module")
def forecast(records: Path) -> dict[str, Any]:
    res = invoke("forecast", str(records), "--funnel", COURSES, "--format", "json", *QUICK)
    assert res.exit_code == 0, res.output
    data: dict[str, Any] = json.loads(res.stdout)
    return data


@pytest.fixture(scope="module")
def closed_form(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A one-stage funnel whose open deals leave after exp(10d), 60 % won; no arrivals
    (its scenario stops the source); 400 deals open at the end of 2024-03-31."""
    folder = tmp_path_factory.mktemp("closed")
    funnel = folder / "one.funnel"
    funnel.write_text(CLOSED_FORM, encoding="utf-8")
    rows = ["deal_id,timestamp,pipeline,stage,value"]
    for i in range(OPEN):
        rows.append(f"d{i},2024-03-{1 + i % 28:02d}T{9 + i % 9:02d}:00:00,Sales,Offer,1000")
    rows.append("last,2024-03-31T11:00:00,Sales,Offer,1000")
    rows.append("last,2024-03-31T12:00:00,Sales,won,1000")
    history = folder / "h.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return funnel, history


def bands(data: dict[str, Any]) -> list[dict[str, float | None]]:
    out = []
    for row in data["rows"]:
        for cell in [*row["weeks"], *row["months"], row["total"]]:
            out += [cell["won"], cell["revenue"]]
    for cell in data["cumulative"]:
        out += [cell["won"], cell["revenue"]]
    return out


# ---------------------------------------------------------------- round trip


def test_forecast_of_simulated_records_follows_its_schema_and_adds_up(
        forecast: dict[str, Any]) -> None:
    schema = json.loads(invoke("schema", "forecast").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(forecast, schema)

    # Today is the records' last day (day 70 from 2018-01-01); the default window runs
    # to the end of the next month.
    assert forecast["as_of"] == "2018-03-11"
    assert (forecast["first_day"], forecast["until"]) == ("2018-03-12", "2018-04-30")
    weeks, months = forecast["weeks"], forecast["months"]
    assert weeks[0]["first"] == months[0]["first"] == "2018-03-12"
    assert weeks[-1]["last"] == months[-1]["last"] == "2018-04-30"
    assert sum(w["days"] for w in weeks) == sum(m["days"] for m in months) == 50
    assert [m["label"] for m in months] == ["2018-03", "2018-04"]
    assert not months[0]["whole"] and months[1]["whole"]

    rows = forecast["rows"]
    account = rows[0]
    assert (account["pipeline"], account["origin"]) == (None, "all")
    assert account["open_deals"] == forecast["open_deals"]["count"] > 100
    pipes = [r for r in rows if r["pipeline"] is not None and r["origin"] == "all"]
    assert sum(r["open_deals"] for r in pipes) == account["open_deals"]
    sales = next(r for r in pipes if r["pipeline"] == "Продажи курсов")
    origins = [r for r in rows if r["pipeline"] == "Продажи курсов" and r["origin"] != "all"]
    assert {r["origin"] for r in origins} == {"open", "new"}
    # Means are additive: periods add up to the window, origins to their pipeline.
    for row in rows:
        for measure in ("won", "revenue"):
            total = row["total"][measure]["mean"]
            for periods in (row["weeks"], row["months"]):
                assert math.isclose(sum(c[measure]["mean"] for c in periods), total,
                                    rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(sum(r["total"]["won"]["mean"] for r in origins),
                        sales["total"]["won"]["mean"], rel_tol=1e-9)
    assert sales["total"]["won"]["mean"] > 20 and sales["total"]["revenue"]["mean"] > 0
    stages = {"Заинтересованный", "Лид", "Заявка", "Ждем связи", "Связались", "Подумает",
              "Ждет дальнейшей связи", "Отправка реквизитов", "Оплатил",
              "Отправлены материалы", "Добавлен в рассылку"}
    assert {r["origin_stage"] for r in rows if r["origin"] == "open"} <= stages
    assert any("open then" in n for n in forecast["notes"])


def test_intervals_are_ordered_and_hold_the_mean(forecast: dict[str, Any]) -> None:
    for b in bands(forecast):
        assert b["p2_5"] is not None and b["p97_5"] is not None
        assert b["p2_5"] <= b["p10"] <= b["median"] <= b["p90"] <= b["p97_5"], b
    # Where many deals add up the distribution is near symmetric: the mean lies in the
    # 80 % interval (and so in the 95 % one). Where a win is rare it need not: one win
    # in 40 runs puts the mean above every percentile up to the 97.5th.
    checked = 0
    for row in forecast["rows"]:
        for cell in (*row["weeks"], *row["months"], row["total"]):
            if cell["won"]["mean"] >= 30:
                for b in (cell["won"], cell["revenue"]):
                    assert b["p10"] <= b["mean"] <= b["p90"], (row["pipeline"], b)
                    checked += 1
    assert checked >= 6
    # A run's cumulative total never falls, so neither does any percentile of them.
    cum = forecast["cumulative"]
    for key in ("p2_5", "p10", "median", "p90", "p97_5"):
        for measure in ("won", "revenue"):
            seq = [c[measure][key] for c in cum]
            assert seq == sorted(seq), (key, measure)
    assert cum[-1]["won"]["mean"] == pytest.approx(forecast["rows"][0]["total"]["won"]["mean"])


def test_closed_form_open_deals_only(closed_form: tuple[Path, Path]) -> None:
    """Only open deals, no arrivals, one stage with exp(10d) to won (60 %) or lost: a
    deal open at the cut is won by t with probability 0.6·(1 − e^(−t/10d)) whatever its
    age (memoryless), so the wins by the end of each week are Binomial(400, that)."""
    from scipy.stats import binom

    funnel, history = closed_form
    n_reps = reps(400, 200)
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--scenario",
                 "No arrivals", "--until", "2024-04-30", "--reps", str(n_reps), "--jobs",
                 "1", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["open_deals"]["count"] == OPEN
    assert data["sources"] == []
    assert data["cut"] == "2024-04-01T00:00:00+00:00"
    for week, cell in zip(data["weeks"], data["cumulative"]):
        days = int(week["last"][-2:])  # April 1 is the first day: days since the cut
        q = SHARE * (1 - math.exp(-days * 24 / MEAN_HOURS))
        expected, sd = OPEN * q, math.sqrt(OPEN * q * (1 - q))
        won = cell["won"]
        assert abs(won["mean"] - expected) <= 4 * sd / math.sqrt(n_reps), (week, won, expected)
        assert won["p2_5"] <= expected <= won["p97_5"], (week, won, expected)
        lo, hi = binom.ppf(0.025, OPEN, q), binom.ppf(0.975, OPEN, q)
        assert abs((won["p97_5"] - won["p2_5"]) - (hi - lo)) <= 0.3 * (hi - lo) + 2, \
            (week, won, lo, hi)
        assert cell["revenue"]["mean"] == pytest.approx(1000 * won["mean"])
    new = [r for r in data["rows"] if r["origin"] == "new"]
    assert new == [], "no source brings deals, so there is no new-arrivals row"


def test_as_of_after_the_history_simulates_the_days_between(
        closed_form: tuple[Path, Path]) -> None:
    """`--as-of` 10 days after the history's last day was refused (exit 2), so a
    consultant could not forecast from today with last week's export. The export does
    not say what happened in those days: the runs start at the end of the history's last
    day and simulate them, open deals leaving and new deals arriving, and count the wins
    from the day after as-of only. The 400 open deals (exp(10d), 60 % won) then bring
    400·0.6·(e^(−10/10) − e^(−30/10)) = 76.3 wins from 11 to 30 April, not the 207.5 of
    taking them as open today (memoryless: as if the 10 days had had no win), and the
    source's 1 a day brings 0.6·(10(1 − e^(−1)) − 10(e^(−2) − e^(−3)) + 20 − 10(1 −
    e^(−2))) = 10.1, of which 3.3 from deals that arrived within the 10 days."""
    funnel, history = closed_form
    n_reps = reps(200, 100)
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--as-of", "2024-04-10",
                 "--until", "2024-04-30", "--reps", str(n_reps), "--jobs", "1",
                 "--format", "json")
    assert_clean(res)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["as_of"], data["first_day"]) == ("2024-04-10", "2024-04-11")
    assert data["cut"] == "2024-04-01T00:00:00+00:00", "the runs start at the history's end"
    assert sum(w["days"] for w in data["weeks"]) == 20
    rows = {r["origin"]: r for r in data["rows"] if r["pipeline"] == "Sales"}
    q = SHARE * (math.exp(-1) - math.exp(-3))
    won = rows["open"]["total"]["won"]
    sd = math.sqrt(OPEN * q * (1 - q))
    assert abs(won["mean"] - OPEN * q) <= 4 * sd / math.sqrt(n_reps), won
    new = rows["new"]["total"]["won"]["mean"]
    expected = SHARE * (10 * (1 - math.exp(-1)) - 10 * (math.exp(-2) - math.exp(-3))
                        + 20 - 10 * (1 - math.exp(-2)))
    assert abs(new - expected) <= 4 * math.sqrt(expected) / math.sqrt(n_reps), new
    note = " ".join(" ".join(data["notes"]).split())
    assert ("the history ends 10 days before 2024-04-10, on 2024-03-31, and does not say "
            "what happened since") in note, note
    assert "count only the wins from 2024-04-11 on" in note
    assert "every run starts at the end of 2024-03-31 (UTC) with the 400 deals" in note
    text = invoke("forecast", str(history), "--funnel", str(funnel), "--as-of", "2024-04-10",
                  "--until", "2024-04-30", "--reps", "3", "--jobs", "1", "--lang", "ru")
    assert text.exit_code == 0, text.output
    said = " ".join(text.output.split())
    assert "этап на 31 марта 2024" in said, said


# ---------------------------------------------------------------- outputs


def test_text_csv_folder_and_chart(records: Path, tmp_path: Path) -> None:
    text = invoke("forecast", str(records), "--funnel", COURSES, *SHORT)
    assert text.exit_code == 0, text.output
    # courses.funnel says `language ru`: the client's tables speak it.
    assert text.stdout.startswith("Прогноз выигранных сделок и выручки по состоянию на 11 марта 2018")
    assert "новые сделки" in text.stdout and "«Подумает»" in text.stdout

    csv = invoke("forecast", str(records), "--funnel", COURSES, "--format", "csv", *SHORT)
    assert csv.exit_code == 0, csv.output
    lines = csv.stdout.splitlines()
    assert lines[0] == ("pipeline,origin,origin_pipeline,origin_stage,open_deals,period_kind,"
                        "period,first_day,last_day,measure,mean,median,p2_5,p10,p90,p97_5")
    data = json.loads(invoke("forecast", str(records), "--funnel", COURSES, "--format",
                             "json", *SHORT).stdout)
    per_row = (len(data["weeks"]) + len(data["months"]) + 1) * 2
    assert len(lines) - 1 == len(data["rows"]) * per_row
    assert lines[1].startswith(",all,,,")

    out, chart = tmp_path / "out", tmp_path / "fan"
    res = invoke("forecast", str(records), "--funnel", COURSES, "-o", str(out), "--chart",
                 str(chart), *SHORT)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "forecast.csv", "forecast.json", "forecast.png", "forecast.svg", "forecast.txt"]
    assert json.loads((out / "forecast.json").read_text(encoding="utf-8"))["rows"] \
        == data["rows"], "the same seed gives the same forecast"
    for png in (out / "forecast.png", chart.with_suffix(".png")):
        assert png.read_bytes().startswith(b"\x89PNG")
    assert chart.with_suffix(".svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # The courses' account is Russian: the line saying what -o wrote is too.
    assert f"записаны {out}/forecast.txt, forecast.json" in res.stderr
    assert f"график: {chart}.png, {chart}.svg" in res.stderr


def test_a_folder_given_with_a_trailing_slash_is_joined_once(records: Path,
                                                             tmp_path: Path) -> None:
    """`-o fcdir/` (docs/forecast.md's example with a slash) printed «записаны
    fcdir//forecast.txt, …»: the folder was glued to `/forecast.txt` as text. history's
    line is built the same way."""
    from funnelc.history.report import written_line

    out = tmp_path / "fcdir"
    res = invoke("forecast", str(records), "--funnel", COURSES, "--format", "csv", "-o",
                 f"{out}/", *SHORT)
    assert res.exit_code == 0, res.output
    assert f"записаны {out}/forecast.txt, forecast.json" in res.stderr, res.stderr
    assert "//" not in res.stderr, res.stderr
    assert written_line("out/") == "wrote out/history.html, history.json and plots/"


def test_outputs_never_replace_inputs(records: Path, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "deals.csv").write_bytes(records.read_bytes())
    odd = tmp_path / "deals.svg"  # a history is read by its content, whatever its name
    odd.write_bytes(records.read_bytes())
    before = records.read_bytes()
    for inp, args, message in (
            (odd, ["-o", str(odd)], "is a file, not a folder"),
            (folder, ["-o", str(folder)], "is an input folder"),
            (odd, ["--chart", str(tmp_path / "deals")], "is the input file")):
        res = invoke("forecast", str(inp), "--funnel", COURSES, *args, *QUICK)
        assert_clean(res)
        assert res.exit_code == 2 and message in res.stderr, (args, res.output)
        assert res.stdout == ""
    assert odd.read_bytes() == (folder / "deals.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.svg", "export"]
    assert [p.name for p in folder.iterdir()] == ["deals.csv"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("args, message", [
    (["--as-of", "2024-03-31", "--until", "2024-03-15"],
     "2024-03-15 is not after --as-of 2024-03-31"),
    (["--as-of", "2024-03-31", "--until", "2024-03-31"],
     "2024-03-31 is not after --as-of 2024-03-31"),
    (["--until", "2024-03-20"], "--until 2024-03-20 is not after the forecast's today "
                                "(2024-03-31"),
    (["--as-of", "2024-02-01"], "--as-of 2024-02-01 is before the history's first event "
                                "(2024-03-01"),
    (["--until", "2024-13-01"], "`2024-13-01` is not a date like 2025-01-31"),
    (["--tz", "Mars/Olympus"], "unknown time zone"),
], ids=["until-before-as-of", "until-is-as-of", "until-before-last-event",
        "as-of-before-history", "not-a-date", "bad-tz"])
def test_dates_out_of_order_are_usage_errors(closed_form: tuple[Path, Path], args: list[str],
                                             message: str) -> None:
    funnel, history = closed_form
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--reps", "2", *args)
    assert_clean(res)
    assert res.exit_code == 2, res.output
    assert message in res.stderr, res.stderr
    assert res.stdout == ""


def test_bad_history_is_located(closed_form: tuple[Path, Path], tmp_path: Path) -> None:
    funnel, history = closed_form
    bad = tmp_path / "bad.csv"
    lines = history.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "x1,31.02.2024 25:00,Sales,Offer,1000")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = invoke("forecast", str(bad), "--funnel", str(funnel), "--reps", "3", "--jobs", "1")
    assert_clean(res)
    assert res.exit_code == 1, "a dropped row is a problem in the input"
    assert f"(first at {bad}:3)" in res.stderr, res.stderr
    assert res.stdout.startswith("Forecast of won deals and revenue as of 2024-03-31")

    junk = tmp_path / "notes.txt"
    junk.write_text("hello\nworld\n", encoding="utf-8")
    res = invoke("forecast", str(junk), "--funnel", str(funnel), "--reps", "2")
    assert_clean(res)
    assert res.exit_code == 1 and "not a known history format" in res.stderr
    res = invoke("forecast", str(tmp_path / "missing.csv"), "--funnel", str(funnel))
    assert_clean(res)
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_open_deals_in_stages_the_funnel_lacks_get_the_closest_name(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text(
        "deal_id,timestamp,pipeline,stage\n"
        "1,2018-03-01T10:00:00,Продажи курсов,Заинтересованый\n"
        "2,2018-03-01T11:00:00,Продажи курсов,Лид\n"
        "3,2018-03-02T11:00:00,Продажи курсов,Подумаю\n"
        "4,2018-03-02T12:00:00,Продажи курсов,Заинтересованый\n", encoding="utf-8")
    res = invoke("forecast", str(history), "--funnel", COURSES, "--reps", "2")
    assert_clean(res)
    assert res.exit_code == 1, res.output
    assert res.stdout == "", "nothing is forecast from half the open deals"
    err = res.stderr
    assert err.startswith(f"error: 3 deals open at the end of 2018-03-02 (UTC) sit in 2 "
                          f"stages that {COURSES} does not have"), err
    assert (f'--> {history}:2: "Продажи курсов"."Заинтересованый" (2 open deals): did you '
            'mean "Продажи курсов"."Заинтересованный"?') in err
    assert (f'--> {history}:4: "Продажи курсов"."Подумаю" (1 open deal): did you mean '
            '"Продажи курсов"."Подумает"?') in err
    assert "= help:" in err


def test_another_accounts_funnel_is_refused(closed_form: tuple[Path, Path],
                                            records: Path) -> None:
    funnel, _ = closed_form
    res = invoke("forecast", str(records), "--funnel", str(funnel), "--reps", "2")
    assert_clean(res)
    assert res.exit_code == 1
    assert "no stage name of the history matches a stage of" in res.stderr
    assert res.stdout == ""


def test_a_mistyped_command_is_suggested() -> None:
    res = invoke("forecst")
    assert res.exit_code == 2
    assert "did you mean `forecast`?" in res.stderr


DATE_ONLY = """\
account "Date only" {
  currency USD
}

source "Web" 20/day -> "Sales"."Offer" value 1000

pipeline "Sales" main {
  stage "Offer" {
    -> won 20% after exp(30d)
    stay 80%
  }
}
"""


def _date_only_history(path: Path, last_new: int) -> None:
    """20 new deals a day, 1–`last_new` March 2024, written as dates without a time of
    day (Olist's `first_contact_date`); one win a day after that, until 10 April (the
    export goes on after the as-of day, as Olist's does)."""
    from datetime import date, timedelta

    rows = ["deal_id,time,pipeline,stage"]
    for day in range(1, last_new + 1):
        rows += [f"d{day}-{i},2024-03-{day:02d},Sales,Offer" for i in range(20)]
    day_ = date(2024, 3, last_new) + timedelta(days=1)
    while day_ <= date(2024, 4, 10):
        rows.append(f"d1-{day_.toordinal() % 20},{day_.isoformat()},Sales,won")
        day_ += timedelta(days=1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("last_new", "said"), [(31, False), (21, True)])
def test_a_date_only_history_is_not_read_as_filtered_by_creation_date(
        tmp_path: Path, last_new: int, said: bool) -> None:
    """Review s20 F2: every deal of a date-only export is read at 00:00, so the cut
    day's 20 deals left 24 h of seeming silence before the end of the as-of day, and the
    forecast told the client «the export seems to hold only the deals created by then (a
    filter on the creation date?)» (20 expected). The last day with a new deal now
    stands for the whole day; a real ten-day silence (200 expected) is still said."""
    funnel = tmp_path / "d.funnel"
    funnel.write_text(DATE_ONLY, encoding="utf-8")
    history = tmp_path / "h.csv"
    _date_only_history(history, last_new)
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--as-of", "2024-03-31",
                 "--until", "2024-04-07", "--format", "json", "--reps", "3", "--jobs", "1")
    assert_clean(res)
    assert res.exit_code == 0, res.output
    notes = " ".join(json.loads(res.stdout)["notes"])
    assert ("a filter on the creation date?" in notes) is said, notes
    if said:
        assert "about 200 by" in notes, notes


# ---------------------------------------------------------------- graveyards


def _graveyard_history(path: Path, dead: int) -> None:
    """30 deals entered «Offer» in March 2024 (exp(10d) there: alive), and `dead` more
    entered it in September 2023 and never moved (a graveyard: 200 days where the funnel
    lets not one deal in 400 million stay so long), each worth 5000."""
    rows = ["deal_id,timestamp,pipeline,stage,value"]
    rows += [f"a{i},2024-03-{1 + i:02d}T10:00:00,Sales,Offer,1000" for i in range(30)]
    rows += [f"g{i},2023-09-{1 + i % 28:02d}T10:00:00,Sales,Offer,5000" for i in range(dead)]
    rows.append("last,2024-03-31T11:00:00,Sales,Offer,1000")
    rows.append("last,2024-03-31T12:00:00,Sales,won,1000")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("dead", [0, 12])
def test_deals_older_than_the_funnel_lets_them_stay_are_said(tmp_path: Path, dead: int) -> None:
    """Review s22 (forecastreview): an export's graveyard, deals open for months in a
    stage whose funnel has no `stay` share and no SLA (a hand-made funnel, forecast as
    written), was forecast without a word: each run drew them afresh as if they had just
    entered, and 40 deals open 80–125 days in «Переговоры» (ways out after exp(4d) and
    exp(7d)) were booked as 29 of 53 wins in six weeks. A note now names them, with their
    value, stage and age, what the runs do with them and what to do."""
    funnel = tmp_path / "one.funnel"
    funnel.write_text(CLOSED_FORM, encoding="utf-8")
    history = tmp_path / "h.csv"
    _graveyard_history(history, dead)
    args = [str(history), "--funnel", str(funnel), "--scenario", "No arrivals", "--until",
            "2024-04-14", "--reps", "3", "--jobs", "1"]
    res = invoke("forecast", *args, "--format", "json")
    assert_clean(res)
    assert res.exit_code == 0, res.output
    notes = " ".join(json.loads(res.stdout)["notes"])
    if not dead:
        assert "longer than the funnel" not in notes, notes
        return
    assert ("12 open deals ($60k) have been in their stage far longer than the "
            "funnel lets a deal stay there") in notes, notes
    assert "“Offer”: 12, open 201–212 days" in notes, notes
    assert "(a graveyard)" in notes and "funnelc fit" in notes, notes
    assert ("only the stage's slowest ways out explain such an age, so the runs close "
            "them by those ways") in notes, notes
    ru = invoke("forecast", *args, "--lang", "ru")
    assert ru.exit_code == 0, ru.output
    assert "12 открытых сделок" in ru.output and "«Offer»: 12" in ru.output, ru.output


def test_deals_older_than_a_team_stage_lets_them_stay_may_be_waiting(tmp_path: Path) -> None:
    """A stage a team works (an owner and `work`): an old deal's age may be a wait for
    a member, which the funnel does not describe, so the runs close it by the shares,
    not by the slowest way out alone, and the note says which."""
    funnel = tmp_path / "team.funnel"
    text = CLOSED_FORM.replace('pipeline "Sales"', 'team "Sales team" size 2\n\npipeline "Sales"')
    text = text.replace('  stage "Offer" {\n',
                        '  stage "Offer" {\n    owner "Sales team"\n    work 1h\n')
    funnel.write_text(text.replace("exp(10d)", "exp(5d)"), encoding="utf-8")
    history = tmp_path / "h.csv"
    _graveyard_history(history, 12)
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--scenario",
                 "No arrivals", "--until", "2024-04-14", "--reps", "3", "--jobs", "1",
                 "--format", "json")
    assert res.exit_code == 0, res.output
    notes = " ".join(json.loads(res.stdout)["notes"])
    assert "12 open deals ($60k) have been in their stage far longer" in notes, notes
    assert ("so the runs close them: by the slowest ways out, the only ones that explain "
            "such an age, or, in a stage whose deals wait for a team's member, where the "
            "age may be that wait, by the shares") in notes, notes


def test_a_deal_whose_age_only_the_loose_bound_explained_is_named(tmp_path: Path) -> None:
    """`work exp(1d)` before ways out after exp(10d): a deal 201–212 days in is still
    there with probability 2.0e-9 to 6.5e-10 (the sum's exact survival), far under
    `OVERDUE` (1e-5), but the note tested P(work > a/2) + P(after > a/2), 4.2e-5 to 2.4e-5,
    and named none of the 12: a graveyard forecast without a word. Now they are named;
    3 deals 100 days in (exactly 4.8e-5: the funnel explains them) and the 30 of March
    are not."""
    funnel = tmp_path / "work.funnel"
    text = CLOSED_FORM.replace('pipeline "Sales"', 'team "Sales team" size 2\n\npipeline "Sales"')
    funnel.write_text(text.replace('  stage "Offer" {\n',
                                   '  stage "Offer" {\n    owner "Sales team"\n    work exp(1d)\n'),
                      encoding="utf-8")
    history = tmp_path / "h.csv"
    _graveyard_history(history, 12)
    rows = history.read_text(encoding="utf-8").splitlines()
    rows[1:1] = [f"y{i},2023-12-22T10:00:00,Sales,Offer,7000" for i in range(3)]
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--scenario",
                 "No arrivals", "--until", "2024-04-14", "--reps", "3", "--jobs", "1",
                 "--format", "json")
    assert_clean(res)
    assert res.exit_code == 0, res.output
    notes = " ".join(json.loads(res.stdout)["notes"])
    assert ("12 open deals ($60k) have been in their stage far longer than the funnel lets "
            "a deal stay there") in notes, notes
    assert "“Offer”: 12, open 201–212 days" in notes, notes


def test_a_deal_waiting_for_its_team_over_the_weekend_is_not_named(tmp_path: Path) -> None:
    """A stage the team works mon-fri 09:00-18:00 (`work 1h`, out after uniform(4h, 2d)):
    a deal in on Friday at 18:30 is 2.2 days in at the end of Sunday, past the 2.04 days
    work + delay can take (exactly 0), but it has only waited for the team to open, as
    the simulator's deals do: its age is read less the team's longest closed stretch
    (Friday 18:00 to Monday 09:00), and the note does not call it older than the funnel
    lets a deal stay. (The loose bound gave 0.48 here by its slack; the exact survival
    alone named it: a weekend's lead in a saleschef production stage did so on its own
    simulated records.)"""
    funnel = tmp_path / "week.funnel"
    text = CLOSED_FORM.replace('pipeline "Sales"',
                               'team "Sales team" size 2 hours mon-fri 09:00-18:00\n\n'
                               'pipeline "Sales"')
    text = text.replace('  stage "Offer" {\n', '  stage "Offer" {\n    owner "Sales team"\n'
                        '    work 1h\n')
    text = text.replace('-> won 60% after exp(10d)\n    -> lost "No" 40% after exp(10d)',
                        '-> won 100% after uniform(4h, 2d)')
    funnel.write_text(text, encoding="utf-8")
    history = tmp_path / "h.csv"
    history.write_text("deal_id,timestamp,pipeline,stage,value\n"
                       + "".join(f"f{i},2024-03-29T18:30:00,Sales,Offer,1000\n" for i in range(3))
                       + "last,2024-03-31T11:00:00,Sales,Offer,1000\n"
                       "last,2024-03-31T12:00:00,Sales,won,1000\n", encoding="utf-8")
    res = invoke("forecast", str(history), "--funnel", str(funnel), "--scenario",
                 "No arrivals", "--until", "2024-04-07", "--reps", "3", "--jobs", "1",
                 "--format", "json")
    assert_clean(res)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["open_deals"]["count"] == 3, res.stdout
    notes = " ".join(data["notes"])
    assert "longer than the funnel" not in notes, notes


def test_the_new_arrivals_wins_say_how_many_new_deals_they_come_from(
        closed_form: tuple[Path, Path]) -> None:
    """Review s22 (forecastreview): the row «new arrivals» gave wins and revenue (14 wins,
    1.39 M ₽ in six weeks of a 3-a-day source) and nowhere how many new deals they come
    from, the first thing a client asks of a forecast. A note now gives the base: the
    deals the funnel's sources bring in the window at their rates and month profiles
    (1 a day for the 14 days of 1–14 April 2024 here)."""
    funnel, history = closed_form
    args = [str(history), "--funnel", str(funnel), "--until", "2024-04-14", "--reps", "3",
            "--jobs", "1"]
    res = invoke("forecast", *args, "--format", "json")
    assert res.exit_code == 0, res.output
    notes = " ".join(json.loads(res.stdout)["notes"])
    assert ("the funnel's sources bring about 14 new deals from 2024-04-01 to 2024-04-14 "
            "at their rates (“Web” 14): the base of the row “new arrivals”") in notes, notes
    ru = invoke("forecast", *args, "--lang", "ru")
    assert ru.exit_code == 0, ru.output
    assert "около 14 новых сделок" in ru.output, ru.output
    none = invoke("forecast", *args, "--scenario", "No arrivals", "--format", "json")
    assert none.exit_code == 0, none.output
    assert "new deals from" not in " ".join(json.loads(none.stdout)["notes"])


def test_fit_uncertainty_intervals_say_which_figures_they_do_not_carry(tmp_path: Path) -> None:
    """Review s22 (forecastreview): with --fit-uncertainty the legend said the intervals
    carry «how uncertain the funnel's figures fitted from the history are» although the
    stages and sources with fewer than 30 deals keep the funnel's figures undrawn: 60 days
    of a 1-a-day source left «Переговоры» with 7 visits, and a hand-made 30 % win share
    there (truth 65 %) gave 3.8 wins, 80 % 1–6, for 7 realised. The legend now names what
    it does not carry."""
    funnel = tmp_path / "one.funnel"
    funnel.write_text(CLOSED_FORM, encoding="utf-8")
    rows = ["deal_id,timestamp,pipeline,stage,value"]
    for i in range(12):
        rows.append(f"d{i},2024-03-{1 + i:02d}T10:00:00,Sales,Offer,1000")
        if i < 8:
            rows.append(f"d{i},2024-03-{5 + i:02d}T10:00:00,Sales,{'won' if i % 2 else 'lost'},1000")
    history = tmp_path / "h.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = [str(history), "--funnel", str(funnel), "--until", "2024-03-26", "--reps", "5",
            "--jobs", "1", "--fit-uncertainty"]
    res = invoke("forecast", *args, "--lang", "en")
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("“Sales.Offer”: too few deals to fit, so every run draws its shares around "
            "the funnel's from the deals seen there and the intervals carry how little "
            "those say; its delays are the funnel's as written. Not for “Web”: too few "
            "deals to fit, so their figures are the funnel's as written and the intervals "
            "carry none of their uncertainty") in text, text
    ru = invoke("forecast", *args, "--lang", "ru")
    assert ru.exit_code == 0, ru.output
    assert "Кроме «Web»" in " ".join(ru.output.split()), ru.output
