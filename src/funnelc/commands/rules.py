"""`funnelc rules` (the list of lint rules) and `funnelc rule CODE` (one rule's docs)."""

from __future__ import annotations

from typing import Any

import click

from .convention import deliver, output_option, to_json, verbosity_options
from .sim_options import stack


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True,
              help="What to print: text (a table), json (schema rules.schema.json) or "
                   "markdown (docs/rules.md). Goes to stdout, or to -o/--output PATH.")
@output_option()
@stack(verbosity_options())
def rules_command(fmt: str, output_path: str | None) -> None:
    """List the lint rules: code, name, kind, default severity, what each flags."""
    from ..lint.docs import rules_markdown
    from ..lint.rules import RULES

    if fmt == "markdown":
        deliver(output_path, rules_markdown())
        return
    if fmt == "json":
        deliver(output_path, to_json([_rule_json(r) for r in RULES]))
        return
    width = max(len(r.name) for r in RULES)
    deliver(output_path, "".join(f"{r.code}  {r.name.ljust(width)}  {r.kind:<10}  "
                                 f"{r.default_severity.value:<7}  {r.title}\n" for r in RULES))


def _rule_json(r: Any) -> dict[str, Any]:
    """One rule as data: the items of `rules --format json`, and `rule --format json`."""
    return {"code": r.code, "name": r.name, "kind": r.kind,
            "severity": r.default_severity.value, "title": r.title,
            "options": dict(r.options)}


@click.command("rule")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True,
              help="What to print: text (the rule's documentation), json (its code, name, "
                   "kind, severity, title and options; schema rule.schema.json) or markdown "
                   "(its section of docs/rules.md). Goes to stdout, or to -o/--output PATH.")
@output_option()
@stack(verbosity_options())
def rule_command(code: str, fmt: str, output_path: str | None) -> None:
    """Show the documentation of the lint rule CODE (a code like FN103 or a name like
    graveyard-stage): what it flags, why, a bad and a good example, its seed, options."""
    from ..diagnostics import did_you_mean
    from ..lint.docs import rule_text
    from ..lint.rules import BY_CODE, BY_NAME, find_rule

    rule = find_rule(code)
    if rule is None:
        guess = did_you_mean(code, list(BY_CODE) + list(BY_NAME))
        hint = f" (did you mean `{guess}`?)" if guess else ""
        raise click.BadParameter(f"no lint rule `{code}`{hint}; see `funnelc rules`",
                                 param_hint="CODE")
    if fmt == "json":
        deliver(output_path, to_json(_rule_json(rule)))
    elif fmt == "markdown":
        from ..lint.docs import rule_markdown

        deliver(output_path, rule_markdown(rule))
    else:
        deliver(output_path, rule_text(rule))
