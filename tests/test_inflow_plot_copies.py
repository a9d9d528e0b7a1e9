"""The inflow plot draws new demand only (issue 14): a deal that starts in a pipeline
only the funnel's copies enter — a Bitrix24 classic-mode account's deal made from a
converted lead — was stacked on the sources' bars, and March read 144 new requests for
the 104 leads that came. The table keeps those rows; the plot says how many it leaves
out. Counted by hand from the generator's truth."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import data_generator
from funnelc.history.analytics import HistoryTables
from funnelc.i18n import translator

DATA = Path(__file__).resolve().parent / "data" / "b24_leads_ru"
TZ = "Asia/Novosibirsk"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("b24_leads_ru")
    data_generator("b24_leads_ru").write(out, 3)
    return out


@pytest.fixture(scope="module")
def tables(export: Path) -> HistoryTables:
    from funnelc.api import load_file
    from funnelc.history.run import prepare

    return prepare([str(export / "bitrix24")], TZ, load_file(DATA / "account.funnel").model
                   ).tables


def test_bars_count_the_leads_and_the_copies_are_said(export: Path,
                                                      tables: HistoryTables) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from funnelc.history.plots import inflow_plot

    truth = json.loads((export / "truth.json").read_text(encoding="utf-8"))
    # The generator writes Novosibirsk time with its offset: the month is the text's.
    leads = Counter(lead["events"][0][0][:7] for lead in truth["leads"])
    deals = len(truth["deals"])
    assert leads["2026-03"] == 104
    fig = inflow_plot(tables, translator("ru"))
    FigureCanvasAgg(fig).draw()
    (ax,) = fig.axes
    months = [t.get_text() for t in ax.get_xticklabels()]
    assert len(months) == len(leads)
    heights: Counter[int] = Counter()
    for bar in ax.patches:
        heights[round(bar.get_x() + bar.get_width() / 2)] += round(bar.get_height())
    assert [heights[i] for i in range(len(leads))] == [leads[m] for m in sorted(leads)]
    said = " ".join(fig.get_supxlabel().split())
    assert said.startswith(f"{deals} сделки, созданные копиями в воронке «Общая»") or \
        said.startswith(f"{deals} сделок, созданных копиями в воронке «Общая»"), said
    # The table keeps them, by the stage they started in.
    copies = tables.inflow.filter(tables.inflow["pipeline"] == "Общая")["deals"].sum()
    assert copies == deals
