"""FN126: two outcomes of one stage whose `when` conditions a deal can meet both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import LostTarget, Outcome, StageTarget, Target, WonTarget
from ..base import Finding, LintContext, Rule
from ..conditions import FieldDomain, Values, admits, condition_text, field_domains, source_text

__all__ = ["OverlappingConditions", "target_text", "outcome_text"]


def target_text(target: Target) -> str:
    """`-> "Stage"`, `-> won`, `-> lost "reason"`: an outcome's target as written."""
    if isinstance(target, StageTarget):
        return f"-> {target.ref.display()}"
    if isinstance(target, WonTarget):
        return "-> won"
    assert isinstance(target, LostTarget)
    return f'-> lost "{target.reason.value}"'


def outcome_text(out: Outcome, when: str, copy: str | None = None,
                 target: str | None = None, keep_copy: bool = True) -> str:
    """The outcome as a help writes it with condition `when` (and `copy` and `target`,
    else its own; `keep_copy=False` drops its copy; an empty `when` writes none): share
    and `after` as written, so a pasted line changes nothing else."""
    share = f" {out.share.text}" if out.share is not None else ""
    after = ""
    if out.after is not None:
        d = out.after
        after = (f" after {d.args[0].text}" if d.bare and len(d.args) == 1 else
                 f" after {d.kind}(" + ", ".join(q.text for q in d.args) + ")")
    if copy is None and keep_copy and out.copy_to is not None:
        copy = out.copy_to.ref.display()
    then = f" then copy {copy}" if copy is not None else ""
    target = target if target is not None else target_text(out.target)
    cond = f" when {when}" if when else ""
    return f"{target}{share}{after}{cond}{then}"


def _is_whole(domain: FieldDomain, values: Values) -> bool:
    return (domain.all - values).empty  # type: ignore[operator]


def _fix(domain: FieldDomain, first: Outcome, second: Outcome) -> str | None:
    """`when …` for one of the two outcomes without the values they share: the later
    one first (a narrower earlier condition is usually the special case: «9–10» before
    «7–8»), else the earlier one."""
    assert first.when is not None and second.when is not None
    a, b = admits(first.when, domain), admits(second.when, domain)
    if a is None or b is None:
        return None
    for keep, narrow, out in ((a, b, second), (b, a, first)):
        rest = narrow - keep  # type: ignore[operator]
        if rest.empty:
            continue
        assert out.when is not None
        others = [t for t in out.when.terms if t.field.value != domain.field.name.value]
        cond = condition_text(domain, rest)
        if cond is None:
            continue
        return outcome_text(out, " and ".join(
            [cond, *([source_text(others)] if others else [])]))
    return None


def _exception_fix(domains: Mapping[str, FieldDomain], narrowed: list[tuple[str, Values]],
                   first: Outcome, second: Outcome) -> str | None:
    """A general rule and its exception (`"Рассрочка" = yes` beside `"Рассрочка" = yes
    and "Бюджет" < 100k`): the outcome that does not read the one other field gets the
    exception's opposite (`and "Бюджет" >= 100k`)."""
    if len(narrowed) != 1:
        return None
    name = narrowed[0][0]
    domain = domains[name]
    for general, exception in ((first, second), (second, first)):
        assert general.when is not None and exception.when is not None
        if any(t.field.value == name for t in general.when.terms):
            continue
        taken = admits(exception.when, domain)
        if taken is None:
            return None
        cond = condition_text(domain, domain.all - taken)  # type: ignore[operator]
        if cond is None:
            return None
        return outcome_text(general, f"{source_text(general.when.terms)} and {cond}")
    return None


class OverlappingConditions(Rule):
    """Flags two outcomes of one stage whose `when` conditions read the same field and
    can both hold for one deal: number ranges that meet (`>= 9` and `>= 7`), an enum
    option both admit, a text both accept. Conditions on different fields are not
    compared, and an outcome without `when` is the stage's other way (the shares decide
    how many take it), not a rival condition.

    Why
    ---
    A `when` is the instruction the manager reads in the playbook and the rule a CRM
    trigger runs. A client who answers 9 meets `>= 9` and `>= 7` both: the playbook tells
    the manager to pass the deal on and to close it, and a CRM runs whichever trigger
    comes first. Each value of the field should have one route.

    Bad
    ---
        team "Телемаркетологи" size 2
        field "Интерес (1-10)" int(1..10)
        source "База" 20/day -> "Телемаркетинг"."Получили обратную связь"
        pipeline "Телемаркетинг" telemarketing {
          stage "Получили обратную связь" {
            owner "Телемаркетологи"
            on enter task "Спросить об интересе от 1 до 10" due 1h
            requires "Интерес (1-10)"
            sla 2d -> "Договорились созвониться позднее"
            hint "9–10 — переключите на менеджера, 7–8 — закройте успешной."
            -> "Переключили на менеджера" 5% when "Интерес (1-10)" >= 9
            -> won 12% when "Интерес (1-10)" >= 7
            -> "Договорились созвониться позднее" 83% when "Интерес (1-10)" <= 6
          }
          stage "Переключили на менеджера" { -> won }
          stage "Договорились созвониться позднее" { -> lost "Нет интереса" }
        }

    Good
    ----
        team "Телемаркетологи" size 2
        field "Интерес (1-10)" int(1..10)
        source "База" 20/day -> "Телемаркетинг"."Получили обратную связь"
        pipeline "Телемаркетинг" telemarketing {
          stage "Получили обратную связь" {
            owner "Телемаркетологи"
            on enter task "Спросить об интересе от 1 до 10" due 1h
            requires "Интерес (1-10)"
            sla 2d -> "Договорились созвониться позднее"
            hint "9–10 — переключите на менеджера, 7–8 — закройте успешной."
            -> "Переключили на менеджера" 5% when "Интерес (1-10)" >= 9
            -> won 12% when "Интерес (1-10)" >= 7 and "Интерес (1-10)" <= 8
            -> "Договорились созвониться позднее" 83% when "Интерес (1-10)" <= 6
          }
          stage "Переключили на менеджера" { -> won }
          stage "Договорились созвониться позднее" { -> lost "Нет интереса" }
        }

    Seed
    ----
    002, the telemarketing funnel: «Если клиент отвечает 9-10, то можно сразу предложить
    переключить на ответственного сотрудника; если 7-8, также закрыть сделку как успешную
    и перевести в другую воронку».
    """

    code = "FN126"
    title = "two outcomes whose conditions a deal can meet both"
    name = "overlapping-conditions"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        domains: dict[str, FieldDomain] | None = None
        for pipe in ctx.funnel.pipelines:
            for stage in pipe.stages:
                conditioned = [o for o in stage.outcomes if o.when is not None]
                if len(conditioned) < 2:
                    continue
                if domains is None:
                    domains = field_domains(ctx.funnel)
                for j, second in enumerate(conditioned):
                    for first in conditioned[:j]:
                        found = self._overlap(domains, first, second)
                        if found is None:
                            continue
                        yield self._finding(stage.name.value, domains, found, first, second)

    @staticmethod
    def _overlap(domains: Mapping[str, FieldDomain], first: Outcome, second: Outcome
                 ) -> dict[str, Values] | None:
        """The values both conditions admit on every field either reads (the first
        field both read comes first), when one deal can meet both conditions whole."""
        assert first.when is not None and second.when is not None
        a_fields = dict.fromkeys(t.field.value for t in first.when.terms)
        b_fields = dict.fromkeys(t.field.value for t in second.when.terms)
        shared = [f for f in a_fields if f in b_fields]
        if not shared:
            return None
        both: dict[str, Values] = {}
        for name in {**a_fields, **b_fields}:
            domain = domains.get(name)
            if domain is None:
                return None
            a, b = admits(first.when, domain), admits(second.when, domain)
            if a is None or b is None:
                return None
            common = a & b  # type: ignore[operator]
            if common.empty:
                return None
            both[name] = common
        return {shared[0]: both[shared[0]], **both}

    @staticmethod
    def _finding(stage: str, domains: Mapping[str, FieldDomain], both: dict[str, Values],
                 first: Outcome, second: Outcome) -> Finding:
        assert first.when is not None and second.when is not None
        field, common = next(iter(both.items()))
        domain = domains[field]
        a, b = source_text(first.when.terms), source_text(second.when.terms)
        # The other fields on which the deals that meet both are only some of the values:
        # «a deal with `Рассрочка` = `yes`» is not every such deal when one condition
        # also asks for `Бюджет` < 100k.
        narrowed = [(name, values) for name, values in both.items()
                    if name != field and not _is_whole(domains[name], values)]
        if len(narrowed) == 1:
            other, values = narrowed[0]
            message = (f"outcomes of `{stage}` overlap: a deal with `{field}` "
                       f"{domain.describe(common)} and `{other}` "
                       f"{domains[other].describe(values)} meets both `{a}` and `{b}`")
        elif narrowed:
            message = (f"outcomes of `{stage}` overlap: some deals with `{field}` "
                       f"{domain.describe(common)} meet both `{a}` and `{b}`")
        elif _is_whole(domain, common):
            message = (f"outcomes of `{stage}` overlap: every deal with `{field}` filled "
                       f"meets both `{a}` and `{b}`")
        else:
            message = (f"outcomes of `{stage}` overlap: a deal with `{field}` "
                       f"{domain.describe(common)} meets both `{a}` and `{b}`")
        fix = _fix(domain, first, second) or _exception_fix(domains, narrowed, first, second)
        return Finding(
            message, second.when.span, "a deal meeting both conditions goes two ways",
            secondary=(Label(first.when.span, "overlaps this condition"),),
            notes=("the manager's playbook gives these deals two routes: "
                   f"`{target_text(first.target)}` and `{target_text(second.target)}`",),
            help=(f"narrow one of the conditions so that each value has one route: `{fix}`"
                  if fix is not None else
                  f"narrow one of the conditions so that each value of `{field}` has one route"))
