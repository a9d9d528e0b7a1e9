"""The history family's client text, run once per export and language for the whole session.

tests/test_no_iso_dates_in_client_text.py and tests/test_no_english_in_client_text.py read
the client text of the same commands on the same planted-story exports (the school's in
Russian and the furniture maker's in Ukrainian are in both): each file ran them itself,
about 20 s a run on a loaded two-core machine. `history_family` runs every command either
file reads, with the options of both (`audit` with and without `-o`, `forecast --chart`),
and each file checks all of it. The runs are made once in the session, whichever file
asks first (`conftest.run_once`, which pytest-xdist's workers share).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import cli_ok, planted
from cli_once import out as _out
from conftest import DATA, run_once
from funnelc.cli import cli

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
files stay within their time. The school's is the fullest: its months are counted in
Moscow and its export stops taking new deals (the note said in words since 901744d)."""


def _run(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout + "\n" + result.stderr


def _outputs(name: str, lang: str, out: Path) -> dict[str, str]:
    """Every output a client reads, by name: the terminal text of each command and the
    files it wrote (HTML and SVG as they are; the tests take out the markup)."""
    sub, funnel, tz = EXPORTS[name]
    folder = planted(name)  # the shared export, read-only (`cli_once.planted`)
    export = folder / sub if sub else folder
    opts = (*tz, "--lang", lang)
    # `history -o` as tests/test_history_quality_labels.py runs it too: once a session.
    ran = cli_ok(["history", export, "--funnel", funnel, *opts, "-o", _out("history")], ENV)
    got = {"history": ran.stdout + "\n" + ran.stderr}
    history = ran.path("history")
    got["history.html"] = (history / "history.html").read_text("utf-8")
    for svg in sorted((history / "plots").glob("*.svg")):
        got[f"plots/{svg.name}"] = svg.read_text("utf-8")
    got["audit"] = _run("audit", funnel, export, *opts)
    got["audit -o"] = _run("audit", funnel, export, *opts, "-o", out / "audit.txt")
    got["audit.txt"] = (out / "audit.txt").read_text("utf-8")
    fitted = out / "fitted.funnel"
    got["fit"] = _run("fit", export, "--funnel", funnel, *opts, "-o", fitted)
    got["fitted.funnel"] = fitted.read_text("utf-8")
    if name == BACKTESTED:
        got["fit --backtest"] = _run("fit", export, "--funnel", funnel, *opts,
                                     "--backtest", "2", "--reps", "4", "--jobs", "1",
                                     "-o", out / "bt.funnel", "--html", out / "bt.html")
        got["bt.html"] = (out / "bt.html").read_text("utf-8")
    got["forecast"] = _run("forecast", export, "--funnel", fitted, *opts,
                           "--reps", "4", "--jobs", "1", "-o", out / "forecast",
                           "--chart", out / "chart")
    got["forecast.txt"] = (out / "forecast" / "forecast.txt").read_text("utf-8")
    got["forecast.svg"] = (out / "forecast" / "forecast.svg").read_text("utf-8")
    got["chart.svg"] = (out / "chart.svg").read_text("utf-8")
    return got


def history_family(factory: pytest.TempPathFactory, name: str,
                   lang: str) -> tuple[dict[str, str], Path]:
    """`history -o`, `audit` (and `audit -o`), `fit -o` (and `fit --backtest` with its page
    on the school's export) and `forecast -o --chart` on the planted-story export `name`
    in `lang`: each output's text by name, and the fitted funnel's path."""
    got, out = run_once(factory, f"history-family-{name}-{lang}",
                        lambda out: _outputs(name, lang, out))
    return got, out / "fitted.funnel"


def readable(got: dict[str, str], page: Callable[[str], str]) -> dict[str, str]:
    """The outputs as the client reads them: each page and plot through `page` (the words
    drawn, without markup), the fitted funnel by its comments (what `fit` wrote in words)."""
    out = {}
    for where, text in got.items():
        if where == "fitted.funnel":
            out["fitted.funnel comments"] = "\n".join(
                line.partition("#")[2] for line in text.splitlines() if "#" in line)
        elif where.endswith((".html", ".svg")):
            out[where] = page(text)
        else:
            out[where] = text
    return out
