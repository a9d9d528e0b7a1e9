"""The list of semantic checks, in order. Adding a check = one module + one line here.

Error codes of the compiler core: FN0xx are raised while reading and parsing
(`source.py`, `api.py`, `syntax.py`), FN2xx by the checks below. (FN1xx are lint
warnings, FN3xx CRM export limits: they have their own tables.) The golden tests read
this table: every code in it must have a golden case under `tests/cases/errors/`, and
every FN0xx/FN2xx code the core can raise must be in it.

| code  | meaning |
|-------|---------|
| FN001 | unexpected token (a statement is malformed) |
| FN002 | unexpected character (including digits that are not ASCII 0-9) |
| FN003 | unterminated text in quotes |
| FN004 | unexpected end of file (usually a missing `}`) |
| FN010 | the file is empty |
| FN011 | a binary file, or text that is not UTF-8 |
| FN012 | the file is too large (over 10 MB) |
| FN013 | the file cannot be read: missing, a directory, no permission |
| FN201 | unknown stage |
| FN202 | unknown pipeline |
| FN203 | a bare stage name outside any pipeline when no pipeline is `main` |
| FN204 | unknown team |
| FN205 | unknown field |
| FN206 | unknown source |
| FN207 | two teams/fields/sources/pipelines/scenarios, or two stages of a pipeline, with one name |
| FN208 | a once-only statement written twice (stage, outcome, cadence, account, pipeline flag) |
| FN209 | the same outcome target twice in one stage |
| FN210 | more than one `account` block |
| FN211 | more than one `main` pipeline |
| FN212 | a stage's outcome shares and `stay` do not add up to 100% |
| FN213 | an outcome without a share where the stage has several outcomes or `stay` |
| FN214 | a direct `->` into another pipeline (only `then copy` crosses pipelines) |
| FN215 | a stage nothing leads to (no source, move, copy or reopen) |
| FN216 | a pipeline with no way to `won` |
| FN217 | zero where a positive value is needed (team size, sla, patience, respond, due, source rate) |
| FN218 | a share over 100%, or 0% for an outcome, reopen or touch reply |
| FN219 | `int(low..high)` with low above high |
| FN220 | an enum/multi option that is empty or listed twice |
| FN221 | a distribution with the wrong number of values |
| FN222 | a distribution with impossible values (low > high, mean or sd of zero…) |
| FN223 | an amount where a duration is needed, or a duration where an amount is needed |
| FN224 | working hours that are not a span of one day |
| FN225 | a colour not written `#rrggbb` |
| FN226 | a cadence stage that also has `->` outcomes or `stay` |
| FN227 | a cadence without touches |
| FN228 | cadence touch offsets that go back in time |
| FN229 | a cadence without an `on reply` or `on exhausted` route |
| FN230 | a month listed twice in a source's profile |
| FN231 | a `reopen` reason no deal of the pipeline is lost for |
| FN232 | a scenario share change for an outcome the stage does not have |
| FN233 | a scenario that makes a stage's shares not add up to 100% |
| FN234 | a blank name (empty, or only spaces and invisible characters) |
| FN235 | an invisible character in a name (zero-width, direction control, control character), or a direction control in a text |
| FN236 | `patience` on a stage where nobody queues (no owner team, or no `work`) |
| FN237 | `patience` on a cadence stage |
| FN238 | a team member's `cost`, a source's `cost` per lead or its `budget` of zero |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..diagnostics import Diagnostic
from ..model import FunnelFile
from .cadences import check_cadences
from .colors import check_colors
from .cross_pipeline_moves import check_cross_pipeline_moves
from .distributions import check_distributions
from .duplicate_names import check_duplicate_names
from .field_types import check_field_types
from .money import check_money
from .name_characters import check_name_characters
from .patience import check_patience
from .positive_values import check_positive_values
from .profiles import check_profiles
from .reopen_reasons import check_reopen_reasons
from .repeated_outcomes import check_repeated_outcomes
from .repeated_statements import check_repeated_statements
from .scenario_shares import check_scenario_shares
from .share_ranges import check_share_ranges
from .single_account import check_single_account
from .single_main import check_single_main
from .stage_shares import check_stage_shares
from .unknown_fields import check_unknown_fields
from .unknown_sources import check_unknown_sources
from .unknown_stages import check_unknown_stages
from .unknown_teams import check_unknown_teams
from .unreachable_stages import check_unreachable_stages
from .way_to_won import check_way_to_won
from .working_hours import check_working_hours

Check = Callable[[FunnelFile], Iterable[Diagnostic]]

CHECKS: tuple[Check, ...] = (
    check_unknown_stages,
    check_unknown_teams,
    check_unknown_fields,
    check_unknown_sources,
    check_name_characters,
    check_duplicate_names,
    check_repeated_statements,
    check_repeated_outcomes,
    check_single_account,
    check_single_main,
    check_stage_shares,
    check_cross_pipeline_moves,
    check_unreachable_stages,
    check_way_to_won,
    check_positive_values,
    check_share_ranges,
    check_field_types,
    check_distributions,
    check_working_hours,
    check_colors,
    check_cadences,
    check_patience,
    check_money,
    check_profiles,
    check_reopen_reasons,
    check_scenario_shares,
)


def run_checks(funnel: FunnelFile) -> list[Diagnostic]:
    """Run every semantic check; findings sorted by position so output reads top-down."""
    out: list[Diagnostic] = []
    for check in CHECKS:
        out.extend(check(funnel))
    return sorted(out, key=Diagnostic.sort_key)


def error_codes() -> dict[str, str]:
    """Code → meaning, read from the table above (the README and the tests use it)."""
    codes: dict[str, str] = {}
    for line in (__doc__ or "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("FN") and cells[0][2:].isdigit():
            codes[cells[0]] = cells[1]
    return codes
