"""English client text quotes a name as English does, “Trial”; Russian and Ukrainian
keep «Trial». The catalogs' English msgids quote with «» (the house writes its
templates so), and English has no msgstr: an English account's audit read «New
business» «Trial» → «Proposal». `Translator` now gives English its own marks, on the
templates only (a name that holds «» keeps them), and `Translator.quote` quotes a name
a renderer puts together itself.

Run on the English SaaS account (tests/data/saas_en): history (terminal, page, plots),
audit, fit, forecast (terminal, forecast.txt, chart), analyze and report (terminal,
report.html); and the same audit in Russian and Ukrainian."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import cli_ok
from cli_once import out as out_arg
from conftest import data_generator
from funnelc.cli import cli
from test_no_iso_dates_in_client_text import page_text

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

DATA = Path(__file__).resolve().parent / "data" / "saas_en"
FUNNEL = DATA / "cloudly.funnel"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
GUILLEMET = re.compile(r"[«»]")


def _run(*args: object, ok: tuple[int, ...] = (0,)) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    assert result.exit_code in ok, result.output
    return result.stdout + "\n" + result.stderr


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saas_en_quotes")
    data_generator("saas_en").write(out, 1)
    return out / "history.csv"


@pytest.fixture(scope="module")
def english(export: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every client output of the English account, by name."""
    out = tmp_path_factory.mktemp("english")
    got = {"history": _run("history", export, "--funnel", FUNNEL, "-o", out / "history")}
    got["history.html"] = page_text((out / "history" / "history.html").read_text("utf-8"))
    for svg in sorted((out / "history" / "plots").glob("*.svg")):
        got[f"plots/{svg.name}"] = page_text(svg.read_text("utf-8"))
    got["audit"] = _run("audit", FUNNEL, export)
    fitted = out / "fitted.funnel"
    got["fit"] = _run("fit", export, "--funnel", FUNNEL, "-o", fitted)
    got["forecast"] = _run("forecast", export, "--funnel", fitted, "--reps", "4", "--jobs",
                           "1", "-o", out / "forecast")
    got["forecast.txt"] = (out / "forecast" / "forecast.txt").read_text("utf-8")
    got["forecast.svg"] = page_text((out / "forecast" / "forecast.svg").read_text("utf-8"))
    got["analyze"] = _run("analyze", FUNNEL)
    # The report tests/test_saas_en.py reads too (60 days, no warm-up), run once a
    # session (`cli_once`); it loses deals for «No budget» as the 120-day one did.
    report = cli_ok(["report", FUNNEL, "-o", out_arg("report"), "--reps", "2", "--days", "60",
                     "--warmup", "0"], ENV)
    got["report"] = report.stdout + "\n" + report.stderr
    got["report.html"] = page_text(report.path("report").joinpath("report.html")
                                   .read_text("utf-8"))
    return got


def test_english_outputs_quote_names_in_english(english: dict[str, str]) -> None:
    left = [f"{where}: {' '.join(line.split())[:160]}"
            for where, text in english.items() for line in text.splitlines()
            if GUILLEMET.search(line)]
    assert left == []
    # Read, and quoted the English way where the old text had «»: the audit's places, the
    # history's transition rows, the report's routes.
    assert "“New business” “Inbound lead” is a graveyard" in " ".join(english["audit"].split())
    assert "“Demo” → “Trial”: " in english["history"]
    assert "lost “No budget”" in english["report.html"]


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_russian_and_ukrainian_keep_their_quotes(export: Path, lang: str) -> None:
    """The graveyard proposal is funnel text to paste into this English account's
    funnel, so its comments stay in the funnel's language, English quotes and all: it is
    taken out before the sentences around it are read."""
    text = " ".join(_run("audit", FUNNEL, export, "--lang", lang).split())
    result = CliRunner().invoke(cli, ["audit", str(FUNNEL), str(export), "--lang", lang,
                                      "--format", "json"], env=ENV)
    data = json.loads(result.stdout)
    for proposal in data["proposals"]:
        code = " ".join(proposal["funnel_text"].split())
        assert code in text
        text = text.replace(code, "")
    assert "«Inbound lead»" in text and "«New business»" in text
    assert not re.search(r"[“”]", text)


def test_a_name_that_holds_guillemets_keeps_them(export: Path, tmp_path: Path) -> None:
    """The marks are the template's: a stage the client called «Trial», guillemets and
    all, is quoted around them."""
    history = tmp_path / "history.csv"
    history.write_text(export.read_text("utf-8").replace(",Trial,", ",«Trial»,"), "utf-8")
    funnel = tmp_path / "cloudly.funnel"
    funnel.write_text(FUNNEL.read_text("utf-8").replace('"Trial"', '"«Trial»"'), "utf-8")
    text = _run("history", history, "--funnel", funnel)
    assert "“Demo” → “«Trial»”: " in text
