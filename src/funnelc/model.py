"""The typed model of a funnel file: what every later stage (checks, exports, analysis,
simulation, reports) reads. Nothing downstream sees text or parse trees.

Every node carries the `Span` of the source it came from, so any finding about it can
point at the file with a caret. Durations are stored in hours (the unit all outputs use)
together with the literal the author wrote, so the formatter can print `90m` back as
`90m` instead of `1.5h`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .span import Span

__all__ = [
    "Span", "Node", "Quantity", "Dist", "Duration", "Share", "Rate", "DayHours", "Hours",
    "Account", "Team", "FieldType", "CardField", "Source", "MonthShare", "StageRef",
    "StageTarget", "WonTarget", "LostTarget", "Target", "Copy", "Comparison", "Condition",
    "TaskAction", "MessageAction", "AssignAction", "Action", "Sla", "Patience", "Outcome", "Touch",
    "CadenceRoute", "Cadence", "Alias", "Stage", "Reopen", "Pipeline", "Override", "Scenario",
    "FunnelFile", "Name", "Entity", "Purpose", "Style", "QueuePolicy", "Channel",
]

_M = TypeVar("_M", bound=BaseModel)

HOURS_PER_UNIT: dict[str, float] = {
    "s": 1 / 3600, "m": 1 / 60, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0,
}
HOURS_PER_RATE_UNIT: dict[str, float] = {
    "hour": 1.0, "day": 24.0, "week": 168.0, "month": 730.0,
}


class Node(BaseModel):
    """Base of every model node: immutable, strict about unknown keys, and spanned.

    `defer_build`: a class's validation schema is built when something first validates
    one (an importer, a scenario, a test), not at import. The builder never validates
    (`trusted_constructor`), so `check` and `fmt` no longer pay ~60 schema builds at
    start-up (about 5 % of it)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    span: Span


_new_object = object.__new__
# The four slots of every pydantic model, set through their descriptors: the name
# lookup `object.__setattr__` does per call was a quarter of the builder's constructors.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def trusted_constructor(cls: type[_M]) -> Callable[..., _M]:
    """A constructor for `cls` that skips pydantic validation, for the builder only.

    The builder turns grammar tokens into values of exactly the field types (the lexer
    has already admitted only the literals a `Literal` field allows, numbers are
    converted by the builder, enums made from their tokens), and no model has a
    validator, so validation could only re-check what the grammar guarantees; on a
    20 000-stage file it was half of the build (618 000 validations). The object made
    is the one validation makes: fields in declaration order, defaults for the missing
    ones, `model_fields_set` = the names given, no extras, no private attributes.
    Everything outside the builder (importers, scenarios, tests) keeps validating.
    """
    fields = cls.model_fields
    for info in fields.values():
        if info.default_factory is not None:  # pragma: no cover - guards a future model
            raise TypeError(f"{cls.__name__}: trusted construction needs plain defaults")
    # Every field in declaration order, defaults filled in; `make` copies it and writes
    # the given values over it (the builder always gives the required fields).
    template = {n: None if f.is_required() else f.default for n, f in fields.items()}
    # One fields-set per combination of names given, shared by the objects built with
    # it (a set per object was a third of the model's memory). Pydantic never changes
    # the set in place: a frozen model refuses assignment, and `model_copy` and
    # `copy.deepcopy` give the copy a set of its own before updating it.
    shared_sets: dict[tuple[str, ...], set[str]] = {}

    def make(**values: Any) -> _M:
        obj = _new_object(cls)
        _set_dict(obj, {**template, **values})
        given = tuple(values)
        fields_set = shared_sets.get(given)
        if fields_set is None:
            fields_set = shared_sets[given] = set(given)
        _set_fields_set(obj, fields_set)
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    return make


_SPAN_FIELDS_SET = set(Span.model_fields)


def trusted_span(line: int, column: int, end_line: int, end_column: int, start: int,
                 end: int) -> Span:
    """`trusted_constructor(Span)` with the six fields given in order: the builder makes
    a third of a million spans on a 20 000-stage pipeline."""
    obj = _new_object(Span)
    _set_dict(obj, {"line": line, "column": column, "end_line": end_line,
                    "end_column": end_column, "start": start, "end": end})
    _set_fields_set(obj, _SPAN_FIELDS_SET)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


class Quantity(Node):
    """A number as written: a duration (stored in hours) or an amount (k/M expanded)."""

    kind: Literal["duration", "amount"]
    value: float
    text: str


class Dist(Node):
    """A probability distribution of durations or amounts.

    Parameters are the ones a consultant can estimate: `exp(mean)`,
    `uniform(low, high)`, `triangular(low, mode, high)`, `lognormal(mean, sd)`,
    `gamma(mean, sd)`, `empirical(v1, v2, ...)` (each value equally likely), and
    `fixed(v)` or a bare value.
    """

    kind: Literal["fixed", "exp", "uniform", "triangular", "lognormal", "gamma", "empirical"]
    args: tuple[Quantity, ...]
    bare: bool = False

    @property
    def mean(self) -> float:
        """Expected value, in hours for durations; used by the exact funnel maths (per
        route and stage of every analysis: the parameters are read only as needed)."""
        kind, args = self.kind, self.args
        if kind in ("fixed", "exp", "lognormal", "gamma"):
            return args[0].value
        if kind == "uniform":
            return (args[0].value + args[1].value) / 2
        if kind == "triangular":
            return sum([q.value for q in args[:3]]) / 3
        return sum([q.value for q in args]) / len(args)


_QUANTITY_FIELDS_SET = set(Quantity.model_fields)
_DIST_FIELDS_SET = set(Dist.model_fields)


def trusted_fixed_duration(span: Span, hours: float, text: str) -> Dist:
    """`fixed(hours)` written bare at `span` (an SLA's delay as a distribution), made as
    `trusted_constructor(Quantity)` and `trusted_constructor(Dist)` with every field given
    would make it: routing makes one per stage with a stay share and an SLA, on every
    `analyze`, export and simulation."""
    q = _new_object(Quantity)
    _set_dict(q, {"span": span, "kind": "duration", "value": hours, "text": text})
    _set_fields_set(q, _QUANTITY_FIELDS_SET)
    _set_extra(q, None)
    _set_private(q, None)
    d = _new_object(Dist)
    _set_dict(d, {"span": span, "kind": "fixed", "args": (q,), "bare": True})
    _set_fields_set(d, _DIST_FIELDS_SET)
    _set_extra(d, None)
    _set_private(d, None)
    return d


class Duration(Node):
    hours: float
    text: str


class Share(Node):
    """A percentage as written; `value` is the fraction (0.35 for `35%`)."""

    value: float
    text: str


class Rate(Node):
    """Arrivals (or money, for a `cost` or `budget`) per unit of time as written (`12/day`,
    `90k/month`, k/M expanded into `count`); `per_hour` is what the engine uses."""

    count: float
    unit: Literal["hour", "day", "week", "month"]
    text: str

    @property
    def per_hour(self) -> float:
        return self.count / HOURS_PER_RATE_UNIT[self.unit]


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS: tuple[str, ...] = (
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
)


class DayHours(Node):
    """One working-calendar entry: `mon-fri 09:00-18:00`; times in minutes after midnight."""

    first_day: Weekday
    last_day: Weekday
    start_minute: int
    end_minute: int
    text: str

    @property
    def days(self) -> tuple[str, ...]:
        i, j = WEEKDAYS.index(self.first_day), WEEKDAYS.index(self.last_day)
        if i <= j:
            return WEEKDAYS[i : j + 1]
        return WEEKDAYS[i:] + WEEKDAYS[: j + 1]


class Hours(Node):
    entries: tuple[DayHours, ...]


class Entity(str, Enum):
    deal = "deal"
    contact = "contact"
    company = "company"


class Style(str, Enum):
    process = "process"
    conversion = "conversion"


class Purpose(str, Enum):
    qualification = "qualification"
    telemarketing = "telemarketing"
    sales = "sales"
    production = "production"
    delivery = "delivery"
    claims = "claims"
    nurture = "nurture"
    regulars = "regulars"
    winback = "winback"


class QueuePolicy(str, Enum):
    fifo = "fifo"
    key_first = "key-first"


class Channel(str, Enum):
    call = "call"
    whatsapp = "whatsapp"
    telegram = "telegram"
    viber = "viber"
    email = "email"
    sms = "sms"
    chat = "chat"
    meeting = "meeting"


class Name(Node):
    """A name as written: `quoted` remembers whether the author used quotes."""

    value: str
    quoted: bool


class Account(Node):
    name: Name
    currency: Name | None = None
    hours: Hours | None = None
    language: Literal["ru", "en", "uk"] | None = None
    queue: QueuePolicy | None = None
    statements: tuple[str, ...] = ()
    """Order in which the author wrote the statements, for the formatter."""



class Team(Node):
    name: Name
    size: int
    size_span: Span
    cost: Rate | None = None
    """What one member costs per unit of time (`cost 90k/month`), in the account's
    currency: `count` is the money, `per_hour` the cost of a member-hour on the clock
    (paid whether or not the team is open)."""
    hours: Hours | None = None


class FieldType(Node):
    kind: Literal["text", "number", "money", "date", "phone", "email", "url", "bool",
                  "int", "enum", "multi"]
    low: int | None = None
    high: int | None = None
    values: tuple[Name, ...] = ()


class CardField(Node):
    name: Name
    type: FieldType
    entity: Entity = Entity.deal
    entity_explicit: bool = False


class StageRef(Node):
    """`"Stage"` (same pipeline) or `"Pipeline"."Stage"`."""

    pipeline: Name | None
    stage: Name

    def display(self) -> str:
        if self.pipeline is None:
            return f'"{self.stage.value}"'
        return f'"{self.pipeline.value}"."{self.stage.value}"'


class MonthShare(Node):
    month: str
    share: Share


class Source(Node):
    name: Name
    rate: Rate
    target: StageRef
    value: Dist | None = None
    profile: tuple[MonthShare, ...] = ()
    cost: Quantity | None = None
    """Money paid per lead the source brings (`cost 500`), in the account's currency."""
    budget: Rate | None = None
    """Money paid for the source per unit of time whatever it brings (`budget 300k/month`);
    `count` is the money. With `cost` too, both are paid."""
    options: tuple[str, ...] = ()
    """Order of the optional clauses as written (value/profile/cost/budget), for the
    formatter."""


class StageTarget(Node):
    kind: Literal["stage"] = "stage"
    ref: StageRef


class WonTarget(Node):
    kind: Literal["won"] = "won"


class LostTarget(Node):
    kind: Literal["lost"] = "lost"
    reason: Name


Target = Annotated[StageTarget | WonTarget | LostTarget, Field(discriminator="kind")]


class Copy(Node):
    """`then copy P.S`: the handoff that creates a new deal in another pipeline."""

    ref: StageRef


class Comparison(Node):
    field: Name
    op: Literal["=", "!=", "<", "<=", ">", ">=", "filled"]
    value: Quantity | Share | Name | bool | None = None
    value_text: str = ""


class Condition(Node):
    terms: tuple[Comparison, ...]


class TaskAction(Node):
    kind: Literal["task"] = "task"
    text: Name
    due: Duration | None = None
    team: Name | None = None


class MessageAction(Node):
    kind: Literal["message"] = "message"
    channel: Channel
    template: Name


class AssignAction(Node):
    kind: Literal["assign"] = "assign"
    team: Name


Action = Annotated[TaskAction | MessageAction | AssignAction, Field(discriminator="kind")]


class Sla(Node):
    """Stage lifetime: at entry + `after`, a deal still here takes `target` (and `copy`)."""

    after: Duration
    target: Target
    copy_to: Copy | None = None


class Patience(Node):
    """How long a client waits for a member before giving up: a deal still waiting in the
    owner team's queue when its patience (a random time from stage entry, on the clock,
    drawn per deal) runs out leaves by `target` (and `copy`). Unlike `sla`, it never ends
    a deal that is being worked or waits out an `after`; unlike `respond`, it moves the
    deal instead of measuring a breach."""

    dist: Dist
    target: Target
    copy_to: Copy | None = None


class Outcome(Node):
    target: Target
    share: Share | None = None
    after: Dist | None = None
    when: Condition | None = None
    copy_to: Copy | None = None
    options: tuple[str, ...] = ()
    """Order of the optional clauses as written (after/when/copy), for the formatter."""


class Touch(Node):
    channel: Channel
    offset: Duration | None
    """None means `now` (at stage entry); otherwise counted from stage entry."""
    reply: Share
    work: Dist | None = None


class CadenceRoute(Node):
    target: Target
    copy_to: Copy | None = None


class Cadence(Node):
    touches: tuple[Touch, ...]
    on_reply: CadenceRoute | None = None
    on_exhausted: CadenceRoute | None = None
    order: tuple[str, ...] = ()
    """Statement kinds in the order written ("touch", "reply", "exhausted")."""


class Alias(Node):
    """`alias salesforce "Short"`: the stage's name in that CRM, for a name over the
    CRM's length limit (Salesforce's stage values hold 40 characters). Only the export
    to that CRM reads it; the file, its checks and every other output keep the name."""

    crm: str
    name: Name


class Stage(Node):
    name: Name
    key: bool = False
    owner: Name | None = None
    work: Dist | None = None
    sla: Sla | None = None
    patience: Patience | None = None
    respond: Duration | None = None
    on_enter: tuple[Action, ...] = ()
    requires: tuple[Name, ...] = ()
    hint: Name | None = None
    color: Name | None = None
    alias: Alias | None = None
    outcomes: tuple[Outcome, ...] = ()
    stay: Share | None = None
    cadence: Cadence | None = None
    order: tuple[str, ...] = ()
    """Statement kinds in the order written, so `fmt` keeps the author's order."""
    duplicates: tuple[tuple[str, Span], ...] = ()
    """Single-valued statements written twice (kind, span of the repeat): an error."""


class Reopen(Node):
    """`reopen "reason" 10% after D -> stage`: part of the deals lost for that reason come back."""

    reason: Name
    share: Share
    after: Dist | None = None
    target: StageRef


class Pipeline(Node):
    name: Name
    main: bool = False
    style: Style | None = None
    purpose: Purpose | None = None
    stages: tuple[Stage, ...] = ()
    reopens: tuple[Reopen, ...] = ()
    order: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    """Flags in the order written (main/style/purpose) and duplicates among them."""


class Override(Node):
    """One what-if change. `kind` names what it changes; `subject` is the team, source or
    stage it changes; the value fields that matter for that kind are set."""

    kind: Literal["team_size", "team_hours", "source_rate", "source_profile", "source_cost",
                  "source_budget", "stage_work", "stage_sla", "stage_respond", "stage_owner",
                  "stage_share", "stage_stay"]
    subject: Name | None = None
    stage: StageRef | None = None
    size: int | None = None
    hours: Hours | None = None
    rate: Rate | None = None
    profile: tuple[MonthShare, ...] = ()
    cost: Quantity | None = None
    """`source S cost 300`: the source's new cost per lead."""
    budget: Rate | None = None
    """`source S budget 40k/month`: the source's new budget."""
    work: Dist | None = None
    sla: Sla | None = None
    respond: Duration | None = None
    owner: Name | None = None
    target: Target | None = None
    share: Share | None = None


class Scenario(Node):
    name: Name
    overrides: tuple[Override, ...] = ()


class FunnelFile(Node):
    """A whole account as one file, in the order the author wrote its items."""

    path: str
    accounts: tuple[Account, ...] = ()
    teams: tuple[Team, ...] = ()
    fields: tuple[CardField, ...] = ()
    sources: tuple[Source, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    order: tuple[tuple[str, int], ...] = ()
    """(kind, index) of each top-level item in the order written."""

    @property
    def account(self) -> Account | None:
        return self.accounts[0] if self.accounts else None

    def _index(self) -> _FileIndex:
        """Name lookups for this file, built once: checks, lint and routing resolve
        thousands of references, and a scan per lookup made large accounts quadratic.
        Kept outside the model (keyed by identity, dropped with the model) so equality
        and serialisation of the frozen model stay untouched."""
        entry = _INDEXES.get(id(self))
        if entry is not None and entry[0]() is self:
            return entry[1]
        index = _FileIndex(self)
        key = id(self)

        def forget(_ref: weakref.ReferenceType[FunnelFile], k: int = key) -> None:
            _INDEXES.pop(k, None)

        _INDEXES[key] = (weakref.ref(self, forget), index)
        return index

    def team(self, name: str) -> Team | None:
        return self._index().teams.get(name)

    def pipeline(self, name: str) -> Pipeline | None:
        return self._index().pipelines.get(name)

    def source(self, name: str) -> Source | None:
        return self._index().sources.get(name)

    def field(self, name: str) -> CardField | None:
        return self._index().fields.get(name)

    def default_pipeline(self) -> Pipeline | None:
        """Where a bare stage name outside any pipeline (a source, a scenario) is read:
        the first `main` pipeline, or the only one. The one statement of this rule:
        `resolve` and the checks both ask here."""
        return self._index().default_pipeline

    def resolve(self, ref: StageRef, home: Pipeline | None) -> tuple[Pipeline, Stage] | None:
        """Find the stage a reference names, reading an unqualified name in `home`
        (outside any pipeline, e.g. in a source: in the main pipeline, or the only one)."""
        entry = _INDEXES.get(id(self))  # `_index()` inlined: checks and lint resolve a
        index = entry[1] if entry is not None and entry[0]() is self else self._index()  # lot
        if ref.pipeline is not None:
            pipe = index.pipelines.get(ref.pipeline.value)
        elif home is not None:
            pipe = home
        else:
            pipe = index.default_pipeline
        if pipe is None:
            return None
        table = index._stages.get(id(pipe))
        stage = table.get(ref.stage.value) if table is not None else index.stage(
            pipe, ref.stage.value)
        return (pipe, stage) if stage is not None else None


class _FileIndex:
    """First-definition-wins name tables of one `FunnelFile` (duplicates are the
    checks' business; lookups answer as the old linear scans did)."""

    def __init__(self, f: FunnelFile) -> None:
        def first(items: tuple[Any, ...]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for item in items:
                out.setdefault(item.name.value, item)
            return out

        self.teams: dict[str, Team] = first(f.teams)
        self.pipelines: dict[str, Pipeline] = first(f.pipelines)
        self.sources: dict[str, Source] = first(f.sources)
        self.fields: dict[str, CardField] = first(f.fields)
        mains = [p for p in f.pipelines if p.main]
        self.default_pipeline: Pipeline | None = (
            mains[0] if mains else (f.pipelines[0] if len(f.pipelines) == 1 else None))
        self._stages: dict[int, dict[str, Stage]] = {}

    def stage(self, pipe: Pipeline, name: str) -> Stage | None:
        table = self._stages.get(id(pipe))
        if table is None:
            table = {}
            for st in pipe.stages:
                table.setdefault(st.name.value, st)
            self._stages[id(pipe)] = table
        return table.get(name)


_INDEXES: dict[int, tuple[weakref.ReferenceType[FunnelFile], _FileIndex]] = {}
