"""Why a stage is a graveyard, in the output's language: the verdicts' codes and their
figures (`sim.verdicts`, `VerdictReason`) said as sentences from the catalogs, for the
tables of `simulate`, the report's page and its backlog plot; and the run's warnings
(`SimWarning`: an overloaded team, a team that never works, no source). The verdicts
and warnings keep an English `message` for JSON readers; the client reads these words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n.figures import Figures

if TYPE_CHECKING:
    from ..i18n import Translator
    from .results import PipelineResult, SimWarning, StageResult, VerdictReason

__all__ = ["reason_clause", "reason_text", "reasons_text", "warning_text", "passed_on_cell",
           "passed_on_text", "weighted_shares_note"]


def weighted_shares_note(tr: Translator, stages: list[StageResult]) -> str | None:
    """Under a ways-out table, when a simulated share (`OutcomeResult.simulated_share`,
    weighted for the run's empty start) reads apart from the ratio of the deals column by
    a tenth of a point or more: what the share counts. None when they read alike."""
    for st in stages:
        total = sum(o.count.mean or 0.0 for o in st.outcomes)
        if total and any(o.simulated_share.mean is not None and abs(
                o.simulated_share.mean - (o.count.mean or 0.0) / total) >= 0.001
                for o in st.outcomes):
            return tr.gettext(
                "simulated: each way's share of the deals that left, a way slower than the "
                "warm-up counted as if the run had not started empty (as the time in stage "
                "is), so it differs from the ratio of the deals column")
    return None


def reason_clause(tr: Translator, st: StageResult, reason: VerdictReason,
                  ci: bool = True) -> str:
    """One reason of `st`'s graveyard verdict as a clause, in lower case and with no full
    stop, as it follows «кладбище Продажи.Расчет с сайта:»; `ci`: the growth of a pile
    with its 95 % CI, as the English message gives it."""
    _ = tr.gettext
    if reason.code == "wip-growing":
        slope, half = reason.growth_per_day, reason.growth_ci95
        if ci and slope is not None and half is not None:
            return _("deals keep piling up beyond what their arrivals explain: {slope} more "
                     "per day over the second half of the run (95% CI {low} to {high}), "
                     "{final} in the stage at the end").format(
                         slope=tr.sig(slope), low=tr.sig(slope - half),
                         high=tr.sig(slope + half), final=tr.sig(st.wip_final.mean))
        return _("deals keep piling up beyond what their arrivals explain: {slope} more per "
                 "day over the second half of the run, {final} in the stage at the "
                 "end").format(slope=tr.sig(slope), final=tr.sig(st.wip_final.mean))
    if reason.code == "older-than-sla":
        sla = st.timeouts.sla_hours
        # With a calendar the ages and the SLA count working hours: never said as days.
        limit = Figures(tr).limit(sla, True) if st.limits_in_working_hours else tr.hours(sla)
        return _("deals still here are older on average than the SLA of {sla}").format(
            sla=limit)
    stay = sum(o.share for o in st.outcomes if o.kind == "stay")
    return _("{share} of deals stay and no SLA moves them on: they wait here "
             "forever").format(share=tr.pct(stay))


def reason_text(tr: Translator, st: StageResult, reason: VerdictReason,
                ci: bool = False) -> str:
    """One reason of `st`'s graveyard verdict as a sentence (a capital, a full stop)."""
    clause = reason_clause(tr, st, reason, ci)
    return clause[:1].upper() + clause[1:] + "."


def reasons_text(tr: Translator, st: StageResult, ci: bool = False) -> str:
    """Every reason of `st`'s verdict, one sentence each."""
    return " ".join(reason_text(tr, st, r, ci) for r in st.graveyard.reasons)


def warning_text(tr: Translator, warning: SimWarning) -> str:
    """A warning of the run as a sentence, from its code and figures (`message` when the
    output is English or a figure is missing)."""
    _ = tr.gettext
    if tr.lang == "en":
        return warning.message
    if warning.code == "never-open":
        return _("team `{team}` has no working hours: nobody ever picks deals "
                 "up").format(team=warning.subject)
    if warning.code == "no-sources":
        return _("the file has no `source`: no deal is ever created")
    if warning.code == "short-window":
        if warning.cycle_p90_hours is None or warning.warmup_hours is None:
            return warning.message
        return _("pipeline `{pipeline}`: 90% of its wins take up to {cycle} from the start, "
                 "longer than the warm-up of {warmup}: the run starts empty, so the first "
                 "weeks it counts lack the wins of deals that would have started before it, "
                 "and its conversion (won / started) reads low; a warm-up as long as the wins "
                 "take counts them all. For the consultant: `--warmup`").format(
                     pipeline=warning.subject, cycle=tr.hours(warning.cycle_p90_hours),
                     warmup=tr.hours(warning.warmup_hours))
    if warning.rho is None or not warning.stages:
        return warning.message
    shown = ", ".join(f"`{s}`" for s in warning.stages[:3])
    rest = len(warning.stages) - 3
    if rest > 0:
        shown = tr.ngettext("{stages} and {n} more", "{stages} and {n} more",
                            rest).format(stages=shown, n=rest)
    # The load as a share of working time, as analyze and the report write it («нагрузка
    # 111% ≥ 100%»); the warning read «в 1,11 раза больше работы (загрузка ≥ 1)».
    return _("team `{team}` cannot keep up: load {load} ≥ 100% (more work comes to it than "
             "it can do), and {stages} have no SLA: its queue grows for as long as the run "
             "lasts, so the queue figures depend on the run's length. For the consultant: "
             "`--days`").format(
                 team=warning.subject, load=tr.pct(warning.rho), stages=shown)


def _hands_on_only(p: PipelineResult) -> bool:
    return bool(p.passed_on_won.mean) and not p.revenue_won.mean


def passed_on_cell(p: PipelineResult) -> str | None:
    """The revenue cell of a pipeline whose every win is handed on (`won then copy`: a
    nurture pipeline handing its deals back to sales): `→ Лікування`, where its revenue
    is counted, instead of a 0 that reads as a pipeline bringing nothing; None for any
    other pipeline (its own revenue is shown)."""
    return "→ " + ", ".join(p.passed_on_to) if _hands_on_only(p) else None


def passed_on_text(tr: Translator, p: PipelineResult, revenue: str) -> str | None:
    """What a pipeline brings that is booked elsewhere, as a sentence: the wins that book
    revenue in other pipelines (at a sale when the file declares `sales` pipelines, else
    at the final win) of the deals it handed on with `then copy`, and their `revenue`
    (written by the caller as its output writes money). Each booking is counted once for
    the account, so this figure is already in the winners' revenue; the sentence says so.
    None when the pipeline handed on nothing that was won."""
    if not p.passed_on_won.mean:
        return None
    winners = ", ".join(tr.quote(x) for x in p.passed_on_to)
    won = Figures(tr).est(p.passed_on_won)
    return tr.gettext("{pipeline}: deals it hands on with `then copy` bring revenue once, in "
                      "the pipeline where it is booked; won in {winners} after {pipeline}: "
                      "{won}, bringing {revenue}, which is in the revenue of {winners}, not "
                      "of {pipeline}").format(pipeline=tr.quote(p.pipeline), winners=winners,
                                           won=won, revenue=revenue)
