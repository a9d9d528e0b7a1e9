"""Issue 14, point 4: «split its deals … by the last activity available, show the
conversion of each segment». A Bitrix24 export with its `crm.activity.list` (the
training company of tests/data/grave_b24_ru, seed 0) gives each deal's calls and
e-mails: the graveyard's activity bands say, of the visits to «Думают» that went that
long untouched, the share that moved on later. The activity pages were "unrecognised
records" and the bands counted only the open deals, with no conversion."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cli_once import cli_ok, planted
from conftest import data_generator

ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def export() -> Path:
    """The generator's export at seed 0, shared read-only by the files that read it."""
    return planted("grave_b24_ru")


def _pages(export: Path, name: str) -> Iterator[dict[str, Any]]:
    for line in (export / "bitrix24" / name).read_text(encoding="utf-8").splitlines():
        res = json.loads(line)["result"]
        yield from res["items"] if isinstance(res, dict) else res


def _by_hand(export: Path, days: float) -> tuple[int, int]:
    """Visits to «Думают» that went `days` without a call or e-mail while there (the
    clock starting at the deal's last touch before it entered), and how many of them
    then moved on to «Договор и счёт», from the export's own pages."""
    end = data_generator("grave_b24_ru").END
    hist: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for h in _pages(export, "stagehistory.jsonl"):
        hist[h["OWNER_ID"]].append((datetime.fromisoformat(h["CREATED_TIME"]), h["STAGE_ID"]))
    touch: dict[str, list[datetime]] = defaultdict(list)
    for a in _pages(export, "activities.jsonl"):
        touch[a["OWNER_ID"]].append(datetime.fromisoformat(a["END_TIME"]))
    reached = moved = 0
    for deal, events in hist.items():
        events.sort()
        for i, (t, stage) in enumerate(events):
            if stage != "EXECUTING":
                continue
            x, nxt = events[i + 1] if i + 1 < len(events) else (end, None)
            ts = sorted(touch[deal])
            before = [u for u in ts if u <= t]
            refs = [before[-1] if before else t] + [u for u in ts if t < u < x]
            for r, b in zip(refs, [*refs[1:], x], strict=True):
                at = max((r - t).total_seconds() / 86400 + days, 0.0)
                if at < (b - t).total_seconds() / 86400:
                    reached += 1
                    moved += nxt == "FINAL_INVOICE"
                    break
    return reached, moved


def test_activity_bands_have_their_conversion(export: Path) -> None:
    # The history the other grave_b24_ru files read too: run once a session (`cli_once`).
    result = cli_ok(["history", export / "bitrix24", "--tz", "Europe/Moscow", "--format",
                     "json", "-q"], ENV)
    doc = json.loads(result.stdout)
    assert not doc["quality"]["counts"].get("ambiguous_inputs")  # the activity pages are read
    rows = {r["from_days"]: r for r in doc["tables"]["graveyard_segments"]
            if r["stage"] == "Думают" and r["kind"] == "activity"}
    assert sorted(rows) == [0.0, 14.0, 60.0]
    for days, row in rows.items():
        reached, moved = _by_hand(export, days)  # 251/112, 103/6, 44/0 at seed 0
        assert (row["reached"], row["converted"]) == (reached, moved)
    # The deals left 14+ days untouched move on far less often than all (the planted
    # story: a touch in the last 14 days multiplies the daily chance by 2, 30+ days
    # untouched by 0.1); the open ones still waiting count for as long as watched.
    assert rows[0.0]["conversion"] > 0.4
    assert rows[14.0]["conversion"] < 0.12 and rows[60.0]["conversion"] < 0.05
    assert sum(r["open_now"] for r in rows.values()) == 62
