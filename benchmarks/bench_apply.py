"""`funnelc apply pipelines/saleschef.funnel --to CRM` against each CRM's loopback fake
(issue 17, Benchmarks): requests sent and wall time of the first apply (a fresh
account), and the same for a re-apply (only reads: the plan is empty).

Each row runs the command in this process (click's CliRunner, as the tests do) against
the fake in tests/fakes/, with the client's real rate limiter: Bitrix24's leaky bucket
(2 a second, burst 40 of the documented 50) lets a whole portal through in one burst,
because `batch` carries up to 50 calls a request. The fake counts HTTP requests.

Rows for other CRMs: add a `_crm()` like `_bitrix24()` below and list it in `run()`.
Reference: `funnelc check` of the same file in-process (what the apply does before any
request), so the ratio says how much the network part costs over the local work.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for extra in (HERE, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from harness import Result  # noqa: E402

FILE = ROOT / "pipelines" / "saleschef.funnel"


def _check_seconds() -> float:
    from click.testing import CliRunner

    from funnelc.cli import cli

    start = time.perf_counter()
    CliRunner().invoke(cli, ["check", str(FILE)])
    return time.perf_counter() - start


def _bitrix24(reference: float) -> list[Result]:
    from click.testing import CliRunner

    from fakes.bitrix24_server import running_fake_bitrix24
    from funnelc.cli import cli

    rows: list[Result] = []
    with running_fake_bitrix24() as fake:
        env = {"BITRIX24_WEBHOOK": fake.webhook, "NO_COLOR": "1"}
        for label in ("apply", "re-apply"):
            fake.reset_rate_window()
            before = len(fake.requests)
            start = time.perf_counter()
            result = CliRunner().invoke(cli, ["apply", str(FILE), "--to", "bitrix24", "--yes"],
                                        env=env)
            seconds = time.perf_counter() - start
            if result.exit_code != 0:
                raise RuntimeError(f"bitrix24 {label} failed: {result.output[-500:]}")
            sent = len(fake.requests) - before
            calls = sum(max(1, r.commands) for r in fake.requests[before:])
            rows.append(Result(f"bitrix24: {label} of saleschef.funnel, wall time", seconds, "s",
                               reference, "check of the same file", None,
                               note=f"{sent} HTTP requests carrying {calls} REST calls"))
            rows.append(Result(f"bitrix24: {label} of saleschef.funnel, HTTP requests", sent,
                               "requests", reference, "check of the same file",
                               30 if label == "apply" else 2,
                               note="batch: up to 50 calls a request"))
    return rows


def _rest(reference: float, crm: str, env_name: str, running: object, budget: int,
          reads: int, note: str) -> list[Result]:
    """Pipedrive and HubSpot: one request per pipeline, stage or field (HubSpot: a
    pipeline with its stages in one request, properties in one batch per object), with
    the client's real limiter and the fake enforcing the vendor's burst window."""
    from click.testing import CliRunner

    from funnelc.cli import cli

    token = "bench-token-0123456789"
    rows: list[Result] = []
    with running(token) as fake:  # type: ignore[operator]
        env = {env_name: token, "NO_COLOR": "1"}
        for label in ("apply", "re-apply"):
            before = fake.request_count
            start = time.perf_counter()
            result = CliRunner().invoke(cli, ["apply", str(FILE), "--to", crm, "--yes",
                                              "--base-url", fake.base_url], env=env)
            seconds = time.perf_counter() - start
            if result.exit_code != 0:
                raise RuntimeError(f"{crm} {label} failed: {result.output[-500:]}")
            sent = fake.request_count - before
            rows.append(Result(f"{crm}: {label} of saleschef.funnel, wall time", seconds, "s",
                               reference, "check of the same file", None,
                               note=f"{sent} HTTP requests; {note}"))
            rows.append(Result(f"{crm}: {label} of saleschef.funnel, HTTP requests", sent,
                               "requests", reference, "check of the same file",
                               budget if label == "apply" else reads, note=note))
    return rows


def _pipedrive(reference: float) -> list[Result]:
    from fakes.pipedrive_server import running_fake_pipedrive

    return _rest(reference, "pipedrive", "PIPEDRIVE_API_TOKEN", running_fake_pipedrive, 80, 5,
                 "no batch endpoint in API v2; 10 requests a second (20 per 2 s burst)")


def _hubspot(reference: float) -> list[Result]:
    from fakes.hubspot_server import running_fake_hubspot

    return _rest(reference, "hubspot", "HUBSPOT_ACCESS_TOKEN", running_fake_hubspot, 20, 4,
                 "a pipeline with its stages per request, properties in one batch per object")


def _amocrm(reference: float) -> list[Result]:
    from fakes.amocrm_server import running_fake_amocrm

    return _rest(reference, "amocrm", "AMOCRM_TOKEN", running_fake_amocrm, 20, 16,
                 "batches of up to 50 items (pipelines with their statuses, fields, loss "
                 "reasons); 7 requests a second")


def run() -> list[Result]:
    reference = _check_seconds()
    return (_bitrix24(reference) + _pipedrive(reference) + _hubspot(reference)
            + _amocrm(reference))


if __name__ == "__main__":
    for row in run():
        print(f"{row.name}: {row.value:.3g} {row.unit} ({row.note})")
