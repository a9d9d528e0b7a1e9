"""The exact chain's block solver replays one elimination for several right-hand sides
(`markov._factor` + `_substitute`, columns of floats for many labels, floats for the
forward solve's single column). It must give what the elimination that carried every
right-hand side along gave, to the bit and in the same key order (the key order of a
deal's fate is the order of `p_lost` in `analyze --format json`): checked against that
elimination, kept here as the reference, on random blocks and vectors with zeros,
signed zeros, subnormals and infinities; and `funnelc analyze --format json` on the
benchmark account's shape (hub blocks, copies) against the same reference."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import reps
from funnelc.analysis import markov
from funnelc.cli import cli

Vector = dict[Hashable, float]


def _reference(rows: list[dict[int, float]], rhs: list[Vector]) -> list[Vector] | None:
    """The solver before the factor was kept apart (commit 7d1c888), verbatim but for
    names: elimination carrying the right-hand sides, then back substitution."""
    def axpy(dst: Vector, f: float, src: Vector) -> None:
        for k, v in src.items():
            if v:
                dst[k] = dst.get(k, 0.0) + f * v

    size = len(rows)
    rows = [dict(r) for r in rows]
    rhs = [dict(b) for b in rhs]
    cols: list[set[int]] = [set() for _ in range(size)]
    for r, row in enumerate(rows):
        for j in row:
            cols[j].add(r)
    for k in range(size):
        pivot = rows[k].get(k, 0.0)
        if not pivot > 1e-12:
            return None
        upper = [(j, v) for j, v in rows[k].items() if j > k]
        for r in cols[k]:
            if r <= k:
                continue
            row = rows[r]
            a = row.pop(k, 0.0)
            if not a:
                continue
            f = a / pivot
            for j, v in upper:
                if j in row:
                    row[j] -= f * v
                else:
                    row[j] = -f * v
                    cols[j].add(r)
            axpy(rhs[r], -f, rhs[k])
    x: list[Vector] = [{} for _ in range(size)]
    for k in range(size - 1, -1, -1):
        acc = dict(rhs[k])
        for j, v in rows[k].items():
            if j > k:
                axpy(acc, -v, x[j])
        pivot = rows[k][k]
        x[k] = {lab: val / pivot for lab, val in acc.items() if val}
    return x


def _bits(vectors: list[Vector] | None) -> object:
    if vectors is None:
        return None
    return [[(k, repr(v)) for k, v in vec.items()] for vec in vectors]


_LABELS = ["won", "stuck", ("lost", "price"), ("lost", "late"), ("lost", "no"), "loop"]
_VALUES = st.sampled_from([0.0, -0.0, 0.5, 0.25, 1.0, 3.0, 1e-310, 5e-324, math.inf, 0.045])
_WEIGHTS = st.sampled_from([0.0, 0.1, 0.2, 0.05, 0.8, 0.3, 1e-300, 0.005])


@st.composite
def blocks(draw: st.DrawFn) -> tuple[list[dict[int, float]], list[Vector]]:
    size = draw(st.integers(1, 10))
    hub = draw(st.booleans())
    rows = []
    for i in range(size):
        row = {i: 1.0 - draw(st.sampled_from([0.0, 0.0, 0.005, 0.5]))}
        for j in draw(st.lists(st.integers(0, size - 1), max_size=3)):
            if j != i:
                row[j] = row.get(j, 0.0) - draw(_WEIGHTS)
        if hub and i:
            row[0] = row.get(0, 0.0) - draw(_WEIGHTS)  # a reopen into the first stage
        rows.append(row)
    rhs = [dict(draw(st.lists(st.tuples(st.sampled_from(_LABELS), _VALUES), max_size=4)))
           for _ in range(size)]
    return rows, rhs


# Hypothesis' default is 100 examples; without CI four times that (a block's edge cases:
# zeros, signed zeros, subnormals, infinities), under CI the default (`reps`).
@settings(max_examples=reps(400, 100), deadline=None)
@given(blocks())
def test_replayed_factor_is_the_carried_elimination(block: tuple[list[dict[int, float]],
                                                                 list[Vector]]) -> None:
    rows, rhs = block
    assert _bits(markov._solve_block(rows, rhs)) == _bits(_reference(rows, rhs))


@settings(max_examples=reps(200, 50), deadline=None)
@given(blocks())
def test_scalar_replay_is_the_one_column_elimination(block: tuple[list[dict[int, float]],
                                                                  list[Vector]]) -> None:
    rows, rhs = block
    column = [vec.get("won", 0.0) for vec in rhs]
    fac = markov._block_factor(rows)
    expected = _reference(rows, [{0: v} for v in column])
    if fac is None:
        assert expected is None
        return
    assert expected is not None
    got = markov._substitute_scalar(fac, column)
    assert [repr(v) for v in got] == [repr(vec.get(0, 0.0)) for vec in expected]


def test_analyze_json_of_hub_blocks_with_copies(tmp_path, monkeypatch) -> None:
    """Pipelines whose every stage reopens into the second one (one block each, solved
    in the natural order), a nurture pipeline copying back: `analyze --format json`
    with the kept factors equals the one with the reference solver in their place."""
    lines = [f'source "S{p}" {p + 3}/day -> "P{p}"."s0" value 100k' for p in range(3)]
    for p in range(3):
        lines.append(f'pipeline "P{p}" {{')
        for s in range(9):
            nxt = f"s{s + 1}"
            if s == 8:
                lines += [f"  stage s{s} {{", "    -> won 70%",
                          '    -> lost "price" 30% then copy "N"."n"', "  }"]
            else:
                lines += [f"  stage s{s} {{", "    sla 2d -> lost \"late\"",
                          f"    -> {nxt} 80%", f'    -> lost "r{s % 3}" 15%', "    stay 5%",
                          "  }"]
        lines += ['  reopen "late" 10% -> s1', "}"]
    lines += ['pipeline "N" {', '  stage n {', '    -> won 10% then copy "P0"."s0"',
              '    -> lost "gone" 90%', "  }", "}"]
    funnel = tmp_path / "hubs.funnel"
    funnel.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    fast = runner.invoke(cli, ["analyze", str(funnel), "--format", "json"])
    assert fast.exit_code == 0, fast.output

    def reference_factor(rows: list[dict[int, float]], reorder: bool = True) -> object:
        return _ReferenceFactor(rows)

    class _ReferenceFactor:
        def __init__(self, rows: list[dict[int, float]]) -> None:
            self.rows = rows

    def substitute(fac: object, rhs: list[Vector]) -> list[Vector]:
        assert isinstance(fac, _ReferenceFactor)
        solved = _reference(fac.rows, rhs)
        assert solved is not None
        return solved

    def substitute_scalar(fac: object, column: list[float]) -> list[float]:
        return [vec.get(0, 0.0) for vec in substitute(fac, [{0: v} for v in column])]

    monkeypatch.setattr(markov, "_block_factor", reference_factor)
    monkeypatch.setattr(markov, "_substitute", substitute)
    monkeypatch.setattr(markov, "_substitute_scalar", substitute_scalar)
    slow = runner.invoke(cli, ["analyze", str(funnel), "--format", "json"])
    assert slow.exit_code == 0, slow.output
    assert json.loads(fast.output)["pipelines"][0]["stages"][1]["p_lost"]
    assert fast.output == slow.output
