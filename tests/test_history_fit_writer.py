"""`funnelc fit -o` on the shipped funnels: the fitted file must check, keep the
author's comments, keep the seasonality of months the data does not cover, and keep
scenarios that change part of a stage's shares valid against the fitted shares.

The history is the funnel's own simulation (120 days from 1 January: January–April
only), so every change the writer makes is attributable to it, not to data noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import funnelc
from funnelc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SALESCHEF = ROOT / "pipelines" / "saleschef.funnel"
COURSES = ROOT / "pipelines" / "courses.funnel"


def _records(funnel: Path, out: Path) -> Path:
    res = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", "120", "--warmup", "0",
                                   "--reps", "1", "--seed", "3", "--jobs", "1", "--start",
                                   "2025-01-01", "--records", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def saleschef_fit(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("fitwriter")
    rec = _records(SALESCHEF, root / "rec.csv")
    out = root / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", str(rec), "--funnel", str(SALESCHEF), "-o", str(out)])
    assert res.exit_code == 0, res.output
    return res.output, out


def test_fitted_saleschef_checks_and_keeps_comments(saleschef_fit: tuple[str, Path]) -> None:
    output, out = saleschef_fit
    loaded = funnelc.load(str(out))
    assert loaded.ok, [f"{d.code} {d.message}" for d in loaded.diagnostics]
    assert "не удалось сохранить" not in output  # «комментарии … не удалось сохранить»
    before = [ln.split("#", 1)[1] for ln in SALESCHEF.read_text(encoding="utf-8").splitlines()
              if "#" in ln]
    after = [ln.split("#", 1)[1] for ln in out.read_text(encoding="utf-8").splitlines()
             if "#" in ln]
    assert after == before


def test_scenario_shares_rescaled_to_the_fitted_stage(saleschef_fit: tuple[str, Path]) -> None:
    output, out = saleschef_fit
    model = funnelc.load(str(out)).model
    stage = next(s for s in model.pipeline("Продажи").stages  # type: ignore[union-attr]
                 if s.name.value == "КП отправлено")
    (sc,) = [s for s in model.scenarios if s.name.value == "Жесткий SLA по КП"]
    mine = [o for o in sc.overrides if o.kind in ("stage_share", "stage_stay")]
    assert len(mine) == 2
    changed = {("stay",) if o.kind == "stage_stay" else (o.target.ref.stage.value,)  # type: ignore[union-attr]
               for o in mine}
    rest = sum(o.share.value for o in stage.outcomes  # type: ignore[union-attr]
               if o.target.kind != "stage" or (o.target.ref.stage.value,) not in changed)  # type: ignore[union-attr]
    assert rest + sum(o.share.value for o in mine) == pytest.approx(1.0, abs=1e-9)  # type: ignore[union-attr]
    # The scenario's own ratio (45 : 15) survives the scaling, to the 0.1 % grid.
    comm, stay = sorted(mine, key=lambda o: o.kind)  # stage_share < stage_stay
    assert comm.share.value / stay.share.value == pytest.approx(3.0, rel=0.02)  # type: ignore[union-attr]
    # The account is `language ru`: the writer's notes read in Russian.
    assert "сценарий «Жесткий SLA по КП»" in output and "пересчитаны в" in output
    # The funnel's other scenario lines are untouched.
    assert any(o.kind == "stage_sla" for o in sc.overrides)


def test_profile_months_outside_the_data_are_kept(saleschef_fit: tuple[str, Path]) -> None:
    output, out = saleschef_fit
    original = {s.name.value: {p.month: p.share.value for p in s.profile}
                for s in funnelc.load(str(SALESCHEF)).model.sources}
    fitted = {s.name.value: {p.month: p.share.value for p in s.profile}
              for s in funnelc.load(str(out)).model.sources}
    for name, months in original.items():
        for mo in ("jun", "jul", "aug", "sep", "oct", "nov", "dec"):
            if mo in months:
                assert fitted[name].get(mo) == months[mo], (name, mo)
    assert "месяцы профиля вне данных оставлены как в файле" in output


def test_fit_as_scenario_keeps_uncovered_months(saleschef_fit: tuple[str, Path],
                                                tmp_path: Path) -> None:
    rec = saleschef_fit[1].parent / "rec.csv"
    out = tmp_path / "scen.funnel"
    res = CliRunner().invoke(cli, ["fit", str(rec), "--funnel", str(SALESCHEF), "--scenario",
                                   "Факт", "-o", str(out)])
    assert res.exit_code == 0, res.output
    model = funnelc.load(str(out)).model
    (sc,) = [s for s in model.scenarios if s.name.value == "Факт"]
    prof = [o for o in sc.overrides if o.kind == "source_profile"]
    assert prof
    for o in prof:
        months = {p.month: p.share.value for p in o.profile}
        base = funnelc.load(str(SALESCHEF)).model.source(o.subject.value)  # type: ignore[union-attr]
        for p in base.profile:  # type: ignore[union-attr]
            if p.month in ("sep", "oct", "nov"):
                assert months[p.month] == p.share.value


def test_a_stage_gaining_an_outcome_keeps_the_comments(tmp_path: Path) -> None:
    """courses: the data shows a loss the funnel's `Лид` lacks; the new outcome goes after
    the stage's last one, among commented lines."""
    rec = _records(COURSES, tmp_path / "rec.csv")
    out = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", str(rec), "--funnel", str(COURSES), "-o", str(out)])
    assert res.exit_code == 0, res.output
    # courses is `language ru`: «добавлено: отказ «…»», and no «комментарии … не удалось сохранить».
    assert "добавлено: отказ «" in res.output and "не удалось сохранить" not in res.output
    text = out.read_text(encoding="utf-8")
    assert text.count("#") == COURSES.read_text(encoding="utf-8").count("#")
    assert funnelc.load(str(out)).ok


STAYING = """\
source "Сайт" 10/day -> "Продажи"."Новая"

pipeline "Продажи" main {
  stage "Новая" {
    -> "Счет" 70% after exp(1d)  # почти все
    -> lost "Спам" 30% after exp(1h)
    # сюда funnelc fit допишет stay
  }
  stage "Счет" {
    -> won 100% after exp(2d)
  }
}
"""


def test_a_stage_gaining_a_stay_keeps_the_comments(tmp_path: Path) -> None:
    """Deals that never left `Новая` (the data runs on 60 days after them) become a
    `stay` written before the stage's closing brace, after its trailing comment; a stage
    where nobody stayed gets no `stay 0%`."""
    funnel = tmp_path / "staying.funnel"
    funnel.write_text(STAYING, encoding="utf-8")
    rows = ["deal_id,timestamp,pipeline,stage,loss_reason"]
    for d in range(200):
        day = 1 + d % 28
        rows.append(f"{d},2025-01-{day:02d}T10:00:00Z,Продажи,Новая,")
        if d % 10 < 6:
            rows.append(f"{d},2025-01-{day:02d}T18:00:00Z,Продажи,Счет,")
            rows.append(f"{d},2025-02-{day:02d}T10:00:00Z,Продажи,won,")
        elif d % 10 < 8:
            rows.append(f"{d},2025-01-{day:02d}T11:00:00Z,Продажи,lost,Спам")
    rows.append("999,2025-04-01T10:00:00Z,Продажи,Новая,")
    hist = tmp_path / "h.csv"
    hist.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "could not be kept" not in res.output
    assert "# почти все" in text and "# сюда funnelc fit допишет stay" in text
    model = funnelc.load(str(out)).model
    new, bill = model.pipelines[0].stages
    assert new.stay is not None and new.stay.value == pytest.approx(0.2, abs=0.01)
    assert bill.stay is None and "stay 0%" not in text
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.strip().startswith("stay"))
    assert "допишет stay" in lines[at - 1] and lines[at + 1].strip() == "}"
