"""The exact chain's speed-ups for the 50 × 40 benchmark account's shape (each pipeline one
block that reopens into its second stage) keep the figures:

* hub blocks from 17 stages are eliminated hubs last; the figures agree with the given
  order's elimination (the replay tests' reference) within 1e-12 relative, with the same
  labels (smaller blocks keep the given order and its bits: tests/test_markov_replay.py);
* blocks with the same rows share one elimination within a call, and `analyze --format
  json` is the same text as when every block is eliminated on its own;
* `build_flows` reads home references from a per-pipeline key table: the routes are
  `stage_routes` with `FunnelFile.resolve`, route for route, on every funnel we ship."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, PIPELINES, reps
from funnelc import load_text
from funnelc.analysis import markov
from funnelc.cli import cli
from funnelc.routing import build_flows, stage_routes
from test_markov_replay import _reference

Vector = dict[Hashable, float]

_LABELS: list[Hashable] = ["won", "stuck", ("lost", "price"), ("lost", "late"), ("lost", "no")]


@st.composite
def hub_blocks(draw: st.DrawFn) -> tuple[list[dict[int, float]], list[Vector]]:
    """A pipeline's block as the benchmark account makes it: a chain of stages, each
    moving on, some of them reworking one back, and most reopening into stage 0 (the hub);
    the right-hand sides are a deal's fates (a share lost or won at each stage)."""
    size = draw(st.integers(17, 45))
    rows: list[dict[int, float]] = []
    for i in range(size):
        row = {i: 1.0}
        if i + 1 < size:
            row[i + 1] = -draw(st.sampled_from([0.8, 0.7, 0.85, 0.5]))
        if i > 1 and draw(st.booleans()):
            row[i - 1] = row.get(i - 1, 0.0) - draw(st.sampled_from([0.05, 0.1]))
        if i and draw(st.integers(0, 9)):
            row[0] = row.get(0, 0.0) - draw(st.sampled_from([0.005, 0.0045, 0.02]))
        rows.append(row)
    rhs = [dict(draw(st.lists(st.tuples(st.sampled_from(_LABELS),
                                        st.sampled_from([0.15, 0.045, 0.1, 0.85])),
                              min_size=1, max_size=3)))
           for _ in range(size)]
    return rows, rhs


@settings(max_examples=reps(60, 25), deadline=None)  # fewer under CI (conftest.reps)
@given(hub_blocks())
def test_hub_blocks_hubs_last_agree_with_the_given_order(
        block: tuple[list[dict[int, float]], list[Vector]]) -> None:
    rows, rhs = block
    if markov._elimination_order(rows) is None:  # too few stages reach the hub
        return
    fast = markov._solve_block(rows, rhs)
    slow = _reference(rows, rhs)
    assert fast is not None and slow is not None
    for got, want in zip(fast, slow):
        assert set(got) == set(want)
        for label, value in want.items():
            assert math.isclose(got[label], value, rel_tol=1e-12, abs_tol=1e-300), label


def test_a_38_stage_hub_block_is_eliminated_hubs_last() -> None:
    """The benchmark account's block (stages 2..39 of a pipeline, each reopening into
    stage 2 through its SLA's lost reason) is reordered: in the given order its fill
    grows with the square of its length."""
    size = 38
    rows = [{i: 1.0, **({i + 1: -0.8} if i + 1 < size else {}), **({0: -0.005} if i else {})}
            for i in range(size)]
    assert markov._elimination_order(rows) == [*range(1, size), 0]
    fac = markov._block_factor(rows)
    assert fac is not None
    assert sum(len(step) for step in fac.lower) < 2 * size


def _template_account(pipelines: int, stages: int) -> str:
    """Pipelines made from one template, each reopening a lost reason into its second
    stage (one 2..n block per pipeline, the same rows in each), a nurture pipeline that
    copies won deals back into the first one."""
    out = [f'source "S{p}" {3 + p}/day -> "P{p}"."s0" value 100k' for p in range(pipelines)]
    for p in range(pipelines):
        out.append(f'pipeline "P{p}" {{')
        for s in range(stages):
            if s == stages - 1:
                out += [f"  stage s{s} {{", "    -> won 70%",
                        '    -> lost "price" 30% then copy "N"."n"', "  }"]
            else:
                out += [f"  stage s{s} {{", '    sla 2d -> lost "late"', f"    -> s{s + 1} 80%",
                        f'    -> lost "r{(p + s) % 3}" 15%', "    stay 5%", "  }"]
        out += ['  reopen "late" 10% -> s1', "}"]
    out += ['pipeline "N" {', "  stage n {", '    -> won 10% then copy "P0"."s0"',
            '    -> lost "gone" 90%', "  }", "}"]
    return "\n".join(out) + "\n"


def test_analyze_json_with_shared_blocks_is_every_block_eliminated(tmp_path: Path,
                                                                   monkeypatch) -> None:
    funnel = tmp_path / "template.funnel"
    funnel.write_text(_template_account(4, 24), encoding="utf-8")
    calls: list[int] = []
    real = markov._block_factor

    def counted(rows: list[dict[int, float]], reorder: bool = True) -> object:
        calls.append(len(rows))
        return real(rows, reorder)

    monkeypatch.setattr(markov, "_block_factor", counted)
    runner = CliRunner()
    shared = runner.invoke(cli, ["analyze", str(funnel), "--format", "json"])
    assert shared.exit_code == 0, shared.output
    shared_calls = len(calls)

    def every_block(rows: list[dict[int, float]], cache: object) -> object:
        return counted(rows)

    calls.clear()
    monkeypatch.setattr(markov, "_cached_factor", every_block)
    alone = runner.invoke(cli, ["analyze", str(funnel), "--format", "json"])
    assert alone.exit_code == 0, alone.output
    # 4 identical 22-stage blocks in each direction: one elimination each with the cache.
    assert shared_calls < len(calls)
    assert shared.output == alone.output
    stages = json.loads(shared.output)["pipelines"][1]["stages"]
    assert len(stages) == 24 and stages[1]["p_lost"]


def _shipped_funnels() -> list[Path]:
    return sorted([*PIPELINES.glob("*.funnel"), *DATA.rglob("*.funnel")])


def test_build_flows_keys_are_resolve_keys() -> None:
    """Every shipped funnel, and one with a stage name in two pipelines, qualified
    references and a copy: `build_flows`'s routes are `stage_routes` with `resolve`."""
    texts = [p.read_text(encoding="utf-8") for p in _shipped_funnels()]
    assert len(texts) >= 10
    texts.append('source "S" 5/day -> "A"."a"\n'
                 'pipeline "A" main {\n  stage a {\n    -> b 60%\n    -> "B"."a" 40%\n  }\n'
                 '  stage b {\n    -> won 50% then copy "B"."a"\n    -> lost "no" 50%\n  }\n}\n'
                 'pipeline "B" {\n  stage a {\n    -> "A"."b" 30%\n    -> won 70%\n  }\n}\n')
    for text in texts:
        loaded = load_text(text, "f.funnel")
        assert loaded.model is not None
        f = loaded.model
        flows = build_flows(f)
        for flow in flows:
            assert flow.routes == stage_routes(f, flow.pipeline, flow.stage), flow.key
    assert any(r.stage == ("B", "a") for r in flows.stages[("A", "a")].routes)
    assert flows.stages[("B", "a")].routes[0].stage == ("A", "b")
