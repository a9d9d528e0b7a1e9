"""The list of semantic checks, in order. Adding a check = one module + one line here.

Error codes of the compiler core: FN0xx are raised while reading and parsing
(`source.py`, `api.py`, `syntax.py`), FN2xx by the checks below. Their meanings are
defined once, in `funnelc.codes` (with the FN29x run codes and the FN3xx export limits;
FN1xx lint codes belong to the lint rules). The golden tests read `error_codes()`: every
code in it must have a golden case under `tests/cases/errors/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..codes import codes_in
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
from .team_sizes import check_team_sizes
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
    check_team_sizes,
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
    """Code → meaning of the FN0xx and FN2xx codes, from `funnelc.codes` (the docs, SARIF
    and the golden tests use it)."""
    return {**codes_in("read"), **codes_in("check")}
