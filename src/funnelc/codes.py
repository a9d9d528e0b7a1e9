"""Every diagnostic code funnelc reports, defined once: the code, where it comes from and
what it means.

The raise sites use the constants below (`Diagnostic(codes.FN290, …)`), the checker's
table (`checks.registry.error_codes`), SARIF, and the error-code pages of the docs
(`python -m funnelc.docs_gen`) read `REGISTRY`, so a meaning is written in one place and
a code cannot be reported without one (tests/test_docs_codes.py fails on a code used in
`src/` but not defined here, or defined twice).

Lint codes (FN1xx) are not here: each lint rule is its own definition (`code`, `title`
and docstring in `lint/rules/`), and `docs/rules.md` is generated from those.

Areas: `read` (FN0xx, reading and parsing a file), `check` (FN2xx, the semantic
checks), `run` (FN29x, the commands that run a funnel: simulate, whatif, sweep, staff),
and `export:<crm>` (FN3xx, the limits of one CRM target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CodeInfo", "Area", "REGISTRY", "DEFINED", "codes_in", "AREA_TITLES"]

Area = Literal["read", "check", "run", "export:amocrm", "export:bitrix24",
               "export:pipedrive", "export:hubspot", "export:salesforce"]

AREA_TITLES: dict[str, str] = {
    "read": "Reading and parsing a file",
    "check": "Semantic checks",
    "run": "Running a funnel (simulate, whatif, sweep, staff)",
    "export:amocrm": "amoCRM export limits",
    "export:bitrix24": "Bitrix24 export limits",
    "export:pipedrive": "Pipedrive export limits",
    "export:hubspot": "HubSpot export limits",
    "export:salesforce": "Salesforce export limits",
}


@dataclass(frozen=True)
class CodeInfo:
    """One code's definition. `meaning` is the one-line table entry (lowercase, says
    what is wrong); `more` the longer explanation the code's docs page adds."""

    code: str
    area: Area
    meaning: str
    severity: Literal["error", "warning"] = "error"
    more: str = ""


DEFINED: list[CodeInfo] = []
"""Every definition in the order written, duplicates included (the test looks for them)."""


def _define(code: str, area: Area, meaning: str, *, severity: Literal["error", "warning"] =
            "error", more: str = "") -> str:
    DEFINED.append(CodeInfo(code, area, meaning, severity, more))
    return code


# ------------------------------------------------------------------ reading and parsing
FN001 = _define("FN001", "read", "unexpected token (a statement is malformed)")
FN002 = _define("FN002", "read",
                "unexpected character (including digits that are not ASCII 0-9)")
FN003 = _define("FN003", "read", "unterminated text in quotes")
FN004 = _define("FN004", "read", "unexpected end of file (usually a missing `}`)")
FN005 = _define("FN005", "read",
                "unknown escape in quoted text (a backslash before a character other than "
                "`\"` or `\\`)",
                more="A backslash in quoted text escapes only a quote (`\\\"`) or a "
                     "backslash (`\\\\`), as in TOML and JSON; a backslash that is meant "
                     "is written twice: `\"C:\\\\Users\"`. There are no `\\n` or `\\t` "
                     "escapes: a quoted text is one line.")
FN010 = _define("FN010", "read", "the file is empty")
FN011 = _define("FN011", "read", "a binary file, or text that is not UTF-8")
FN012 = _define("FN012", "read", "the file is too large (over 10 MB)")
FN013 = _define("FN013", "read",
                "the file cannot be read: missing, a directory, no permission",
                more="A usage error: `check` exits 2, not 1.")

# ------------------------------------------------------------------ semantic checks
FN201 = _define("FN201", "check", "unknown stage")
FN202 = _define("FN202", "check", "unknown pipeline")
FN203 = _define("FN203", "check",
                "a bare stage name outside any pipeline when no pipeline is `main`")
FN204 = _define("FN204", "check", "unknown team")
FN205 = _define("FN205", "check", "unknown field")
FN206 = _define("FN206", "check", "unknown source")
FN207 = _define("FN207", "check", "two teams/fields/sources/pipelines/scenarios, or two "
                "stages of a pipeline, with one name")
FN208 = _define("FN208", "check", "a once-only statement written twice (stage, outcome, "
                "cadence, account, pipeline flag)")
FN209 = _define("FN209", "check", "the same outcome target twice in one stage")
FN210 = _define("FN210", "check", "more than one `account` block")
FN211 = _define("FN211", "check", "more than one `main` pipeline")
FN212 = _define("FN212", "check", "a stage's outcome shares and `stay` do not add up to 100%")
FN213 = _define("FN213", "check", "an outcome without a share where the stage has several "
                "outcomes or `stay`")
FN214 = _define("FN214", "check", "a direct `->` into another pipeline (only `then copy` "
                "crosses pipelines)")
FN215 = _define("FN215", "check", "a stage nothing leads to (no source, move, copy or reopen)")
FN216 = _define("FN216", "check", "a pipeline with no way to `won`")
FN217 = _define("FN217", "check", "zero where a positive value is needed (team size, sla, "
                "patience, respond, due, source rate)")
FN218 = _define("FN218", "check", "a share over 100%, or 0% for an outcome, reopen or "
                "touch reply")
FN219 = _define("FN219", "check", "`int(low..high)` with low above high")
FN220 = _define("FN220", "check", "an enum/multi option that is empty or listed twice")
FN221 = _define("FN221", "check", "a distribution with the wrong number of values")
FN222 = _define("FN222", "check", "a distribution with impossible values (low > high, mean "
                "or sd of zero…)")
FN223 = _define("FN223", "check", "an amount where a duration is needed, or a duration "
                "where an amount is needed")
FN224 = _define("FN224", "check", "working hours that are not a span of one day")
FN225 = _define("FN225", "check", "a colour not written `#rrggbb`")
FN226 = _define("FN226", "check", "a cadence stage that also has `->` outcomes or `stay`")
FN227 = _define("FN227", "check", "a cadence without touches")
FN228 = _define("FN228", "check", "cadence touch offsets that go back in time")
FN229 = _define("FN229", "check", "a cadence without an `on reply` or `on exhausted` route")
FN230 = _define("FN230", "check", "a month listed twice in a source's profile")
FN231 = _define("FN231", "check", "a `reopen` reason no deal of the pipeline is lost for")
FN232 = _define("FN232", "check", "a scenario share change for an outcome the stage does "
                "not have")
FN233 = _define("FN233", "check", "a scenario that makes a stage's shares not add up to 100%")
FN234 = _define("FN234", "check", "a blank name (empty, or only spaces and invisible "
                "characters)")
FN235 = _define("FN235", "check", "an invisible character in a name (zero-width, direction "
                "control, control character), or a direction control in a text")
FN236 = _define("FN236", "check", "`patience` on a stage where nobody queues (no owner "
                "team, or no `work`)")
FN237 = _define("FN237", "check", "`patience` on a cadence stage")
FN238 = _define("FN238", "check", "a team member's `cost`, a source's `cost` per lead or "
                "its `budget` of zero")
FN239 = _define("FN239", "check", "a team size beyond any CRM account's users (over 10,000)",
                more="A team is people working one CRM account, and no account has more "
                     "users: Bitrix24's largest plan is sold for up to 10,000, an amoCRM "
                     "account has at most a few thousand. A larger size is a slip, such as a "
                     "digit held down; the simulator would take it at its word. The same "
                     "limit holds for a scenario's size, a `--set` line and "
                     "`staff --max-size`.")

# ------------------------------------------------------------------ running a funnel
FN290 = _define("FN290", "run", "cannot simulate: a file that passed the checks but still "
                "cannot be run as it stands",
                more="For example a reference the simulator cannot resolve. Exit code 1.")
FN291 = _define("FN291", "run", "cannot apply scenario: a scenario's change that cannot be "
                "applied to the funnel as it stands",
                more="Exit code 1; a `--set` naming nothing gets the checker's code "
                "instead, exit 2.")
FN292 = _define("FN292", "run", "a `--vary` range that is empty, missing, mixes units or "
                "varies one axis twice", more="A usage error: exit code 2.")
FN293 = _define("FN293", "run", "a `--target` that cannot be read",
                more="A usage error: exit code 2.")

# ------------------------------------------------------------------ CRM export limits
FN301 = _define("FN301", "export:amocrm", "more than 50 pipelines (amoCRM's limit per account)")
FN302 = _define("FN302", "export:amocrm", "a pipeline with more than 97 stages (100 statuses "
                "per pipeline, the three system statuses — unsorted, 142, 143 — included)")
FN303 = _define("FN303", "export:amocrm", "a stage colour outside amoCRM's 21-colour palette "
                "(help: the nearest palette colour by RGB distance)")
FN304 = _define("FN304", "export:amocrm", "a hint longer than 1000 characters (the limit of "
                "a status description; never truncated silently)")
FN305 = _define("FN305", "export:amocrm", "a blank name (pipeline, stage, field or enum "
                "value): amoCRM requires non-empty names")
FN320 = _define("FN320", "export:bitrix24", "a pipeline name over 255 characters "
                "(`crm.category.add` limit)")
FN321 = _define("FN321", "export:bitrix24", "a stage name that leaves no Latin letter or "
                "digit for a STATUS_ID (`★★★`, `—`)")
FN322 = _define("FN322", "export:bitrix24", "a blank pipeline or stage name (`NAME` is "
                "required, not whitespace)")
FN330 = _define("FN330", "export:pipedrive", "a blank pipeline, stage, field or option name")
FN340 = _define("FN340", "export:hubspot", "a pipeline name over 36 characters")
FN341 = _define("FN341", "export:hubspot", "two stages of a pipeline with one label "
                "(case-insensitive; the closed won/lost labels included)")
FN342 = _define("FN342", "export:hubspot", "more than 100 stages in a pipeline, the two "
                "closed stages included")
FN343 = _define("FN343", "export:hubspot", "a blank pipeline or stage name")
FN350 = _define("FN350", "export:salesforce", "a stage, won or lost value name over 40 "
                "characters (the `StageName` picklist holds 40)")
FN351 = _define("FN351", "export:salesforce", "a pipeline name over 255 characters (the "
                "sales-process description holds 255)")
FN352 = _define("FN352", "export:salesforce", "a pipeline name that leaves no Latin letter "
                "or digit for the sales-process name")
FN353 = _define("FN353", "export:salesforce", "one name both an open stage and a lost "
                "reason, or a stage named like the won/lost value: a stage value is open or "
                "closed, not both")
FN354 = _define("FN354", "export:salesforce", "a stage name in several pipelines with "
                "different win probabilities or `key` flags: they share one value, which "
                "keeps the first pipeline's", severity="warning")
FN355 = _define("FN355", "export:salesforce", "a blank pipeline, stage or lost reason name")
FN356 = _define("FN356", "export:salesforce", "a field name over 40 characters (a custom "
                "field's label holds 40) or an option over 255 (a picklist value's)")

REGISTRY: dict[str, CodeInfo] = {info.code: info for info in DEFINED}
"""Code → definition (the first, should a code be defined twice)."""


def codes_in(area_prefix: str) -> dict[str, str]:
    """Code → meaning for the codes whose area starts with `area_prefix`, in code order."""
    return {c: i.meaning for c, i in sorted(REGISTRY.items()) if i.area.startswith(area_prefix)}
