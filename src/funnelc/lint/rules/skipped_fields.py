"""FN129: a move that skips a stage and, with it, the fields that stage requires."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import CadenceRoute, FunnelFile, Node, Outcome, Pipeline, Sla, Stage, StageTarget
from ...routing import ExitVia
from ..base import Finding, LintContext, Rule, exits, pipelines_not_exempt
from ..conditions import proved_filled, source_text
from .backward_moves import stage_moves
from .overlapping_conditions import outcome_text

Fields = frozenset[str] | None
"""Fields certain to be filled; None is "every field" (no deal gets there, or none
wins from there), the top of the must-analyses below."""


class SkipPastRequiredFields(Rule):
    """Flags a move (an outcome, `sla` or cadence route) that jumps forward past a `key`
    stage deals otherwise go through on the way, when that stage `requires` fields the
    deals that jump can be won without: neither the target nor any stage after it on
    every way to `won` requires them, and the stage they jump from does not have them
    yet. A stage is skipped when it is written between the two and lies on a forward way
    from one to the other; a side branch that leads elsewhere is not. A win straight from
    a stage (`-> won`, with or without `when`, or an `sla` or cadence route to `won`)
    skips the fields every other way from that stage to a win requires and the stage
    does not have yet, and is flagged when a key stage after it asks for them (the help
    requires them on the stage won from, or, when a `source` feeds it and its new deals
    cannot have them yet, on the win: `-> won 10% when "Бюджет" filled`; an `sla` or
    cadence route, which takes no `when`, is sent through the key stage instead). A
    field the move's `when` proves filled (`"Бюджет" filled`, a test of its value like
    `"Продукт" = "Кухня"`, but not `!=`) is not skipped on that way. Only key stages
    count by default: their fields are what the client committed with (budget, product),
    while an ordinary stage's often record its own step (the date of a visit that a deal
    which skips it never makes); `key-only = false` counts every stage.

    Why
    ---
    A client in a hurry may go straight to the invoice, and the seed says to let him;
    but the fields the skipped stage asks for (budget, product) are what the reports
    segment by and what CRM marketing writes to. Without them on the target too, the
    fastest deals, often the best ones, are won with an empty card.

    Bad
    ---
        field "Бюджет" money
        field "Продукт" enum("Кухня", "Шкаф")
        source "Сайт" 5/day -> "Продажи"."Заявка получена"
        pipeline "Продажи" sales {
          stage "Заявка получена" {
            -> "Посетил шоу-рум" 50%
            -> "Счет выставлен" 20%
            -> lost "Нецелевой" 30%
          }
          stage "Посетил шоу-рум" key {
            requires "Бюджет", "Продукт"
            -> "Счет выставлен" 60%
            -> lost "Дорого" 40%
          }
          stage "Счет выставлен" {
            -> won 90%
            -> lost "Не оплатил" 10%
          }
        }

    Good
    ----
        field "Бюджет" money
        field "Продукт" enum("Кухня", "Шкаф")
        source "Сайт" 5/day -> "Продажи"."Заявка получена"
        pipeline "Продажи" sales {
          stage "Заявка получена" {
            -> "Посетил шоу-рум" 50%
            -> "Счет выставлен" 20%
            -> lost "Нецелевой" 30%
          }
          stage "Посетил шоу-рум" key {
            requires "Бюджет", "Продукт"
            -> "Счет выставлен" 60%
            -> lost "Дорого" 40%
          }
          stage "Счет выставлен" {
            requires "Бюджет", "Продукт"
            -> won 90%
            -> lost "Не оплатил" 10%
          }
        }

    Seed
    ----
    002, «Стоит ли перескакивать между этапами воронки?»: «Если клиент готов купить
    быстрее и просит выставить счет, конечно выставляйте счет и получайте деньги. Но
    даже в этом варианте возможно заполнение необходимых полей, без которых в будущем
    невозможно будет заниматься аналитикой и CRM маркетингом.»

    Options
    -------
    key-only: count only the fields of skipped `key` stages (false: of every stage).
    exempt-purposes: pipeline purposes not checked.
    """

    code = "FN129"
    title = "a move past a stage's required fields"
    name = "skip-past-required-fields"
    kind = "problem"
    default_severity = Severity.warning
    options = {"key-only": True, "exempt-purposes": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        entered: set[tuple[str, str]] | None = None
        kinds = {f.name.value: f.type.kind for f in ctx.funnel.fields}
        fed = {key for _, key in ctx.flows.sources}
        for pipe in pipelines_not_exempt(ctx.funnel, opts):
            counted = [bool(s.requires) and (s.key or not opts["key-only"])
                       for s in pipe.stages]
            if not any(counted) or len(pipe.stages) < 2:
                continue
            if entered is None:
                entered = _entered(ctx)
            yield from _pipeline(ctx.funnel, pipe, counted, entered, kinds, fed)


def _proved(node: Node, kinds: Mapping[str, str]) -> frozenset[str]:
    """The fields a route's `when` proves filled (an `sla` or cadence route has none)."""
    return proved_filled(node.when, kinds) if isinstance(node, Outcome) else frozenset()


def _pipeline(funnel: FunnelFile, pipe: Pipeline, counted: list[bool],
              entered: set[tuple[str, str]], kinds: Mapping[str, str],
              fed: set[tuple[str, str]]) -> Iterator[Finding]:
    """FN129's findings in one pipeline; `counted`: the stages whose fields count;
    `fed`: the stages a source feeds."""
    stages = pipe.stages
    n = len(stages)
    position = {id(s): i for i, s in enumerate(stages)}
    moves: list[list[tuple[Node, int, frozenset[str]]]] = [[] for _ in stages]
    for i, stage in enumerate(stages):
        for node, target, _ in stage_moves(stage):
            found = funnel.resolve(target.ref, pipe)
            if found is not None and found[0] is pipe:
                moves[i].append((node, position.get(id(found[1]), -1), _proved(node, kinds)))
    skips = [(i, node, j, proved) for i in range(n) for node, j, proved in moves[i]
             if j > i + 1 and any(counted[i + 1:j])]
    wins = [(i, e.node, e.via) for i, stage in enumerate(stages) if any(counted[i + 1:])
            for e in exits(stage) if e.target.kind == "won"]
    if not skips and not wins:
        return
    required = [frozenset(f.value for f in s.requires) for s in stages]
    known = _known_on_entry(pipe, moves, required, entered)
    to_win = _required_to_win(funnel, pipe, required, kinds)
    ahead: dict[int, set[int]] = {}

    def reach(a: int) -> set[int]:
        """Stages a forward way leads to from stage `a` (itself included)."""
        found = ahead.get(a)
        if found is None:
            found, todo = {a}, [a]
            while todo:
                for _, b, _ in moves[todo.pop()]:
                    if b > a and b not in found:
                        found.add(b)
                        todo.append(b)
            ahead[a] = found
        return found

    for i, node, j, proved in skips:
        came, after = known[i], to_win[j]
        if came is None or after is None:
            continue  # no deal gets to the source, or none is won from the target
        have = came | after | proved  # what the move's `when` proves is filled on it
        skipped = [(k, [f.value for f in stages[k].requires if f.value not in have])
                   for k in range(i + 1, j) if counted[k]
                   and k in reach(i) and j in reach(k)]
        skipped = [(k, missing) for k, missing in skipped if missing]
        if not skipped:
            continue
        yield _finding(stages[i], stages[j], node,
                       [(stages[k], missing) for k, missing in skipped])

    for i, node, via in wins:
        # A win straight from `i` skips what every other way from `i` to a win requires:
        # the fields a deal of `i` would have by the time it is won had it gone on.
        came = known[i]
        other_ways: Fields = None
        for _, j, proved in moves[i]:
            if 0 <= j < n and j != i and (got := to_win[j]) is not None:  # a way that
                other_ways = _meet(other_ways, got | proved)  # never wins asks nothing
        if came is None or other_ways is None:
            continue  # no deal gets here, or no other way from here wins
        lacking = other_ways - came - _proved(node, kinds)
        skipped = [(k, [f.value for f in stages[k].requires if f.value in lacking])
                   for k in range(i + 1, n) if counted[k] and k in reach(i)
                   and to_win[k] is not None]
        skipped = [(k, missing) for k, missing in skipped if missing]
        if skipped:
            lead = (pipe.name.value, stages[i].name.value) in fed
            yield _finding(stages[i], None, node,
                           [(stages[k], missing) for k, missing in skipped],
                           (via, lead))


def _finding(source: Stage, target: Stage | None, node: Node,
             skipped: list[tuple[Stage, list[str]]],
             win: tuple[ExitVia, bool] | None = None) -> Finding:
    """The finding on a move from `source` to `target` (None: a win, `win` saying how it
    is written and whether a source feeds `source`) past `skipped`. The help requires the
    fields on the target, or, for a win, on the stage won from; a lead stage's new deals
    cannot have them, so there they are required on the win itself (`when … filled`), or
    an `sla` or cadence win, which takes no `when`, goes through the first key stage."""
    names = _joined([s.name.value for s, _ in skipped])
    missing = list(dict.fromkeys(f for _, fields in skipped for f in fields))
    listed = ", ".join(f"`{f}`" for f in missing)
    on = source if target is None else target
    fix = "requires " + ", ".join(
        f'"{f}"' for f in dict.fromkeys([r.value for r in on.requires] + missing))
    help = f"require them on `{on.name.value}` too: `{fix}`"
    if target is None:
        message = (f"deals won straight from `{source.name.value}` skip {names} and are "
                   f"won without {listed}")
        note = f"every other way from `{source.name.value}` to a win requires them"
        if win is not None and win[1]:
            help = _lead_help(node, win[0], missing, skipped[0][0])
    else:
        message = (f"deals that go from `{source.name.value}` straight to "
                   f"`{target.name.value}` skip {names} and can be won without {listed}")
        note = (f"neither `{target.name.value}` nor the stages after it on the way to a win "
                "require them")
    return Finding(
        message, node.span, f"skips {names}",
        tuple(Label(s.name.span, "requires " + ", ".join(f"`{f}`" for f in fields))
              for s, fields in skipped),
        notes=(note,), help=help)


def _lead_help(node: Node, via: ExitVia, missing: list[str], through: Stage) -> str:
    """The help for a win straight from a stage a source feeds: its new deals cannot have
    the fields on entry, so the win requires them (`-> won … when "F" filled`), or, for
    an `sla` or cadence route, which takes no `when`, the deals go through `through`."""
    if isinstance(node, Outcome):
        terms = [source_text(node.when.terms)] if node.when is not None else []
        terms += [f'"{f}" filled' for f in missing]
        return f"require them on the win: `{outcome_text(node, ' and '.join(terms))}`"
    assert isinstance(node, (Sla, CadenceRoute))
    head = f"sla {node.after.text}" if isinstance(node, Sla) else (
        "on reply" if via == "reply" else "on exhausted")
    copy = f" then copy {node.copy_to.ref.display()}" if node.copy_to is not None else ""
    return (f"route the win through `{through.name.value}`: "
            f'`{head} -> "{through.name.value}"{copy}`')


def _joined(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _entered(ctx: LintContext) -> set[tuple[str, str]]:
    """Stages deals enter from outside their pipeline's moves: a source's stage, a
    `then copy`'s or a `reopen`'s target. Nothing is known about their cards there."""
    funnel = ctx.funnel
    found = {key for _, key in ctx.flows.sources}
    for pipe in funnel.pipelines:
        refs = [ro.target for ro in pipe.reopens]
        refs += [e.copy_to.ref for s in pipe.stages for e in exits(s) if e.copy_to is not None]
        for ref in refs:
            hit = funnel.resolve(ref, pipe)
            if hit is not None:
                found.add((hit[0].name.value, hit[1].name.value))
    return found


def _meet(a: Fields, b: Fields) -> Fields:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _known_on_entry(pipe: Pipeline, moves: list[list[tuple[Node, int, frozenset[str]]]],
                    required: list[frozenset[str]], entered: set[tuple[str, str]]
                    ) -> list[Fields]:
    """The fields every deal in each stage has filled: its own `requires`, and what every
    way into it brings, with what the way's `when` proves filled (a must-analysis over
    the pipeline's moves, from "every field")."""
    n = len(required)
    preds: list[list[tuple[int, frozenset[str]]]] = [[] for _ in range(n)]
    for i, out in enumerate(moves):
        for _, j, proved in out:
            if 0 <= j < n and j != i:
                preds[j].append((i, proved))
    name = pipe.name.value
    starts = {i for i, s in enumerate(pipe.stages)
              if (name, s.name.value) in entered or not preds[i]}
    known: list[Fields] = [required[i] if i in starts else None for i in range(n)]
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if i in starts:
                continue
            came: Fields = None
            for p, proved in preds[i]:
                if (got := known[p]) is not None:  # no deal gets to `p`: it brings nothing
                    came = _meet(came, got | proved)
            new = None if came is None else came | required[i]
            if new != known[i]:
                known[i], changed = new, True
    return known


def _required_to_win(funnel: FunnelFile, pipe: Pipeline, required: list[frozenset[str]],
                     kinds: Mapping[str, str]) -> list[Fields]:
    """The fields each stage or a stage after it requires, or a route's `when` proves
    filled, on every way from it to `won` (None: no way from it wins), a must-analysis
    backwards from the wins."""
    n = len(required)
    position = {id(s): i for i, s in enumerate(pipe.stages)}
    ways: list[list[tuple[int | None, frozenset[str]]]] = []
    for stage in pipe.stages:
        out: list[tuple[int | None, frozenset[str]]] = []
        for e in exits(stage):
            if e.target.kind == "won":
                out.append((None, _proved(e.node, kinds)))  # won here: nothing more asked
            elif isinstance(e.target, StageTarget):
                found = funnel.resolve(e.target.ref, pipe)
                if found is not None and found[0] is pipe:
                    out.append((position[id(found[1])], _proved(e.node, kinds)))
        ways.append(out)
    result: list[Fields] = [None] * n
    changed = True
    while changed:
        changed = False
        for i in reversed(range(n)):
            after: Fields = None
            wins = False
            for j, proved in ways[i]:
                if j is None:
                    after, wins = _meet(after, proved), True
                elif (got := result[j]) is not None:
                    after, wins = _meet(after, got | proved), True
            new = (after | required[i]) if wins and after is not None else None
            if new != result[i]:
                result[i], changed = new, True
    return result
