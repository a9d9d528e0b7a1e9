"""Names that are not what they look like: blank names (FN234) and invisible characters
in names and texts (FN235).

A name is how the file refers to a team, a pipeline or a stage and what a CRM shows its
managers. A zero-width space pasted in from a chat makes `Заявка` and `Заявка\\u200b`
two names that print the same: a reference that looks right does not resolve, and an
export creates a stage nobody can tell from its neighbour. Direction controls (U+202A–
U+202E, U+2066–U+2069) redraw the rest of the line in another order, so they are refused
in every quoted text too (a hint, a task, a message), not only in names. A name that is
blank once such characters and spaces are taken away names nothing (every CRM export
refuses it; `check` says so first).

The predicates live in `funnelc.names`, shared with the exports and the renderer.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import (
    Copy,
    FunnelFile,
    LostTarget,
    MessageAction,
    Name,
    Stage,
    StageRef,
    StageTarget,
    Target,
    TaskAction,
)
from ..names import BIDI_CONTROLS, bidi_controls, describe_char, invisible_chars, is_blank, is_plain
from ..span import Span
from .references import error

__all__ = ["check_name_characters", "names_in"]

DEFINITION, LABEL, REFERENCE, TEXT = "definition", "label", "reference", "text"
"""What a name does: defines a thing (blank is an error), labels a loss or an option
(blank is an error too), refers to a definition (reported at the definition), or is free
text (a hint, a task: only direction controls matter)."""


Found = list[tuple[Name, str, str]]


def _ref(out: Found, ref: StageRef | None) -> None:
    if ref is None:
        return
    if ref.pipeline is not None:
        out.append((ref.pipeline, REFERENCE, "pipeline"))
    out.append((ref.stage, REFERENCE, "stage"))


def _route(out: Found, target: Target | None, copy: Copy | None) -> None:
    if isinstance(target, LostTarget):
        out.append((target.reason, LABEL, "loss reason"))
    elif isinstance(target, StageTarget):
        _ref(out, target.ref)
    if copy is not None:
        _ref(out, copy.ref)


def names_in(funnel: FunnelFile) -> Found:
    """Every `Name` node of the file as (name, role, what it names).

    Written out field by field rather than as a generic walk over the model: on a
    27 000-line account the generic walk cost over a second, this a few tens of ms.
    tests/test_names.py checks that it finds every `Name` a generic walk finds."""
    out: Found = []
    add = out.append
    for acc in funnel.accounts:
        add((acc.name, DEFINITION, "account"))
        if acc.currency is not None:
            add((acc.currency, REFERENCE, "currency"))
    for team in funnel.teams:
        add((team.name, DEFINITION, "team"))
    for fld in funnel.fields:
        add((fld.name, DEFINITION, "field"))
        for option in fld.type.values:
            add((option, REFERENCE, "option"))  # an empty option is FN220's
    for src in funnel.sources:
        add((src.name, DEFINITION, "source"))
        _ref(out, src.target)
    for pipe in funnel.pipelines:
        add((pipe.name, DEFINITION, "pipeline"))
        for stage in pipe.stages:
            _stage_names(out, stage)
        for reopen in pipe.reopens:
            add((reopen.reason, LABEL, "reopen reason"))
            _ref(out, reopen.target)
    for scen in funnel.scenarios:
        add((scen.name, DEFINITION, "scenario"))
        for ov in scen.overrides:
            if ov.subject is not None:
                add((ov.subject, REFERENCE, "team" if ov.kind.startswith("team") else "source"))
            _ref(out, ov.stage)
            if ov.owner is not None:
                add((ov.owner, REFERENCE, "team"))
            _route(out, ov.target, None)
            if ov.sla is not None:
                _route(out, ov.sla.target, ov.sla.copy_to)
    return out


def _stage_names(out: Found, stage: Stage) -> None:
    add = out.append
    add((stage.name, DEFINITION, "stage"))
    if stage.owner is not None:
        add((stage.owner, REFERENCE, "team"))
    for action in stage.on_enter:
        if isinstance(action, TaskAction):
            add((action.text, TEXT, "task"))
            if action.team is not None:
                add((action.team, REFERENCE, "team"))
        elif isinstance(action, MessageAction):
            add((action.template, TEXT, "message"))
        else:
            add((action.team, REFERENCE, "team"))
    for req in stage.requires:
        add((req, REFERENCE, "field"))
    if stage.hint is not None:
        add((stage.hint, TEXT, "hint"))
    if stage.color is not None:
        add((stage.color, TEXT, "colour"))
    if stage.alias is not None:
        add((stage.alias.name, LABEL, f"{stage.alias.crm} alias"))
    for outcome in stage.outcomes:
        _route(out, outcome.target, outcome.copy_to)
        if outcome.when is not None:
            for term in outcome.when.terms:
                add((term.field, REFERENCE, "field"))
                if isinstance(term.value, Name):
                    add((term.value, TEXT, "condition"))
    if stage.sla is not None:
        _route(out, stage.sla.target, stage.sla.copy_to)
    if stage.patience is not None:
        _route(out, stage.patience.target, stage.patience.copy_to)
    cad = stage.cadence
    if cad is not None:
        for route in (cad.on_reply, cad.on_exhausted):
            if route is not None:
                _route(out, route.target, route.copy_to)


def _char_span(name: Name, index: int) -> Span:
    """The span of character `index` of the name's value, when the source can be
    mapped back (no escapes, no normalisation, on one line); else the whole name."""
    sp = name.span
    opening = 1 if name.quoted else 0
    written = sp.end - sp.start - 2 * opening
    if sp.line != sp.end_line or written != len(name.value):
        return sp
    offset = sp.start + opening + index
    column = sp.column + opening + index
    return Span(line=sp.line, column=column, end_line=sp.line, end_column=column + 1,
                start=offset, end=offset + 1)


def _chars_phrase(found: list[tuple[int, str]]) -> str:
    kinds = list(dict.fromkeys(describe_char(ch) for _, ch in found))
    shown = ", ".join(kinds[:3]) + (", …" if len(kinds) > 3 else "")
    return shown


def check_name_characters(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for name, role, what in names_in(funnel):
        value = name.value
        if is_plain(value):
            continue
        if role == TEXT:
            found = bidi_controls(value)
            if found:
                yield error(
                    codes.FN235, f"{what} text holds a text-direction control "
                    f"({_chars_phrase(found)})", funnel, _char_span(name, found[0][0]),
                    "an invisible character that reorders how the rest of the line is shown",
                    notes=("what the file shows is not what it says: the characters after it "
                           "are drawn in another order",),
                    help="delete the character (retype the text if the editor does not show it)")
            continue
        noun = what if role == LABEL else f"{what} name"
        if role in (DEFINITION, LABEL) and is_blank(value):
            notes: tuple[str, ...] = ()
            if invisible_chars(value):
                notes = (f"it holds only invisible characters and spaces "
                         f"({_chars_phrase(invisible_chars(value))})",)
            yield error(codes.FN234, f"{noun} is blank", funnel, name.span,
                        "nothing visible here", notes=notes,
                        help=f"give the {what} a name a manager can read")
            continue
        found = invisible_chars(value)
        if found:
            bidi = any(ch in BIDI_CONTROLS for _, ch in found)
            yield error(
                codes.FN235, f"{noun} `{value}` holds an invisible character "
                f"({_chars_phrase(found)})", funnel, _char_span(name, found[0][0]),
                "invisible character here",
                notes=(("it reorders how the rest of the line is shown",) if bidi else
                       ("a name with it and the same name without it print the same but "
                        "are different names",)),
                help="delete the character (retype the name if the editor does not show it)")
