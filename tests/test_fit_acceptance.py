"""A consultant's acceptance pass on `funnelc fit`: records simulated from a shipped
example (the model that wrote them is the truth), fitted back, every written number
checked against the model.

Input: `funnelc simulate pipelines/developer.funnel --days 365 --seed 1 --reps 1
--records`, about 10 700 deals; simulating and fitting take a few seconds.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import funnelc
from conftest import PIPELINES, reps
from funnelc.cli import cli
from funnelc.history.load import load_history
from funnelc.routing import build_flows
from history_formats import write_amocrm, write_csv

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

DEVELOPER = PIPELINES / "developer.funnel"


def _events(records: Path) -> pl.DataFrame:
    """The records as the event table the CRM-export writers take."""
    model = funnelc.load(str(DEVELOPER)).model
    assert model is not None
    feeds = {key: src.name.value for src, key in build_flows(model).sources}
    return load_history([str(records)], records_start=date(2018, 1, 1),
                        record_sources=feeds).events


def _days(text: str) -> float:
    num = float(text.strip()[:-1])
    return num * {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1.0}[text.strip()[-1]]


@pytest.fixture(scope="module")
def developer_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = tmp_path_factory.mktemp("records") / "r.csv"
    run = CliRunner().invoke(cli, ["simulate", str(DEVELOPER), "--days", "365", "--seed", "1",
                                   "--reps", "1", "--records", str(records)])
    assert run.exit_code == 0, run.output
    return records


@pytest.fixture(scope="module")
def developer_events(developer_records: Path) -> pl.DataFrame:
    """The records as events (`_events`), read once for the tests that write them out as a
    CRM's export (a polars frame: the tests derive new ones, never change it)."""
    return _events(developer_records)


@pytest.fixture(scope="module")
def developer_fit(developer_records: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    records, fitted = developer_records, tmp_path_factory.mktemp("fit") / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", "--funnel", str(DEVELOPER), str(records), "-o",
                                   str(fitted), "--lang", "en"])
    assert res.exit_code == 0, res.output
    return fitted.read_text(encoding="utf-8")


def test_bounded_delay_before_an_sla_that_cut_nothing_is_not_given_a_tail(
        developer_fit: str) -> None:
    """«Договір підписано» `-> won 97% after uniform(1d, 10d)` with `sla 100h`: no deal
    of the records ran into the SLA, yet the fit read the sample as cut by it and wrote
    `gamma(6.57d, 3.8d)` (mean interval [5.61d, ∞]) for a delay of mean 5.5 d."""
    mt = re.search(r"-> won [\d.]+% after (\w+)\(([^)]*)\)", developer_fit)
    assert mt, developer_fit
    kind, args = mt.group(1), [_days(a) for a in mt.group(2).split(",")]
    mean = sum(args) / len(args) if kind == "empirical" else args[0]
    assert abs(mean - 5.5) <= 0.1 * 5.5, (kind, args)
    if kind == "empirical":
        assert args[-1] < 10.0, args


def test_forecast_does_not_remake_old_cadence_touches_of_open_deals(
        developer_records: Path) -> None:
    """Records of the developer (seed 1) cut at 2018-09-30, 30 days forecast: 527 deals
    sat in «Дозрівання.Передано на дозрівання» (touches at 0, 7, 30, 60 days); the
    warm start made each one's latest past touch again at t=0, a second chance to reply,
    and the nurture pipeline's wins came out at 28.4 (95 %: 19.5–38) against the 18
    the records show."""
    records = developer_records
    with records.open(encoding="utf-8") as fh:
        truth = sum(1 for row in csv.DictReader(fh)
                    if row["pipeline"] == "Дозрівання" and row["outcome"].startswith("won")
                    and 6552 < float(row["left_hours"] or "nan") <= 7272)
    assert truth == 18
    # 30 runs under CI: the wins' spread is ~4.8 (95 %: 14–33 over 60 runs), so the mean
    # of 30 has a standard error of ~0.9 and 25 is ~2.7 of them above 60 runs' 22.6,
    # while the fault's 28.4 is ~4 above 25; 18 lies within one spread of the mean, far
    # inside the 2.5th–97.5th percentiles (12–36 at seed 101 with 30 runs).
    res = CliRunner().invoke(cli, ["forecast", "--funnel", str(DEVELOPER), str(records),
                                   "--as-of", "2018-09-30", "--until", "2018-10-30",
                                   "--reps", str(reps(60, 30)), "--seed", "101",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    row = next(r for r in json.loads(res.stdout)["rows"]
               if r["pipeline"] == "Дозрівання" and r["origin"] == "all")
    won = row["months"][0]["won"]
    assert won["p2_5"] <= truth <= won["p97_5"], won
    assert won["mean"] < 25, won


def test_forecast_says_why_the_pipelines_add_up_to_more_than_the_account(
        developer_records: Path) -> None:
    """The same forecast: «Дозрівання» wins hand the deal back to sales (`won then copy`),
    so its 21 expected wins are not in the account's 61, and nothing said so."""
    res = CliRunner().invoke(cli, ["forecast", "--funnel", str(DEVELOPER), str(developer_records),
                                   "--as-of", "2018-09-30", "--until", "2018-10-30",
                                   "--reps", "5", "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert ("a win in “Дозрівання” hands the deal on (`won then copy`)"
            in " ".join(res.output.split())), res.output


def test_shared_entry_stage_keeps_each_sources_own_seasonality(developer_fit: str) -> None:
    """«Сайт ЖК» (60/week, flat) and «Реклама Meta» (80/week, jan 70 %, feb 80 %, …,
    dec 60 %) both feed «Запит отримано» and the records name no source. The split by the
    funnel's average proportion gave the flat source the seasonal one's dips
    (`profile jan 81%, dec 74%`) and halved the seasonal one's (`jan 82%, dec 74%`)."""
    site = next(line for line in developer_fit.splitlines() if line.startswith('source "Сайт ЖК"'))
    meta = next(line for line in developer_fit.splitlines()
                if line.startswith('source "Реклама Meta'))
    assert "profile" not in site, site
    assert re.search(r"\b(59|60|61)(\.\d)?/week", site), site
    got = {mo: float(p) for mo, p in re.findall(r"\b(jan|dec) (\d+)%", meta)}
    assert abs(got["jan"] - 70) <= 7 and abs(got["dec"] - 60) <= 7, meta


def test_sla_that_cut_nothing_does_not_hide_a_delay_from_the_calibration(
        developer_events: pl.DataFrame, tmp_path: Path) -> None:
    """The same records as a plain CSV (no pick-up times: delays calibrated through the
    simulator): «Договір підписано» `won after uniform(1d, 10d)` was written `-> won
    96.1%` with no delay at all (its exp candidate ran to a 42-day mean past the SLA)."""
    history = write_csv(developer_events, tmp_path / "deals.csv")
    fitted = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", "--funnel", str(DEVELOPER), str(history), "-o",
                                   str(fitted), "--lang", "en"])
    assert res.exit_code == 0, res.output
    mt = re.search(r"-> won [\d.]+%( after (\w+)\(([^)]*)\))?", fitted.read_text(encoding="utf-8"))
    assert mt and mt.group(1), mt
    args = [_days(a) for a in mt.group(3).split(",")]
    mean = sum(args) / len(args) if mt.group(2) == "empirical" else args[0]
    assert abs(mean - 5.5) <= 0.1 * 5.5, mt.group(0)


def test_amocrm_comebacks_without_their_loss_reason_count_for_the_reopen_into_their_stage(
        developer_events: pl.DataFrame, tmp_path: Path) -> None:
    """The records as an amoCRM export: a lead keeps only its last loss reason, so a deal
    lost «Не вдалося зв'язатися» that came back has none for that loss. With the
    developer's two reopens none of those comebacks counted and the fit wrote
    `reopen "Не вдалося зв'язатися" 0.7%` (the records: 130 of 1 886, 6.9 %; the funnel
    8 %). Only that reopen brings deals back to «Інтерес підтверджено»: the comebacks are
    credited to it (the same rule as for Bitrix24), which gives the records' 6.9 % exactly,
    and a warning names the assumption."""
    fitted = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", "--funnel", str(DEVELOPER),
                                   str(write_amocrm(developer_events, tmp_path / "amo")),
                                   "-o", str(fitted), "--lang", "en"])
    assert res.exit_code == 0, res.output
    text = fitted.read_text(encoding="utf-8")
    mt = re.search(r'reopen "Не вдалося зв\'язатися" ([\d.]+)%', text)
    assert mt and float(mt.group(1)) == 6.9, mt
    mt = re.search(r'reopen "Обрав інший ЖК" ([\d.]+)%', text)
    assert mt and float(mt.group(1)) == 4.4, mt
    assert ("each is credited to the funnel's reopen into the stage it came back to"
            in " ".join(res.output.split())), res.output


def test_months_missing_from_the_export_are_a_gap_not_a_zero_profile(
        developer_events: pl.DataFrame, tmp_path: Path) -> None:
    """The developer's records as a CSV without source names whose deals created in July
    and August are missing (an export that skipped two months): every source was written
    `profile jul 0%, aug 0%`, a forecast of no leads next summer, without a word."""
    ev = developer_events.with_columns(source=pl.lit(None, dtype=pl.Utf8))
    born = ev.group_by("deal_id").agg(pl.col("ts").min())
    gone = born.filter(pl.col("ts").dt.month().is_in([7, 8]))["deal_id"]
    history = write_csv(ev.filter(~pl.col("deal_id").is_in(gone.implode())),
                        tmp_path / "deals.csv")
    fitted = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", "--funnel", str(DEVELOPER), str(history), "-o",
                                   str(fitted), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "no deal at all was created in jul, aug" in res.output
    sources = [line for line in fitted.read_text(encoding="utf-8").splitlines()
               if line.startswith("source ")]
    assert len(sources) == 3 and not any(re.search(r"\b(jul|aug) 0%", s) for s in sources), sources
    assert re.search(r'"Сайт ЖК" (59|60|61)(\.\d)?/week', sources[0]), sources[0]


def test_calibration_keeps_a_delay_no_delay_misses_by_far(tmp_path: Path) -> None:
    """pipelines/courses.funnel, `simulate --days 365 --seed 2 --reps 1`, as a plain CSV
    (no pick-up times, no source names): «Связались» `lost "Перестал отвечать" 25% after
    uniform(3d, 7d)` (the stage's SLA names the same reason) was written with no delay:
    its exp candidate ran to a 31-day mean whose bootstrap touched 0, and "none" won at a
    distance of 1.92 against gamma's 0.022 at 4.97 days."""
    courses = PIPELINES / "courses.funnel"
    records = tmp_path / "r.csv"
    run = CliRunner().invoke(cli, ["simulate", str(courses), "--days", "365", "--seed", "2",
                                   "--reps", "1", "--records", str(records)])
    assert run.exit_code == 0, run.output
    model = funnelc.load(str(courses)).model
    assert model is not None
    feeds = {key: src.name.value for src, key in build_flows(model).sources}
    ev = load_history([str(records)], records_start=date(2018, 1, 1),
                      record_sources=feeds).events
    history = write_csv(ev.with_columns(source=pl.lit(None, dtype=pl.Utf8)),
                        tmp_path / "deals.csv")
    fitted = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", "--funnel", str(courses), str(history), "-o",
                                   str(fitted), "--lang", "en"])
    assert res.exit_code == 0, res.output
    mt = re.search(r'-> lost "Перестал отвечать" [\d.]+%( after (\w+)\(([^)]*)\))?',
                   fitted.read_text(encoding="utf-8"))
    assert mt and mt.group(1), mt
    args = [_days(a) for a in mt.group(3).split(",")]
    mean = sum(args) / len(args) if mt.group(2) == "empirical" else args[0]
    assert abs(mean - 5.0) <= 0.1 * 5.0, mt.group(0)
