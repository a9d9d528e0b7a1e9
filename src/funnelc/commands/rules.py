"""`funnelc rules` (the list of lint rules) and `funnelc rule CODE` (one rule's docs)."""

from __future__ import annotations

import click


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="A table, JSON, or the Markdown of docs/rules.md.")
def rules_command(fmt: str) -> None:
    """List the lint rules: code, name, kind, default severity, what each flags."""
    from ..lint.docs import rules_markdown
    from ..lint.rules import RULES

    if fmt == "markdown":
        click.echo(rules_markdown(), nl=False)
        return
    if fmt == "json":
        import json

        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "kind": r.kind,
             "severity": r.default_severity.value, "title": r.title,
             "options": dict(r.options)} for r in RULES], ensure_ascii=False, indent=2))
        return
    width = max(len(r.name) for r in RULES)
    for r in RULES:
        click.echo(f"{r.code}  {r.name.ljust(width)}  {r.kind:<10}  "
                   f"{r.default_severity.value:<7}  {r.title}")


@click.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
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
    click.echo(rule_text(rule), nl=False)
