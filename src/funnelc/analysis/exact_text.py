"""The exact figures as the words and table cells that `funnelc analyze` prints in the
terminal and the report writes in HTML. One place, so the two cannot come to disagree
about what a stage's row or a pipeline's remarks say; each caller passes its own
percentage format (analyze prints `35.0%`, the report `35%`) and does its own escaping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..numfmt import DASH, hours, num
from .exact import PipelineExact, QueueExact, StageExact

__all__ = ["Legend", "stage_notes", "mean_time", "stage_cells", "pipeline_remarks"]

Percent = Callable[[float | None], str]


class Legend:
    """Notes numbered in order of first use: each distinct note is printed once under the
    table and a row refers to it by number, so a calendar account does not repeat the
    same reason on every row (and a 2 000-stage account renders in reasonable time)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._number: dict[str, int] = {}

    def refs(self, notes: Iterable[str]) -> str:
        """`1, 3`: the numbers of `notes`, numbering the new ones."""
        out = []
        for note in notes:
            if note not in self._number:
                self.notes.append(note)
                self._number[note] = len(self.notes)
            out.append(str(self._number[note]))
        return ", ".join(out)


def stage_notes(s: StageExact, queue_suffix: str = "") -> list[str]:
    """The stage's notes, led by why its queue has no closed form or else which closed
    form it has (`M/M/c` and `queue_suffix`: the report spells out that it applies)."""
    notes = list(s.notes)
    if s.owner is not None and s.work_mean_hours > 0 and not s.queueing.applies \
            and s.queueing.reason:
        notes.insert(0, s.queueing.reason)
    elif s.queue is not None:
        notes.insert(0, s.queue.model + queue_suffix)
        if s.queue.abandon_share is not None:
            notes.insert(1, f"{s.queue.abandon_share:.1%} give up waiting (patience); "
                            f"{s.queue.method}")
    return notes


def mean_time(s: StageExact | None) -> str:
    """The exact mean time in stage, `≥` a lower bound when the queue wait is not known
    in closed form."""
    if s is None:
        return DASH
    if s.mean_time_hours is not None:
        return hours(s.mean_time_hours)
    if s.mean_time_lower_hours is not None:
        return "≥" + hours(s.mean_time_lower_hours)
    return DASH


def stage_cells(s: StageExact, pct: Percent) -> list[str]:
    """stage, visits/lead, λ/day, P(win), mean time, load, wait, respond breach, timeout,
    sla cut, occupancy: the row of the exact table without its note references."""
    load = DASH
    if s.team_load is not None:
        load = num(s.team_load, 2) + (" !" if s.team_load >= 1 else "")
    queue = s.queue
    occupancy = num(s.occupancy_mean)
    if s.stuck_per_hour > 0:
        occupancy = (occupancy if s.occupancy_mean is not None else "∞") + \
            f" (+{num(s.stuck_per_hour * 24)}/day stuck)"
    return [
        s.stage + (" (key)" if s.key else ""), num(s.visits_per_lead, 4),
        num(s.arrivals_per_hour * 24), pct(s.p_win), mean_time(s), load,
        hours(queue.wait_served_mean_hours) if queue else DASH,
        pct(queue.respond_breach) if queue and queue.respond_breach is not None else DASH,
        _unserved(queue, pct),
        ("≥" if s.sla_cut_is_bound else "") + pct(s.sla_cut) if s.sla_cut is not None else DASH,
        occupancy,
    ]


def _unserved(queue: QueueExact | None, pct: Percent) -> str:
    """The timeout cell: deals the SLA takes from the queue and, after `+`, those whose
    patience runs out first (`gave up`)."""
    if queue is None:
        return DASH
    parts = []
    if queue.timeout_share is not None:
        parts.append(pct(queue.timeout_share))
    if queue.abandon_share is not None:
        parts.append(f"{pct(queue.abandon_share)} gave up")
    return " + ".join(parts) or DASH


def pipeline_remarks(p: PipelineExact, pct: Percent) -> list[str]:
    """What a pipeline's table cannot show: an assumed entry, the top three losses, and
    leads stuck for good or circling a loop."""
    extra = []
    if p.entry_assumed:
        extra.append("nothing feeds this pipeline: figures are per lead entering its first "
                     "stage")
    if p.p_lost:
        top = sorted(p.p_lost.items(), key=lambda kv: -kv[1])[:3]
        extra.append("lost: " + ", ".join(f"{r} {pct(v)}" for r, v in top))
    if p.p_stuck > 0:
        extra.append(f"stuck for good: {pct(p.p_stuck)} of leads")
    if p.p_loop > 0:
        extra.append(f"circling a loop with no way out: {pct(p.p_loop)} of leads")
    return extra
