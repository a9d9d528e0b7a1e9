"""Reading the Salesforce metadata `funnelc import --from salesforce` is given: a folder
or zip as `sf project retrieve start` writes it (source format, `force-app/…` with one
`-meta.xml` file per component; or Metadata API format, `package.xml` and
`objects/Opportunity.object` …), or single metadata files. Each file that funnelc reads is
parsed into a small element tree that keeps every element's line, so that a problem is
named by file, line and XML path (`Opportunity.Big.businessProcess-meta.xml: line 7:
BusinessProcess/values[2]/fullName: missing`), never as a traceback.

Safety: a DOCTYPE is refused (no Salesforce metadata file has one, and entity
declarations are how an XML file expands to gigabytes); a file over 50 MB, or a zip whose
files read add up to more, is refused (an org's opportunity metadata takes a few hundred
kB). Files of a folder or zip that are not among the kinds read (`KINDS`) are skipped
unread: a retrieve holds classes, layouts and profiles too."""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.parsers import expat

from .json_input import JsonProblem

__all__ = ["Elem", "Source", "parse_xml", "collect", "kind_of", "MAX_BYTES", "OBJECTS"]

MAX_BYTES = 50 * 1024 * 1024
OBJECTS = ("Opportunity", "Contact", "Account")
"""The objects whose metadata is read: opportunity stages and sales processes, and the
custom fields of opportunities, contacts and accounts (deal, contact, company)."""

_OBJ = "(?P<object>" + "|".join(OBJECTS) + ")"
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stages", re.compile(r"(^|/)OpportunityStage\.standardValueSet(-meta\.xml)?$")),
    ("process", re.compile(r"(^|/)objects/Opportunity/businessProcesses/(?P<name>[^/]+)"
                           r"\.businessProcess-meta\.xml$")),
    ("record_type", re.compile(r"(^|/)objects/Opportunity/recordTypes/(?P<name>[^/]+)"
                               r"\.recordType-meta\.xml$")),
    ("field", re.compile(r"(^|/)objects/" + _OBJ + r"/fields/(?P<name>[^/]+)\.field-meta\.xml$")),
    ("object", re.compile(r"(^|/)objects/" + _OBJ + r"\.object$")),
    ("value_set", re.compile(r"(^|/)globalValueSets/(?P<name>[^/]+)\.globalValueSet"
                             r"(-meta\.xml)?$")),
    ("package", re.compile(r"(^|/)package\.xml$")),
    ("stage_translation", re.compile(r"(^|/)standardValueSetTranslations/OpportunityStage-"
                                     r"(?P<name>[^/]+)\.standardValueSetTranslation"
                                     r"(-meta\.xml)?$")),
    ("field_translation", re.compile(r"(^|/)objectTranslations/" + _OBJ + r"-(?P<name>[^/]+)/"
                                     r"(fields/)?[^/]+\.fieldTranslation-meta\.xml$")),
    ("object_translation", re.compile(r"(^|/)objectTranslations/" + _OBJ
                                      + r"-(?P<name>[^/]+)\.objectTranslation$")),
)
"""What each file is, by its path as `sf project retrieve start` names it (source format
`…-meta.xml`, Metadata API format without the suffix)."""

REPEATED = frozenset({"standardValue", "values", "value", "fields", "businessProcesses",
                      "recordTypes", "picklistValues", "customValue", "types", "members",
                      "valueTranslation"})
"""Elements that occur several times under one parent: their XML path carries the
1-based index (`values[2]`), as XPath counts."""


@dataclass
class Elem:
    tag: str
    line: int
    path: str
    text: str = ""
    children: list[Elem] = field(default_factory=list)

    def all(self, tag: str) -> list[Elem]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> Elem | None:
        return next((c for c in self.children if c.tag == tag), None)


@dataclass(frozen=True)
class Source:
    """One metadata file: how messages name it, what it is, and its bytes."""

    file: str
    kind: str
    object: str
    """Opportunity, Contact or Account for fields and object files; "" otherwise."""
    stem: str
    """The component's name from the file name (`New Sales` of
    `New Sales.businessProcess-meta.xml`), for a file without a `fullName`."""
    data: bytes


class _DoctypeRefused(Exception):
    pass


def parse_xml(file: str, data: bytes) -> Elem:
    """The element tree of one file (namespace prefixes dropped, text stripped), or
    `JsonProblem` with the line and column of what is not well-formed XML."""
    parser = expat.ParserCreate()
    stack: list[Elem] = []
    counts: list[dict[str, int]] = [{}]
    root: list[Elem] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        tag = name.rsplit(":", 1)[-1]
        seen = counts[-1]
        seen[tag] = seen.get(tag, 0) + 1
        parent = stack[-1].path + "/" if stack else ""
        index = f"[{seen[tag]}]" if tag in REPEATED else ""
        elem = Elem(tag, parser.CurrentLineNumber, f"{parent}{tag}{index}")
        if stack:
            stack[-1].children.append(elem)
        else:
            root.append(elem)
        stack.append(elem)
        counts.append({})

    def end(_name: str) -> None:
        elem = stack.pop()
        counts.pop()
        elem.text = elem.text.strip()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    def doctype(*_args: object) -> None:
        raise _DoctypeRefused

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except _DoctypeRefused:
        raise JsonProblem(file, f"line {parser.CurrentLineNumber}",
                          "has a DOCTYPE: Salesforce metadata files have none, and funnelc "
                          "does not read one", "give the files as retrieved") from None
    except expat.ExpatError as exc:
        words = expat.errors.messages.get(exc.code, "error") if exc.code else "error"
        hint = ("the file stops before its elements are closed: was it cut off?"
                if exc.code == expat.errors.codes.get(expat.errors.XML_ERROR_NO_ELEMENTS)
                or words.startswith("unclosed") else None)
        raise JsonProblem(file, f"line {exc.lineno} column {exc.offset + 1}",
                          f"not well-formed XML: {words}", hint) from None
    return root[0]


def kind_of(path: str) -> tuple[str, str, str] | None:
    """(kind, object, stem) of a file by its path, or None for a file not read."""
    posix = path.replace(os.sep, "/")
    for kind, pattern in KINDS:
        found = pattern.search(posix)
        if found is not None:
            groups = found.groupdict()
            obj = groups.get("object") or ""
            stem = unquote(groups.get("name") or "")
            return kind, obj, stem
    return None


def _too_big(file: str, size: int) -> JsonProblem:
    return JsonProblem(file, "", f"is {size / 1024 / 1024:.1f} MB, over the 50 MB limit",
                       "an org's opportunity metadata takes a few hundred kB: retrieve the "
                       "opportunity stages, sales processes and fields only")


def _from_folder(root: str) -> list[Source]:
    out: list[Source] = []
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            kind = kind_of(rel)
            if kind is None:
                continue
            try:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_BYTES + 1)
            except OSError as exc:
                raise JsonProblem(path, "", f"cannot read: {exc.strerror}", io=True) from None
            total += len(data)
            if total > MAX_BYTES:
                raise _too_big(root, total)
            out.append(Source(path, *kind, data))
    return out


def _from_zip(path: str) -> list[Source]:
    out: list[Source] = []
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                kind = kind_of(info.filename)
                if kind is None:
                    continue
                total += info.file_size
                if total > MAX_BYTES:
                    raise _too_big(path, total)
                with archive.open(info) as fh:
                    data = fh.read(MAX_BYTES + 1)
                out.append(Source(f"{path}/{info.filename}", *kind, data))
    except (zipfile.BadZipFile, EOFError) as exc:
        raise JsonProblem(path, "", f"is not a readable zip: {exc}",
                          "was the download cut off? retrieve it again") from None
    except OSError as exc:
        raise JsonProblem(path, "", f"cannot read: {exc.strerror or exc}", io=True) from None
    return out


def collect(paths: tuple[str, ...] | list[str]) -> list[Source]:
    """The metadata files funnelc reads among `paths` (folders and zips searched; a single
    file must be one of the kinds read)."""
    out: list[Source] = []
    for path in paths:
        if not os.path.exists(path):
            raise JsonProblem(path, "", "no such file or folder", io=True)
        if os.path.isdir(path):
            out += _from_folder(path)
            continue
        if zipfile.is_zipfile(path):
            out += _from_zip(path)
            continue
        kind = kind_of(os.path.abspath(path))
        if kind is None and path.lower().endswith(".json"):
            out.append(Source(path, "json", "", "", b""))  # a REST answer: salesforce_rest
            continue
        if kind is None:
            raise JsonProblem(
                path, "", "is not Salesforce metadata funnelc reads",
                "give the folder or zip `sf project retrieve start` wrote, or its files "
                "OpportunityStage.standardValueSet-meta.xml, objects/Opportunity/"
                "businessProcesses/*.businessProcess-meta.xml, objects/{Opportunity,Contact,"
                "Account}/fields/*.field-meta.xml (or objects/Opportunity.object), or the saved "
                "REST answers (.json)")
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise _too_big(path, size)
        try:
            with open(path, "rb") as fh:
                out.append(Source(path, *kind, fh.read(MAX_BYTES + 1)))
        except OSError as exc:
            raise JsonProblem(path, "", f"cannot read: {exc.strerror}", io=True) from None
    return out
