"""Exact flows through the account: the absorbing chain of each deal and the traffic
equations of all deals, copies included.

Two readings of the same routes (from `funnelc.routing`, never re-derived here):

* **A deal's fate** is an absorbing Markov chain over its own pipeline: outcomes move it
  between stages, `reopen` turns part of a lost reason back into a stage, and it ends
  `won`, `lost "reason"`, stuck (a `stay` without SLA, or a stage with no way out), or
  circling forever in a loop nobody leaves. `then copy` creates a *new* deal, so it does
  not change this deal's fate: win probabilities are per deal, as a CRM shows them.
* **The account's traffic** is a branching flow: copies add deals to other pipelines, so
  arrival rates solve λ = γ + Wᵀλ where W holds moves, reopens *and* copy edges. With
  copies W is no longer substochastic, and a copy loop can make the flow grow without end;
  that shows up as a non-positive pivot and is reported as infinite, never as a number.

Both are linear systems solved per strongly connected component in topological order:
a funnel is mostly a chain with a few rework loops, so components are one or a handful of
stages and the whole account (50 pipelines × 40 stages) solves in milliseconds. Inside a
component, I − W is a Z-matrix; Gaussian elimination without pivoting keeps every pivot
positive exactly when the component's spectral radius is below 1 (it is a non-singular
M-matrix), so the pivot sign is also the test for "deals can leave this loop".

Pure Python and cheap to import: lint (seed 002 funnel shape) runs on the `check` path.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from .. import model as m
from ..gcpause import gc_paused
from ..routing import Flows, Route, StageKey, build_flows, sales_pipelines

__all__ = [
    "Absorption", "AccountChain", "PipelineChain", "StageChain", "HOURS_PER_MONTH",
    "account_chain", "expected_visits", "win_probabilities", "source_rate_per_hour",
    "profile_factor", "solve_forward", "solve_backward",
]

HOURS_PER_MONTH = 730.0
"""The language's month (`300/month`), also used for per-month outputs."""

_PIVOT_TOL = 1e-12
WON = "won"
STUCK = "stuck"
LOOP = "loop"

_WINS = object()
"""Label of the wins-with-copies column when it is solved with the fates (account_chain)."""

Vector = dict[Hashable, float]
Edges = list[list[tuple[int, float]]]


# ----------------------------------------------------------------------- sources and months


def profile_factor(source: m.Source, month: str | None) -> float:
    """Multiplier of a source's rate in `month` (months not listed: 100 %), or the mean of
    the twelve multipliers when `month` is None (each month weighs the same 730 h)."""
    shares = {ms.month: ms.share.value for ms in source.profile}
    if month is not None:
        return shares.get(month, 1.0)
    return sum(shares.get(mo, 1.0) for mo in m.MONTHS) / len(m.MONTHS)


def source_rate_per_hour(source: m.Source, month: str | None = None) -> float:
    return source.rate.per_hour * profile_factor(source, month)


# ----------------------------------------------------------------------- linear solvers


def _tarjan(n: int, out: Edges) -> list[list[int]]:
    """Strongly connected components, sinks first (Tarjan's order), without recursion."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    comps: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, i = work[-1]
            succ = out[v]
            if i < len(succ):
                work[-1] = (v, i + 1)
                w = succ[i][0]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                comp.reverse()
                comps.append(comp)
    return comps


def _axpy(dst: Vector, f: float, src: Mapping[Hashable, float]) -> None:
    for k, v in src.items():
        if v:
            dst[k] = dst.get(k, 0.0) + f * v


def _elimination_order(rows: list[dict[int, float]]) -> list[int] | None:
    """Where hubs exist, an order that eliminates them last (None: keep the given order).

    A stage every other stage of the component points at (the target of a reopen or an
    SLA move all stages share) fills every row it is eliminated from: in the given order
    one pipeline of n such stages costs n² (issue 11: 20 000 stages did not finish in
    300 s). Eliminating the nodes of few entries first and the hubs last keeps the fill
    to what the chain itself has. A symmetric permutation keeps I − W an M-matrix, so the
    pivot test still means what the module docstring says.

    Components of fewer than 17 stages (a hub needs degree > 16) and ones without a hub
    keep their order, so their figures stay bit-for-bit as before; that is every funnel of
    pipelines/, tests/data and the docs. Hub blocks of 17 to 63 stages (each pipeline of
    the 50 × 40 benchmark account, which reopens into its second stage) were eliminated in
    the given order until the ratio targets of benchmarks/bench_analysis.py were missed:
    their n² fill was half of `account_chain`. Another order rounds differently: on that
    account the figures moved by at most 1.8e-15 relative (8 ulp) and a deal's `p_lost`
    lists its reasons in the order the new elimination meets them."""
    size = len(rows)
    if size < 17:
        return None
    degree = [len(r) for r in rows]
    for row in rows:
        for j in row:
            degree[j] += 1
    if max(degree) <= 16:
        return None
    return sorted(range(size), key=lambda i: (degree[i] > 16, i))


class _Factor:
    """The elimination of one component's matrix, kept apart from any right-hand side
    so that solves of the same block replay it (fate and wins, arrivals and visits
    read the same block wherever copies do not touch it): per step k the multipliers
    (row, a_rk / pivot_k), the rows of U (their entries right of the diagonal, in the
    order the back substitution adds them) and the pivots. Replaying gives every right-
    hand side the very operations, in the very order, of an elimination that carries it
    along (each row is updated by the steps k in ascending order, from rows already
    final), so the figures are the same to the bit."""

    __slots__ = ("lower", "lower_rows", "upper", "pivots", "order", "pos")

    def __init__(self, lower: list[list[tuple[int, float]]],
                 upper: list[list[tuple[int, float]]], pivots: list[float],
                 order: list[int] | None = None, pos: list[int] | None = None) -> None:
        self.lower = lower
        """Per step k: (row r, −a_rk / pivot_k), the multiplier negated as every right-
        hand side uses it (b_r + (−f)·b_k, what `_axpy(b_r, −f, b_k)` computed)."""
        self.lower_rows = [[r for r, _ in mult] for mult in lower]
        self.upper = upper
        self.pivots = pivots
        self.order = order
        """The elimination order when hubs go last (`_elimination_order`), else None."""
        self.pos = pos


def _factor(rows: list[dict[int, float]]) -> _Factor | None:
    """Gaussian elimination of a component's rows without pivoting; None when a pivot is
    not positive (see `_solve_block`)."""
    size = len(rows)
    rows = [dict(r) for r in rows]
    # Which rows below the diagonal hold each column, kept up to date under fill-in, so
    # a step touches only the rows it changes (a copy ring makes one component of
    # thousands of stages). Rows above it keep their entries (U) and are never visited.
    cols: list[set[int]] = [set() for _ in range(size)]
    for r, row in enumerate(rows):
        for j in row:
            if j < r:
                cols[j].add(r)
    lower: list[list[tuple[int, float]]] = []
    uppers: list[list[tuple[int, float]]] = []
    pivots: list[float] = []
    for k in range(size):
        prow = rows[k]
        pivot = prow.get(k, 0.0)
        if not pivot > _PIVOT_TOL:
            return None
        upper = [(j, v) for j, v in prow.items() if j > k]
        mult: list[tuple[int, float]] = []
        if len(upper) == 1:  # a chain's step (one way on): the same updates, unrolled
            ((j1, v1),) = upper
            below_j1 = cols[j1]
            for r in cols[k]:
                row = rows[r]
                a = row.pop(k, 0.0)
                if not a:
                    continue
                f = a / pivot
                if j1 in row:
                    row[j1] -= f * v1
                else:
                    row[j1] = -f * v1
                    if j1 < r:
                        below_j1.add(r)
                mult.append((r, -f))
        else:
            for r in cols[k]:
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
                        if j < r:
                            cols[j].add(r)
                mult.append((r, -f))
        lower.append(mult)
        uppers.append(upper)  # row k is final once step k starts: U's row k
        pivots.append(pivot)
    return _Factor(lower, uppers, pivots)


def _block_factor(rows: list[dict[int, float]], reorder: bool = True) -> _Factor | None:
    """`_factor` in the order `_elimination_order` picks (hubs last) when it picks one."""
    order = _elimination_order(rows) if reorder else None
    if order is None:
        return _factor(rows)
    pos = [0] * len(rows)
    for new_i, old_i in enumerate(order):
        pos[old_i] = new_i
    fac = _factor([{pos[j]: v for j, v in rows[i].items()} for i in order])
    if fac is not None:
        fac.order, fac.pos = order, pos
    return fac


def _substitute(fac: _Factor, rhs: list[Vector]) -> list[Vector]:
    """x with A x = b for the factored block, b and x vectors of labelled columns."""
    if fac.order is not None:
        pos = fac.pos
        assert pos is not None
        # Hubs last leave L a row or two: the dicts' own loop is cheaper there than the
        # columns' label bookkeeping (same figures and key order, see _substitute_columns).
        solved = _substitute_in_order(fac, [rhs[i] for i in fac.order], columns=False)
        return [solved[p] for p in pos]
    return _substitute_in_order(fac, rhs)


def _substitute_in_order(fac: _Factor, rhs: list[Vector], columns: bool = True
                         ) -> list[Vector]:
    if columns:
        labels: dict[Hashable, int] = {}
        for vec in rhs:
            for lab in vec:
                if lab not in labels:
                    labels[lab] = len(labels)
        if len(labels) >= 3:
            return _substitute_columns(fac, rhs, labels)
    b = [dict(v) for v in rhs]
    for k, mult in enumerate(fac.lower):
        if not mult:
            continue
        items = [(lab, v) for lab, v in b[k].items() if v]
        if not items:
            continue
        for r, nf in mult:
            dst = b[r]
            for lab, v in items:
                dst[lab] = dst.get(lab, 0.0) + nf * v
    size = len(b)
    x: list[Vector] = [{} for _ in range(size)]
    pivots = fac.pivots
    for k in range(size - 1, -1, -1):
        acc = b[k]
        for j, v in fac.upper[k]:
            xj = x[j]
            if xj:
                nv = -v
                for lab, val in xj.items():
                    if val:
                        acc[lab] = acc.get(lab, 0.0) + nv * val
        pivot = pivots[k]
        x[k] = {lab: val / pivot for lab, val in acc.items() if val}
    return x


def _substitute_columns(fac: _Factor, rhs: list[Vector], labels: dict[Hashable, int]
                        ) -> list[Vector]:
    """`_substitute_in_order` with each label's column in a list of floats: a deal's fate
    has a handful of labels (won, stuck, each lost reason) and the dicts' lookups were
    most of the fate solve. Each value gets the dict version's operations in the same
    order (a missing entry is the 0.0 `dict.get` gives), and each row's labels keep the
    order in which that version would have inserted them (a bit set per row says which it
    holds), so the vectors come out equal to the bit and in the same key order."""
    size = len(rhs)
    names = list(labels)
    cols = [[0.0] * size for _ in names]
    orders: list[list[int]] = []
    masks: list[int] = []
    for r, vec in enumerate(rhs):
        ids: list[int] = []
        mask = 0
        for lab, val in vec.items():
            i = labels[lab]
            cols[i][r] = val
            ids.append(i)
            mask |= 1 << i
        orders.append(ids)
        masks.append(mask)
    # A row only ever gains labels of the rows above it (the multipliers of step k reach
    # rows below k), so once it holds every label the rows above it started with, it
    # cannot gain any: it leaves `missing` and is no longer checked.
    reach: list[int] = []
    above = 0
    for mask in masks:
        reach.append(mask | above)
        above |= mask
    missing = {r for r in range(size) if masks[r] != reach[r]}
    lower_rows = fac.lower_rows
    for k, mult in enumerate(fac.lower):
        if not mult:
            continue
        nonzero = [i for i in orders[k] if cols[i][k]]
        if not nonzero:
            continue
        if missing:
            nz_mask = 0
            for i in nonzero:
                nz_mask |= 1 << i
            for r in missing.intersection(lower_rows[k]):
                new = nz_mask & ~masks[r]
                if new:
                    masks[r] |= new
                    orders[r].extend(i for i in nonzero if new >> i & 1)
                    if masks[r] == reach[r]:
                        missing.discard(r)
        for i in nonzero:
            col = cols[i]
            v = col[k]
            for r, nf in mult:
                col[r] = col[r] + nf * v
    # Back substitution, column by column too: x_k's labels are b_k's, then those the
    # solved rows of U's row k bring (in their own order), and only the nonzero stay.
    solved: list[list[int]] = [[] for _ in range(size)]
    pivots = fac.pivots
    for k in range(size - 1, -1, -1):
        order = orders[k]
        mask = masks[k]
        for j, v in fac.upper[k]:
            ids = solved[j]
            if not ids:
                continue
            nv = -v
            for i in ids:
                col = cols[i]
                val = col[j]
                if val:
                    if not mask >> i & 1:
                        mask |= 1 << i
                        order.append(i)
                    col[k] = col[k] + nv * val
        pivot = pivots[k]
        ids = solved[k]
        for i in order:
            col = cols[i]
            val = col[k]
            if val:
                col[k] = val / pivot
                ids.append(i)
    return [{names[i]: cols[i][k] for i in solved[k]} for k in range(size)]


def _substitute_scalar(fac: _Factor, rhs: list[float]) -> list[float]:
    """`_substitute` for one column kept in every row (`{0: b_i}` → b_i; a solved value
    0 stands for the column missing from the solution, which `vec.get(0, 0.0)` reads as
    0 too): the same operations on floats instead of one-entry dicts."""
    if fac.order is not None:
        pos = fac.pos
        assert pos is not None
        solved = _scalar_in_order(fac, [rhs[i] for i in fac.order])
        return [solved[p] for p in pos]
    return _scalar_in_order(fac, list(rhs))


def _scalar_in_order(fac: _Factor, b: list[float]) -> list[float]:
    """`_substitute_scalar` in the elimination's order, on `b` in place (a fresh list)."""
    for k, mult in enumerate(fac.lower):
        v = b[k]
        if not v:
            continue
        for r, nf in mult:
            b[r] = b[r] + nf * v
    size = len(b)
    x = [0.0] * size
    pivots = fac.pivots
    for k in range(size - 1, -1, -1):
        acc = b[k]
        for j, v in fac.upper[k]:
            xj = x[j]
            if xj:
                acc = acc + (-v) * xj
        x[k] = acc / pivots[k] if acc else 0.0
    return x


_Factors = dict[tuple[tuple[tuple[int, float], ...], ...], "_Factor | None"]
"""Factors of the blocks one `account_chain` call has eliminated, by the rows they were
made from (entry for entry and in the same order). A block whose rows are the same is
replayed instead of eliminated again: the same component in the other solve of the same
direction (where copies leave it alone), and every pipeline of an account built from one
template (a consultant's copies of a pipeline per region or product line: 50 blocks of
the benchmark account, one elimination). The factor is a function of the rows alone, so
the figures are the same to the bit."""

_NOT_CACHED = object()


def _cached_factor(rows: list[dict[int, float]], cache: _Factors | None) -> _Factor | None:
    if cache is None:
        return _block_factor(rows)
    signature = tuple([tuple(r.items()) for r in rows])
    hit = cache.get(signature, _NOT_CACHED)
    if hit is not _NOT_CACHED:
        return hit  # type: ignore[return-value]
    fac = cache[signature] = _block_factor(rows)
    return fac


def _solve_block(rows: list[dict[int, float]], rhs: list[Vector], reorder: bool = True
                 ) -> list[Vector] | None:
    """Solve A x = b for a component, A given as sparse rows (local indices), b and x
    vectors of labelled columns. Returns None when a pivot is not positive: the block's
    spectral radius is ≥ 1 (a loop deals never leave, or copies that multiply)."""
    fac = _block_factor(rows, reorder)
    return None if fac is None else _substitute(fac, rhs)


def solve_backward(n: int, out: Edges, rhs: list[Vector], on_loop: Vector,
                   comps: list[list[int]] | None = None, *,
                   factors: _Factors | None = None) -> list[Vector]:
    """x = W x + r over all nodes: what a deal at each node ends up with (absorption
    probabilities, expected counts). Components are solved sinks first; a component whose
    loop cannot be left gets `on_loop` (e.g. {"loop": 1} or {"won": inf}). `comps`:
    `_tarjan(n, out)` when the caller already has it; `factors`: blocks another solve of
    the same call eliminated, reused where a block's rows are the same.

    A block whose factor and right-hand side are both the same as an earlier block's (the
    pipelines of an account made from one template, with the same lost reasons: of the
    benchmark account's 50 blocks, 5 differ) takes that block's solution, copied, instead
    of substituting again: the same function of the same inputs, so the same to the bit
    and in the same key order."""
    x: list[Vector] = [dict() for _ in range(n)]
    solutions: dict[tuple[object, ...], list[Vector]] = {}
    for comp in comps if comps is not None else _tarjan(n, out):
        if len(comp) == 1:
            # A stage on no loop (most of a funnel): the block is [1] and the solve is
            # x = b, which `_solve_block` returns as {lab: val / 1.0 if val}: the same bits
            # (division by 1 is exact), without its copies and index sets.
            v = comp[0]
            vec = dict(rhs[v])
            looped = False
            for w, p in out[v]:
                if w == v:
                    looped = True
                    break
                if p:
                    _axpy(vec, p, x[w])
            if not looped:
                x[v] = {lab: val for lab, val in vec.items() if val}
                continue
        local = {v: i for i, v in enumerate(comp)}
        rows: list[dict[int, float]] = []
        b: list[Vector] = []
        for v in comp:
            row: dict[int, float] = {local[v]: 1.0}
            vec = dict(rhs[v])
            for w, p in out[v]:
                j = local.get(w)
                if j is not None:
                    row[j] = row.get(j, 0.0) - p
                elif p:
                    _axpy(vec, p, x[w])
            rows.append(row)
            b.append(vec)
        fac = _cached_factor(rows, factors)
        if fac is None:
            solved = [dict(on_loop) for _ in comp]
        else:
            key = (fac, *[tuple(vec.items()) for vec in b])
            seen = solutions.get(key)
            if seen is None:
                solved = solutions[key] = _substitute(fac, b)
            else:
                solved = [dict(vec) for vec in seen]
        for v, vec in zip(comp, solved):
            x[v] = vec
    return x


def _solve_backward_scalar(n: int, out: Edges, rhs: list[float], on_loop: float,
                           comps: list[list[int]], factors: _Factors | None) -> list[float]:
    """`solve_backward` for one label, its vectors as floats (0.0 where the label is
    missing from a vector): the wins along the copy chain. Every value gets the dict
    version's operations in the same order (`_substitute_scalar` replays a block as
    `_substitute` does one column; a missing entry is the 0.0 `dict.get` gives), so
    `solve_backward(...)[v].get(label, 0.0)` is the same float, without a dict per stage."""
    x = [0.0] * n
    for comp in comps:
        if len(comp) == 1:
            v = comp[0]
            acc = rhs[v]
            looped = False
            for w, p in out[v]:
                if w == v:
                    looped = True
                    break
                if p:
                    xw = x[w]
                    if xw:
                        acc = acc + p * xw
            if not looped:
                x[v] = acc if acc else 0.0
                continue
        local = {v: i for i, v in enumerate(comp)}
        rows: list[dict[int, float]] = []
        b: list[float] = []
        for v in comp:
            row: dict[int, float] = {local[v]: 1.0}
            acc = rhs[v]
            for w, p in out[v]:
                j = local.get(w)
                if j is not None:
                    row[j] = row.get(j, 0.0) - p
                elif p:
                    xw = x[w]
                    if xw:
                        acc = acc + p * xw
            rows.append(row)
            b.append(acc)
        fac = _cached_factor(rows, factors)
        solved = [on_loop] * len(comp) if fac is None else _substitute_scalar(fac, b)
        for v, val in zip(comp, solved):
            x[v] = val
    return x


def solve_forward(n: int, out: Edges, gamma: list[float],
                  comps: list[list[int]] | None = None, *,
                  factors: _Factors | None = None) -> list[float]:
    """λ = γ + Wᵀλ: total arrival rate (or expected visits) at each node. Components are
    solved sources first; a loop nobody leaves gets inf where anything flows into it.
    `comps`: `_tarjan(n, out)` when the caller already has it; `factors` as in
    `solve_backward`."""
    if comps is None:
        comps = _tarjan(n, out)
    inflow = list(gamma)
    lam = [0.0] * n
    for comp in reversed(comps):
        if len(comp) == 1:
            v = comp[0]
            succ = out[v]
            if v not in [w for w, _ in succ]:  # on no loop: λ is its inflow (as below)
                val = lam[v] = inflow[v]
                if val != 0.0:
                    for w, p in succ:
                        if p:
                            inflow[w] += val * p
                continue
        local = {v: i for i, v in enumerate(comp)}
        rows: list[dict[int, float]] = [{i: 1.0} for i in range(len(comp))]
        internal = False
        for v in comp:
            for w, p in out[v]:
                j = local.get(w)
                if j is not None:
                    rows[j][local[v]] = rows[j].get(local[v], 0.0) - p
                    internal = True
        if not internal:
            values = [inflow[comp[0]]]
        else:
            fac = _cached_factor(rows, factors)
            if fac is None:
                total_in = sum(inflow[v] for v in comp)
                values = [math.inf if total_in > 0 else 0.0 for _ in comp]
            else:
                values = _substitute_scalar(fac, [inflow[v] for v in comp])
        for v, val in zip(comp, values):
            lam[v] = val
            if val == 0.0:
                continue
            for w, p in out[v]:
                if w not in local and p:
                    inflow[w] += val * p
    return lam


# ----------------------------------------------------------------------- the account graph


@dataclass(frozen=True)
class Absorption:
    """Where a deal at a stage ends up (its own fate; copies are other deals)."""

    p_win: float
    p_lost: dict[str, float]
    """Final loss by reason, after reopens took their share back."""
    p_stuck: float
    """Ends in a stage it never leaves (`stay` without SLA, or no way out)."""
    p_loop: float
    """Circles forever in a loop with no exit."""


@dataclass
class StageChain:
    key: StageKey
    index: int
    visits_per_lead: float
    """Expected visits per lead entering the stage's pipeline (rework and reopens count)."""
    arrivals_per_hour: float
    """λ_i: all deals entering the stage, account-wide (sources, moves, reopens, copies)."""
    absorption: Absorption
    stuck_share: float
    """Share of the stage's entries that stay here forever."""
    won_share: float
    lost_share: dict[str, float]
    """Shares of the stage's entries leaving as won / lost by reason (before reopens)."""
    wins_with_copies: float
    """Expected wins that book revenue along the copy chain from a deal here (what
    `routing.sales_pipelines` says is booked): with `sales` pipelines declared, every win
    in them, a sale handed to production and each repeat order copied back into sales
    included; without, the final wins, a `won` that hands the deal on with `then copy`
    counting through its copy (a sale counts when production wins it). Copies made at lost
    or moving handoffs count too (a lost deal copied into nurture can still be won and
    copied back into sales)."""


@dataclass
class PipelineChain:
    name: str
    entry: dict[str, float]
    """Share of the pipeline's leads entering at each stage (from sources and copies)."""
    entry_assumed: bool
    """True when nothing feeds the pipeline and the first stage is taken as its entry."""
    inflow_per_hour: float
    """Leads entering from outside the pipeline: sources plus copies from other pipelines."""
    absorption: Absorption
    """Per lead entering: P(won), final loss by reason, stuck, looping."""
    won_per_hour: float
    stuck_per_hour: float
    stages: list[StageChain] = field(default_factory=list)


@dataclass
class AccountChain:
    month: str | None
    pipelines: list[PipelineChain]
    stages: dict[StageKey, StageChain]
    flows: Flows
    source_rates: list[tuple[m.Source, StageKey, float]]
    """(source, entry stage, leads per hour in the month asked for)."""


def _absorption(vec: Mapping[Hashable, float]) -> Absorption:
    lost: dict[str, float] = {}
    for k, v in vec.items():
        if k.__class__ is tuple and k[0] == "lost":
            reason = k[1]
            lost[reason] = lost.get(reason, 0.0) + v
    return _make_absorption(vec.get(WON, 0.0), lost, vec.get(STUCK, 0.0), vec.get(LOOP, 0.0))


_NO_REOPENS: dict[str, list[tuple[float, int]]] = {}


class _Graph:
    """The account's stages as numbered nodes with the three edge sets the solvers need."""

    def __init__(self, flows: Flows) -> None:
        self.keys: list[StageKey] = list(flows.stages)
        self.idx = {k: i for i, k in enumerate(self.keys)}
        n = len(self.keys)
        self.deal: Edges = [[] for _ in range(n)]
        """Moves of the deal itself: outcomes, SLA moves, reopens."""
        self.copy: Edges = [[] for _ in range(n)]
        """`then copy` handoffs: a new deal starts at the copy's stage."""
        self.booked = [0.0] * n
        """Share whose win books revenue (`routing.sales_pipelines`): every win of a
        `sales` pipeline when the account declares one (none elsewhere), else a win that
        does not hand the deal on (the end of a copy chain)."""
        self.rhs: list[Vector] = [dict() for _ in range(n)]
        self.stuck_share = [0.0] * n
        self.won_share = [0.0] * n
        self.lost_share: list[dict[str, float]] = [dict() for _ in range(n)]
        # Each pipeline's reopens by lost reason, as (share, target node): read once here
        # instead of a (pipeline, reason) key and the reopen's model nodes per lost route.
        idx = self.idx
        reopens: dict[str, dict[str, list[tuple[float, int]]]] = {}
        for (pipe, reason), targets in flows.reopens.items():
            reopens.setdefault(pipe, {})[reason] = [(ro.share.value, idx[target])
                                                    for ro, target in targets if target in idx]
        sales = sales_pipelines(flows.funnel)
        for i, (key, flow) in enumerate(flows.stages.items()):
            # None: the chain rule (a win books unless it hands the deal on); True: every
            # win books (a sales pipeline); False: none does.
            books = None if sales is None else key[0] in sales
            self._add_stage(reopens.get(key[0], _NO_REOPENS), i, flow.routes, books)

    def _add_stage(self, reopens: Mapping[str, list[tuple[float, int]]], i: int,
                   routes: Iterable[Route], books: bool | None) -> None:
        # Locals rather than attribute lookups (a stage of every pipeline, every check);
        # the shares are summed in the same order as ever.
        idx = self.idx
        deal, copy, rhs, lost_share = self.deal[i], self.copy[i], self.rhs[i], self.lost_share[i]
        total = stuck = won_share = booked = 0.0
        for r in routes:
            share = r.share
            total += share
            if share <= 0.0:
                continue
            kind = r.kind
            copy_to = r.copy_to
            if kind == "stage" and r.stage in idx:
                deal.append((idx[r.stage], share))
            elif kind == "won":
                rhs[WON] = rhs.get(WON, 0.0) + share
                won_share += share
                if books or (books is None and (copy_to is None or copy_to not in idx)):
                    booked += share
            elif kind == "lost":
                reason = r.reason or ""
                lost_share[reason] = lost_share.get(reason, 0.0) + share
                back = 0.0
                for ro_share, target in reopens.get(reason, ()):
                    if ro_share > 0:
                        deal.append((target, share * ro_share))
                        back += ro_share
                final = share * max(0.0, 1.0 - back)
                if final > 0:
                    label = ("lost", reason)
                    rhs[label] = rhs.get(label, 0.0) + final
            else:  # stuck, or a stage reference the checks report
                stuck += share
            if copy_to is not None and copy_to in idx:
                copy.append((idx[copy_to], share))
        residual = 1.0 - total
        if residual > 1e-9:  # no way out at all (a parking stage) or shares short of 100 %
            stuck += residual
        self.stuck_share[i] = stuck
        self.won_share[i] = won_share
        self.booked[i] = booked
        if stuck > 0:
            rhs[STUCK] = stuck

    def merged(self, *sets: Edges) -> Edges:
        """Each node's edges of every set, in the order of the sets."""
        return [[e for edges in per_node for e in edges] for per_node in zip(*sets)]


def _make_absorption(p_win: float, p_lost: dict[str, float], p_stuck: float,
                     p_loop: float) -> Absorption:
    """`Absorption(...)` without the frozen dataclass's four `object.__setattr__` calls
    (one per stage and pipeline of every chain), as `routing.Route` is made."""
    obj = _new_object(Absorption)
    _set_attr(obj, "__dict__", {"p_win": p_win, "p_lost": p_lost, "p_stuck": p_stuck,
                                "p_loop": p_loop})
    return obj


_new_object = object.__new__
_set_attr = object.__setattr__


@gc_paused()
def account_chain(funnel: m.FunnelFile, month: str | None = None,
                  flows: Flows | None = None) -> AccountChain:
    """Everything the absorbing chain and the traffic equations say about the account,
    with sources at their rate in `month` ('jan'..'dec') or their annual mean (None).
    The collector is paused: the solver's dicts of a 2 000-stage account set off a full
    collection over the whole model every other call (0.17 s a call became 0.37 s)."""
    if month is not None and month not in m.MONTHS:
        raise ValueError(f"unknown month {month!r}; expected one of {', '.join(m.MONTHS)}")
    flows = flows if flows is not None else build_flows(funnel)
    g = _Graph(flows)
    n = len(g.keys)

    with_copies = g.merged(g.deal, g.copy)
    comps: list[list[int]] | None = None
    deal_comps: list[list[int]] | None = None
    # Blocks eliminated once per call and replayed by the other solve of the same
    # direction wherever copies leave them alone (every pipeline a copy does not loop
    # through): 0.1 s of 0.15 s was eliminating the same blocks twice.
    backward: _Factors = {}
    forward: _Factors = {}
    if any(g.copy):
        # One Tarjan pass per graph: the wins and the arrivals read the same one.
        deal_comps = _tarjan(n, g.deal)
        comps = _tarjan(n, with_copies)
        fate = solve_backward(n, g.deal, g.rhs, {LOOP: 1.0}, deal_comps, factors=backward)
        wins = _solve_backward_scalar(n, with_copies,
                                      [w if w > 0 else 0.0 for w in g.booked], math.inf,
                                      comps, backward)
    else:
        # Without copies both solves read the same graph: one elimination, the wins as
        # one more right-hand column (columns never mix, so each is what its own solve
        # gives, to the bit), and one Tarjan pass for all four solves. The pipelines of
        # one template share their blocks' factors here too (`_Factors`).
        comps = _tarjan(n, g.deal)
        both = solve_backward(n, g.deal, [{**r, _WINS: w} if w > 0 else r
                                          for r, w in zip(g.rhs, g.booked)],
                              {LOOP: 1.0, _WINS: math.inf}, comps, factors=backward)
        fate = [{k: v for k, v in vec.items() if k is not _WINS} for vec in both]
        wins = [vec.get(_WINS, 0.0) for vec in both]

    source_rates: list[tuple[m.Source, StageKey, float]] = []
    gamma = [0.0] * n
    for src, key in flows.sources:
        rate = source_rate_per_hour(src, month)
        source_rates.append((src, key, rate))
        gamma[g.idx[key]] += rate
    lam = solve_forward(n, with_copies, gamma, comps, factors=forward)

    # Leads entering each pipeline from outside: sources plus copies from elsewhere.
    external = list(gamma)
    for i, succ in enumerate(g.copy):
        for j, p in succ:
            if g.keys[i][0] != g.keys[j][0] and lam[i] > 0:
                external[j] += lam[i] * p
    by_pipe: dict[str, list[int]] = {}
    for i, key in enumerate(g.keys):
        by_pipe.setdefault(key[0], []).append(i)
    entry_gamma = [0.0] * n
    entries: dict[str, tuple[dict[str, float], bool, float]] = {}
    for pipe, nodes in by_pipe.items():
        total = sum(external[i] for i in nodes)
        if total > 0 and math.isfinite(total):
            dist = {g.keys[i][1]: external[i] / total for i in nodes if external[i] > 0}
            assumed = False
        else:
            dist = {g.keys[nodes[0]][1]: 1.0}
            assumed = True
        for i in nodes:
            entry_gamma[i] = dist.get(g.keys[i][1], 0.0)
        entries[pipe] = (dist, assumed, total)
    # Visits per lead entering: copies into the same pipeline are part of its own flow.
    pipe_of = [key[0] for key in g.keys]
    same_pipe = [[e for e in deal + copy if pipe_of[e[0]] == home]
                 for deal, copy, home in zip(g.deal, g.copy, pipe_of)]
    if same_pipe == with_copies:
        same_comps = comps
    elif deal_comps is not None and same_pipe == g.deal:  # no copy within a pipeline
        same_comps = deal_comps
    else:
        same_comps = None
    visits = solve_forward(n, same_pipe, entry_gamma, same_comps, factors=forward)

    stages: dict[StageKey, StageChain] = {}
    flow_stages = flows.stages
    stuck_share, won_share, lost_share = g.stuck_share, g.won_share, g.lost_share
    for i, key in enumerate(g.keys):
        # StageChain(...) without the dataclass __init__'s nine attribute stores (a stage
        # of every pipeline); lost_share is the graph's own dict, dropped on return.
        sc = stages[key] = _new_object(StageChain)
        _set_attr(sc, "__dict__", {
            "key": key, "index": flow_stages[key].index, "visits_per_lead": visits[i],
            "arrivals_per_hour": lam[i], "absorption": _absorption(fate[i]),
            "stuck_share": stuck_share[i], "won_share": won_share[i],
            "lost_share": lost_share[i], "wins_with_copies": wins[i]})
    pipelines: list[PipelineChain] = []
    for pipe, nodes in by_pipe.items():
        dist, assumed, total = entries[pipe]
        agg: Vector = {}
        for i in nodes:
            _axpy(agg, entry_gamma[i], fate[i])
        pipelines.append(PipelineChain(
            name=pipe, entry=dist, entry_assumed=assumed, inflow_per_hour=total,
            absorption=_absorption(agg),
            won_per_hour=_rate_sum(lam[i] * g.won_share[i] for i in nodes),
            stuck_per_hour=_rate_sum(lam[i] * g.stuck_share[i] for i in nodes),
            stages=[stages[g.keys[i]] for i in nodes]))
    return AccountChain(month, pipelines, stages, flows, source_rates)


def _rate_sum(values: Iterable[float]) -> float:
    total = 0.0
    for v in values:
        if v:  # skip 0·inf
            total += v
    return total


# ----------------------------------------------------------------------- narrow entry points


def expected_visits(funnel: m.FunnelFile) -> dict[StageKey, float]:
    """Expected visits of each stage per lead entering its pipeline (exact; lint's
    funnel-shape rule compares these stage by stage)."""
    chain = account_chain(funnel)
    return {k: s.visits_per_lead for k, s in chain.stages.items()}


def mean_value_at(funnel: m.FunnelFile, flows: Flows | None = None) -> dict[StageKey, float]:
    """The mean value of the deals that arrive at each stage, copies followed (a copy
    carries its deal's value): the sources' value flow over their deal flow, both solved
    forward over the same graph, sources with a `value` only, at their annual mean
    rates. A stage no valued source reaches is absent. What an open deal of a pipeline
    no source feeds is worth when its history gives no amount (`forecast`): saleschef's
    «Продажи», fed only by qualification's and telemarketing's copies, had none, and its
    open deals' sales booked 0 ₽."""
    flows = flows if flows is not None else build_flows(funnel)
    g = _Graph(flows)
    n = len(g.keys)
    graph = g.merged(g.deal, g.copy)
    comps = _tarjan(n, graph)
    count = [0.0] * n
    money = [0.0] * n
    for src, key in flows.sources:
        if src.value is None:
            continue
        rate = source_rate_per_hour(src)
        count[g.idx[key]] += rate
        money[g.idx[key]] += rate * src.value.mean
    deals = solve_forward(n, graph, count, comps)
    value = solve_forward(n, graph, money, comps)
    return {g.keys[i]: value[i] / deals[i] for i in range(n)
            if deals[i] > 0 and math.isfinite(deals[i]) and math.isfinite(value[i])}


def win_probabilities(funnel: m.FunnelFile) -> dict[StageKey, float]:
    """P(the deal at this stage is eventually won), reopens included, copies excluded
    (they are other deals): what a CRM's per-stage deal probability means."""
    chain = account_chain(funnel)
    return {k: s.absorption.p_win for k, s in chain.stages.items()}
