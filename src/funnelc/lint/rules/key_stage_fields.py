"""FN105: a key stage that lets deals in without the information it depends on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ..base import Finding, LintContext, Rule, iter_stages


class KeyStageWithoutRequiredFields(Rule):
    """Flags a `key` stage with no `requires`: deals reach the most important step of
    the funnel without the fields that step needs.

    Why
    ---
    Key stages are where the sale is decided and where analytics look first; if a deal
    can get there with an empty budget or no chosen product, managers work blind and the
    reports cannot segment. `requires` makes the CRM refuse the move until the fields are
    filled.

    Bad
    ---
        field "Бюджет" money
        source "Сайт" 5/day -> "Продажи"."Встреча проведена"
        pipeline "Продажи" sales {
          stage "Встреча проведена" key {
            -> won 40%
            -> lost "Дорого" 60%
          }
        }

    Good
    ----
        field "Бюджет" money
        source "Сайт" 5/day -> "Продажи"."Встреча проведена"
        pipeline "Продажи" sales {
          stage "Встреча проведена" key {
            requires "Бюджет"
            -> won 40%
            -> lost "Дорого" 60%
          }
        }

    Seed
    ----
    002, mistake 4: «Нет необходимых для заполнения полей для этапа... Менеджер не может
    работать со сделкой пока не внесет всю необходимую информацию.»
    """

    code = "FN105"
    title = "a key stage that requires no fields"
    name = "key-stage-without-required-fields"
    kind = "suggestion"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for _, _, stage in iter_stages(ctx.funnel):
            if stage.key and not stage.requires:
                yield Finding(f"key stage `{stage.name.value}` requires no fields",
                              stage.name.span, "deals can reach it with an empty card",
                              help=f"list what this stage needs: `requires {_example(ctx)}`")


def _example(ctx: LintContext) -> str:
    """The fields to name in the fix: the account's own deal fields where it declares
    some, else a budget in the account's language (an English account read «Бюджет»)."""
    names = [f.name.value for f in ctx.funnel.fields if f.entity.value == "deal"][:2]
    if not names:
        account = ctx.funnel.account
        english = account is None or account.language in (None, "en")
        names = ["Budget" if english else "Бюджет"]
    return ", ".join(f'"{n}"' for n in names) + ', "…"'
