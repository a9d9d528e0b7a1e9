"""An account whose pipelines are copies of one template (a pipeline per region or
product line) asks `analyze` the same questions once per copy. The exact maths answers
each distinct question once per call — a fate block with the same factor and right-hand
side, a stage's SLA lower bound with the same calendar length, work and routes — and
every figure stays what the pipeline gives analysed on its own, to the bit (copies that
differ in a lost reason, a delay or a share get answers of their own)."""

from __future__ import annotations

from typing import Any

import pytest

from funnelc import load_text
from funnelc.analysis import exact, markov
from funnelc.analysis.exact import analyze_account
from funnelc.model import FunnelFile

STAGES = 6


def _pipeline(name: str, reason: str = "Дорого", after: str = "exp(2h)",
              share: int = 80) -> list[str]:
    """A pipeline of `STAGES` stages worked by team T with triangular work (no closed
    form: the SLA figures are the lower bound), an SLA per stage that loses the deal as
    «late», and a reopen of «late» into the second stage (one block of the rest)."""
    lines = [f'pipeline "{name}" {{']
    for s in range(STAGES):
        lines += [f'  stage "s{s}" {{', '    owner "T"', "    work triangular(5m, 15m, 40m)",
                  f'    sla {2 + s}d -> lost "late"']
        if s < STAGES - 1:
            lines += [f'    -> "s{s + 1}" {share}% after {after}',
                      f'    -> lost "{reason}" {95 - share}%', "    stay 5%"]
        else:
            lines += ["    -> won 85%", f'    -> lost "{reason}" 15%']
        lines.append("  }")
    return [*lines, '  reopen "late" 10% -> "s1"', "}"]


def _account(pipelines: list[tuple[str, dict[str, Any]]]) -> FunnelFile:
    text = ['account "A" {', "  hours mon-fri 09:00-18:00", "}", 'team "T" size 3']
    text += [f'source "S{i}" {3 + i}/day -> "{name}"."s0"'
             for i, (name, _) in enumerate(pipelines)]
    for name, options in pipelines:
        text += _pipeline(name, **options)
    loaded = load_text("\n".join(text) + "\n", "<test>")
    assert loaded.ok and loaded.model is not None, [d.message for d in loaded.errors]
    return loaded.model


VARIANTS: list[dict[str, Any]] = [
    {}, {"reason": "Нецелевой"}, {"after": "exp(3h)"}, {"share": 70}, {},
    {"reason": "Нецелевой"}]


def _figures(stage: Any) -> tuple[object, ...]:
    """A stage's figures that the repeated questions feed, p_lost's key order included."""
    return (stage.p_win, stage.p_lost, list(stage.p_lost), stage.p_stuck, stage.p_loop,
            stage.sla_cut, stage.sla_cut_is_bound, stage.mean_time_lower_hours,
            stage.mean_time_hours, stage.visits_per_lead)


def test_copies_give_what_each_pipeline_gives_alone() -> None:
    together = analyze_account(_account([(f"P{i}", v) for i, v in enumerate(VARIANTS)]))
    for i, variant in enumerate(VARIANTS):
        alone = analyze_account(_account([(f"P{i}", variant)]))
        got = [_figures(s) for s in together.pipelines[i].stages]
        assert got == [_figures(s) for s in alone.pipelines[0].stages], variant
    # The variants really differ where they were made to.
    lower = [[s.mean_time_lower_hours for s in p.stages] for p in together.pipelines]
    assert lower[0] == lower[1] == lower[4] and lower[2] != lower[0] != lower[3]
    loss = [p.stages[1].p_lost for p in together.pipelines]
    assert loss[0] != loss[1] and loss[0] == loss[4] and loss[1] == loss[5]


def _count(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls = [0]
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_fate_block_is_substituted_once_per_distinct_right_hand_side(
        monkeypatch: pytest.MonkeyPatch) -> None:
    funnel = _account([(f"P{i}", v) for i, v in enumerate(VARIANTS)])
    calls = _count(monkeypatch, markov, "_substitute")
    markov.account_chain(funnel)
    # Blocks s1..s5 of six pipelines: the same rows but for the share variant; the
    # right-hand sides differ by the lost reason and the share, not by the delay.
    assert calls[0] == 3


def test_the_sla_lower_bound_is_worked_out_once_per_distinct_stage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    funnel = _account([(f"P{i}", v) for i, v in enumerate(VARIANTS)])
    calls = _count(monkeypatch, exact, "_least")
    analyze_account(funnel)
    # Per stage index: one answer for the template, one for the other delay and one for
    # the other share (the last stage has neither); the lost reason is not read.
    assert calls[0] == 3 * (STAGES - 1) + 1
