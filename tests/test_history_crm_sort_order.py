"""A stage history that carries the CRM's own order of its stages: Salesforce's stage
position, `SortOrder` of the OpportunityStage object
(https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm),
written beside each row of OpportunityHistory
(https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityhistory.htm:
`OpportunityId`, `CreatedDate`, `StageName`) as a public data set saves it, `OppID,
CreatedDate,StageName,SortOrder`. The rows below are typed for the test: ten deals of
the default Salesforce stages, Prospecting 1, Qualification 2, Value Proposition 4,
Negotiation/Review 8, Closed Won 9, Closed Lost 10."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

SORT = {"Prospecting": 1, "Qualification": 2, "Value Proposition": 4,
        "Negotiation/Review": 8, "Closed Won": 9, "Closed Lost": 10}
PATHS = {
    # Five deals negotiated before their proposal was written again, two in the order
    # of the CRM: the data's most frequent moves put «Negotiation/Review» first.
    **{f"006A{i}": ["Prospecting", "Qualification", "Negotiation/Review",
                    "Value Proposition", "Closed Won"] for i in range(1, 6)},
    **{f"006A{i}": ["Prospecting", "Qualification", "Value Proposition",
                    "Negotiation/Review", "Closed Won"] for i in (6, 7)},
    "006A8": ["Prospecting", "Qualification", "Closed Lost"],
    "006A9": ["Prospecting", "Closed Lost"],
    "006B1": ["Prospecting"],
}


def _history(tmp_path: Path, *, sort: bool = True) -> str:
    lines = ["OppID,CreatedDate,StageName" + (",SortOrder" if sort else "")]
    for n, (deal, stages) in enumerate(PATHS.items()):
        for k, stage in enumerate(stages):
            day = f"{1 + n + 4 * k:02d}/0{3 + k // 3}/2022"
            # One row written while «Negotiation/Review» was third in the CRM (its
            # stages reordered since): the position most rows carry is the stage's.
            at = 3 if (deal, stage) == ("006A1", "Negotiation/Review") else SORT[stage]
            lines.append(f"{deal},{day},{stage}" + (f",{at}" if sort else ""))
    path = tmp_path / "23_OpportunityHistory.csv"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _json(path: str) -> dict:
    result = CliRunner().invoke(cli, ["history", path, "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _moves(out: dict) -> dict[tuple[str, str, str], int]:
    return {(m["kind"], m["stage"], m["to_stage"]): m["deals"] for m in out["tables"]["moves"]}


def test_sort_order_is_the_crms_order_of_the_stages(tmp_path: Path) -> None:
    """`SortOrder` was not read: the order was inferred from the data (the most frequent
    moves), «Negotiation/Review» before «Value Proposition», so the five deals that went
    Qualification → Negotiation/Review → Value Proposition read as two steps forward and
    the two that followed the CRM's order as a skip and a move back. It is the CRM's
    order now (as amoCRM's `sort`, Bitrix24's `SORT`), its won and lost stages left out:
    the five skip Value Proposition and go back to it, the two step forward."""
    out = _json(_history(tmp_path))
    assert out["order"]["source"] == "crm"
    assert out["order"]["stages"] == {"": ["Prospecting", "Qualification",
                                           "Value Proposition", "Negotiation/Review"]}
    moves = _moves(out)
    assert moves[("skip", "Qualification", "Negotiation/Review")] == 5
    assert moves[("backward", "Negotiation/Review", "Value Proposition")] == 5
    assert ("backward", "Value Proposition", "Negotiation/Review") not in moves
    assert ("skip", "Qualification", "Value Proposition") not in moves
    (summary,) = out["tables"]["moves_summary"]
    assert (summary["forward"], summary["skips"], summary["backward"]) == (8 + 2 + 2, 5, 5)
    pairs = [(r["from_stage"], r["to_stage"]) for r in out["tables"]["conversion"]
             if r["month"] == "all"]
    assert ("Negotiation/Review", "Value Proposition") not in pairs
    assert ("Qualification", "Value Proposition") in pairs


def test_without_sort_order_the_order_is_inferred_as_before(tmp_path: Path) -> None:
    """The same rows without the column: no CRM order, inferred from the data and said so."""
    out = _json(_history(tmp_path, sort=False))
    assert out["order"]["source"] == "data"
    assert out["order"]["stages"][""][2] == "Negotiation/Review"
