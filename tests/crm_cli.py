"""What the tests that export and apply to the CRM fakes share: the CLI run as a user
runs it (no colour, no debug tracebacks), and the clients' rate limits and back-off made
instant, so a test against a loopback fake does not wait as a real CRM would make it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import deploy, hubspot_client, pipedrive_client

try:
    from tests.fakes.amocrm_server import running_fake_amocrm
    from tests.fakes.bitrix24_server import running_fake_bitrix24
    from tests.fakes.hubspot_server import running_fake_hubspot
    from tests.fakes.pipedrive_server import running_fake_pipedrive
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.amocrm_server import running_fake_amocrm  # type: ignore[no-redef]
    from fakes.bitrix24_server import running_fake_bitrix24  # type: ignore[no-redef]
    from fakes.hubspot_server import running_fake_hubspot  # type: ignore[no-redef]
    from fakes.pipedrive_server import running_fake_pipedrive  # type: ignore[no-redef]

__all__ = ["run", "no_waiting", "fast", "funnel_file", "apply_plans"]


def run(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(cli, args, env={"NO_COLOR": "1", "FUNNELC_DEBUG": None, **env})


def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setattr(pipedrive_client, "PER_S", 10_000)
    monkeypatch.setattr(hubspot_client, "PER_S", 10_000)


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """`no_waiting` for every test of a module that imports this fixture."""
    no_waiting(monkeypatch)


def funnel_file(folder: Path, text: str) -> Path:
    """`text` written as a funnel file a consultant would have: `clinic.funnel`."""
    path = folder / "clinic.funnel"
    path.write_text(text, encoding="utf-8")
    return path


def apply_plans(funnel: Path, token: str, crms: tuple[str, ...] = (
        "amocrm", "bitrix24", "pipedrive", "hubspot")) -> Iterator[tuple[str, Result]]:
    """`funnelc apply` (the plan, without `--yes`) of `funnel` against each CRM's fake,
    started fresh for it."""
    if "amocrm" in crms:
        with running_fake_amocrm(token=token) as amo:
            yield "amocrm", run(["apply", str(funnel), "--base-url", amo.base_url],
                                AMOCRM_TOKEN=token)
    if "bitrix24" in crms:
        with running_fake_bitrix24() as b24:
            yield "bitrix24", run(["apply", str(funnel), "--to", "bitrix24"],
                                  BITRIX24_WEBHOOK=b24.webhook)
    if "pipedrive" in crms:
        with running_fake_pipedrive(token, burst=None) as pd:
            yield "pipedrive", run(["apply", str(funnel), "--to", "pipedrive", "--base-url",
                                    pd.base_url], PIPEDRIVE_API_TOKEN=token)
    if "hubspot" in crms:
        with running_fake_hubspot(token, burst=None) as hs:
            yield "hubspot", run(["apply", str(funnel), "--to", "hubspot", "--base-url",
                                  hs.base_url], HUBSPOT_ACCESS_TOKEN=token)
