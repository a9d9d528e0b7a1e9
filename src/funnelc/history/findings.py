"""What the audit found, as data: each finding names where it is (pipeline, stage,
the manager, source or reason it is about), how many deals it costs and how much money
those deals are worth. The sentences are written by `audit_render`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Entangled", "entangled_of", "Contact", "Regulars", "LeftOpen", "Speed", "Junk",
           "Band", "Comeback", "Upstream", "Finding", "FindingKind", "Named", "ALPHA", "explained_flags"]

ALPHA = 0.05
"""The level of every test of the audit: Holm's family-wise rate for managers and
sources, Benjamini–Hochberg's false discovery rate for loss reasons."""

FindingKind = Literal["manager_conversion", "manager_practice", "premature_losses",
                      "source_quality", "source_mix", "source_rate", "source_junk", "manager_speed",
                      "loss_reasons_missing", "loss_reason_shift", "loss_reason_upstream",
                      "graveyard", "hoarding", "dead_end", "manager_on_wins", "value_on_wins"]


@dataclass(frozen=True)
class Named:
    """A manager the finding names, with the count behind it against the rest of the
    team's: loss_reasons_missing names who leaves the reasons out (`count` of the
    manager's `of` losses, `rest_count` of the others' `rest_of`)."""
    name: str
    count: int
    of: int
    rest_count: int
    rest_of: int
    p_value: float


@dataclass(frozen=True)
class Speed:
    """manager_speed: how late the manager picks deals up at a stage against the rest of
    the team, and what the rest's own deals say lateness costs. The finding's `n` is the
    manager's deals whose wait is known (or is already past the limit), `observed` and
    `expected` the manager's late share and the rest's, `deals` the deals at stake (or,
    when the rest's conversion shows no clear effect of speed, the manager's late deals
    beyond the rest's share: then `money` is None)."""
    late: int
    rest_late: int
    rest_of: int
    """The rest of the team's late deals, of their deals."""
    diff_low: float
    diff_high: float
    """95 % interval (Newcombe) of the manager's late share minus the rest's."""
    limit_hours: float
    limit: Literal["respond", "median"]
    """The stage's `respond` in the funnel, or (without one) the team's median wait."""
    measure: Literal["picked", "move"]
    """What ends the wait: the first pick-up (call, message, task; the visit's end when
    it left unpicked), or, in a history without pick-ups, the first move."""
    working: bool
    """Whether the wait is counted in the account's working hours (`hours`)."""
    waiting: int
    """Of the manager's late deals, those never picked up and still waiting."""
    extra_late: float
    """The manager's late deals beyond the rest's share."""
    rest_late_reached: int
    rest_late_judged: int
    rest_on_time_reached: int
    rest_on_time_judged: int
    """The rest's deals taken late and on time that reached the next stage, of those
    judged (`managers`' maturity rule)."""
    conv_p: float | None
    """Two-sided z test of the rest's conversion, on time against late."""
    conv_clear: bool
    """Whether the rest's late deals convert clearly worse (Holm over the flagged rows):
    only then the finding has deals at stake and money."""
    overlaps: bool = False
    """Whether the audit also names the manager's conversion on the same step
    (manager_conversion): the deals at stake are part of that shortfall, not on top."""


@dataclass(frozen=True)
class Entangled:
    """A manager's or a source's difference read within the other dimension, when leads
    are routed (one manager works more than half of a source's deals): the manager
    against the rest within the same sources, the source against the others within the
    same managers (`stats.mantel_haenszel_p`). `explained`: the difference is not clear
    within the strata and the entangling `other` is itself clearly different the same
    way, so the finding is the other dimension's, not its subject's."""
    other: str
    """The source a manager works most of (manager findings), or the manager who works
    most of a source's deals (source_junk)."""
    share: float
    """The share of that source's deals the manager works."""
    within_p: float
    """The subject against the rest within the other dimension's strata."""
    explained: bool
    outside_k: int
    outside_n: int
    """The subject away from `other`: the manager on the other sources, the source with
    the other managers (conversions, or junk, of deals)."""
    rest_k: int
    rest_n: int
    """Where neither is: the rest of the team on the other sources, the other sources
    with the other managers, the baseline both are read against."""
    other_k: int
    other_n: int
    """`other` away from the subject: the source with the rest of the team (manager
    findings), the manager on the other sources (source_junk)."""
    other_p: float
    """`other` against the baseline (two-sided pooled z test)."""


def entangled_of(e: object) -> Entangled | None:
    """A table row's `entangled` struct (a dict with the fields' names, `manager` for
    `other`; null when leads are not routed) as the finding's."""
    if not isinstance(e, dict):
        return None

    def num(key: str) -> float:
        v = e[key]
        if not isinstance(v, (int, float)):
            raise TypeError(f"entangled {key}: expected a number, got {v!r}")
        return float(v)

    return Entangled(str(e["manager"]), num("share"), num("within_p"), bool(e["explained"]),
                     int(num("outside_k")), int(num("outside_n")), int(num("rest_k")),
                     int(num("rest_n")), int(num("other_k")), int(num("other_n")),
                     num("other_p"))


@dataclass(frozen=True)
class Regulars:
    """A manager's difference (conversion, practice, late pick-ups) read within the kinds
    of client, where the export names them (`transitions.regular_orders`): regular
    clients' orders and new business, the manager against the rest of the team within
    each (`stats.mantel_haenszel_p`). `holds`: the difference is still clear within the
    kinds at the bar Holm held the finding to; when not, the finding has no money at
    stake. `explained`: besides, regular orders clearly differ from new business within
    the same managers, the way that makes the manager's mix of clients look as the
    finding says: the finding is the clients', not the manager's (else the data cannot
    tell the two apart). Counts are (`k`, `n`): converted (late, for speed) of judged
    deals (`managers.client_mix`)."""
    orders_k: int
    orders_n: int
    """The manager's regular clients' orders."""
    new_k: int
    new_n: int
    """The manager's new clients' deals."""
    rest_orders_k: int
    rest_orders_n: int
    rest_new_k: int
    rest_new_n: int
    """The same for the rest of the team (the comparison's rest)."""
    within_p: float
    """The manager against the rest within the two kinds (Cochran–Mantel–Haenszel)."""
    mix_p: float | None
    """Regular orders against new business within the same managers, the manager and
    each of the rest (Cochran–Mantel–Haenszel); None when no manager has both."""
    orders_ahead: bool
    """Whether the orders' share (converted; late, for speed) is the higher one."""
    holds: bool
    explained: bool
    level: float = ALPHA
    """The bar Holm held the finding to (`managers.holm_bar`), which `within_p` must clear
    for the finding to hold: the sentence names it, since a p of 0.047 read «not clear»
    beside nothing that said the finding's bar was 0.01."""


@dataclass(frozen=True)
class LeftOpen:
    """A manager's difference (conversion, practice) read on the deals decided alone:
    those that reached the next stage or were lost. The comparison counts a deal still
    open at the stage, once it has waited as long as 90 % of the movers took
    (`managers._judged`), as not converted, which keeps a manager from hiding losses as
    open deals; but when one manager leaves far fewer (or more) deals open than the
    rest, that alone moves the rate. A closer who left no deal open looked «clearly
    better», 65.4 % against 51.63 %, and of the deals decided won 65.4 % against 63.07 %
    (p = 0.46): the rest's 1 434 old open deals made the gap. `explained`: the open
    shares clearly differ (two-sided test, 5 %) the way that moves the manager's rate as
    the finding says, and the decided deals do not show the difference at the finding's
    bar (`level`, Holm's, as `Regulars`): the finding keeps its figures and has no money
    at stake. Counts are the judged deals the finding compares."""
    open_n: int
    n: int
    """The manager's judged deals neither moved on nor lost, of the judged deals."""
    rest_open: int
    rest_n: int
    """The same for the rest of the team the finding compares with."""
    open_p: float
    """Two-sided pooled z test of the open shares."""
    closed_k: int
    closed_n: int
    rest_closed_k: int
    rest_closed_n: int
    """Moved on, of the deals decided (moved on or lost): the manager's and the rest's."""
    closed_p: float
    """Two-sided pooled z test of the rates on the deals decided."""
    days: float
    """How long an open deal had waited before it counted as not converted: the 90th
    percentile of the pair's movers' time."""
    explained: bool
    level: float = ALPHA


@dataclass(frozen=True)
class Contact:
    """source_junk: the part of the source's junk that is failed contact attempts
    («Не дозвонились», «Недозвон», "No answer"): how long those requests were called
    before they were given up, the source's against the other sources' lost for the same
    reasons. A request nobody reached is the lead's only if it was called as long."""
    reasons: tuple[str, ...]
    """The junk reasons that state a failed contact attempt, most first."""
    count: int
    """The source's junk deals lost with one of them."""
    hours: float
    """Their median time at the qualifying stage before the loss."""
    rest_count: int
    rest_hours: float | None
    """The other sources' deals lost so, and their median time (None without any)."""
    p_value: float | None
    """Mann–Whitney U test of the two times, two-sided (None with fewer than
    `junk.MIN_JUNK` on either side)."""
    sooner: bool
    """Given up clearly sooner than the other sources' (p < `ALPHA`, a smaller median):
    how long the team calls them, not the source, and the finding has no money."""


@dataclass(frozen=True)
class Junk:
    """source_junk: what the source's junk is made of and what it cost (`junk`). The
    finding's `deals` are the source's deals lost at the qualifying stage with a junk reason,
    `n` its deals, `observed` and `expected` its share and the other sources'."""
    reasons: tuple[tuple[str, int], ...]
    """The junk reasons with the source's junk deals each, most first."""
    rest_count: int
    rest_of: int
    """The other sources' junk deals, of their deals."""
    diff_low: float
    diff_high: float
    """95 % interval (Newcombe) of the source's share minus the rest's."""
    extra: float
    """Junk deals beyond what the rest's share would give the source's deals."""
    per_lead: float | None
    per_month: float | None
    """The funnel's price of the source (`cost`, `budget` a month); None when not given:
    then the finding's money is None."""
    months: int
    """Calendar months the source's deals came in (the budget paid over them)."""
    contact: Contact | None = None
    """When failed contact attempts make half of its junk or more: how long they were
    called (`Contact`)."""


@dataclass(frozen=True)
class Band:
    """loss_reason_shift: the deal-size band the change is largest in, clear on its own
    (Holm over the bands): the reason's losses among the band's losses in each period."""
    low: float
    high: float
    """The least and greatest value of the band's lost deals (the size table's names)."""
    losses_first: int
    of_first: int
    losses_last: int
    of_last: int
    p_value: float


@dataclass(frozen=True)
class Upstream:
    """loss_reason_upstream: why a reason's share of all the pipeline's losses moved while
    it held at the stages it is given at: an earlier `stage` lost more of the deals that
    reached it (the share fell) or fewer (it rose) (`losses_first` of `deals_first`, then
    `losses_last` of `deals_last`; `p_value` two-sided), `reason` the one that moved most
    there the same way (`reason_first`, `reason_last` of the same deals). The finding's
    `observed`/`expected` are the reason's share of all the losses (`all_counts`: its
    losses and all of them, first period then last), `counts` and `held_p` its figures at
    its own stage (the shifts table's, not clear)."""
    stage: str
    losses_first: int
    deals_first: int
    losses_last: int
    deals_last: int
    p_value: float
    reason: str
    reason_first: int
    reason_last: int
    all_counts: tuple[int, int, int, int]
    held_p: float


@dataclass(frozen=True)
class Comeback:
    """premature_losses: how the losses that came back did: the same deal reopened (back
    in a stage of its pipeline after the loss and not lost again within an hour, or on to
    the pair's next stage: `cohorts._reopens`), or a new deal of the same client (contact)
    entered the pipeline within `window_days` of the loss."""
    reopened: int
    new_deal: int
    window_days: int
    other_manager: int = 0
    """Of the new deals, those another manager had at their first stage: the client came
    back to a colleague, whose win it then is."""
    won: int = 0
    """Of the new deals, those won."""


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    pipeline: str
    stage: str | None
    to_stage: str | None
    subject: str | None
    """The manager, source or loss reason the finding is about."""
    deals: float
    """Deals the finding costs (or concerns, for data quality and graveyards)."""
    deals_low: float | None
    deals_high: float | None
    """95 % interval of `deals`, where it is an estimate."""
    money: float | None
    """`deals` times what a deal at that point is worth; None without deal values."""
    observed: float | None
    """The subject's share (conversion, share of losses) as a fraction."""
    expected: float | None
    """What it is compared with: the rest of the team, the first period."""
    n: int
    """Deals behind `observed`."""
    p_value: float | None
    periods: tuple[str, str] | None = None
    """(first, last) months compared, for changes over time."""
    within_days: float | None = None
    """Loss-reason shifts: the follow-up both cohorts are counted over (days from entry)."""
    after_days: float | None = None
    """Graveyards: the age in the stage (days) after which deals move on under half as
    often; `observed` is what the deals that reached it went on to, `expected` what all
    the stage's deals did."""
    daily: tuple[float, float] | None = None
    """Graveyards: the moves forward per deal-day in the stage before `after_days` and
    after it (`competing_risks.exposure_test`), the comparison the finding rests on."""
    band: Band | None = None
    """loss_reason_shift: where the change is largest by deal size, when clear."""
    stages: int | None = None
    """loss_reason_shift: the stages the reason is given at, over which its change is
    tested (Cochran–Mantel–Haenszel); `stage` is the one whose figures the finding gives,
    the one that moved most."""
    counts: tuple[int, int, int, int] | None = None
    """loss_reason_shift: the reason's losses and all the losses counted at `stage`, in
    the first period then the last; source_quality: the source's deals that moved on and those that
    entered, likewise: the sentence gives each share its base («116 of 449»)."""
    junk: Junk | None = None
    """source_junk: the source's junk by reason, the rest's and the price."""
    named: tuple[Named, ...] = ()
    """loss_reasons_missing: the managers whose share of such losses is clearly above
    the rest of the team's (Holm), most such losses first."""
    upstream: Upstream | None = None
    """loss_reason_upstream: the earlier stage whose losses moved the reason's share."""
    comeback: Comeback | None = None
    """premature_losses: which way the losses came back."""
    speed: Speed | None = None
    """manager_speed: the manager's late share, the rest's, the limit and the money."""
    entangled: Entangled | None = None
    """manager_conversion, manager_practice, source_junk: the difference read within the
    other dimension when a source's deals go mostly to one manager."""
    regulars: Regulars | None = None
    """manager_conversion, manager_practice, manager_speed: the difference read within
    the kinds of client (regular clients' orders, new business), where the export names
    the clients and the pair has both (`managers.within_regulars`)."""
    left_open: LeftOpen | None = None
    """manager_conversion, manager_practice: the difference read on the deals decided
    (moved on or lost), where the judged deals hold open ones (`managers.within_decided`)."""
    lone_stage: str | None = None
    """loss_reasons_missing: the pipeline's only failure stage, when that is why its
    losses have no reason (a Bitrix24 pipeline whose export has no loss-reason field:
    `QualityNote` loss_stage_alone); the sentence names the cause and what to export."""


def explained_flags(findings: list[Finding]) -> set[tuple[str, str, str, str]]:
    """The (pipeline, from, to, manager) conversion and practice flags another reading
    explains or leaves unclear: a routed source (`Entangled.explained`), the kinds of
    client (`Regulars.holds` false), the deals left open (`LeftOpen.explained`), the
    three the managers' summary keeps apart (`audit._by_source`, `_by_clients`,
    `_by_open`). Their findings have no money at stake; the funnel plot drew a closer
    whose «better» was the rest's open deals as a green «better beyond chance» beside
    the finding that said it was not her."""
    return {(f.pipeline, f.stage or "", f.to_stage or "", f.subject or "")
            for f in findings if f.kind in ("manager_conversion", "manager_practice")
            and ((f.entangled is not None and f.entangled.explained)
                 or (f.regulars is not None and not f.regulars.holds)
                 or (f.left_open is not None and f.left_open.explained))}
