"""Issue 14, point 4 (seed 000: «этап «Отправлен расчет» — настоящее кладбище
сделок»): a graveyard stage is split by age in the stage and by last activity, each
age band with the conversion of the visits that lasted that long, and the proposed
segmentation stages are funnel text that parses and formats to itself."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.fmt import format_text

CALC, CONTRACT = "Отправлен расчет", "Заключение договора"


def write_history(path: Path, seed: int = 0) -> Path:
    """Deals that move on from «Отправлен расчет» do so within a week (half of them);
    the rest are lost after weeks or stay there to the end of the data, silent."""
    rng = random.Random(seed)
    end = datetime(2024, 7, 1, tzinfo=UTC)
    lines = ["deal_id,timestamp,pipeline,stage,loss_reason,value,last_activity"]
    for i in range(600):
        t0 = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.uniform(0, 170))
        last = t0 + timedelta(days=rng.uniform(0, 5))
        rows = [(t0, "Расчет с сайта", ""), (t0 + timedelta(hours=3), CALC, "")]
        u = rng.random()
        if u < 0.3:
            rows.append((t0 + timedelta(days=rng.uniform(1, 6)), CONTRACT, ""))
        elif u < 0.55:
            t_lost = t0 + timedelta(days=rng.uniform(20, 60))
            if t_lost < end:
                rows.append((t_lost, "lost", "Не ответил после расчета"))
        elif u < 0.58:
            t_late = t0 + timedelta(days=rng.uniform(10, 80))
            if t_late < end:
                rows.append((t_late, CONTRACT, ""))
        for t, stage, reason in rows:
            lines.append(f"D{i},{t.isoformat()},Продажи,{stage},{reason},5000000,"
                         f"{last.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_graveyard_segments_and_proposal(tmp_path: Path) -> None:
    path = write_history(tmp_path / "cottages.csv")
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    tables = json.loads(result.stdout)["tables"]
    assert any(r["stage"] == CALC and r["graveyard"] for r in tables["graveyards"])
    ages = [r for r in tables["graveyard_segments"] if r["stage"] == CALC and r["kind"] == "age"]
    assert [r["segment"] for r in ages] == ["0–7 days", "7–30 days", "30–90 days", "90+ days"]
    fresh, old = ages[0], ages[2]
    assert fresh["conversion"] > 0.25 and old["conversion"] < 0.1  # truth: 0.33 and ~0.03
    assert sum(r["open_now"] for r in ages) > 0
    activity = [r for r in tables["graveyard_segments"]
                if r["stage"] == CALC and r["kind"] == "activity"]
    assert activity and sum(r["open_now"] for r in activity) == sum(r["open_now"] for r in ages)
    (prop,) = [r for r in tables["graveyard_proposals"] if r["stage"] == CALC]
    assert prop["next_stage"] == CONTRACT
    # Truth: 30 % move on within 6 days; of those still there after a week, 0.03 / 0.70
    # move on later (within the export: fewer) and 0.25 / 0.70 are lost.
    assert prop["cold_after_days"] == 7
    assert abs(prop["warm_conversion"] - 0.30) < 0.06 and prop["cold_conversion"] < 0.06
    assert prop["p_value"] < 1e-6 and prop["rate_ratio"] < 0.1
    text = prop["funnel_text"]
    assert format_text(text) == text  # canonical funnel text
    loaded = load_text(text, checks=False)
    assert not [d for d in loaded.diagnostics if d.severity == "error"]
    (pipe,) = loaded.model.pipelines
    names = [s.name.value for s in pipe.stages]
    assert names == [CALC, "Холодные"]
    calc, cold = pipe.stages
    assert calc.sla is not None and calc.sla.after.hours == 24 * prop["cold_after_days"]
    shares = {_target(o): o.share.value for o in cold.outcomes if o.share is not None}
    assert abs(shares["lost Не ответил после расчета"] - 0.25 / 0.70) < 0.06
    assert cold.stay is not None


def _target(o: object) -> str:
    t = o.target  # type: ignore[attr-defined]
    return f"lost {t.reason.value}" if t.kind == "lost" else t.kind if t.kind == "won" \
        else t.ref.stage.value


FUNNEL = (
    'source "Сайт" 4/day -> "Продажи"."Расчет с сайта" value 5000000\n'
    'pipeline "Продажи" main sales {\n'
    '  stage "Расчет с сайта" {\n    -> "Отправлен расчет" 100%\n  }\n'
    '  stage "Отправлен расчет" {\n    -> "Заключение договора" 30%\n'
    '    -> lost "Не ответил после расчета" 70%\n  }\n'
    '  stage "Заключение договора" {\n    -> won 100%\n  }\n}\n')


def test_the_proposal_pasted_into_the_funnel_checks_clean(tmp_path: Path) -> None:
    """Pasted as the docs say — the stage's routes replaced, the cold stage after it —
    the funnel has no error: the shares add up to 100 % (FN212 once said «add up to
    28 %» of a proposal whose stages carried only the move forward)."""
    path = write_history(tmp_path / "cottages.csv")
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    (prop,) = [r for r in json.loads(result.stdout)["tables"]["graveyard_proposals"]
               if r["stage"] == CALC]
    body = prop["funnel_text"].split("{", 1)[1].rsplit("}", 1)[0]
    old = ('  stage "Отправлен расчет" {\n    -> "Заключение договора" 30%\n'
           '    -> lost "Не ответил после расчета" 70%\n  }\n')
    pasted = FUNNEL.replace(old, body.strip("\n") + "\n")
    loaded = load_text(pasted, "pasted.funnel")
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    assert not errors, [d.message for d in errors]
    assert [s.name.value for s in loaded.model.pipelines[0].stages] == [
        "Расчет с сайта", CALC, "Холодные", CONTRACT]


def test_audit_lists_the_graveyard(tmp_path: Path) -> None:
    path = write_history(tmp_path / "cottages.csv")
    funnel = tmp_path / "cottages.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", str(funnel), str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    kinds = [f["kind"] for f in data["findings"]]
    assert "graveyard" in kinds
    assert data["proposals"] and data["proposals"][0]["stage"] == CALC


def test_the_report_keeps_the_proposal_lines_and_says_unknown_values(tmp_path: Path) -> None:
    """history.html once showed the proposal as one run-on line (HTML collapses the
    newlines of a table cell), so it could not be read or pasted; deals without values
    were "worth 0"; a p-value that underflowed read "p = 0"."""
    lines = write_history(tmp_path / "h.csv").read_text(encoding="utf-8").splitlines()
    no_value = tmp_path / "no_value.csv"
    no_value.write_text("\n".join([lines[0]] + [",".join(
        (*r.split(",")[:5], "", r.split(",")[6])) for r in lines[1:]]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["history", str(no_value), "-o", str(out)],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    page = (out / "history.html").read_text(encoding="utf-8")
    cell = page[page.index('id="graveyard_proposals"'):]
    assert "<pre>pipeline &quot;Продажи&quot; {\n  stage &quot;Отправлен расчет&quot; {\n" in cell
    tables = json.loads((out / "history.json").read_text(encoding="utf-8"))["tables"]
    ages = [r for r in tables["graveyard_segments"] if r["stage"] == CALC]
    assert ages and all(r["open_value"] is None for r in ages if r["open_now"])
    from funnelc.history.audit_render import _Fmt
    from funnelc.i18n import translator
    assert _Fmt(translator("en")).p_cell(0.0) == "<\u00a00.001"  # as the sentence says it
    assert _Fmt(translator("en")).p(0.0) == "p\u00a0<\u00a00.001"  # a sentence says it so
