"""The funnel plot's team line is the rate the audit compared each manager with (issue
14, point 1): the named managers it did not flag. The deals no one is named on are no
one of the team (`managers._compare` leaves them out of every rest), and drawn into the
line they pulled it, and its control limits, towards their own rate: a quarter of the
deals unassigned at 10 % put the line at 40 %, and three managers converting alike at
half their deals sat above the upper limit, as different as a flagged one looks, while
the table said none of them differed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from funnelc.history.analytics import analyse
from funnelc.history.load import load_history
from funnelc.history.managers import UNKNOWN_MANAGER
from funnelc.history.plots import funnel_plot
from funnelc.i18n import translator

START = datetime(2024, 1, 1, tzinfo=UTC)
TEAM = {"Анна": 0.5, "Борис": 0.5, "Вера": 0.5, "": 0.1}
"""Manager (empty: none named) → the chance each of 150 deals reaches «Встреча»."""


def test_team_line_is_the_named_managers_rate(tmp_path: Path) -> None:
    rng = random.Random(5)
    deals = [m for m in TEAM for _ in range(150)]
    rng.shuffle(deals)
    lines = ["deal_id,timestamp,stage,manager"]
    for i, who in enumerate(deals):
        t = START + timedelta(minutes=97 * i)
        nxt = "Встреча" if rng.random() < TEAM[who] else "lost"
        lines += [f"D{i},{t.isoformat()},Заявка,{who}",
                  f"D{i},{(t + timedelta(hours=2)).isoformat()},{nxt},{who}"]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from funnelc.history.audit import run_audit

    audit = run_audit(analyse(load_history([str(path)])))
    assert audit.managers is not None
    rows = audit.managers.filter(audit.managers["to_stage"] == "Встреча")
    assert UNKNOWN_MANAGER in rows["manager"].to_list()
    assert not rows["flagged"].any()
    named = rows.filter(rows["manager"] != UNKNOWN_MANAGER)
    team = named["reached"].sum() / named["entered"].sum()
    # What each named manager was compared with is the others of the three.
    for r in named.iter_rows(named=True):
        others = named.filter(named["manager"] != r["manager"])
        assert r["rest_rate"] == others["reached"].sum() / others["entered"].sum()
    fig = funnel_plot(audit, translator("ru"))
    (ax,) = fig.axes
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "team"]
    assert line.get_ydata()[0] == 100 * team
