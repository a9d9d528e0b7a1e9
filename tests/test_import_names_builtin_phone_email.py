"""A funnel's first phone and email field of a contact (and company) is the CRM's own
built-in field after `apply`: nothing is created for it, so its name is nowhere in the
CRM and `import` cannot bring the field back. It must say so in the header's notes,
naming the built-in fields it left out, rather than drop them without a word (review:
`field "Телефон" phone on contact` vanished from Bitrix24's import once the export used
the built-in PHONE)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from crm_cli import fast, funnel_file, run  # noqa: F401  (fast: autouse fixture)
from funnelc.api import load_text
from funnelc.export import amocrm_client

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

TOKEN = "tok-builtin-7f3a"
FUNNEL = """\
account "Меблі" {
  currency UAH
}
field "Бюджет" money
field "Телефон" phone on contact
field "Пошта" email on contact
field "Пошта компанії" email on company
source "Сайт" 5/day -> "Продажі"."Заявка"
pipeline "Продажі" main {
  stage "Заявка" {
    requires "Бюджет"
    -> won 50%
    -> lost "Дорого" 50%
  }
}
"""


def imported_text(crm: str, funnel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`apply --yes` to the CRM's fake, then `import` of what it holds."""
    out = tmp_path / f"{crm}.funnel"
    if crm == "amocrm":
        monkeypatch.setattr(amocrm_client, "MAX_REQUESTS_PER_S", 10_000)
        with running_fake_amocrm(token=TOKEN, rate_limit_per_s=None) as amo:
            assert run(["apply", str(funnel), "--base-url", amo.base_url, "--yes"],
                       AMOCRM_TOKEN=TOKEN).exit_code == 0
            args = []
            with httpx.Client(base_url=amo.base_url, headers=amo.auth_headers) as http:
                for name, url in [("pipelines", "/api/v4/leads/pipelines"),
                                  ("leads", "/api/v4/leads/custom_fields"),
                                  ("contacts", "/api/v4/contacts/custom_fields"),
                                  ("companies", "/api/v4/companies/custom_fields")]:
                    path = tmp_path / f"{name}.json"
                    path.write_text(json.dumps(http.get(url).json()), encoding="utf-8")
                    args += [str(path)] if name == "pipelines" else ["--fields", str(path)]
            result = run(["import", "amocrm", *args, "-o", str(out)])
    elif crm == "bitrix24":
        with running_fake_bitrix24() as b24:
            assert run(["apply", str(funnel), "--to", "bitrix24", "--yes"],
                       BITRIX24_WEBHOOK=b24.webhook).exit_code == 0
            result = run(["import", "--from", "bitrix24", "-o", str(out)],
                         BITRIX24_WEBHOOK=b24.webhook)
    elif crm == "pipedrive":
        with running_fake_pipedrive(TOKEN, burst=None) as pd:
            assert run(["apply", str(funnel), "--to", "pipedrive", "--base-url", pd.base_url,
                        "--yes"], PIPEDRIVE_API_TOKEN=TOKEN).exit_code == 0
            result = run(["import", "--from", "pipedrive", "--base-url", pd.base_url, "-o",
                          str(out)], PIPEDRIVE_API_TOKEN=TOKEN)
    else:
        with running_fake_hubspot(TOKEN, burst=None) as hs:
            assert run(["apply", str(funnel), "--to", "hubspot", "--base-url", hs.base_url,
                        "--yes"], HUBSPOT_ACCESS_TOKEN=TOKEN).exit_code == 0
            result = run(["import", "--from", "hubspot", "--base-url", hs.base_url, "-o",
                          str(out)], HUBSPOT_ACCESS_TOKEN=TOKEN)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("crm", "named"), [
    ("amocrm", ["contact «Телефон»", "contact «Email»", "company «Email»"]),
    ("bitrix24", ["contact «PHONE»", "contact «EMAIL»", "company «EMAIL»"]),
    ("pipedrive", ["contact «Phone»", "contact «Email»"]),
    ("hubspot", ["contact «Phone Number»", "contact «Email»"]),
])
def test_import_names_the_builtin_phone_and_email_it_leaves_out(
        crm: str, named: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = imported_text(crm, funnel_file(tmp_path, FUNNEL), tmp_path, monkeypatch)
    model = load_text(text, "<import>", checks=False).model
    assert model is not None
    fields = {f.name.value for f in model.fields}
    assert "Телефон" not in fields and "Пошта" not in fields  # the CRM's own fields
    note = next((line for line in text.splitlines() if "built-in fields not imported" in line),
                None)
    assert note is not None, text
    for words in named:
        assert words in note
    assert '`field "Телефон" phone on contact`' in note
