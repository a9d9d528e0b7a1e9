"""One `funnelc apply FILE --to CRM` run against an opened `deploy.Target`: check what the
CRM cannot hold, read the account, plan, and with `yes` carry the plan out (`execute`).

The result (`DeployRun`) is what happened, typed, for `render.deploy_*` to print. Two
callbacks keep the terminal honest while the run is under way: `shown` gets the run as
soon as the plan is known (so the plan is on screen before the first change), `progress`
each applied step's `done:` line as it lands. Everything else is in the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .deploy import (
    ApplyReport,
    AuthError,
    DeployError,
    NetworkError,
    Plan,
    Target,
    TargetSpec,
    execute,
)

if TYPE_CHECKING:
    from .. import model as m
    from ..diagnostics import Diagnostic

__all__ = ["DeployRun", "run_deploy", "EXIT_CLEAN", "EXIT_PROBLEMS", "EXIT_ACCESS"]

EXIT_CLEAN = 0
EXIT_PROBLEMS = 1
"""The file, the plan or the CRM's answers are the problem."""
EXIT_ACCESS = 2
"""The credential, the rights or the network: not a problem of the file."""


@dataclass
class DeployRun:
    """What one apply did, in the order it can stop: refused by `check` (`refusals`),
    stopped before any write (`stopped`), planned (`plan`), applied (`applied`)."""

    spec: TargetSpec
    where: str
    yes: bool
    refusals: list[Diagnostic] = field(default_factory=list)
    described: str = ""
    read: int = 0
    plan: Plan[object] | None = None
    applied: ApplyReport | None = None
    requests: int = 0
    retries: int = 0
    stopped: DeployError | None = None
    """A failure before anything was applied (reading, planning)."""

    @property
    def exit_code(self) -> int:
        failure = self.stopped or (self.applied.failure if self.applied else None)
        if failure is not None:
            return EXIT_ACCESS if isinstance(failure, (AuthError, NetworkError)) \
                else EXIT_PROBLEMS
        if self.refusals or (self.plan is not None and self.plan.errors):
            return EXIT_PROBLEMS
        return EXIT_CLEAN


def run_deploy(spec: TargetSpec, target: Target[object, object], model: m.FunnelFile, *,
               yes: bool, allow_delete: bool, shown: Callable[[DeployRun], None],
               progress: Callable[[str], None]) -> DeployRun:
    """Check, read, plan, and (with `yes`, a plan without errors and with changes)
    apply; the target is closed on the way out, whatever happened."""
    from ..diagnostics import Severity

    run = DeployRun(spec, getattr(target, "where", spec.title), yes)
    try:
        diags = target.check(model)
        if any(d.severity is Severity.error for d in diags):
            run.refusals = diags
            return run
        snapshot = target.read()
        run.read = target.stats.requests
        plan = target.plan(model, snapshot, allow_delete=allow_delete)
        run.described = target.describe(snapshot)
        run.plan = plan
        shown(run)
        if yes and not plan.errors and plan.lines():
            run.applied = execute(target, plan, progress)
            run.requests = target.stats.requests
            run.retries = target.stats.retries
    except DeployError as exc:
        run.stopped = exc
    finally:
        target.close()
    return run
