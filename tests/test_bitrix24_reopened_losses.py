"""Bitrix24's loss-reason field keeps a deal's current value only: a loss the deal came
back from has no reason in the export. The furniture maker's Bitrix24 export
(tests/data/furniture_uk/generate.py, seed 7) read those losses as «Угода провалена»,
the failure stage's name: `fit` wrote `reopen "Неактуально" 0.1%` (the CSV of the same
history gives 14 of 99; now the comebacks are credited to the funnel's only reopen, 19 of
103, as for amoCRM), `history` listed «Угода провалена» as a reason the managers
chose, and the catch-all share counted them among the losses with a reason.

Every figure here is counted from the generator's own records (`truth.json`), not from
funnelc's tables."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli_once import cli_once, furniture_fit, planted
from funnelc.cli import cli

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

DATA = Path(__file__).resolve().parent / "data" / "furniture_uk"
FUNNEL = DATA / "dubok.funnel"
ENV = {"NO_COLOR": "1", "COLUMNS": "160"}
STAGE_NAME = "Угода провалена"


@pytest.fixture(scope="module")
def export() -> Path:
    """The generator's export at seed 7, shared read-only by the files that read it."""
    return planted("furniture_uk")


@pytest.fixture(scope="module")
def truth(export: Path) -> dict[str, object]:
    """What the generator recorded: every loss, whether its deal came back after it,
    and the losses whose reason the deal's field still holds (its final loss)."""
    deals = json.loads((export / "truth.json").read_text(encoding="utf-8"))
    losses, comebacks, final = [], [], []
    end = max(datetime.fromisoformat(t) for d in deals for t, _, _ in d["events"])
    for d in deals:
        ev = d["events"]
        for i, (t, stage, reason) in enumerate(ev):
            if stage != "LOSE":
                continue
            at = datetime.fromisoformat(t)
            losses.append((at, reason, d["manager"]))
            if i < len(ev) - 1:
                back = datetime.fromisoformat(ev[i + 1][0])
                comebacks.append((at, (back - at).total_seconds() / 3600, reason,
                                  d["manager"]))
            else:
                final.append(reason)
    return {"losses": losses, "comebacks": comebacks, "final": final, "end": end}


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


def _once(*args: object) -> str:
    """`_run` of a command other tests run alike on the shared export: once a session."""
    ran = cli_once(args, ENV)
    assert ran.exit_code == 0, ran.output
    return ran.output


@pytest.fixture(scope="module")
def history(export: Path) -> dict:
    ran = cli_once(["history", export / "bitrix24", "--funnel", FUNNEL, "--format", "json"],
                   ENV)
    assert ran.exit_code == 0, ran.output
    return json.loads(ran.stdout)


def test_the_export_has_the_losses_whose_reason_it_lost(truth: dict) -> None:
    # 20 losses came back: 9 before their deal was lost again, 11 whose deal was won or
    # is open (the field empty). Of them 15 were «Неактуально» and 5 «Інше».
    comebacks = truth["comebacks"]
    assert len(comebacks) == 20
    assert sorted(r for *_, r, _ in comebacks).count("Неактуально") == 15
    assert len(truth["final"]) == 1002 and None not in truth["final"]


def test_history_names_them_reason_not_kept_not_the_failure_stage(
        history: dict, truth: dict) -> None:
    tables = history["tables"]
    reasons = {r["reason"] for name in ("losses", "comebacks", "loss_reasons_by")
               for r in tables[name]}
    assert STAGE_NAME not in reasons
    assert "(reason not kept)" in reasons and "(no reason)" not in reasons
    # All 20 are losses at «Замір» (the only stage the generator reopens from).
    unkept = [r for r in tables["losses"] if r["reason"] == "(reason not kept)"]
    assert [(r["stage"], r["deals"]) for r in unkept] == [("Замір", 20)]
    # By manager: Тарас Мельник, who closes lukewarm deals that come back, has most.
    mine = {r["group"]: r["deals"] for r in tables["loss_reasons_by"]
            if r["dimension"] == "manager" and r["reason"] == "(reason not kept)"}
    expected: dict[str, int] = {}
    for *_, manager in truth["comebacks"]:
        expected[manager] = expected.get(manager, 0) + 1
    assert mine == expected and mine["Тарас Мельник"] == 15
    # The English note in history.json says how many and why.
    notes = history["quality"]["notes"]
    assert ("Bitrix24 history: 20 losses have no reason in the export: their deals were "
            "reopened, and the deal field UF_CRM_1712345678 “Причина відмови” keeps only a "
            "deal's current reason") in " ".join(notes)
    assert any("filled on 1,002 of 1,002 losses" in n for n in notes)


def test_comebacks_whose_reason_is_not_kept_have_no_share(history: dict, export: Path
                                                          ) -> None:
    """Regression: every «(reason not kept)» row of the comebacks read «share 100%» (its
    losses are only the ones that came back, the only losses without a reason), while
    20 of 1,022 losses came back. The share is null there and the table says why."""
    rows = [r for r in history["tables"]["comebacks"] if r["reason"] == "(reason not kept)"]
    assert sum(r["came_back"] for r in rows) == 20
    assert rows and all(r["came_back_pct"] is None for r in rows)
    out = _once("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "en")
    assert ("that row counts only the losses that came back, and a share of them would "
            "always read 100%") in " ".join(out.split())
    table = out[out.index("Losses that came back"):out.index("Stages where deals pile")]
    assert not [line for line in table.splitlines() if "│" in line and "100%" in line]


def test_catch_all_share_is_among_the_losses_whose_reason_was_kept(
        history: dict, truth: dict) -> None:
    # «Інше» on 280 of the 1,002 final losses (27.94 %), as on 285 of all 1,022 (the
    # 20 not kept hold 5 more): before, 280 of 1,022, the 20 counted as reasons given.
    final = truth["final"]
    (row,) = history["tables"]["loss_reasons_missing"]
    assert (row["losses"], row["catch_all"], row["no_reason"], row["not_kept"]) == (
        len(final), final.count("Інше"), 0, len(truth["comebacks"]))
    assert (row["losses"], row["catch_all"]) == (1002, 280)
    assert row["share"] == pytest.approx(280 / 1002)


def test_audit_catch_all_finding_counts_the_kept_reasons(export: Path) -> None:
    text = " ".join(_once("audit", FUNNEL, export / "bitrix24", "--lang",
                          "uk").split()).replace("\u00a0", " ")
    assert "27,94% відмов у воронці «Продажі» (усього 1 002) без причини або з причиною-кошиком" in text
    assert STAGE_NAME not in text


@pytest.fixture(scope="module")
def fitted() -> tuple[Path, str]:
    """The fitted funnel and the fit's report as one line of words (`furniture_fit`, the
    one fit of the shared export that tests/test_fit_forecast_furniture_uk.py and
    tests/test_amocrm_reopened_losses.py read too)."""
    ran = furniture_fit()
    return ran.path("fitted.funnel"), " ".join(ran.stderr.replace("\u00a0", " ").split())


def _credited(truth: dict) -> tuple[int, int, int]:
    """The funnel's only reopen «Неактуально» credited with every comeback (none has its
    reason in the export): of the losses old enough to have come back (H = the larger of
    7 days and the 95th percentile of the comeback delays), those that did, over the kept
    «Неактуально» losses and the credited comebacks' losses; and how many of those
    comebacks were truly «Неактуально»."""
    delays = [h for _, h, _, _ in truth["comebacks"]]
    cutoff = truth["end"] - timedelta(hours=max(7 * 24.0, float(np.quantile(delays, 0.95))))
    came = [r for at, _, r, _ in truth["comebacks"] if at <= cutoff]
    comebacks = {(at, r) for at, _, r, _ in truth["comebacks"]}
    kept = sum(1 for at, r, _ in truth["losses"] if at <= cutoff and r == "Неактуально"
               and (at, r) not in comebacks)
    return len(came), kept + len(came), came.count("Неактуально")


def test_fit_credits_the_comebacks_to_the_funnels_only_reopen(fitted: tuple[Path, str],
                                                              truth: dict) -> None:
    # The funnel declares one reopen in «Продажі», «Неактуально» -> «Замір»: in its model
    # only that reason comes back, so every comeback (its reason not kept) is credited to
    # it and its loss counted among «Неактуально»'s: 19 of 103 (84 kept + 19), 18.4 %,
    # not 0.1 % from the one comeback whose reason was read. The truth is 14 of the 19:
    # 5 were «Інше», which the funnel does not say comes back, so the share is too high
    # (the CSV gives 14 of 99, 14.1 %, inside the interval 12.1-27.0 %); the warning says
    # so, with the share the data tells whatever the reasons.
    path, text = fitted
    written = path.read_text(encoding="utf-8")
    assert _credited(truth) == (19, 103, 14)
    assert 'reopen "Неактуально" 18.4% after' in written
    assert STAGE_NAME not in written and STAGE_NAME not in text
    lost = sum(1 for at, _, _ in truth["losses"]
               if at <= truth["end"] - timedelta(hours=max(7 * 24.0, float(np.quantile(
                   [h for _, h, _, _ in truth["comebacks"]], 0.95)))))
    assert lost == 809
    assert ("попередження: Продажі: у 20 відмов, що повернулися, у вивантаженні немає причини "
            "(CRM зберігає лише поточну причину угоди); кожну зараховано поверненню воронки в "
            "етап, куди повернулася угода (або єдиному поверненню воронки), і враховано серед "
            "відмов цієї причини, бо за воронкою повертаються лише оголошені в ній причини: "
            "якщо поверталися й угоди, втрачені з інших причин, ці частки завищені; з усіх "
            "відмов, які вже могли повернутися, повернулося 19 з 809 (2,3%)") in text
    flat = " ".join(text.replace("│", " ").split())
    assert "Продажі Неактуально 103 19 18,4% 12,1%–27% Замір" in flat


def test_fit_json_has_the_credited_share() -> None:
    # fit --format json carries the credited comebacks: 20 (19 old enough), no share
    # withheld (not_kept 0: the funnel's only reopen tells whose they are). The JSON of
    # the shared fit (`furniture_fit`: -o adds the fitted file, the JSON is the same).
    doc = json.loads(furniture_fit().stdout)
    (reopen,) = doc["reopens"]
    assert (reopen["reason"], reopen["not_kept"], reopen["credited"], reopen["back"],
            reopen["lost"]) == ("Неактуально", 0, 20, 19, 103)
    assert reopen["share"] == pytest.approx(19 / 103)
    assert ("Продажі: 20 losses that came back have no reason in the export (the CRM keeps "
            "only a deal's current reason); each is credited to the funnel's reopen into the "
            "stage it came back to (or the pipeline's only reopen) and counted among that "
            "reason's losses, as the funnel says only its declared reasons come back: if deals "
            "lost for other reasons came back too, those shares are too high; of all the "
            "losses old enough to have come back, 19 of 809 did (2.3%)") in " ".join(
                doc["warnings"])


def test_fit_on_the_csv_of_the_same_history_still_fits_the_share(export: Path,
                                                                tmp_path: Path) -> None:
    # The CSV keeps each loss's reason: «Неактуально» 14 of 99 came back, 14.1 %.
    out = tmp_path / "fitted_csv.funnel"
    text = _run("fit", "--funnel", str(FUNNEL), str(export / "history.csv"), "-o", str(out))
    flat = " ".join(text.replace("│", " ").replace("\u00a0", " ").split())
    assert "Продажі Неактуально 99 14 14,1%" in flat
    assert 'reopen "Неактуально" 14.1% after' in out.read_text(encoding="utf-8")


def test_fit_notes_group_counts_of_a_thousand_and_more(export: Path, tmp_path: Path) -> None:
    # «Продажі.Нова заявка: 1496 переходів → «Кваліфіковано»…» beside «1 528 подій»: a
    # count in a note was written without the language's grouping.
    rows = list(csv.DictReader((export / "history.csv").open(encoding="utf-8")))
    doubled = tmp_path / "double.csv"
    with doubled.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "deal_id": r["deal_id"] + k} for k in ("", "b") for r in rows)
    renamed = tmp_path / "renamed.funnel"
    renamed.write_text(FUNNEL.read_text(encoding="utf-8").replace("Кваліфіковано",
                                                                  "Кваліфікація"),
                       encoding="utf-8")
    # One fit gives both languages: with --format json the report (Ukrainian, the
    # funnel's language) goes to stderr, and the JSON's notes are the same notes in
    # English, word for word what `--lang en` prints after «note: ».
    result = CliRunner().invoke(cli, ["fit", "--funnel", str(renamed), str(doubled),
                                      "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    uk = " ".join(result.stderr.replace("\u00a0", " ").split())
    assert ("примітка: Продажі.Нова заявка: 1 496 переходів → «Кваліфіковано» — такого етапу "
            "у воронці немає; не записано") in uk
    assert "у даних, але не у воронці: Продажі.Кваліфіковано (1 528 подій)" in uk
    en = " ".join(" ".join(json.loads(result.stdout)["notes"]).split())
    assert ("Продажі.Нова заявка: 1,496 moves -> Кваліфіковано, a stage the funnel does "
            "not have; not written") in en
    # No other count of four digits or more is left ungrouped (dates, paths and line
    # numbers aside).
    rest = re.sub(r"20\d\d-\d\d(-\d\d)?|:\d+", "", uk.replace(str(tmp_path), ""))
    assert not re.search(r"(?<![\d ,.])\d{4,}(?![\d-])", rest)
