"""`funnelc fit` on funnelc's own simulated records, where the truth is known (issue 13):
intervals that contain their estimates, delays net of queue waits (calibrated through
the simulator), fewer than 30 deals keeping the funnel's value.

Sizes: the round trip simulates 240 days of ~1 900 deals with one member working
09:00–18:00 on weekdays (the wait for her is longer than most delays); calibration then
simulates ~25 000 deals three times. The whole file runs in about 40 s under CI=true.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import funnelc
from conftest import reps
from desk_funnel import desk_funnel
from funnelc.cli import cli
from funnelc.history.fit import fit_funnel
from funnelc.history.run import prepare

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

REPO = Path(__file__).resolve().parent.parent

BUSY = desk_funnel("""\
  stage "New" {
    owner "Sales"
    work 10m
    -> "Call" 70% after exp(3h)
    -> lost "Spam" 30%
  }
  stage "Call" {
    owner "Sales"
    work 15m
    sla 40h -> lost "No answer"
    -> won 40% after exp(1d)
    -> lost "Expensive" 60% after gamma(8h, 4h)
  }
""", account="Busy")
TRUE_AFTER = {("New", '-> "Call"'): 3.0, ("Call", "won"): 24.0,
              ("Call", 'lost "Expensive"'): 8.0}
TRUE_SHARE = {("New", "Call"): 0.70, ("New", "Spam"): 0.30, ("Call", "won"): 0.40,
              ("Call", "Expensive"): 0.60}


def _simulate(funnel: Path, out: Path, days: int, seed: int = 3, picks: bool = True) -> None:
    """Records of one replication; without `picks`, as a CRM that does not say when a
    manager picked a deal up would have them (the column emptied), so that the delays
    have to be calibrated through the simulator."""
    res = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", str(days), "--warmup",
                                   "0", "--reps", "1", "--seed", str(seed), "--jobs", "1",
                                   "--records", str(out)])
    assert res.exit_code == 0, res.output
    if not picks:
        import csv

        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        col = rows[0].index("picked_hours")
        with out.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(r[:col] + [""] + r[col + 1:] if i else r
                                     for i, r in enumerate(rows))


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("busy")
    funnel, records, fitted = root / "busy.funnel", root / "deals.csv", root / "fitted.funnel"
    funnel.write_text(BUSY, encoding="utf-8")
    _simulate(funnel, records, 240, picks=False)
    res = CliRunner().invoke(cli, ["fit", str(records), "--funnel", str(funnel), "-o",
                                   str(fitted)])
    assert res.exit_code == 0, res.output
    return funnel, fitted, res.output


def _hours(text: str) -> float:
    num = float(text[:-1])
    return num * {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0}[text[-1]]


def test_round_trip_recovers_delays_net_of_the_wait(busy: tuple[Path, Path, str]) -> None:
    """Raw times in stage put the wait for the one member (nights, weekends) into
    `after`; calibrated, every delay's mean is within 15 % of the truth."""
    _, fitted, output = busy
    text = fitted.read_text(encoding="utf-8")
    got = {}
    for line in text.splitlines():
        mt = re.search(r'(-> "Call"|won|lost "Expensive") [\d.]+% after (\w+)\(([^,)]+)', line)
        if mt:
            got[mt.group(1)] = (mt.group(2), _hours(mt.group(3)))
    assert set(got) == {'-> "Call"', "won", 'lost "Expensive"'}, text
    for (_, route), truth in TRUE_AFTER.items():
        kind, mean = got[route]
        assert kind != "empirical"
        assert abs(mean - truth) <= 0.15 * truth, (route, mean, truth)
    # No delay where the funnel has none: `lost "Spam"` stays without `after`.
    assert re.search(r'-> lost "Spam" [\d.]+%\s*$', text, re.M), text
    assert "Delays calibrated through the simulator" in output


def test_round_trip_shares_within_their_intervals(busy: tuple[Path, Path, str]) -> None:
    _, _, output = busy
    for (stage, route), truth in TRUE_SHARE.items():
        mt = re.search(re.escape(route) + r'[^│]*│\s*[\d,]+\s*│\s*([\d.]+)%\s*│\s*([\d.]+)%–([\d.]+)%',
                       output)
        assert mt, (stage, route, output)
        low, high = float(mt.group(2)) / 100, float(mt.group(3)) / 100
        assert low <= truth <= high, (route, truth, low, high)


def test_courses_reproduction(tmp_path: Path) -> None:
    """Issue 13's reproduction: rates under a month profile with intervals around
    them, and `-> "Лид" 85% after exp(1h)` not read as the 7 h the queue adds."""
    records, fitted = tmp_path / "deals.csv", tmp_path / "fitted.funnel"
    funnel = REPO / "pipelines" / "courses.funnel"
    _simulate(funnel, records, 240, seed=1, picks=False)
    # courses is `language ru`; the figures are read here in English's number format.
    res = CliRunner().invoke(cli, ["fit", str(records), "--funnel", str(funnel), "-o",
                                   str(fitted), "--lang", "en"])
    assert res.exit_code == 0, res.output
    rows = re.findall(r"│ (Instagram Direct|Сайт)\s*│[^│]*│ ([\d.]+)/day\s*│ ([\d.]+)–([\d.]+)",
                      res.output)
    assert len(rows) == 2, res.output
    truth = {"Instagram Direct": 20.0, "Сайт": 6.0}
    for name, est, low, high in rows:
        assert float(low) <= float(est) <= float(high), (name, est, low, high)
        assert float(low) <= truth[name] <= float(high) or abs(float(est) - truth[name]) < 0.5
    line = next(x for x in fitted.read_text(encoding="utf-8").splitlines()
                if x.strip().startswith('-> "Лид"'))
    mt = re.search(r"after (exp|gamma|lognormal)\(([^,)]+)", line)
    assert mt, line
    # One 240-day history pins a 1 h delay behind a ~6 h wait to about ±25 %.
    assert 0.7 <= _hours(mt.group(2)) <= 1.3, line


def test_fewer_than_30_deals_keep_the_funnels_values(tmp_path: Path) -> None:
    funnel = tmp_path / "busy.funnel"
    funnel.write_text(BUSY, encoding="utf-8")
    t0 = datetime(2019, 3, 4, 10, tzinfo=UTC)
    rows = ["deal_id,timestamp,stage"]
    for i in range(12):
        t = t0 + timedelta(days=i)
        rows += [f"{i},{t.isoformat()},New", f"{i},{(t + timedelta(hours=2)).isoformat()},Call",
                 f"{i},{(t + timedelta(hours=30)).isoformat()},won"]
    hist = tmp_path / "few.csv"
    hist.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "fewer than 30" in res.output and "kept" in res.output
    text = out.read_text(encoding="utf-8")
    assert "8/day" in text
    assert '-> "Call" 70% after exp(3h)' in text
    assert "-> won 40% after exp(1d)" in text


def _mixed_history() -> str:
    """60 deals: enough for both stages and the source, but only 10 lost as "Spam", 10 as
    "Expensive" and 10 with a value, so those two delays and the value stay the funnel's."""
    t0 = datetime(2019, 3, 4, 10, tzinfo=UTC)
    rows = ["deal_id,timestamp,stage,loss_reason,value"]
    for i in range(60):
        t = t0 + timedelta(hours=9 * i)
        rows.append(f"{i},{t.isoformat()},New,,{'100' if i % 6 == 0 else ''}")
        if i % 6 == 5:
            rows.append(f"{i},{(t + timedelta(minutes=20)).isoformat()},lost,Spam,")
            continue
        c = t + timedelta(hours=1 + i % 5)
        rows.append(f"{i},{c.isoformat()},Call,,")
        if i % 5 == 0:
            rows.append(f"{i},{(c + timedelta(hours=4 + i % 7)).isoformat()},lost,Expensive,")
        else:
            rows.append(f"{i},{(c + timedelta(hours=10 + 3 * (i % 11))).isoformat()},won,,")
    return "\n".join(rows) + "\n"


def test_a_route_or_value_from_few_deals_says_what_of_the_funnel_is_kept(
        tmp_path: Path) -> None:
    """The notes read «…; the funnel's kept» (whose what?): they name the delay or the value
    kept, and the Russian text keeps its meaning."""
    funnel, hist = tmp_path / "busy.funnel", tmp_path / "mixed.csv"
    funnel.write_text(BUSY, encoding="utf-8")
    hist.write_text(_mixed_history(), encoding="utf-8")
    res = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel),
                                   "-o", str(tmp_path / "a.funnel"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    # 7 of the 10: «Call»'s `sla 40h` counts the desk's working hours, 6.5 days on the
    # clock (40 × 1.05 × 168 / 45 hours), so the visits of the history's last 6.5 days are
    # not old enough to have left (it read the SLA as 42 clock hours and counted 10).
    assert ('note: Sales.Call: lost "Expensive": delay from 7 deals (fewer than 30); '
            "the funnel's delay is kept") in res.output
    assert ('note: source "Web": value from 10 deals (fewer than 30); '
            "the funnel's value is kept") in res.output
    assert "the funnel's kept" not in res.output
    ru = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel),
                                  "-o", str(tmp_path / "b.funnel"), "--lang", "ru"])
    assert ru.exit_code == 0, ru.output
    assert ("Sales.Call: отказ «Expensive»: задержка по 7 сделкам (меньше 30); "
            "оставлена задержка из воронки") in ru.output
    assert "ценность по 10 сделкам (меньше 30); оставлена ценность из воронки" in ru.output


# ---------------------------------------------------------------------------- property
PLAIN = """\
source "Web" 10/day -> "P"."A" profile jul 50%

pipeline "P" main {
  stage "A" {
    -> "B" 60% after exp(1d)
    -> lost "No" 40% after exp(2h)
  }
  stage "B" {
    -> won 50% after lognormal(2d, 1d)
    -> lost "Late" 50% after exp(3d)
  }
  reopen "No" 10% after exp(5d) -> "A"
}
"""


@st.composite
def histories(draw: st.DrawFn) -> str:
    n = draw(st.integers(min_value=2, max_value=120))
    seed = draw(st.integers(min_value=0, max_value=2**31))
    import numpy as np

    rng = np.random.default_rng(seed)
    span = draw(st.sampled_from([3, 40, 200]))
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    rows = ["deal_id,timestamp,stage,loss_reason,source,value"]
    for i in range(n):
        t = t0 + timedelta(days=float(rng.uniform(0, span)))
        val = f"{rng.lognormal(10, 1):.0f}" if rng.random() < 0.7 else ""
        rows.append(f"{i},{t.isoformat()},A,,Web,{val}")
        for stage in ("B", "won", "lost"):
            t += timedelta(hours=float(rng.exponential(rng.choice([0.01, 5, 60]))))
            if rng.random() < 0.15:
                break
            reason = rng.choice(["No", "Late", ""]) if stage == "lost" else ""
            rows.append(f"{i},{t.isoformat()},{stage},{reason},Web,{val}")
            if stage != "B" or rng.random() < 0.5:
                break
    return "\n".join(rows) + "\n"


# 12 histories under CI, 25 locally: every fit must hold it, so fewer examples only try
# fewer histories (a failure found is one whatever their count).
@settings(max_examples=reps(25, 12), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_every_interval_contains_its_estimate(tmp_path_factory: pytest.TempPathFactory,
                                              text: str) -> None:
    path = tmp_path_factory.mktemp("prop") / "h.csv"
    path.write_text(text, encoding="utf-8")
    model = funnelc.loads(PLAIN, "plain.funnel").model if hasattr(funnelc, "loads") else None
    if model is None:
        fpath = path.with_suffix(".funnel")
        fpath.write_text(PLAIN, encoding="utf-8")
        model = funnelc.load(str(fpath)).model
    assert model is not None
    try:
        fit = fit_funnel(prepare([str(path)], "UTC", model), model, "UTC")
    except Exception as exc:  # noqa: BLE001 - a history spanning no time is refused
        assert "spans no time" in str(exc), exc
        return
    eps = 1e-9
    for s in fit.sources:
        assert s.low - eps <= s.per_hour <= s.high + eps, s
        for mo, (ratio, lo, hi, _) in s.profile.items():
            assert lo - eps <= ratio <= hi + eps, (mo, ratio, lo, hi)
        if s.value is not None:
            assert s.value.ci_low - eps <= s.value.mean <= s.value.ci_high + eps, s.value
    for sf in fit.stages:
        for r in sf.routes:
            assert r.low - eps <= r.share <= r.high + eps, r
            if r.after is not None:
                assert r.after.ci_low - eps <= r.after.mean <= r.after.ci_high + eps, r.after
        if sf.time is not None:
            assert sf.time.ci_low - eps <= sf.time.mean <= sf.time.ci_high + eps, sf.time
    for ro in fit.reopens:
        assert ro.low - eps <= ro.share <= ro.high + eps, ro
        if ro.delay is not None:
            assert ro.delay.ci_low - eps <= ro.delay.mean <= ro.delay.ci_high + eps, ro.delay
