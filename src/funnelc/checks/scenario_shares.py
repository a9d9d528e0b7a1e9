"""Scenario share changes that do not fit the stage they change: a `stage P.S -> TARGET
P%` whose target is not one of the stage's outcomes (FN232: a scenario changes shares,
it does not add routes), and changes that leave the stage's shares not adding up to
100 % (FN233: a what-if with leaking shares compares a broken funnel to the baseline).
`stay` on a cadence stage is FN226, as in the baseline.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label, did_you_mean
from ..model import FunnelFile, Override, Pipeline, Scenario, Share, Stage
from .references import (
    SHARE_TOLERANCE,
    error,
    listing,
    pct,
    quote,
    scenario_stage,
    target_key,
    target_text,
)
from .stage_shares import share_terms

__all__ = ["check_scenario_shares"]


def _unknown_outcome(funnel: FunnelFile, ovr: Override, pipe: Pipeline, stage: Stage
                     ) -> Diagnostic:
    assert ovr.target is not None
    texts = [target_text(o.target) for o in stage.outcomes]
    wanted = target_text(ovr.target)
    guess = did_you_mean(wanted, texts)
    if stage.cadence is not None:
        help_text = "a cadence stage routes by its touches and has no `->` outcomes to change"
    elif guess is not None:
        help_text = f"did you mean `-> {guess}`?"
    elif texts:
        help_text = f"the outcomes of `{stage.name.value}` go to {listing(texts)}"
    else:
        help_text = f"`{stage.name.value}` has no outcomes"
    return error(codes.FN232, f"stage `{stage.name.value}` has no outcome `-> {wanted}`", funnel,
                 ovr.target.span, f"not an outcome of `{stage.name.value}`",
                 notes=("a scenario changes the share of an existing outcome; it cannot add "
                        "a new one",), help=help_text)


def _balance_hint(pipe: Pipeline, stage: Stage, changed: set[int], stay_changed: bool,
                  values: list[float], total: float) -> str:
    """Suggest changing one untouched share so that the stage closes at 100 %."""
    ref = f"{quote(pipe.name.value)}.{quote(stage.name.value)}"
    for i, out in enumerate(stage.outcomes):
        if i in changed:
            continue
        value = 1.0 - (total - values[i])
        if 0.0 <= value <= 1.0:
            return f"change another share too, e.g. `stage {ref} -> {target_text(out.target)} {pct(value)}`"
    if not stay_changed and stage.stay is not None:
        value = 1.0 - (total - stage.stay.value)
        if 0.0 <= value <= 1.0:
            return f"change the stay too: `stage {ref} stay {pct(value)}`"
    return "change the scenario's shares of this stage so they add up to 100%"


def _scenario(funnel: FunnelFile, scen: Scenario) -> Iterator[Diagnostic]:
    touched: dict[tuple[str, str], list[Override]] = {}
    where: dict[tuple[str, str], tuple[Pipeline, Stage]] = {}
    broken: set[tuple[str, str]] = set()
    for ovr in scen.overrides:
        if ovr.kind not in ("stage_share", "stage_stay"):
            continue
        found = scenario_stage(funnel, ovr.stage)
        if found is None:
            continue  # the unknown stage is reported by check_unknown_stages
        pipe, stage = found
        if ovr.kind == "stage_stay" and stage.cadence is not None:
            assert ovr.share is not None
            yield error(codes.FN226, f"scenario gives `stay` to cadence stage `{stage.name.value}`",
                        funnel, ovr.share.span, "a cadence stage routes only by its cadence",
                        help="a cadence stage has no `stay`: remove this line")
            continue
        if ovr.kind == "stage_share":
            assert ovr.target is not None
            keys = [target_key(o.target, pipe) for o in stage.outcomes]
            if stage.cadence is not None or target_key(ovr.target, pipe) not in keys:
                yield _unknown_outcome(funnel, ovr, pipe, stage)
                broken.add((pipe.name.value, stage.name.value))
                continue
        key = (pipe.name.value, stage.name.value)
        touched.setdefault(key, []).append(ovr)
        where[key] = found
    for key, ovrs in touched.items():
        if key in broken:
            continue  # the sum would count the misspelt outcome's old share: noise
        d = _sum(funnel, scen, *where[key], ovrs)
        if d is not None:
            yield d


def _sum(funnel: FunnelFile, scen: Scenario, pipe: Pipeline, stage: Stage,
         ovrs: list[Override]) -> Diagnostic | None:
    if stage.cadence is not None:
        return None
    lone = len(stage.outcomes) == 1 and stage.stay is None
    if any(o.share is None for o in stage.outcomes) and not lone:
        return None  # the baseline is already incomplete (FN213)
    keys = [target_key(o.target, pipe) for o in stage.outcomes]
    values = [o.share.value if o.share is not None else 1.0 for o in stage.outcomes]
    stay = stage.stay.value if stage.stay is not None else None
    changed: set[int] = set()
    stay_changed = False
    for ovr in ovrs:
        assert ovr.share is not None
        if ovr.kind == "stage_stay":
            stay, stay_changed = ovr.share.value, True
        else:
            assert ovr.target is not None
            i = keys.index(target_key(ovr.target, pipe))
            values[i] = ovr.share.value
            changed.add(i)
    if any(v > 1.0 for v in values) or (stay is not None and stay > 1.0):
        return None  # reported as a share over 100 % (FN218)
    total = sum(values) + (stay or 0.0)
    if abs(total - 1.0) <= SHARE_TOLERANCE:
        return None
    terms: list[tuple[str, Share]] = [
        (target_text(o.target), Share.model_construct(span=o.span, value=v, text=pct(v)))
        for o, v in zip(stage.outcomes, values)]
    if stay is not None:
        terms.append(("stay", Share.model_construct(span=stage.span, value=stay, text=pct(stay))))
    last = ovrs[-1]
    assert last.share is not None
    return error(codes.FN233, f"scenario `{scen.name.value}` makes the shares of "
                 f"`{stage.name.value}` add up to {pct(total)}", funnel, last.share.span,
                 f"with this change `{stage.name.value}` adds up to {pct(total)}",
                 secondary=[Label(o.share.span, "changed here too") for o in ovrs[:-1]
                            if o.share is not None],
                 notes=(share_terms(terms),),
                 help=_balance_hint(pipe, stage, changed, stay_changed, values, total))


def check_scenario_shares(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for scen in funnel.scenarios:
        yield from _scenario(funnel, scen)
