"""What went wrong in the input, counted by kind: messy exports are normal, so nothing
here is an error, but nothing may vanish unreported either. Every reader adds to one
`DataQuality`; every row that does not reach the event table is counted in `dropped`
with its reason, so `rows_read + synthesized == rows_kept + sum(dropped)` always holds
(`synthesized`: first-stage rows an amoCRM event implies without a record of its own).

What the counters mean, in words and in the output's language, is in `quality_render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .deal_currency import Converted

__all__ = ["DataQuality", "QualityNote", "NoteKind", "EXPORTS"]

NoteKind = Literal["windows_1251", "empty_file", "slow_csv", "mixed_units", "loss_field",
                   "loss_field_unlisted", "loss_field_reopened", "utm_source",
                   "renamed_stage", "renamed_stage_merged", "slash_dates", "repeated_page",
                   "spelling_merged", "spelling_apart", "amocrm_inbox", "currencies", "deal_level",
                   "loss_stage_alone"]

EXPORTS = ("amoCRM events and leads", "Bitrix24 history")
"""What a note names when it is about a whole CRM export rather than one file (the
render says it in the output's language)."""


@dataclass(frozen=True)
class QualityNote:
    """Something about an input that drops nothing but that a reader should know: a
    file read as Windows-1251, an empty file, the slow CSV parser, Unix times in two
    units, the userfield loss reasons were read from, deals sourced by their utm_source
    (`quality_render.note_text` says it)."""

    kind: NoteKind
    path: str
    """The input file, or one of `EXPORTS`."""
    unit: str | None = None
    """mixed_units: the unit left out (`s` or `ms`)."""
    left_out: int = 0
    """mixed_units: the times in `unit`, left out. loss_field: the losses with the field
    empty, named by their failure stage. loss_field_reopened: the losses whose reason the
    field no longer holds (the deal was reopened after them)."""
    kept: int = 0
    """mixed_units: the times in the other unit, kept. loss_field: the losses whose
    reason the field gave; utm_source: the deals sourced by their utm_source."""
    field: str | None = None
    """loss_field, loss_field_reopened: the userfield read (`UF_CRM_...`); None when no field names a loss
    reason and `left_out` losses are named by their failure stage. loss_field_unlisted:
    the field that names it, which the deal list was saved without."""
    label: str | None = None
    """loss_field: its label, when the export gives one. repeated_page: the place of the
    page's first copy (`path` is the repeat's, `kept` its records)."""
    slash: tuple[str, str] | None = None
    """slash_dates: (the order read, `mdy` or `dmy`; the value that settles it); `path` is
    that value's place (`file:line`)."""
    renamed: tuple[str, str, str, str, str] | None = None
    """renamed_stage: (pipeline, old name, the day it was last entered, new name, the day
    it was first entered); `path` is the new name's first place (`file:line`).
    renamed_stage_merged: the same, once the funnel file's stage read both names as one
    (`match.NameMatch.merged`)."""
    spelling: tuple[str, str, str, int, int] | None = None
    """spelling_merged: (column — `source`, `manager` or `loss_reason` —, the spelling read,
    the other spelling, the records that wrote it that way, the records of the one read);
    `path` is the other spelling's first place. spelling_apart: (column, the more frequent
    name, the other, their records), two names in different scripts that spell one word
    («Instagram», «Інстаграм»), kept apart; `path` is the other's first place."""
    currencies: Converted | None = None
    """currencies: the deal amounts read in one currency (`deal_currency`)."""
    deal_level: tuple[str, str, str | None] | None = None
    """deal_level: (the one stage a deal list without dates per stage is read in, its
    creation date column, its close date column or None); `kept` the deals read."""
    lone: tuple[tuple[str, str], ...] = ()
    """loss_stage_alone: (pipeline, its only failure stage) of the Bitrix24 deal pipelines
    whose losses have no reason, that stage naming none and the export no loss-reason field
    (`field` None) or the deal list saved without it (`field` its code); `left_out` their
    losses. loss_field: those of the pipelines where a loss with the field empty has no
    reason (it keeps no stage name)."""
    inbox: tuple[str, str, str] | None = None
    """amocrm_inbox: (pipeline, its incoming-leads status, its first stage); `kept` the
    visits to it read as the first stage's (`amocrm_inbox.fold_inbox`)."""


@dataclass
class DataQuality:
    rows_read: int = 0
    """Input records that could become events (events, history items, CSV rows, leads)."""
    rows_kept: int = 0
    synthesized: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    """Up to three `file:line` (or `file: item N`) places per kind, to go and look."""
    files: list[tuple[str, str, int]] = field(default_factory=list)
    """(path, detected format, records read) per input file."""
    notes: list[QualityNote] = field(default_factory=list)
    minority_units: list[str] = field(default_factory=list)
    """Per input whose Unix times mixed seconds and milliseconds, the unit left out
    (`s` or `ms`): what the summary's sentence about `mixed_time_units` says."""
    tz: str = "UTC"
    """The zone zone-less times were read in (`--tz`): the one a time the clocks skipped
    does not exist in, which the words for `skipped_local_time` name. Not in `as_dict`:
    the option is the user's own, not a finding."""

    def count(self, kind: str, n: int = 1, where: str | None = None) -> None:
        if n <= 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + n
        if where is not None:
            ex = self.examples.setdefault(kind, [])
            if len(ex) < 3:
                ex.append(where)

    def note(self, kind: NoteKind, path: str) -> None:
        """Note something about input `path` (one of `EXPORTS` for a whole export)."""
        self.notes.append(QualityNote(kind, path))

    def note_mixed_units(self, path: str, mixed: tuple[str, int, int] | None) -> None:
        """Say once per input when its Unix times mixed seconds and milliseconds
        (`timeparse.screen_times`: the minority unit is dropped as `mixed_time_units`)."""
        if mixed is None:
            return
        unit, n, other = mixed
        self.minority_units.append(unit)
        self.notes.append(QualityNote("mixed_units", path, unit, n, other))

    def drop(self, reason: str, n: int = 1, where: str | None = None) -> None:
        if n <= 0:
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + n
        if where is not None:
            ex = self.examples.setdefault("drop:" + reason, [])
            if len(ex) < 3:
                ex.append(where)

    def lone_stages(self) -> dict[str, str]:
        """Pipeline → its only failure stage, of the pipelines whose losses have no
        reason for it (loss_stage_alone notes): the audit names that cause."""
        return {p: s for n in self.notes if n.kind == "loss_stage_alone" for p, s in n.lone}

    @property
    def balanced(self) -> bool:
        """Every input row is either kept or counted as dropped."""
        return self.rows_read + self.synthesized == self.rows_kept + self.dropped_total

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def summary(self) -> list[str]:
        """The data quality in English sentences (`quality_render.summary_lines`), for
        the warnings on stderr."""
        from .quality_render import summary_lines

        return summary_lines(self)

    def as_dict(self) -> dict[str, object]:
        return {"rows_read": self.rows_read, "rows_kept": self.rows_kept,
                "synthesized": self.synthesized,
                "counts": dict(sorted(self.counts.items())),
                "dropped": dict(sorted(self.dropped.items())),
                "examples": self.examples,
                "files": [{"path": p, "format": f, "records": n} for p, f, n in self.files],
                "notes": self.note_texts()}

    def note_texts(self) -> list[str]:
        """The notes in English sentences, as history.json keeps them."""
        from .quality_render import note_text

        return [note_text(n) for n in self.notes]
