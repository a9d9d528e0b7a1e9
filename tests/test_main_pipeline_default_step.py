"""The file's `main` pipeline in Pipedrive and HubSpot: a company already has a default
pipeline (Pipedrive's first one, "Pipeline" in a new company; HubSpot's `default`), and
new pipelines are added after it. Pipedrive's manual step said the main pipeline "is
created first, so it is the default pipeline of a new company" (false: the fake, as a real
new company, already has «Pipeline» first) and was left out for a file of one pipeline;
`apply`'s plans (Pipedrive, HubSpot) had no step for it at all, so after applying, the
default pipeline was still the company's and `import` marked it `main`. The steps now say
what is true, and `apply` lists them under `= by hand` while another pipeline is the
default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_cli import fast, funnel_file, run  # noqa: F401 (fast: an autouse fixture)

try:
    from tests.fakes.hubspot_server import running_fake_hubspot
    from tests.fakes.pipedrive_server import running_fake_pipedrive
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.hubspot_server import running_fake_hubspot  # type: ignore[no-redef]
    from fakes.pipedrive_server import running_fake_pipedrive  # type: ignore[no-redef]

TOKEN = "tok-main-pipeline-DISTINCTIVE"


def funnel(tmp_path: Path, main: str = "Первичка", second: bool = True) -> Path:
    copy = ' then copy "Лечение"."Новый пациент"' if second else ""
    text = f"""\
source "Сайт" 5/day -> "{main}"."Заявка"
pipeline "{main}" main {{
  stage "Заявка" {{
    -> won 50%{copy}
    -> lost "Нецелевой" 50%
  }}
}}
"""
    if second:
        text += """\
pipeline "Лечение" {
  stage "Новый пациент" {
    -> won
  }
}
"""
    return funnel_file(tmp_path, text)


PD_STEP = ("«Первичка» is the main pipeline: drag it to the first place under Pipelines "
           "(Pipedrive's default pipeline is the first one: {now})")


@pytest.mark.parametrize("second", [True, False], ids=["two pipelines", "one pipeline"])
def test_pipedrive_export_says_how_the_main_pipeline_becomes_the_default(
        tmp_path: Path, second: bool) -> None:
    result = run(["export", str(funnel(tmp_path, second=second)), "--to", "pipedrive", "-q"])
    assert result.exit_code == 0, result.output
    manual = json.loads(result.stdout)["manual_steps"]
    assert not [s for s in manual if "new company" in s or "created first" in s]
    assert PD_STEP.format(now="a company already has one, and new pipelines are added "
                                "after it") in manual


def test_pipedrive_apply_lists_the_step_while_another_pipeline_is_first(tmp_path: Path) -> None:
    path = funnel(tmp_path)
    step = "= by hand: " + PD_STEP.format(now="now «Pipeline»")
    with running_fake_pipedrive(TOKEN, burst=None) as pd:
        args = ["apply", str(path), "--to", "pipedrive", "--base-url", pd.base_url]
        plan = run(args, PIPEDRIVE_API_TOKEN=TOKEN)
        assert plan.exit_code == 0, plan.output
        assert step in [line.strip() for line in plan.stdout.splitlines()]
        assert run([*args, "--yes"], PIPEDRIVE_API_TOKEN=TOKEN).exit_code == 0
        again = run(args, PIPEDRIVE_API_TOKEN=TOKEN)
        assert step in [line.strip() for line in again.stdout.splitlines()]


def test_pipedrive_apply_has_no_step_when_the_main_pipeline_is_first(tmp_path: Path) -> None:
    """The fake's company starts with «Pipeline»: a file whose main pipeline is it."""
    with running_fake_pipedrive(TOKEN, burst=None) as pd:
        plan = run(["apply", str(funnel(tmp_path, main="Pipeline")), "--to", "pipedrive",
                    "--base-url", pd.base_url], PIPEDRIVE_API_TOKEN=TOKEN)
    assert plan.exit_code == 0, plan.output
    assert "is the main pipeline" not in plan.stdout


def test_hubspot_apply_says_the_default_pipeline_stays(tmp_path: Path) -> None:
    step = ("= by hand: «Первичка» is the main pipeline: HubSpot's default deal pipeline "
            "«Sales Pipeline» stays as it is (rename or hide it in the pipeline settings)")
    with running_fake_hubspot(TOKEN, burst=None) as hs:
        plan = run(["apply", str(funnel(tmp_path)), "--to", "hubspot", "--base-url",
                    hs.base_url], HUBSPOT_ACCESS_TOKEN=TOKEN)
    assert plan.exit_code == 0, plan.output
    assert step in [line.strip() for line in plan.stdout.splitlines()]
