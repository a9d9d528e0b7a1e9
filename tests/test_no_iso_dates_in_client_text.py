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

import pytest

from history_family import EXPORTS, history_family, readable

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-\d{2}\b")
"""An ISO day (2026-10-31) or month (2026-10)."""

MACHINE = re.compile(
    r"--[a-z][a-z-]*[ =]\S+"  # an option's value as typed («--periods 2026-01..2026-03»)
    r"|\S*[/\\]\S*"  # a path or a file name with its folder
    r"|\S+\.(?:html|json|csv|png|svg|txt|funnel)\b")  # a file name
"""Text that stays as a program or the user writes it (see the module's docstring)."""


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


@pytest.fixture(scope="module", params=[(name, lang) for name in EXPORTS for lang in ("ru", "uk")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def outputs(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One run of each command in one language on one export (`history_family`, shared
    with tests/test_no_english_in_client_text.py): its terminal text and every file a
    client reads, by name."""
    name, lang = request.param
    got, _ = history_family(tmp_path_factory, name, lang)
    return readable(got, page_text)


def test_client_text_says_its_days_and_months_in_words(outputs: dict[str, str]) -> None:
    # Every output was read (an empty one would pass without saying anything).
    assert all(text.strip() for text in outputs.values()), [k for k, v in outputs.items()
                                                            if not v.strip()]
    assert "plots/inflow.svg" in outputs and "forecast.svg" in outputs
    assert "audit.txt" in outputs and "chart.svg" in outputs
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
