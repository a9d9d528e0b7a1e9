"""Run the enabled lint rules over a loaded file: findings → diagnostics with the
configured severity, minus the suppressed ones, plus FN100 for suppressions that hid
nothing. Lint runs only on a file without errors: rules read a model the semantic
checks have vouched for (every reference resolves, shares add up)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostic, Severity
from ..model import FunnelFile
from .base import LintContext, Rule
from .config import LintConfig
from .noqa import Matcher, Suppression, parse_suppressions
from .rules import BY_CODE, RULES

__all__ = ["LintReport", "lint", "lint_report", "lint_model", "run_rules", "finish"]

UNUSED = BY_CODE["FN100"]


@dataclass
class LintReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """What to show, sorted by position."""
    suppressed: list[tuple[Diagnostic, Suppression]] = field(default_factory=list)
    """Findings hidden by a `noqa`, with the comment (SARIF lists them as suppressed)."""


def lint_model(funnel: FunnelFile, comments: Iterable[Any] = (),
               config: LintConfig | None = None, path: str | None = None) -> LintReport:
    """Lint a model whose file has no errors; `comments` are the parser's comment tokens."""
    config = config or LintConfig()
    path = path if path is not None else funnel.path
    return finish(funnel, comments, config, path,
                  run_rules(LintContext(funnel), config, path, RULES))


def run_rules(ctx: LintContext, config: LintConfig, path: str,
              rules: Iterable[Rule]) -> dict[str, list[Diagnostic]]:
    """What each enabled rule of `rules` finds, by code, before suppressions: one half
    of `lint_model`, so that the rules can run in two processes (`lint.background`)."""
    found: dict[str, list[Diagnostic]] = {}
    for rule in rules:
        if rule is UNUSED or not config.enabled(rule):
            continue
        opts = config.options_for(rule)
        # Built inline with the rule's severity read once: a rule may find 20 000 things.
        code, severity, name = rule.code, config.severity_of(rule), rule.name
        found[code] = list(Diagnostic.many(
            code, severity, path, name,
            ((f.message, f.span, f.label, f.secondary, f.notes, f.help)
             for f in rule.check(ctx, opts))))
    return found


def finish(funnel: FunnelFile, comments: Iterable[Any], config: LintConfig, path: str,
           found_by_code: Mapping[str, list[Diagnostic]]) -> LintReport:
    """The other half of `lint_model`: the findings of every rule (taken in `RULES`
    order, whichever process found them), minus the suppressed ones, plus FN100 for
    suppressions that hid nothing, sorted by position."""
    found = [d for rule in RULES for d in found_by_code.get(rule.code, ())]
    suppressions = parse_suppressions(comments)
    matcher = Matcher(suppressions, funnel)
    report = LintReport()
    for d in found:
        sup = matcher.suppressed(d)
        if sup is None:
            report.diagnostics.append(d)
        else:
            report.suppressed.append((d, sup))

    if config.enabled(UNUSED):
        for d in _unused(suppressions, config, path):
            sup = matcher.suppressed(d, blanket=False)
            if sup is None:
                report.diagnostics.append(d)
            else:
                report.suppressed.append((d, sup))
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report


def _unused(suppressions: list[Suppression], config: LintConfig,
            path: str) -> Iterable[Diagnostic]:
    def diag(message: str, span: Any, label: str, help: str) -> Diagnostic:
        return Diagnostic(UNUSED.code, config.severity_of(UNUSED), message, path, span, label,
                          help=help, name=UNUSED.name)

    for sup in suppressions:
        if sup.blanket:
            if not sup.used:
                yield diag("this `noqa` suppresses nothing", sup.span,
                           "no lint finding here", "remove the comment")
            continue
        for c in sup.codes:
            if c.code == UNUSED.code:
                continue  # suppressing FN100 itself: never reported, or it would loop
            if c.code is None:
                if c.text.upper().startswith("FN") and c.text[2:3] in ("0", "2", "3"):
                    yield diag(f"`{c.text}` is an error, and errors cannot be suppressed",
                               c.span, "not a lint rule", "fix the error instead")
                else:
                    yield diag(f"`{c.text}` is not a lint rule", c.span, "unknown code",
                               "see `funnelc rules` for the codes")
                continue
            rule = BY_CODE[c.code]
            if c.used or not config.enabled(rule):
                continue
            yield diag(f"unused suppression of `{c.text}`", c.span,
                       f"no `{rule.name}` finding here",
                       "remove it (the problem it excused is gone)")


def lint_report(loaded: Any, config: LintConfig | None = None) -> LintReport:
    """Lint a `Loaded` file; nothing when it did not load or has errors."""
    if loaded.model is None or any(d.severity is Severity.error for d in loaded.diagnostics):
        return LintReport()
    from ..gcpause import gc_paused

    with gc_paused():
        return lint_model(loaded.model, loaded.comments, config, loaded.path)


def lint(loaded: Any, config: LintConfig | None = None) -> list[Diagnostic]:
    """The lint findings to show for a `Loaded` file (see `lint_report`)."""
    return lint_report(loaded, config).diagnostics
