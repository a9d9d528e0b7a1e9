"""`funnelc import --from bitrix24`: Bitrix24's own REST answers → funnel text.

Inputs are the answers as Bitrix24 sends them (bitrix24/b24restdocs): `crm.category.list`
with entityTypeId 2 (`result.categories[]`: crm-category-list.md), `crm.status.list`
(`result[]` of ID, ENTITY_ID, STATUS_ID, NAME, SORT, SEMANTICS, COLOR …:
crm-status-list.md) for `DEAL_STAGE` and `DEAL_STAGE_{id}`, and
`crm.{deal,contact,company}.userfield.list` (`result[]` of ID, ENTITY_ID, FIELD_NAME,
USER_TYPE_ID, MULTIPLE, MANDATORY, labels, LIST[]: crm-deal-userfield-list.md). Each file
is recognised by its shape; a `batch` answer holding them (`result.result.{key}`) is
taken too, and so is what `apply --to bitrix24` reads live.

What comes over: deal pipelines (the default one as `main`, then by SORT), their
in-progress stages in SORT order with their colours, failure stages other than the
system `LOSE` as the account's lost reasons (listed in the header comment: the language
names a reason only on an outcome), user fields with their enumerations (a label given
per language read in the account's language: that of its stage names), and MANDATORY
as `requires` on the first stage of every pipeline (a deal needs it from the start).
Contacts' and companies' built-in PHONE and EMAIL, which a funnel's first phone and email
field of each stand for, are in none of these answers: a note names them.
Routing, shares, SLAs and robots are not in these answers: stages are parking stages,
as amoCRM's import makes them (see importers/amocrm.py for why).

Keys the documented answers do not have are collected (`Imported.unknown_keys`), as
amoCRM's import does: warnings by default, errors with `--strict`. Bitrix24 adds keys
to its answers without notice, and an import that reads none of them is still complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..names import escape_invisible
from ..span import NOWHERE
from .amocrm import (
    FieldKind,
    Imported,
    _name,
    _named,
    _one_line,
    _unique,
    _wrap,
    group_unknown,
    normal_color,
    option_values,
)
from .builtins import builtin_fields_note
from .json_input import JsonProblem, another_kind, describe, read_json
from .kept import kinds_note, not_held_line

__all__ = ["import_files", "import_answers", "USER_TYPE_KINDS"]

USER_TYPE_KINDS: dict[str, FieldKind] = {
    "string": "text", "integer": "int", "double": "number", "money": "money", "date": "date",
    "datetime": "date", "boolean": "bool", "url": "url"}
BUILTIN_MULTIFIELDS = [("contact", "PHONE"), ("contact", "EMAIL"), ("company", "PHONE"),
                       ("company", "EMAIL")]
"""Bitrix24's built-in multiple fields of contacts and companies (crm.multifield.fields),
which a funnel's first phone and email field of each stand for (export.bitrix24's
`builtin_multifields`): never user fields, so not in crm.*.userfield.list."""
ENTITY_OF = {"CRM_DEAL": m.Entity.deal, "CRM_CONTACT": m.Entity.contact,
             "CRM_COMPANY": m.Entity.company}

# Every key of the documented answers (bitrix24/b24restdocs, api-reference/crm/...: the
# answer examples and field tables of the pages named), so that a real portal imports
# without a warning. The fixtures in tests/data/bitrix24/ are those pages' own examples.
ANSWER_KEYS = frozenset({"result", "total", "time", "next"})
"""The envelope of a list answer: `result`, `total`, `time` (every page below); `next`
when another page follows (the list answers' examples, e.g. sale-order-list.md)."""
BATCH_KEYS = frozenset({"result", "result_error", "result_total", "result_next",
                        "result_time"})
"""`result` of a `batch` answer (api-reference/batch.md)."""
CATEGORY_KEYS = frozenset({"id", "name", "sort", "entityTypeId", "isDefault", "originId",
                           "originatorId", "isSystem", "code"})
"""A funnel of `crm.category.list` (crm-category-list.md's example; crm-category-fields.md's
table: `originId`/`originatorId` in deals only, `isSystem`/`code` in SPAs only)."""
STATUS_KEYS = frozenset({"ID", "ENTITY_ID", "STATUS_ID", "NAME", "NAME_INIT", "SORT",
                         "SYSTEM", "CATEGORY_ID", "COLOR", "SEMANTICS", "EXTRA"})
"""An item of `crm.status.list` (crm-status-list.md's example and the JS SDK type there)."""
EXTRA_KEYS = frozenset({"SEMANTICS", "COLOR"})
USERFIELD_KEYS = frozenset({"ID", "ENTITY_ID", "FIELD_NAME", "USER_TYPE_ID", "XML_ID", "SORT",
                            "MULTIPLE", "MANDATORY", "SHOW_FILTER", "SHOW_IN_LIST",
                            "EDIT_IN_LIST", "IS_SEARCHABLE", "SETTINGS", "EDIT_FORM_LABEL",
                            "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL", "ERROR_MESSAGE",
                            "HELP_MESSAGE", "LIST"})
"""A field of `crm.deal.userfield.list` (crm-deal-userfield-list.md's example). SETTINGS
depends on the field's type and is not read, so its keys are not checked."""
LIST_ITEM_KEYS = frozenset({"ID", "SORT", "VALUE", "DEF", "XML_ID"})
"""An enumeration value, `LIST[]` of the same answer."""


@dataclass
class _Stage:
    entity: str
    status_id: str
    name: str
    sort: int
    semantics: str
    color: str


@dataclass
class _Field:
    entity: m.Entity
    label: str
    user_type: str
    multiple: bool
    mandatory: bool
    values: list[tuple[int, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """The label per language (`{"en": …, "ru": …, "ua": …}`) where the answer gives one
    (crm.*.userfield.get, or a list without the LANG filter); the account's is taken."""
    code: str = ""
    unlabelled: str = ""
    """Why the field is named by its code: "absent" (the answer has no label keys: a
    userfield.list not filtered by LANG), "blank" (none written in the language asked)."""


@dataclass
class _Answers:
    categories: list[tuple[int, str, int, bool]] = field(default_factory=list)
    stages: list[_Stage] = field(default_factory=list)
    fields: list[_Field] = field(default_factory=list)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    """File → JSON paths of keys outside the documented answers, in the order met."""

    def keys(self, obj: JSONObject, file: str, where: str, known: frozenset[str]) -> None:
        for key in obj:
            if key not in known:
                self.unknown.setdefault(file, []).append(f"{where}.{key}" if where else key)


def _int(obj: JSONObject, key: str, file: str, where: str, default: int | None = None) -> int:
    """An integer, or a string of one (Bitrix24 sends ids and SORT as strings); `default`
    when the key is left out or null, else "missing"."""
    path = f"{where}.{key}"
    value = obj.get(key)
    if value is None:
        if default is not None:
            return default
        raise JsonProblem(file, path, "missing" if key not in obj else
                          "expected an integer, found null")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise JsonProblem(file, path, f"expected an integer, found {describe(value)}")
    try:
        return int(value)
    except ValueError:
        raise JsonProblem(file, path, "expected an integer, found the string "
                          f"{str(value)[:30]!r}") from None


def _str(obj: JSONObject, key: str, file: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise JsonProblem(file, f"{where}.{key}", "missing" if key not in obj else
                          f"expected a string, found {describe(value)}")
    return value


LABEL_KEYS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL")


def _label(raw: JSONObject) -> tuple[str, dict[str, str]]:
    """The field's label, and its labels per language when the answer gives them so
    (Bitrix24's language ids: `ru`, `ua`, `en`, `de` … crm-deal-userfield-get.md's
    answer; a list filtered by LANG gives one string)."""
    for key in LABEL_KEYS:
        value = raw.get(key)
        if isinstance(value, dict):
            texts = {k: v for k, v in value.items() if isinstance(v, str) and v.strip()}
            if texts:
                return _in_language(texts, "en")[1], texts
            continue
        if isinstance(value, str) and value.strip():
            return value, {}
    return str(raw.get("FIELD_NAME") or ""), {}


UKRAINIAN = frozenset("іїєґІЇЄҐ")


def _account_language(a: _Answers) -> str:
    """The account's language, from the names of its pipelines and stages (crm.status.list
    and crm.category.list answer in the account's language): `ua` for Ukrainian letters,
    `ru` for other Cyrillic, else `en`."""
    text = " ".join([s.name for s in a.stages] + [c[1] for c in a.categories])
    if any(ch in UKRAINIAN for ch in text):
        return "ua"
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    return "en"


def _in_language(texts: dict[str, str], lang: str) -> tuple[str, str]:
    """(language, label): the account's language first, then the other of Russian and
    Ukrainian for a Cyrillic account, English, and the rest by name."""
    near = {"ua": ("ua", "ru", "en"), "ru": ("ru", "ua", "en")}.get(lang, (lang, "en"))
    for k in (*near, *sorted(texts)):
        if k in texts:
            return k, texts[k]
    raise KeyError(lang)


def _found(data: JSON) -> str:
    """What a file that is not a Bitrix24 answer holds, in words."""
    if isinstance(data, dict):
        keys = ", ".join(f"`{k}`" for k in list(data)[:3])
        return f"an object with {keys}" if keys else "an empty object"
    return describe(data)


def _take(data: JSON, file: str, where: str, into: _Answers) -> None:
    """Recognise one answer by its shape and read it into `into`."""
    if not isinstance(data, dict) or "result" not in data:
        raise JsonProblem(file, where or "the top level", "expected a Bitrix24 answer: an "
                          f"object with `result`, found {_found(data)}",
                          another_kind(data, "bitrix24") or
                          "save the JSON of crm.category.list, crm.status.list or "
                          "crm.deal.userfield.list as Bitrix24 sent it")
    result = data["result"]
    at = f"{where}.result" if where else "result"
    if not where:  # the answer itself; a batch's parts are only `result`
        into.keys(data, file, where, ANSWER_KEYS)
    if isinstance(result, dict) and "categories" in result:
        into.keys(result, file, at, frozenset({"categories"}))
        items = result["categories"]
        if not isinstance(items, list):
            raise JsonProblem(file, f"{at}.categories", f"expected an array, found {describe(items)}")
        for i, raw in enumerate(items):
            p = f"{at}.categories[{i}]"
            if not isinstance(raw, dict):
                raise JsonProblem(file, p, f"expected an object, found {describe(raw)}")
            into.keys(raw, file, p, CATEGORY_KEYS)
            into.categories.append((_int(raw, "id", file, p), _str(raw, "name", file, p),
                                    _int(raw, "sort", file, p, 500),
                                    raw.get("isDefault") == "Y"))
        return
    if isinstance(result, dict) and isinstance(result.get("result"), (dict, list)):
        into.keys(result, file, at, BATCH_KEYS)
        inner = result["result"]
        for key, value in (inner.items() if isinstance(inner, dict) else []):
            _take({"result": value}, file, f"{at}.result.{key}", into)
        return
    if not isinstance(result, list):
        raise JsonProblem(file, at, "expected an array (crm.status.list, "
                          "crm.*.userfield.list) or an object with `categories`, found "
                          f"{describe(result)}")
    for i, raw in enumerate(result):
        p = f"{at}[{i}]"
        if not isinstance(raw, dict):
            raise JsonProblem(file, p, f"expected an object, found {describe(raw)}")
        if "STATUS_ID" in raw:
            entity = _str(raw, "ENTITY_ID", file, p)
            if not entity.startswith("DEAL_STAGE"):
                continue
            into.keys(raw, file, p, STATUS_KEYS)
            extra = raw.get("EXTRA")
            if isinstance(extra, dict):
                into.keys(extra, file, f"{p}.EXTRA", EXTRA_KEYS)
            words = extra.get("SEMANTICS") if isinstance(extra, dict) else None
            sem = raw.get("SEMANTICS")
            semantics = ("S" if sem == "S" or words == "success" else
                         "F" if sem == "F" or words in ("failure", "apology") else "")
            into.stages.append(_Stage(entity, _str(raw, "STATUS_ID", file, p),
                                      _str(raw, "NAME", file, p),
                                      _int(raw, "SORT", file, p, 10), semantics,
                                      str(raw.get("COLOR") or "")))
        elif "USER_TYPE_ID" in raw:
            ent = ENTITY_OF.get(str(raw.get("ENTITY_ID")))
            if ent is None:
                continue
            into.keys(raw, file, p, USERFIELD_KEYS)
            values: list[tuple[int, str]] = []
            items = raw.get("LIST") or []
            if not isinstance(items, list):
                raise JsonProblem(file, f"{p}.LIST", f"expected an array, found {describe(items)}")
            for k, item in enumerate(items):
                if not isinstance(item, dict):
                    raise JsonProblem(file, f"{p}.LIST[{k}]", f"expected an object, found {describe(item)}")
                into.keys(item, file, f"{p}.LIST[{k}]", LIST_ITEM_KEYS)
                values.append((_int(item, "SORT", file, f"{p}.LIST[{k}]", 0),
                               _str(item, "VALUE", file, f"{p}.LIST[{k}]")))
            label, labels = _label(raw)
            code = str(raw.get("FIELD_NAME") or "")
            unlabelled = ("" if labels or any(isinstance(raw.get(k), str) and str(raw[k]).strip()
                                              for k in LABEL_KEYS) else
                          "absent" if not any(k in raw for k in LABEL_KEYS) else "blank")
            into.fields.append(_Field(ent, label, _str(raw, "USER_TYPE_ID", file, p),
                                      raw.get("MULTIPLE") == "Y", raw.get("MANDATORY") == "Y",
                                      values, labels, code, unlabelled))
        else:
            raise JsonProblem(file, p, "neither a stage (STATUS_ID) nor a user field "
                              "(USER_TYPE_ID)")


def _build(a: _Answers, path: str) -> Imported:
    notes: list[str] = []
    cats = {cid: (name, sort, default) for cid, name, sort, default in a.categories}
    if 0 not in cats and any(s.entity == "DEAL_STAGE" for s in a.stages):
        cats[0] = ("Сделки", 0, True)
        notes.append("the default pipeline's name was not in the answers: called «Сделки»")
    for cid in sorted({int(s.entity.removeprefix("DEAL_STAGE_")) for s in a.stages
                       if s.entity.removeprefix("DEAL_STAGE_").isdigit()} - set(cats)):
        cats[cid] = (f"Воронка {cid}", 1_000_000 + cid, False)
        notes.append(f"the name of pipeline {cid} (DEAL_STAGE_{cid}) was not in the answers: "
                     f"called «Воронка {cid}» (give crm.category.list's answer, entityTypeId 2)")
    order = sorted(cats, key=lambda c: (not (c == 0 or cats[c][2]), cats[c][1], c))
    taken: set[str] = set()
    layout: list[tuple[str, bool, list[_Stage]]] = []
    reasons: list[str] = []
    system_names: dict[tuple[str, str], list[str]] = {}
    """(WON or LOSE, its name) → pipelines where it is called that."""
    for cid in order:
        name = _unique(_named(cats[cid][0]), taken)
        if name != cats[cid][0]:
            notes.append(f"pipeline «{escape_invisible(cats[cid][0])}» is called «{name}» here "
                         "(names must be unique and on one line)")
        entity = "DEAL_STAGE" if cid == 0 else f"DEAL_STAGE_{cid}"
        stages = sorted((s for s in a.stages if s.entity == entity), key=lambda s: s.sort)
        for s in stages:
            if s.semantics == "F" and not s.status_id.endswith("LOSE"):
                reason = _one_line(s.name)
                if reason and reason not in reasons:
                    reasons.append(reason)
            elif s.semantics == "S" or s.status_id.endswith("LOSE"):
                system = "WON" if s.semantics == "S" else "LOSE"
                system_names.setdefault((system, s.name), []).append(name)
        if not stages:  # every pipeline has NEW, WON and LOSE: its answer was not given
            notes.append(f"pipeline «{name}» has no stages in the answers: give crm.status.list "
                         f"for ENTITY_ID {entity}")
        layout.append((name, cid == 0 or cats[cid][2], [s for s in stages if s.semantics == ""]))
    for (system, system_name), where in sorted(system_names.items(),
                                               key=lambda item: item[0][0] != "WON"):
        outcome = "won" if system == "WON" else "lost"
        place = ("every pipeline" if len(where) == len(order)
                 else ", ".join(f"«{p}»" for p in where))
        notes.append(f"{outcome} stage {system} is «{escape_invisible(system_name)}» in {place}")
    fields: list[m.CardField] = []
    mandatory: list[m.Name] = []
    ftaken: set[str] = set()
    lang = _account_language(a)
    other_language: list[str] = []
    for f in a.fields:
        if f.labels:
            took, f.label = _in_language(f.labels, lang)
            if took != lang:
                other_language.append(f"{f.code or f.label}: «{escape_invisible(f.label)}» ({took})")
    if other_language:
        notes.append(f"fields without a label in the account's language ({lang}, the language "
                     "of its stage names), named in another: " + ", ".join(other_language))
    for why, hint in (("absent", "crm.*.userfield.list gives the labels only when filtered by "
                       f"LANG: save it with {{\"filter\": {{\"LANG\": \"{lang}\"}}}}"),
                      ("blank", "none is written in the languages the list was asked in")):
        codes = [f.code for f in a.fields if f.unlabelled == why]
        if codes:
            notes.append(f"fields without a label in the answers, named by their codes ({hint}): "
                         + ", ".join(codes))
    for f in a.fields:
        fname = _unique(_named(f.label), ftaken, f.entity.value)
        if fname != f.label:
            notes.append(f"{f.entity.value} field «{escape_invisible(f.label)}» is called "
                         f"«{fname}» here (field names must be unique across entities)")
        if f.user_type == "enumeration":
            vals = option_values([v for _, v in sorted(f.values)], fname, notes)
            ftype = m.FieldType(span=NOWHERE, kind="multi" if f.multiple else "enum",
                                values=vals)
            if not vals:
                ftype = m.FieldType(span=NOWHERE, kind="text")
                notes.append(f"field «{fname}» (enumeration) has no values: imported as text")
        else:
            kind = USER_TYPE_KINDS.get(f.user_type)
            if kind is None:
                notes.append(f"field «{fname}» ({f.user_type}) imported as text: the language "
                             "has no such type")
            ftype = m.FieldType(span=NOWHERE, kind=kind or "text")
        fields.append(m.CardField(span=NOWHERE, name=_name(fname), type=ftype, entity=f.entity,
                                  entity_explicit=f.entity is not m.Entity.deal))
        if f.mandatory:
            mandatory.append(_name(fname))
    pipes: list[m.Pipeline] = []
    count = 0
    for name, main, stages in layout:
        snames: set[str] = set()
        out: list[m.Stage] = []
        for k, s in enumerate(stages):
            color = normal_color(s.color) if s.color else None
            stage_name = _unique(_named(s.name), snames)
            if stage_name != s.name:
                notes.append(f"«{name}»: stage «{escape_invisible(s.name)}» is called "
                             f"«{stage_name}» here")
            if s.color and color is None:
                notes.append(f"«{name}»: stage «{stage_name}»: colour {s.color!r} is no "
                             "#rrggbb colour: left out")
            out.append(m.Stage(span=NOWHERE, name=_name(stage_name),
                               color=_name(color) if color else None,
                               requires=tuple(mandatory) if k == 0 else ()))
        count += len(out)
        pipes.append(m.Pipeline(span=NOWHERE, name=_name(name), main=main, stages=tuple(out)))
    notes.append(builtin_fields_note(BUILTIN_MULTIFIELDS, " (crm.multifield: no answer read "
                                     "here lists them)"))
    funnel = m.FunnelFile(span=NOWHERE, path=path, fields=tuple(fields), pipelines=tuple(pipes))
    unknown = [u for file, paths in a.unknown.items() for u in group_unknown(file, paths)]
    return Imported(funnel, notes, count, [], reasons, unknown)


HEADER = """\
Imported from Bitrix24 by `funnelc import --from bitrix24`.
Bitrix24's answers hold no routing (moves between stages, shares, SLAs, teams, sources,
robots), so every stage below is a parking stage: `funnelc check` reports each as never
reached (FN215) and each pipeline as having no way to won (FN216) until sources and
outcomes are written. Lint findings about names, fields and colours apply as they are."""

LOSS_HEADER = """\
Lost stages in Bitrix24 (failure stages besides LOSE; an outcome names one as
`-> lost "reason" 20%` where such deals are lost):"""


def render(imported: Imported) -> str:
    from ..fmt import format_model

    lines = HEADER.splitlines() + _wrap(not_held_line("bitrix24"))
    notes = [*imported.header, *filter(None, [kinds_note("bitrix24", imported.funnel.fields)])]
    if notes:
        lines += ["", "Notes:"] + [f"- {_one_line(n)}" for n in notes]
    if imported.loss_reasons:
        lines += ["", *LOSS_HEADER.splitlines()] + [f"- {r}" for r in imported.loss_reasons]
    return "\n".join(f"# {line}".rstrip() for line in lines) + "\n\n" + format_model(imported.funnel)


def import_answers(answers: dict[str, JSON], out_path: str = "imported.funnel"
                   ) -> tuple[str, Imported]:
    """From answers already in memory (what `apply`'s read keeps), by request name."""
    into = _Answers()
    for name, data in answers.items():
        _take(data, f"<{name}>", "", into)
    imported = _build(into, out_path)
    return render(imported), imported


def import_files(paths: tuple[str, ...], out_path: str = "imported.funnel") -> tuple[str, Imported]:
    """From saved answers (`JsonProblem` naming the file and place of a bad one)."""
    into = _Answers()
    for path in paths:
        _take(read_json(path), path, "", into)
    if not into.categories and not into.stages:
        raise JsonProblem(paths[0] if paths else "<none>", "", "no deal pipelines or stages "
                          "in the answers", "give the answers of crm.category.list "
                          "(entityTypeId 2) and crm.status.list")
    imported = _build(into, out_path)
    return render(imported), imported
