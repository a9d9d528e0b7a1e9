"""funnelc.sim: discrete-event simulation of a whole CRM account.

Public API (what `report`, `whatif` and `sweep` build on):

    from funnelc.sim import simulate, SimConfig
    result = simulate(model, SimConfig(days=365, reps=10, seed=1, scenario=None))

`result` is a `SimResult` (see `funnelc.sim.results`); `apply_scenario` lives in
`funnelc.scenarios`. Importing this package imports numpy and simpy: the CLI imports it
only inside the commands that simulate.
"""

from .compile import CompileError, Network, compile_network
from .config import DEFAULT_START, SimConfig
from .results import SimResult
from .runner import RECORD_COLUMNS, simulate

__all__ = ["simulate", "SimConfig", "SimResult", "CompileError", "compile_network", "Network",
           "DEFAULT_START", "RECORD_COLUMNS"]
