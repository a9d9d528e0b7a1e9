"""`fit` on a history whose losses carry no reason (Maven's public deal list, a
Bitrix24 export without the loss-reason field, any deal list): the losses' times are
known all the same, so the funnel's loss route gets its delay fitted from them, not only
its share. Before, the share was fitted (29 % on Maven) while `after` kept the
hand-written exp(40d) without a word (JSON `"after": null`, no note), for losses whose
median was 13.5 days."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

START = datetime(2025, 1, 1, 10, 0)


def _deals(path: Path, seed: int = 5) -> None:
    """A deal list: 40 % won after 20–80 days, the others lost after 2–19 whole days
    (mean 10.5), no loss reason anywhere."""
    rng = random.Random(seed)
    rows = ["deal_id,stage,entered Qualified,close_date"]
    for i in range(1200):
        day = START + timedelta(days=rng.randrange(240), hours=rng.randrange(8))
        won = rng.random() < 0.4
        close = day + timedelta(days=rng.randrange(20, 80) if won else rng.randrange(2, 20))
        rows.append(f"D{i},{'Won' if won else 'Lost'},{day:%Y-%m-%d %H:%M},{close:%Y-%m-%d %H:%M}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _fit(tmp_path: Path, losses: str) -> dict[str, object]:
    funnel = tmp_path / "f.funnel"
    funnel.write_text(f"""\
account "Deals" {{
  currency USD
}}

source "Site" 5/day -> "Sales"."Qualified"

pipeline "Sales" main {{
  stage "Qualified" {{
    -> won 50% after exp(40d)
{losses}
  }}
}}
""", encoding="utf-8")
    path = tmp_path / "deals.csv"
    _deals(path)
    res = CliRunner().invoke(cli, ["fit", str(path), "--funnel", str(funnel), "--format",
                                   "json", "-o", str(tmp_path / "fitted.funnel")])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def _lost(fit: dict[str, object]) -> list[dict[str, object]]:
    (stage,) = fit["stages"]  # type: ignore[index]
    return [r for r in stage["routes"] if r["route"].startswith("lost")]


def test_the_loss_route_is_timed_by_the_losses_without_a_reason(tmp_path: Path) -> None:
    fit = _fit(tmp_path, '    -> lost "Отказ" 50% after exp(40d)')
    (lost,) = _lost(fit)
    assert 0.56 <= lost["share"] <= 0.64, lost["share"]
    after = lost["after"]
    assert after is not None, "the delay was kept from the funnel"
    assert 9.5 <= after["mean"] / 24 <= 11.5, after["mean"] / 24  # type: ignore[operator]
    assert after["n"] == lost["count"]
    text = (tmp_path / "fitted.funnel").read_text(encoding="utf-8")
    assert "exp(40d)" not in text.split('lost "Отказ"')[1], text


def test_two_loss_routes_share_the_losses_times_and_say_so(tmp_path: Path) -> None:
    fit = _fit(tmp_path, '    -> lost "Дорого" 25% after exp(40d)\n'
                         '    -> lost "Пропал" 25% after exp(40d)')
    routes = _lost(fit)
    assert len(routes) == 2 and all(r["after"] is not None for r in routes), routes
    assert {round(r["after"]["mean"]) for r in routes} == {  # type: ignore[index]
        round(routes[0]["after"]["mean"])}  # type: ignore[index]
    (stage,) = fit["stages"]  # type: ignore[index]
    assert ("no loss of this stage has a reason: each loss route's delay is fitted from all "
            "its losses' times") in stage["warnings"]
