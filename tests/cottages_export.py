"""Two counts the tests of the cottage builder's planted amoCRM export
(`tests/data/cottages_amocrm_ru`) take from the generator's records: the days between
two moments and the export's last stage change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path


def days_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def data_end(out: Path) -> datetime:
    """The export's last stage change: where the history's open visits are watched to."""
    last = max(e["created_at"] for line in (out / "events.jsonl").open(encoding="utf-8")
               for e in json.loads(line)["_embedded"]["events"]
               if e["type"] == "lead_status_changed")
    return datetime.fromtimestamp(last, UTC)
