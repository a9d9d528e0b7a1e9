"""HTML, Mermaid, DOT and terminal outputs show hostile names as text (issue 11,
section 6). The account of tests/hostile_names.py (pipeline, stage, team, source, field,
loss-reason and account names that are `<script>`, `"]; evil [label="`, `-->|x|`, `{{`,
backticks, formulas) goes through `funnelc report`, `export --to playbook-html`,
`history -o`, `export --to mermaid` and `export --to dot`; each output is parsed and every
payload must come back as the text of a node, label or cell — never as markup."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import cli_ok, out, shared_text
from funnelc.cli import cli
from hostile_names import (
    ALL_NAMES,
    CLOSER,
    COLOURED,
    FORMULAS,
    LINK,
    MARKUP,
    PIPELINE,
    RICH_PIPELINE,
    RICH_REASON,
    RICH_SOURCE,
    SCENARIO_LINK,
    SOURCE,
    STAGES,
    TEAM,
    TEAM_LINK,
    hostile_funnel,
    q,
    reason,
    rich_markup_funnel,
)
from test_export_diagrams import check_dot, check_mermaid, mermaid_entities_decoded

RUN = ["--days", "30", "--warmup", "0", "--reps", "2", "--seed", "1", "--jobs", "1"]


def invoke(args: list[str]) -> str:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def hostile() -> Path:
    """The account, at the one path tests/test_csv_injection.py reads it from too: the
    report and the history of its records below are run once for both files
    (`cli_once`)."""
    return shared_text("hostile.funnel", hostile_funnel())


# ----------------------------------------------------------------------------- HTML


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text a browser would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert_html(text: str, names: list[str]) -> None:
    """No script, no event handler, no javascript: URL; each name shown as text."""
    page = _Page()
    page.feed(text)
    page.close()
    tags = {t for t, _ in page.tags}
    assert "script" not in tags and "img" not in tags and "iframe" not in tags, tags
    for tag, attrs in page.tags:
        for key, value in attrs:
            assert not key.startswith("on"), f"<{tag} {key}=…>"
            assert "javascript:" not in (value or "").lower(), f"<{tag} {key}={value!r}>"
    shown = "".join(page.text)
    for name in names:
        assert name in shown, f"{name!r} is not shown as text"
    for raw in ("<script", "<img", "<b onmouseover"):
        assert raw not in text, raw


def test_html_report_shows_every_payload_as_text(hostile: Path) -> None:
    report = cli_ok(["report", hostile, *RUN, "-o", out("report")]).path("report")
    text = (report / "report.html").read_text(encoding="utf-8")
    assert_inert_html(text, [PIPELINE, TEAM, *STAGES, *(reason(s) for s in STAGES)])
    svgs = list(report.glob("*.svg"))
    assert svgs
    for svg in svgs:  # the plots' text is drawn as paths, names in comments
        page = _Page()
        page.feed(svg.read_text(encoding="utf-8"))
        assert "script" not in {t for t, _ in page.tags}, svg.name


def test_playbook_html_shows_every_payload_as_text(hostile: Path, tmp_path: Path) -> None:
    page = tmp_path / "playbook.html"
    invoke(["export", str(hostile), "--to", "playbook-html", "-o", str(page)])
    assert_inert_html(page.read_text(encoding="utf-8"), [PIPELINE, TEAM, *STAGES])


def test_history_html_shows_every_payload_as_text(hostile: Path) -> None:
    records = cli_ok(["simulate", hostile, *RUN, "--records", out("deals.csv")]
                     ).path("deals.csv")
    history = cli_ok(["history", records, "-o", out("history")]).path("history")
    assert_inert_html((history / "history.html").read_text(encoding="utf-8"),
                      [PIPELINE, *STAGES, *(reason(s) for s in STAGES)])


# ----------------------------------------------------------------------------- Mermaid


def test_mermaid_labels_hold_every_payload_escaped(hostile: Path) -> None:
    text = invoke(["export", str(hostile), "--to", "mermaid"])
    nodes = check_mermaid(text)  # structure: blocks, nodes, edges, no raw `"` in a label
    subgraphs = re.findall(r'^\s*subgraph \w+\["([^"]*)"\]$', text, re.M)
    labels = [mermaid_entities_decoded(v) for v in [*nodes.values(), *subgraphs]]
    for stage in STAGES:
        assert stage in labels, f"no node shows {stage!r}"
    for name in [SOURCE, PIPELINE, *(reason(s) for s in STAGES)]:
        assert any(name in label for label in labels), f"{name!r} not in any label"
    assert "`" not in text, "a backtick-wrapped label is a Mermaid Markdown string"
    for raw in ("<script", "<img", "<b ", "<i>"):
        assert raw not in text, raw
    edges = re.findall(r"^\s*\w+ -->", text, re.M)
    assert len(edges) == 2 * len(STAGES) + 1  # two ways out of each stage, the source
    assert text.count("-->") == len(edges), "an arrow inside a label would draw an edge"


# ----------------------------------------------------------------------------- DOT


def test_dot_labels_hold_every_payload_as_written(hostile: Path) -> None:
    text = invoke(["export", str(hostile), "--to", "dot"])
    nodes = check_dot(text)  # tokenised: every quote inside a label is escaped
    stage_nodes = {k: v for k, v in nodes.items() if re.fullmatch(r"p\d+s\d+", k)}
    assert sorted(stage_nodes.values()) == sorted(STAGES)
    losses = {v for k, v in nodes.items() if "lost" in k}
    assert {f"lost: {reason(s)}" for s in STAGES} <= losses
    clusters = re.findall(r'^\s*label=("(?:\\.|[^"\\])*");$', text, re.M)
    assert clusters and html.unescape(clusters[0][1:-1].replace('\\"', '"')) \
        .startswith(PIPELINE)
    assert any(v.startswith(f"{SOURCE}:") for v in nodes.values())
    assert text.startswith("digraph ")
    assert "\\\\N" in text and "\\\\G" in text, "Graphviz's \\N and \\G stay literal"


# ----------------------------------------------------------------------------- terminal


def test_history_tables_show_rich_markup_in_names_as_written(tmp_path: Path) -> None:
    """A CRM's names are printed as written, not read as rich markup: no hidden
    terminal hyperlink, no colour switched on by a stage name."""
    link = "[link=http://evil.example]click[/link]"
    src = tmp_path / "h.csv"
    src.write_text("deal_id,timestamp,pipeline,stage\n"
                   f"1,2024-01-01 10:00,[red]P[/red],{link}\n"
                   "1,2024-01-02 10:00,[red]P[/red],won\n", encoding="utf-8")
    out = invoke(["history", str(src)])
    assert link in out and "[red]P[/red]" in out


SGR = re.compile(r"\x1b\[[0-9;]*m")
"""Colour and bold codes: the highlighter may colour the brackets of a name."""

OSC8 = "\x1b]8;"
"""The start of a terminal hyperlink."""

COLOUR = {"FORCE_COLOR": "1", "COLUMNS": "250", "NO_COLOR": None, "TERM": "xterm-256color"}


@pytest.fixture(scope="module")
def rich_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The rich-markup account, and 95 days of its deals as a stage history (enough for
    a back-test of 2 fit months against the rest)."""
    folder = tmp_path_factory.mktemp("rich")
    funnel = folder / "markup.funnel"
    funnel.write_text(rich_markup_funnel(), encoding="utf-8")
    records = folder / "deals.csv"
    records.write_text(invoke(["simulate", str(funnel), "--days", "95", "--warmup", "0",
                               "--reps", "1", "--seed", "1", "--jobs", "1", "--records", "-"]),
                       encoding="utf-8")
    return {"funnel": funnel, "records": records}


# (command line, payloads that must be shown as written): {funnel} and {records} are
# filled in; each payload is one a table of that command shows in one unwrapped cell.
TERMINAL_COMMANDS = {
    "simulate": (["simulate", "{funnel}", *RUN], [LINK, CLOSER, COLOURED, RICH_PIPELINE,
                                                    TEAM_LINK]),
    "analyze": (["analyze", "{funnel}"], [LINK, CLOSER, COLOURED, RICH_SOURCE, TEAM_LINK]),
    "whatif": (["whatif", "{funnel}", *RUN], [SCENARIO_LINK, TEAM_LINK, RICH_PIPELINE]),
    "sweep": (["sweep", "{funnel}", "--vary", f"team {q(TEAM_LINK)} size 2..3", *RUN],
              [TEAM_LINK, RICH_PIPELINE]),
    "staff": (["staff", "{funnel}", "--team", TEAM_LINK, "--target", "respond 1h 90%",
               *RUN], [TEAM_LINK]),
    "history": (["history", "{records}"], [LINK, CLOSER, COLOURED, RICH_PIPELINE,
                                           RICH_REASON]),
    "fit": (["fit", "{records}", "--funnel", "{funnel}"],
            [RICH_SOURCE, f'lost "{RICH_REASON}"', f'lost "{COLOURED}"']),
    "fit --backtest": (["fit", "{records}", "--funnel", "{funnel}", "--backtest", "2",
                        "--reps", "4", "--jobs", "1"], [f"conversion {LINK} → {CLOSER}",
                                                         f"backlog {LINK}"]),
}


@pytest.mark.parametrize("command", list(TERMINAL_COMMANDS))
def test_terminal_tables_show_rich_markup_in_names_as_written(
        rich_names: dict[str, Path], command: str) -> None:
    """Issue 11 follow-up: with colour forced (a terminal), a stage named
    `[link=http://evil.example]click[/link]` is printed as written — not as `click` over
    a hidden hyperlink — and `[/]` does not stop the table with a MarkupError."""
    args, payloads = TERMINAL_COMMANDS[command]
    argv = [a.format(funnel=rich_names["funnel"], records=rich_names["records"])
            for a in args]
    res = CliRunner().invoke(cli, argv, env=COLOUR)
    assert res.exit_code == 0, res.output
    assert "\x1b[" in res.output, "colour was not forced: the test would prove nothing"
    assert OSC8 not in res.output, "a name became a terminal hyperlink"
    assert "MarkupError" not in res.output and "internal failure" not in res.output
    shown = SGR.sub("", res.output)
    for payload in payloads:
        assert payload in shown, f"{payload!r} is not shown as written:\n{shown}"


def test_terminal_control_characters_in_names_are_written_out(tmp_path: Path) -> None:
    """An ESC in a CRM's stage name could start a hyperlink or move the cursor on its
    own, markup or not: it is shown as `\\u001b`, never sent to the terminal."""
    src = tmp_path / "h.csv"
    osc = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
    src.write_text("deal_id,timestamp,pipeline,stage\n"
                   f"1,2024-01-01 10:00,P,{osc}\n"
                   "1,2024-01-02 10:00,P,won\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(src)], env=COLOUR)
    assert res.exit_code == 0, res.output
    assert OSC8 not in res.output
    assert "\\u001b]8;;http://evil.example" in SGR.sub("", res.output)


def test_payload_lists_cover_the_issue() -> None:
    """The payloads the issue names are all in the account under test."""
    for payload in ['=HYPERLINK("http://x","y")', "+cmd", "-2+3+cmd|'x'!A0", "@SUM(1+1)",
                    "<script>alert(1)</script>", '"]; evil [label="', "-->|x|", "{{"]:
        assert payload in FORMULAS + MARKUP
    assert any("`" in p for p in MARKUP) and len(set(ALL_NAMES)) == len(ALL_NAMES)
