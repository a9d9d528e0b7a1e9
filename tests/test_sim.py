"""The simulator's behaviour, one rule per test: reproducibility, parallel runs, the
three kinds of SLA timeout, respond breaches, working-hours arithmetic, queue
disciplines, cadences and reopens, graveyard verdicts, funnel shape, common random
numbers, records, the JSON contract and the CLI's exit codes."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from conftest import reps
from funnelc import load_text
from funnelc.cli import cli
from funnelc.model import FunnelFile
from funnelc.sim import SimConfig, simulate
from funnelc.sim.calendar import WorkCalendar
from funnelc.sim.ci import estimate, t_quantile
from funnelc.sim.compile import compile_network
from funnelc.sim.engine import Engine
from funnelc.sim.results import SCHEMA_PATH, Estimate, SimResult, schema_text
from funnelc.sim.table import render_tables

UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"


def model(text: str) -> FunnelFile:
    loaded = load_text(text, "<test>")
    errors = [d.message for d in loaded.diagnostics if d.severity.value == "error"]
    assert not errors, errors
    assert loaded.model is not None
    return loaded.model


def sim(text: str, **options: object) -> SimResult:
    cfg: dict[str, object] = {"reps": 3, "days": 60, "warmup_days": 0, "jobs": 1}
    cfg.update(options)
    return simulate(model(text), SimConfig(**cfg))  # type: ignore[arg-type]


def within(e: Estimate, expected: float, slack: float = 0.0, level: float = 0.99) -> bool:
    """expected lies inside the `level` CI of e (widened by `slack`, absolute)."""
    assert e.mean is not None and e.sd is not None
    half = t_quantile(0.5 + level / 2, e.n - 1) * e.sd / math.sqrt(e.n)
    return abs(e.mean - expected) <= half + slack


def monthly_revenue(r: SimResult) -> tuple[Estimate, Estimate]:
    """The account's booked revenue over the window and the same per month of 730 h
    (the language's month), with its interval scaled alike."""
    per_month = 730.0 / r.run.observed_hours
    rev = r.account.revenue_won
    assert rev.mean is not None and rev.sd is not None and rev.ci95 is not None
    return rev, Estimate(mean=rev.mean * per_month, ci95=rev.ci95 * per_month,
                         sd=rev.sd * per_month, n=rev.n)


def run_cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


SMALL = """
account "A" { currency RUB }
team Sales size 2
source Web 30/day -> P.New value lognormal(100k, 50k)
pipeline P main {
  stage New {
    owner Sales
    work exp(20m)
    sla 4h -> lost "slow"
    respond 30m
    -> Offer 60% after exp(2h)
    -> lost "junk" 40%
  }
  stage Offer key {
    owner Sales
    work exp(30m)
    -> won 50% after exp(1d)
    -> lost "price" 50%
  }
}
"""


# ---------------------------------------------------------------- reproducibility


def test_same_seed_gives_the_same_json_to_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    outs = []
    for name, seed in (("1.json", "7"), ("2.json", "7"), ("3.json", "8")):
        code, _, err = run_cli("simulate", str(path), "--days", "30", "--warmup", "2",
                               "--reps", "2", "--jobs", "1", "--seed", seed,
                               "--json", str(tmp_path / name))
        assert code == 0, err
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2], "another seed must give other numbers"


def test_job_count_does_not_change_results(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    for jobs in ("1", "2"):
        code, _, err = run_cli("simulate", str(path), "--days", "20", "--warmup", "1",
                               "--reps", "3", "--jobs", jobs, "--json",
                               str(tmp_path / f"j{jobs}.json"))
        assert code == 0, err
    assert (tmp_path / "j1.json").read_bytes() == (tmp_path / "j2.json").read_bytes()


def _in_fresh_python(tmp_path: Path, body: str) -> str:
    """Run `body` as a script in a new interpreter and return its stdout. Which start
    method the runner picks depends on the threads alive in the calling process, and
    other tests (Dask's offload thread) leave some behind: a fresh one has none."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "run.py"
    script.write_text("import os, threading\n"
                      "from funnelc import load_text\n"
                      "from funnelc.sim import SimConfig, compile_network\n"
                      "import funnelc.sim.runner as runner\n"
                      f"SMALL = {SMALL!r}\n"
                      "def main() -> None:\n"
                      "    net = compile_network(load_text(SMALL, '<test>').model)\n"
                      + textwrap.indent(textwrap.dedent(body), "    ")
                      + "\nif __name__ == '__main__':\n    main()\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_forked_and_spawned_workers_give_the_same_results_and_records(tmp_path: Path) -> None:
    """Workers fork while the caller runs no other thread and spawn otherwise (a fork
    could copy a lock another thread holds); either way every replication and every
    record row is the one a single process makes."""
    out = _in_fresh_python(tmp_path, """
        outs = {}
        for name, jobs, thread in (("one", 1, False), ("fork", 2, False), ("spawn", 2, True)):
            stop = threading.Event()
            alive = threading.Thread(target=stop.wait, daemon=True)
            if thread:
                alive.start()
            assert runner.start_method() == ("spawn" if thread else "fork"), name
            records = f"{name}.csv"
            reps = runner.run_replications(net, SimConfig(
                days=20, warmup_days=1, reps=5, seed=4, jobs=jobs, records=records))
            stop.set()
            assert [r.rep for r in reps] == list(range(5))
            with open(records, "rb") as fh:
                outs[name] = (repr(reps), fh.read())
        assert outs["fork"] == outs["one"], "fork"
        assert outs["spawn"] == outs["one"], "spawn"
        assert not [f for f in os.listdir(".") if f.startswith(".funnelc-")]
        print("identical", len(outs["one"][1]))
    """)
    assert out.startswith("identical") and int(out.split()[1]) > 1000


def test_a_failing_worker_fails_the_run_without_leaving_processes(tmp_path: Path) -> None:
    """An error in a worker's replication reaches the caller (no hang, no silent gap),
    and the pool is shut down. The forked worker inherits the patched engine; the
    calling process is slowed down so that the worker surely takes a replication."""
    out = _in_fresh_python(tmp_path, """
        import multiprocessing, time
        assert runner.start_method() == "fork"
        parent, real = os.getpid(), runner.run_replication

        def flaky(net, config, rep, record=None):
            if os.getpid() != parent:
                raise RuntimeError(f"worker failed on replication {rep}")
            time.sleep(0.2)
            return real(net, config, rep, record)

        runner.run_replication = flaky
        try:
            runner.run_replications(net, SimConfig(days=20, warmup_days=1, reps=6, jobs=2))
        except RuntimeError as exc:
            print("raised:", exc)
        assert multiprocessing.active_children() == []
    """)
    assert out.startswith("raised: worker failed on replication")


def test_replication_streams_do_not_depend_on_the_count() -> None:
    """Replication r is the same whether 2 or 4 are run (seeded by its index)."""
    net = compile_network(model(SMALL))
    a = Engine(net, SimConfig(reps=2, days=10, warmup_days=0), 1).run()
    b = Engine(net, SimConfig(reps=4, days=10, warmup_days=0), 1).run()
    assert a == b


# ---------------------------------------------------------------- SLA and respond

SLA_KINDS = """
team Solo size 1
team Crew size 5
source Q 6/hour -> Queue.Wait
source W 1/hour -> Work.Busy
source D 1/hour -> Delay.Waiting
source K 1/hour -> Park.Stuck
pipeline Queue { stage Wait { owner Solo
    work 1h
    sla 30m -> lost "timeout"
    -> won } }
pipeline Work { stage Busy { owner Crew
    work 2h
    sla 1h -> lost "timeout"
    -> won } }
pipeline Delay { stage Waiting { sla 1h -> lost "timeout"
    -> won 100% after 5h } }
pipeline Park { stage Stuck { sla 2h -> lost "timeout"
    -> won 10% after 100d
    stay 90% } }
"""


def test_sla_records_what_the_deal_was_doing() -> None:
    r = sim(SLA_KINDS, reps=2, days=20)
    q = r.stage("Queue", "Wait").timeouts
    assert q.queued.mean > 1000 and q.in_delay.mean == 0 and q.parked.mean == 0

    busy = r.stage("Work", "Busy")
    # Picked up at once, worked 2 h: at 1 h the SLA runs out in work, the work finishes.
    assert busy.timeouts.in_work.mean == pytest.approx(busy.entered.mean, abs=3)
    assert busy.timeouts.queued.mean == 0
    assert busy.outcomes[0].count.mean == 0, "the timeout replaces the outcome"
    assert busy.time_in_stage_hours.p50.mean == pytest.approx(2.0, rel=0.02)

    wait = r.stage("Delay", "Waiting")
    assert wait.timeouts.in_delay.mean == pytest.approx(wait.entered.mean, abs=2)
    assert wait.time_in_stage_hours.p99.mean == pytest.approx(1.0, rel=0.02)

    park = r.stage("Park", "Stuck")
    t = park.timeouts
    total = t.parked.mean + t.in_delay.mean
    assert t.parked.mean / total == pytest.approx(0.9, abs=0.03)
    assert t.in_delay.mean / total == pytest.approx(0.1, abs=0.03)
    assert park.time_in_stage_hours.mean.mean == pytest.approx(2.0, rel=1e-6)
    lost = r.pipeline("Park").lost_by_reason["timeout"]
    assert lost.mean == pytest.approx(total, abs=1)


OWNERLESS_WORK = """
source S 40/hour -> P.Making
pipeline P { stage Making {
    work exp(10h)
    sla 4h -> lost "late"
    -> won } }
"""


def test_an_sla_ends_work_without_an_owner_at_once(tmp_path: Path) -> None:
    """`work` without an owner is nobody's time (production, a supplier, the client's own
    process): a plain delay, which the SLA, the CRM's timer on the deal, ends at once as
    it ends an `after` delay (docs/semantics.md). Exponential work of mean m = 10 h under
    `sla 4h`: e^(-0.4) = 67.0% of the deals leave by the SLA, after 4 h, and the mean
    time in stage is m(1 - e^(-0.4)) = 3.30 h. The engine let the work finish first, as a
    member's: 10 h in stage (the median 6.9 h), the timeouts counted as `in_work`."""
    path = tmp_path / "making.funnel"
    path.write_text(OWNERLESS_WORK, encoding="utf-8")
    code, out, err = run_cli("simulate", str(path), "--format", "json", "--days", "8",
                             "--warmup", "1", "--reps", str(reps(6, 4)), "--seed", "3",
                             "--jobs", "1")
    assert code == 0, err
    (st,) = SimResult.model_validate_json(out).stages
    t = st.timeouts
    assert t.in_work.mean == 0 and t.queued.mean == 0 and t.parked.mean == 0
    won = st.outcomes[0].count
    assert t.in_delay.mean is not None and won.mean is not None
    share = t.in_delay.mean / (t.in_delay.mean + won.mean)
    assert share == pytest.approx(math.exp(-0.4), abs=0.015), share
    time = st.time_in_stage_hours
    assert within(time.mean, 10.0 * (1.0 - math.exp(-0.4))), time.mean
    assert time.p50.mean == pytest.approx(4.0, rel=0.01), "67% leave at exactly 4 h"
    assert time.p99.mean == pytest.approx(4.0, rel=0.01), "nobody stays past the SLA"


def test_sla_counts_working_hours_when_the_account_has_a_calendar(tmp_path: Path) -> None:
    text = """
account A { hours mon-fri 09:00-18:00 }
source Web 1/day -> P.S
pipeline P { stage S { sla 3h -> lost "late"
  -> won 100% after 30d } }
"""
    net = compile_network(model(text))
    rows: list[tuple] = []
    eng = Engine(net, SimConfig(reps=1, days=7, warmup_days=0), 0, record=rows.append)
    eng.preload(0, 1)  # enters Monday 00:00 (2018-01-01 is a Monday)
    eng.run()
    left = [row[6] for row in rows if row[1] == 1]  # the preloaded deal is deal 1
    assert left == [12.0], "3 working hours after Monday 00:00 is Monday 12:00"


def test_respond_breach_share_matches_the_calendar() -> None:
    """A big team picks every deal up at once while open; a deal arriving when closed
    waits for the opening and breaches a 30-minute respond unless it came in the last
    half hour before. Open 06-24 except Saturday: closed 5 x 6 h on weekday nights plus
    Saturday 00:00 to Sunday 06:00 (30 h), six openings, so the expected share of
    breaches is (60 - 6 x 0.5) / 168. Eight whole weeks end on Sunday at 24:00, so no
    deal waiting for an opening is cut off by the horizon."""
    text = """
team Crew size 30 hours mon-fri 06:00-24:00, sun 06:00-24:00
source S 40/day -> P.New
pipeline P { stage New { owner Crew
  work 1m
  respond 30m
  -> won } }
"""
    r = sim(text, reps=6, days=56)
    expected = (60 - 3) / 168 * 100
    got = r.stage("P", "New").respond_breach_pct
    assert got is not None and within(got, expected), (got, expected)
    assert got.ci95 < 3.0


def test_an_overloaded_team_counts_the_breaches_of_deals_still_waiting_at_the_end() -> None:
    """A hundred members finish exactly 100 deals an hour and 200 arrive: deal k
    (arriving at about k/200 h) is picked up at about k/100 h, having waited k/200 h, so
    every deal arriving after 24 h breaches `respond 24h`. In 4 days the members pick up
    deals 1-9,700 (4,900 of them late); deals 9,701-14,399 are still waiting with their
    limit run out (4,699 breaches known for certain) and deals from 14,400 on are still
    inside it (not yet known: neither kept nor breached). Breaches 9,599 of 14,399
    decided = 66.7%; counting only the picked-up deals read 50.5% (4,900 of 9,700), and
    counting the undecided as kept 50%."""
    text = """
team T size 100
source S 200/hour -> P.In
pipeline P { stage In { owner T
  work 1h
  respond 24h
  -> won } }
"""
    got = sim(text, reps=3, days=4).stage("P", "In").respond_breach_pct
    assert got is not None and got.mean is not None
    assert abs(got.mean - 100 * 9599 / 14399) < 2.0, got


def test_a_cadence_counts_the_breaches_of_deals_still_waiting_for_their_first_touch() -> None:
    """An automatic SMS at entry (no member's time) gets a reply from 25% of the deals,
    which leave unpicked before `respond 1h` runs out (kept); the rest wait for a call a
    day after entry, so each of them breaches the limit an hour after entry, whatever
    the team's size. Over the 3 observed days (1 day of warm-up) the decided answers are
    75% breaches: the window holds 3 days of kept replies and 3 days of limits run out.
    At the end the deals of the last 23 hours wait for their call on a timer, in no
    team's queue; left out, the share read 0.75 x 49 / (0.75 x 49 + 0.25 x 72) = 67.1%.
    Ten members make 20 of the 30 calls due an hour, so some 730 deals also wait in the
    queue for their call at the end, past their limit: those count too (the stage's
    unpicked deals are read whether queued or not)."""
    text = """
team T size 10
source S 40/hour -> P.In
pipeline P { stage In { owner T
  respond 1h
  cadence {
    sms now 25%
    call 1d 100% work 30m
    on reply -> won
    on exhausted -> lost "No answer"
  } } }
"""
    got = sim(text, reps=4, days=4, warmup_days=1).stage("P", "In").respond_breach_pct
    assert got is not None and got.mean is not None
    assert abs(got.mean - 75.0) < 1.5, got


def test_respond_is_not_measured_without_an_owner() -> None:
    text = """
source S 10/day -> P.New
pipeline P { stage New { respond 10m
  -> won 100% after 1h } }
"""
    assert sim(text, reps=2, days=5).stage("P", "New").respond_breach_pct is None


# ---------------------------------------------------------------- calendar arithmetic


def calendar(hours: str, start: date = date(2018, 1, 1)) -> WorkCalendar:
    m = model(f"account A {{ hours {hours} }}\nsource W 1/day -> P.S\n"
              "pipeline P { stage S { -> won } }")
    assert m.account is not None
    return WorkCalendar.from_hours(m.account.hours, start)


def test_calendar_adds_working_hours_across_nights_and_weekends() -> None:
    cal = calendar("mon-fri 09:00-18:00")
    assert cal.total == 45
    assert cal.add(0.0, 1.0) == 10.0  # Monday 00:00 + 1 h: counting starts at 09:00
    assert cal.add(17.5, 1.0) == 33.5  # Monday 17:30 + 1 h = Tuesday 09:30
    assert cal.add(4 * 24 + 17, 2.0) == 168 + 10  # Friday 17:00 + 2 h = Monday 10:00
    assert cal.add(12.0, 0.0) == 12.0
    assert cal.add(9.0, 9.0) == 18.0  # a whole day ends at closing time, not next morning
    assert cal.hours_between(0.0, 168.0) == 45
    assert cal.is_open(9.0) and not cal.is_open(18.0) and not cal.is_open(8.99)


def test_calendar_is_anchored_to_the_start_weekday() -> None:
    cal = calendar("mon-fri 09:00-18:00", start=date(2018, 1, 6))  # a Saturday
    assert cal.add(0.0, 1.0) == 48 + 10  # Saturday 00:00 + 1 h = Monday 10:00


def test_calendar_open_across_the_week_boundary() -> None:
    # Sunday 22:00 to Monday 06:00, then Monday 22:00-24:00: one stretch over midnight.
    night = WorkCalendar([(166.0, 168.0), (0.0, 6.0), (22.0, 24.0)], 0.0)
    assert night.is_open(0.0) and night.is_open(23.0) and not night.is_open(12.0)
    assert night.add(5.0, 2.0) == 23.0  # 05:00-06:00, then 22:00-23:00
    changes = night.changes(0.0)
    assert [next(changes) for _ in range(4)] == [(6.0, False), (22.0, True), (24.0, False),
                                                (166.0, True)]


def test_calendar_several_entries() -> None:
    two = calendar("mon-fri 09:00-13:00, mon-fri 14:00-18:00, sat 10:00-14:00")
    assert two.total == 44
    assert two.add(12.0, 2.0) == 15.0  # over the lunch break


def test_calendar_changes_are_enumerated_in_order() -> None:
    cal = calendar("mon-fri 09:00-18:00")
    changes = cal.changes(0.0)
    assert [next(changes) for _ in range(4)] == [(9.0, True), (18.0, False), (33.0, True),
                                                (42.0, False)]
    assert list(WorkCalendar.from_hours(None, date(2018, 1, 1)).changes(0.0)) == []


def test_calendar_add_is_the_inverse_of_hours_between() -> None:
    cal = calendar("mon-thu 08:30-17:15, fri 09:00-15:00, sun 10:00-12:00")
    rng = random.Random(5)
    for _ in range(500):
        t = rng.uniform(0, 2000)
        d = rng.uniform(0, 300)
        end = cal.add(t, d)
        assert end >= t
        assert cal.hours_between(t, end) == pytest.approx(d, abs=1e-7)
        assert cal.add(t, d + 1e-3) > end or d == 0


def test_calendar_always_and_never_open() -> None:
    always = WorkCalendar.from_hours(None, date(2018, 1, 1))
    assert always.add(3.0, 5.0) == 8.0 and always.always_open
    never = WorkCalendar([], 0.0)
    assert never.add(3.0, 5.0) == math.inf and never.never_open


# ---------------------------------------------------------------- queue disciplines

TWO_STAGES = """
{account}
team T size 1
source S 0.9/hour -> P.Early
pipeline P {{
  stage Early {{ owner T
    work exp(30m)
    -> Late }}
  stage Late {key} {{ owner T
    work exp(30m)
    -> won }}
}}
"""


def _waits(account: str, key: str) -> tuple[float, float]:
    r = sim(TWO_STAGES.format(account=account, key=key), reps=4, days=120, warmup_days=10)
    early = r.stage("P", "Early").queue_wait_hours_mean
    late = r.stage("P", "Late").queue_wait_hours_mean
    assert early is not None and late is not None
    return early.mean, late.mean  # type: ignore[return-value]


def test_fifo_serves_both_stages_alike() -> None:
    early, late = _waits('account A { queue fifo }', "")
    assert 0.7 < late / early < 1.4


def test_key_first_serves_key_stages_before_others() -> None:
    early, late = _waits('account A { queue key-first }', "key")
    assert late < 0.5 * early


def test_key_first_serves_later_stages_first() -> None:
    early, late = _waits('account A { queue key-first }', "")
    assert late < 0.5 * early


# ---------------------------------------------------------------- cadences and reopens

CADENCE = """
source S 40/day -> P.Call
pipeline P {
  stage Call { cadence { call now 50%
      call 1h 50%
      call 1d 50%
      on reply -> won
      on exhausted -> lost "silent" } }
  reopen "silent" 40% after 2d -> Call
}
"""


def test_cadence_reply_share_and_reopens(tmp_path: Path) -> None:
    records = tmp_path / "rec.csv"
    r = sim(CADENCE, reps=4, days=60, records=str(records))
    call = r.stage("P", "Call")
    replied = next(o for o in call.outcomes if o.via == "reply")
    exhausted = next(o for o in call.outcomes if o.via == "exhausted")
    assert replied.share == pytest.approx(0.875)
    share = replied.count.mean / (replied.count.mean + exhausted.count.mean)
    assert share == pytest.approx(0.875, abs=0.01)
    pipe = r.pipeline("P")
    reopened = pipe.reopened_by_reason["silent"].mean
    lost = pipe.lost_by_reason["silent"].mean
    assert reopened / (reopened + lost) == pytest.approx(0.4, abs=0.04)
    # Exhausted deals leave at the last touch, exactly one day after entry.
    with records.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["outcome"] == 'lost "silent"']
    assert rows and all(float(r["left_hours"]) - float(r["entered_hours"]) ==
                        pytest.approx(24.0) for r in rows)


def test_cadence_touches_queue_for_the_owner_team() -> None:
    text = """
team T size 1
source S 10/day -> P.Call
pipeline P { stage Call { owner T
  cadence { call now 50% work 30m
    call 2h 50% work 30m
    on reply -> won
    on exhausted -> lost "silent" } } }
"""
    r = sim(text, reps=2, days=30)
    team = r.team("T")
    # 10 deals a day, 1.5 touches each on average, 30 minutes a touch: 7.5 h a day.
    assert team.utilization.mean == pytest.approx(7.5 / 24, rel=0.1)
    assert r.stage("P", "Call").queue_wait_hours_mean.mean > 0


# ---------------------------------------------------------------- verdicts


def test_stay_without_sla_is_a_graveyard() -> None:
    text = """
source S 10/day -> P.New
pipeline P { stage New { -> won 50% after 1h
  stay 50% } }
"""
    st = sim(text, reps=3, days=60).stage("P", "New")
    codes = {r.code for r in st.graveyard.reasons}
    assert st.graveyard.is_graveyard and {"stay-without-sla", "wip-growing"} <= codes
    assert st.wip_final.mean == pytest.approx(300, rel=0.15)
    assert st.age_final_hours_mean.mean == pytest.approx(30 * 24, rel=0.15)


def test_overloaded_team_is_flagged_and_its_stage_grows() -> None:
    text = """
team T size 1
source S 1.5/hour -> P.New
pipeline P { stage New { owner T
  work exp(1h)
  -> won } }
"""
    r = sim(text, reps=3, days=30)
    assert r.team("T").unstable and r.team("T").offered_load_rho == pytest.approx(1.5)
    assert any(w.code == "unstable-team" and w.subject == "T" for w in r.warnings)
    st = r.stage("P", "New")
    assert [g.code for g in st.graveyard.reasons] == ["wip-growing"]
    assert r.team("T").utilization.mean == pytest.approx(1.0, abs=0.01)


def test_a_stable_stage_is_not_a_graveyard() -> None:
    r = sim(SMALL, reps=4, days=90, warmup_days=10)
    for st in r.stages:
        assert not st.graveyard.is_graveyard, (st.stage, st.graveyard)
    assert not r.team("Sales").unstable and r.warnings == []


RISING_SEASON = """
team T size 3
source S 24/day -> P.Call profile jan 40%, feb 60%, mar 90%, apr 130%, may 170%, jun 200%
pipeline P {
  stage Call { owner T
    work exp(30m)
    -> Wait }
  stage Wait { -> won 100% after lognormal(20d, 10d) }
}
"""


def test_wip_that_follows_a_seasonal_rise_in_arrivals_is_not_a_graveyard() -> None:
    """Arrivals quintuple from January to June: the 20-day stage's WIP grows all half-year
    (significantly), but only as much as its arrivals explain (M/G/inf), and the team never
    gets more than a third of its hours' work. Nothing piles up."""
    r = sim(RISING_SEASON, reps=4, days=180)
    wait = r.stage("P", "Wait")
    growth = wait.wip_growth_per_day
    assert growth.mean is not None and growth.ci95 is not None
    assert growth.mean - growth.ci95 > 0 and growth.mean * 90 > 100, "the raw WIP does grow"
    for st in r.stages:
        assert not st.graveyard.is_graveyard, (st.stage, st.graveyard)


def test_an_overloaded_team_is_flagged_while_its_arrivals_fall() -> None:
    """Arrivals fall from 2.25 to 1.5 an hour over four months, always above the one
    member's 1 an hour and with no sla: the queue grows beyond what arrivals explain."""
    text = """
team T size 1
source S 1.5/hour -> P.New profile jan 150%, feb 130%, mar 110%, apr 100%, may 90%, jun 80%
pipeline P { stage New { owner T
  work exp(1h)
  -> won } }
"""
    r = sim(text, reps=3, days=120, warmup_days=10)
    assert r.team("T").unstable
    codes = [g.code for g in r.stage("P", "New").graveyard.reasons]
    assert codes == ["wip-growing"]


def test_expected_wip_is_the_arrivals_convolved_with_the_time_in_stage() -> None:
    """10 deals a day, each staying 36 h: at the end of a day the last day's deals are
    all there and half of the day before's, 15 in all (1 % bucket accuracy); day 1 has
    only its own 10."""
    from array import array

    from funnelc.sim.stats import LogHistogram, expected_wip

    hist = LogHistogram()
    hist.buf = array("d", [36.0] * 1000)
    cum = [10.0 * (d + 1) for d in range(10)]
    got = expected_wip(cum, hist, 10, (0.0, 24.0 * 1000))
    assert got[0] == pytest.approx(10, rel=0.02)
    assert got[1:] == pytest.approx([15.0] * 9, rel=0.02)
    assert expected_wip(cum, LogHistogram(), 3, (0.0, 240.0)).tolist() == [0.0, 0.0, 0.0]


def _graves(name: str, n: int) -> dict[str, list[str]]:
    """Stage → verdict codes of the graveyards of an example file over a year."""
    from conftest import PIPELINES
    from funnelc import load_file

    m = load_file(PIPELINES / name).model
    assert m is not None
    r = simulate(m, SimConfig(days=365, reps=n, seed=1))
    return {s.stage: [g.code for g in s.graveyard.reasons] for s in r.stages
            if s.graveyard.is_graveyard}


def test_cottages_graveyard_is_the_uncalled_leads_of_its_first_stage() -> None:
    """Three managers offered ~111 % of their hours leave new leads uncalled in the first
    stage; every other stage, seasonal profile and 90-day nurture included, is fine."""
    from conftest import reps

    assert _graves("cottages.funnel", reps(6, 4)) == {"Расчет с сайта": ["wip-growing"]}


def test_cottages_before_graveyard_is_the_stay_after_the_estimate() -> None:
    from conftest import reps

    before = _graves("cottages-before.funnel", reps(4, 3))
    assert list(before) == ["Отправлен расчет"]
    assert "stay-without-sla" in before["Отправлен расчет"]


def test_courses_seasons_are_not_graveyards() -> None:
    """A summer dip and a September peak move every stage's WIP (the plain WIP slope over
    the second half is significant nearly everywhere), but no stage piles up beyond what
    its arrivals explain: the team catches up by December."""
    from conftest import reps

    assert _graves("courses.funnel", reps(10, 6)) == {}


def test_overload_with_an_sla_is_not_unstable() -> None:
    r = sim(SLA_KINDS, reps=2, days=10)
    assert r.team("Solo").offered_load_rho == pytest.approx(6.0)
    assert not r.team("Solo").unstable


def test_funnel_shape_flags_a_stage_entered_more_than_the_one_before() -> None:
    text = """
source A 10/day -> P.First
source B 10/day -> P.Second
pipeline P { stage First { -> Second 100% after 1h }
  stage Second { -> won 50% after 1h
    -> lost "no" 50% } }
"""
    shape = sim(text, reps=3, days=30).pipeline("P").funnel_shape
    assert not shape.ok and shape.violations[0].stage == "Second"
    assert sim(SMALL, reps=3, days=30).pipeline("P").funnel_shape.ok


# ---------------------------------------------------------------- common random numbers


def test_changing_one_pipeline_does_not_move_another_pipelines_numbers() -> None:
    text = """
team A size 2
team B size 2
source SA 20/day -> PA.S
source SB 20/day -> PB.S
pipeline PA { stage S { owner A
  work exp(30m)
  -> won 30% after exp(1d)
  -> lost "no" 70% } }
pipeline PB { stage S { owner B
  work exp(30m)
  -> won 30%
  -> lost "no" 70% } }
scenario Faster {
  stage PB.S work exp(10m)
  stage PB.S -> won 50%
  stage PB.S -> lost "no" 50%
}
"""
    base = sim(text, reps=2, days=20)
    what_if = sim(text, reps=2, days=20, scenario="Faster")
    assert base.stage("PA", "S") == what_if.stage("PA", "S")
    assert base.pipeline("PA") == what_if.pipeline("PA")
    assert base.stage("PB", "S").entered == what_if.stage("PB", "S").entered, \
        "arrivals keep their own stream"
    assert base.pipeline("PB").won != what_if.pipeline("PB").won
    assert what_if.run.scenario == "Faster"


# ---------------------------------------------------------------- revenue

# No pipeline declares the purpose `sales`, so a copy chain books once, at its final win
# (with one declared, every sale books: tests/test_revenue_at_sales.py).
HANDOFFS = """
account "A" { currency RUB }
source Web 20/day -> Sales.Lead value uniform(50k, 150k)
pipeline Sales main {
  stage Lead {
    -> Deal 50% after exp(1d)
    -> lost "later" 50% then copy Nurture.Warm
  }
  stage Deal {
    -> won 40% after exp(1d) then copy Delivery.Build
    -> lost "no" 60% then copy Nurture.Warm
  }
}
pipeline Nurture {
  stage Warm {
    -> won 30% after exp(2d) then copy Sales.Deal
    -> lost "cold" 70% after exp(2d)
  }
}
pipeline Delivery {
  stage Build {
    -> won 90% after exp(3d)
    -> lost "cancel" 10%
  }
}
"""


def test_revenue_is_booked_once_per_copy_chain_as_the_exact_maths_counts_it() -> None:
    """A sale handed to production and a nurture win copied back into sales are
    handoffs: the value is booked when the last copy is won. The simulated revenue per
    month must match `analyze`'s (which counts the final win of each copy chain); counting
    every `won` would book the same deal up to three times here."""
    from conftest import reps
    from funnelc.analysis.exact import analyze_account

    m = model(HANDOFFS)
    exact = analyze_account(m).revenue_per_month
    assert exact is not None and exact > 0
    r = sim(HANDOFFS, reps=reps(8, 6), days=200, warmup_days=20, seed=3)
    rev, monthly = monthly_revenue(r)
    assert within(monthly, exact), (monthly, exact)
    assert rev.mean is not None and rev.ci95 is not None
    assert rev.ci95 < 0.05 * rev.mean, "the interval must be narrow enough to mean something"
    # Only production's wins end a chain; sales and nurture win deals but book nothing.
    for name in ("Sales", "Nurture"):
        assert (r.pipeline(name).won.mean or 0) > 100
        assert r.pipeline(name).revenue_won.mean == 0.0
    assert r.pipeline("Delivery").revenue_won == rev


# ---------------------------------------------------------------- outputs


def test_records_have_one_row_per_stage_visit(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    r = sim(SMALL, reps=2, days=10, records=str(path))
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["rep", "deal_id", "pipeline", "stage", "entered_hours",
                             "picked_hours", "left_hours", "outcome", "timeout_kind"]
    assert {row["rep"] for row in rows} == {"0", "1"}
    new = [row for row in rows if row["stage"] == "New"]
    assert len(new) == pytest.approx(2 * r.stage("P", "New").entered.mean)
    for row in new:
        if row["left_hours"]:
            assert float(row["left_hours"]) >= float(row["entered_hours"])
        else:
            assert row["outcome"] == "open"
        if row["timeout_kind"]:
            assert row["outcome"] == 'lost "slow"'
    assert not list(tmp_path.glob(".funnelc-*")), "temporary files must be gone"


def test_estimates_are_student_t_intervals() -> None:
    e = estimate([1.0, 2.0, 3.0, 4.0])
    assert e.mean == 2.5 and e.n == 4
    assert e.sd == pytest.approx(1.2909944)
    assert e.ci95 == pytest.approx(3.182446305 * 1.2909944 / 2)
    assert estimate([float("nan"), 5.0]).n == 1 and estimate([]).mean is None
    assert t_quantile(0.975, 1) == pytest.approx(12.7062047)
    assert t_quantile(0.995, 9) == pytest.approx(3.2498355)


LOSING = """
account "Тест" { language ru }
source "Web" 20/day -> "Продажи"."Новая"
pipeline "Продажи" main {
  stage "Новая" {
    -> won 30%
    -> lost "Спам" 40%
    -> lost "Дорого" 30%
  }
}
"""


def _printed_interval(cell: str) -> tuple[float, float]:
    """The ends of a Russian table cell, «137 ±14,6» or «6 [0–31,4]»."""
    def number(x: str) -> float:
        return float(x.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    figure = r"\d[\d\u00a0 ]*(?:,\d+)?"
    if m := re.fullmatch(rf"({figure}) ±({figure})", cell):
        mean, half = number(m.group(1)), number(m.group(2))
        return mean - half, mean + half
    m = re.fullmatch(rf"{figure} \[({figure})–({figure})\]", cell)
    assert m, f"no interval in the lost cell {cell!r}"
    return number(m.group(1)), number(m.group(2))


def test_the_lost_totals_printed_interval_covers_the_truth_95_percent_of_seeds() -> None:
    """Deals arrive as a Poisson stream of 20 a day and are lost at once, 40 % and 30 %
    for two reasons, so a run's lost total over 10 days is Poisson with mean
    20 × 10 × 0.7 = 140. The pipelines table prints it with the interval of the run's
    totals, which holds 140 in about 95 % of 600 seeds (sd of that share 0.9 points);
    a total printed bare («137») has none, and the reasons' half-widths added up
    (the two counts are independent) would hold it in 99.7 %."""
    funnel = model(LOSING)
    truth, seeds = 140.0, 600
    inside, variances = 0, []
    for seed in range(seeds):
        r = simulate(funnel, SimConfig(reps=5, days=10, warmup_days=0, seed=seed, jobs=1))
        printed = io.StringIO()
        render_tables(r, Console(file=printed, width=250, color_system=None), "ru")
        row = next(line for line in printed.getvalue().splitlines()
                   if line.startswith("│ Продажи "))
        low, high = _printed_interval(row.split("│")[4].strip())
        inside += low <= truth <= high
        lost = r.pipeline("Продажи").lost
        assert lost.mean == pytest.approx(
            sum(e.mean or 0.0 for e in r.pipeline("Продажи").lost_by_reason.values()))
        assert lost.sd is not None and lost.n == 5
        variances.append(lost.sd ** 2)
    assert 0.925 <= inside / seeds <= 0.975, f"coverage {inside}/{seeds}"
    # The spread between runs is the Poisson one: variance = mean = 140.
    assert sum(variances) / seeds == pytest.approx(truth, rel=0.1)


def test_shipped_schema_matches_the_models() -> None:
    text = schema_text()
    if UPDATE:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
    assert SCHEMA_PATH.exists(), \
        f"no {SCHEMA_PATH.name}: regenerate with FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_sim.py"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == text, \
        "regenerate with FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_sim.py"


def test_json_output_follows_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    code, out, err = run_cli("simulate", str(path), "--days", "10", "--warmup", "1",
                             "--reps", "2", "--jobs", "1", "--json", "-")
    assert code == 0, err
    data = json.loads(out)
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert data["run"]["observed_hours"] == 9 * 24
    assert "time_in_stage_hours" in data["stages"][0]
    code, out, _ = run_cli("simulate", "--schema")
    assert code == 0 and json.loads(out) == json.loads(SCHEMA_PATH.read_text("utf-8"))


def test_cli_prints_tables_and_writes_json(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    out_json = tmp_path / "out" / "r.json"
    code, out, err = run_cli("simulate", str(path), "--days", "10", "--warmup", "1",
                             "--reps", "2", "--jobs", "1", "--json", str(out_json))
    assert code == 0, err
    assert "P: stages" in out and "teams" in out and "revenue won" in out
    assert SimResult.model_validate_json(out_json.read_text("utf-8")).run.reps == 2


@pytest.mark.parametrize("args, message", [
    (["--days", "-5"], "--days"),
    (["--reps", "0"], "--reps"),
    (["--days", "5", "--warmup", "5"], "--warmup"),
    (["--jobs", "0"], "--jobs"),
    (["--start", "2025-13-01"], "date"),
    (["--scenario", "Nope"], "no scenario"),
])
def test_absurd_options_are_usage_errors(tmp_path: Path, args: list[str], message: str
                                         ) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(SMALL, encoding="utf-8")
    code, _, err = run_cli("simulate", str(path), *args)
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_files_with_errors_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.funnel"
    path.write_text(SMALL.replace("owner Sales\n    work exp(20m)", "owner Sails\n    work exp(20m)"),
                    encoding="utf-8")
    code, _, err = run_cli("simulate", str(path))
    assert code == 1 and "fix them before simulating" in err
    code, _, err = run_cli("simulate", str(tmp_path / "missing.funnel"))
    assert code == 2


def test_warmup_is_left_out_of_the_statistics() -> None:
    r = sim(SMALL, reps=2, days=30, warmup_days=10)
    assert r.run.observed_hours == 20 * 24
    assert len(r.stage("P", "New").wip_daily) == 20
    assert r.stage("P", "New").wip_daily_first_day == 11
    assert r.stage("P", "New").entered.mean == pytest.approx(20 * 30, rel=0.1)


def test_far_timers_fire_on_time() -> None:
    """Timers more than a day ahead wait in a separate heap; they must still fire at
    their exact time (SLA of 10 days on parked deals, a 3-day delay)."""
    text = """
source S 5/day -> P.Park
pipeline P { stage Park { sla 10d -> lost "stale"
    -> Next 30% after 3d
    stay 70% }
  stage Next { -> won } }
"""
    r = sim(text, reps=2, days=60)
    park = r.stage("P", "Park")
    assert park.time_in_stage_hours.p50.mean == pytest.approx(240.0, rel=0.011)
    assert park.time_in_stage_hours.p90.mean == pytest.approx(240.0, rel=0.011)
    t = park.timeouts
    assert t.parked.mean > 0 and t.in_delay.mean == 0
    to_next = park.outcomes[0].count.mean
    assert to_next / (to_next + t.parked.mean) == pytest.approx(0.3, abs=0.05)


def test_queues_shed_the_entries_of_timed_out_deals() -> None:
    """Under key-first, entries of low-priority deals that left by their SLA would never
    reach the head while key work keeps coming; the queue must not keep them all."""
    text = """
account A { queue key-first }
team T size 1
source Low 20/hour -> P.Low
source High 0.9/hour -> P.High
pipeline P {
  stage Low { owner T
    work 1h
    sla 1h -> lost "late"
    -> won }
  stage High key { owner T
    work 1h
    -> won }
}
"""
    net = compile_network(model(text))
    eng = Engine(net, SimConfig(reps=1, days=30, warmup_days=0), 0)
    seen: list[int] = []
    done = eng._done

    def spy(d):  # type: ignore[no-untyped-def]
        seen.append(len(eng.teams[0].q))
        done(d)

    eng._on_done = (spy,)
    stats = eng.run()
    assert stats.stages[0].timeouts[0] > 10_000, "most low deals time out in the queue"
    assert max(seen) < 2 * 1024 + 200
