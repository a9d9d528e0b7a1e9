"""`funnelc fit` from pick-up times (issue 13, point 3, the direct path): when the history
says when a manager picked each deal up — funnelc's own records (`picked_hours`), a CSV's
`picked_at` column — the wait is each deal's own, `work` is measured on the routes the
funnel declares without a delay, and every `after` is net of both without simulating.

Sizes: 240 days of ~1 900 deals with one member working 09:00–18:00 on weekdays (the
wait for her is longer than most delays); the fit itself simulates nothing. A few
seconds in all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from desk_funnel import desk_funnel
from funnelc.cli import cli
from test_fit_calibration import BUSY, TRUE_AFTER, TRUE_SHARE, _hours, _simulate


@pytest.fixture(scope="module")
def busy_picked(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("picked")
    funnel, records, fitted = root / "busy.funnel", root / "deals.csv", root / "fitted.funnel"
    funnel.write_text(BUSY, encoding="utf-8")
    _simulate(funnel, records, 240)
    assert "picked_hours" in records.read_text(encoding="utf-8").split("\n", 1)[0]
    res = CliRunner().invoke(cli, ["fit", str(records), "--funnel", str(funnel), "-o",
                                   str(fitted)])
    assert res.exit_code == 0, res.output
    return fitted.read_text(encoding="utf-8"), res.output


def test_records_with_pick_ups_are_fitted_without_simulating(
        busy_picked: tuple[str, str]) -> None:
    _, output = busy_picked
    assert "Delays 2 stages from the pick-up times the history carries" in output
    assert re.search(r"\d+ runs|simulated deals", output) is None, output


def test_direct_path_recovers_every_delay_within_10_percent(
        busy_picked: tuple[str, str]) -> None:
    """The same history that the simulation-based calibration pins to 15 %: with the
    waits known, the delays come out of the data directly."""
    text, _ = busy_picked
    got = {}
    for line in text.splitlines():
        mt = re.search(r'(-> "Call"|won|lost "Expensive") [\d.]+% after (\w+)\(([^,)]+)', line)
        if mt:
            got[mt.group(1)] = (mt.group(2), _hours(mt.group(3)))
    assert set(got) == {'-> "Call"', "won", 'lost "Expensive"'}, text
    for (_, route), truth in TRUE_AFTER.items():
        kind, mean = got[route]
        assert kind != "empirical", (route, kind)
        assert abs(mean - truth) <= 0.10 * truth, (route, mean, truth)
    # `lost "Spam"` leaves as soon as the 10 minutes of work are done: no delay, and
    # the work it measures is the funnel's, written back as it was.
    assert re.search(r'-> lost "Spam" [\d.]+%\s*$', text, re.M), text
    assert re.search(r'stage "New" \{[^}]*work 10m\b', text), text


def test_direct_path_shares_within_their_intervals(busy_picked: tuple[str, str]) -> None:
    _, output = busy_picked
    for (stage, route), truth in TRUE_SHARE.items():
        mt = re.search(re.escape(route) + r'[^│]*│\s*[\d,]+\s*│\s*([\d.]+)%\s*│\s*([\d.]+)%–([\d.]+)%',
                       output)
        assert mt, (stage, route, output)
        low, high = float(mt.group(2)) / 100, float(mt.group(3)) / 100
        assert low <= truth <= high, (route, truth, low, high)


CSV_FUNNEL = desk_funnel("""\
  stage "New" {
    owner "Sales"
    work 10m
    -> won 60% after exp(1h)
    -> lost "Spam" 40%
  }
""")


def _csv_history(n: int, bad_line_every: int = 0) -> str:
    """Deals waiting 0–30 h for their pick-up (the queue), then 20 minutes of work, then
    won after exactly 2 h more, or lost at once (`Spam`): the truth is work 20m, after 2h."""
    t0 = datetime(2021, 3, 1, 9, tzinfo=UTC)
    rows = ["deal_id,timestamp,stage,picked_at,loss_reason"]
    for i in range(n):
        entered = t0 + timedelta(hours=7.3 * i)
        picked = entered + timedelta(hours=(i * 37 % 30) + 0.25)
        pick = "not yet" if bad_line_every and i % bad_line_every == 0 else picked.isoformat()
        rows.append(f"{i},{entered.isoformat()},New,{pick},")
        done = picked + timedelta(minutes=20)
        if i % 5 < 3:
            rows.append(f"{i},{(done + timedelta(hours=2)).isoformat()},won,,")
        else:
            rows.append(f"{i},{done.isoformat()},lost,,Spam")
    return "\n".join(rows) + "\n"


def test_csv_picked_at_column_gives_work_and_after(tmp_path: Path) -> None:
    funnel, hist, out = tmp_path / "desk.funnel", tmp_path / "h.csv", tmp_path / "fit.funnel"
    funnel.write_text(CSV_FUNNEL, encoding="utf-8")
    hist.write_text(_csv_history(300), encoding="utf-8")
    res = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "work 20m" in text, text
    # Every won deal waited exactly 2 h after the work: the delay is one number.
    assert re.search(r"-> won [\d.]+% after 2h\b", text), text
    assert "from the pick-up times" in res.output


def test_unreadable_pick_up_time_is_counted_with_its_line(tmp_path: Path) -> None:
    """A pick-up time that does not parse loses no stage entry: it is counted as an
    anomaly with the first line it is on, and the deal's wait is unknown."""
    funnel, hist, out = tmp_path / "desk.funnel", tmp_path / "h.csv", tmp_path / "fit.funnel"
    funnel.write_text(CSV_FUNNEL, encoding="utf-8")
    hist.write_text(_csv_history(300, bad_line_every=10), encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(hist), "--funnel", str(funnel)])
    assert res.exit_code == 0, res.output
    assert "pick-up times unreadable or before the stage entry" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "bad_pick_up_times 30" in res.output, res.output
    assert "work 20m" in out.read_text(encoding="utf-8")


UNQUEUED = """\
account "Nobody waits" {
  currency USD
}

source "Site" 15/day -> "Sales"."Lead"

pipeline "Sales" main {
  stage "Lead" {
    sla 2d -> lost "Timeout"
    -> won 60% after exp(1d)
    -> lost "No" 25% after exp(6h)
    stay 15%
  }
}
"""


def test_a_stage_nobody_queues_for_is_not_said_to_be_fitted_from_pick_ups(
        tmp_path: Path) -> None:
    """A CSV without any pick-up column, a stage with an SLA and no owner: deals wait
    for nobody (W = 0), so the delays take the direct path from the times in stage. The
    report said «Delays 1 stage from the pick-up times the history carries (wait =
    picked − entered; …)» and marked each delay «from pick-up times»: there were none.
    Now it says the stage's deals wait for nobody, and the delays are likelihood fits
    (cut at the SLA: won exp(1 d) 24 h, lost "No" exp(6 h) 6 h, as generated)."""
    rng = __import__("random").Random(4)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=90)
    rows = ["deal_id,time,stage,source,reason"]
    for i in range(1350):
        t0 = start + timedelta(days=rng.random() * 90)
        rows.append(f"D{i},{t0:%Y-%m-%d %H:%M:%S},Lead,Site,")
        u = rng.random()
        way, delay = (("won", rng.expovariate(1.0)) if u < 0.6 else
                      ("No", rng.expovariate(4.0)) if u < 0.85 else ("stay", 99.0))
        if delay > 2.0:
            way, delay = "Timeout", 2.0
        close = t0 + timedelta(days=delay)
        if close <= end:
            rows.append(f"D{i},{close:%Y-%m-%d %H:%M:%S},{'won' if way == 'won' else 'lost'},"
                        f"Site,{'' if way == 'won' else way}")
    path, funnel = tmp_path / "h.csv", tmp_path / "f.funnel"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    funnel.write_text(UNQUEUED, encoding="utf-8")
    res = CliRunner().invoke(cli, ["fit", str(path), "--funnel", str(funnel), "-o",
                                   str(tmp_path / "out.funnel")])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "from the pick-up times the history carries" not in said, res.output
    assert "from pick-up times" not in said, res.output  # each delay's label
    assert "Delays 1 stage where deals wait for nobody: from its times in stage" in said, said
    fitted = (tmp_path / "out.funnel").read_text(encoding="utf-8")
    won = re.search(r"-> won [\d.]+% after exp\(([^)]+)\)", fitted)
    assert won is not None and abs(_hours(won.group(1)) - 24) < 4, fitted
