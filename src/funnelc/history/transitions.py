"""Events → stage visits: when each deal entered each stage, when and how it left.

All of it is window expressions over the event table sorted by (deal, time): the row
after a stage entry is how the deal left it (another stage, won, lost) and when; a
stage entry with nothing after it is still open at the end of the data (censored: its
time in stage is at least `data_end - entered`). A `lost` row followed by a stage entry
is a deal that came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import polars as pl

from .deal_list import DEAL_LEVEL_STAGES
from .events import LOST, STAGE, WON, Catalog
from .order import FunnelRoutes, OrderSource, StageOrder, infer_order

__all__ = ["Visits", "build_visits", "by_deal", "stage_order", "returns", "client_returns",
           "kept_losses", "first_new_deal", "first_purchases", "regular_orders",
           "COMEBACK_DAYS", "REOPEN_HOURS", "OPEN"]

OPEN = "open"
HOUR_US = 3_600_000_000


@dataclass
class Visits:
    visits: pl.DataFrame
    """deal_id, pipeline, stage, entered, left, hours, entry_known, exit (stage/won/lost/open),
    to_pipeline, to_stage, reason, reason_unkept (a loss whose reason the export did not
    keep: `events.REASON_NOT_KEPT`), source, value, first_ts (deal's first event),
    reopened (entered after the deal had been lost once), picked (first pick-up by a
    manager, null when unknown or after the visit ended), manager (who moved or closed
    the deal out of the stage, else who worked it when it entered; null when the input
    names no one), last_activity (the deal's last recorded activity, when the CRM tells),
    contact (the deal's client, when the CRM tells: `events`), undone (the visit ended
    in a loss the deal was reopened from and lost again within the hour: `undone`; the
    loss tables count the later loss alone)."""
    data_start: datetime | None
    """First and last event (UTC); None when there are no events."""
    data_end: datetime | None
    order: dict[str, list[str]]
    rank: dict[tuple[str, str], int]
    """Position of each stage (`StageOrder.rank`): a move to rank + 1 is a step forward,
    to rank + 2 or more a skip, to a lower rank a move back; with a funnel, only a move
    its routes do not declare is a problem."""
    order_source: OrderSource = "data"
    routes: FunnelRoutes | None = None
    """The funnel's declared routes when there is a funnel."""
    seen_from: datetime | None = None
    """From when the history holds its cohorts whole, when its closes begin late (an
    export that starts mid-stream: `maturity.seen_from`); None when they do not. Set by
    `analytics.analyse`."""


def by_deal(events: pl.DataFrame) -> pl.DataFrame:
    """The events sorted by (deal, time, input order). Readers hand them over sorted
    (`events.normalize`), and a sort of a million rows copies every column: it is only
    done when a vectorised look finds a row out of place."""
    if events.height < 2:
        return events
    d, t, q = pl.col("deal_id"), pl.col("ts"), pl.col("seq")
    pd, pt, pq = d.shift(1), t.shift(1), q.shift(1)
    ok = events.select(((d > pd) | ((d == pd) & ((t > pt) | ((t == pt) & (q >= pq)))))
                       .fill_null(True).all()).item()
    return events if ok else events.sort(["deal_id", "ts", "seq"])


def build_visits(events: pl.DataFrame, order_hint: dict[str, dict[str, int]] | None = None,
                 catalog: Catalog | None = None, *,
                 routes: FunnelRoutes | None = None) -> Visits:
    """`routes`: the funnel's order and declared moves; `order_hint` (pipeline → stage →
    position), the funnel's order alone; else the CRM's (`catalog`), else inferred."""
    ev = by_deal(events)
    # Rows are sorted by deal: a per-deal value is the one at the deal's first row carried
    # forward (cheaper than windows hashing the string key), and how a visit ended is the
    # next row, when it belongs to the same deal. Only the stage entries (about half the
    # rows) and the rows after them are gathered: a million-row table of every "next"
    # column was the largest thing `history` held.
    d = pl.col("deal_id")
    first = (d != d.shift(1)).fill_null(True)
    at_first = lambda e: pl.when(first).then(e).forward_fill()  # noqa: E731
    lost = (pl.col("kind") == LOST).cast(pl.Int32)
    lost_before = lost.cum_sum() - lost
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    aux = ev.select(
        is_stage=pl.col("kind") == STAGE,
        same_next=(d == d.shift(-1)).fill_null(False),
        first_ts=at_first(pl.col("ts")),
        reopened=(lost_before - at_first(lost_before)) > 0,
        visit_no=row - at_first(row))
    idx = aux.select(pl.arg_where(pl.col("is_stage"))).to_series()
    # Whether the loss after each visit was undone within the hour (`undone`): a loss
    # and its misclicked reopening are one loss in the loss tables.
    lost_undone = (ev.select(undone(ev)).to_series() if ev.height
                   else pl.Series([], dtype=pl.Boolean))
    # Manager and last activity only where the input has them: gathering a column of
    # nulls a million long still allocates it.
    known = [c for c in ("manager", "last_activity", "contact", "holder")
             if c in ev.columns and ev[c].null_count() < ev.height]
    next_cols = ["manager"] if "manager" in known else []
    unkept = "reason_unkept" in ev.columns and ev["reason_unkept"].null_count() < ev.height
    next_cols += ["reason_unkept"] if unkept else []
    nidx = (idx + 1).clip(upper_bound=max(ev.height - 1, 0))
    cur = ev.select(pl.col("deal_id", "pipeline", "stage", "ts", "entry_known", "source",
                           "value", "picked", *known).gather(idx))
    nxt = ev.select(pl.col("ts", "kind", "pipeline", "stage", "loss_reason",
                           *next_cols).gather(nidx).name.prefix("n_"))
    per = aux.select(pl.col("same_next", "first_ts", "reopened", "visit_no").gather(idx))
    per = per.with_columns(n_undone=lost_undone.gather(nidx) if ev.height else lost_undone)
    del lost_undone
    del aux, idx, nidx
    both = pl.concat([cur, nxt, per], how="horizontal")
    del cur, nxt, per
    same = pl.col("same_next")
    nx = lambda c: pl.when(same).then(pl.col(f"n_{c}"))  # noqa: E731
    visits = both.select(
        "deal_id", "pipeline", "stage", entered="ts", left=nx("ts"),
        hours=pl.when(pl.col("entry_known")).then(
            (nx("ts") - pl.col("ts")).dt.total_microseconds() / HOUR_US),
        entry_known="entry_known",
        exit=pl.coalesce([nx("kind"), pl.lit(OPEN)]),
        to_pipeline=nx("pipeline"),
        to_stage=pl.when(same & (pl.col("n_kind") == STAGE)).then(pl.col("n_stage")),
        reason=pl.when(same & (pl.col("n_kind") == LOST)).then(pl.col("n_loss_reason")),
        reason_unkept=(same & (pl.col("n_kind") == LOST) & pl.col("n_reason_unkept")
                       .fill_null(False)) if unkept else pl.lit(False),
        source="source", value="value", first_ts="first_ts", reopened="reopened",
        visit_no="visit_no",
        picked=pl.when(pl.col("picked") <= pl.coalesce([nx("ts"), pl.col("picked")]))
        .then(pl.col("picked")),
        # Who had the deal in the stage: who moved or closed it; a deal still there, who
        # has it now where the export says (`holder`), else who it came with.
        manager=pl.coalesce([nx("manager"),
                             *([pl.when(~same.fill_null(False)).then(pl.col("holder"))] if "holder" in known
                               else []),
                             pl.col("manager")]) if "manager" in known
        else pl.lit(None, pl.Utf8),
        last_activity=pl.col("last_activity") if "last_activity" in known
        else pl.lit(None, pl.Datetime("us", "UTC")),
        contact=pl.col("contact") if "contact" in known else pl.lit(None, pl.Utf8),
        undone=(same & (pl.col("n_kind") == LOST) & pl.col("n_undone")).fill_null(False),
    )
    del both
    # "ts" is a UTC datetime column; polars types min()/max() as any literal.
    start = cast("datetime | None", events["ts"].min()) if events.height else None
    end = cast("datetime | None", events["ts"].max()) if events.height else None
    so = stage_order(visits, order_hint or {}, catalog, routes)
    return Visits(visits, start, end, so.order, so.rank, so.source, so.routes)


def stage_order(visits: pl.DataFrame, hint: dict[str, dict[str, int]],
                catalog: Catalog | None, routes: FunnelRoutes | None = None) -> StageOrder:
    """Stages of each pipeline in order, and their ranks: the funnel file's order where
    given (`routes`, or `hint`: pipeline → stage → position), else the CRM's order
    (`sort`), else inferred from the data (`order.infer_order`). Stages the data has
    and the order source lacks follow, in the data's order."""
    if routes is not None:
        hint = {p: {s: i for i, s in enumerate(lst)} for p, lst in routes.order.items()}
    seen = visits.group_by(["pipeline", "stage"]).agg(n=pl.len())
    data: dict[str, set[str]] = {}
    for p, s, _ in seen.iter_rows():
        data.setdefault(p, set()).add(s)
    # A list read deal by deal has one stage of its own: no order to take or infer.
    whole = bool(data) and all(ss <= set(DEAL_LEVEL_STAGES.values()) for ss in data.values())
    source: OrderSource = "deal_list" if whole else "funnel" if hint else (
        "crm" if catalog is not None and catalog.stages else "data")
    given: dict[str, list[str]] = (
        {p: sorted(h, key=h.__getitem__) for p, h in hint.items()} if hint
        else dict(catalog.stages) if source == "crm" and catalog is not None else {})
    inferred_o: dict[str, list[str]] = {}
    inferred_r: dict[tuple[str, str], int] = {}
    lacking = {p: ss for p, ss in data.items() if not ss <= set(given.get(p, []))}
    if lacking:
        part = visits.select("deal_id", "pipeline", "stage", "exit", "to_pipeline", "to_stage")
        if len(lacking) < len(data):
            part = part.filter(pl.col("pipeline").is_in(list(lacking)))
        inferred_o, inferred_r = _inferred(part)
        del part
    order: dict[str, list[str]] = {}
    rank: dict[tuple[str, str], int] = {}
    for p in list(given) + sorted(set(data) - set(given)):
        if p not in data:
            continue
        base = given.get(p, [])
        lst = [s for s in base if s in data[p]]
        top = len(base) - 1
        if not base:
            rank.update(((p, s), inferred_r[(p, s)]) for s in inferred_o.get(p, []))
            top = max((inferred_r[(p, s)] for s in inferred_o.get(p, [])), default=-1)
        else:
            rank.update(((p, s), base.index(s)) for s in lst)
        for s in inferred_o.get(p, []):
            if s not in lst:
                lst.append(s)
                if (p, s) not in rank:
                    top += 1
                    rank[(p, s)] = top
        order[p] = lst
    return StageOrder(order, rank, source, routes)


def _inferred(visits: pl.DataFrame) -> tuple[dict[str, list[str]], dict[tuple[str, str], int]]:
    """`order.infer_order` fed with the data: each stage's mean position in its deals'
    paths through the pipeline, and the deals' moves between stages of one pipeline."""
    start = ((pl.col("deal_id") != pl.col("deal_id").shift(1))
             | (pl.col("pipeline") != pl.col("pipeline").shift(1))).fill_null(True)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    stages = (visits.lazy().select("pipeline", "stage",
                                   pos=row - pl.when(start).then(row).forward_fill())
              .group_by(["pipeline", "stage"]).agg(pl.col("pos").mean(), n=pl.len())
              .sort(["pipeline", "stage"]).collect().iter_rows())
    moves = (visits.lazy().filter((pl.col("exit") == STAGE)
                                  & (pl.col("to_pipeline") == pl.col("pipeline")))
             .group_by(["pipeline", "stage", "to_stage"]).agg(n=pl.len()).collect().iter_rows())
    return infer_order(stages, moves)


REOPEN_HOURS = 1.0
"""A lost deal moved back into a stage came back unless it was lost again within this
many hours of the loss itself: a deal reopened by mistake, or only to change its loss
reason, is reopened and closed again in minutes, and its client did not come back
(`undone`, `cohorts._reopens`). Counted from the loss, not from the move back: a client
who calls back days later and is found not to fit in a ten-minute call did come back
(the developer's «Не вдалося зв'язатися» comebacks into «Інтерес підтверджено», a third
of them lost again within the hour of their return, read 5.2% where the records have
6.9%: tests/test_fit_acceptance.py)."""


def undone(events: pl.DataFrame) -> pl.Expr:
    """Over `events` sorted by deal (`by_deal`): whether each row is a loss the deal was
    reopened from (its next event a stage entry) and lost again, in the same pipeline,
    within `REOPEN_HOURS` of the loss: a misclick, or a reopening only to change the reason. That loss and the
    next are one loss, the next (its reason the one the manager settled on), and there
    was no comeback. Counted as a loss and a comeback each, a history where managers
    re-close deals to fix the reason read 17 comebacks where the audit counts 11, and
    `fit`'s reopen share counted the misclick both as a loss and as its comeback
    (`tests/test_comebacks_counted_once.py`)."""
    d = pl.col("deal_id")
    gid = (d != d.shift(1)).fill_null(True).cum_sum()
    is_lost = pl.col("kind") == LOST
    same_next = d == d.shift(-1)
    back_at = pl.when(same_next & (pl.col("kind").shift(-1) == STAGE)).then(pl.col("ts").shift(-1))
    # The deal's next loss after this row: the next loss of the table, if the same
    # deal's, and in the same pipeline. A loss in another pipeline is that pipeline's: a
    # deal lost in «Продажи», moved to «Прогрев» and lost there within the hour lost once
    # in each, as the audit's premature losses read it (`cohorts._reopens`: the loss
    # after a reopening in the same pipeline). (Not the next loss of the same pipeline
    # wherever it is: a window over deal and pipeline took 1.1 s of CPU a call on a
    # million events, against 0.08 s; a deal lost in «Продажи», in «Прогрев» and in
    # «Продажи» again within the hour keeps its first loss.)
    next_loss = pl.when(is_lost).then(pl.col("ts")).shift(-1).backward_fill()
    next_gid = pl.when(is_lost).then(gid).shift(-1).backward_fill()
    next_pipeline = pl.when(is_lost).then(pl.col("pipeline")).shift(-1).backward_fill()
    window = pl.duration(microseconds=int(REOPEN_HOURS * HOUR_US))
    return (is_lost & back_at.is_not_null() & (next_gid == gid)
            & (next_pipeline == pl.col("pipeline"))
            & (next_loss - pl.col("ts") < window)).fill_null(False)


def kept_losses(events: pl.DataFrame) -> pl.DataFrame:
    """The loss events that stand (every column of `events`, sorted by deal): each loss
    but one the deal was reopened from and lost again within the hour (`undone`)."""
    ev = by_deal(events)
    if ev.height == 0:
        return ev.filter(pl.col("kind") == LOST)
    return ev.filter((pl.col("kind") == LOST) & ~undone(ev))


def returns(events: pl.DataFrame) -> pl.DataFrame:
    """Every loss followed by the same deal entering a stage of the same pipeline: the deal
    came back; not a loss undone within the hour (`undone`: no comeback), nor a deal moved
    into another pipeline (a re-engagement pipeline the company moves old losses to: the
    company moved it, the client did not come back), as the audit's premature losses
    count (`cohorts._reopens`). Each loss that came back is a row: a deal lost and brought
    back twice is two. Columns: deal_id, pipeline (where it was lost), lost_at, reason,
    reason_unkept (the export did not keep the loss's reason), back_at, back_pipeline,
    back_stage, hours (lost → back), won_later."""
    same_next = pl.col("deal_id") == pl.col("deal_id").shift(-1)
    last = (pl.col("deal_id") != pl.col("deal_id").shift(-1)).fill_null(True)
    # Wins from this row to the end of the data, minus those from the deal's end on:
    # wins from here to the deal's end, without a window hashing the deal id.
    won = (pl.col("kind") == WON).cast(pl.Int32).reverse().cum_sum().reverse()
    won_after_deal = pl.when(last).then(won - (pl.col("kind") == WON).cast(pl.Int32)
                                        ).backward_fill()
    ev = by_deal(events)
    lazy = ev.lazy().select(
        "deal_id", "pipeline", "kind", "ts", "loss_reason",
        reason_unkept=pl.col("reason_unkept").fill_null(False) if "reason_unkept" in
        events.columns else pl.lit(False),
        n_kind=pl.when(same_next).then(pl.col("kind").shift(-1)),
        n_ts=pl.when(same_next).then(pl.col("ts").shift(-1)),
        n_pipeline=pl.when(same_next).then(pl.col("pipeline").shift(-1)),
        n_stage=pl.when(same_next).then(pl.col("stage").shift(-1)),
        won_after=(won - won_after_deal) > 0,
        undone=undone(ev) if ev.height else pl.lit(False),
    )
    return lazy.filter((pl.col("kind") == LOST) & (pl.col("n_kind") == STAGE)
                       & (pl.col("n_pipeline") == pl.col("pipeline")) & ~pl.col("undone")
                       ).select(
        "deal_id", "pipeline", lost_at="ts", reason="loss_reason", reason_unkept="reason_unkept",
        back_at="n_ts",
        back_pipeline="n_pipeline", back_stage="n_stage",
        hours=(pl.col("n_ts") - pl.col("ts")).dt.total_microseconds() / HOUR_US,
        won_later="won_after").collect()


COMEBACK_DAYS = 180
"""How long after a loss a new deal of the same client counts as the client coming
back (`client_returns`, `cohorts.Cohorts.pairs`' new_deal). amoCRM makes a new lead for
a known contact's call or form, Bitrix24 a new deal for a known CONTACT_ID, and managers
open one by hand: a client closed too early comes back so, not by the old deal being
reopened (seed 001: «щоб ліди не погіршували KPI, менеджер відправляє ліда у програні»,
a lead with potential). Half a year holds a decision a client put off (a flat, furniture,
a course: weeks to a few months) and leaves out the client's next purchase a year or
more on, which no manager lost. A client who had already bought is not counted at all
(`first_new_deal`): its next order within the half year is its next purchase."""


def client_returns(events: pl.DataFrame) -> pl.DataFrame:
    """Every loss whose deal did not come back itself (`returns`) but whose client did:
    another deal of the same `contact` entered the same pipeline after the loss and within
    `COMEBACK_DAYS` (the first such deal), unless the client had bought in the pipeline
    before the loss (`first_new_deal`: a repeat purchase). The columns of `returns`,
    `back_at` and `back_stage` the new deal's entry, `won_later` whether the new deal was
    won. Empty when the events name no client. A deal of the client opened before the
    loss is no comeback: the client had not left."""
    empty = returns(events.clear())
    if "contact" not in events.columns or events["contact"].null_count() == events.height:
        return empty
    sorted_ev = by_deal(events)
    ev = sorted_ev.lazy()
    same_next = pl.col("deal_id") == pl.col("deal_id").shift(-1)
    # The deal came back itself: its next event a stage of the same pipeline.
    itself = same_next & (pl.col("kind").shift(-1) == STAGE) & (
        pl.col("pipeline").shift(-1) == pl.col("pipeline"))
    losses = ev.select(
        "deal_id", "pipeline", "kind", "ts", "loss_reason", "contact",
        reason_unkept=pl.col("reason_unkept").fill_null(False),
        itself=itself.fill_null(False), undone=undone(sorted_ev)).filter(
        (pl.col("kind") == LOST) & ~pl.col("itself") & ~pl.col("undone")
        & pl.col("contact").is_not_null())
    deals = (ev.filter(pl.col("contact").is_not_null())
             .group_by(["deal_id", "pipeline"])
             .agg(pl.col("contact").first(), back_at=pl.col("ts").min(),
                  back_stage=pl.col("stage").filter(pl.col("kind") == STAGE).first(),
                  won_later=(pl.col("kind") == WON).any(),
                  won_at=pl.col("ts").filter(pl.col("kind") == WON).min()))
    out = (first_new_deal(losses, deals, "deal_id", "ts", "back_at", "won_at",
                          ["deal_id", "pipeline", "ts"])
           .filter(~pl.col("repeat"))
           .select("deal_id", "pipeline", lost_at="ts", reason="loss_reason",
                   reason_unkept="reason_unkept", back_at="back_at",
                   back_pipeline="pipeline", back_stage="back_stage",
                   hours=(pl.col("back_at") - pl.col("ts")).dt.total_microseconds() / HOUR_US,
                   won_later="won_later").collect())
    return out.cast(empty.schema) if out.height else empty


def first_new_deal(losses: pl.LazyFrame, deals: pl.LazyFrame, deal: str, lost_at: str,
                   entered: str, won_at: str, key: list[str]) -> pl.LazyFrame:
    """For each loss (one row per `key`; its `deal`, `pipeline`, `contact` and the
    moment `lost_at`), the first other deal of the same contact that entered the same
    pipeline (`entered`, a column of `deals`, one row per deal and pipeline) after the
    loss and within `COMEBACK_DAYS`, with `deals`' other columns and `repeat`; losses with
    none are absent. The one rule of a client coming back, for the history's table of
    comebacks (`client_returns`) and the audit's premature losses (`cohorts`).

    `repeat`: the client had bought before the loss (a deal of the contact won in the
    pipeline, `won_at`, before `lost_at`). Its new deal is then the buyer's next order, not
    the lost deal revived, and is no comeback: a wholesaler's regulars order every month
    or two, a quote of theirs lost on price is followed by the next order all the same,
    and counting those made the key-account manager read 73 of 73 losses «came back»
    against the new-business team's 12% (tests/test_supplies_repeat_buyers.py). Seed
    001's lead closed too early has never bought. A purchase before the export began is
    not seen: a regular's loss before its first win in the data still counts."""
    window = pl.duration(days=COMEBACK_DAYS)
    return (losses.join(first_purchases(deals, won_at), on=["pipeline", "contact"], how="left")
            .join(deals.rename({deal: "_other"}), on=["pipeline", "contact"])
            .filter((pl.col("_other") != pl.col(deal)) & (pl.col(entered) > pl.col(lost_at))
                    & (pl.col(entered) <= pl.col(lost_at) + window))
            .sort(entered).group_by(key, maintain_order=True).first()
            .with_columns(repeat=(pl.col("first_buy") < pl.col(lost_at)).fill_null(False))
            .drop("first_buy", "purchases"))


def first_purchases(deals: pl.LazyFrame, won_at: str) -> pl.LazyFrame:
    """Each client's first purchase in each pipeline: `pipeline`, `contact`, `first_buy`,
    the earliest `won_at` (a column of `deals`, one row per deal and pipeline, null when
    the deal was not won) of the client's deals. From that moment the client is a buyer:
    a new deal of a buyer is its next order, no comeback (`first_new_deal`) and no lead
    whose quality a source answers for (`junk`). `purchases`: how many of the client's
    deals in the pipeline were won (`regular_orders`)."""
    return (deals.filter(pl.col(won_at).is_not_null() & pl.col("contact").is_not_null())
            .group_by(["pipeline", "contact"]).agg(first_buy=pl.col(won_at).min(),
                                                   purchases=pl.len()))


def regular_orders(deals: pl.LazyFrame, deal: str, entered: str, won_at: str,
                   since: datetime | None) -> pl.LazyFrame:
    """Whether each deal (`deals`: one row per `deal` and `pipeline`, with `contact`, its
    entry `entered` and its win `won_at`, null when not won) is a regular client's order:
    `deal`, `pipeline`, `regular`. It is when its client had bought in the pipeline
    before it entered (`first_purchases`: a buyer's next order, as `first_new_deal` and
    `junk` read it), or when its client has at least two won deals in the pipeline: a
    repeat buyer, whose first order in the export may be one of many, the earlier ones
    before the export began. A deal with no client named is no regular's.

    Why: a key-account manager's regulars reorder on their own, and every manager brings
    their orders to a quote; compared with the new-business team, she «converted» 362 of
    362 at «Расчёт КП» against 91.2 % and was the audit's first finding, «teach it to the
    team», and the rest's quick regular orders made a hunter read «late» (a packaging
    wholesaler, tests/test_supplies_regulars.py). The second half is needed: 29 of her
    362 were regulars' first orders in the export, their earlier purchases unseen. It
    takes in a new client's first deal when the client went on to buy again (a won
    prospect who became a regular): a deal that was converted, in the stratum of deals
    that convert; the managers' comparisons read it (`managers.client_mix`)."""
    buys = first_purchases(deals, won_at)
    # The client's first two deals in the pipeline: its first came sooner after the
    # export began (`since`) than its second after it, so orders before the export are
    # likely (a won prospect of a year into the export is not read so).
    first_two = (deals.filter(pl.col("contact").is_not_null())
                 .group_by(["pipeline", "contact"])
                 .agg(_t1=pl.col(entered).min(), _t2=pl.col(entered).sort().get(1, null_on_oob=True)))
    start = pl.lit(since).cast(pl.Datetime("us", "UTC")) if since is not None else pl.col("_t1")
    early = (pl.col("_t1") - start) <= (pl.col("_t2") - pl.col("_t1"))
    return (deals.join(buys, on=["pipeline", "contact"], how="left")
            .join(first_two, on=["pipeline", "contact"], how="left")
            .select(deal, "pipeline",
                    regular=((pl.col("first_buy") < pl.col(entered))
                             | ((pl.col("purchases") >= 2) & early)).fill_null(False)))
