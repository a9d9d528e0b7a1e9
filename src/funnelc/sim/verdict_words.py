"""Why a stage is a graveyard, in the output's language: the verdicts' codes and their
figures (`sim.verdicts`, `VerdictReason`) said as sentences from the catalogs, for the
tables of `simulate`, the report's page and its backlog plot. The verdict itself keeps
an English `message` for JSON readers; the client reads these words."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..i18n import Translator
    from .results import StageResult, VerdictReason

__all__ = ["reason_text", "reasons_text"]


def reason_text(tr: Translator, st: StageResult, reason: VerdictReason) -> str:
    """One reason of `st`'s graveyard verdict as a sentence (ending with a full stop)."""
    _ = tr.gettext
    if reason.code == "wip-growing":
        return _("Deals keep piling up beyond what their arrivals explain: {slope} "
                 "more per day over the second half of the run, {final} in the "
                 "stage at the end.").format(slope=tr.sig(reason.growth_per_day),
                                             final=tr.sig(st.wip_final.mean))
    if reason.code == "older-than-sla":
        return _("Deals still here are older on average than the SLA of {sla}.").format(
            sla=tr.hours(st.timeouts.sla_hours))
    stay = sum(o.share for o in st.outcomes if o.kind == "stay")
    return _("{share} of deals stay and no SLA moves them on: they wait here "
             "forever.").format(share=tr.pct(stay))


def reasons_text(tr: Translator, st: StageResult) -> str:
    """Every reason of `st`'s verdict, one sentence each."""
    return " ".join(reason_text(tr, st, r) for r in st.graveyard.reasons)
