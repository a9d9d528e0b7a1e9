"""The SLA's share where its exact lower bound is 0: «—» with a note saying why, in analyze,
the report's SLA table and the workshop, never «≥0%» (true of every share, so it told the
client nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PIPELINES
from funnelc import load_file, load_text
from funnelc.analysis.exact import (
    SLA_UNKNOWN_PATIENCE,
    SLA_UNKNOWN_SUM,
    SLA_UNKNOWN_WAIT,
    analyze_account,
)
from funnelc.analysis.exact_text import sla_share, sla_unknown_note, stage_cells
from funnelc.numfmt import DASH, pct


def _exact(path: Path):  # type: ignore[no-untyped-def]
    loaded = load_file(path)
    assert loaded.model is not None and loaded.ok
    return analyze_account(loaded.model)


@pytest.mark.parametrize("name", sorted(p.name for p in PIPELINES.glob("*.funnel")))
def test_no_shipped_example_prints_a_zero_lower_bound(name: str) -> None:
    """Every stage with an SLA prints a share, or «—» and the note saying why; before,
    cottages' «Договорился о встрече» (an SLA of 63 working hours, delays of 5 days at most,
    behind an overloaded team) and saleschef's stages printed «≥0%»."""
    for p in _exact(PIPELINES / name).pipelines:
        for s in p.stages:
            cell = stage_cells(s, pct)[9]
            assert cell != "≥0%", (s.pipeline, s.stage)
            if s.sla_ends is not None and cell == DASH:
                assert s.sla_ends_unknown and sla_unknown_note(s) in s.notes


def test_the_stage_behind_an_unknown_wait_says_why() -> None:
    s = _exact(PIPELINES / "cottages.funnel").stage("Продажи", "Договорился о встрече")
    assert s.sla_cut_is_bound and s.sla_ends == 0.0
    assert s.sla_ends_unknown and sla_unknown_note(s) == SLA_UNKNOWN_WAIT
    assert stage_cells(s, pct)[9] == DASH
    # A positive bound is still printed as one.
    s = _exact(PIPELINES / "cottages.funnel").stage("Продажи", "Первичный контакт")
    assert not s.sla_ends_unknown and stage_cells(s, pct)[9] == "≥0.448%"
    assert sla_share(None, False, pct) == DASH and sla_share(0.0, False, pct) == "0%"


def test_random_work_and_delay_nobody_queues_for() -> None:
    """Nobody's work (no owner team) and a delay, both random and each shorter than the SLA:
    the bound takes each alone, 0; the note says the sum is what is missing."""
    loaded = load_text('source S 5/day -> "P"."A"\npipeline P main {\n  stage "A" {\n'
                       '    work uniform(1h, 2h)\n    sla 30h -> lost "late"\n'
                       '    -> won after uniform(10h, 20h)\n  }\n}\n', "<test>")
    assert loaded.model is not None and loaded.ok, loaded.diagnostics
    s = analyze_account(loaded.model).stage("P", "A")
    assert s.sla_ends_unknown and sla_unknown_note(s) == SLA_UNKNOWN_SUM


def test_a_stay_share_behind_patience_is_not_said_to_end_only_late_deals() -> None:
    """`stay` 50% and `patience` behind a team shared by two stages: the SLA moves the
    staying deals that did not give up first, half the stage, but how many give up is not
    known; the note said «it ends only deals that the wait for the team makes late»."""
    loaded = load_text('team "T" size 2\nsource "S" 20/day -> "P"."A"\npipeline "P" main {\n'
                       '  stage "A" {\n    owner "T"\n    work 10m\n'
                       '    patience exp(2h) -> lost "gone"\n    sla 20h -> lost "late"\n'
                       '    -> "B" 50% after 1h\n    stay 50%\n  }\n'
                       '  stage "B" {\n    owner "T"\n    work 10m\n    -> won\n  }\n}\n',
                       "<test>")
    assert loaded.model is not None and loaded.ok, loaded.diagnostics
    s = analyze_account(loaded.model).stage("P", "A")
    assert s.sla_ends_unknown and sla_unknown_note(s) == SLA_UNKNOWN_PATIENCE
    assert SLA_UNKNOWN_WAIT not in s.notes and stage_cells(s, pct)[9] == DASH


def test_the_workshop_marks_the_dash_with_the_note_in_the_pages_language() -> None:
    pytest.importorskip("starlette", reason="the `serve` extra is not installed")
    from funnelc.serve.live import figures_of

    figures = figures_of(_exact(PIPELINES / "cottages.funnel"), "ru")
    s = next(x for x in figures.stages if x.stage == "Договорился о встрече")
    assert s.said["sla_ends"] == DASH
    assert s.sla_note is not None and s.sla_note.startswith("доля, снятая SLA, не вычислена (—)")
    other = next(x for x in figures.stages if x.stage == "Первичный контакт")
    assert other.said["sla_ends"] == "≥0,448%" and other.sla_note is None
