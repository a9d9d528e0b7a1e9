"""The contract every exporter follows, so `funnelc export` can drive them all alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..diagnostics import Diagnostic
from ..model import FunnelFile


@dataclass
class ExportResult:
    """What an exporter produced. `files` maps a relative path to its content; a
    single-file target has exactly one entry (its default file name), a folder target
    (Salesforce metadata) several. Diagnostics report what the target cannot hold (a
    name over a CRM's limit, too many stages), pointing at the funnel source."""

    files: dict[str, str | bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def single(self) -> bool:
        return len(self.files) == 1


class Exporter(Protocol):
    name: str
    """Target name on the command line (`--to amocrm`)."""
    description: str
    """One line for `funnelc export --help`."""
    folder: bool
    """True when the output is a folder of several files (needs `-o DIR`)."""

    def export(self, funnel: FunnelFile) -> ExportResult: ...
