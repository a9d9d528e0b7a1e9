"""What went wrong in the input, counted by kind: messy exports are normal, so nothing
here is an error, but nothing may vanish unreported either. Every reader adds to one
`DataQuality`; every row that does not reach the event table is counted in `dropped`
with its reason, so `rows_read + synthesized == rows_kept + sum(dropped)` always holds
(`synthesized`: first-stage rows an amoCRM event implies without a record of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DataQuality", "KIND_TEXT", "DROP_TEXT"]

KIND_TEXT: dict[str, str] = {
    "out_of_order": "events out of time order within a deal (sorted by time)",
    "duplicates": "duplicate events (same event id, or same deal, time and stage; kept once)",
    "unknown_stage_ids": "stage ids missing from the pipelines/stage list (kept as `#id`)",
    "deals_no_history": "deals with no stage change (their first stage only)",
    "deals_without_lead": "deals with stage changes but no lead/deal record (created = first event)",
    "naive_timestamps": "timestamps without a time zone (read in --tz)",
    "truncated_files": "files cut mid-way (what parsed was read)",
    "broken_chains": "moves whose `from` stage differs from the deal's current stage (missing events)",
    "ignored_event_types": "events of other types (not stage changes; ignored)",
    "cross_pipeline_moves": "moves from one pipeline to another",
    "unknown_pipelines": "pipeline ids missing from the pipelines list (kept as `#id`)",
    "ambiguous_inputs": "records that fit no known shape",
    "loss_reason_unknown": "losses before a lead's last one: amoCRM keeps only the current reason",
    "bad_pick_up_times": "pick-up times unreadable or before the stage entry (read as unknown)",
}
"""Anomaly kinds: what each counter means, in the words the report uses."""

DROP_TEXT: dict[str, str] = {
    "duplicate": "duplicate of an earlier row",
    "bad_timestamp": "timestamp missing or unreadable",
    "no_deal_id": "deal id missing",
    "no_stage": "stage missing",
    "unchanged_status": "status change to the same status",
    "truncated": "cut off by the end of a truncated file",
    "unparsable": "record that does not parse",
    "implausible_timestamp": "date before 2000 or after the end of next year (a placeholder "
                             "or a unit mix-up, not a real move)",
    "mixed_time_units": "Unix time in the file's minority unit (the file mixes seconds and "
                        "milliseconds)",
}


_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds"}


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
    notes: list[str] = field(default_factory=list)
    minority_units: list[str] = field(default_factory=list)
    """Per input whose Unix times mixed seconds and milliseconds, the unit left out
    (`s` or `ms`): what the summary's sentence about `mixed_time_units` says."""

    def count(self, kind: str, n: int = 1, where: str | None = None) -> None:
        if n <= 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + n
        if where is not None:
            ex = self.examples.setdefault(kind, [])
            if len(ex) < 3:
                ex.append(where)

    def note_mixed_units(self, path: str, mixed: tuple[str, int, int] | None) -> None:
        """Say once per input when its Unix times mixed seconds and milliseconds
        (`timeparse.screen_times`: the minority unit is dropped as `mixed_time_units`)."""
        if mixed is None:
            return
        unit, n, other = mixed
        words = _UNIT_WORDS
        self.minority_units.append(unit)
        self.notes.append(f"{path}: Unix times mix units: {other:,} in "
                          f"{words['ms' if unit == 's' else 's']}, {n:,} in {words[unit]}; "
                          f"the {n:,} in {words[unit]} are left out (mixed_time_units)")

    def drop(self, reason: str, n: int = 1, where: str | None = None) -> None:
        if n <= 0:
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + n
        if where is not None:
            ex = self.examples.setdefault("drop:" + reason, [])
            if len(ex) < 3:
                ex.append(where)

    @property
    def balanced(self) -> bool:
        """Every input row is either kept or counted as dropped."""
        return self.rows_read + self.synthesized == self.rows_kept + self.dropped_total

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def rows(self) -> list[tuple[str, int, str, str]]:
        """(kind, count, meaning, examples) for every non-zero counter and drop reason."""
        out = []
        for kind, n in sorted(self.counts.items()):
            out.append((kind, n, KIND_TEXT.get(kind, kind),
                        ", ".join(self.examples.get(kind, []))))
        for reason, n in sorted(self.dropped.items()):
            out.append((f"dropped: {reason}", n, DROP_TEXT.get(reason, reason),
                        ", ".join(self.examples.get("drop:" + reason, []))))
        return out

    def summary(self) -> list[str]:
        """The data quality in sentences, for the terminal, where a table at the end of
        ten others is easy to miss: records read, kept and dropped; each drop reason with
        its count and first places; every note. The tables and files say the same."""
        implied = (f" (and {self.synthesized:,} first-stage events they imply)"
                   if self.synthesized else "")
        out = [f"data quality: {self.rows_read:,} input records read{implied}, "
               f"{self.rows_kept:,} events kept, "
               + (f"{self.dropped_total:,} dropped" if self.dropped else "none dropped")]
        for reason, n in sorted(self.dropped.items()):
            where = self.examples.get("drop:" + reason)
            at = f" (first at {', '.join(where)})" if where else ""
            out.append(f"dropped {n:,} {self._dropped_what(reason, n)}{at}")
        out += [f"note: {n}" for n in self.notes]
        return out

    def _dropped_what(self, reason: str, n: int) -> str:
        units = set(self.minority_units)
        if reason == "mixed_time_units" and len(units) == 1:
            unit = units.pop()
            return (f"event{'s' if n != 1 else ''} whose time is in {_UNIT_WORDS[unit]} while "
                    f"most are in {_UNIT_WORDS['ms' if unit == 's' else 's']}")
        return f"row{'s' if n != 1 else ''}: {DROP_TEXT.get(reason, reason)}"

    def as_dict(self) -> dict[str, object]:
        return {"rows_read": self.rows_read, "rows_kept": self.rows_kept,
                "synthesized": self.synthesized,
                "counts": dict(sorted(self.counts.items())),
                "dropped": dict(sorted(self.dropped.items())),
                "examples": self.examples,
                "files": [{"path": p, "format": f, "records": n} for p, f, n in self.files],
                "notes": self.notes}
