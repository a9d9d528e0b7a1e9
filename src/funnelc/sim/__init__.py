"""funnelc.sim: discrete-event simulation of a whole CRM account.

Public API (what `report`, `whatif` and `sweep` build on):

    from funnelc.sim import simulate, SimConfig
    result = simulate(model, SimConfig(days=365, reps=10, seed=1, scenario=None))

`result` is a `SimResult` (see `funnelc.sim.results`). Warm start (issue 13): pass the
deals open at t=0 as `SimConfig(open_deals=(OpenDeal(pipeline, stage, entered_hours,
value), ...))`; `result.open_deals` says what became of them by stage of origin.
`apply_scenario` lives in `funnelc.scenarios`. Importing this package imports numpy and simpy: the CLI imports it
only inside the commands that simulate.
"""

from .compile import CompileError, Network, compile_network
from .config import DEFAULT_START, SimConfig
from .results import SimResult
from .runner import RECORD_COLUMNS, simulate
from .warm import OpenDeal, WarmStartError

__all__ = ["simulate", "SimConfig", "SimResult", "CompileError", "compile_network", "Network",
           "DEFAULT_START", "RECORD_COLUMNS", "OpenDeal", "WarmStartError"]
