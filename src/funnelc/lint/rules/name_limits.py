"""FN119: names and hints longer than the CRMs hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import Name
from ..base import Finding, LintContext, Rule


class NameTooLong(Rule):
    """Flags stage, pipeline and field names, and stage hints, longer than the limits
    set in the options. The defaults are the tightest documented limits of the CRMs
    funnelc exports to: a Salesforce opportunity stage is a 40-character picklist value,
    a Salesforce sales process name holds 80 characters, a custom field label 40, and an
    amoCRM stage description (the hint) 1000.

    Why
    ---
    A name over the limit is cut or rejected on import, so the CRM shows something other
    than the file (or two stages end up with one name). Long names are also unreadable
    as kanban column headers. amoCRM documents no name limits, but its exporter refuses a
    hint over 1000 characters (FN304); this rule says so already at `check`. Adjust the
    options to the CRM the account lives in. A stage with an `alias salesforce "…"` is
    shown in Salesforce by its alias, so the alias is what must fit there.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Клиент получил коммерческое предложение и изучает его"
        pipeline "Продажи" sales {
          stage "Клиент получил коммерческое предложение и изучает его" {
            -> won
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."КП получено"
        pipeline "Продажи" sales {
          stage "КП получено" {
            hint "Клиент изучает коммерческое предложение: договоритесь о звонке"
            -> won
          }
        }

    Seed
    ----
    The CRM formats research (Salesforce `OpportunityStage` and `BusinessProcess`, amoCRM
    status `descriptions`): funnels are written once and exported to several CRMs.

    Options
    -------
    max-stage: longest stage name.
    max-pipeline: longest pipeline name.
    max-field: longest field name.
    max-hint: longest stage hint.
    """

    code = "FN119"
    title = "a name longer than the CRMs hold"
    name = "name-too-long"
    kind = "style"
    default_severity = Severity.note
    options = {"max-stage": 40, "max-pipeline": 80, "max-field": 40, "max-hint": 1000}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        def over(what: str, name: Name, option: str) -> Iterator[Finding]:
            limit = int(opts[option])
            n = len(name.value)
            if n > limit:
                shown = name.value if n <= 60 else name.value[:57] + "…"
                # A client whose account lives in amoCRM or Bitrix24 has this very name
                # there: say whose limit the default is, and how to keep the name.
                whose = ((f"{limit} characters is the most a Salesforce {_SALESFORCE[option]} "
                          f"holds; amoCRM and Bitrix24 take longer names",)
                         if limit == self.options[option] else ())
                keep = (f"; to keep it, set `{option}` to the limit of the CRM the account "
                        "lives in" if whose and what in ("field name", "pipeline name")
                        else "")
                yield Finding(f"{what} `{shown}` is {n} characters long, more than {limit}",
                              name.span, f"{n - limit} characters over", notes=whose,
                              help=("shorten it (details belong in the stage's `hint`), or "
                                    'keep it and give it `alias salesforce "…"`'
                                    if what == "stage name" else "shorten it" + keep))

        for fld in ctx.funnel.fields:
            yield from over("field name", fld.name, "max-field")
        for pipe in ctx.funnel.pipelines:
            yield from over("pipeline name", pipe.name, "max-pipeline")
            for stage in pipe.stages:
                if stage.alias is not None:
                    # The CRM shows the alias (`alias salesforce "…"`): that is what must fit.
                    yield from over(f"{stage.alias.crm} alias", stage.alias.name, "max-stage")
                else:
                    yield from over("stage name", stage.name, "max-stage")
                if stage.hint is not None:
                    limit = int(opts["max-hint"])
                    n = len(stage.hint.value)
                    if n > limit:
                        yield Finding(f"hint of stage `{stage.name.value}` is {n} characters "
                                      f"long, more than {limit}", stage.hint.span,
                                      f"{n - limit} characters over",
                                      help="keep the hint to what to do and how to sell the "
                                           "next stage; the playbook can say more")


_SALESFORCE = {"max-stage": "opportunity stage", "max-pipeline": "sales process name",
               "max-field": "custom field label"}
"""What each default limit is in Salesforce, the tightest CRM funnelc exports to."""
