"""Russian and Ukrainian client text says its days and months in words («31 октября 2026»,
«с 1 июля 2026», «июль 2026», «жовт. 2026»); English text and the JSON keep ISO dates.
The places were fixed one by one (the forecast's notes, the back-test's note that new deals
stopped) while others kept reading «срез 2026-08-31 21:00 UTC», «2026-07-01 – 2026-11-27»
or a table's «2026-07»: this test runs every client-facing output of `history`, `audit`,
`fit` (its report, its back-test and the fitted funnel's comments) and `forecast` on the
three planted-story exports in both languages and fails on any ISO day or month left.

What may stay machine-readable, and is taken out before the search:
* file names and paths (the lines saying what was written): the reader copies them;
* an option's value echoed as the user typed it (`--periods 2026-01..2026-03` in a hint):
  it is what to type again;
* the JSON, the CSV, SVG and PNG metadata (matplotlib's <dc:date>), HTML attributes,
  styles and scripts: data for programs, not sentences.
The plots' drawn words are read from the SVG (matplotlib writes each string it draws as a
comment before its glyphs), so their axis ticks are checked like the tables."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import planted_export
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}

EXPORTS = {
    # folder: (the export under the written folder, the funnel, the time zone options)
    "amocrm_school": ("", DATA / "amocrm_school" / "school.funnel", ("--tz", "Europe/Moscow")),
    "clinic_b24_ru": ("bitrix24", DATA / "clinic_b24_ru" / "clinic.funnel",
                      ("--tz", "Europe/Moscow")),
    "furniture_uk": ("bitrix24", DATA / "furniture_uk" / "dubok.funnel", ()),
}

BACKTESTED = "amocrm_school"
"""The export the back-test runs on, in both languages: its text is the same templates on
every export (its header, notes and month words), and it is the slowest command, so the
file stays within its time. The school's is the fullest: its months are counted in Moscow
and its export stops taking new deals (the note said in words since 901744d)."""

ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-\d{2}\b")
"""An ISO day (2026-10-31) or month (2026-10)."""

MACHINE = re.compile(
    r"--[a-z][a-z-]*[ =]\S+"  # an option's value as typed («--periods 2026-01..2026-03»)
    r"|\S*[/\\]\S*"  # a path or a file name with its folder
    r"|\S+\.(?:html|json|csv|png|svg|txt|funnel)\b")  # a file name
"""Text that stays as a program or the user writes it (see the module's docstring)."""


def _run(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout + "\n" + result.stderr


def page_text(markup: str) -> str:
    """The words a reader sees on an HTML page or in an SVG: metadata, styles, scripts and
    attributes dropped, matplotlib's comments (the strings it drew) kept as text."""
    markup = re.sub(r"<(metadata|style|script)\b.*?</\1>", " ", markup, flags=re.S)
    markup = re.sub(r"<!--(.*?)-->", r"\n\1\n", markup, flags=re.S)
    # A row, a paragraph or a caption on a line of its own, so a finding names its row.
    markup = re.sub(r"<(?=(?:tr|p|li|h\d|figcaption|caption|br)\b)", "\n<", markup)
    return html.unescape(re.sub(r"<[^>]*>", " ", markup))


def iso_left(outputs: dict[str, str]) -> list[str]:
    """Every line of client text that still holds an ISO day or month, named by its output."""
    found = []
    for where, text in outputs.items():
        for line in text.splitlines():
            if ISO.search(MACHINE.sub(" ", line)):
                found.append(f"{where}: {' '.join(line.split())[:160]}")
    return found


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: planted_export(tmp_path_factory, name) for name in EXPORTS}


@pytest.fixture(scope="module", params=[(name, lang) for name in EXPORTS for lang in ("ru", "uk")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def outputs(request: pytest.FixtureRequest, folders: dict[str, Path],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One run of each command in one language on one export: its terminal text and every
    file a client reads, by name."""
    name, lang = request.param
    sub, funnel, tz = EXPORTS[name]
    export = folders[name] / sub if sub else folders[name]
    out = tmp_path_factory.mktemp(f"{name}-{lang}")
    lang_opt = ("--lang", lang)
    got = {"history": _run("history", export, "--funnel", funnel, *tz, *lang_opt,
                           "-o", out / "history")}
    got["history.html"] = page_text((out / "history" / "history.html").read_text("utf-8"))
    for svg in sorted((out / "history" / "plots").glob("*.svg")):
        got[f"plots/{svg.name}"] = page_text(svg.read_text("utf-8"))
    got["audit"] = _run("audit", funnel, export, *tz, *lang_opt)
    fitted = out / "fitted.funnel"
    got["fit"] = _run("fit", export, "--funnel", funnel, *tz, *lang_opt, "-o", fitted)
    got["fitted.funnel comments"] = "\n".join(
        line.partition("#")[2] for line in fitted.read_text("utf-8").splitlines()
        if "#" in line)
    if name == BACKTESTED:
        got["fit --backtest"] = _run("fit", export, "--funnel", funnel, *tz, *lang_opt,
                                     "--backtest", "2", "--reps", "4", "--jobs", "1",
                                     "-o", out / "bt.funnel", "--html", out / "bt.html")
        got["bt.html"] = page_text((out / "bt.html").read_text("utf-8"))
    got["forecast"] = _run("forecast", export, "--funnel", fitted, *tz, *lang_opt,
                           "--reps", "4", "--jobs", "1", "-o", out / "forecast")
    got["forecast.txt"] = (out / "forecast" / "forecast.txt").read_text("utf-8")
    got["forecast.svg"] = page_text((out / "forecast" / "forecast.svg").read_text("utf-8"))
    return got


def test_client_text_says_its_days_and_months_in_words(outputs: dict[str, str]) -> None:
    # Every output was read (an empty one would pass without saying anything).
    assert all(text.strip() for text in outputs.values()), [k for k, v in outputs.items()
                                                            if not v.strip()]
    assert "plots/inflow.svg" in outputs and "forecast.svg" in outputs
    assert iso_left(outputs) == []


def test_what_stays_machine_readable_is_only_what_must() -> None:
    # The allowances take out names and typed values, never a sentence's day.
    assert iso_left({"hint": "use --periods 2026-01..2026-03 to name them"}) == []
    assert iso_left({"wrote": "записан /tmp/x/2026-07-01/fitted.funnel"}) == []
    assert iso_left({"head": "срез 2026-08-31 21:00 UTC"}) != []
    assert iso_left({"cell": "│ 2026-11 * │ Продажи │"}) != []
    svg = ('<svg><metadata><dc:date>2026-12-05T18:00:00</dc:date></metadata>'
           '<g id="text_1"><!-- 2026-07 --><path d="M 0 0"/></g></svg>')
    assert page_text(svg).split() == ["2026-07"]
