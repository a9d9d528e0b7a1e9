"""Salesforce's Opportunity table given with its OpportunityHistory: the deals' records
joined to their stage changes by `Id` = `OppID`, as amoCRM's leads are to its events.

The two files have the shape of a public org's export (kelly-gilbert/preppin-data-challenge,
2022 week 23), the rows typed for the test from Salesforce's documented objects: the
Opportunity
(https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm:
`Id`, `OwnerId`, `Amount`, `StageName`, `CreatedDate`, `CloseDate`, `IsClosed`, `IsWon`,
`LastStageChangeDate`) and OpportunityHistory
(https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityhistory.htm:
`OpportunityId`, saved as `OppID`, `CreatedDate`, `StageName`, with the stage's
`SortOrder`). As in the public table, `LastStageChangeDate` is empty on the closed deals."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history

OPPORTUNITY = """\
CreatedDate,Id,IsDeleted,Name,Amount,CloseDate,IsClosed,IsWon,OwnerId,LastStageChangeDate,StageName
14/03/2022,0068d000002OrZqAAK,FALSE,seize e-services,454160,24/03/2022,TRUE,FALSE,0058d000002C3D2AAK,,Closed Lost
01/03/2022,0068d000002OrZrAAK,FALSE,extend experiences,493470,11/05/2022,TRUE,TRUE,0058d000002C3CyAAK,,Closed Won
03/03/2022,0068d000002OrZsAAK,FALSE,revamp sites,625850,06/12/2022,FALSE,FALSE,0058d000002C3CyAAK,,Negotiation/Review
15/03/2022,0068d000002OrZtAAK,FALSE,utilize vortals,826630,25/03/2022,TRUE,TRUE,0058d000002C3D7AAK,,Closed Won
16/03/2022,0068d000002OrZuAAK,FALSE,matrix initiatives,120000,30/04/2022,TRUE,FALSE,0058d000002C3D7AAK,,Closed Lost
20/03/2022,0068d000002OrZvAAK,FALSE,grow synergies,98000,30/06/2022,FALSE,FALSE,0058d000002C3D2AAK,,Qualification
"""

HISTORY = """\
\ufeffOppID,CreatedDate,StageName,SortOrder
0068d000002OrZqAAK,14/03/2022,Prospecting,1
0068d000002OrZqAAK,22/03/2022,Closed Lost,10
0068d000002OrZrAAK,01/03/2022,Prospecting,1
0068d000002OrZrAAK,18/03/2022,Qualification,2
0068d000002OrZrAAK,02/05/2022,Closed Won,9
0068d000002OrZsAAK,03/03/2022,Prospecting,1
0068d000002OrZsAAK,25/03/2022,Value Proposition,4
0068d000002OrZsAAK,13/04/2022,Negotiation/Review,8
0068d000002OrZtAAK,15/03/2022,Qualification,2
0068d000002OrZtAAK,24/03/2022,Closed Won,9
0068d000002OrZuAAK,16/03/2022,Prospecting,1
0068d000002OrZuAAK,29/04/2022,Closed Lost,10
"""
"""Five of the six deals; «grow synergies» never moved since it was created."""


def _files(tmp_path: Path) -> tuple[str, str]:
    opp, hist = tmp_path / "23_Opportunity.csv", tmp_path / "23_OpportunityHistory.csv"
    opp.write_text(OPPORTUNITY, encoding="utf-8")
    hist.write_text(HISTORY, encoding="utf-8")
    return str(opp), str(hist)


def test_the_opportunity_table_is_the_records_of_the_historys_deals(tmp_path: Path) -> None:
    """Given with the history, the table was refused as a deal list whose closes are
    undated («4 of the 4 won or lost deals have no «LastStageChangeDate»», exit 1). It
    is the deals' records now, in either order of the files: the owner is the manager
    (its id: the table has no names), `Amount` the value, and the deal with no history
    row enters its current stage when it was created."""
    opp, hist = _files(tmp_path)
    for inputs in ([opp, hist], [hist, opp]):
        result = CliRunner().invoke(cli, ["history", *inputs, "--format", "json"],
                                    env={"NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["deals"] == 6
        assert out["quality"]["counts"]["deals_no_history"] == 1
        assert out["order"]["source"] == "crm"
    ev = load_history([opp, hist]).events
    deals = {r["deal_id"]: r for r in ev.group_by("deal_id").agg(
        "manager", "value", "kind", "stage", "ts").iter_rows(named=True)}
    assert set(deals["0068d000002OrZrAAK"]["manager"]) == {"0058d000002C3CyAAK"}
    assert set(deals["0068d000002OrZrAAK"]["value"]) == {493470.0}
    assert set(deals["0068d000002OrZtAAK"]["manager"]) == {"0058d000002C3D7AAK"}
    quiet = deals["0068d000002OrZvAAK"]
    assert (quiet["stage"], quiet["kind"], quiet["value"], quiet["manager"]) == (
        ["Qualification"], ["stage"], [98000.0], ["0058d000002C3D2AAK"])
    assert quiet["ts"][0].date().isoformat() == "2022-03-20"


def test_the_opportunity_table_alone_is_still_refused(tmp_path: Path) -> None:
    """Alone, the table holds each deal's stage now and no close date of its closed
    deals: refused as before, with the stage history to export."""
    opp, _ = _files(tmp_path)
    result = CliRunner().invoke(cli, ["history", opp], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"{opp}:2: 4 of the 4 won or lost deals have no «LastStageChangeDate»" in said, said
