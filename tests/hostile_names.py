"""An account whose every name is a payload aimed at whoever opens funnelc's outputs:
spreadsheet formulas (CSV injection), HTML, DOT and Mermaid syntax, template braces,
backticks. The funnel language takes each of them as a quoted name; the output tests
(tests/test_csv_injection.py, tests/test_output_escaping.py) prove none of them gets
out live."""

from __future__ import annotations

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd", "-2+3+cmd|'x'!A0", "@SUM(1+1)"]
"""The OWASP CSV-injection examples: each would run in a spreadsheet if written as is."""

MARKUP = ["<script>alert(1)</script>", '"]; evil [label="', "-->|x|", "{{", "`rm -rf /`",
          "<img src=x onerror=alert(2)>", "C:\\evil\\N \\G"]
"""HTML, DOT (a quote closing the label, `\\N` and `\\G` escapes), Mermaid (an edge, a
Markdown string), template braces."""

STAGES = FORMULAS + MARKUP + ["'=already quoted", "'93 plain quote"]
"""One stage per payload, chained in this order; the last two check that a name starting
with `'` survives the CSV round trip exactly (quoted once more, or not at all)."""

PIPELINE = "-pipe <script>alert(3)</script>"
TEAM = '@team <b onmouseover="alert(4)">'
SOURCE = "+source <i>`x`</i>"
FIELD = '=field "]; x [shape=box'
ACCOUNT = '=acc <script>alert(5)</script>'


def reason(stage: str) -> str:
    """The loss reason of a stage: a formula-looking text around the stage's payload."""
    return f"=lost {stage}"


def q(name: str) -> str:
    """A name as a quoted text of the funnel language (only `"` and `\\` are escaped)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hostile_funnel() -> str:
    """The account text: one pipeline, one team, one field, one source, one stage per
    payload, each stage losing 30 % with its own reason and passing 70 % on."""
    lines = [f"account {q(ACCOUNT)} {{\n  currency RUB\n}}", f"team {q(TEAM)} size 3",
             f"field {q(FIELD)} text",
             f"source {q(SOURCE)} 20/day -> {q(PIPELINE)}.{q(STAGES[0])}",
             f"pipeline {q(PIPELINE)} main {{"]
    for i, stage in enumerate(STAGES):
        onward = f"-> {q(STAGES[i + 1])} 70%" if i + 1 < len(STAGES) else "-> won 70%"
        lines.append(f"  stage {q(stage)} {{\n    owner {q(TEAM)}\n    work 5m\n"
                     f"    requires {q(FIELD)}\n    {onward}\n"
                     f"    -> lost {q(reason(stage))} 30%\n  }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


ALL_NAMES = [ACCOUNT, PIPELINE, TEAM, SOURCE, FIELD, *STAGES, *(reason(s) for s in STAGES)]


LINK = "[link=http://evil.example]click[/link]"
"""rich markup: read as markup, a stage name would print as `click` over a hidden
terminal hyperlink (OSC 8)."""

TEAM_LINK = "[link=http://evil.example]team[/link]"
SCENARIO_LINK = "[link=http://evil.example]more[/link]"
CLOSER = "[/]"
"""A closing tag with nothing to close: rich raises `MarkupError` mid-table."""

COLOURED = "[bold red]x[/]"
RICH_PIPELINE = "[red]P[/red]"
RICH_SOURCE = "[bold red]src[/]"
RICH_REASON = "[link=http://evil.example]why[/link]"


def rich_markup_funnel() -> str:
    """An account whose every name is rich markup: two stages, a team, a source, loss
    reasons and a scenario (for whatif)."""
    return f"""account "A" {{
  currency RUB
}}

team {q(TEAM_LINK)} size 3

source {q(RICH_SOURCE)} 20/day -> {q(RICH_PIPELINE)}.{q(LINK)}

pipeline {q(RICH_PIPELINE)} main sales {{
  stage {q(LINK)} {{
    owner {q(TEAM_LINK)}
    work 30m
    respond 1h
    -> {q(CLOSER)} 80% after exp(4h)
    -> lost {q(RICH_REASON)} 20%
  }}
  stage {q(CLOSER)} {{
    -> won 50% after exp(1d)
    -> lost {q(COLOURED)} 50%
  }}
}}

scenario {q(SCENARIO_LINK)} {{
  team {q(TEAM_LINK)} size 4
}}
"""
