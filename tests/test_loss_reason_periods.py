"""The loss-reason shifts compare the same periods as the sources (issue 14, point 3): by
default the first and the last third of the cohort months old enough, `--periods` when
the consultant names them, each period's cohorts pooled. Before, the shifts compared the
first and the last single month and ignored `--periods`, so one audit compared sources
over the named months and loss reasons over others.

The history is built so every figure can be counted by hand: in each month of January
to June 2026, 20 deals come into «Заявка» on the 5th at 10:00; 10 of them reach
«Договор» an hour later, the others are lost two days after entry, «Дорого» or «Не
отвечает» in these numbers:

    month   Jan Feb Mar Apr May Jun
    Дорого    2   2   5   5   8   8
    Не отв.   8   8   5   5   2   2

One deal of June reaches «Оплата» on 1 July at 10:00, the history's last event, so
every month is old enough (June has ended for the sources too) and the follow-up is 26
days (5 June 10:00 to 1 July 10:00).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

PRICE, SILENT = "Дорого", "Не отвечает"
LOSSES = {1: (2, 8), 2: (2, 8), 3: (5, 5), 4: (5, 5), 5: (8, 2), 6: (8, 2)}
FUNNEL = """\
account "A" { language ru }
source "Сайт" 20/month -> "Продажи"."Заявка"
pipeline "Продажи" sales {
  stage "Заявка" {
    -> "Договор" 50%
    -> lost "Дорого" 25%
    -> lost "Не отвечает" 25%
  }
  stage "Договор" { -> "Оплата" }
  stage "Оплата" { -> won }
}
"""


def write_history(path: Path, with_source: bool = True) -> Path:
    """The table of the module docstring as a CSV (with a `source` column, «Сайт» for
    every deal, unless `with_source` is false)."""
    head = "deal_id,timestamp,pipeline,stage,loss_reason" + (",source" if with_source else "")
    tail = ",Сайт" if with_source else ""
    lines = [head]
    for month, (price, _silent) in LOSSES.items():
        entered = datetime(2026, month, 5, 10, tzinfo=UTC)
        for i in range(20):
            deal = f"D{month}-{i}"
            lines.append(f"{deal},{entered.isoformat()},Продажи,Заявка,{tail}")
            if i < 10:
                lines.append(f"{deal},{(entered + timedelta(hours=1)).isoformat()},"
                             f"Продажи,Договор,{tail}")
            else:
                reason = PRICE if i < 10 + price else SILENT
                lines.append(f"{deal},{(entered + timedelta(days=2)).isoformat()},"
                             f"Продажи,lost,{reason}{tail}")
    last = datetime(2026, 7, 1, 10, tzinfo=UTC)
    lines.append(f"D6-0,{last.isoformat()},Продажи,Оплата,{tail}")
    assert sum(p + s for p, s in LOSSES.values()) == 60
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tables(path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    out = CliRunner().invoke(cli, ["history", str(path), "--format", "json", *extra])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["tables"]


def by_reason(t: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["reason"]: r for r in t["loss_reason_shifts"]}


def test_by_default_the_shifts_compare_the_first_and_the_last_third(tmp_path: Path) -> None:
    """Six months old enough: two against two, January–February against May–June. Their
    losses: «Дорого» 2 + 2 = 4 of 20 against 8 + 8 = 16 of 20, of 40 deals each."""
    t = tables(write_history(tmp_path / "h.csv"))
    price = by_reason(t)[PRICE]
    assert (price["first"], price["last"]) == ("2026-01..2026-02", "2026-05..2026-06")
    assert price["first_months"] == ["2026-01", "2026-02"]
    assert price["last_months"] == ["2026-05", "2026-06"]
    assert (price["losses_first"], price["losses_last"]) == (4, 16)
    assert (price["share_first"], price["share_last"]) == (4 / 20, 16 / 20)
    assert (price["deals_first"], price["deals_last"]) == (40, 40)
    assert (price["rate_first"], price["rate_last"]) == (4 / 40, 16 / 40)
    assert abs(price["diff"] - 0.6) < 1e-12
    assert price["within_days"] == 26.0
    assert price["flagged"], price
    # The sources compare the same periods in the same audit.
    (src,) = [r for r in t["source_changes"] if r["from_stage"] == "Заявка"]
    assert (src["first"], src["last"]) == (price["first"], price["last"])


def test_periods_move_the_loss_reason_comparison_too(tmp_path: Path) -> None:
    """`--periods 2026-01..2026-03,2026-04..2026-06`: «Дорого» 2 + 2 + 5 = 9 of the 30
    losses of January–March against 5 + 8 + 8 = 21 of April–June's 30, of 60 deals each;
    «Не отвечает» 21 of 30 against 9 of 30. Both moved as shares of «Заявка»'s losses
    (p = 0.0021) and as rates per deal that reached it (p = 0.012), the same way, under
    Benjamini–Hochberg's 5 % over two reasons, so both are findings. Every loss is at
    «Заявка», so the Cochran–Mantel–Haenszel tests have one stratum: the conditional z
    test, z² = (21 − 15)² / (30·30·30·30 / (60²·59)) for the share. The sources compare
    the same periods."""
    path = write_history(tmp_path / "h.csv")
    t = tables(path, "--periods", "2026-01..2026-03,2026-04..2026-06")
    rows = by_reason(t)
    price, silent = rows[PRICE], rows[SILENT]
    for r in (price, silent):
        assert (r["first"], r["last"]) == ("2026-01..2026-03", "2026-04..2026-06")
        assert r["first_months"] == ["2026-01", "2026-02", "2026-03"]
        assert r["last_months"] == ["2026-04", "2026-05", "2026-06"]
        assert (r["deals_first"], r["deals_last"]) == (60, 60)
        assert r["within_days"] == 26.0
    assert (price["losses_first"], price["losses_last"]) == (9, 21)
    assert (price["share_first"], price["share_last"]) == (9 / 30, 21 / 30)
    assert (price["rate_first"], price["rate_last"]) == (9 / 60, 21 / 60)
    assert abs(price["diff"] - 0.4) < 1e-12
    assert price["diff_low"] < 0.4 < price["diff_high"]
    assert (silent["losses_first"], silent["losses_last"]) == (21, 9)
    assert (silent["share_first"], silent["share_last"]) == (21 / 30, 9 / 30)
    assert (price["stage"], price["stages"]) == ("Заявка", 1)
    assert abs(price["p_value"] - 0.0021230) < 1e-6 and abs(price["rate_p_value"] - 0.011760) < 1e-6
    assert price["flagged"] and silent["flagged"], rows
    (src,) = [r for r in t["source_changes"] if r["from_stage"] == "Заявка"]
    assert (src["first"], src["last"]) == ("2026-01..2026-03", "2026-04..2026-06")

    # A single month against a single month: March (5 of 10) against June (8 of 10).
    one = by_reason(tables(path, "--periods", "2026-03,2026-06"))[PRICE]
    assert (one["first"], one["last"], one["first_months"]) == ("2026-03", "2026-06",
                                                                ["2026-03"])
    assert (one["losses_first"], one["share_first"], one["losses_last"]) == (5, 0.5, 8)
    assert (one["deals_first"], one["deals_last"]) == (20, 20)


def test_the_audit_sentence_names_the_periods(tmp_path: Path) -> None:
    path = write_history(tmp_path / "h.csv")
    funnel = tmp_path / "f.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    out = CliRunner().invoke(cli, ["audit", str(funnel), str(path), "--periods",
                                   "2026-01..2026-03,2026-04..2026-06"],
                             env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    flat = " ".join(out.stdout.split())
    assert "Причина отказа «Дорого»" in flat, flat
    assert "пришедших в январе–марте 2026" in flat and "в апреле–июне 2026" in flat, flat
    out = CliRunner().invoke(cli, ["audit", str(funnel), str(path), "--format", "json",
                                   "--periods", "2026-01..2026-03,2026-04..2026-06"])
    assert out.exit_code == 0, out.output
    shifts = [f for f in json.loads(out.stdout)["findings"] if f["kind"] == "loss_reason_shift"]
    assert {f["subject"] for f in shifts} == {PRICE, SILENT}
    assert all(f["periods"] == ["2026-01..2026-03", "2026-04..2026-06"] for f in shifts)
    assert all(f["within_days"] == 26.0 for f in shifts)


def test_the_audit_sentence_gives_each_share_its_base(tmp_path: Path) -> None:
    """«Дорого» was «30% of the losses of deals that came in January–March 2026, 70% of
    those that came in April–June 2026»: of how many? Every other finding gives its
    counts; this one now says 9 of 30 and 21 of 30, as counted in the module docstring
    (January–March: 2 + 2 + 5 of 30 losses; April–June: 5 + 8 + 8 of 30)."""
    path = write_history(tmp_path / "h.csv")
    funnel = tmp_path / "f.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    periods = ["--periods", "2026-01..2026-03,2026-04..2026-06"]
    out = CliRunner().invoke(cli, ["audit", str(funnel), str(path), "--format", "json",
                                   *periods])
    assert out.exit_code == 0, out.output
    (price,) = [f for f in json.loads(out.stdout)["findings"]
                if f["kind"] == "loss_reason_shift" and f["subject"] == PRICE]
    assert ("30% of the losses at that stage of deals that came in 2026-01..2026-03 (9 of 30)"
            in price["text"])
    assert "70% of those that came in 2026-04..2026-06 (21 of 30)" in price["text"]
    out = CliRunner().invoke(cli, ["audit", str(funnel), str(path), *periods],
                             env={"NO_COLOR": "1", "COLUMNS": "200"})
    flat = " ".join(out.stdout.split())
    assert "январе–марте 2026 (9 из 30)" in flat and "апреле–июне 2026 (21 из 30)" in flat, flat


def test_periods_outside_the_data_are_a_usage_error_without_sources(tmp_path: Path) -> None:
    """Without a source column only the loss reasons read `--periods`: periods outside
    the months the deals came in are still refused, not silently ignored."""
    path = write_history(tmp_path / "h.csv", with_source=False)
    out = CliRunner().invoke(cli, ["history", str(path), "--format", "json", "--periods",
                                   "2025-01..2025-03,2026-04..2026-06"])
    assert out.exit_code == 2, out.output
    assert "outside the data" in out.output and "Traceback" not in out.output
    rows = by_reason(tables(path, "--periods", "2026-01..2026-03,2026-04..2026-06"))
    assert (rows[PRICE]["losses_first"], rows[PRICE]["losses_last"]) == (9, 21)
