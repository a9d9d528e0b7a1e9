"""`funnelc import --from salesforce DIR|ZIP|FILE…`: an org's opportunity metadata → funnel
text, so a consultant who inherits a Salesforce org can check and simulate its pipelines.

Input: what `sf project retrieve start` writes (`salesforce_xml` reads it), in source
format or Metadata API format, folder or zip:

* `standardValueSets/OpportunityStage.standardValueSet[-meta.xml]` (required): the org's
  one list of opportunity stages, each `StandardValue` with `fullName`, `label`, `closed`,
  `won`, `probability` (0–100), `forecastCategory`, `isActive`;
* the sales processes, `BusinessProcess` (`objects/Opportunity/businessProcesses/
  NAME.businessProcess-meta.xml`, or `<businessProcesses>` in `objects/Opportunity.object`):
  `fullName`, `description`, `isActive`, and `values` naming the stages each uses;
* record types (`recordTypes/…recordType-meta.xml`, or `<recordTypes>`): which sales
  process each applies (`businessProcess`), for the notes;
* custom fields of Opportunity, Contact and Account (`fields/NAME__c.field-meta.xml`, or
  `<fields>`): `label`, `type`, `scale`, `formula`, picklist values (`valueSet`'s
  `valueSetDefinition`, a global value set `globalValueSets/NAME.globalValueSet[-meta.xml]`
  by `valueSetName`, or the pre-38.0 `picklist`);
* `package.xml`, whose `BusinessProcess` members give the sales processes' order;
* or, instead of a retrieve, saved REST answers (`salesforce_rest`): the OpportunityStage
  query for the stages and the describe of Opportunity, Contact or Account for the fields.

Sources of the format: the Metadata API reference pages StandardValueSet, BusinessProcess,
RecordType and CustomField (developer.salesforce.com, api_meta), the research note
`crm-formats.md` §5 and §9 (jsforce's `schema.ts`, built from the metadata WSDL), and
funnelc's own export (`export/salesforce.py`), which writes the same files.

What comes over: one pipeline per active sales process (none: one pipeline «Opportunity»
of every active stage, as an org without sales processes has it), named by its
`fullName` (percent-decoded: a retrieve writes `Growth%2FExpansion`), or by its
description when that is the name written out (funnelc's export writes a pipeline's name
there and its transliteration as the process name); its open values as stages, in
OpportunityStage's order (Salesforce shows a process's stages in the order of the one
stage picklist; a retrieve lists a process's values by name, some characters
percent-encoded: `Alignment in Progress %28PC%29`); the custom fields with their kinds and
active picklist values, a deal field `required` on every opportunity as `requires` of each
pipeline's first stage. Noted in the header: the won values, each stage's probability and
forecast category (Salesforce's own forecast, not the share of a way out, which is all a
funnel's figure can be), labels other than the API name (of stages and of picklist
values), record types, inactive values and processes, values no active process uses,
dependent picklists, required contact and account fields, and field types the language
keeps as another.
The closed values that are not won are the org's loss reasons (Salesforce keeps a reason
as a closed stage), listed in the header. As for every CRM, no routing comes over: every
stage is a parking stage and the header says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import unquote

from .. import model as m
from ..names import code_stem
from .amocrm import Imported
from .builtins import builtin_fields_note
from .crm_answers import Field, Kind, Pipeline, Stage, build, render
from .json_input import JsonProblem, another_kind, read_json
from .salesforce_rest import read_answer
from .salesforce_xml import Elem, Source, collect, parse_xml

__all__ = ["import_files", "import_answers", "HEADER", "LOSS_HEADER", "DEFAULT_PIPELINE"]

HEADER = """\
Imported from Salesforce by `funnelc import --from salesforce`.
Salesforce stores no routing (moves between stages, shares, SLAs, teams, sources), so every
stage below is a parking stage: `funnelc check` reports each as never reached (FN215) and
each pipeline as having no way to won (FN216) until sources and outcomes are written."""

LOSS_HEADER = """\
Closed stages that are not won (Salesforce keeps a loss reason as a closed stage; an
outcome names one as `-> lost "reason" 20%` where such deals are lost):"""

DEFAULT_PIPELINE = "Opportunity"
"""The pipeline of an org without sales processes: every active stage, as its users see."""

ENTITIES = {"Opportunity": m.Entity.deal, "Contact": m.Entity.contact,
            "Account": m.Entity.company}
TYPES: dict[str, Kind] = {
    "Checkbox": "bool", "Currency": "money", "Date": "date", "DateTime": "date",
    "Email": "email", "Number": "number", "Percent": "number", "Phone": "phone",
    "Picklist": "enum", "MultiselectPicklist": "multi", "Text": "text", "TextArea": "text",
    "LongTextArea": "text", "Html": "text", "EncryptedText": "text", "Url": "url",
}
"""CustomField `type` → the field kind (the CustomField reference's FieldType values);
any other type (Lookup, AutoNumber, Time, Location …) is text, noted."""
NOTED_TYPES = {"DateTime": "a date here, the time of day left out",
               "Percent": "a number here, the percent sign left out",
               "Html": "text here, the formatting left out",
               "EncryptedText": "text here, shown masked in Salesforce"}
COMPUTED_TYPES = {"Summary": "a roll-up summary", "AutoNumber": "an auto-number"}
STANDARD_BUILTIN = [("contact", "Phone"), ("contact", "Email"), ("company", "Phone")]
"""Contact.Phone, Contact.Email, Account.Phone: standard fields of every org, which the
export maps a funnel's first contact phone and email and first company phone to."""
MAX_NAME = 40
T = TypeVar("T")


@dataclass
class StageValue:
    name: str
    label: str
    closed: bool
    won: bool
    probability: int | None
    forecast: str | None
    active: bool
    elem: Elem
    description: str = ""


@dataclass
class Process:
    name: str
    description: str
    active: bool
    values: list[tuple[str, Elem]]
    file: str


Option = tuple[str, str, bool]
"""A picklist value: (API name, what records hold; label, what users see; active)."""


@dataclass
class SfField:
    api: str
    label: str
    type: str
    entity: m.Entity
    values: list[Option]
    value_set: str | None
    formula: bool
    scale: int | None
    required: bool = False
    """Required on every record (CustomField `required`; a describe's custom field that
    is not `nillable`, a checkbox aside)."""
    controlling: str | None = None
    """The field a dependent picklist's values depend on (`controllingField`)."""


@dataclass
class _Read:
    """Everything read from the files, with the file each came from."""

    stages: list[StageValue] = field(default_factory=list)
    stages_file: str = ""
    processes: list[Process] = field(default_factory=list)
    record_types: list[tuple[str, str | None, bool]] = field(default_factory=list)
    """(label, the sales process it applies, active)."""
    fields: list[SfField] = field(default_factory=list)
    value_sets: dict[str, list[Option]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    """package.xml's BusinessProcess members, `Opportunity.` left off."""
    translations: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Language (`ru`, `uk` …) → (stage label, its translation) of the Translation
    Workbench's OpportunityStage-LANG StandardValueSetTranslation."""
    field_translations: dict[str, dict[tuple[m.Entity, str], tuple[str, list[tuple[str, str]]]]] \
        = field(default_factory=dict)
    """Language → (entity, field API name) → (its label translated, [(picklist value
    label, its translation)]) of the CustomObjectTranslation of Opportunity, Contact and
    Account."""


class _Doc:
    """One parsed file: typed reads of its elements that fail naming file, line, path."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.file = source.file
        self.root = parse_xml(source.file, source.data)

    def fail(self, elem: Elem, message: str, hint: str | None = None) -> JsonProblem:
        return JsonProblem(self.file, f"line {elem.line}: {elem.path}", message, hint)

    def expect_root(self, *tags: str) -> Elem:
        if self.root.tag not in tags:
            raise self.fail(self.root, f"expected <{tags[0]}> as the root element, found "
                            f"<{self.root.tag}>", "is this the right file?")
        return self.root

    def text(self, parent: Elem, tag: str, *, required: bool = False) -> str | None:
        elem = parent.first(tag)
        if elem is None:
            if required:
                raise self.fail(parent, f"missing <{tag}>")
            return None
        if elem.children:
            raise self.fail(elem, f"expected text, found <{elem.children[0].tag}>")
        return elem.text

    def boolean(self, parent: Elem, tag: str, default: bool) -> bool:
        value = self.text(parent, tag)
        if value is None:
            return default
        if value not in ("true", "false"):
            elem = parent.first(tag)
            assert elem is not None
            raise self.fail(elem, f"expected true or false, found {value!r}")
        return value == "true"

    def number(self, parent: Elem, tag: str) -> float | None:
        value = self.text(parent, tag)
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            elem = parent.first(tag)
            assert elem is not None
            raise self.fail(elem, f"expected a number, found {value!r}")
        return number


# ---------------------------------------------------------------- reading the files

def _stage_values(doc: _Doc, out: _Read) -> None:
    root = doc.expect_root("StandardValueSet")
    if out.stages_file:
        raise doc.fail(root, f"a second OpportunityStage value set (the first: {out.stages_file})",
                       "give the metadata of one org")
    out.stages_file = doc.file
    seen: dict[str, Elem] = {}
    for value in root.all("standardValue"):
        name = doc.text(value, "fullName", required=True) or ""
        full = value.first("fullName")
        assert full is not None
        if name in seen:
            raise doc.fail(full, f"stage value {name!r} is listed twice (first on line "
                           f"{seen[name].line})")
        seen[name] = full
        probability = doc.number(value, "probability")
        if probability is not None and not 0 <= probability <= 100:
            elem = value.first("probability")
            assert elem is not None
            raise doc.fail(elem, f"a probability is a percent from 0 to 100, found {probability:g}")
        out.stages.append(StageValue(
            name=name, label=doc.text(value, "label") or name,
            closed=doc.boolean(value, "closed", False), won=doc.boolean(value, "won", False),
            probability=None if probability is None else round(probability),
            forecast=doc.text(value, "forecastCategory"),
            active=doc.boolean(value, "isActive", True), elem=value,
            description=doc.text(value, "description") or ""))


def _process(doc: _Doc, elem: Elem, stem: str, out: _Read) -> None:
    name = doc.text(elem, "fullName", required=not stem) or stem
    name = unquote(name.removeprefix("Opportunity."))  # `Growth%2FExpansion`: Growth/Expansion
    values = []
    for value in elem.all("values"):
        doc.text(value, "fullName", required=True)
        full = value.first("fullName")
        assert full is not None
        values.append((full.text, full))
    out.processes.append(Process(name, doc.text(elem, "description") or "",
                                 doc.boolean(elem, "isActive", True), values, doc.file))


def _record_type(doc: _Doc, elem: Elem, stem: str, out: _Read) -> None:
    name = doc.text(elem, "fullName", required=not stem) or stem
    label = doc.text(elem, "label") or name.removeprefix("Opportunity.")
    process = doc.text(elem, "businessProcess")
    out.record_types.append((label, unquote(process.removeprefix("Opportunity.")) if process
                             else None,
                             doc.boolean(elem, "active", True)))


def _option(doc: _Doc, value: Elem) -> Option:
    api = doc.text(value, "fullName", required=True) or ""
    return api, doc.text(value, "label") or api, doc.boolean(value, "isActive", True)


def _picklist(doc: _Doc, elem: Elem) -> tuple[list[Option], str | None, str | None]:
    """A field's picklist values, or the global value set named, and the controlling
    field of a dependent picklist."""
    values: list[Option] = []
    value_set = elem.first("valueSet")
    controlling = None
    if value_set is not None:
        controlling = doc.text(value_set, "controllingField")
        named = doc.text(value_set, "valueSetName")
        if named:
            return [], named, controlling
        definition = value_set.first("valueSetDefinition")
        values += [_option(doc, value)
                   for value in (definition.all("value") if definition is not None else [])]
    legacy = elem.first("picklist")
    if legacy is not None:
        controlling = controlling or doc.text(legacy, "controllingField")
        values += [_option(doc, value) for value in legacy.all("picklistValues")]
    return values, None, controlling


def _field(doc: _Doc, elem: Elem, stem: str, obj: str, out: _Read) -> None:
    api = doc.text(elem, "fullName", required=not stem) or stem
    api = api.removeprefix(f"{obj}.")
    ftype = doc.text(elem, "type")
    if ftype is None:
        if api.endswith("__c"):
            raise doc.fail(elem, "missing <type>")
        return  # a standard field's file may hold only its settings (history tracking …)
    scale = doc.number(elem, "scale")
    values, value_set, controlling = _picklist(doc, elem)
    out.fields.append(SfField(api, doc.text(elem, "label") or api, ftype, ENTITIES[obj],
                              values, value_set, elem.first("formula") is not None,
                              None if scale is None else int(scale),
                              doc.boolean(elem, "required", False), controlling))


def _object(doc: _Doc, obj: str, out: _Read) -> None:
    root = doc.expect_root("CustomObject")
    for child in root.children:
        if child.tag == "businessProcesses" and obj == "Opportunity":
            _process(doc, child, "", out)
        elif child.tag == "recordTypes" and obj == "Opportunity":
            _record_type(doc, child, "", out)
        elif child.tag == "fields":
            _field(doc, child, "", obj, out)


def _global_value_set(doc: _Doc, stem: str, out: _Read) -> None:
    root = doc.expect_root("GlobalValueSet")
    out.value_sets[doc.text(root, "fullName") or stem] = [
        _option(doc, v) for v in root.all("customValue")]


def _package(doc: _Doc, out: _Read) -> None:
    root = doc.expect_root("Package")
    for types in root.all("types"):
        if doc.text(types, "name") == "BusinessProcess":
            out.order += [unquote((member.text or "").removeprefix("Opportunity."))
                          for member in types.all("members")]


def _stage_translation(doc: _Doc, stem: str, out: _Read) -> None:
    """`OpportunityStage-ru.standardValueSetTranslation-meta.xml`: what users of another
    language see for each stage (`valueTranslation{masterLabel, translation}`; a value not
    translated has an empty `translation`, a comment in it)."""
    root = doc.expect_root("StandardValueSetTranslation")
    pairs = [(doc.text(v, "masterLabel") or "", doc.text(v, "translation") or "")
             for v in root.all("valueTranslation")]
    out.translations[stem] = [(label, text) for label, text in pairs if label and text]


def _field_translation(doc: _Doc, elem: Elem, obj: str, lang: str, out: _Read) -> None:
    """One CustomFieldTranslation (`name`, `label`, `picklistValues{masterLabel,
    translation}`); an untranslated label or value is empty (a comment in it)."""
    name = doc.text(elem, "name") or ""
    values = [(doc.text(v, "masterLabel") or "", doc.text(v, "translation") or "")
              for v in elem.all("picklistValues")]
    label = doc.text(elem, "label") or ""
    values = [(master, text) for master, text in values if master and text]
    if name and (label or values):
        out.field_translations.setdefault(lang, {})[(ENTITIES[obj], name)] = (label, values)


def _object_translation(doc: _Doc, obj: str, lang: str, out: _Read) -> None:
    """The Metadata API format's `objectTranslations/Opportunity-ru.objectTranslation`:
    its `fields` are CustomFieldTranslations."""
    root = doc.expect_root("CustomObjectTranslation")
    for elem in root.all("fields"):
        _field_translation(doc, elem, obj, lang, out)


def read(sources: list[Source]) -> _Read:
    out = _Read()
    readers: dict[str, Callable[[_Doc, Source], None]] = {
        "stages": lambda d, s: _stage_values(d, out),
        "process": lambda d, s: _process(d, d.expect_root("BusinessProcess"), s.stem, out),
        "record_type": lambda d, s: _record_type(d, d.expect_root("RecordType"), s.stem, out),
        "field": lambda d, s: _field(d, d.expect_root("CustomField"), s.stem, s.object, out),
        "object": lambda d, s: _object(d, s.object, out),
        "value_set": lambda d, s: _global_value_set(d, s.stem, out),
        "package": lambda d, s: _package(d, out),
        "stage_translation": lambda d, s: _stage_translation(d, s.stem, out),
        "field_translation": lambda d, s: _field_translation(
            d, d.expect_root("CustomFieldTranslation"), s.object, s.stem, out),
        "object_translation": lambda d, s: _object_translation(d, s.object, s.stem, out),
    }
    for source in sources:
        if source.kind == "json":
            _rest(source.file, out)
        else:
            readers[source.kind](_Doc(source), source)
    return out


def _rest(file: str, out: _Read) -> None:
    """A saved REST answer: the OpportunityStage query or a describe (salesforce_rest)."""
    data = read_json(file)
    if not read_answer(file, data, out):
        raise JsonProblem(file, "", "is neither the OpportunityStage query nor the describe "
                          "of Opportunity, Contact or Account", another_kind(data, "salesforce")
                          or "save `GET …/query?q=SELECT ApiName, MasterLabel, IsActive, "
                          "IsClosed, IsWon, DefaultProbability, ForecastCategoryName, SortOrder "
                          "FROM OpportunityStage` and `GET …/sobjects/Opportunity/describe` as "
                          "Salesforce sent them, or give the retrieved metadata")


# ---------------------------------------------------------------- building the funnel

def _written_out(process: str, description: str) -> bool:
    """Whether a sales process's description is its name written out: the process name is
    the description transliterated as funnelc's export makes it (Russian or Ukrainian
    rules, `P_` before a leading digit, at most 40 characters, `_2` … when taken)."""
    if not description or "\n" in description or len(description) > 255:
        return False
    for lang in ("ru", "uk"):
        stem = code_stem(description, lang)
        if stem and not stem[0].isalpha():
            stem = "P_" + stem
        if process.casefold() == stem[:MAX_NAME].rstrip("_").casefold():
            return True
        suffix = re.fullmatch(r".*(_\d+)", process)
        if suffix and process.casefold() == (
                stem[: MAX_NAME - len(suffix[1])].rstrip("_") + suffix[1]).casefold():
            return True
    return False


def _ordered(read_: _Read) -> list[Process]:
    """The sales processes in package.xml's order, those it does not list after them in
    the order read (a folder's files by name, an object file's elements as written)."""
    rank = {name: k for k, name in enumerate(read_.order)}
    return sorted(read_.processes, key=lambda p: rank.get(p.name, len(rank)))


def _quoted(names: list[str]) -> str:
    return ", ".join(f"«{n}»" for n in names)


def _value_of(values: dict[str, StageValue], name: str) -> StageValue | None:
    """The stage value a sales process names: as written, else percent-decoded (a
    retrieve writes `Alignment in Progress %28PC%29` in BusinessProcess for the value
    set's `Alignment in Progress (PC)`)."""
    return values.get(name) or values.get(unquote(name))


def _in_value_set_order(process: Process, values: dict[str, StageValue],
                        rank: dict[str, int], stages_file: str
                        ) -> tuple[list[StageValue], bool]:
    """The values a sales process uses, in OpportunityStage's order (Salesforce shows a
    process's stages in the order of the one stage picklist; a retrieve lists them by
    name), and whether the process lists them in another order that is not by name."""
    used: list[StageValue] = []
    for value_name, elem in process.values:
        value = _value_of(values, value_name)
        if value is None:
            raise JsonProblem(
                process.file, f"line {elem.line}: {elem.path}",
                f"stage {value_name!r} is not a value of OpportunityStage ({stages_file})",
                "retrieve the value set and the sales processes from the same org, "
                "at the same time")
        if value not in used:
            used.append(value)
    ordered = sorted(used, key=lambda v: rank[v.name])
    by_name = sorted(used, key=lambda v: v.name)
    return ordered, used not in (ordered, by_name)


def _pipelines(read_: _Read, notes: list[str]) -> tuple[list[Pipeline], list[str]]:
    values = {v.name: v for v in read_.stages}
    rank = {v.name: k for k, v in enumerate(read_.stages)}
    processes = _ordered(read_)
    inactive = [p.name for p in processes if not p.active]
    if inactive:
        notes.append("inactive sales processes left out: " + _quoted(inactive))
    active = [p for p in processes if p.active]
    if not active:
        active = [Process(DEFAULT_PIPELINE, "", True,
                          [(v.name, v.elem) for v in read_.stages], read_.stages_file)]
        rest = (" (the REST answers hold none: retrieve the BusinessProcess metadata for the "
                "org's sales processes)" if read_.stages_file.lower().endswith(".json") else "")
        notes.append(f"no sales process given{rest}: every active stage is one pipeline, "
                     f"«{DEFAULT_PIPELINE}», as an org without sales processes has them")
    won: dict[str, list[str]] = {}
    lost: list[str] = []
    left_out: dict[str, None] = {}
    forecast: dict[str, str] = {}
    labels: dict[str, str] = {}
    pipelines: list[Pipeline] = []
    written_out: list[str] = []
    reordered: list[str] = []
    used: set[str] = set()
    joined: dict[str, None] = {}
    for process in active:
        name = process.name
        if _written_out(process.name, process.description):
            name = process.description
            written_out.append(f"«{process.name}» → «{name}»")
        elif process.description and process.description != process.name:
            notes.append(f"sales process «{process.name}»: description «{process.description}»")
        stages: list[Stage] = []
        ordered, moved = _in_value_set_order(process, values, rank, read_.stages_file)
        if moved:
            reordered.append(f"«{name}»")
        for value in ordered:
            used.add(value.name)
            if value.active and value.label != value.name:
                labels[value.name] = value.label
            if not value.active:
                left_out[value.name] = None
            elif value.closed and value.won:
                won.setdefault(value.name, []).append(name)
            elif value.closed:
                if value.name not in lost:
                    lost.append(value.name)
            else:
                stages.append(Stage(value.name, hint=value.description or None))
                if value.description and "\n" in value.description.strip():
                    joined[value.name] = None
                forecast[value.name] = (f"«{value.name}» "
                                        f"{'?' if value.probability is None else value.probability}%"
                                        + (f" {value.forecast}" if value.forecast else ""))
        pipelines.append(Pipeline(name, stages, main=not pipelines))
    if reordered:
        notes.append("stages of " + ", ".join(reordered) + " in OpportunityStage's order, "
                     "as Salesforce shows a sales process's stages (the files list them "
                     "otherwise)")
    if written_out:
        notes.append("sales processes named by their description, the name written out (the "
                     "process name is its transliteration, as funnelc's export writes it): "
                     + ", ".join(written_out))
    if pipelines and read_.processes:
        how = ("in package.xml's order" if any(p.name in read_.order for p in active)
               else "as the files list them")
        notes.append(f"Salesforce has no main pipeline: «{pipelines[0].name}», the first sales "
                     f"process {how}, is main here")
    for value_name, where in won.items():
        place = "every pipeline" if len(where) == len(pipelines) else _quoted(where)
        notes.append(f"closed won «{value_name}» in {place}")
    if forecast:
        notes.append("probability and forecast category of each stage (Salesforce's forecast "
                     "for a deal at the stage, not a share of its ways out; funnelc's export "
                     "writes the exact win probability, and BestCase for a `key` stage): "
                     + ", ".join(forecast.values()))
    if labels:
        notes.append("stages, won and lost values named by their API value (what "
                     "OpportunityHistory's StageName holds), labelled otherwise in Salesforce: "
                     + ", ".join(f"«{k}» (label «{v}»)" for k, v in labels.items()))
    if joined:
        notes.append("stages whose description (the hint here) had line breaks, joined (a "
                     "hint is one line): " + _quoted(list(joined)))
    if left_out:
        notes.append("inactive stages left out: " + _quoted(list(left_out)))
    for lang, pairs in sorted(read_.translations.items()):
        if pairs:
            notes.append(f"stage labels translated for {lang} users (Translation Workbench), "
                         "not imported: the stages keep their API names: "
                         + ", ".join(f"«{label}» → «{text}»" for label, text in pairs))
    unused = [v for v in read_.stages if v.active and v.name not in used]
    if unused:
        notes.append("stages of OpportunityStage in no active sales process left out: "
                     + ", ".join(f"«{v.name}»" + (" (closed won)" if v.closed and v.won else
                                                 " (closed)" if v.closed else "")
                                 for v in unused))
    return pipelines, lost


def _record_types(read_: _Read, pipelines: list[Pipeline], names: dict[str, str],
                  notes: list[str]) -> None:
    if not read_.record_types:
        return
    used = []
    for label, process, active in read_.record_types:
        if not active:
            continue
        if process is None:
            used.append(f"«{label}» (no sales process)")
        elif process in names:
            used.append(f"«{label}» → «{names[process]}»")
        else:
            used.append(f"«{label}» → sales process «{process}», not in the metadata given")
    if used:
        notes.append("record types: " + ", ".join(used))
    applied = {process for _, process, active in read_.record_types if active}
    idle = [names[p] for p in names if p not in applied]
    if idle:
        notes.append("no active record type applies " + _quoted(idle)
                     + ", so no user creates opportunities in it")


def _options(f: SfField, what: str, options: list[Option], notes: list[str]) -> list[str]:
    """The active values' labels; the inactive values and the labels that are not the
    API name (what records, reports' exports and the API hold) noted."""
    inactive = [label for _, label, active in options if not active]
    if inactive:
        notes.append(f"{what}: inactive values left out (records may still hold them): "
                     + _quoted(inactive))
    renamed = [f"«{label}» ({api})" for api, label, active in options
               if active and label != api]
    if renamed:
        notes.append(f"{what}: values named by their label; records hold the API name: "
                     + ", ".join(renamed))
    return [label for _, label, active in options if active]


def _fields(read_: _Read, notes: list[str]) -> tuple[list[Field], list[Field]]:
    """The custom fields, and the deal fields required on every opportunity."""
    out: list[Field] = []
    required: list[Field] = []
    elsewhere: list[str] = []
    standard = [f.api for f in read_.fields if not f.api.endswith("__c")]
    if standard:
        notes.append("standard fields left out (every org has them): "
                     + ", ".join(dict.fromkeys(standard)))
    order = {entity: k for k, entity in enumerate(ENTITIES.values())}
    unique = {(f.entity, f.api): f for f in reversed(read_.fields)}  # the first of each
    labels = {(f.entity, f.api): f.label for f in read_.fields}
    out_fields = sorted((f for f in read_.fields if f.api.endswith("__c")
                         and unique[(f.entity, f.api)] is f), key=lambda f: order[f.entity])
    for f in out_fields:
        kind: Kind | None = TYPES.get(f.type)
        what = f"{f.entity.value} field «{f.label}» ({f.api}, {f.type})"
        if kind is None:
            notes.append(f"{what} imported as text: the language has no such type"
                         + (f" ({COMPUTED_TYPES[f.type]}: nobody fills it in)"
                            if f.type in COMPUTED_TYPES else ""))
            kind = "text"
        elif f.type in NOTED_TYPES:
            notes.append(f"{what}: {NOTED_TYPES[f.type]}")
        if kind == "number" and f.type == "Number" and f.scale == 0:
            kind = "int"
        if f.formula:
            notes.append(f"{what} is computed by a formula: nobody fills it in")
        options = f.values
        if f.value_set is not None:
            if f.value_set in read_.value_sets:
                options = read_.value_sets[f.value_set]
            else:
                notes.append(f"{what} takes its values from the global value set "
                             f"«{f.value_set}», not in the metadata given: imported as text "
                             "(retrieve GlobalValueSet too)")
                kind, options = "text", []
        values = _options(f, what, options, notes) if kind in ("enum", "multi") else []
        if f.controlling and kind in ("enum", "multi"):
            parent = labels.get((f.entity, f.controlling), f.controlling)
            notes.append(f"{what} is a dependent picklist: which of its values Salesforce "
                         f"offers depends on «{parent}» ({f.controlling}); here every value "
                         "is offered")
        imported = Field(f.label, kind, f.entity, values)
        out.append(imported)
        if f.required and not f.formula:
            if f.entity is m.Entity.deal:
                required.append(imported)
            else:
                elsewhere.append(f"{f.entity.value} field «{f.label}» ({f.api})")
    for lang, translated in sorted(read_.field_translations.items()):
        said = []
        for f in out_fields:
            found = translated.get((f.entity, f.api))
            if found is None:
                continue
            translated_label, pairs = found
            said.append(f"{f.entity.value} field «{f.label}» ({f.api})"
                        + (f" → «{translated_label}»" if translated_label else "")
                        + (" (values: " + ", ".join(f"«{a}» → «{b}»" for a, b in pairs) + ")"
                           if pairs else ""))
        if said:
            notes.append(f"field labels translated for {lang} users (Translation Workbench), "
                         "not imported: the fields keep their labels: " + "; ".join(said))
    if required:
        notes.append("deal fields required on every opportunity (`required`), so required "
                     "at the first stage of every pipeline here: "
                     + _quoted([f.name for f in required]))
    if elsewhere:
        notes.append("required on every contact or account (not a stage's `requires`): "
                     + ", ".join(elsewhere))
    notes.append(builtin_fields_note(STANDARD_BUILTIN, " (standard fields of every org)"))
    return out, required


def import_files(paths: tuple[str, ...] | list[str], out_path: str = "imported.funnel"
                 ) -> tuple[str, Imported]:
    """Retrieved metadata (folders, zips, files) → (funnel text, what was imported);
    `JsonProblem` naming file, line and XML path for metadata funnelc cannot read."""
    sources = collect(paths)
    where = paths[0] if paths else "<metadata>"
    if not sources:
        raise JsonProblem(where, "", "holds no opportunity metadata funnelc reads",
                          "retrieve it: `sf project retrieve start --metadata "
                          "StandardValueSet:OpportunityStage --metadata "
                          "BusinessProcess --metadata RecordType --metadata CustomField`")
    read_ = read(sources)
    if not read_.stages_file:
        raise JsonProblem(where, "", "no OpportunityStage value set "
                          "(standardValueSets/OpportunityStage.standardValueSet-meta.xml): "
                          "the stages, and which of them are won and lost, are there",
                          "retrieve it too: `sf project retrieve start --metadata "
                          "StandardValueSet:OpportunityStage`")
    notes: list[str] = []
    pipelines, lost = _pipelines(read_, notes)
    names = {p.name: pipe.name for p, pipe in zip(
        [p for p in _ordered(read_) if p.active], pipelines, strict=False)}
    _record_types(read_, pipelines, names, notes)
    fields, required = _fields(read_, notes)
    for pipeline in pipelines:
        if pipeline.stages:
            pipeline.stages[0].requires = list(required)
    imported = build(pipelines, fields, out_path, notes)
    imported.loss_reasons = lost
    return render(imported, HEADER, LOSS_HEADER, "salesforce"), imported


def import_answers(answers: object, out_path: str = "imported.funnel") -> tuple[str, Imported]:
    """Salesforce is imported from retrieved metadata only (no live read)."""
    raise JsonProblem("<live>", "", "Salesforce is imported from retrieved metadata",
                      "give the folder or zip of `sf project retrieve start`")
