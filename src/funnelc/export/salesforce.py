"""`--to salesforce -o DIR`: a Metadata API folder for the account's opportunity stages
and sales processes, deployable as it is with `sf project deploy start --metadata-dir DIR`;
`--to salesforce-sfdx -o DIR`: the same metadata as an sfdx project in source format,
deployable with `sf project deploy start --source-dir force-app` (or `--manifest
manifest/package.xml`) from DIR.

Contract: research note `crm-formats.md` §5. The metadata format (what `--metadata-dir`
reads):

* `standardValueSets/OpportunityStage.standardValueSet` — the org's one list of
  opportunity stages, shared by every sales process: every stage of every pipeline
  (`fullName` = `label` = the stage name, or its `alias salesforce "…"` when the stage
  has one; one value when two pipelines have a stage of the same name), then the won value, then the lost values. Each value carries `closed`,
  `won`, `probability` (0-100: round(100 × the stage's exact win probability from
  `analysis.markov`; won 100, lost 0) and `forecastCategory` — `Pipeline` for open
  stages, `BestCase` for `key` stages (closest to money), `Closed` for won, `Omitted`
  for lost (the documented values; `Forecast` = Commit and `MostLikely` are not used).
  Won: "Closed Won" (the org default name; `ru`/`uk` accounts: "Успешно реализовано" /
  "Успішно реалізовано"). Lost: one closed, not won value per `lost "reason"` — Salesforce
  has no separate list of loss reasons, and a closed stage per reason is how sales
  processes keep them; a pipeline with no lost reason gets "Closed Lost" (or its `ru`/`uk`
  words).
* `objects/Opportunity.object` — one `<businessProcesses>` per pipeline (a sales
  process): `fullName` an API-style name (transliterated to ASCII: letters, digits and
  single underscores, starting with a letter, at most 40 characters, unique), the
  pipeline's own name in `description`, `isActive`, and `values`: its stages, the won
  value and its lost values, each `<fullName>` then `<default>false</default>`: the
  Metadata API's `PicklistValue` declares `default` as a boolean without
  `minOccurs="0"` (metadata WSDL), i.e. required, and the BusinessProcess reference's
  sample writes it in every value; no value is the default (a new opportunity's stage is
  chosen by whoever creates it).
* `objects/Opportunity.object` also holds, and `objects/Contact.object` and
  `objects/Account.object` hold, one `<fields>` per funnel field of a deal, contact or
  company (a CustomField: `fullName` `NAME__c`, NAME transliterated as a sales-process
  name and unique in its object, `label` the field's own name, `required` false, and by
  kind Text 255, Number 18.2, Currency 18.2, Number 18.0 for `int` (its range has no
  place), Date, Checkbox (default false), Phone, Email, Url, Picklist and
  MultiselectPicklist with a restricted value set of the options), except a funnel's
  first contact phone and email and first company phone: the standard Contact.Phone,
  Contact.Email and Account.Phone of every org (nothing to create).
* `package.xml` — `BusinessProcess` `Opportunity.<fullName>` members, `CustomField`
  `OBJECT.NAME__c` members and the `StandardValueSet` `OpportunityStage`, API version
  60.0; an XML comment at its top lists what the metadata cannot carry (record types,
  the fields' field-level security, required fields, SLAs, actions, `respond`,
  `patience`, and the hints, which go in the Path's guidance by hand).

The source format (`salesforce-sfdx`) holds the same XML decomposed as `sf project
retrieve` writes it: `sfdx-project.json` (one package directory, `force-app`, API
60.0), `force-app/main/default/standardValueSets/OpportunityStage.standardValueSet-meta.xml`,
one `force-app/main/default/objects/Opportunity/businessProcesses/<fullName>.businessProcess-meta.xml`
per sales process (root `BusinessProcess`, its `fullName` the process name alone), one
`force-app/main/default/objects/OBJECT/fields/NAME__c.field-meta.xml` per custom field
(root `CustomField`), and `manifest/package.xml`. No `fields/StageName.field-meta.xml`: the stage values live in
the standard value set, and a StageName file would overwrite the org's history tracking
settings of the field on deploy.

Why not a Cyrillic sales-process name: sales-process names in real metadata are label-like
(spaces occur), but nothing documents non-ASCII ones; the ASCII name deploys for sure and
the real name stays readable in the description.

Diagnostics:

FN350–FN356, defined with their meanings in `funnelc.codes` (the error-code pages of
the docs are generated from there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Label, Severity
from ..names import is_blank
from .base import ExportResult
from .crm_common import (
    CLOSED_NAMES,
    blank_name,
    builtin_fields,
    code_stem,
    language,
    lost_reasons,
    stage_by_hand,
    win_probabilities,
)

__all__ = ["EXPORTER", "EXPORTERS", "build_metadata", "build_source", "MAX_VALUE",
           "MAX_PROCESS_NAME", "API_VERSION", "VALUE_SET_PATH", "OBJECT_PATH", "PACKAGE_PATH",
           "SOURCE_ROOT", "PROJECT_PATH", "process_name", "stage_value"]

NS = "http://soap.sforce.com/2006/04/metadata"
API_VERSION = "60.0"
MAX_VALUE = 40
MAX_PROCESS_NAME = 40
MAX_DESCRIPTION = 255
VALUE_SET_PATH = "standardValueSets/OpportunityStage.standardValueSet"
OBJECT_PATH = "objects/Opportunity.object"
PACKAGE_PATH = "package.xml"
SOURCE_ROOT = "force-app/main/default"
PROJECT_PATH = "sfdx-project.json"
DEFAULT_CLOSED = ("Closed Won", "Closed Lost")


@dataclass
class _Value:
    name: m.Name
    closed: bool
    won: bool
    probability: int
    forecast: str
    key: bool = False
    pipeline: str = ""


@dataclass
class _Process:
    full_name: str
    pipe: m.Pipeline
    values: list[str] = field(default_factory=list)


@dataclass
class _CustomField:
    """A funnel field as a custom field of Opportunity, Contact or Account."""

    object: str
    api: str
    """`Budzhet__c`: the transliterated name, unique in its object."""
    field: m.CardField


OBJECT_OF = {m.Entity.deal: "Opportunity", m.Entity.contact: "Contact",
             m.Entity.company: "Account"}
MAX_LABEL = 40
MAX_OPTION = 255
FIELD_TYPES: dict[str, tuple[str, int | None, int | None]] = {
    "text": ("Text", None, None), "number": ("Number", 18, 2), "money": ("Currency", 18, 2),
    "int": ("Number", 18, 0), "date": ("Date", None, None), "bool": ("Checkbox", None, None),
    "phone": ("Phone", None, None), "email": ("Email", None, None), "url": ("Url", None, None),
    "enum": ("Picklist", None, None), "multi": ("MultiselectPicklist", None, None),
}
"""A field kind's CustomField `type`, `precision` and `scale`: a Number or Currency of 18
digits, 2 of them decimals (an int's 0; its range has no place: a validation rule would
hold it); a Text has `length` 255, its most."""


def field_name(name: str, lang: str | None) -> str:
    """A custom field's API name without `__c`: ASCII letters, digits and single
    underscores, starting with a letter, at most 40 characters; `Field` when nothing is
    left."""
    stem = code_stem(name, lang)
    if not stem:
        return "Field"
    if not stem[0].isalpha():
        stem = "F_" + stem
    return stem[:MAX_PROCESS_NAME].rstrip("_")


def process_name(name: str, lang: str | None) -> str:
    """An API-style name: ASCII letters, digits and single underscores, starting with a
    letter, no trailing underscore, at most 40 characters. Empty when nothing is left."""
    stem = code_stem(name, lang)
    if stem and not stem[0].isalpha():
        stem = "P_" + stem
    return stem[:MAX_PROCESS_NAME].rstrip("_")


def stage_value(stage: m.Stage) -> m.Name:
    """The stage's value in Salesforce: its `alias salesforce "…"`, or its own name."""
    if stage.alias is not None and stage.alias.crm == "salesforce":
        return stage.alias.name
    return stage.name


STANDARD_FIELDS: dict[tuple[m.Entity, str], str] = {
    (m.Entity.contact, "PHONE"): "Contact.Phone", (m.Entity.contact, "EMAIL"): "Contact.Email",
    (m.Entity.company, "PHONE"): "Account.Phone"}
"""The standard fields of Contact and Account a funnel's first contact phone and email and
first company phone are (Salesforce's object reference: Contact has Phone and Email,
Account has Phone and no email), as the other CRMs' built-in phone and email are."""


def standard_fields(funnel: m.FunnelFile) -> dict[tuple[m.Entity, str], str]:
    """(entity, field name) → the standard field (`Contact.Phone`) the file's field is."""
    out: dict[tuple[m.Entity, str], str] = {}
    for (entity, name), code in builtin_fields(
            funnel, frozenset({m.Entity.contact, m.Entity.company})).items():
        api = STANDARD_FIELDS.get((entity, code))
        if api is not None:
            out[(entity, name)] = api
    return out


def _names(names: Iterable[str]) -> str:
    """Names in a note, each in «…»: a field called «Бюджет, ₽» read as two fields in a
    bare comma-separated list. (In package.xml itself each component is its own
    `<members>` element; custom fields are not components of this folder, so they are
    only named in its comment.)"""
    return ", ".join(f"«{n}»" for n in names)


def _error(code: str, message: str, path: str, span: m.Span, label: str, *,
           secondary: tuple[Label, ...] = (), help: str | None = None,
           severity: Severity = Severity.error) -> Diagnostic:
    return Diagnostic(code, severity, message, path, span, label, secondary=secondary, help=help)


class _Builder:
    def __init__(self, funnel: m.FunnelFile) -> None:
        self.funnel = funnel
        self.lang = language(funnel)
        self.path = funnel.path
        self.diags: list[Diagnostic] = []
        self.values: dict[str, _Value] = {}
        self.processes: list[_Process] = []
        self.custom: list[_CustomField] = []
        self.manual: list[str] = []
        self.probability = win_probabilities(funnel)
        won, lost = CLOSED_NAMES.get(self.lang or "en", DEFAULT_CLOSED)
        self.won_name, self.lost_name = won, lost

    def _long(self, name: m.Name) -> None:
        if len(name.value) > MAX_VALUE:
            self.diags.append(_error(
                codes.FN350, f"`{name.value}` is {len(name.value)} characters: a Salesforce stage "
                f"value holds at most {MAX_VALUE}", self.path, name.span,
                f"{len(name.value) - MAX_VALUE} characters too many",
                help="shorten the name (it is the opportunity's StageName); a stage may "
                'keep its name and be called otherwise in Salesforce: `alias salesforce "…"`'))

    def _blank(self, name: m.Name, what: str) -> bool:
        d = blank_name(codes.FN355, "Salesforce", name, what, self.path)
        if d is not None:
            self.diags.append(d)
        return d is not None

    def build(self) -> None:
        stage_names = {stage_value(s).value for p in self.funnel.pipelines for s in p.stages}
        used: set[str] = set()
        for pipe in self.funnel.pipelines:
            self._blank(pipe.name, "pipeline")
            full = process_name(pipe.name.value, self.lang)
            if not full:
                if not is_blank(pipe.name.value):
                    self.diags.append(_error(
                        codes.FN352, f"pipeline name `{pipe.name.value}` leaves no Latin letter or "
                        "digit for a Salesforce sales-process name", self.path, pipe.name.span,
                        "nothing left after transliteration",
                        help="add a letter or digit to the pipeline name"))
                continue
            if len(pipe.name.value) > MAX_DESCRIPTION:
                self.diags.append(_error(
                    codes.FN351, f"pipeline name is {len(pipe.name.value)} characters: a Salesforce "
                    f"sales-process description holds at most {MAX_DESCRIPTION}", self.path,
                    pipe.name.span, "too long for Salesforce", help="shorten the pipeline name"))
            base, n = full, 2
            while full.casefold() in used:
                suffix = f"_{n}"
                full = base[: MAX_PROCESS_NAME - len(suffix)].rstrip("_") + suffix
                n += 1
            used.add(full.casefold())
            process = _Process(full, pipe)
            self.processes.append(process)
            for stage in pipe.stages:
                value = stage_value(stage)
                if self._blank(stage.name, "stage") or (value is not stage.name and is_blank(
                        value.value)):  # a blank alias is FN234's to report
                    continue
                self._stage(pipe, stage, value)
                process.values.append(value.value)
            self._won(process)
            self._lost(process, stage_names)
            self._notes(pipe, full)
        self._fields()

    def _fields(self) -> None:
        """The funnel's fields but the standard ones (Contact.Phone …), each a custom
        field of its object with a unique API name."""
        standard = standard_fields(self.funnel)
        used: dict[str, set[str]] = {}
        for f in self.funnel.fields:
            if (f.entity, f.name.value) in standard:
                continue
            obj = OBJECT_OF[f.entity]
            taken = used.setdefault(obj, set())
            base = api = field_name(f.name.value, self.lang)
            n = 2
            while api.casefold() in taken:
                suffix = f"_{n}"
                api = base[: MAX_PROCESS_NAME - len(suffix)].rstrip("_") + suffix
                n += 1
            taken.add(api.casefold())
            self.custom.append(_CustomField(obj, f"{api}__c", f))
            if len(f.name.value) > MAX_LABEL:
                self.diags.append(_error(
                    codes.FN356, f"field name is {len(f.name.value)} characters: a Salesforce "
                    f"field label holds at most {MAX_LABEL}", self.path, f.name.span,
                    f"{len(f.name.value) - MAX_LABEL} characters too many",
                    help="shorten the field name"))
            for option in f.type.values:
                if len(option.value) > MAX_OPTION:
                    self.diags.append(_error(
                        codes.FN356, f"option is {len(option.value)} characters: a Salesforce "
                        f"picklist value holds at most {MAX_OPTION}", self.path, option.span,
                        f"{len(option.value) - MAX_OPTION} characters too many",
                        help="shorten the option"))

    def _stage(self, pipe: m.Pipeline, stage: m.Stage, node: m.Name) -> None:
        name = node.value
        p = round(100 * self.probability.get((pipe.name.value, stage.name.value), 0.0))
        forecast = "BestCase" if stage.key else "Pipeline"
        if name in (self.won_name, self.lost_name):
            self.diags.append(_error(
                codes.FN353, f"stage `{name}` has the name of the "
                f"{'won' if name == self.won_name else 'lost'} value: a Salesforce stage value is "
                "open or closed, not both", self.path, node.span, "a closed value's name",
                help="rename the stage"))
            return
        have = self.values.get(name)
        if have is None:
            self._long(node)
            self.values[name] = _Value(node, False, False, p, forecast, stage.key,
                                       pipe.name.value)
        elif have.probability != p or have.key != stage.key:
            self.diags.append(_error(
                codes.FN354, f"stage `{name}` is in pipelines `{have.pipeline}` and "
                f"`{pipe.name.value}` with different win probabilities ({have.probability}% and "
                f"{p}%) or key flags: Salesforce keeps one value per stage name",
                self.path, node.span, f"exported with {have.pipeline}'s {have.probability}%",
                secondary=(Label(have.name.span, "the value's settings come from here"),),
                help="give the stages different names if they mean different things",
                severity=Severity.warning))

    def _closed_value(self, name: m.Name, won: bool, stage_names: set[str]) -> None:
        if name.value in stage_names:
            self.diags.append(_error(
                codes.FN353, f"`{name.value}` is both a stage and a "
                f"{'won' if won else 'lost'} value: a Salesforce stage value is open or closed, "
                "not both", self.path, name.span, "also a stage name",
                help="rename the stage or the lost reason"))
            return
        if name.value not in self.values:
            self._long(name)
            self.values[name.value] = _Value(name, True, won, 100 if won else 0,
                                             "Closed" if won else "Omitted")

    def _won(self, process: _Process) -> None:
        span = process.pipe.name.span
        self._closed_value(m.Name(value=self.won_name, quoted=True, span=span), True, set())
        process.values.append(self.won_name)

    def _lost(self, process: _Process, stage_names: set[str]) -> None:
        reasons = lost_reasons(process.pipe)
        if not reasons:
            span = process.pipe.name.span
            reasons = [(self.lost_name, m.Name(value=self.lost_name, quoted=True, span=span))]
        synthetic = not lost_reasons(process.pipe)
        for reason, node in reasons:
            if self._blank(node, "lost reason"):
                continue
            if reason == self.won_name:
                self.diags.append(_error(
                    codes.FN353, f"lost reason `{reason}` has the won value's name", self.path,
                    node.span, "the won value is called this", help="rename the lost reason"))
                continue
            self._closed_value(node, False, set() if synthetic else stage_names)
            if reason not in process.values:
                process.values.append(reason)

    def _notes(self, pipe: m.Pipeline, full: str) -> None:
        where = f"«{pipe.name.value}» ({full})"
        required = [(stage_value(s).value, [f.value for f in s.requires])
                    for s in pipe.stages if s.requires]
        for stage, fields in required:
            self.manual.append(f"{where} → «{stage}»: require {_names(fields)} with a "
                               "validation rule or as Path key fields")
        timed = [stage_value(s).value for s in pipe.stages if s.sla is not None or s.on_enter]
        if timed:
            self.manual.append(f"{where}: build a Flow for the SLAs and on-enter actions of "
                               + ", ".join(f"«{s}»" for s in timed))
        account = self.funnel.account
        calendar = account is not None and account.hours is not None
        for s in pipe.stages:
            self.manual += [f"{where} → «{stage_value(s).value}»: {step}" for step in stage_by_hand(
                s, "Salesforce", "a Flow", calendar=calendar,
                hint_place="the stage's Guidance for Success (Setup → Path Settings)")]

    # ------------------------------------------------------------------ files

    def value_set(self) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<StandardValueSet xmlns="{NS}">',
               "    <sorted>false</sorted>"]
        ordered = [v for v in self.values.values() if not v.closed]
        ordered += [v for v in self.values.values() if v.closed and v.won]
        ordered += [v for v in self.values.values() if v.closed and not v.won]
        for v in ordered:
            text = escape(v.name.value)
            out += ["    <standardValue>",
                    f"        <fullName>{text}</fullName>",
                    "        <default>false</default>",
                    f"        <label>{text}</label>",
                    f"        <closed>{str(v.closed).lower()}</closed>",
                    f"        <forecastCategory>{v.forecast}</forecastCategory>",
                    f"        <probability>{v.probability}</probability>",
                    f"        <won>{str(v.won).lower()}</won>",
                    "    </standardValue>"]
        out.append("</StandardValueSet>")
        return "\n".join(out) + "\n"

    @staticmethod
    def _process_body(p: _Process, indent: str) -> list[str]:
        """A sales process's elements in the order of the Metadata API's BusinessProcess
        (fullName, description, isActive, values: each fullName then default)."""
        out = [f"{indent}<fullName>{p.full_name}</fullName>",
               f"{indent}<description>{escape(p.pipe.name.value)}</description>",
               f"{indent}<isActive>true</isActive>"]
        for value in p.values:
            out += [f"{indent}<values>", f"{indent}    <fullName>{escape(value)}</fullName>",
                    f"{indent}    <default>false</default>", f"{indent}</values>"]
        return out

    def object_file(self, obj: str = "Opportunity") -> str:
        """`objects/OBJ.object`: the sales processes (Opportunity), then the custom fields,
        in the WSDL's order of CustomObject (businessProcesses before fields)."""
        out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<CustomObject xmlns="{NS}">']
        for p in self.processes if obj == "Opportunity" else []:
            out += ["    <businessProcesses>", *self._process_body(p, " " * 8),
                    "    </businessProcesses>"]
        for f in self.custom:
            if f.object == obj:
                out += ["    <fields>", *self._field_body(f, " " * 8), "    </fields>"]
        out.append("</CustomObject>")
        return "\n".join(out) + "\n"

    def object_files(self) -> dict[str, str]:
        """Metadata format: Opportunity.object always, Contact's and Account's when they
        have custom fields."""
        objects = ["Opportunity", *dict.fromkeys(f.object for f in self.custom
                                                 if f.object != "Opportunity")]
        return {f"objects/{obj}.object": self.object_file(obj) for obj in objects}

    @staticmethod
    def _field_body(f: _CustomField, indent: str) -> list[str]:
        """A CustomField's elements in the order of the Metadata API's CustomField
        (fullName first, then the WSDL's alphabetical sequence: defaultValue, label, length,
        precision, required, scale, type, valueSet, visibleLines), a picklist's value set
        restricted to its options (each its own API value)."""
        kind = f.field.type.kind
        ftype, precision, scale = FIELD_TYPES[kind]
        out = [f"{indent}<fullName>{f.api}</fullName>"]
        if kind == "bool":
            out.append(f"{indent}<defaultValue>false</defaultValue>")
        out.append(f"{indent}<label>{escape(f.field.name.value)}</label>")
        if kind == "text":
            out.append(f"{indent}<length>255</length>")
        if precision is not None:
            out.append(f"{indent}<precision>{precision}</precision>")
        out.append(f"{indent}<required>false</required>")
        if scale is not None:
            out.append(f"{indent}<scale>{scale}</scale>")
        out.append(f"{indent}<type>{ftype}</type>")
        if kind in ("enum", "multi"):
            out += [f"{indent}<valueSet>", f"{indent}    <restricted>true</restricted>",
                    f"{indent}    <valueSetDefinition>",
                    f"{indent}        <sorted>false</sorted>"]
            for option in f.field.type.values:
                text = escape(option.value)
                out += [f"{indent}        <value>",
                        f"{indent}            <fullName>{text}</fullName>",
                        f"{indent}            <default>false</default>",
                        f"{indent}            <label>{text}</label>",
                        f"{indent}        </value>"]
            out += [f"{indent}    </valueSetDefinition>", f"{indent}</valueSet>"]
        if kind == "multi":
            out.append(f"{indent}<visibleLines>4</visibleLines>")
        return out

    def field_files(self) -> dict[str, str]:
        """Source format: one `objects/OBJ/fields/NAME__c.field-meta.xml` per custom field."""
        return {f"{SOURCE_ROOT}/objects/{f.object}/fields/{f.api}.field-meta.xml": "\n".join(
                    ['<?xml version="1.0" encoding="UTF-8"?>', f'<CustomField xmlns="{NS}">',
                     *self._field_body(f, " " * 4), "</CustomField>"]) + "\n"
                for f in self.custom}

    def business_process_files(self) -> dict[str, str]:
        """Source format: one `<fullName>.businessProcess-meta.xml` per sales process."""
        return {f"{SOURCE_ROOT}/objects/Opportunity/businessProcesses/{p.full_name}"
                ".businessProcess-meta.xml": "\n".join(
                    ['<?xml version="1.0" encoding="UTF-8"?>', f'<BusinessProcess xmlns="{NS}">',
                     *self._process_body(p, " " * 4), "</BusinessProcess>"]) + "\n"
                for p in self.processes}

    def project(self) -> str:
        """`sfdx-project.json`: one package directory, the API version of the metadata."""
        account = self.funnel.account
        name = process_name(account.name.value, self.lang) if account is not None else ""
        data = {"packageDirectories": [{"path": "force-app", "default": True}],
                "name": name or "funnel", "namespace": "",
                "sfdcLoginUrl": "https://login.salesforce.com",
                "sourceApiVersion": API_VERSION}
        return json.dumps(data, indent=2) + "\n"

    def package(self, source: bool = False) -> str:
        how = ("funnelc: sfdx project in source format; from the project folder deploy with "
               "`sf project deploy start` and the source-dir option (force-app) or the manifest "
               "option (this file)." if source else
               "funnelc: Metadata API format; deploy this folder with the metadata-dir option of "
               "`sf project deploy start`.")
        notes = [
            how,
            "Deploying OpportunityStage sets the org's whole stage list: retrieve it first and "
            "add any stage the org must keep.",
            "A sales process applies through an Opportunity record type: create one per sales "
            "process (" + ", ".join(p.full_name for p in self.processes) + ") and assign it to "
            "profiles.",
        ]
        standard = standard_fields(self.funnel)
        if self.custom:
            notes.append("The custom fields (" + _names(f.field.name.value for f in self.custom)
                         + ") deploy visible to administrators only: give the profiles that "
                         "use them field-level security and put them on the page layouts.")
        notes += [f"«{name}» is the standard field {api} of every org: nothing to create."
                  for (_, name), api in standard.items()]
        notes += self.manual
        # "--" may not appear inside an XML comment.
        comment = ["<!--"] + [f"  - {re.sub(r'-(?=-)', '- ', n)}" for n in notes] + ["-->"]
        out = ['<?xml version="1.0" encoding="UTF-8"?>', *comment, f'<Package xmlns="{NS}">']
        if self.processes:
            out.append("    <types>")
            out += [f"        <members>Opportunity.{p.full_name}</members>" for p in self.processes]
            out += ["        <name>BusinessProcess</name>", "    </types>"]
        if self.custom:
            out.append("    <types>")
            out += [f"        <members>{f.object}.{f.api}</members>" for f in self.custom]
            out += ["        <name>CustomField</name>", "    </types>"]
        out += ["    <types>", "        <members>OpportunityStage</members>",
                "        <name>StandardValueSet</name>", "    </types>",
                f"    <version>{API_VERSION}</version>", "</Package>"]
        return "\n".join(out) + "\n"


def build_metadata(funnel: m.FunnelFile) -> tuple[dict[str, str], list[Diagnostic]]:
    """The folder's files and what Salesforce cannot hold (errors: do not deploy)."""
    b = _Builder(funnel)
    b.build()
    files = {PACKAGE_PATH: b.package(), VALUE_SET_PATH: b.value_set(), **b.object_files()}
    return files, sorted(b.diags, key=Diagnostic.sort_key)


def build_source(funnel: m.FunnelFile) -> tuple[dict[str, str], list[Diagnostic]]:
    """The same metadata as an sfdx project in source format (and the same diagnostics)."""
    b = _Builder(funnel)
    b.build()
    files = {PROJECT_PATH: b.project(), "manifest/package.xml": b.package(source=True),
             f"{SOURCE_ROOT}/{VALUE_SET_PATH}-meta.xml": b.value_set(),
             **b.business_process_files(), **b.field_files()}
    return files, sorted(b.diags, key=Diagnostic.sort_key)


@dataclass(frozen=True)
class SalesforceExporter:
    name: str = "salesforce"
    description: str = "Salesforce metadata folder (opportunity stages, sales processes, package.xml)"
    folder: bool = True
    source_format: bool = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        files, diags = (build_source if self.source_format else build_metadata)(funnel)
        return ExportResult(files=dict(files), diagnostics=diags)


EXPORTER = SalesforceExporter()
EXPORTERS = {
    "salesforce": EXPORTER,
    "salesforce-sfdx": SalesforceExporter(
        "salesforce-sfdx", "Salesforce sfdx project in source format (the same metadata: "
        "sfdx-project.json, force-app/, manifest/package.xml)", source_format=True),
}
