"""The lint rules, one module each, and `RULES`: the registry every front end reads
(`funnelc check`, `funnelc rules`, `docs/rules.md`, SARIF). Adding a rule = one module
+ one line here, in code order (`funnelc rules`, docs/rules.md and SARIF list them so);
codes are FN1xx and never reused."""

from __future__ import annotations

from ..base import Rule
from .automatic_messages import NoAutomaticMessage
from .backward_moves import BackwardMove
from .bare_documents import BareDocumentStage
from .cadence_length import LongCadence
from .card_overload import CardOverload
from .claims_decisions import ClaimsDecisions
from .entity_states import EntityStateStage
from .entry_tasks import StageWithoutEntryTask
from .funnel_shape import FunnelShape
from .graveyard import GraveyardStage
from .handover import OwnerChangeWithoutHandover
from .hints import StageWithoutHint
from .key_stage_fields import KeyStageWithoutRequiredFields
from .key_stages import SalesPipelineWithoutKeyStage
from .lost_handoff import LostHandoff
from .name_limits import NameTooLong
from .name_style import NameStyle
from .name_styles import MixedStageNameStyles
from .overlapping_conditions import OverlappingConditions
from .qualification import SalesWithoutQualification
from .respond_task import TaskDueAfterRespond
from .segmentation import UnsegmentedStageBeforeClose
from .skipped_fields import SkipPastRequiredFields
from .sla_units import DaysInWorkingHours
from .stage_count import TooManyStages
from .stage_fields import StageWithoutRequiredFields
from .stage_sla import StageWithoutSla
from .task_names import TaskNamedStage
from .uncovered_values import UncoveredConditionValues
from .unused_suppression import UnusedSuppression
from .warming import NoWarmingRoute
from .warming_mix import ColdDealsInWarming
from .won_warming import WonIntoWarming

__all__ = ["RULES", "BY_CODE", "BY_NAME", "find_rule"]

RULES: tuple[Rule, ...] = (
    UnusedSuppression(),
    StageWithoutEntryTask(),
    StageWithoutSla(),
    GraveyardStage(),
    NoWarmingRoute(),
    KeyStageWithoutRequiredFields(),
    StageWithoutHint(),
    CardOverload(),
    OwnerChangeWithoutHandover(),
    MixedStageNameStyles(),
    LostHandoff(),
    SalesWithoutQualification(),
    SalesPipelineWithoutKeyStage(),
    TaskNamedStage(),
    EntityStateStage(),
    BackwardMove(),
    FunnelShape(),
    UnsegmentedStageBeforeClose(),
    LongCadence(),
    NameTooLong(),
    NameStyle(),
    TooManyStages(),
    StageWithoutRequiredFields(),
    ColdDealsInWarming(),
    DaysInWorkingHours(),
    WonIntoWarming(),
    OverlappingConditions(),
    UncoveredConditionValues(),
    ClaimsDecisions(),
    SkipPastRequiredFields(),
    TaskDueAfterRespond(),
    NoAutomaticMessage(),
    BareDocumentStage(),
)

BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


def find_rule(key: str) -> Rule | None:
    """A rule by code (`FN101`, any case) or kebab-case name."""
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())
