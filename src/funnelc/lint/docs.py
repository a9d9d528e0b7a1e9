"""Rule documentation generated from the rules' docstrings: `docs/rules.md`, the text of
`funnelc rule CODE`, and SARIF help. One source, so the docs cannot drift from the code
(a test fails when `docs/rules.md` is stale).

Regenerate: `python -m funnelc.lint.docs` (writes docs/rules.md next to the package's
repository root, or the path given).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from .base import Rule
from .rules import RULES

__all__ = ["rule_markdown", "rule_text", "rules_markdown", "DEFAULT_PATH"]

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "docs" / "rules.md"

_INTRO = """\
# Lint rules

<!-- Generated from the rule docstrings by `python -m funnelc.lint.docs`; do not edit. -->

`funnelc check` runs these rules after the syntax and semantic checks, on files without
errors. Each rule has a code, a kebab-case name (both work in `--select`, `--ignore`,
`severity` and `noqa`), a kind (problem, suggestion or style, as in ESLint) and a
default severity: **warning** makes `check` exit 1, **note** does not. Rules that are
opinionated or read names heuristically default to note (rustc's criterion).

Configure them in `[tool.funnelc.lint]` of `pyproject.toml` or `[lint]` of
`funnelc.toml`, found upward from the checked file:

```toml
[tool.funnelc.lint]
select = ["ALL"]                  # codes, prefixes (FN1), rule names, or ALL
ignore = ["stage-without-hint"]
severity = { FN109 = "warning" }  # error, warning or note

[tool.funnelc.lint.card-overload]
max-fields = 30
```

Suppress a finding with a comment on its line, or on a stage's header line for the whole
stage, and say why after a dash:

```text
stage "Бронь" {  # funnelc: noqa FN114 — hotel: the booking is the deal
```

Unused suppressions are reported as FN100.
"""


def _options_table(rule: Rule) -> list[str]:
    if not rule.options:
        return []
    docs = rule.docs().options
    lines = ["**Options**", "", "| option | default | meaning |", "|---|---|---|"]
    for name, default in rule.options.items():
        shown = _toml(default)
        lines.append(f"| `{name}` | `{shown}` | {docs.get(name, '')} |")
    return lines + [""]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def rule_markdown(rule: Rule, heading: str = "##") -> str:
    """One rule's documentation in Markdown."""
    d = rule.docs()
    lines = [f"{heading} {rule.code} {rule.name}", "",
             f"*{rule.title}* — kind: {rule.kind}, default severity: "
             f"{rule.default_severity.value}", "", f"**What.** {d.what}", "",
             f"**Why.** {d.why}", "", "**Bad**", "", "```funnel", d.bad, "```", "",
             "**Good**", "", "```funnel", d.good, "```", "", f"**Seed.** {d.seed}", ""]
    lines += _options_table(rule)
    return "\n".join(lines)


def rules_markdown() -> str:
    """The whole of docs/rules.md."""
    index = ["| code | name | kind | severity | flags |", "|---|---|---|---|---|"]
    for r in RULES:
        anchor = f"{r.code.lower()}-{r.name}"
        index.append(f"| [{r.code}](#{anchor}) | `{r.name}` | {r.kind} | "
                     f"{r.default_severity.value} | {r.title} |")
    body = [rule_markdown(r) for r in RULES]
    return _INTRO + "\n" + "\n".join(index) + "\n\n" + "\n".join(body)


def rule_text(rule: Rule) -> str:
    """One rule's documentation for the terminal (`funnelc rule CODE`)."""
    d = rule.docs()

    def block(code: str) -> str:
        return "\n".join("    " + ln if ln else "" for ln in code.splitlines())

    def para(text: str) -> str:
        return textwrap.fill(text, 88, initial_indent="  ", subsequent_indent="  ")

    lines = [f"{rule.code} {rule.name} ({rule.kind}, default {rule.default_severity.value})",
             "", rule.title, "", "What", para(d.what), "", "Why", para(d.why), "",
             "Bad", block(d.bad), "", "Good", block(d.good), "", "Seed", para(d.seed)]
    if rule.options:
        lines += ["", "Options"]
        for name, default in rule.options.items():
            lines.append(f"  {name} = {_toml(default)}  {d.options.get(name, '')}".rstrip())
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        # `--help` is not a file name: writing the page to "./--help" helps no one
        print("usage: python -m funnelc.lint.docs [PATH]   (default: docs/rules.md)",
              file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else 2
    target = Path(args[0]) if args else DEFAULT_PATH
    from ..atomic import write_atomic

    write_atomic(str(target), rules_markdown())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
