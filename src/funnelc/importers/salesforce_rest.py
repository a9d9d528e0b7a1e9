"""The REST answers `funnelc import --from salesforce` also reads, for a consultant who has
API access but no metadata retrieve:

* the OpportunityStage query: `GET /services/data/vXX.X/query?q=SELECT ApiName,
  MasterLabel, IsActive, IsClosed, IsWon, DefaultProbability, ForecastCategoryName,
  SortOrder FROM OpportunityStage` (or `sf data query --query "…" --json`, which wraps
  the same records in `result`): the org's stages with which are closed and won (the
  object reference's OpportunityStage fields; `ApiName` from API 36.0, else
  `MasterLabel`), in `SortOrder`, and `Description` (a stage's hint) where selected. It
  stands for the OpportunityStage value set;
* the describe of Opportunity, Contact or Account (`GET /services/data/vXX.X/sobjects/
  Opportunity/describe`): its custom fields (`fields[]` with `custom` true: `name`,
  `label`, `type`, `scale`, `calculated`, `nillable` (a custom field that is not, a
  checkbox aside, is required), `dependentPicklist` and `controllerName`,
  `picklistValues[]{active, label, value}`).
  Its StageName picklist lists the stages but not which are closed or won, so the stages
  still come from the query (or the value set).

Neither holds the sales processes (a process's stages are the metadata's, or the UI API's
per record type): with the REST answers alone the org is one pipeline of every active
stage, as an org without sales processes has it, and the header says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..jsontypes import JSON, JSONObject
from .json_input import ARRAY, BOOLEAN, INTEGER, NUMBER, OBJECT, STRING, JsonProblem, Walker

if TYPE_CHECKING:
    from .salesforce import _Read

__all__ = ["read_answer", "DESCRIBE_TYPES"]

DESCRIBE_TYPES = {
    "boolean": "Checkbox", "currency": "Currency", "date": "Date", "datetime": "DateTime",
    "double": "Number", "int": "Number", "long": "Number", "percent": "Percent",
    "email": "Email", "phone": "Phone", "picklist": "Picklist",
    "multipicklist": "MultiselectPicklist", "string": "Text", "textarea": "TextArea",
    "encryptedstring": "EncryptedText", "url": "Url", "reference": "Lookup", "time": "Time",
    "combobox": "Picklist",
}
"""A describe field `type` (the SOAP API's field types) → the CustomField type the
metadata reader maps (int and long: a Number without decimals)."""


def _stage_records(w: Walker, data: JSONObject) -> tuple[list[JSON], str] | None:
    """The records of an OpportunityStage query answer (REST's, or `sf data query
    --json`'s under `result`), or None when the answer is not one."""
    where = ""
    body = data
    inner = data.get("result")
    if isinstance(inner, dict) and "records" in inner:
        body, where = inner, "result"
    records = body.get("records")
    if not isinstance(records, list):
        return None
    types = set()
    for r in records:
        attributes = r.get("attributes") if isinstance(r, dict) else None
        types.add(attributes.get("type") if isinstance(attributes, dict) else None)
    if records and types != {"OpportunityStage"} and not all(
            isinstance(r, dict) and "IsClosed" in r for r in records):
        return None
    return records, f"{where}.records" if where else "records"


def _stages(w: Walker, records: list[JSON], path: str, out: _Read) -> None:
    from .salesforce import StageValue
    from .salesforce_xml import Elem

    if out.stages_file:
        raise w.fail(path, f"a second list of stages (the first: {out.stages_file})",
                     "give the value set or the OpportunityStage query, not both")
    out.stages_file = w.file
    rows: list[tuple[int, int, StageValue]] = []
    seen: set[str] = set()
    for k, item in enumerate(records):
        where = f"{path}[{k}]"
        raw = w.expect(item, where, OBJECT)
        label = w.get(raw, "MasterLabel", where, STRING)
        name = w.opt(raw, "ApiName", where, STRING, nullable=True) or label
        if name in seen:
            raise w.fail(where, f"stage {name!r} is listed twice")
        seen.add(name)
        probability = w.opt(raw, "DefaultProbability", where, NUMBER, nullable=True)
        if probability is not None and not 0 <= probability <= 100:
            raise w.fail(f"{where}.DefaultProbability",
                         f"a probability is a percent from 0 to 100, found {probability:g}")
        value = StageValue(
            name=name, label=label, closed=w.get(raw, "IsClosed", where, BOOLEAN),
            won=w.get(raw, "IsWon", where, BOOLEAN),
            probability=None if probability is None else round(probability),
            forecast=w.opt(raw, "ForecastCategoryName", where, STRING, nullable=True),
            active=w.opt(raw, "IsActive", where, BOOLEAN, nullable=True, default=True),
            elem=Elem("record", 0, where),
            description=w.opt(raw, "Description", where, STRING, nullable=True) or "")
        rows.append((w.opt(raw, "SortOrder", where, INTEGER, nullable=True, default=k), k,
                     value))
    out.stages += [value for _, _, value in sorted(rows, key=lambda r: (r[0], r[1]))]


def _fields(w: Walker, data: JSONObject, obj: str, out: _Read) -> None:
    from .salesforce import ENTITIES, SfField

    items: list[JSON] = w.get(data, "fields", "", ARRAY)
    for k, item in enumerate(items):
        where = f"fields[{k}]"
        raw = w.expect(item, where, OBJECT)
        if not w.opt(raw, "custom", where, BOOLEAN, nullable=True, default=False):
            continue
        api = w.get(raw, "name", where, STRING)
        dtype = w.get(raw, "type", where, STRING)
        values = []
        options: list[JSON] = w.opt(raw, "picklistValues", where, ARRAY, nullable=True) or []
        for j, option in enumerate(options):
            path = f"{where}.picklistValues[{j}]"
            opt = w.expect(option, path, OBJECT)
            value = w.get(opt, "value", path, STRING)
            values.append((value, w.opt(opt, "label", path, STRING, nullable=True) or value,
                           bool(w.opt(opt, "active", path, BOOLEAN, nullable=True,
                                      default=True))))
        scale = w.opt(raw, "scale", where, INTEGER, nullable=True)
        ftype = DESCRIBE_TYPES.get(dtype, dtype)
        if dtype in ("int", "long"):
            scale = 0
        calculated = bool(w.opt(raw, "calculated", where, BOOLEAN, nullable=True,
                                default=False))
        nillable = w.opt(raw, "nillable", where, BOOLEAN, nullable=True, default=True)
        controller = (w.opt(raw, "controllerName", where, STRING, nullable=True)
                      if w.opt(raw, "dependentPicklist", where, BOOLEAN, nullable=True,
                               default=False) else None)
        out.fields.append(SfField(
            api, w.opt(raw, "label", where, STRING, nullable=True) or api, ftype,
            ENTITIES[obj], values, None, calculated, scale,
            # a checkbox is never nillable (false when unticked): not a required field
            required=not nillable and not calculated and dtype != "boolean",
            controlling=controller))


def read_answer(file: str, data: JSON, out: _Read) -> bool:
    """Read one saved REST answer into `out`; False when it is neither answer."""
    from .salesforce import ENTITIES

    if not isinstance(data, dict):
        return False
    w = Walker(file)
    records = _stage_records(w, data)
    if records is not None:
        _stages(w, *records, out)
        return True
    name = data.get("name")
    if isinstance(data.get("fields"), list) and isinstance(name, str):
        if name not in ENTITIES:
            raise JsonProblem(file, "name", f"the describe of {name}: funnelc reads the "
                              "fields of Opportunity, Contact and Account")
        _fields(w, data, name, out)
        return True
    return False

