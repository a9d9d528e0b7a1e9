"""The graveyards in plain words: which stage piles up, why, and what to try, written so
a consultant can read it aloud to the client, in the account's language (`--lang`
overrides; `funnelc.i18n`). Built from the simulation's verdicts
(`sim.verdicts`) and the figures around them (the owner team's load, the wait, the
`stay` share, the SLA), never from guesses: each sentence says what the run measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..i18n import choose, translator
from ..i18n.figures import Figures

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim.results import SimResult, StageResult, TeamResult

__all__ = ["Headline", "headlines", "one_line"]

MAX_IN_LINE = 5
"""Graveyards named in the one-line headline; the page lists them all."""

FILLING_SHARE = 0.25
"""A stage whose deals stay longer than this share of the observed window may still be
filling up from the empty start: its growth is flagged, and the text says so."""


@dataclass
class Headline:
    pipeline: str
    stage: str
    owner: str | None
    codes: list[str]
    story: list[str]
    """What happens there, sentence by sentence."""
    advice: list[str] = field(default_factory=list)
    """What to try, with the file's own scenarios when some change this stage or team."""


def _stay_share(st: StageResult) -> float:
    return sum(o.share for o in st.outcomes if o.kind == "stay")


def _stay_count(st: StageResult) -> float | None:
    counts = [o.count.mean for o in st.outcomes if o.kind == "stay" and o.count.mean is not None]
    return sum(counts) if counts else None


def _team(result: SimResult, name: str | None) -> TeamResult | None:
    return next((t for t in result.teams if t.team == name), None)


def _scenarios_for(model: FunnelFile | None, st: StageResult, team: str | None
                   ) -> tuple[list[str], list[str]]:
    """(scenarios changing the owner team's size or hours, scenarios changing the stage)."""
    if model is None:
        return [], []
    for_team: list[str] = []
    for_stage: list[str] = []
    for sc in model.scenarios:
        for o in sc.overrides:
            if o.kind in ("team_size", "team_hours") and o.subject is not None \
                    and o.subject.value == team:
                for_team.append(sc.name.value)
            elif o.stage is not None and o.stage.stage.value == st.stage and \
                    (o.stage.pipeline is None or o.stage.pipeline.value == st.pipeline):
                for_stage.append(sc.name.value)
    return list(dict.fromkeys(for_team)), list(dict.fromkeys(for_stage))


LOW_SEASON = 0.8
"""A month whose leads are below this share of the year's average is a low season."""


class _Words:
    """The headline's figures and phrases in the output's language (`funnelc.i18n`)."""

    def __init__(self, result: SimResult, model: FunnelFile | None) -> None:
        account = model.account if model is not None else None
        self.tr = translator(choose(account.language if account is not None
                                    else result.money.language if result.money else None))

    def days(self, d: float) -> str:
        """A length of the run in days (`90 дней`)."""
        return self.tr.duration(round(d, 1), "day")

    def limit(self, h: float | None, working: bool, digits: int = 4) -> str:
        """An SLA or respond limit. One counted in working hours stays in working hours
        (`200 working h`): said in days it would read as clock days (`8.3 days of working
        time` for 200 h of a 10-hour working day, which is 20 working days)."""
        return Figures(self.tr).limit(h, True, digits) if working and h is not None \
            else self.tr.hours(h)


def _low_season_at_end(result: SimResult, st: StageResult, model: FunnelFile | None,
                       w: _Words) -> str | None:
    """A sentence when the run ends in a month whose leads into this stage's pipeline are
    well below the year's average: the backlog plot then falls at its very end although
    the stage is a graveyard (cottages in December), and the client should hear why."""
    if model is None:
        return None
    from datetime import date, timedelta

    from ..analysis.markov import profile_factor
    from ..model import MONTHS

    end = date.fromisoformat(result.run.start_date) + timedelta(days=result.run.days - 1)
    month = MONTHS[end.month - 1]
    default = model.default_pipeline()
    feeding = [src for src in model.sources
               if (src.target.pipeline.value if src.target.pipeline is not None
                   else default.name.value if default is not None else None) == st.pipeline]
    mean = sum(src.rate.per_hour * profile_factor(src, None) for src in feeding)
    if mean <= 0:
        return None
    share = sum(src.rate.per_hour * profile_factor(src, month) for src in feeding) / mean
    if share >= LOW_SEASON:
        return None
    return w.tr.gettext(
        "The run ends in {month}, a low season: leads into «{pipeline}» arrive at {share} "
        "of their yearly average then, so the backlog plot falls at its very end; the pile "
        "grows again when the season returns.").format(
            month=w.tr.month_in(end.month), pipeline=st.pipeline, share=w.tr.pct(share))


def _try(result: SimResult, names: list[str], w: _Words) -> str:
    quoted = ", ".join(w.tr.quote(n) for n in names)
    example = f'funnelc report {result.run.file} --scenario "{names[0]}" -o report-what-if'
    # The client reads what to try in words; the command is a hint for the consultant,
    # marked as such (page review F14: «сравните: funnelc report … --scenario …»).
    return w.tr.ngettext("The file's scenario {names} does that; a report of it shows the "
                         "difference. For the consultant: `{example}`.",
                         "The file's scenarios {names} do that; a report of each shows the "
                         "difference. For the consultant: `{example}`.",
                         len(names)).format(names=quoted, example=example)


def _story(result: SimResult, st: StageResult, model: FunnelFile | None) -> Headline:
    w = _Words(result, model)
    tr = w.tr
    _ = tr.gettext
    codes: list[str] = [str(r.code) for r in st.graveyard.reasons]
    team = _team(result, st.owner) if st.queues_for_team else None
    story: list[str] = []
    advice: list[str] = []
    observed_days = result.run.observed_hours / 24.0
    sla = st.timeouts.sla_hours
    working = st.limits_in_working_hours
    for_team, for_stage = _scenarios_for(model, st, st.owner)
    overloaded = False

    if "wip-growing" in codes:
        final = st.wip_final.mean or 0.0
        # The verdict's figure, which the backlog plot prints too: growth beyond what the
        # stage's arrivals explain, over the second half of the run.
        growing = next(r for r in st.graveyard.reasons if r.code == "wip-growing")
        slope = (growing.growth_per_day if growing.growth_per_day is not None
                 else st.wip_growth_per_day.mean or 0.0)
        story.append(_("Deals pile up in «{stage}»: {final} were there at the end of the run, "
                       "and over its second half the pile grew by about {slope} a day more "
                       "than its arrivals explain.").format(
                           stage=st.stage, final=tr.sig(final), slope=tr.sig(slope, 2)))
        season = _low_season_at_end(result, st, model, w)
        if season is not None:
            story.append(season)
        util = team.utilization.mean if team is not None else None
        if team is not None and (team.unstable or (util is not None and util >= 0.95)):
            overloaded = True
            wait = st.queue_wait_hours_mean.mean if st.queue_wait_hours_mean else None
            people = tr.ngettext("{n} person", "{n} people", team.size).format(n=team.size)
            # Utilization counts work that runs past closing time, so a team busy all its
            # hours reads a little over 100%: the box said «занята 101% рабочего времени»,
            # the reason only in a note under the teams table. Past 100% it says so.
            over = util - 1.0 if util is not None and tr.pct(util) != tr.pct(1.0) \
                and util > 1.0 else None
            if team.offered_load_rho is not None and over is not None:
                text = _("The cause is the team «{team}» ({people}): it is offered {offered} of "
                         "the hours it works and was busy all of its working time, and "
                         "{over} more finishing work after closing, so a deal here waits "
                         "{wait} on average before anyone picks it up")
            elif over is not None:
                text = _("The cause is the team «{team}» ({people}): it was busy all of its "
                         "working time, and {over} more finishing work after closing, so a "
                         "deal here waits {wait} on average before anyone picks it up")
            elif team.offered_load_rho is not None:
                text = _("The cause is the team «{team}» ({people}): it is offered {offered} of "
                         "the hours it works and was busy {busy} of its working time, so a "
                         "deal here waits {wait} on average before anyone picks it up")
            else:
                text = _("The cause is the team «{team}» ({people}): it was busy {busy} of its "
                         "working time, so a deal here waits {wait} on average before anyone "
                         "picks it up")
            text = text.format(team=team.team, people=people, busy=tr.pct(util),
                               wait=tr.hours(wait), offered=tr.pct(team.offered_load_rho),
                               over=tr.pct(over) if over is not None else "")
            breach = st.respond_breach_pct
            if breach is not None and breach.mean is not None and st.respond_hours is not None:
                text += _(", and {share} of them miss the rule to respond within {limit}").format(
                    share=tr.pct(breach.mean / 100.0), limit=w.limit(st.respond_hours, working))
            story.append(text + ".")
            if sla is None:
                story.append(_("No SLA moves these deals on, so the pile grows for as long as "
                               "the account runs."))
            advice.append(_("Add people to «{team}» or take work off it (fewer stages, "
                            "shorter work, an SLA that hands the waiting deals on).").format(
                                team=team.team))
            if for_team:
                advice.append(_try(result, for_team, w))
        elif "stay-without-sla" not in codes:  # else the stay sentence below explains it
            p90 = st.time_in_stage_hours.p90.mean
            if p90 is not None and p90 >= FILLING_SHARE * result.run.observed_hours:
                story.append(_("Deals stay here long ({p90} for the slowest tenth), which is "
                               "long next to the {days} observed: part of this growth may be "
                               "the stage still filling up after the empty start. A longer "
                               "run tells the two apart. For the consultant: "
                               "`--days`.").format(
                                   p90=tr.hours(p90), days=w.days(observed_days)))
            stay = _stay_share(st)
            if stay > 0:
                if sla is not None:
                    text = _("{share} of its deals are left here (`stay`) until the SLA of "
                             "{limit} moves them.")
                else:
                    text = _("{share} of its deals are left here (`stay`) until somebody "
                             "moves them, and nothing does.")
                story.append(text.format(share=tr.pct(stay), limit=w.limit(sla, working)))

    if "stay-without-sla" in codes:
        stay = _stay_share(st)
        parked = _stay_count(st)
        text = _("{share} of the deals that reach «{stage}» are left there (`stay`) and no "
                 "SLA moves them on: nobody will ever close them. That is what a deal "
                 "graveyard is.").format(share=tr.pct(stay), stage=st.stage)
        if parked:
            text += " " + tr.ngettext("During the observed {days}, {n} deal was left this way.",
                                      "During the observed {days}, {n} deals were left this "
                                      "way.", round(parked)).format(
                                          days=w.days(observed_days), n=tr.sig(parked))
        story.append(text)
        advice.append(_("Give «{stage}» an `sla` that moves the deals nobody answers to a cold "
                        "stage, to nurture (`then copy`) or to lost with a reason, and split "
                        "the silent deals into stages the client decides (cold, warm, "
                        "meeting).").format(stage=st.stage))

    if "older-than-sla" in codes:
        # The age as the SLA counts it (the verdict's own figure): in working hours with a
        # calendar, never clock days set against a limit in working hours.
        age = st.age_final_sla_hours_mean.mean
        story.append(_("The deals still in «{stage}» at the end were {age} old on average, "
                       "older than its SLA of {limit}: the SLA does not empty the stage in "
                       "time.").format(stage=st.stage, age=w.limit(age, working, 3),
                                       limit=w.limit(sla, working)))
        if not overloaded and team is not None and team.unstable:
            advice.append(_("The team «{team}» cannot keep up: add people or take work off "
                            "it.").format(team=team.team))

    if for_stage:
        advice.append(_try(result, for_stage, w))
    return Headline(pipeline=st.pipeline, stage=st.stage, owner=st.owner, codes=codes,
                    story=story, advice=list(dict.fromkeys(advice)))


def headlines(result: SimResult, model: FunnelFile | None = None) -> list[Headline]:
    """One headline per graveyard stage, the biggest pile first."""
    graves = [st for st in result.stages if st.graveyard.is_graveyard]
    graves.sort(key=lambda st: -(st.wip_final.mean or 0.0))
    return [_story(result, st, model) for st in graves]


def one_line(result: SimResult, model: FunnelFile | None = None) -> str:
    """The headline as the command prints it."""
    tr = _Words(result, model).tr
    graves = [st for st in result.stages if st.graveyard.is_graveyard]
    if not graves:
        return tr.gettext("no graveyard: no stage piles up deals that nobody moves on")
    graves.sort(key=lambda st: -(st.wip_final.mean or 0.0))
    parts = []
    for st in graves[:MAX_IN_LINE]:
        left = st.wip_final.mean or 0.0
        deals = tr.ngettext("{n} deal at the end", "{n} deals at the end",
                            round(left)).format(n=tr.sig(left))
        parts.append(f"{st.pipeline} › {st.stage} ({deals})")
    if len(graves) > MAX_IN_LINE:
        parts.append(tr.gettext("and {n} more (see report.html)").format(
            n=len(graves) - MAX_IN_LINE))
    return tr.gettext("graveyard: {stages}").format(stages="; ".join(parts))
