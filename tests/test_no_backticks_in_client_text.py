"""No backtick in what `history` and `audit` say to the client, in any language. A
backtick is markup: the terminal printed it as it is, and a realty agency's audit read
«их называют столбец `source` в CSV» (issue 14). A column, a field, a keyword or a command
the text names is quoted as the client's text quotes a name, «source», «stay»,
«funnelc audit».

Two sweeps: every catalog message of the modules `history` and `audit` say their text
with (the English msgid and the Russian and Ukrainian translations, each plural form),
and the outputs themselves on exports that make them say the rarer sentences: the realty
agency's amoCRM export (no source: «…поэтому источники не сравнивали…») and a CSV with
neither managers nor sources and day-first slash dates (the note on the date order), in
Russian, Ukrainian and English: the terminal (diagnostic lines aside, English by the
house rules), history.html and its plots, the JSON's data-quality notes, the audit."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import history_once
from conftest import data_generator
from funnelc.cli import cli
from funnelc.i18n import catalogs
from test_no_iso_dates_in_client_text import page_text

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

DATA = Path(__file__).resolve().parent / "data" / "realty_amocrm_ru"
FUNNEL = DATA / "realty.funnel"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}

RENDERS = {"funnelc/history/report.py", "funnelc/history/audit_render.py",
           "funnelc/history/quality_render.py", "funnelc/history/plots.py",
           "funnelc/history/refusal_note.py", "funnelc/commands/history.py",
           "funnelc/commands/audit.py"}
"""Where `history` and `audit` take their client text from (the data quality's sentences
are `fit`'s and `forecast`'s too)."""

DIAGNOSTIC = re.compile(r"^\s*(?:(?:error|warning)(?:\[[\w-]+\])?:|= help:|-->|\|)")


def _forms(text: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if not text:
        return []
    return [text] if isinstance(text, str) else [t for t in text if t]


def test_no_catalog_message_of_history_or_audit_has_a_backtick() -> None:
    found = []
    for lang in catalogs.LANGUAGES:
        for m in catalogs.read_catalog(lang):
            if m.id and any(loc in RENDERS for loc, _ in m.locations):
                found += [f"{lang}: {t[:120]}" for t in _forms(m.id) + _forms(m.string)
                          if "`" in t]
    assert found == []


def plain_csv(path: Path) -> Path:
    """120 deals of the realty funnel's pipeline, no manager and no source, dates written
    day first with a slash (13/01/2026 settles the order)."""
    rows = ["deal_id,date,pipeline,stage"]
    start = datetime(2026, 1, 3, 10)
    for i in range(120):
        t = start + timedelta(days=i)
        rows.append(f"{i},{t:%d/%m/%Y %H:%M},Покупка,Заявка")
        if i % 3:
            rows.append(f"{i},{t + timedelta(days=2):%d/%m/%Y %H:%M},Покупка,Консультация")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout + "\n" + result.stderr


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    realty = tmp_path_factory.mktemp("realty")
    data_generator("realty_amocrm_ru").write(realty, 2)
    plain = plain_csv(tmp_path_factory.mktemp("plain") / "plain.csv")
    return {"realty": [str(realty), "--tz", "Asia/Yekaterinburg"], "plain": [str(plain)]}


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
@pytest.mark.parametrize("name", ["realty", "plain"])
def test_history_and_audit_say_no_backtick(exports: dict[str, list[str]], name: str,
                                           lang: str) -> None:
    export, *tz = exports[name]
    # One `history -o` run: its stdout without the «wrote …» line is what `history`
    # prints (`cli_once.history_once`), its stderr the same.
    run = history_once([export, *tz, "--funnel", FUNNEL, "--lang", lang], ENV)
    out = run.folder
    said = {"history": run.text + "\n" + run.ran.stderr,
            "history -o": run.ran.stdout + "\n" + run.ran.stderr,
            "audit": _run("audit", FUNNEL, export, *tz, "--lang", lang),
            "history.html": page_text((out / "history.html").read_text("utf-8"))}
    for svg in sorted((out / "plots").glob("*.svg")):
        said[svg.name] = page_text(svg.read_text("utf-8"))
    quality = json.loads((out / "history.json").read_text("utf-8"))["quality"]
    said["history.json notes"] = "\n".join(quality.get("notes", []))
    # The sentences this sweep is for were said (an output without them proves nothing).
    # (English may quote a name “so”, Russian and Ukrainian «so».)
    quoted = re.compile(r"[«“](manager|source)[»”]")
    if name == "plain":
        assert "13/01/2026 10:00" in said["history"] and "13/01/2026" in said["history.json notes"]
        assert set(quoted.findall(said["audit"])) == {"manager", "source"}
    else:
        assert set(quoted.findall(said["audit"])) == {"source"}
    # «их называют столбец «source» в CSV»: «их» (them) with a verb in the plural and a
    # singular subject; the sentence says where the figures come from.
    where = {"ru": "они берутся из столбц", "uk": "вони беруться зі стовпц",
             "en": "columns" if name == "plain" else "column"}[lang]
    assert where in " ".join(said["audit"].split()), said["audit"]
    found = [f"{where}: {' '.join(line.split())[:160]}"
             for where, text in said.items() for line in text.splitlines()
             if "`" in line and not DIAGNOSTIC.match(line)]
    assert found == []
