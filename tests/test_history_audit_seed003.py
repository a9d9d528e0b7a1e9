"""Issue 14, point 2, on seed 003's story: qualification fell 44.62 % (July) → 12.04 %
(October); sales blamed the leads, marketing blamed sales, and the audit found «в
отделе маркетинга … проблема с неправильной настройкой рекламы».

The fixture reproduces the article's table exactly (leads, directly qualified and
returned leads per month, as tests/test_history_seed003.py) and splits the leads over
two sources: the site, steady at 200 leads and 90 qualified a month, and the
advertising, whose volume grew while its leads got worse. The decomposition must say
the rate effect dominates and name the advertising source; the source table must flag
the advertising and not the site."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

NEW, QUAL = "Новый лид", "Лид квалифицирован"
SITE, ADS = "Сайт", "Реклама (Яндекс.Директ)"
# month → (leads, qualified directly, lost then brought back and qualified): the article.
MONTHS = {7: (650, 290, 19), 8: (734, 243, 7), 9: (1148, 150, 4), 10: (972, 117, 5)}
WAS = {"2018-07": 44.62, "2018-08": 33.11, "2018-09": 13.07, "2018-10": 12.04}
SITE_LEADS, SITE_QUALIFIED = 200, 90


def write_fixture(path: Path, seed: int = 3) -> Path:
    rng = random.Random(seed)
    lines = ["deal_id,timestamp,pipeline,stage,source,loss_reason,value"]
    deal = 0
    for month, (n, k, back) in MONTHS.items():
        first = datetime(2018, month, 1, tzinfo=UTC)
        days = (datetime(2018, month + 1, 1, tzinfo=UTC) - first).days
        # (source, qualified, brought back) per lead: the site's share is fixed.
        leads = ([(SITE, True, False)] * SITE_QUALIFIED
                 + [(SITE, False, False)] * (SITE_LEADS - SITE_QUALIFIED)
                 + [(ADS, True, False)] * (k - SITE_QUALIFIED)
                 + [(ADS, False, True)] * back
                 + [(ADS, False, False)] * (n - SITE_LEADS - (k - SITE_QUALIFIED) - back))
        rng.shuffle(leads)
        for src, qualified, returned in leads:
            deal += 1
            t0 = first + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
            t1 = t0 + timedelta(minutes=rng.uniform(5, 60))
            lines.append(f"L{deal},{t0.isoformat()},Квалификация,{NEW},{src},,150000")
            if qualified:
                lines.append(f"L{deal},{t1.isoformat()},Квалификация,{QUAL},{src},,150000")
                lines.append(f"L{deal},{(t1 + timedelta(hours=2)).isoformat()},Квалификация,"
                             f"won,{src},,150000")
                continue
            reason = "Нецелевой запрос" if returned else rng.choice(
                ("Неверный номер", "Спам", "Нецелевой запрос", "Не дозвонились"))
            lines.append(f"L{deal},{t1.isoformat()},Квалификация,lost,{src},{reason},150000")
            if returned:
                t2 = t1 + timedelta(days=rng.uniform(3, 20))
                lines.append(f"L{deal},{t2.isoformat()},Квалификация,{QUAL},{src},,150000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = write_fixture(tmp_path_factory.mktemp("seed003") / "leads.csv")
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["tables"]


def test_fixture_reproduces_the_article_table(data: dict) -> None:
    conv = {r["month"]: r["direct_pct"] for r in data["conversion"]
            if (r["from_stage"], r["to_stage"]) == (NEW, QUAL)}
    for month, pct in WAS.items():
        assert round(conv[month], 2) == pct, month


def test_decomposition_names_the_advertising_source(data: dict) -> None:
    # Four months old enough: a third of them is one, so by default July against
    # October, the article's own months (290 of 650 against 117 of 972).
    (row,) = [r for r in data["decomposition"] if (r["from_stage"], r["to_stage"]) == (NEW, QUAL)]
    assert (row["first"], row["last"]) == ("2018-07", "2018-10")
    assert (row["first_months"], row["last_months"]) == (["2018-07"], ["2018-10"])
    assert row["rate_first"] == pytest.approx(290 / 650)
    assert row["rate_last"] == pytest.approx(117 / 972)
    assert round(100 * row["rate_first"], 2) == 44.62 and round(100 * row["rate_last"], 2) == 12.04
    assert row["top_source_flagged"] is True
    # Kitagawa: mix and rate add up to the change.
    assert row["mix_effect"] + row["rate_effect"] == pytest.approx(row["change"], abs=1e-12)
    assert row["dominant"] == "rate" and row["top_source"] == ADS
    assert f"“{ADS}”" in row["verdict"] and "marketing" in row["verdict"]
    assert "rate effect" in row["verdict"]


def test_source_changes_flag_the_advertising_not_the_site(data: dict) -> None:
    flagged = {r["source"] for r in data["source_changes"] if r["flagged"]}
    assert flagged == {ADS}
    site = next(r for r in data["source_changes"] if r["source"] == SITE)
    assert site["rate_first"] == site["rate_last"] == SITE_QUALIFIED / SITE_LEADS


def test_named_blocks_pool_their_months(tmp_path: Path) -> None:
    # --periods may set adjacent halves against each other: July–August's 533 of 1,384
    # against September–October's 267 of 2,120, still the advertising's fall.
    path = write_fixture(tmp_path / "leads.csv")
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json", "--periods",
                                      "2018-07..2018-08,2018-09..2018-10"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    (row,) = [r for r in json.loads(result.stdout)["tables"]["decomposition"]
              if (r["from_stage"], r["to_stage"]) == (NEW, QUAL)]
    assert (row["first"], row["last"]) == ("2018-07..2018-08", "2018-09..2018-10")
    assert (row["first_months"], row["last_months"]) == (["2018-07", "2018-08"],
                                                         ["2018-09", "2018-10"])
    assert row["rate_first"] == pytest.approx((290 + 243) / (650 + 734))
    assert row["rate_last"] == pytest.approx((150 + 117) / (1148 + 972))
    assert row["dominant"] == "rate" and row["top_source"] == ADS
    assert f"“{ADS}”" in row["verdict"] and "marketing" in row["verdict"]
