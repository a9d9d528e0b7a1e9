"""amoCRM keeps a lead's current loss reason only, as Bitrix24's loss-reason field does a
deal's: a loss the lead came back from has no reason in the export. The amoCRM reader
left it without a reason, so `history`/`audit` counted it as «(no reason)» and it swelled
the finding «N % of losses have no reason — managers do not fill it in»; Bitrix24's
reader marks it «(reason not kept)» and keeps it out of that share. Both CRMs are now
read alike, and `fit` credits their comebacks by one rule: to the funnel's only reopen in
the pipeline (or the only one into the stage the deal came back to), and to none where
several reopens lead to that stage.

The hand-made history's figures are counted by hand below; the furniture maker's
(tests/data/furniture_uk/generate.py, seed 7) from its generator's truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from cli_once import furniture_fit, planted
from funnelc.cli import cli
from funnelc.history.load import load_history
from history_formats import write_amocrm, write_csv

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

ENV = {"NO_COLOR": "1", "COLUMNS": "160"}
FURNITURE = Path(__file__).resolve().parent / "data" / "furniture_uk"
FUNNEL = FURNITURE / "dubok.funnel"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _history() -> pl.DataFrame:
    """35 leads of «Продажи», one a day, each lost a day after it entered «Заявка»:
    * 20 lost «Дорого»;
    * 6 lost with no reason given;
    * 4 lost «Не отвечает», back in «Заявка» 5 days later, lost «Дорого» again
      (amoCRM keeps «Дорого»: the first loss's reason is not kept);
    * 3 lost «Не отвечает», back 5 days later and won (amoCRM keeps «Не отвечает», the
      last loss's);
    * 2 lost with no reason, back 5 days later and won (no reason kept: the reader
      cannot tell a reason cleared on reopening from one never given)."""
    rows: list[tuple[str, datetime, str, str, str | None]] = []

    def lead(i: int, *steps: tuple[int, str, str | None]) -> None:
        start = T0 + timedelta(days=i)
        rows.append((f"L{i:02d}", start, "Заявка", "stage", None))
        for day, kind, reason in steps:
            rows.append((f"L{i:02d}", start + timedelta(days=day),
                         "Заявка" if kind == "stage" else kind, kind, reason))

    i = 0
    for reason, n in (("Дорого", 20), (None, 6)):
        for _ in range(n):
            lead(i, (1, "lost", reason))
            i += 1
    for _ in range(4):
        lead(i, (1, "lost", "Не отвечает"), (6, "stage", None), (7, "lost", "Дорого"))
        i += 1
    for _ in range(3):
        lead(i, (1, "lost", "Не отвечает"), (6, "stage", None), (8, "won", None))
        i += 1
    for _ in range(2):
        lead(i, (1, "lost", None), (6, "stage", None), (8, "won", None))
        i += 1
    return pl.DataFrame(rows, schema={"deal_id": pl.Utf8, "ts": pl.Datetime("us", "UTC"),
                                      "stage": pl.Utf8, "kind": pl.Utf8,
                                      "loss_reason": pl.Utf8}, orient="row").with_columns(
        pipeline=pl.lit("Продажи"), value=pl.lit(10000.0), source=pl.lit("Сайт"))


def _history_json(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_amocrm_no_reason_share_leaves_out_the_losses_whose_reason_was_not_kept(
        tmp_path: Path) -> None:
    # amoCRM: 39 losses (20 + 6 + 4 x 2 + 3 + 2). Not kept: the 4 first losses of the
    # leads lost twice and the 2 reopened without a reason, 6. Kept: 33, of them 6
    # without a reason: 6 / 33 = 18.18 % (before: 12 of 39 «(no reason)», 30.77 %).
    doc = _history_json(write_amocrm(_history(), tmp_path / "amo"))
    (row,) = doc["tables"]["loss_reasons_missing"]
    assert (row["losses"], row["no_reason"], row["catch_all"], row["not_kept"]) == (33, 6, 0, 6)
    assert row["share"] == pytest.approx(6 / 33)
    by_reason = {r["reason"]: r["deals"] for r in doc["tables"]["losses"]}
    assert by_reason == {"Дорого": 24, "(no reason)": 6, "(reason not kept)": 6,
                         "Не отвечает": 3}
    assert any(n.startswith("amoCRM events and leads: 6 losses have no reason in the export: "
                            "their deals were reopened, and the deal field loss_reason_id "
                            "keeps only a deal's current reason") for n in doc["quality"]["notes"])


def test_csv_of_the_same_history_keeps_every_losss_reason(tmp_path: Path) -> None:
    # A CSV keeps each loss's reason: 39 losses, 8 without one (the 6 and the 2 reopened),
    # none «not kept»: 8 / 39 = 20.51 %.
    doc = _history_json(write_csv(_history(), tmp_path / "deals.csv"))
    (row,) = doc["tables"]["loss_reasons_missing"]
    assert (row["losses"], row["no_reason"], row["not_kept"]) == (39, 8, 0)
    assert row["share"] == pytest.approx(8 / 39)
    assert not any("reason not kept" in r["reason"] for r in doc["tables"]["losses"])


def test_history_names_them_in_the_clients_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["history", str(write_amocrm(_history(), tmp_path / "a")),
                                      "--lang", "ru"], env=ENV)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "причина не сохранена" in text
    assert "у 6 отказов в выгрузке нет причины: их сделки открыли заново" in text


# ---------------------------------------------------------------- fit: one rule for both CRMs
@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The furniture maker's history as its Bitrix24 export (the generator's, shared
    read-only: `planted`) and as an amoCRM export of the same events (from the CSV, which
    keeps every reason; a lead reopened has its reason cleared, as the Bitrix24 deals'
    field is)."""
    out = planted("furniture_uk")
    events = load_history([str(out / "history.csv")]).events
    amo = write_amocrm(events, tmp_path_factory.mktemp("furniture") / "amocrm",
                       reopen_clears_reason=True)
    return {"bitrix24": out / "bitrix24", "amocrm": amo}


def _fit(funnel: Path, history: Path, out: Path) -> tuple[dict, str]:
    result = CliRunner().invoke(cli, ["fit", "--funnel", str(funnel), str(history),
                                      "--format", "json", "-o", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return doc, out.read_text(encoding="utf-8")


def _reopen_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("reopen ")]


def _comeback_warnings(doc: dict) -> list[str]:
    return [w for w in doc["warnings"] if "came back" in w]


def test_fit_credits_both_crms_comebacks_to_the_only_reopen_alike(
        exports: dict[str, Path], tmp_path: Path) -> None:
    # 20 losses came back, none with its reason in either export; the funnel's only
    # reopen in «Продажі», «Неактуально» -> «Замір», is credited with all of them: 19
    # old enough, over its 84 kept losses and those 19, 18.4 %. Truth (the CSV): 14 of
    # 99, 14.1 % (tests/test_bitrix24_reopened_losses.py fits the CSV) — 5 of the 19 were
    # «Інше», which the warning says would make it too high.
    # The Bitrix24 export's fit is the session's one (`furniture_fit`: the same command,
    # `fit --funnel dubok.funnel <export>/bitrix24 --format json -o …`, with ENV).
    shared = furniture_fit()
    bx = json.loads(shared.stdout)
    bx_text = shared.path("fitted.funnel").read_text(encoding="utf-8")
    amo, amo_text = _fit(FUNNEL, exports["amocrm"], tmp_path / "amocrm.funnel")
    assert _reopen_lines(bx_text) == _reopen_lines(amo_text)
    assert _reopen_lines(bx_text)[0].startswith('reopen "Неактуально" 18.4% after')
    for doc in (bx, amo):
        (ro,) = doc["reopens"]
        assert (ro["lost"], ro["back"], ro["credited"], ro["not_kept"]) == (103, 19, 20, 0)
    assert _comeback_warnings(bx) == _comeback_warnings(amo)
    (warning,) = _comeback_warnings(bx)
    assert "if deals lost for other reasons came back too, those shares are too high" in warning
    assert "of all the losses old enough to have come back, 19 of 809 did (2.3%)" in warning


def test_fit_writes_no_share_for_reopens_the_data_cannot_tell_apart(
        exports: dict[str, Path], tmp_path: Path) -> None:
    # The same funnel with a second reopen into «Замір», «Інше»: each of the 20 comebacks
    # (all into «Замір») may be either's. Both CRMs: no share for either (the funnel's
    # kept), the same warning naming both.
    funnel = tmp_path / "two.funnel"
    funnel.write_text(FUNNEL.read_text(encoding="utf-8").replace(
        '  reopen "Неактуально" 10% after exp(10d) -> "Замір"\n',
        '  reopen "Неактуально" 10% after exp(10d) -> "Замір"\n'
        '  reopen "Інше" 5% after exp(10d) -> "Замір"\n'), encoding="utf-8")
    fits = {crm: _fit(funnel, exports[crm], tmp_path / f"{crm}.funnel")
            for crm in ("bitrix24", "amocrm")}
    (bx, bx_text), (amo, amo_text) = fits["bitrix24"], fits["amocrm"]
    assert _reopen_lines(bx_text) == _reopen_lines(amo_text) == [
        'reopen "Неактуально" 10% after exp(10d) -> "Замір"',
        'reopen "Інше" 5% after exp(10d) -> "Замір"']
    for doc in (bx, amo):
        assert [(r["reason"], r["not_kept"], r["share"]) for r in doc["reopens"]] == [
            ("Неактуально", 20, None), ("Інше", 20, None)]
    assert _comeback_warnings(bx) == _comeback_warnings(amo) == [
        "Продажі: 20 losses that came back have no reason in the export (the CRM keeps only "
        "a deal's current reason) and came back to a stage several of the funnel's reopens "
        "lead to (Інше, Неактуально): the data cannot tell whose they are, so no share is "
        "written for them (the funnel's reopen shares are kept); of all the losses old enough "
        "to have come back, 19 of 809 did (2.3%); to fit them, export the loss-reason field's "
        "history or a CSV with each loss's reason"]
