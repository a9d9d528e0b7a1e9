"""The month-end backlog of `funnelc history` (its plot; the back-test counts its own the
same way): deals in each stage at local midnight of the first of each month, whatever the
time of day of the data's first event. `dt.month_start()` kept that time of day, so a
history starting at 13:45 counted every month end at 13:45 on the 1st."""

from __future__ import annotations

from pathlib import Path

from funnelc.history.run import prepare

ROWS = """deal_id,timestamp,pipeline,stage
d1,2024-01-10T13:45:00Z,Продажи,Новая
d2,2024-01-20T09:00:00Z,Продажи,Новая
d2,2024-02-01T10:00:00Z,Продажи,Встреча
d3,2024-02-10T10:00:00Z,Продажи,Новая
"""


def _wip(path: Path, tz: str) -> dict[tuple[str, str], int]:
    tables = prepare([str(path)], tz, None).tables
    return {(row["stage"], row["month"]): row["wip"]
            for row in tables.backlog.iter_rows(named=True)}


def test_month_end_is_midnight_not_the_first_events_time_of_day(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(ROWS, encoding="utf-8")
    wip = _wip(path, "UTC")
    # At 2024-02-01 00:00 d2 is still in «Новая» (it moves at 10:00), with d1.
    assert wip[("Новая", "2024-01")] == 2
    assert wip.get(("Встреча", "2024-01"), 0) == 0


def test_month_end_is_local_midnight(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(ROWS.replace("2024-02-01T10:00:00Z", "2024-01-31T22:00:00Z"),
                    encoding="utf-8")
    # 22:00 UTC on the 31st is 01:00 on the 1st in Moscow: after local midnight.
    assert _wip(path, "Europe/Moscow")[("Новая", "2024-01")] == 2
    assert _wip(path, "UTC")[("Новая", "2024-01")] == 1
