"""What the Bitrix24, Pipedrive, HubSpot and Salesforce exporters share: ASCII codes from
Cyrillic names, the lost reasons a pipeline can end in, per-stage win probabilities, the
calendar length of an SLA, names of the won/lost states, and the placeholder convention
of the request bundles.

Placeholders (Bitrix24 and Pipedrive bundles). A CRM gives an object its id only when it
is created, yet later requests must name it (a stage names its pipeline). Each request in
a bundle has an `id`; a request whose answer carries an id a later one needs also has
`returns`, the path of that id in the answer (`result.category.id`, `data.id`,
`result.0.ID`: dot-separated keys, digits index lists). A later request names it as
`{id}`: a string that is exactly `{id}` is replaced by the value itself (a number stays a
number), a longer string gets the value's text spliced in (`DEAL_STAGE_{category_1}` →
`DEAL_STAGE_7`). The same idea as Bitrix24's own `batch` references (`$result[name]`).
Placeholders occur only in the fields a bundle lists under `placeholder_fields`, so a
stage that happens to be called `{pipeline_0}` is never rewritten.
"""

from __future__ import annotations

import math

from .. import model as m
from ..diagnostics import Diagnostic, Severity
from ..names import ascii_text, code_stem, is_blank
from ..routing import StageKey, exits

__all__ = ["language", "ascii_text", "code_stem", "lost_reasons", "account_lost_reasons",
           "builtin_fields", "BUILTIN_KINDS", "win_probabilities", "stage_by_hand",
           "sla_calendar_days", "blank_name", "CLOSED_NAMES", "PLACEHOLDER_RULE",
           "yes_no", "longest_wallclock_hours"]

PLACEHOLDER_RULE = (
    "a request's `id` names it; `returns` is the path of the id in its answer (dot-separated "
    "keys, digits index lists). In the fields listed under `placeholder_fields`, a string "
    "that is exactly `{id}` is replaced by that value (numbers stay numbers) and `{id}` "
    "inside a longer string by its text; ids always belong to earlier requests")

CLOSED_NAMES: dict[str, tuple[str, str]] = {
    "ru": ("Успешно реализовано", "Закрыто и не реализовано"),
    "uk": ("Успішно реалізовано", "Закрито і не реалізовано"),
}
"""Won/lost state names for Russian and Ukrainian accounts (the words amoCRM uses, which
Russian-speaking CRM users know); English names are each CRM's own defaults."""



def language(funnel: m.FunnelFile) -> str | None:
    account = funnel.account
    return account.language if account is not None else None


def yes_no(funnel: m.FunnelFile) -> tuple[str, str]:
    """Option labels for a `bool` field in a CRM that has no boolean field type."""
    return {"ru": ("Да", "Нет"), "uk": ("Так", "Ні")}.get(language(funnel) or "en", ("Yes", "No"))


def lost_reasons(pipe: m.Pipeline) -> list[tuple[str, m.Name]]:
    """Every `lost "reason"` a pipeline's stages can end in, in first-seen order, with the
    first place it is written: every way out `routing.exits` knows (outcomes, the SLA,
    `patience`, the cadence's `on reply` and `on exhausted`). The one list every CRM
    exporter and `apply` read: a reason reached only through `patience` (a client who
    went to a competitor) is one managers close deals with too."""
    seen: dict[str, m.Name] = {}
    for stage in pipe.stages:
        for way in exits(stage, patience=True):
            if isinstance(way.target, m.LostTarget):
                seen.setdefault(way.target.reason.value, way.target.reason)
    return list(seen.items())


def account_lost_reasons(funnel: m.FunnelFile) -> list[str]:
    """The lost reasons of every pipeline, once each, in file order: for the CRMs that
    keep one list for the whole account (amoCRM, Pipedrive, HubSpot's property)."""
    reasons: dict[str, None] = {}
    for pipe in funnel.pipelines:
        reasons.update((r, None) for r, _ in lost_reasons(pipe))
    return list(reasons)


BUILTIN_KINDS: dict[str, str] = {"phone": "PHONE", "email": "EMAIL"}
"""The field kinds a CRM's contacts (and companies) hold as built-in fields, with their
code in amoCRM and Bitrix24 (multi-value fields there: PHONE, EMAIL)."""


def builtin_fields(funnel: m.FunnelFile, entities: frozenset[m.Entity]
                   ) -> dict[tuple[m.Entity, str], str]:
    """(entity, field name) → the built-in code (`PHONE`, `EMAIL`) of every file field
    that *is* the CRM's built-in field: the first `phone` and the first `email` field of
    each of `entities` (those whose records have them), as amoCRM's `map_fields`,
    Pipedrive's person and HubSpot's contact read it. Deals have no such field; a second
    phone field of the same entity is a field of its own."""
    out: dict[tuple[m.Entity, str], str] = {}
    taken: set[tuple[m.Entity, str]] = set()
    for card in funnel.fields:
        code = BUILTIN_KINDS.get(card.type.kind)
        if code is None or card.entity not in entities or (card.entity, code) in taken:
            continue
        taken.add((card.entity, code))
        out[(card.entity, card.name.value)] = code
    return out


def _dist_text(d: m.Dist) -> str:
    return d.args[0].text if d.bare else f"{d.kind}({', '.join(q.text for q in d.args)})"


def _by_hand_to(target: m.Target) -> tuple[str, str]:
    """The manager's verb and where the deal goes, for a patience route."""
    if isinstance(target, m.LostTarget):
        return "close", f" as lost «{target.reason.value}»"
    if isinstance(target, m.WonTarget):
        return "close", " as won"
    return "move", f" to «{target.ref.stage.value}»"


def stage_by_hand(stage: m.Stage, crm: str, automation: str, *, calendar: bool,
                  hint_place: str | None = None) -> list[str]:
    """What a CRM without them must be told by hand of a stage's `hint`, `respond` and
    `patience` (Bitrix24, Pipedrive, HubSpot and Salesforce hold none of them), as manual
    steps without the «pipeline» → «stage» prefix: the hint to put where managers read it
    (`hint_place`, or anywhere the CRM has no place for it), the answer-time limit as the
    CRM's `automation` (a robot, a workflow, a Flow), and the deals whose client stopped
    waiting, which only a manager can close. `calendar`: the account's working hours
    count (`respond` runs in working time)."""
    out: list[str] = []
    if stage.hint is not None:
        if hint_place is not None:
            out.append(f"put the hint in {hint_place}: «{stage.hint.value}»")
        else:
            out.append(f"the hint has no place in a {crm} stage: give it to the managers "
                       "another way (the playbook: funnelc export --to playbook-md): "
                       f"«{stage.hint.value}»")
    if stage.respond is not None:
        out.append(f"{automation} that warns when nobody has taken the deal within "
                   f"{stage.respond.text}" + (" of working time" if calendar else "")
                   + f" (respond; {crm} has no answer-time limit)")
    if stage.patience is not None:
        verb, where = _by_hand_to(stage.patience.target)
        out.append(f"managers {verb} a deal whose client stopped waiting (patience "
                   f"{_dist_text(stage.patience.dist)}){where}: {crm} cannot tell when a "
                   "client gave up")
    return out


def win_probabilities(funnel: m.FunnelFile) -> dict[StageKey, float]:
    """P(a deal at the stage is eventually won), exact (absorbing chain, reopens
    included, copies excluded): what a CRM's per-stage probability means. Clamped to
    [0, 1] against rounding noise."""
    from ..analysis.markov import win_probabilities as exact

    return {k: min(1.0, max(0.0, v)) if math.isfinite(v) else 0.0
            for k, v in exact(funnel).items()}


def longest_wallclock_hours(funnel: m.FunnelFile, working_hours: float) -> float:
    """The longest calendar time `working_hours` of an SLA can take, over every entry
    moment of the week (the account's calendar; 24/7 without one)."""
    from ..analysis.working_time import wallclock_length

    account = funnel.account
    hours = account.hours if account is not None else None
    length = wallclock_length(hours, working_hours)
    longest = max([v for v, _ in length.atoms] + [hi for _, hi, _ in length.stretches])
    return longest


def sla_calendar_days(funnel: m.FunnelFile, sla: m.Sla) -> int | None:
    """Whole calendar days by which an SLA has run out for every deal, whenever it
    entered: ceil(longest calendar length / 24 h), at least 1. None when the calendar
    has no working time at all (the SLA never runs out)."""
    longest = longest_wallclock_hours(funnel, sla.after.hours)
    if not math.isfinite(longest):
        return None
    return max(1, math.ceil(longest / 24.0 - 1e-9))


def blank_name(code: str, target: str, name: m.Name, what: str, path: str) -> Diagnostic | None:
    """The target's "blank name" error, by the same test as `check` (FN234): blank once
    invisible characters and spaces are removed, so a name of only U+200B is blank."""
    if not is_blank(name.value):
        return None
    return Diagnostic(code, Severity.error, f"{what} name is blank", path, name.span,
                      f"{target} needs a non-empty name", help=f"give the {what} a name")
