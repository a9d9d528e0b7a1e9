"""A `FitResult` written into the funnel: a new model rendered by `funnelc.fmt`, or a
`scenario` block of overrides. Either way the result is checked as a model
(`checked_fit`: the checks of `funnelc check`, no text parsed again) and must have no
errors before anything is simulated or written; `fitted_text` is the one writer, used
by `funnelc fit -o` with and without `--backtest`. Every number is built from the
literal that is written (`2.47h`, `35.5%`), so the model simulated by the back-test is
the model a later `funnelc simulate` reads from the written file.

Shares are written to 0.1 %, distributed by largest remainder so that every stage adds
up to exactly 100 %; an outcome of the funnel the data never took keeps the smallest
share (0.1 %: 0 % is an error), with a warning. A route the data shows and the funnel
lacks becomes a new outcome (`-> "Stage"` or `lost "reason"`); a reopen likewise.

A figure with fewer than `fit.MIN_DEALS` observations behind it is not written: the
funnel's own value stays (a stage's shares, an `after`, a source's rate and profile, a
value, a reopen), with a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import model as m
from ..i18n import N_
from ..i18n.note import Note, _n
from ..names import normalize_name
from ..scenarios import quantity_of, rate_of, share_of
from .dists import DistFit
from .fit import MIN_DEALS, FitResult, ReopenFit, RouteFit, SourceFit, StageFit

if TYPE_CHECKING:
    from lark import Token

__all__ = ["Written", "FitDoesNotCheck", "apply_fit", "checked_fit", "fit_scenario",
           "fitted_text", "dur_text", "amount_text", "tenths"]

MONTH_ORDER = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass
class Written:
    model: m.FunnelFile
    notes: list[str] = field(default_factory=list)
    """What the writer decided: kept minimums, routes not added, things a scenario
    cannot say."""


def _num(x: float, digits: int = 3) -> str:
    """At most `digits` significant digits, no exponent, no trailing zeros."""
    if x == 0:
        return "0"
    mag = max(0, digits - 1 - int(__import__("math").floor(__import__("math").log10(abs(x)))))
    text = f"{x:.{min(mag, 6)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def dur_text(hours: float) -> str:
    hours = max(hours, 1 / 3600)
    if hours < 1 / 60:
        return _num(max(hours * 3600, 1)) + "s"
    if hours < 1:
        return _num(hours * 60) + "m"
    if hours < 48:
        return _num(hours) + "h"
    return _num(hours / 24) + "d"


def amount_text(x: float) -> str:
    if x >= 1e6:
        return _num(x / 1e6) + "M"
    if x >= 1e4:
        return _num(x / 1e3) + "k"
    return _num(max(x, 0.01))


def tenths(counts: list[int], keep: list[bool], whole: int = 1000) -> list[int]:
    """Shares in tenths of a percent summing to exactly `whole` (largest remainder), each
    `keep` entry at least 1 (taken from the largest)."""
    total = sum(counts)
    if total == 0:
        base = [1 if k else 0 for k in keep]
        if not any(base):
            base[0] = 1
        out = [0] * len(counts)
        share = whole // sum(base)
        for i, b in enumerate(base):
            out[i] = share * b
        out[base.index(1)] += whole - sum(out)
        return out
    raw = [c * whole / total for c in counts]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: whole - sum(out)]:
        out[i] += 1
    for i, k in enumerate(keep):
        if k and out[i] == 0:
            j = max(range(len(out)), key=lambda x: out[x])
            out[j] -= 1
            out[i] = 1
    return out


def _share(span: m.Span, t: int) -> m.Share:
    return _pct(span, f"{t // 10}%" if t % 10 == 0 else f"{t / 10:.1f}%")


def _pct(span: m.Span, text: str) -> m.Share:
    share = share_of(text, span)
    assert share is not None, text
    return share


def _q(span: m.Span, v: float, amount: bool = False) -> m.Quantity:
    kind = "amount" if amount else "duration"
    q = quantity_of(amount_text(v) if amount else dur_text(v), kind, span)
    assert q is not None, v
    return q


def dist_of(fit: DistFit, span: m.Span, amount: bool = False) -> m.Dist:
    if fit.kind == "empirical":
        return m.Dist(span=span, kind="empirical",
                      args=tuple(_q(span, v, amount) for v in fit.points))
    if fit.kind in ("lognormal", "gamma"):
        return m.Dist(span=span, kind=fit.kind,  # type: ignore[arg-type]
                      args=(_q(span, fit.mean, amount), _q(span, max(fit.sd, 1e-6), amount)))
    if fit.kind == "fixed":
        return m.Dist(span=span, kind="fixed", args=(_q(span, fit.mean, amount),), bare=True)
    return m.Dist(span=span, kind="exp", args=(_q(span, fit.mean, amount),))


def _rate(span: m.Span, per_hour: float) -> m.Rate:
    for unit, h in (("hour", 1.0), ("day", 24.0), ("week", 168.0), ("month", 730.0)):
        if per_hour * h >= 10 or unit == "month":
            count = float(_num(per_hour * h))
            if count <= 0:
                count = 0.001
            rate = rate_of(f"{_num(count)}/{unit}", span)
            assert rate is not None, count
            return rate
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------- model
def apply_fit(funnel: m.FunnelFile, fit: FitResult) -> Written:
    notes: list[str] = []
    by_stage = {(s.pipeline, s.stage): s for s in fit.stages}
    pipes = []
    for pipe in funnel.pipelines:
        stages = [_stage(pipe, st, by_stage.get((pipe.name.value, st.name.value)), notes)
                  for st in pipe.stages]
        reopens, order = _reopens(pipe, [r for r in fit.reopens
                                         if r.pipeline == pipe.name.value], notes)
        pipes.append(pipe.model_copy(update={"stages": tuple(stages), "reopens": reopens,
                                             "order": order}))
    by_src = {s.name: s for s in fit.sources}
    sources = tuple(_source(s, by_src.get(s.name.value), notes) for s in funnel.sources)
    fitted = funnel.model_copy(update={"pipelines": tuple(pipes), "sources": sources})
    scenarios = tuple(_rebalance(fitted, sc, notes) for sc in funnel.scenarios)
    return Written(fitted.model_copy(update={"scenarios": scenarios}), notes)


def _rebalance(funnel: m.FunnelFile, sc: m.Scenario, notes: list[str]) -> m.Scenario:
    """A scenario's share changes were written against the old shares: the ones it
    leaves alone are now the fitted ones, so its own shares of that stage are scaled to
    fill what the fitted ones leave (their ratios kept), or dropped when nothing is left.
    Without this the fitted file would not check (FN233) as soon as a scenario changes
    part of a stage the data re-weighted."""
    from ..checks.references import scenario_stage, target_key

    groups: dict[tuple[str, str], list[int]] = {}
    for i, ov in enumerate(sc.overrides):
        if ov.kind in ("stage_share", "stage_stay") and ov.share is not None:
            found = scenario_stage(funnel, ov.stage)
            if found is not None and found[1].cadence is None:
                groups.setdefault((found[0].name.value, found[1].name.value), []).append(i)
    if not groups:
        return sc
    ovs: list[m.Override | None] = list(sc.overrides)
    for (pname, sname), idx in groups.items():
        pipe = funnel.pipeline(pname)
        assert pipe is not None
        st = next(s for s in pipe.stages if s.name.value == sname)
        changed = {target_key(sc.overrides[i].target, pipe) if sc.overrides[i].kind ==  # type: ignore[arg-type]
                   "stage_share" else ("stay",) for i in idx}
        rest = sum(round(o.share.value * 1000) for o in st.outcomes
                   if o.share is not None and target_key(o.target, pipe) not in changed)
        if st.stay is not None and ("stay",) not in changed:
            rest += round(st.stay.value * 1000)
        mine = [round(sc.overrides[i].share.value * 1000) for i in idx]  # type: ignore[union-attr]
        if rest + sum(mine) == 1000:
            continue
        scenario, where = sc.name.value, f"{pname}.{sname}"
        if rest >= 1000 or sum(mine) == 0:
            for i in idx:
                ovs[i] = None
            notes.append(Note(N_("scenario \"{scenario}\": {where}: its share changes dropped "
                                 "(the fitted shares it leaves alone already add up to 100%)"),
                              scenario=scenario, where=where))
            continue
        new = tenths(mine, [True] * len(mine), 1000 - rest)
        before = ", ".join(sc.overrides[i].share.text for i in idx)  # type: ignore[union-attr]
        for i, t in zip(idx, new):
            ov = sc.overrides[i]
            ovs[i] = ov.model_copy(update={"share": _share(ov.share.span, t)})  # type: ignore[union-attr]
        after = ", ".join(ovs[i].share.text for i in idx)  # type: ignore[union-attr]
        notes.append(Note(N_("scenario \"{scenario}\": {where}: share changes {before} scaled "
                             "to {after} so the stage adds up to 100% with the fitted shares "
                             "it leaves alone"), scenario=scenario, where=where, before=before,
                          after=after))
    return sc.model_copy(update={"overrides": tuple(o for o in ovs if o is not None)})


def _weights(routes: list[RouteFit]) -> list[int]:
    """What the written shares are proportional to: the fitted shares (corrected for
    the deals an SLA cuts, `calibrate.reweight_shares`), in millionths; the counts when
    no share was fitted."""
    w = [round(r.share * 1_000_000) for r in routes]
    return w if sum(w) else [r.count for r in routes]


def _written_routes(sf: StageFit) -> list[RouteFit]:
    return [r for r in sf.routes if r.key[0] not in ("sla",)
            and not (r.key[0] == "copy" and r.outcome is None)]


def _empty(line: int, column: int, offset: int) -> m.Span:
    return m.Span(line=line, column=column, end_line=line, end_column=column, start=offset,
                  end=offset)


def _stage(pipe: m.Pipeline, st: m.Stage, sf: StageFit | None, notes: list[str]) -> m.Stage:
    if sf is None or st.cadence is not None:
        return st
    where = f"{pipe.name.value}.{st.name.value}"
    # A move to a stage the funnel lacks (a name of the history no stage matched) cannot
    # be written as an outcome: the file would not check. Left out; the shares are of
    # the routes that can be written.
    names = {s.name.value for s in pipe.stages}
    routes = []
    for r in _written_routes(sf):
        if r.key[0] == "stage" and r.outcome is None and r.key[2] not in names:
            notes.append(_n("{where}: {count} move {label}, a stage the funnel does not "
                            "have; not written (see the unmatched names)",
                            "{where}: {count} moves {label}, a stage the funnel does not "
                            "have; not written (see the unmatched names)", r.count,
                            where=where, count=r.count, label=r.label))
        else:
            routes.append(r)
    if not routes or sum(r.count for r in routes) == 0:
        return st
    if sf.mature < MIN_DEALS:
        notes.append(_n("{where}: {count} deal old enough to have left (fewer than {min}); "
                        "the funnel's shares and delays kept",
                        "{where}: {count} deals old enough to have left (fewer than {min}); "
                        "the funnel's shares and delays kept", sf.mature,
                        where=where, count=sf.mature, min=MIN_DEALS))
        return st
    for r in sf.routes:
        if r.key[0] == "copy" and r.outcome is None:
            notes.append(_n("{where}: {count} move {label} has no outcome copying there; "
                            "not written",
                            "{where}: {count} moves {label} have no outcome copying there; "
                            "not written", r.count, where=where, count=r.count,
                            label=r.label))
    keep = [r.outcome is not None or (r.key == ("stay",) and st.stay is not None) for r in routes]
    t = tenths(_weights(routes), keep)
    outs = list(st.outcomes)
    order = list(st.order)
    stay = st.stay
    # New nodes get empty spans where they will be printed (after the last outcome,
    # before the closing brace), so `fmt` can keep the file's comments around them.
    brace = _empty(st.span.end_line, max(st.span.end_column - 1, 1), st.span.end - 1)
    last = st.outcomes[-1].span if st.outcomes else None
    after_outs = _empty(last.end_line, last.end_column, last.end) if last else brace
    lone = (len(st.outcomes) == 1 and st.stay is None and len(routes) == 1
            and routes[0].outcome == 0 and st.outcomes[0].share is None)
    # A share the data cannot tell (`fit._mixture_shares`, said in the stage's warnings):
    # the funnel's shares stay, all of them, so the stage still adds up; delays are written.
    untold = any(not r.told for r in routes)
    for r, tt in zip(routes, t):
        if untold and r.outcome is None:
            continue
        if r.outcome is not None:
            o = outs[r.outcome]
            upd: dict = {}
            if not lone and not untold:
                upd["share"] = _share(o.share.span if o.share else o.span, tt)
                if r.count == 0:
                    notes.append(Note(N_("{where}: {label} never taken in the data; kept at "
                                         "0.1%"), where=where, label=r.label))
            if r.after is not None and r.after.n < MIN_DEALS:
                notes.append(_n("{where}: {label}: delay from {count} deal (fewer than "
                                "{min}); the funnel's delay is kept",
                                "{where}: {label}: delay from {count} deals (fewer than "
                                "{min}); the funnel's delay is kept", r.after.n, where=where,
                                label=r.label, count=r.after.n, min=MIN_DEALS))
            elif r.after is not None and r.after.kind == "none":
                if o.after is not None:
                    upd["after"] = None
                    upd["options"] = tuple(k for k in o.options if k != "after")
            elif r.after is not None:
                upd["after"] = dist_of(r.after, o.after.span if o.after else o.span)
                if o.options and "after" not in o.options:
                    upd["options"] = ("after",) + o.options
            outs[r.outcome] = o.model_copy(update=upd)
        elif r.key == ("stay",):
            if st.stay is None and tt == 0:
                continue  # no deal stayed: nothing to add
            stay = _share(st.stay.span if st.stay else brace, tt)
            if st.stay is None and order:
                order.append("stay")
        else:
            if tt == 0:
                notes.append(_n("{where}: {label} seen {count} time, under 0.05%; not added",
                                "{where}: {label} seen {count} times, under 0.05%; not "
                                "added", r.count, where=where, label=r.label, count=r.count))
                continue
            target: m.StageTarget | m.WonTarget | m.LostTarget
            if r.key[0] == "stage":
                target = m.StageTarget(span=after_outs, ref=m.StageRef(
                    span=after_outs, pipeline=None, stage=m.Name(
                        span=after_outs, value=normalize_name(r.key[2]), quoted=True)))
            elif r.key[0] == "won":
                target = m.WonTarget(span=after_outs)
            else:
                reason = r.label[len('lost "'):-1]
                target = m.LostTarget(span=after_outs, reason=m.Name(
                    span=after_outs, value=normalize_name(reason), quoted=True))
            has_after = r.after is not None and r.after.kind != "none"
            new = m.Outcome(span=after_outs, target=target, share=_share(after_outs, tt),
                            after=dist_of(r.after, after_outs) if has_after and r.after else None,
                            options=("after",) if has_after else ())
            notes.append(Note(N_("{where}: added {label} {added_share} (in the data, not in "
                                 "the funnel)"), where=where, label=r.label,
                              added_share=tt / 1000))
            outs.append(new)
            if order:
                idx = max((i for i, k in enumerate(order) if k == "outcome"), default=len(order) - 1)
                order.insert(idx + 1, "outcome")
    if stay is not None and st.stay is None and "stay" not in order and order:
        order.append("stay")
    upd_st: dict[str, object] = {"outcomes": tuple(outs), "stay": stay, "order": tuple(order)}
    if sf.work is not None and st.work is not None:
        upd_st["work"] = dist_of(sf.work, st.work.span)  # measured from pick-up times
    return st.model_copy(update=upd_st)


def _reopens(pipe: m.Pipeline, fits: list[ReopenFit], notes: list[str]
             ) -> tuple[tuple[m.Reopen, ...], tuple[str, ...]]:
    from .match import normal

    out = list(pipe.reopens)
    order = list(pipe.order)
    stage_names = {s.name.value for s in pipe.stages}
    for rf in fits:
        hit = next((i for i, r in enumerate(out) if normal(r.reason.value) == normal(rf.reason)),
                   None)
        t = max(1, round(rf.share * 1000))
        if hit is not None:
            ro = out[hit]
            if rf.lost == 0 or rf.not_kept:
                continue
            if rf.lost < MIN_DEALS:
                notes.append(_n("{where}: reopen \"{reason}\": {count} loss old enough to "
                                "have come back (fewer than {min}); the funnel's share kept",
                                "{where}: reopen \"{reason}\": {count} losses old enough to "
                                "have come back (fewer than {min}); the funnel's share kept",
                                rf.lost, where=pipe.name.value, reason=ro.reason.value,
                                count=rf.lost, min=MIN_DEALS))
                continue
            if rf.back == 0:
                notes.append(Note(N_("{where}: reopen \"{reason}\": no lost deal came back in the "
                                     "data; kept at 0.1%"), where=pipe.name.value,
                                  reason=ro.reason.value))
            upd: dict = {"share": _share(ro.share.span, t)}
            if rf.delay is not None:
                upd["after"] = dist_of(rf.delay, ro.after.span if ro.after else ro.span)
            out[hit] = ro.model_copy(update=upd)
        elif rf.back and rf.target in stage_names and rf.lost >= MIN_DEALS and not rf.not_kept:
            span = pipe.span
            out.append(m.Reopen(span=span, reason=m.Name(span=span,
                                                         value=normalize_name(rf.reason),
                                                         quoted=True),
                                share=_share(span, t),
                                after=dist_of(rf.delay, span) if rf.delay else None,
                                target=m.StageRef(span=span, pipeline=None, stage=m.Name(
                                    span=span, value=normalize_name(rf.target),
                                    quoted=True))))
            if order:
                order.append("reopen")
            notes.append(Note(N_("{where}: added reopen \"{reason}\" {added_share} -> "
                                 "\"{target}\" (in the data, not in the funnel)"), where=pipe.name.value,
                              reason=rf.reason, added_share=t / 1000,
                              target=str(rf.target)))
    return tuple(out), tuple(order)


def _profile(src: m.Source, sf: SourceFit, notes: list[str]) -> list[tuple[str, float]]:
    """Month → rate ratio to write: the measured months whose ratio the data tells from
    100 %, and the funnel's own ratio for months the data does not cover (an autumn peak
    the consultant put in survives a fit on spring months)."""
    out = {mo: v[0] for mo, v in sf.profile.items() if v[3]}
    kept = [p for p in src.profile if p.month not in sf.profile]
    for p in kept:
        out[p.month] = p.share.value
    if kept and sf.profile:
        notes.append(Note(N_("source \"{source}\": profile months outside the data kept as "
                             "written: {months}"), source=src.name.value,
                          months=", ".join(f"{p.month} {round(p.share.value * 100)}%"
                                           for p in kept)))
    return sorted(out.items(), key=lambda x: MONTH_ORDER.index(x[0]))


def _source(src: m.Source, sf: SourceFit | None, notes: list[str]) -> m.Source:
    if sf is None or sf.deals == 0:
        if sf is not None:
            notes.append(Note(N_("source \"{source}\": no deals in the data; kept as is"),
                              source=src.name.value))
        return src
    if sf.deals < MIN_DEALS:
        notes.append(_n("source \"{source}\": {count} deal (fewer than {min}); its rate, "
                        "profile and value kept",
                        "source \"{source}\": {count} deals (fewer than {min}); its rate, "
                        "profile and value kept", sf.deals, source=src.name.value,
                        count=sf.deals, min=MIN_DEALS))
        return src
    upd: dict = {"rate": _rate(src.rate.span, sf.per_hour)}
    listed = _profile(src, sf, notes)
    upd["profile"] = tuple(m.MonthShare(span=src.span, month=mo,
                                        share=_pct(src.span, f"{round(r * 100)}%"))
                           for mo, r in listed)
    opts = [k for k in src.options if k != "profile" or listed]
    if listed and "profile" not in opts:
        opts.append("profile")
    if sf.value is not None and sf.value.n < MIN_DEALS:
        notes.append(_n("source \"{source}\": value from {count} deal (fewer than {min}); "
                        "the funnel's value is kept",
                        "source \"{source}\": value from {count} deals (fewer than {min}); "
                        "the funnel's value is kept", sf.value.n, source=src.name.value,
                        count=sf.value.n, min=MIN_DEALS))
    elif sf.value is not None:
        upd["value"] = dist_of(sf.value, src.value.span if src.value else src.span, amount=True)
        if "value" not in opts:
            opts.insert(0, "value")
    upd["options"] = tuple(opts)
    return src.model_copy(update=upd)


# ---------------------------------------------------------------------------- scenario
def fit_scenario(funnel: m.FunnelFile, fit: FitResult, name: str) -> Written:
    """The fit as `scenario NAME { … }`: source rates and profiles, the shares of the
    stages' existing outcomes and `stay` (renormalised over what a scenario can change).
    Delays, new outcomes, reopens and values cannot be said in a scenario: listed."""
    notes: list[str] = []
    span = funnel.span
    nm = m.Name(span=span, value=name, quoted=True)
    ovs: list[m.Override] = []
    for sf in fit.sources:
        src = funnel.source(sf.name)
        if src is None or sf.deals < MIN_DEALS:
            continue
        subj = m.Name(span=span, value=sf.name, quoted=True)
        ovs.append(m.Override(span=span, kind="source_rate", subject=subj,
                              rate=_rate(span, sf.per_hour)))
        ratio = dict(_profile(src, sf, notes))
        # A month the baseline lists and the fit puts at 100 % must be said, or the
        # scenario would inherit the baseline's ratio.
        months = set(ratio) | {p.month for p in src.profile}
        if months:
            ovs.append(m.Override(span=span, kind="source_profile", subject=subj, profile=tuple(
                m.MonthShare(span=span, month=mo,
                             share=_pct(span, f"{round(ratio.get(mo, 1.0) * 100)}%"))
                for mo in sorted(months, key=MONTH_ORDER.index))))
        if sf.value is not None:
            notes.append(Note(N_("source \"{source}\": value not written (a scenario cannot "
                                 "change it)"), source=sf.name))
    for pipe in funnel.pipelines:
        for st in pipe.stages:
            stf = next((s for s in fit.stages if (s.pipeline, s.stage) ==
                        (pipe.name.value, st.name.value)), None)
            if stf is None or st.cadence is not None or stf.mature < MIN_DEALS:
                continue
            routes = [r for r in stf.routes if r.outcome is not None
                      or (r.key == ("stay",) and st.stay is not None)]
            dropped = [r for r in _written_routes(stf) if r not in routes and r.count]
            here = f"{pipe.name.value}.{st.name.value}"
            for r in dropped:
                notes.append(_n("{where}: {label} ({count} deal) not in the funnel; a "
                                "scenario cannot add it, shares renormalised",
                                "{where}: {label} ({count} deals) not in the funnel; a "
                                "scenario cannot add it, shares renormalised", r.count,
                                where=here, label=r.label, count=r.count))
            if not routes or sum(r.count for r in routes) == 0 or (
                    len(st.outcomes) == 1 and st.stay is None and st.outcomes[0].share is None):
                continue
            t = tenths(_weights(routes), [True] * len(routes))
            ref = m.StageRef(span=span, pipeline=m.Name(span=span, value=pipe.name.value,
                                                        quoted=True),
                             stage=m.Name(span=span, value=st.name.value, quoted=True))
            for r, tt in zip(routes, t):
                if r.key == ("stay",):
                    ovs.append(m.Override(span=span, kind="stage_stay", stage=ref,
                                          share=_share(span, tt)))
                else:
                    ovs.append(m.Override(span=span, kind="stage_share", stage=ref,
                                          target=st.outcomes[r.outcome].target,  # type: ignore[index]
                                          share=_share(span, tt)))
            if any(r.after is not None for r in routes):
                notes.append(Note(N_("{where}: delays not written (a scenario cannot change "
                                     "`after`)"), where=f"{pipe.name.value}.{st.name.value}"))
    if any(r.back for r in fit.reopens):
        notes.append(Note(N_("reopen shares not written (a scenario cannot change reopens)")))
    sc = m.Scenario(span=span, name=nm, overrides=tuple(ovs))
    return Written(m.FunnelFile(span=span, path=funnel.path, scenarios=(sc,)), notes)


# ---------------------------------------------------------------------------- checked, written
class FitDoesNotCheck(RuntimeError):
    """The fitted model has errors by the checks of `funnelc check`: a bug in the fit
    writer, never written or simulated."""


def _errors(funnel: m.FunnelFile) -> None:
    from ..checks import run_checks

    errors = [d for d in run_checks(funnel) if d.severity.value == "error"]
    if errors:
        msg = "; ".join(f"{d.code} {d.message}" for d in errors[:3])
        raise FitDoesNotCheck(f"the fitted funnel does not check ({msg})")


def checked_fit(funnel: m.FunnelFile, fit: FitResult) -> Written:
    """`apply_fit`, with the fitted model run through the checks (a model transformation
    checked as a model; raises `FitDoesNotCheck`)."""
    written = apply_fit(funnel, fit)
    _errors(written.model)
    return written


def fitted_text(funnel: m.FunnelFile, fit: FitResult, scenario: str | None = None,
                comments: Sequence[Token] = (), source: str | None = None
                ) -> tuple[str, list[str]]:
    """What `funnelc fit -o` writes, and the writer's notes: the fitted funnel rendered
    by the formatter with the file's `comments` kept (`source` is the text they came
    from), or with `scenario` the file's text with the fit appended as that scenario.
    Checked as a model first; raises `FitDoesNotCheck`."""
    from ..fmt import format_model

    if scenario is not None:
        written = fit_scenario(funnel, fit, scenario)
        _errors(funnel.model_copy(update={"scenarios": funnel.scenarios
                                          + written.model.scenarios}))
        return ((source or "").rstrip("\n") + "\n\n# Fitted by `funnelc fit` from stage "
                "history.\n" + format_model(written.model)), written.notes
    written = checked_fit(funnel, fit)
    if comments and source is not None:
        try:
            return format_model(written.model, comments, source), written.notes
        except Exception:  # noqa: BLE001 - comments could not be placed: write without them
            pass
        written.notes.append(Note(N_("comments of the funnel file could not be kept")))
    return format_model(written.model), written.notes
