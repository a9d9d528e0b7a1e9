"""`--to bitrix24`: the REST calls that create the account's deal pipelines in Bitrix24.

Bitrix24 has no "create a pipeline with its stages" call: a pipeline is a deal category
(`crm.category.add`, entityTypeId 2) and each stage a `crm.status.add` in the category's
stage list `DEAL_STAGE_{id}`. The id exists only after the first call, so later calls
carry a placeholder `{category_N}` that the runner fills with the returned id (the same
idea as Bitrix24's own `batch` `$result[...]` references). The main pipeline maps to the
default pipeline (category 0, list `DEAL_STAGE`), which every portal already has.

STATUS_IDs: at most 22 characters from `[A-Za-z0-9_-]` (documented for `DEAL_STAGE`);
inside a category Bitrix24 prepends `C{id}:` and the documentation only says the limit
"depends on the pipeline identifier", so we keep category codes to 22 − len("C999:") = 17
characters (conservative: category ids up to three digits). Codes are transliterated
from Cyrillic with the `transliterate` library (Russian or Ukrainian rules by the
account's language), upper-cased, and made unique with a numeric suffix.

Semantics: in-progress stages `""`, the success stage `S`, failure stages `F`. Bitrix24
creates the system WON/LOSE stages itself and they cannot be created by REST; every
`lost "reason"` of a pipeline becomes its own failure stage (Bitrix24 allows several).
Sort order follows the documented rule: all in-progress < success < failure.

What REST cannot do is listed under `manual_steps`: stage-dependent required fields (no
REST method exists), robots for on-enter tasks/messages (placed in the UI), removing the
default stages a new category comes with (their ids are only known after creation).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .. import model as m
from ..diagnostics import Diagnostic, Severity
from .base import ExportResult

MAX_STATUS_ID = 22
CATEGORY_PREFIX_RESERVE = len("C999:")
NAME_LIMIT = 255

# Pleasant, distinct colours for in-progress stages (Bitrix24 accepts any hex).
PROGRESS_COLORS = ["#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#7BD500", "#FFA900",
                   "#FFCA00", "#F7A700", "#BBED21", "#00C4FB"]
SUCCESS_COLOR = "#7BD500"
FAILURE_COLOR = "#FF5752"


def _code(name: str, lang: str) -> str:
    """ASCII STATUS_ID stem: transliterated, non-word runs → `_`, upper-cased."""
    from transliterate import translit

    try:
        latin = translit(name, "uk" if lang == "uk" else "ru", reversed=True)
    except Exception:  # noqa: BLE001 - the library raises on text it cannot map
        latin = name
    latin = latin.replace("'", "")
    code = re.sub(r"[^A-Za-z0-9]+", "_", latin).strip("_").upper()
    return code


def _unique(code: str, used: set[str], limit: int) -> str:
    base = code[:limit].rstrip("_") or "STAGE"
    candidate = base
    n = 2
    while candidate in used:
        suffix = f"_{n}"
        candidate = base[: limit - len(suffix)].rstrip("_") + suffix
        n += 1
    used.add(candidate)
    return candidate


def _lost_reasons(pipe: m.Pipeline) -> list[tuple[str, m.Node]]:
    """Every `lost "reason"` a pipeline's stages can end in, in first-seen order."""
    seen: dict[str, m.Node] = {}
    for stage in pipe.stages:
        targets: list[m.Target] = [o.target for o in stage.outcomes]
        if stage.sla is not None:
            targets.append(stage.sla.target)
        if stage.cadence is not None:
            targets += [r.target for r in (stage.cadence.on_reply, stage.cadence.on_exhausted)
                        if r is not None]
        for t in targets:
            if isinstance(t, m.LostTarget):
                seen.setdefault(t.reason.value, t.reason)
    return list(seen.items())


def build_calls(funnel: m.FunnelFile, path: str) -> tuple[dict[str, object], list[Diagnostic]]:
    lang = funnel.account.language if funnel.account and funnel.account.language else "ru"
    diags: list[Diagnostic] = []
    calls: list[dict[str, object]] = []
    manual: list[str] = []
    pipelines = sorted(funnel.pipelines, key=lambda p: not p.main)
    for ci, pipe in enumerate(pipelines):
        if len(pipe.name.value) > NAME_LIMIT:
            diags.append(Diagnostic("FN320", Severity.error,
                                    f"pipeline name is longer than Bitrix24's {NAME_LIMIT} characters",
                                    path, pipe.name.span, "too long for Bitrix24",
                                    help="shorten the pipeline name"))
        if pipe.main:
            entity, limit, ref = "DEAL_STAGE", MAX_STATUS_ID, "default"
        else:
            ref = f"category_{ci}"
            calls.append({"id": ref, "method": "crm.category.add",
                          "params": {"entityTypeId": 2,
                                     "fields": {"name": pipe.name.value, "sort": (ci + 1) * 100,
                                                "isDefault": "N"}}})
            entity, limit = f"DEAL_STAGE_{{{ref}}}", MAX_STATUS_ID - CATEGORY_PREFIX_RESERVE
            manual.append(f"«{pipe.name.value}»: delete the default stages Bitrix24 created "
                          f"with the category (list them with crm.status.list, ENTITY_ID "
                          f"DEAL_STAGE_<id>) before or after adding these")
        used: set[str] = {"NEW", "WON", "LOSE", "APOLOGY"}
        sort = 10
        for si, stage in enumerate(pipe.stages):
            code = _code(stage.name.value, lang)
            if not code:
                diags.append(Diagnostic(
                    "FN321", Severity.error,
                    f"stage name `{stage.name.value}` leaves no Latin letters or digits for a "
                    "Bitrix24 STATUS_ID", path, stage.name.span, "nothing left after transliteration",
                    help="add a letter or digit to the name (STATUS_IDs use [A-Za-z0-9_-])"))
                continue
            status_id = _unique(code, used, limit)
            fields: dict[str, object] = {
                "ENTITY_ID": entity, "STATUS_ID": status_id, "NAME": stage.name.value,
                "SORT": sort, "COLOR": PROGRESS_COLORS[si % len(PROGRESS_COLORS)], "SEMANTICS": "",
            }
            if stage.color is not None:
                fields["COLOR"] = stage.color.value.upper()
            calls.append({"id": f"{ref}_stage_{si}", "method": "crm.status.add",
                          "params": {"fields": fields}})
            sort += 10
            if stage.requires:
                manual.append(f"«{pipe.name.value}» → «{stage.name.value}»: make "
                              + ", ".join(f"«{f.value}»" for f in stage.requires)
                              + " required for this stage (Bitrix24 has no REST method for "
                              "stage-dependent required fields)")
            if stage.on_enter:
                manual.append(f"«{pipe.name.value}» → «{stage.name.value}»: add robots for "
                              f"{len(stage.on_enter)} on-enter action(s) (robots are placed in "
                              "the UI)")
        won_sort = sort + 100
        manual.append(f"«{pipe.name.value}»: the success stage is Bitrix24's system WON stage; "
                      f"keep its SORT between {sort - 10} and {won_sort + 100} so that in-progress "
                      "< success < failure")
        fail_sort = won_sort + 100
        for reason, node in _lost_reasons(pipe):
            code = _code(reason, lang) or "LOST"
            status_id = _unique("LOST_" + code, used, limit)
            calls.append({"id": f"{ref}_lost_{status_id.lower()}", "method": "crm.status.add",
                          "params": {"fields": {"ENTITY_ID": entity, "STATUS_ID": status_id,
                                                "NAME": reason, "SORT": fail_sort,
                                                "COLOR": FAILURE_COLOR, "SEMANTICS": "F"}}})
            fail_sort += 10
    bundle = {
        "format": "funnelc/bitrix24-calls",
        "version": 1,
        "placeholders": "{category_N} stands for the id returned by the crm.category.add "
                        "call whose id is category_N",
        "calls": calls,
        "manual_steps": manual,
    }
    return bundle, diags


@dataclass(frozen=True)
class Bitrix24Exporter:
    name: str = "bitrix24"
    description: str = "Bitrix24 REST calls (crm.category.add, crm.status.add)"
    folder: bool = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        bundle, diags = build_calls(funnel, funnel.path)
        text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
        return ExportResult(files={"bitrix24.json": text}, diagnostics=diags)


EXPORTER = Bitrix24Exporter()
