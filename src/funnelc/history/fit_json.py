"""`funnelc fit --format json`'s figures: every number the fit report prints, as data.

The fitted funnel text says only what the language can hold (a share to a tenth, a delay's
family and mean). A consultant who checks a fit in a notebook, or a script that decides
whether to trust it, needs the rest: how many deals each share stands on, its 95 % Wilson
interval, each delay's fit and goodness of fit, the warnings per stage. Reading those back
out of the funnel text would be re-parsing generated text, so they are written here from
the typed `FitResult`. Warnings are in English, like history.json's: the client-facing
language is the report's business, JSON is for programs."""

from __future__ import annotations

import math

from ..jsontypes import JSON, JSONObject
from .dists import DistFit
from .fit import FitResult, ReopenFit, RouteFit, SourceFit, StageFit

__all__ = ["fit_figures"]


def _num(x: float) -> float | None:
    """A figure, or null where it is undefined (NaN, infinite): strict JSON has neither."""
    return float(x) if math.isfinite(x) else None


def _dist(d: DistFit | None) -> JSON:
    """A fitted distribution: its family, the sample it stands on, mean and sd with the
    mean's 95 % interval (hours for delays, money for deal values), the Kolmogorov–Smirnov
    check, how it was found, and the candidates it was chosen among."""
    if d is None:
        return None
    return {
        "kind": d.kind, "n": d.n, "mean": _num(d.mean), "sd": _num(d.sd),
        "low": _num(max(d.ci_low, 0.0)), "high": _num(d.ci_high),
        "ks": _num(d.ks), "p": _num(d.p), "method": d.method,
        "distance": _num(d.distance), "beyond_sla": _num(d.beyond),
        "points": [float(x) for x in d.points],
        "candidates": [{"kind": c.kind, "mean": _num(c.mean), "sd": _num(c.sd),
                        "aic": _num(c.aic), "ks": _num(c.ks), "p": _num(c.p),
                        "distance": _num(c.distance)} for c in d.candidates],
    }


def _route(r: RouteFit) -> JSONObject:
    # A share the data cannot tell (`fit._mixture_shares`) is null, as the report's «—».
    told = r.told
    return {"route": r.label, "count": r.count, "share": _num(r.share) if told else None,
            "low": _num(r.low) if told else None, "high": _num(r.high) if told else None,
            "in_funnel": r.outcome is not None, "after": _dist(r.after)}


def _stage(s: StageFit) -> JSONObject:
    return {"pipeline": s.pipeline, "stage": s.stage, "mature": s.mature,
            "horizon_hours": _num(s.horizon_h), "cadence": s.cadence,
            "sla_corrected": s.sla, "timed": s.timed,
            "routes": [_route(r) for r in s.routes], "time": _dist(s.time),
            "work": _dist(s.work), "warnings": [str(w) for w in s.warnings]}


def _source(s: SourceFit) -> JSONObject:
    profile: JSONObject = {
        month: {"ratio": _num(ratio), "low": _num(low), "high": _num(high), "listed": listed}
        for month, (ratio, low, high, listed) in s.profile.items()}
    return {"source": s.name, "deals": s.deals, "hours": _num(s.hours),
            "per_hour": _num(s.per_hour), "low": _num(s.low), "high": _num(s.high),
            "per_day": _num(s.per_hour * 24), "how": s.how,
            "shared_share": None if s.shared_share is None else _num(s.shared_share),
            "plain_months": list(s.plain_months), "profile": profile,
            "value": _dist(s.value), "warnings": [str(w) for w in s.warnings]}


def _reopen(r: ReopenFit) -> JSONObject:
    # A pipeline whose comebacks' reasons the export did not keep has no share per
    # reason: null, not the share of the few comebacks whose reason was read.
    known = not r.not_kept
    return {"pipeline": r.pipeline, "reason": r.reason, "lost": r.lost, "back": r.back,
            "share": _num(r.share) if known else None,
            "low": _num(r.low) if known else None, "high": _num(r.high) if known else None,
            "target": r.target, "in_funnel": r.in_funnel, "delay": _dist(r.delay),
            "not_kept": r.not_kept, "credited": r.credited,
            "warnings": [str(w) for w in r.warnings]}


def fit_figures(result: FitResult) -> JSONObject:
    """The fit's figures per stage, source and reopen, and its account-wide warnings."""
    return {"span_hours": _num(result.span_hours),
            "stages": [_stage(s) for s in result.stages],
            "sources": [_source(s) for s in result.sources],
            "reopens": [_reopen(r) for r in result.reopens],
            "warnings": [str(w) for w in result.warnings]}
