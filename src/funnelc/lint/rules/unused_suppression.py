"""FN100: a `# funnelc: noqa` comment that suppresses nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ..base import Finding, LintContext, Rule


class UnusedSuppression(Rule):
    """Flags a `# funnelc: noqa` comment, or a code in one, that suppressed no finding
    in this run, and codes that name no lint rule. The runner reports these after
    matching suppressions (see `funnelc.lint.noqa`); codes of rules disabled by the
    configuration are not reported.

    Why
    ---
    A suppression outlives the problem it excused: when the stage is fixed the comment
    stays and will silently hide the next, different finding on that stage. A mistyped
    code (`FN011` for `FN101`) suppresses nothing while looking as if it did. Errors
    (FN0xx, FN2xx) cannot be suppressed at all.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Новый лид"
        pipeline "Продажи" sales {
          stage "Новый лид" {  # funnelc: noqa FN102 — old SLA exception
            sla 1d -> lost "Нет ответа"
            -> won
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новый лид"
        pipeline "Продажи" sales {
          stage "Новый лид" {
            sla 1d -> lost "Нет ответа"
            -> won
          }
        }

    Seed
    ----
    None: this is about the linter's own comments (ruff's RUF100 does the same). Every
    suppression in `pipelines/` carries a reason after a dash.
    """

    code = "FN100"
    title = "a `noqa` comment that suppresses nothing"
    name = "unused-suppression"
    kind = "style"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        return iter(())  # produced by the runner, which alone knows what was suppressed
