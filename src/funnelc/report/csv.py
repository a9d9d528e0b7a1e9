"""`stages.csv`: the per-stage figures in tidy long form.

One row per (pipeline, stage, metric, estimate), columns
`pipeline,stage,metric,unit,estimate,value`:

* `metric` names its unit (`time_in_stage_p90_hours`, `entered_deals`,
  `respond_breach_pct`, `p_win`), and `unit` spells it out;
* `estimate` is `mean`, `ci95_low` or `ci95_high` for the simulation (bounds of the 95 %
  confidence interval over replications, held at the figure's natural limits: a count,
  a duration or money never below 0, a share never above 1 or 100 %; a growth any
  sign), `exact` or `exact_lower_bound` for the exact
  maths, `verdict` for the graveyard flag (1 graveyard, 0 not);
* a figure that does not exist for a stage (no respond rule, nobody left the stage, a
  closed form that does not apply, fewer than two replications for a CI) has no row,
  so no cell is ever empty.

Long form because it pivots to any layout (a spreadsheet's pivot table, pandas'
`pivot_table(index=["pipeline", "stage"], columns=["metric", "estimate"])`, R's
`pivot_wider`) and because plots read it as is.

Names go through `funnelc.csvsafe`: a pipeline or stage whose name starts with `=`, `+`,
`-`, `@`, tab or CR is written with a leading `'` so no spreadsheet runs it; `value` is a
number (a `Figure`) and is never prefixed, negative or not.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .. import csvsafe
from .data import CSV_COLUMNS

if TYPE_CHECKING:
    from .data import ReportData

__all__ = ["stages_csv", "CSV_COLUMNS"]


def _value(x: float) -> csvsafe.Figure:
    """Shortest text that reads back as the same float; whole numbers without `.0`."""
    if x == int(x) and abs(x) < 1e15:
        return csvsafe.Figure(str(int(x)))
    return csvsafe.Figure(repr(x))


def stages_csv(data: ReportData) -> str:
    buf = io.StringIO()
    writer = csvsafe.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in data.stage_metrics:
        writer.writerow([r.pipeline, r.stage, r.metric, r.unit, r.estimate, _value(r.value)])
    return buf.getvalue()
