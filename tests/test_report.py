"""`funnelc report FILE -o DIR`: every file is written, the HTML stands alone and names
the graveyards the simulation finds, summary.json follows its shipped schema, the CSV
is tidy, writes are atomic, and bad input or options write nothing."""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import cli_ok
from cli_once import out as out_arg
from conftest import PIPELINES
from funnelc.cli import cli
from funnelc.report.build import report_file_names
from funnelc.report.data import CSV_COLUMNS
from funnelc.report.summary import SUMMARY_SCHEMA_PATH, summary_schema_text

UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"

PLOTS = ("funnel", "backlog", "utilization", "time_in_stage")

SMALL = """
account "A" { currency RUB }
team Sales size 2
source Web 30/day -> P.New value 100k
pipeline P main {
  stage New {
    owner Sales
    work exp(20m)
    respond 1h
    sla 1d -> lost "late"
    -> Offer 60%
    -> lost "junk" 40%
  }
  stage Offer {
    -> won 50% after exp(2d)
    stay 50%
  }
}
"""


def run_cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def cottages() -> tuple[Path, str, str]:
    """The README's main command on cottages.funnel, at a size a test can afford (120
    days, 3 replications still show its graveyard). Run once a session (`cli_once`):
    tests/test_i18n.py reads the same report's headline and plots."""
    ran = cli_ok(["report", PIPELINES / "cottages.funnel", "-o", out_arg("report"),
                  "--days", "120", "--reps", "3", "--jobs", "1"])
    return ran.path("report"), ran.stdout, ran.stderr


@pytest.fixture(scope="module")
def before() -> tuple[Path, str, str]:
    """cottages-before.funnel's report, run once a session (`cli_once`): tests/test_i18n.py
    reads the same report's headline."""
    ran = cli_ok(["report", PIPELINES / "cottages-before.funnel", "-o", out_arg("report"),
                  "--days", "60", "--warmup", "10", "--reps", "2", "--jobs", "1"])
    return ran.path("report"), ran.stdout, ran.stderr


def _section(page: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}">(.*?)</section>', page, flags=re.S)
    assert m, f"no section {anchor}"
    return m.group(1)


def _flagged(summary: dict) -> set[tuple[str, str]]:
    return {(s["pipeline"], s["stage"]) for s in summary["simulation"]["stages"]
            if s["graveyard"]["is_graveyard"]}


def _headings(section: str) -> set[tuple[str, str]]:
    import html

    out = set()
    for h in re.findall(r"<h3>(.*?)</h3>", section):
        pipeline, stage = html.unescape(h).split(" › ", 1)
        out.add((pipeline, stage))
    return out


def test_every_file_is_written_and_listed(cottages: tuple[Path, str, str]) -> None:
    out, stdout, stderr = cottages
    names = report_file_names()
    assert set(names) == {"report.html", "summary.json", "stages.csv"} | {
        f"{p}.{ext}" for p in PLOTS for ext in ("png", "svg")}
    assert sorted(os.listdir(out)) == sorted(names), "stray or temporary files in DIR"
    for name in names:
        assert (out / name).stat().st_size > 0
        assert str(out / name) in stdout
    # cottages is a `language ru` account: its progress lines are Russian.
    assert "3 прогона × 120 дней" in stderr
    assert "warning" not in stderr, "a plot lacked a glyph or drew with a warning"


def test_plots_are_real_png_and_svg(cottages: tuple[Path, str, str]) -> None:
    out, _, _ = cottages
    for name in PLOTS:
        png = (out / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width >= 600 and height >= 200, (name, width, height)
        root = ET.fromstring((out / f"{name}.svg").read_text("utf-8"))
        assert root.tag.endswith("svg")


def test_html_is_self_contained(cottages: tuple[Path, str, str]) -> None:
    out, _, _ = cottages
    page = (out / "report.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", page), "an external address in the page"
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"\b(src|href)\s*=\s*(?![\"']?#)", page), "a reference outside the page"
    assert page.count("<svg") == len(PLOTS)
    for name in PLOTS:
        assert f'id="plot-{name}-caption"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "two plots define the same id"


def test_the_graveyard_box_gives_the_plots_growth_figure(cottages: tuple[Path, str, str]
                                                         ) -> None:
    """One growth figure for the pile: the box says the number the backlog plot and the
    verdict give (growth beyond what arrivals explain), not the plain WIP slope."""
    out, _, _ = cottages
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    stage = next(s for s in summary["simulation"]["stages"] if s["stage"] == "Расчет с сайта")
    reason = next(r for r in stage["graveyard"]["reasons"] if r["code"] == "wip-growing")
    growth = reason["growth_per_day"]
    assert f"{growth:.3g} more per day" in reason["message"]
    page = html.unescape(re.sub(r"<[^>]+>", " ", (out / "report.html").read_text("utf-8")))
    said = re.search(r"завал рос примерно на ([0-9,]+) в день", page)  # a `language ru` account
    assert said is not None, "the box gives the growth"
    assert float(said.group(1).replace(",", ".")) == pytest.approx(growth, rel=0.05, abs=0.05)


def test_the_box_says_when_the_run_ends_in_a_low_season(tmp_path: Path) -> None:
    """Cottages' December brings two thirds of a usual month's leads: a run ending then
    shows the pile falling at the end of the plot while it is a graveyard, and the box
    says why."""
    out = tmp_path / "report"
    code, _, stderr = run_cli("report", str(PIPELINES / "cottages.funnel"), "-o", str(out),
                              "--days", "365", "--reps", "3", "--jobs", "1", "-q")
    assert code == 0, stderr
    page = html.unescape(re.sub(r"<[^>]+>", " ", (out / "report.html").read_text("utf-8")))
    assert "Прогон заканчивается в декабре, в низкий сезон" in page
    assert "приходят тогда на уровне 66,7% от среднего за год" in page


def test_html_names_the_graveyards_the_simulation_finds(cottages: tuple[Path, str, str]
                                                        ) -> None:
    out, stdout, _ = cottages
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    flagged = _flagged(summary)
    assert ("Продажи", "Расчет с сайта") in flagged, "3 managers cannot call 40 leads a day"
    page = (out / "report.html").read_text("utf-8")
    graves = _section(page, "graveyards")
    assert _headings(graves) == flagged
    assert page.index('id="graveyards"') < page.index('id="summary"'), "the headline comes first"
    assert "Менеджеры" in graves and "Четвертый менеджер" in graves, \
        "the cause (the team) and the file's own remedy (the scenario) are named"
    assert "кладбище: " in stdout and "Расчет с сайта" in stdout.split("кладбище: ", 1)[1]
    heads = {(g["pipeline"], g["stage"]) for g in summary["headline"]["graveyards"]}
    assert heads == flagged


def test_before_funnel_flags_the_calculation_sent_stage(before: tuple[Path, str, str]) -> None:
    """Seed 000: 95% of the deals stay in «Отправлен расчет» with no SLA."""
    out, stdout, _ = before
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    stage = next(s for s in summary["simulation"]["stages"] if s["stage"] == "Отправлен расчет")
    assert "stay-without-sla" in {r["code"] for r in stage["graveyard"]["reasons"]}
    graves = _section((out / "report.html").read_text("utf-8"), "graveyards")
    assert ("Продажи", "Отправлен расчет") in _headings(graves)
    assert "никакой SLA не двигает их дальше" in graves
    assert "Отправлен расчет" in stdout


def test_summary_follows_its_schema(cottages: tuple[Path, str, str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    out, _, _ = cottages
    data = json.loads((out / "summary.json").read_text("utf-8"))
    schema = json.loads(SUMMARY_SCHEMA_PATH.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)
    assert data["units"]["durations"] == "hours"
    assert data["units"]["money"] == "RUB"
    assert data["files"] == report_file_names()
    assert data["simulation"]["run"]["reps"] == 3
    assert data["analysis"]["pipelines"][0]["stages"][0]["arrivals_per_day"] > 0
    broken = json.loads(json.dumps(data))
    broken["simulation"]["stages"][0]["time_in_stage_hours"]["mean"]["mean"] = "long"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    broken = json.loads(json.dumps(data))
    broken["analysis"]["pipelines"][0]["stages"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_shipped_summary_schema_matches_the_models() -> None:
    text = summary_schema_text()
    if UPDATE:
        SUMMARY_SCHEMA_PATH.write_text(text, encoding="utf-8")
    assert SUMMARY_SCHEMA_PATH.exists(), (f"no {SUMMARY_SCHEMA_PATH.name}: regenerate with "
                                          "FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_report.py")
    assert SUMMARY_SCHEMA_PATH.read_text(encoding="utf-8") == text, \
        "regenerate with FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_report.py"
    code, out, _ = run_cli("report", "--schema")
    assert code == 0 and out == text


def test_csv_is_tidy(cottages: tuple[Path, str, str]) -> None:
    out, _, _ = cottages
    rows = list(csv.reader(io.StringIO((out / "stages.csv").read_text("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = rows[1:]
    keys = set()
    for row in body:
        assert len(row) == len(CSV_COLUMNS) and all(cell != "" for cell in row), row
        assert math.isfinite(float(row[5]))
        assert row[4] in {"mean", "ci95_low", "ci95_high", "exact", "exact_lower_bound",
                          "verdict"}
        key = tuple(row[:3]) + (row[4],)
        assert key not in keys, f"two rows for {key}"
        keys.add(key)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    for st in summary["simulation"]["stages"]:
        mean = next(float(r[5]) for r in body if (r[0], r[1], r[2], r[4]) ==
                    (st["pipeline"], st["stage"], "entered_deals", "mean"))
        assert mean == pytest.approx(st["entered"]["mean"])
        flag = next(float(r[5]) for r in body if (r[0], r[1], r[2]) ==
                    (st["pipeline"], st["stage"], "graveyard"))
        assert flag == (1.0 if st["graveyard"]["is_graveyard"] else 0.0)
    for row in body:  # the unit is in the metric's name
        unit_word = {"hours": "_hours", "percent": "_pct", "deals": "_deals"}.get(row[3])
        if unit_word:
            assert row[2].endswith(unit_word) or unit_word + "_" in row[2], row


def test_one_replication_writes_no_interval_and_no_empty_cell(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "r"
    code, _, err = run_cli("report", str(path), "-o", str(out), "--days", "20", "--warmup",
                           "2", "--reps", "1", "--jobs", "1")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO((out / "stages.csv").read_text("utf-8"))))[1:]
    assert rows and all(all(cell != "" for cell in r) for r in rows)
    assert not any(r[4].startswith("ci95") for r in rows)
    assert any(r[4] == "exact" for r in rows)
    page = (out / "report.html").read_text("utf-8")
    assert _headings(_section(page, "graveyards")) == {("P", "Offer")}, "stay 50%, no sla"
    # The notes, captions and plot legends say what is drawn: one run, no interval. They
    # described «the mean over the replications ± the half-width of its 95% confidence
    # interval», «x [a–b]», «mean (95% CI)» and a «95% CI band» none of which was there.
    # (The graveyard rule's and verdict's 95% CI is the slope's, fitted within the run.)
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(
        r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.S)))
    text = " ".join(text.split())
    assert "±" not in text and "x [a–b]" not in text
    said = [text[m.start():m.start() + 40] for m in re.finditer("95%", text)]
    assert said and all(re.match(r"95% (CI above zero|CI -?\d|(confidence )?interval needs two)",
                                 x) for x in said), said
    assert "one replication" in text
    for plot in ("funnel", "utilization", "time_in_stage", "backlog"):
        said = " ".join(re.findall(r"<!-- (.*?) -->", (out / f"{plot}.svg").read_text("utf-8")))
        assert not re.search(r"\(95% CI\)|mean, 95% CI|95% CI band", said), (plot, said)


def test_file_with_errors_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.funnel"
    path.write_text(SMALL.replace("owner Sales", "owner Sails"), encoding="utf-8")
    out = tmp_path / "r"
    code, _stdout, err = run_cli("report", str(path), "-o", str(out))
    assert code == 1 and "fix them before reporting on it" in err and "Sails" in err
    assert not out.exists()
    code, _, err = run_cli("report", str(tmp_path / "missing.funnel"), "-o", str(out))
    assert code == 2 and not out.exists()
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["--days", "0"], "--days"),
    (["--reps", "0"], "--reps"),
    (["--days", "5", "--warmup", "5"], "--warmup"),
    (["--jobs", "0"], "--jobs"),
    (["--seed", "-1"], "--seed"),
    (["--start", "2025-02-30"], "date"),
    (["--scenario", "Nope"], "no scenario"),
])
def test_absurd_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "r"
    code, _, err = run_cli("report", str(path), "-o", str(out), *args)
    assert code == 2 and message in err, err
    assert "Traceback" not in err and not out.exists()


def test_output_must_be_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    code, _, err = run_cli("report", str(path))
    assert code == 2 and "-o DIR" in err
    a_file = tmp_path / "taken"
    a_file.write_text("keep me", encoding="utf-8")
    code, _, err = run_cli("report", str(path), "-o", str(a_file), "--days", "5", "--warmup", "1")
    assert code == 2 and "not a folder" in err
    assert a_file.read_text("utf-8") == "keep me"


def test_writes_replace_files_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """Each file goes through a temporary file and a rename: an old report is replaced
    whole, and a write that fails half-way leaves neither a temporary file nor a torn
    file behind."""
    from funnelc.report import writer

    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "report.html").write_text("old", encoding="utf-8")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    written = writer.write_report(folder, {"report.html": "new", "a.png": b"\x89PNG"})
    assert [p.name for p in written] == ["report.html", "a.png"]
    assert (folder / "report.html").read_text("utf-8") == "new"
    assert (folder / "notes.txt").read_text("utf-8") == "mine"

    real = os.replace

    def fail_on_second(src: str, dst: str) -> None:
        if dst.endswith("b.svg"):
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", fail_on_second)
    with pytest.raises(writer.ReportWriteError, match="No space left"):
        writer.write_report(folder, {"a.png": b"second", "b.svg": "<svg/>"})
    assert sorted(os.listdir(folder)) == ["a.png", "notes.txt", "report.html"]
    assert (folder / "a.png").read_bytes() == b"second"


def test_the_time_legend_names_only_the_exact_marks_drawn(cottages: tuple[Path, str, str]
                                                          ) -> None:
    """Page review F19: every exact time in stage of cottages.funnel is a lower bound,
    drawn «[», and the legend still listed «точное среднее ×», drawn nowhere. The legend
    names the marks the chart draws (the SVG keeps each text as a comment)."""
    out, _, _ = cottages
    rows = list(csv.DictReader(io.StringIO((out / "stages.csv").read_text("utf-8"))))
    kinds = {r["estimate"] for r in rows if r["metric"] == "time_in_stage_mean_hours"}
    assert "exact_lower_bound" in kinds and "exact" not in kinds, kinds
    said = re.findall(r"<!-- (.*?) -->", (out / "time_in_stage.svg").read_text("utf-8"))
    assert "точная нижняя граница (ожидание в очереди неизвестно)" in said
    assert "точное среднее" not in said


def test_english_page_writes_sla_as_the_other_languages_do(tmp_path: Path) -> None:
    """Page review F18: the English report's respond and SLA table read «sla», «sla
    action», «sla cut (exact)» and «The sla cut is…» where the Russian and Ukrainian pages
    write «SLA»; the file's keyword stays `sla` where it is quoted as code."""
    src = tmp_path / "small.funnel"
    src.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "report"
    code, _, err = run_cli("report", str(src), "-o", str(out), "--days", "40", "--reps", "2",
                           "--lang", "en", "-q")
    assert code == 0, err
    page = (out / "report.html").read_text("utf-8")
    section = page[page.index('<section id="respond-sla">'):]
    section = section[:section.index("</section>")]
    words = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<code>.*?</code>", "", section)))
    assert re.findall(r"\bsla\b", words) == [], words
    assert "SLA action" in words and "SLA cut (exact)" in words and "The SLA cut is" in words


def test_options_are_named_only_in_hints_for_the_consultant(cottages: tuple[Path, str, str]
                                                           ) -> None:
    """Page review F14: the client's page said «… зависят от его длины (--days)»,
    «увеличьте `--warmup` до времени выигрышей» and «сравните: funnelc report … --scenario
    …»: words of the command line in sentences for the client. The sentences say it in
    words; the option or command follows apart, marked «Консультанту:»."""
    out, _, _ = cottages
    page = (out / "report.html").read_text("utf-8")
    body = re.sub(r"<svg.*?</svg>", "", page[page.index("<body>"):], flags=re.S)
    text = html.unescape(re.sub(r"<(?!/?code\b)[^>]+>", "", body))
    hints = 0
    for m in re.finditer(r"<code>(.*?)</code>|(?<![\w-])--[a-z]+", text):
        words = m.group(1) if m.group(1) is not None else m.group(0)
        if not re.search(r"(^|\s)--[a-z]|^funnelc report", words):
            continue
        assert text[:m.start()].endswith("Консультанту: "), text[m.start() - 160:m.end()]
        hints += 1
    assert hints >= 3, hints  # the warm-up and team warnings, the scenario to compare
