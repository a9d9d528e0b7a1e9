"""What-if, sweep and staffing plots read as a client reads them (issue 16, section 2):
titles say what is measured, not the key (`respond_breach_pct`, `cycle_time_hours`);
money ticks are money in the account's currency (`+25 млн ₽`, not `1e7`); a cycle of
days is drawn in days; and no axis carries matplotlib's offset or scientific labels.

Each plot is drawn through the public CLI (`--plot`); the figure is caught on its way to
the one figure saver so its axes can be read as drawn, then saved as usual."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelc.cli import cli
from funnelc.numfmt import money_pm
from funnelc.report import figures

ACCOUNT = """
account "Коттеджи" {
  currency RUB
  language ru
}
team Sales size 2
source Web 30/day -> P.First value 3M
pipeline P main {
  stage First {
    owner Sales
    work 40m
    respond 30m
    -> Second 70%
    -> lost "junk" 30%
  }
  stage Second {
    owner Sales
    work 30m
    -> won 60% after 6d
    -> lost "no budget" 40%
  }
}
scenario "Третий менеджер" {
  team Sales size 3
}
"""
FAST = ["--days", "40", "--warmup", "5", "--jobs", "1", "--reps", "3"]
KEYS = re.compile(r"respond_breach_pct|cycle_time_hours|wait_hours|wip_final|cost_per_won"
                  r"|_pct\b|_hours\b")
SCIENTIFIC = re.compile(r"\de[+-−]?\d")


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures the command hands to `save_figure`, drawn (ticks laid out)."""
    caught: list[Figure] = []
    save = figures.save_figure

    def catching(fig: Figure, png: str, svg: str, *args: object, **kwargs: object
                 ) -> list[str]:
        fig.canvas.draw()
        caught.append(fig)
        return save(fig, png, svg, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(figures, "save_figure", catching)
    return caught


@pytest.fixture
def account(tmp_path: Path) -> Path:
    path = tmp_path / "cottages.funnel"
    path.write_text(ACCOUNT, encoding="utf-8")
    return path


def run(*args: str) -> None:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output


def axes_of(figs: list[Figure]) -> list[Axes]:
    assert figs, "no figure reached the saver"
    return [ax for fig in figs for ax in fig.axes if ax.get_visible()]


def tick_texts(ax: Axes) -> list[str]:
    return [t.get_text() for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels()
            if t.get_text()]


def assert_readable(figs: list[Figure]) -> None:
    """No offset text, no scientific tick, no programmer's key in any title or label."""
    for ax in axes_of(figs):
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_offset_text().get_text() == "", (ax.get_title(),
                                                            axis.get_offset_text())
        for text in tick_texts(ax):
            assert not SCIENTIFIC.search(text), (ax.get_title(), text)
        words = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        words += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            words += [t.get_text() for t in legend.get_texts()]
        for w in words:
            assert not KEYS.search(w), w
    for fig in figs:
        for t in fig.texts:
            assert not KEYS.search(t.get_text()), t.get_text()


def panel(figs: list[Figure], title_start: str) -> Axes:
    found = [ax for ax in axes_of(figs) if ax.get_title().startswith(title_start)]
    assert found, [ax.get_title() for ax in axes_of(figs)]
    return found[0]


def test_whatif_plot_money_durations_and_no_offset(account: Path, tmp_path: Path,
                                              drawn: list[Figure]) -> None:
    run("whatif", str(account), "--scenario", "Третий менеджер", "--plot",
        str(tmp_path / "wi"), *FAST)
    assert_readable(drawn)
    # A `language ru` account: titles, units and money in Russian (`+2,5 млн ₽`).
    revenue = panel(drawn, "Δ выручка")
    money = [t for t in tick_texts(revenue) if t != "0\u00a0₽"]
    assert money and all(re.fullmatch(r"[+-]?[\d,]+\s(тыс\.|млн|млрд)\s₽", t) for t in money), \
        money
    assert any(t.startswith("+") for t in money), "gains are signed"
    # A half-hour gain on a six-day cycle: in days, as the table writes it (fmt_delta).
    cycle = panel(drawn, "Δ цикл до успеха")
    assert cycle.get_title().endswith(", дни"), cycle.get_title()
    breaches = panel(drawn, "Δ нарушения реакции")
    assert all(t.endswith(" п. п.") for t in tick_texts(breaches) if t != "Третий менеджер")
    assert (tmp_path / "wi.png").exists() and (tmp_path / "wi.svg").exists()


def test_sweep_plots_heat_map_and_lines(account: Path, tmp_path: Path,
                                        drawn: list[Figure]) -> None:
    run("sweep", str(account), "--vary", "team Sales size 2..3",
        "--vary", "source Web rate 6..8/day step 2", "--metric", "revenue",
        "--metric", "cycle_time_hours", "--metric", "respond_breach_pct:P.First",
        "--plot", str(tmp_path / "sw"), *FAST)
    assert len(drawn) == 3
    assert_readable(drawn)
    revenue, cycle, breaches = drawn
    heat, lines, bar = revenue.axes  # the colour bar comes last
    assert all(t.get_text().endswith("₽") for t in bar.yaxis.get_ticklabels()
               if t.get_text())
    assert all(t.get_text().endswith("₽") for t in heat.texts)
    assert all(t.endswith("₽") for t in (x.get_text() for x in lines.yaxis.get_ticklabels())
               if t)
    assert cycle.axes[1].get_ylabel().endswith(", дни"), cycle.axes[1].get_ylabel()
    assert breaches.axes[1].get_ylabel().startswith("нарушения реакции")
    assert all(t.endswith("%") for t in (x.get_text() for x in
                                         breaches.axes[1].yaxis.get_ticklabels()) if t)


@pytest.fixture
def priced(tmp_path: Path) -> Path:
    """The account with a price per lead: profit and costs mean something there (without
    a priced cost they are not offered, profit would repeat the revenue)."""
    path = tmp_path / "cottages-priced.funnel"
    path.write_text(ACCOUNT.replace("value 3M", "value 3M cost 500"), encoding="utf-8")
    return path


def test_sweep_one_axis_line(priced: Path, tmp_path: Path, drawn: list[Figure]) -> None:
    run("sweep", str(priced), "--vary", "team Sales size 2..4", "--metric", "profit",
        "--plot", str(tmp_path / "one"), *FAST)
    assert_readable(drawn)
    (ax,) = axes_of(drawn)
    assert ax.get_ylabel() == "прибыль"
    assert all(re.search(r"(тыс\.|млн|млрд)\s₽$|^0\s₽$", t.get_text())
               for t in ax.yaxis.get_ticklabels() if t.get_text())


def test_staffing_plot_percent_ticks(account: Path, tmp_path: Path,
                                     drawn: list[Figure]) -> None:
    run("staff", str(account), "--team", "Sales", "--target", "respond 30m 80%",
        "--target", "utilization <= 90%", "--plot", str(tmp_path / "staff"), *FAST)
    assert_readable(drawn)
    respond, utilization = axes_of(drawn)
    for ax in (respond, utilization):
        assert not ax.get_ylabel().endswith("(%)"), "the ticks say % themselves"
        ticks = [t.get_text() for t in ax.yaxis.get_ticklabels() if t.get_text()]
        assert ticks and all(t.endswith("%") for t in ticks), ticks
        assert all(t.get_text().isdigit() for t in ax.xaxis.get_ticklabels()
                   if t.get_text())
    assert utilization.get_ylabel().startswith("занятость команды Sales")


def test_whatif_table_money_once_and_one_unit_per_estimate(priced: Path) -> None:
    """The table beside the plot: a money estimate names its scale and currency once
    (`1.34 ±0.29 млрд ₽`, which fits its cell, not `1.34 млрд ₽ ±286 млн ₽`), a
    duration's half-width is in its mean's unit (`6.07d ±0.003d`, not `6.07d ±4.32m`),
    and an exact zero of money is money (`0 ₽`: a third member changes no lead's cost)."""
    r = CliRunner().invoke(cli, ["whatif", str(priced), "--scenario", "Третий менеджер",
                                 *FAST], terminal_width=200)
    assert r.exit_code == 0, r.output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in r.output.splitlines() if line.startswith("│")}
    base, delta = rows["выручка"]
    assert re.fullmatch(r"[\d,]+\s±[\d,]+\s(млн|млрд)\s₽", base), base
    assert re.fullmatch(r"[+-][\d,]+\s±[\d,]+\s(тыс\.|млн|млрд)\s₽", delta), delta
    mean, _, half = rows["цикл до успеха (P)"][0].partition(" ±")
    assert mean.endswith(" дн.") and half.endswith(" дн."), rows["цикл до успеха (P)"]
    assert rows["затраты всего"][1] == "0\u00a0₽"


def test_whatif_table_has_no_cost_or_profit_without_a_priced_cost(account: Path) -> None:
    """Regression: with values alone the table had «затраты всего» 0 ₽ and a profit
    equal to the revenue."""
    r = CliRunner().invoke(cli, ["whatif", str(account), "--scenario", "Третий менеджер",
                                 *FAST], terminal_width=200)
    assert r.exit_code == 0, r.output
    rows = {line.split("│")[1].strip() for line in r.output.splitlines()
            if line.startswith("│")}
    assert "выручка" in rows
    assert not rows & {"затраты всего", "прибыль", "затраты на выигранную сделку"}, rows


@given(st.floats(-1e13, 1e13), st.floats(0, 1e13), st.sampled_from(["ru", "uk", "en"]))
def test_money_estimates_never_in_scientific_notation(mean: float, half: float,
                                                      lang: str) -> None:
    text = money_pm(mean, half, "RUB", lang)
    assert not SCIENTIFIC.search(text), text
    assert (text.count("₽"), text.count("RUB")) == ((1, 0) if lang != "en" else (0, 2)), text


def _lowest_drawn(ax: Axes) -> float:
    """The lowest y of every band and error bar of a panel, in data units."""
    import numpy as np
    from matplotlib.collections import LineCollection, PolyCollection

    low = np.inf
    for c in ax.collections:
        if isinstance(c, PolyCollection):
            for path in c.get_paths():
                low = min(low, float(path.vertices[:, 1].min()))
        elif isinstance(c, LineCollection):
            for seg in c.get_segments():
                if len(seg):
                    low = min(low, float(np.asarray(seg)[:, 1].min()))
    return float(low)


def test_bands_and_error_bars_stop_at_zero(account: Path, tmp_path: Path,
                                           drawn: list[Figure]) -> None:
    """With 2 replications Student's t is 12.7: a sweep's band and the staffing curve's
    error bars of a share reached below 0 % (the tables print such an interval by its
    ends, `1,35% [0–18,5%]`); the plots hold them at 0 as well."""
    few = ["--days", "3", "--warmup", "0", "--jobs", "1", "--reps", "2"]
    run("sweep", str(account), "--vary", "team Sales size 2..4", "--metric", "conversion",
        "--plot", str(tmp_path / "sw"), *few)
    run("staff", str(account), "--team", "Sales", "--target", "respond 30m 80%",
        "--max-reps", "2", "--plot", str(tmp_path / "st"), *few)
    panels = axes_of(drawn)
    assert len(panels) >= 2
    lows = [_lowest_drawn(ax) for ax in panels]
    assert all(low >= 0 for low in lows), lows


def test_whatif_plot_reads_as_its_table(account: Path, tmp_path: Path,
                                        drawn: list[Figure]) -> None:
    """With one replication the figure's title says there is no interval (as the table's
    line under its legend does), and a duration's panel takes the table's unit (fmt_delta:
    of the larger of the baseline and the changed figure): a half-hour gain on a six-day
    cycle was drawn in minutes beside the table's days."""
    run("whatif", str(account), "--scenario", "Третий менеджер", "--plot",
        str(tmp_path / "wi"), *FAST[:-1], "1")
    (fig,) = drawn
    title = fig.texts[0].get_text()
    assert "95%" in title and "одн" in title and "--reps 2" in title, title
    assert "парн" not in title, title
    cycle = panel(drawn, "Δ цикл до успеха")
    assert cycle.get_title().endswith(", дни"), cycle.get_title()
    for lang, one in (("uk", "одн"), ("en", "one replication")):
        drawn.clear()
        run("whatif", str(account), "--scenario", "Третий менеджер", "--plot",
            str(tmp_path / f"wi-{lang}"), "--lang", lang, *FAST)
        title = drawn[0].texts[0].get_text()
        assert one not in title, title
