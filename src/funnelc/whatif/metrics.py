"""The figures what-ifs, sweeps and staffing compare, one value per replication.

A comparison needs the value of each replication, not only the mean of a `SimResult`:
the difference of two variants is taken replication by replication (both used the same
random numbers), so its confidence interval is that of the paired differences. Every
metric here is therefore computed from a replication's `RepStats`, the same way
`funnelc.sim.summary` computes the figure it reports.

A metric is named `NAME` (the account or the main pipeline) or `NAME:SUBJECT` (a
pipeline, team or `Pipeline.Stage`), e.g. `conversion`, `conversion:Продажи`,
`utilization:Менеджеры`, `respond_breach_pct:Квалификация.Заявка получена`. Keys stay
for programs (JSON, CSV, `--metric`); people read each metric's `label` ("respond
breaches", "profit") and its value in its unit (money as the account writes it).

With a priced cost in the file (a team `cost`, a source `cost` or `budget`) the money
metrics join them: team and lead costs, total cost, profit and cost per won deal over
the observed window, formed per replication exactly as `simulate`'s money
(`sim.money.rep_money`), so a what-if's baseline is simulate's figure and its deltas are
paired. Without one they are not offered: every cost would be 0 and profit the revenue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .. import model as m
from ..sim.compile import Network
from ..sim.money import rep_money
from ..sim.stats import NAN, RepStats

__all__ = ["MetricDef", "MetricError", "METRICS", "metric_space", "rep_values",
           "resolve_metric", "main_pipeline", "HEADLINE"]

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class _Kind:
    about: str
    subject: Literal["pipeline", "team", "stage", None]
    """What a `:SUBJECT` names; None: no subject allowed."""
    whole: str | None
    """What the metric means without a subject ("main" pipeline, "account"); None: a
    subject is required."""
    unit: str
    scale: float
    better: Better | None
    title: str
    """What a person reads instead of the key."""
    priced: bool = False
    """Only for files with prices (money beyond the deals' value)."""


METRICS: dict[str, _Kind] = {
    "conversion": _Kind("won / started in a pipeline", "pipeline", "main", "%", 100.0, "higher",
                        "conversion"),
    "won": _Kind("deals won in a pipeline", "pipeline", "main", "deals", 1.0, "higher",
                 "deals won"),
    "revenue": _Kind("value of the deals won (observed window)", None, "account", "money",
                     1.0, "higher", "revenue"),
    "team_cost": _Kind("what the teams' members cost (observed window)", None, "account",
                       "money", 1.0, "lower", "team cost", priced=True),
    "lead_cost": _Kind("what the sources cost: per lead and budgets (observed window)", None,
                       "account", "money", 1.0, "lower", "lead cost", priced=True),
    "cost": _Kind("team cost + lead cost (observed window)", None, "account", "money", 1.0,
                  "lower", "total cost", priced=True),
    "profit": _Kind("revenue − cost (observed window)", None, "account", "money", 1.0,
                    "higher", "profit", priced=True),
    "cost_per_won": _Kind("cost / final wins, per replication", None, "account", "money", 1.0,
                          "lower", "cost per won deal", priced=True),
    "cycle_time_hours": _Kind("mean time from start to won in a pipeline", "pipeline", "main",
                              "h", 1.0, "lower", "time to won"),
    "respond_breach_pct": _Kind("share of deals picked up later than `respond`", "stage",
                                "account", "%", 1.0, "lower", "respond breaches"),
    "timeouts": _Kind("deals an `sla` moved on", "stage", "account", "deals", 1.0, "lower",
                      "sla timeouts"),
    "wait_hours": _Kind("mean wait for a free member per pick-up", "stage", "account", "h",
                        1.0, "lower", "wait for a member"),
    "utilization": _Kind("busy / working member-hours of a team", "team", None, "%", 100.0,
                         None, "utilization"),
    "wip_final": _Kind("deals still open at the horizon", "stage", "account", "deals", 1.0,
                       "lower", "open at the end"),
}

HEADLINE: tuple[str, ...] = ("conversion", "revenue", "profit", "cost", "cost_per_won",
                             "respond_breach_pct", "timeouts", "cycle_time_hours")
"""The account-level figures every what-if shows first (then each team's utilization)."""


@dataclass(frozen=True)
class MetricDef:
    key: str
    name: str
    subject: str | None
    label: str
    unit: str
    """"%", "h", "deals", or the account's currency for money."""
    scale: float
    """Display factor: fractions are stored as fractions and shown as percent."""
    better: Better | None
    money: bool = False
    """A sum of money: `unit` is the account's currency (or empty), written in
    `language` (`1.38 млрд ₽`)."""
    language: str | None = None

    def shown(self, x: float | None) -> float | None:
        return None if x is None else x * self.scale

    @property
    def limits(self) -> tuple[float | None, float | None]:
        """The natural limits of a value as stored: a share between 0 and 100 %, profit of
        any sign, every other figure (deals, time, money) never below 0. An interval is
        printed held at them (`numfmt.ends`). A team's utilization counts the work finished
        after closing and passes 100 %: held at 0 only (`numfmt.BUSY`)."""
        if self.name == "profit":
            return (None, None)
        if self.name == "utilization":
            return (0.0, None)
        return (0.0, 100.0 / self.scale if self.unit == "%" else None)


class MetricError(ValueError):
    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.help = help


def main_pipeline(model: m.FunnelFile) -> str | None:
    """The `main` pipeline, else the first one: what "conversion" means for the account."""
    for p in model.pipelines:
        if p.main:
            return p.name.value
    return model.pipelines[0].name.value if model.pipelines else None


def _def(name: str, subject: str | None, main: str | None, currency: str | None,
         language: str | None = None) -> MetricDef:
    kind = METRICS[name]
    money = kind.unit == "money"
    unit = (currency or "") if money else kind.unit
    if subject is None:
        where = main if kind.whole == "main" else "account"
        label = f"{kind.title} ({where})" if kind.whole == "main" else kind.title
    else:
        label = f"{kind.title} {subject}"
    return MetricDef(f"{name}:{subject}" if subject is not None else name, name, subject,
                     label, unit, kind.scale, kind.better, money,
                     language if money else None)


def metric_space(model: m.FunnelFile, net: Network) -> list[MetricDef]:
    """Every metric this model has, in a stable order: account-level first (the money
    beyond revenue only when the file has prices)."""
    main = main_pipeline(model)
    account = model.account
    cur = account.currency.value if account and account.currency else None
    lang = account.language if account is not None else None
    out: list[MetricDef] = []
    for name, kind in METRICS.items():
        if kind.whole is not None and (_costs_priced(net) or not kind.priced):
            out.append(_def(name, None, main, cur, lang))
    for name, kind in METRICS.items():
        if kind.subject == "pipeline":
            out += [_def(name, p.name, main, cur) for p in net.pipelines]
        elif kind.subject == "team":
            out += [_def(name, t.name, main, cur) for t in net.teams]
        elif kind.subject == "stage":
            for s in net.stages:
                if name == "respond_breach_pct" and (s.respond_hours is None or s.team < 0):
                    continue
                if name == "timeouts" and s.sla_route is None:
                    continue
                if name == "wait_hours" and s.team < 0:
                    continue
                out.append(_def(name, f"{s.pipeline_name}.{s.name}", main, cur))
    return out


def _costs_priced(net: Network) -> bool:
    """The file prices a cost (`analysis.money.CostRates.priced`): without one the cost
    metrics would all be 0 and profit the revenue again, so they are not offered."""
    return net.prices is not None and net.prices.priced


def _ratio(a: float, b: float) -> float:
    return a / b if b else NAN


def rep_values(net: Network, rep: RepStats, main: str | None) -> dict[str, float]:
    """Every metric of one replication (NaN where the replication has no value, e.g. no
    deal was won, so no cycle time)."""
    out: dict[str, float] = {}
    pipes = {p.name: k for k, p in enumerate(net.pipelines)}
    for name, k in pipes.items():
        p = rep.pipelines[k]
        # As simulate counts it (`sim.summary`): the window's wins include deals started
        # before it, and a replication wins at most all of the deals it started (a sweep
        # of 2 observed days read «102% ±13»).
        out[f"conversion:{name}"] = _ratio(min(p.won, p.started), p.started)
        out[f"won:{name}"] = float(p.won)
        out[f"cycle_time_hours:{name}"] = p.cycle_won_mean
    if main is not None and main in pipes:
        for n in ("conversion", "won", "cycle_time_hours"):
            out[n] = out[f"{n}:{main}"]
    out["revenue"] = rep.revenue_won
    prices = net.prices
    if prices is not None and prices.priced:
        if len(rep.sources) == len(net.sources) + 1:  # counted per source (and warm deals)
            money = rep_money(prices, net, rep)
            out["team_cost"], out["lead_cost"] = money.team_cost, money.lead_cost
            out["cost"], out["profit"] = money.cost, money.profit
            out["cost_per_won"] = money.cost_per_won
        else:
            for key in ("team_cost", "lead_cost", "cost", "profit", "cost_per_won"):
                out[key] = NAN
    checked = breached = timeouts = picks = 0
    wait_sum = wip = 0.0
    for i, s in enumerate(net.stages):
        st = rep.stages[i]
        key = f"{s.pipeline_name}.{s.name}"
        if s.respond_hours is not None and s.team >= 0:
            out[f"respond_breach_pct:{key}"] = (100.0 * st.respond_breached / st.respond_checked
                                               if st.respond_checked else NAN)
            checked += st.respond_checked
            breached += st.respond_breached
        if s.sla_route is not None:
            out[f"timeouts:{key}"] = float(sum(st.timeouts))
        timeouts += sum(st.timeouts)
        if s.team >= 0:
            out[f"wait_hours:{key}"] = st.wait_mean
            if st.picks and math.isfinite(st.wait_mean):
                wait_sum += st.wait_mean * st.picks
                picks += st.picks
        out[f"wip_final:{key}"] = float(st.wip_final)
        wip += st.wip_final
    out["respond_breach_pct"] = 100.0 * breached / checked if checked else NAN
    out["timeouts"] = float(timeouts)
    out["wait_hours"] = wait_sum / picks if picks else NAN
    out["wip_final"] = float(rep.open_final)
    for j, t in enumerate(net.teams):
        out[f"utilization:{t.name}"] = rep.teams[j].utilization
    return out


def resolve_metric(text: str, space: list[MetricDef]) -> MetricDef:
    """`NAME` or `NAME:SUBJECT` → its definition; unknown parts get a did-you-mean."""
    from ..diagnostics import did_you_mean

    name, _, subject = text.strip().partition(":")
    name = name.strip()
    subject_or_none = subject.strip() or None
    if name not in METRICS:
        guess = did_you_mean(name, METRICS)
        raise MetricError(f"unknown metric `{name}`",
                          f"did you mean `{guess}`?" if guess else
                          "metrics: " + ", ".join(f"`{n}`" for n in METRICS))
    for d in space:
        if d.name == name and d.subject == subject_or_none:
            return d
    kind = METRICS[name]
    if kind.priced and not any(d.name == name for d in space):  # see `metric_space`
        raise MetricError(f"metric `{name}` needs a priced cost: the file gives no team "
                          f"`cost` and no source `cost` or `budget`, so every cost would be "
                          f"0 and profit the revenue",
                          "price one, e.g. `team \"Sales\" size 3 cost 90k/month` or "
                          "`source \"Site\" 40/week -> \"Lead\" cost 500`; or compare "
                          "`revenue`")
    subjects = [d.subject for d in space if d.name == name and d.subject is not None]
    if subject_or_none is None:
        raise MetricError(f"metric `{name}` needs a {kind.subject}: `{name}:NAME`",
                          ("for example `" + name + ":" + subjects[0] + "`") if subjects
                          else None)
    if kind.subject is None:
        raise MetricError(f"metric `{name}` is for the whole account; write `{name}`")
    guess = did_you_mean(subject_or_none, subjects)
    what = {"stage": "stage (as Pipeline.Stage)", "team": "team", "pipeline": "pipeline"}
    return _raise_subject(name, subject_or_none, what[kind.subject or "stage"], guess, subjects)


def _raise_subject(name: str, subject: str, what: str, guess: str | None,
                   subjects: list[str]) -> MetricDef:
    if guess is not None:
        help_text = f"did you mean `{name}:{guess}`?"
    elif subjects:
        help_text = f"`{name}` is known for: " + ", ".join(f"`{s}`" for s in subjects[:8]) + (
            ", …" if len(subjects) > 8 else "")
    else:
        help_text = f"nothing in this file has `{name}`"
    raise MetricError(f"no {what} `{subject}` with metric `{name}`", help_text)
