"""What the tests that export and apply to the CRM fakes share: the CLI run as a user
runs it (no colour, no debug tracebacks), and the clients' rate limits and back-off made
instant, so a test against a loopback fake does not wait as a real CRM would make it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import amocrm_client, deploy, hubspot_client, pipedrive_client

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

__all__ = ["run", "no_waiting", "fast", "funnel_file", "apply_plans", "apply_then_import"]


def run(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(cli, args, env={"NO_COLOR": "1", "FUNNELC_DEBUG": None, **env})


def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setattr(pipedrive_client, "PER_S", 10_000)
    monkeypatch.setattr(hubspot_client, "PER_S", 10_000)
    monkeypatch.setattr(amocrm_client, "MAX_REQUESTS_PER_S", 10_000)


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


def apply_then_import(crm: str, funnel: Path, folder: Path, token: str) -> str:
    """`funnelc apply --yes` of `funnel` to a fresh fake of `crm`, then `funnelc import`
    of what the fake holds (amoCRM: from the answers saved as curl would, loss reasons
    included): the imported funnel text."""
    out = folder / f"{crm}.funnel"
    if crm == "amocrm":
        with running_fake_amocrm(token=token, rate_limit_per_s=None) as amo:
            applied = run(["apply", str(funnel), "--base-url", amo.base_url, "--yes"],
                          AMOCRM_TOKEN=token)
            assert applied.exit_code == 0, applied.output
            args: list[str] = []
            with httpx.Client(base_url=amo.base_url, headers=amo.auth_headers) as http:
                for name, url, option in [
                        ("pipelines", "/api/v4/leads/pipelines", ""),
                        ("leads", "/api/v4/leads/custom_fields", "--fields"),
                        ("contacts", "/api/v4/contacts/custom_fields", "--fields"),
                        ("companies", "/api/v4/companies/custom_fields", "--fields"),
                        ("loss_reasons", "/api/v4/leads/loss_reasons", "--loss-reasons")]:
                    path = folder / f"{name}.json"
                    path.write_bytes(http.get(url).content)
                    args += [option, str(path)] if option else [str(path)]
                ids = [p["id"] for p in json.loads((folder / "pipelines.json").read_text(
                    encoding="utf-8"))["_embedded"]["pipelines"]]
                for pid in ids:
                    path = folder / f"statuses-{pid}.json"
                    path.write_bytes(http.get(f"/api/v4/leads/pipelines/{pid}/statuses",
                                              params={"with": "descriptions"}).content)
                    args += ["--statuses", str(path)]
            result = run(["import", "amocrm", *args, "-o", str(out)])
    elif crm == "bitrix24":
        with running_fake_bitrix24() as b24:
            applied = run(["apply", str(funnel), "--to", "bitrix24", "--yes", "--allow-delete"],
                          BITRIX24_WEBHOOK=b24.webhook)
            assert applied.exit_code == 0, applied.output
            result = run(["import", "--from", "bitrix24", "-o", str(out)],
                         BITRIX24_WEBHOOK=b24.webhook)
    elif crm == "pipedrive":
        with running_fake_pipedrive(token, burst=None) as pd:
            applied = run(["apply", str(funnel), "--to", "pipedrive", "--base-url", pd.base_url,
                           "--yes"], PIPEDRIVE_API_TOKEN=token)
            assert applied.exit_code == 0, applied.output
            result = run(["import", "--from", "pipedrive", "--base-url", pd.base_url, "-o",
                          str(out)], PIPEDRIVE_API_TOKEN=token)
    else:
        with running_fake_hubspot(token, burst=None) as hs:
            applied = run(["apply", str(funnel), "--to", "hubspot", "--base-url", hs.base_url,
                           "--yes"], HUBSPOT_ACCESS_TOKEN=token)
            assert applied.exit_code == 0, applied.output
            result = run(["import", "--from", "hubspot", "--base-url", hs.base_url, "-o",
                          str(out)], HUBSPOT_ACCESS_TOKEN=token)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")
