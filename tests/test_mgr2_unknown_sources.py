"""Deals with no source are no source (issue 14, point 2: «marketing or sales?»). A CRM
that starts recording sources mid-history had its first period's deals all «(no
source)», counted as one more source that shrank: the decomposition read the fall as
«mostly a different mix of sources … source «Реклама» accounts for −12.5 pp of it — a
marketing matter» and the audit listed it as a finding, though what the first period's
leads were is unknown. Now no mix or rate verdict is given, nor a finding, where deals
with no source make up a fifth of either period or carry more of the change than any
source; and «(no source)» is never the source named.

The histories are written here with their truth known: «Заявка» → «Встреча», January
to June."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from funnelc.cli import cli

Month = list[tuple[str, int, int]]
"""(source, deals, of them reaching «Встреча»); "" for no source."""


def write_history(path: Path, months: list[Month]) -> None:
    lines = ["deal_id,timestamp,stage,source"]
    n = 0
    for m, cells in enumerate(months, start=1):
        start = datetime(2026, m, 1, 9, tzinfo=UTC)
        i = 0
        for source, deals, won in cells:
            for j in range(deals):
                n += 1
                i += 1
                t = start + timedelta(hours=i)
                lines.append(f"D{n},{t.isoformat()},Заявка,{source}")
                lines.append(f"D{n},{(t + timedelta(days=2)).isoformat()},"
                             f"{'Встреча' if j < won else 'lost'},{source}")
    lines.append(f"Z,{datetime(2026, 9, 1, tzinfo=UTC).isoformat()},Заявка,Сайт")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(path: Path, lang: str = "en") -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json", "-q",
                                      "--lang", lang], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["tables"]  # type: ignore[no-any-return]


def _pair(tables: dict[str, Any]) -> dict[str, Any]:
    (row,) = [r for r in tables["decomposition"] if r["from_stage"] == "Заявка"]
    return row  # type: ignore[no-any-return]


def test_sources_recorded_from_may_give_no_mix_verdict(tmp_path: Path) -> None:
    # January to April: 200 deals, 100 reach «Встреча», no source written. May and
    # June: «Реклама» 100 deals, 30 reach it; «Сайт» 100, 50. The first period's
    # sources are unknown, so nothing says the mix moved.
    unknown: Month = [("", 200, 100)]
    known: Month = [("Реклама", 100, 30), ("Сайт", 100, 50)]
    write_history(tmp_path / "h.csv", [unknown] * 4 + [known] * 2)
    tables = _run(tmp_path / "h.csv")
    row = _pair(tables)
    assert (row["unknown_first"], row["unknown_last"]) == (1.0, 0.0)
    assert row["rate_first"] == 0.5 and row["rate_last"] == 0.4
    assert row["top_source"] != "(no source)"
    assert "have no source, too many to split the change" in row["verdict"]
    assert "marketing matter" not in row["verdict"] and "Реклама" not in row["verdict"]
    kinds = [f["kind"] for f in tables["findings"]]
    assert "source_mix" not in kinds and "source_rate" not in kinds
    for lang, said in (("ru", "без источника 100% сделок в январе–феврале 2026 и 0% в мае–июне"),
                       ("uk", "без джерела 100% угод у січні–лютому 2026 і 0% у травні–червні")):
        result = CliRunner().invoke(cli, ["history", str(tmp_path / "h.csv"), "--lang", lang],
                                    env={"NO_COLOR": "1", "COLUMNS": "600"})
        lines = result.stdout.replace("\xa0", " ").splitlines()
        at = next(i for i, x in enumerate(lines) if "Заявка» → «Встреча»" in x)
        end = next(i for i in range(at, len(lines)) if lines[i].startswith("└"))
        # The verdict, the table's last column, wrapped over its rows.
        line = " ".join(x.split("│")[-2].strip() for x in lines[at:end])
        assert said in line and "Реклама" not in line


def test_a_few_deals_with_no_source_that_carry_the_fall_are_not_a_source(
        tmp_path: Path) -> None:
    # «Сайт» converts at 50 % throughout, «Реклама» at 40 %; deals with no source,
    # converting at 10 %, grow from 30 to 114 of 600 a month (5 % → 19 %, under a
    # fifth): they carry the mix effect, and were named as the source «(no source)».
    first: Month = [("", 30, 3), ("Сайт", 400, 200), ("Реклама", 170, 68)]
    last: Month = [("", 114, 12), ("Сайт", 340, 170), ("Реклама", 146, 58)]
    write_history(tmp_path / "h.csv", [first] * 3 + [last] * 3)
    row = _pair(_run(tmp_path / "h.csv"))
    assert (row["unknown_first"], row["unknown_last"]) == (0.05, 0.19)
    assert row["top_source"] != "(no source)"
    assert "(no source)" not in row["verdict"] and "marketing matter" not in row["verdict"]
    assert "have no source" in row["verdict"]


def test_a_steady_share_of_deals_with_no_source_keeps_the_verdict(tmp_path: Path) -> None:
    # One deal in ten has no source in every month, converting as the others do; from
    # May «Реклама» grows and converts worse: the mix verdict names it, as before.
    first: Month = [("", 20, 9), ("Реклама", 40, 16), ("Сайт", 140, 70)]
    last: Month = [("", 20, 9), ("Реклама", 120, 48), ("Сайт", 60, 30)]
    write_history(tmp_path / "h.csv", [first] * 3 + [last] * 3)
    tables = _run(tmp_path / "h.csv")
    row = _pair(tables)
    assert row["unknown_first"] == row["unknown_last"] == 0.1
    assert row["top_source"] == "Реклама" and "have no source" not in row["verdict"]


def test_deals_with_no_source_converting_worse_are_no_source_finding(tmp_path: Path) -> None:
    # Half the deals have no source throughout; theirs fall from 60 % to 15 %, «Сайт»
    # stays at 60 %. The table keeps their row, flagged; the findings name no source
    # «(no source)» whose leads «got worse», and the verdict, with one source named,
    # names that one («the history names one source, «(no source)»» before).
    first: Month = [("", 120, 72), ("Сайт", 120, 72)]
    last: Month = [("", 120, 18), ("Сайт", 120, 72)]
    write_history(tmp_path / "h.csv", [first] * 3 + [last] * 3)
    tables = _run(tmp_path / "h.csv")
    (row,) = [r for r in tables["source_changes"] if r["source"] == "(no source)"]
    assert row["flagged"] and (row["rate_first"], row["rate_last"]) == (0.6, 0.15)
    assert not [f for f in tables["findings"] if f["kind"].startswith("source")]
    verdict = _pair(tables)["verdict"]
    assert "names one source, “Сайт”" in verdict and "(no source)" not in verdict
