"""The source the marketing-or-sales verdict names carried the effect the way the rate
moved, and the mix finding says what that source did (issue 14, point 2).

A mix effect that lowers the rate has two kinds of source behind it: one that grew
converting worse than the average, and one that shrank converting better. Both are
named (docs/audit.md), but the finding said «more leads from worse sources, “Сайт”
most» of a site that converts 70 % against the other source's 40 % and whose share
fell from a half to a sixth: read as the site's leads being the bad ones. And the source
named was the one with the largest part whatever its sign: a fall of the rate was
pinned on the one source that converted better («accounts for +15 pp of it — a
marketing matter: look at that source's leads first»).

Histories written here with their truth known: one stage pair, «Заявка» → «Встреча»,
six months, every deal decided within hours; January–February against May–June."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.analytics import analyse
from funnelc.history.audit import run_audit
from funnelc.history.audit_render import finding_text
from funnelc.history.load import load_history
from funnelc.i18n import translator

Plan = dict[str, tuple[tuple[int, int], tuple[int, int]]]
"""Source → (deals, of them reaching «Встреча») a month in January–April, then in
May–June."""


def write_history(path: Path, plan: Plan) -> None:
    """Every deal enters «Заявка» and, 2 hours later, moves on or is lost; a deal in
    August lets June's deals be judged."""
    lines = ["deal_id,timestamp,stage,source"]
    n = 0
    for m in range(1, 7):
        for src, (early, late) in plan.items():
            deals, good = early if m <= 4 else late
            for i in range(deals):
                n += 1
                t = datetime(2026, m, 1, 9, tzinfo=UTC) + timedelta(minutes=157 * i)
                nxt = "Встреча" if i < good else "lost"
                lines += [f"D{n},{t.isoformat()},Заявка,{src}",
                          f"D{n},{(t + timedelta(hours=2)).isoformat()},{nxt},{src}"]
    lines.append(f"Z,{datetime(2026, 8, 20, tzinfo=UTC).isoformat()},Заявка,{next(iter(plan))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def history(tmp_path: Path, plan: Plan) -> dict:  # type: ignore[type-arg]
    """`funnelc history`'s JSON tables of the history `plan` describes."""
    write_history(tmp_path / "history.csv", plan)
    result = CliRunner().invoke(cli, ["history", str(tmp_path / "history.csv"), "--format",
                                      "json", "-q"], env={"NO_COLOR": "1"})
    return json.loads(result.stdout)["tables"]  # type: ignore[no-any-return]


def test_a_better_source_that_shrank_is_said_to_have_shrunk(tmp_path: Path) -> None:
    # «Сайт» 70 %, «Реклама» 40 % throughout; the site's share falls from 1/2 to 1/6.
    plan: Plan = {"Сайт": ((90, 63), (40, 28)), "Реклама": ((90, 36), (200, 80))}
    tables = history(tmp_path, plan)
    (row,) = tables["decomposition"]
    r1, r2 = (126 + 72) / 360, (56 + 160) / 480
    centre = (r1 + r2) / 2
    site = (80 / 480 - 180 / 360) * (0.7 - centre)
    ads = (400 / 480 - 180 / 360) * (0.4 - centre)
    assert abs(row["mix_effect"] - (site + ads)) < 1e-12 and abs(row["rate_effect"]) < 1e-12
    assert row["dominant"] == "mix" and row["top_source"] == "Сайт"
    assert abs(row["top_source_mix_effect"] - site) < 1e-12
    assert (row["top_source_entered_first"], row["top_source_entered_last"]) == (180, 80)
    (finding,) = [f for f in tables["findings"] if f["kind"] == "source_mix"]
    assert "fewer leads from better sources, “Сайт” most (its deals: 180 of 360, then 80 " \
           "of 480)" in finding["finding"]
    assert "more leads from worse sources" not in finding["finding"]
    audit = run_audit(analyse(load_history([str(tmp_path / "history.csv")])))
    (mix,) = [f for f in audit.findings if f.kind == "source_mix"]
    assert "меньше заявок из лучших источников, прежде всего из «Сайт» (его сделки: 180 " \
           "из 360, затем 80 из 480)" in finding_text(mix, translator("ru"))
    assert "менше заявок з кращих джерел, передусім з «Сайт» (його угоди: 180 з 360, " \
           "потім 80 з 480)" in finding_text(mix, translator("uk"))


def test_a_worse_source_that_grew_keeps_its_sentence(tmp_path: Path) -> None:
    # The same rates; «Реклама» is the source farther from the average and so named.
    plan: Plan = {"Сайт": ((150, 105), (150, 105)), "Реклама": ((50, 20), (250, 100))}
    tables = history(tmp_path, plan)
    (row,) = tables["decomposition"]
    assert row["dominant"] == "mix" and row["top_source"] == "Реклама"
    (finding,) = [f for f in tables["findings"] if f["kind"] == "source_mix"]
    assert "more leads from worse sources, “Реклама” most;" in finding["finding"]


def test_a_fall_is_not_pinned_on_the_source_that_rose(tmp_path: Path) -> None:
    # Equal shares (no mix effect): «А» 30 % → 75 % (+15 pp of the rate), «Б» 60 % → 18 %
    # (−14 pp), «В» 60 % → 20 % (−13.3 pp): the rate fell 12.3 pp.
    plan: Plan = {"А": ((50, 15), (50, 37)), "Б": ((50, 30), (50, 9)),
                  "В": ((50, 30), (50, 10))}
    tables = history(tmp_path, plan)
    (row,) = tables["decomposition"]
    assert row["dominant"] == "rate" and row["change"] < 0
    assert abs(row["rate_effect"] - ((37 - 15) + (9 - 30) + (10 - 30)) / 150) < 1e-12
    assert row["top_source"] == "Б"
    assert abs(row["top_source_rate_effect"] - (9 - 30) / 150) < 1e-12
