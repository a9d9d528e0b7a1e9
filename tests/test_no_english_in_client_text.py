"""Russian and Ukrainian clients read only their language: no English word is left in
the client text of a ru or uk account. English crept in where a sentence was built in
English and only its prefix translated (`fit` once printed «попередження: the history
holds no events»), where a command printed the importer's notes as they are stored
(`audit`: «note: Bitrix24 history: loss reasons read from …» under a Russian audit), where
a «wrote …» or «plot: …» line was an f-string (`forecast -o`, `whatif -o … --plot`), or
where the back-test named a way out as the funnel writes it («lost "Дорого"», «won») while
`fit` says «отказ «Дорого»».

This test runs each client-facing command once per language, on the planted-story
exports (`history` with its page and plots, `audit -o`, `fit` with the fitted funnel's
comments, `fit --backtest` with its page, `forecast` with forecast.txt, its chart and
`--chart`) and on the shipped funnels (`analyze -o`, `simulate -o`, `report` with
report.html and its plots, the playbook as Markdown and HTML, `whatif`, `staff` and
`sweep`, each with -o and `--plot`), and fails on any Latin word of
three letters or more that is none of what may stay (each allowance says why):

* a name from the funnel (a stage, pipeline, source, team, field or reason name is a
  quoted string of the funnel, `vk` or `yandex` sources included) or from the data, as
  the client text quotes it («Other», a Bitrix24 field's name);
* a diagnostic line (`warning:`, `error[FN…]:`, its `= help:`), English whole by the
  house rules: its prefix is English too, so a translated prefix is a sentence and is
  checked (a note, «примечание:», is client text);
* what a program or the user writes: paths and file names, options with their value as
  typed, URLs, words in backticks or <code> (a funnel keyword the text names, a command),
  identifiers with a digit or an underscore (FN113, UF_CRM_1701234567, utm_source), the
  scripts, styles, attributes and metadata of HTML and SVG;
* the short allow-list `KEPT` below.
The Mermaid diagram and the JSON are for programs and are not read here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from history_family import EXPORTS, history_family, readable
from test_no_iso_dates_in_client_text import page_text

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}

HISTORY_RUNS = [("furniture_uk", "uk"), ("amocrm_school", "ru")]
"""One run of the history family per language: the school's (amoCRM, its notes on
sources, Moscow time, the back-test) in Russian, the furniture maker's (Bitrix24:
loss-reason notes, reopened losses) in Ukrainian. The clinic's export (Bitrix24 too) found
nothing more and would take the file past its time. The furniture maker's first: the
language sweep of ISO dates asks for the school's first (both runs are shared,
`history_family`), so two workers running both files do not wait for each other."""

FUNNELS = {"developer": "uk", "saleschef": "ru", "cottages": "ru"}
"""Shipped funnels by the language they declare (checked in the test): the developer's
is Ukrainian, the furniture maker's and the cottages' Russian (the cottages' team is
overloaded, so `simulate` prints its warning)."""

STAFF_TARGET = "respond 15m 80%"
SWEEP_VARY = 'team "Кол-центр" size 2..3'

KEPT = {
    # Units, codes and abbreviations the house keeps in every language.
    "SLA", "KPI", "CRM", "AIC", "KS", "MLE", "UTC", "ID",
    # Currency codes, as the money columns write them (RUB, UAH: the accounts' own).
    "RUB", "UAH", "EUR", "USD",
    # Products and formats named as their makers spell them.
    "amoCRM", "Bitrix", "Telegram", "WhatsApp", "SMS", "HTML", "JSON", "CSV", "SVG",
    "PNG", "Erlang",
    # The program's name, as a report signs its page («Отчёт funnelc», «funnelc 0.1.0»).
    "funnelc",
    # The distribution families of `after` and `work`, as the fit proposes and the fitted
    # funnel writes them (`after lognormal(2d, 1d)`): the words the client will read in
    # the funnel, named beside their figures in the fit's tables.
    "exp", "gamma", "lognormal", "fixed", "empirical", "uniform", "triangular",
}

DIAGNOSTIC = re.compile(r"^\s*(?:(?:error|warning)(?:\[[\w-]+\])?:|= help:|-->)")
"""A diagnostic line (house style, `funnelc.diagnostics`): English whole. A note is not
one: `history`, `fit` and `forecast` say their notes («примечание: …») to the client."""

MACHINE = re.compile(
    r"`[^`]*`"  # code: a keyword the text names, a command
    r"|--[a-z][a-z-]*(?:[ =](?:'[^']*'|\"[^\"]*\"|\S+))?"  # an option with its value
    r"|https?://\S+"
    r"|\S*[/\\]\S*"  # a path
    r"|\S+\.(?:html|json|csv|png|svg|txt|funnel|md|jsonl)\b"  # a file name
    r"|\b\w*[\d_]\w*\b"  # an identifier or code with a digit or an underscore
    # A line of a funnel patch in a terminal table (`history`, `audit`: the stages to
    # paste into the funnel, in its syntax): HTML shows it in <pre>.
    r"|\b(?:pipeline|stage) \"[^\"]*\" \{|->(?: lost)? \"[^\"]*\" [\d.]+%|\bstay [\d.]+%"
    r"|\bsla \d+[a-z]+ ->(?: lost)? \"[^\"]*\""
    r"|\bthen copy \"[^\"]*\"\.\"[^\"]*\"|\bon enter task \"[^\"]*\""
    # The linter's directive in a funnel comment, as the linter reads it.
    r"|\bfunnelc: noqa\b"
    # A row's place in an amoCRM export, after its file (`leads.jsonl page 4 lead 183`),
    # as the diagnostics name it (kept whole in a table's cell, its spaces unbreakable),
    # with the file name before it: a table cell folds a long path, so the name's tail
    # («jsonl» of «…/leads.» + «jsonl») may begin the next line. The export's path length
    # follows the temporary folder's: under `pytest -n 0` it was folded so.
    r"|\S*[ \u00a0]page[ \u00a0]\d+[ \u00a0](?:lead|event|deal)\b")
"""What stays as a program or the user writes it (see the module's docstring)."""

WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")


def names_of(*funnels: Path) -> set[str]:
    """The Latin words of the funnels' quoted strings: names the client gave."""
    words: set[str] = set()
    for f in funnels:
        for s in re.findall(r'"((?:[^"\\]|\\.)*)"', f.read_text("utf-8")):
            words.update(w.lower() for w in WORD.findall(s))
    return words


def english_left(outputs: dict[str, str], names: set[str],
                 typed: tuple[str, ...] = ()) -> list[str]:
    """Every line of client text with a Latin word nobody allowed, named by its output."""
    found = []
    for where, text in outputs.items():
        # Code and quoted names out first over the whole text (a table wraps them), each
        # character but the line ends blanked, so the lines still match the text's.
        bare = re.sub(r"`[^`]*`|«[^«»]*»", lambda m: re.sub(r"[^\n]", " ", m.group()), text)
        for line, rest in zip(text.splitlines(), bare.splitlines()):
            if DIAGNOSTIC.match(line):
                continue
            for t in typed:
                rest = rest.replace(t, " ")
            words = [w for w in WORD.findall(MACHINE.sub(" ", rest))
                     if len(w) >= 3 and w not in KEPT and w.lower() not in names]
            if words:
                found.append(f"{where}: {words}: {' '.join(line.split())[:200]}")
    return found


def page(markup: str) -> str:
    """`page_text` with <code> and <pre> kept as code (backticks), as a terminal prints
    code."""
    return page_text(re.sub(r"<(code|pre)\b[^>]*>(.*?)</\1>", r"<span>`\2`</span>", markup,
                            flags=re.S))


def _run(*args: object, ok: tuple[int, ...] = (0,)) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    assert result.exit_code in ok, result.output
    return result.stdout + "\n" + result.stderr


@pytest.fixture(scope="module", params=HISTORY_RUNS, ids=lambda p: f"{p[0]}-{p[1]}")
def history_outputs(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], set[str]]:
    """One run of each history command in one language on one export (`history_family`,
    shared with tests/test_no_iso_dates_in_client_text.py): its terminal text and every
    file a client reads, by name; and the names the funnels hold."""
    name, lang = request.param
    got, fitted = history_family(tmp_path_factory, name, lang)
    return readable(got, page), names_of(EXPORTS[name][1], fitted)


@pytest.fixture(scope="module", params=list(FUNNELS), ids=str)
def funnel_outputs(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], set[str]]:
    """One run of each funnel command on one shipped funnel, in its own language."""
    funnel = PIPELINES / f"{request.param}.funnel"
    assert f"language {FUNNELS[request.param]}" in funnel.read_text("utf-8")
    out = tmp_path_factory.mktemp(request.param)
    sim = ("--reps", "2", "--days", "120", "--warmup", "10")
    got = {"analyze": _run("analyze", funnel, "-o", out / "analyze.txt"),
           "analyze.txt": (out / "analyze.txt").read_text("utf-8"),
           "simulate": _run("simulate", funnel, *sim, "-o", out / "simulate.txt"),
           "simulate.txt": (out / "simulate.txt").read_text("utf-8"),
           "report": _run("report", funnel, *sim, "-o", out / "report")}
    got["report.html"] = page((out / "report" / "report.html").read_text("utf-8"))
    for svg in sorted((out / "report").glob("*.svg")):
        got[f"report/{svg.name}"] = page(svg.read_text("utf-8"))
    got["playbook-md"] = _run("export", funnel, "--to", "playbook-md")
    _run("export", funnel, "--to", "playbook-html", "-o", out / "playbook.html")
    got["playbook.html"] = page((out / "playbook.html").read_text("utf-8"))
    got["whatif"] = _run("whatif", funnel, *sim, "--plot", out / "whatif",
                         "-o", out / "whatif.txt")
    got["whatif.txt"] = (out / "whatif.txt").read_text("utf-8")
    got["whatif.svg"] = page((out / "whatif.svg").read_text("utf-8"))
    if request.param == "developer":
        got["staff"] = _run("staff", funnel, "--team", "Кол-центр", "--target", STAFF_TARGET,
                            "--days", "120", "--plot", out / "staff", "-o", out / "staff.txt")
        got["staff.txt"] = (out / "staff.txt").read_text("utf-8")
        got["staff.svg"] = page((out / "staff.svg").read_text("utf-8"))
        got["sweep"] = _run("sweep", funnel, "--vary", SWEEP_VARY, "--metric", "conversion",
                            *sim, "--plot", out / "sweep", "-o", out / "sweep.txt")
        got["sweep.txt"] = (out / "sweep.txt").read_text("utf-8")
        got["sweep.svg"] = page((out / "sweep.svg").read_text("utf-8"))
    return got, names_of(funnel)


def _read(outputs: dict[str, str]) -> None:
    # Every output was read (an empty one would pass without saying anything).
    assert all(text.strip() for text in outputs.values()), [k for k, v in outputs.items()
                                                            if not v.strip()]


def test_history_family_says_no_english(
        history_outputs: tuple[dict[str, str], set[str]]) -> None:
    outputs, names = history_outputs
    _read(outputs)
    assert "audit" in outputs and "audit.txt" in outputs and "forecast.svg" in outputs
    assert "chart.svg" in outputs
    assert english_left(outputs, names) == []


def test_funnel_commands_say_no_english(
        funnel_outputs: tuple[dict[str, str], set[str]]) -> None:
    outputs, names = funnel_outputs
    _read(outputs)
    assert english_left(outputs, names, (STAFF_TARGET, SWEEP_VARY)) == []


def test_the_allowances_take_out_only_what_they_name() -> None:
    names = {"vk"}
    # What stays: a name, a code, a path, a diagnostic, a keyword in backticks.
    assert english_left({"a": "источник «vk»: 37 сделок; FN113; utm_source; SLA 2 ч"},
                        names) == []
    assert english_left({"a": "записаны /tmp/out/forecast.txt, forecast.json"}, names) == []
    assert english_left({"a": "warning[unstable-team]: the team is overloaded"}, names) == []
    assert english_left({"a": "без `value` ничего не добавляют"}, names) == []
    assert english_left({"a": page("<p>тот же список, что выдаёт <code>funnelc audit</code>"
                                   "</p>")}, names) == []
    # What is found: an English sentence under any prefix, an English word in a Russian one.
    assert english_left({"a": "note: Bitrix24 history: loss reasons read"}, names) != []
    assert english_left({"a": "примечание: Bitrix24 history: loss reasons read"},
                        names) != []
    assert english_left({"a": "попередження: the history holds no events"}, names) != []
    assert english_left({"a": "wrote /tmp/out/forecast.txt"}, names) != []
    # A row's place after its file, the file's name folded by the table («…/leads.» on
    # the line above); a word before another kind of place is still a word.
    assert english_left({"a": "│ │ │ │ jsonl page 4 lead 183 │"}, names) == []
    assert english_left({"a": "│ lost on page 4 │"}, names) != []
    assert english_left({"a": "Прогрев.Рассылка: won: задержка по 3 сделкам"}, names) != []
