"""The first phone and email field of contacts and of companies are Bitrix24's built-in
multiple fields PHONE and EMAIL (crm.multifield.fields: leads, contacts and companies
have PHONE, EMAIL, WEB, IM), as they are amoCRM's, Pipedrive's and HubSpot's built-in
ones. `export --to bitrix24` told the consultant to create a «Телефон» user field and
`apply --to bitrix24` created a contact user field `Телефон` (string) beside the
built-in PHONE: managers got two phone fields, and `requires` landed on the empty one.
Deals have no built-in phone, so a deal's phone field is still a user field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crm_cli import fast, funnel_file  # noqa: F401 (fast: an autouse fixture)
from funnelc.cli import cli

try:
    from tests.fakes.bitrix24_server import FakeBitrix24, running_fake_bitrix24
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.bitrix24_server import FakeBitrix24, running_fake_bitrix24  # type: ignore[no-redef]

FUNNEL = """\
account "Клиника" {
  language ru
}
field "Телефон" phone on contact
field "Второй телефон" phone on contact
field "Почта" email on company
field "Телефон для курьера" phone
source "Сайт" 5/day -> "Первичка"."Заявка"
pipeline "Первичка" main {
  stage "Заявка" {
    requires "Телефон"
    -> won 50%
    -> lost "Не дозвонились" 50%
  }
}
"""


@pytest.fixture
def funnel(tmp_path: Path) -> Path:
    return funnel_file(tmp_path, FUNNEL)


@pytest.fixture
def b24() -> Iterator[FakeBitrix24]:
    with running_fake_bitrix24() as fake:
        yield fake


def apply(fake: FakeBitrix24, path: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["apply", str(path), "--to", "bitrix24", *extra],
                              env={"NO_COLOR": "1", "BITRIX24_WEBHOOK": fake.webhook})


def test_the_export_creates_no_field_beside_the_built_in_phone_and_email(funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(funnel), "--to", "bitrix24", "-q"])
    assert result.exit_code == 0, result.output
    manual = json.loads(result.stdout)["manual_steps"]
    create = [s for s in manual if s.startswith("create the fields")]
    assert create == ["create the fields «Второй телефон», «Телефон для курьера» in the CRM "
                      "settings (user fields are not part of this bundle)"]
    assert "«Телефон» is Bitrix24's built-in PHONE field of contacts: nothing to create" in manual
    assert "«Почта» is Bitrix24's built-in EMAIL field of companies: nothing to create" in manual


def test_apply_leaves_the_built_in_phone_and_makes_the_other_fields(b24: FakeBitrix24,
                                                                    funnel: Path) -> None:
    plan = apply(b24, funnel)
    assert plan.exit_code == 0, plan.output
    assert "create contact field `Телефон`" not in plan.stdout
    assert "create company field `Почта`" not in plan.stdout
    assert "= leave alone: contact field `Телефон`: Bitrix24's built-in PHONE (nothing created)" \
        in plan.stdout
    assert "+ create contact field `Второй телефон` (string)" in plan.stdout
    assert "+ create deal field `Телефон для курьера` (string)" in plan.stdout
    assert "= by hand: «Первичка» → «Заявка»: make «Телефон» required" in plan.stdout
    done = apply(b24, funnel, "--yes")
    assert done.exit_code == 0, done.output
    fields = sorted((f.entity, f.label) for f in b24.state.fields)
    assert fields == [("contact", "Второй телефон"), ("deal", "Телефон для курьера")]
    again = apply(b24, funnel)
    assert "nothing to do" in again.stdout
