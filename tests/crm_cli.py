"""What the tests that export and apply to the CRM fakes share: the CLI run as a user
runs it (no colour, no debug tracebacks), and the clients' rate limits and back-off made
instant, so a test against a loopback fake does not wait as a real CRM would make it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import deploy, hubspot_client, pipedrive_client

__all__ = ["run", "no_waiting", "funnel_file"]


def run(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(cli, args, env={"NO_COLOR": "1", "FUNNELC_DEBUG": None, **env})


def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setattr(pipedrive_client, "PER_S", 10_000)
    monkeypatch.setattr(hubspot_client, "PER_S", 10_000)


def funnel_file(folder: Path, text: str) -> Path:
    """`text` written as a funnel file a consultant would have: `clinic.funnel`."""
    path = folder / "clinic.funnel"
    path.write_text(text, encoding="utf-8")
    return path
