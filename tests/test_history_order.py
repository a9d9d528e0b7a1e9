"""`funnelc history`: the order of stages and the judgement of moves (issue 13, part 1).

With `--funnel` the stages are in the file's order and only a move its routes do not
declare is a skip or a move back; without one the order is inferred and the output says
so; stage names that match no stage of the funnel are listed with the closest one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PIPELINES
from funnelc.cli import cli

EXAMPLES = sorted(PIPELINES.glob("*.funnel"))


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.stdout, res.stderr


def records(funnel: Path, out: Path, days: int) -> Path:
    code, _, err = run("simulate", str(funnel), "--reps", "1", "--days", str(days), "--warmup",
                       "0", "--seed", "3", "--jobs", "1", "--records", str(out))
    assert code == 0, err
    return out


def history_json(*args: str) -> dict:
    code, out, err = run("history", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def declared_order(funnel: Path) -> dict[str, list[str]]:
    import funnelc

    model = funnelc.load(str(funnel)).model
    assert model is not None
    return {p.name.value: [s.name.value for s in p.stages] for p in model.pipelines}


def test_courses_has_no_backward_moves_and_keeps_the_file_order(tmp_path: Path) -> None:
    """The issue's reproduction: seed 004's «Лид → Заявка» and «Ждем связи →
    Связались» are outcomes the file declares, so not moves back (it was 21.16 %)."""
    funnel = PIPELINES / "courses.funnel"
    path = records(funnel, tmp_path / "deals.csv", 240)
    code, _, err = run("history", str(path), "--funnel", str(funnel), "-o", str(tmp_path / "h"))
    assert code == 0, err
    data = json.loads((tmp_path / "h" / "history.json").read_text(encoding="utf-8"))
    summary = {r["pipeline"]: r for r in data["tables"]["moves_summary"]}
    sales = summary["Продажи курсов"]
    assert sales["moves"] > 5000
    assert (sales["backward"], sales["skips"], sales["undeclared"]) == (0, 0, 0)
    assert sales["declared"] == sales["moves"]
    assert data["tables"]["moves"] == []
    assert data["order"]["source"] == "funnel" and data["order"]["inferred"] is False
    file_order = declared_order(funnel)
    for pipe, stages in data["order"]["stages"].items():
        assert stages == [s for s in file_order[pipe] if s in stages]
    shape = [r["stage"] for r in data["tables"]["shape"]
             if r["pipeline"] == "Продажи курсов" and r["stage"] != "won"]
    assert shape == file_order["Продажи курсов"]
    timing = [r["stage"] for r in data["tables"]["time_in_stage"]
              if r["pipeline"] == "Продажи курсов"]
    assert timing == file_order["Продажи курсов"]
    html = (tmp_path / "h" / "history.html").read_text(encoding="utf-8")
    # courses is a `language ru` account: the page says it in Russian, the JSON in English
    assert "Этапы в порядке, объявленном в файле воронки" in html
    assert "in the order the funnel file declares them" in data["order"]["note"]


@pytest.mark.parametrize("funnel", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_simulated_records_of_every_example_have_no_undeclared_move(
        funnel: Path, tmp_path: Path) -> None:
    path = records(funnel, tmp_path / "deals.csv", 90)
    data = history_json(str(path), "--funnel", str(funnel))
    rows = data["tables"]["moves_summary"]
    assert sum(r["moves"] for r in rows) > 100
    assert [(r["pipeline"], r["undeclared"]) for r in rows if r["undeclared"]] == []
    assert [m for m in data["tables"]["moves"] if not m["declared"]] == []


LOOP = """\
source "Сайт" 10/day -> "Продажи"."Новая"

pipeline "Продажи" {
  stage "Новая" {
    -> "Квалификация" 90%
    -> lost "Спам" 10%
  }
  stage "Квалификация" {
    -> "Встреча" 70%
    -> lost "Нецелевой" 30%
  }
  stage "Встреча" {
    -> "Квалификация" 20% after exp(1d)  # re-qualification: declared, not a problem
    -> won 50%
    -> lost "Дорого" 30%
  }
}
"""


def _csv(tmp: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp / "history.csv"
    lines = ["deal_id,timestamp,pipeline,stage"]
    lines += [f"{d},{t},Продажи,{s}" for d, t, s in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _deal(i: int, stages: list[str]) -> list[tuple[str, str, str]]:
    return [(f"d{i}", f"2024-03-{1 + j:02d}T10:00:00Z", s) for j, s in enumerate(stages)]


def test_a_declared_loop_back_is_no_problem_an_undeclared_move_is(tmp_path: Path) -> None:
    funnel = tmp_path / "loop.funnel"
    funnel.write_text(LOOP, encoding="utf-8")
    rows: list[tuple[str, str, str]] = []
    for i in range(6):  # declared loop Встреча → Квалификация, then won
        rows += _deal(i, ["Новая", "Квалификация", "Встреча", "Квалификация", "Встреча",
                          "won"])
    for i in range(6, 9):  # undeclared: Встреча → Новая (back), Новая → Встреча (skip)
        rows += _deal(i, ["Новая", "Встреча", "Новая"])
    data = history_json(str(_csv(tmp_path, rows)), "--funnel", str(funnel))
    (summary,) = data["tables"]["moves_summary"]
    assert summary["declared_backward"] == 6
    assert (summary["undeclared"], summary["backward"], summary["skips"]) == (6, 3, 3)
    assert summary["declared"] == 6 * 4 + 3 * 0
    moves = {(m["kind"], m["stage"], m["to_stage"]): m for m in data["tables"]["moves"]}
    back = moves[("backward", "Встреча", "Новая")]
    assert (back["deals"], back["declared"], back["problem"]) == (3, False, True)
    skip = moves[("skip", "Новая", "Встреча")]
    assert (skip["deals"], skip["skipped"], skip["declared"]) == (3, 1, False)
    loop = moves[("backward", "Встреча", "Квалификация")]
    assert (loop["deals"], loop["declared"], loop["problem"]) == (6, True, False)
    # Undeclared moves come first in the table.
    assert [m["declared"] for m in data["tables"]["moves"]] == [False, False, True]


def test_without_a_funnel_the_order_is_inferred_and_said_so(tmp_path: Path) -> None:
    # Names sort alphabetically the wrong way round; the deals' moves say A-stage last.
    rows: list[tuple[str, str, str]] = []
    for i in range(20):
        rows += _deal(i, ["Яркий лид", "Встреча", "Договор"] if i % 4 else
                      ["Яркий лид", "Договор"])
    rows += _deal(99, ["Договор", "Встреча"])
    path = _csv(tmp_path, rows)
    data = history_json(str(path))
    assert data["order"]["source"] == "data" and data["order"]["inferred"] is True
    assert "inferred" in data["order"]["note"]
    assert data["order"]["stages"] == {"Продажи": ["Яркий лид", "Встреча", "Договор"]}
    (summary,) = data["tables"]["moves_summary"]
    assert (summary["skips"], summary["backward"]) == (5, 1)
    assert summary["declared"] is None and summary["undeclared"] is None
    code, out, _ = run("history", str(path), "-o", str(tmp_path / "h"))
    assert code == 0
    assert "Stage order inferred from the data" in " ".join(out.split())
    html = (tmp_path / "h" / "history.html").read_text(encoding="utf-8")
    assert "Stage order inferred from the data" in html
    # history.json keeps its sentences in English as data, as its findings and verdicts
    # do, whatever --lang the text and the page are in: `order.note` followed --lang.
    for lang in ("ru", "uk"):
        note = history_json(str(path), "--lang", lang)["order"]["note"]
        assert note.startswith("Stage order inferred from the data"), (lang, note)


def test_misspelt_stage_names_get_the_closest_funnel_name(tmp_path: Path) -> None:
    funnel = tmp_path / "loop.funnel"
    funnel.write_text(LOOP, encoding="utf-8")
    rows: list[tuple[str, str, str]] = []
    for i in range(4):
        rows += _deal(i, ["Новая", "Квалификацыя", "Встреча", "won"])
    path = _csv(tmp_path, rows)
    code, out, err = run("history", str(path), "--funnel", str(funnel), "--format", "json")
    assert code == 0, err
    err = " ".join(err.split())
    line = next(i for i, t in enumerate(LOOP.splitlines(), 1) if 'stage "Квалификация"' in t)
    col = LOOP.splitlines()[line - 1].index('"Квалификация"') + 1
    assert "warning: 1 of 3 stage names of the history matches no stage of" in err
    assert (f'--> {path}:3: "Продажи"."Квалификацыя" (4 events): did you mean '
            f'"Продажи"."Квалификация" ({funnel}:{line}:{col})?') in err
    assert "= help:" in err
    names = json.loads(out)["tables"]["names"]
    assert {"what": "in data, not in funnel", "pipeline": "Продажи", "stage": "Квалификацыя",
            "rows": 4, "closest": "Продажи.Квалификация", "first_at": f"{path}:3"} in names


def test_a_funnel_of_another_account_is_an_error(tmp_path: Path) -> None:
    rows = _deal(1, ["Lead", "Call", "Offer"])
    path = _csv(tmp_path, rows)
    out_dir = tmp_path / "h"
    code, _, err = run("history", str(path), "--funnel", str(PIPELINES / "courses.funnel"),
                         "-o", str(out_dir))
    assert code == 1
    err = " ".join(err.split())
    assert "error: no stage name of the history matches a stage of" in err
    assert f'--> {path}:2: "Продажи"."Lead" (1 event): no stage of the funnel is close' in err
    assert "Traceback" not in err and not out_dir.exists()


STAGE_NAMES = ["Ярмарка", "Бриф", "Замер", "Смета", "Аванс", "Монтаж", "Акт"]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(3, 7), seed=st.integers(0, 2**32 - 1))
def test_inferred_order_is_the_order_deals_mostly_follow(tmp_path: Path, n: int,
                                                          seed: int) -> None:
    """Names shuffled (so neither their sort nor the CSV's row order gives it away), deals
    mostly step forward, some skip a stage or step back: the order inferred is the true
    one, and every skip and move back is counted as such."""
    import random

    rng = random.Random(seed)
    names = rng.sample(STAGE_NAMES, n)
    rows: list[tuple[str, str, str]] = []
    skips = backs = 0
    for i in range(60):
        path, at = [0], 0
        while at < n - 1 and len(path) < 3 * n:
            u = rng.random()
            if u < 0.1 and at > 0:
                at -= 1
                backs += 1
            elif u < 0.2 and at < n - 2:
                at += 2
                skips += 1
            else:
                at += 1
            path.append(at)
        rows += _deal(i, [names[k] for k in path])
    rng.shuffle(rows)
    data = history_json(str(_csv(tmp_path, rows)))
    assert data["order"]["inferred"] is True
    assert data["order"]["stages"] == {"Продажи": names}
    (summary,) = data["tables"]["moves_summary"]
    assert (summary["skips"], summary["backward"]) == (skips, backs)
