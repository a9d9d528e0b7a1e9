"""SARIF 2.1.0 output (`funnelc check --format sarif`), so code hosts (GitHub code
scanning, GitLab, Azure DevOps) show findings inline on a consultant's pull request.

One run per invocation; `tool.driver.rules` describes every lint rule (from its
docstring) and every error code that occurs; results point at `artifactLocation.uri`
(a relative path as given on the command line, percent-encoded: file names are often
Cyrillic) and a region with 1-based lines and columns counted in Unicode code points
(`run.columnKind`). Findings hidden by a `noqa` are kept with an `inSource` suppression
and its justification, which is how SARIF viewers show accepted exceptions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from urllib.parse import quote

from .. import __version__
from ..codes import REGISTRY
from ..diagnostics import Diagnostic, Severity
from ..jsontypes import JSON, JSONObject
from ..span import Span
from .base import Rule
from .noqa import Suppression
from .rules import RULES

__all__ = ["to_sarif", "render_sarif", "SARIF_SCHEMA", "rule_descriptor"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.note: "note"}


def _uri(path: str) -> str:
    """A relative path stays relative (code hosts resolve it against the repository);
    an absolute one becomes a file URI."""
    p = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + quote(PurePosixPath(p).as_posix())
    return quote(p)


def rule_descriptor(rule: Rule) -> JSONObject:
    from .docs import rule_markdown

    docs = rule.docs()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{docs.what} {docs.why}".strip()},
        "help": {"text": f"{docs.what}\n\n{docs.why}", "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": _LEVEL[rule.default_severity]},
        "properties": {"tags": [rule.kind, "funnel-lint"], "kind": rule.kind},
    }


def _error_descriptor(code: str) -> JSONObject:
    info = REGISTRY.get(code)
    meaning = info.meaning if info is not None else ""
    level = info.severity if info is not None else "error"
    desc: JSONObject = {"id": code, "defaultConfiguration": {"level": level}}
    if meaning:
        desc["shortDescription"] = {"text": meaning}
    return desc


def _region(d: Diagnostic) -> JSONObject | None:
    if d.span is None:
        return None
    s = d.span
    return {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line,
            "endColumn": max(s.end_column, s.column + (1 if s.end_line == s.line else 0)),
            "charOffset": s.start, "charLength": max(s.end - s.start, 0)}


def _message(d: Diagnostic) -> str:
    parts = [d.message + (f": {d.label}" if d.label else "")]
    parts += [f"note: {n}" for n in d.notes]
    if d.help:
        parts.append(f"help: {d.help}")
    return "\n".join(parts)


def to_sarif(diags: Sequence[Diagnostic],
             suppressed: Iterable[tuple[Diagnostic, Suppression]] = ()) -> JSONObject:
    """The SARIF log as plain data."""
    suppressed = list(suppressed)
    descriptors: list[JSON] = [rule_descriptor(r) for r in RULES]
    index = {r.code: i for i, r in enumerate(RULES)}
    for d in list(diags) + [d for d, _ in suppressed]:
        if d.code not in index:
            index[d.code] = len(descriptors)
            descriptors.append(_error_descriptor(d.code))

    def result(d: Diagnostic, sup: Suppression | None) -> JSON:
        physical: JSONObject = {"artifactLocation": {"uri": _uri(d.path)}}
        region = _region(d)
        if region is not None:
            physical["region"] = region
        location: JSONObject = {"physicalLocation": physical}
        res: JSONObject = {
            "ruleId": d.code, "ruleIndex": index[d.code], "level": _LEVEL[d.severity],
            "message": {"text": _message(d)}, "locations": [location],
        }
        related: list[JSON] = [
            {"id": i, "physicalLocation": {"artifactLocation": {"uri": _uri(d.path)},
                                           "region": _region_of(lb.span)},
             "message": {"text": lb.message or "related"}}
            for i, lb in enumerate(d.secondary)]
        if related:
            res["relatedLocations"] = related
        if sup is not None:
            res["suppressions"] = [{"kind": "inSource",
                                    "justification": sup.reason or "no reason given"}]
        return res

    results: list[JSON] = ([result(d, None) for d in diags]
                           + [result(d, s) for d, s in suppressed])
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "funnelc", "version": __version__,
                                "semanticVersion": __version__, "rules": descriptors}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _region_of(span: Span) -> JSONObject:
    return {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line,
            "endColumn": max(span.end_column, span.column + (1 if span.end_line == span.line
                                                             else 0))}


def render_sarif(diags: Sequence[Diagnostic],
                 suppressed: Iterable[tuple[Diagnostic, Suppression]] = ()) -> str:
    return json.dumps(to_sarif(diags, suppressed), ensure_ascii=False, indent=2)
