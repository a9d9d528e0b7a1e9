"""A simulation read back as a history in memory (`sim.runner.simulate_records`,
`history.load.history_of_records`), as the back-test reads its runs, gives the events
`load_history` reads from the same run's `--records` CSV, to the last value: the
back-test no longer writes each run to a file and parses it again."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from polars.testing import assert_frame_equal

from conftest import PIPELINES
from funnelc.api import load_file
from funnelc.history import read_records
from funnelc.history.load import history_of_records, load_history
from funnelc.sim import RECORD_COLUMNS, SimConfig, simulate
from funnelc.sim.runner import simulate_records
from funnelc.sim.warm import OpenDeal


def test_the_record_columns_are_the_simulators() -> None:
    assert read_records.RECORD_COLUMNS == RECORD_COLUMNS
    assert ",".join(RECORD_COLUMNS).startswith(read_records.RECORD_HEADER)


def test_records_in_memory_read_as_their_csv(tmp_path: Path) -> None:
    model = load_file(PIPELINES / "saleschef.funnel").model
    assert model is not None
    start = date(2024, 3, 1)
    stage = model.pipelines[0].stages[1]
    # Two runs: a warm start (open deals, entries before day 1) and several replications
    # (deal ids repeat across them).
    for config in (
            SimConfig(days=60, warmup_days=0, reps=1, seed=5, jobs=1, start=start,
                      open_deals=(OpenDeal(model.pipelines[0].name.value, stage.name.value,
                                           entered_hours=-30.5, value=120000.0),)),
            SimConfig(days=30, warmup_days=0, reps=3, seed=9, jobs=1, start=start)):
        csv = tmp_path / "records.csv"
        simulate(model, replace(config, records=str(csv)))
        rows = simulate_records(model, config)
        sources = {(model.pipelines[0].name.value, model.pipelines[0].stages[0].name.value):
                   "Сайт"}
        from_file = load_history([str(csv)], "UTC", start, sources)
        in_memory = history_of_records(rows, start, str(csv), sources)
        assert from_file.events.height > 1000
        assert_frame_equal(in_memory.events, from_file.events)
        assert in_memory.formats == from_file.formats == {"records"}
