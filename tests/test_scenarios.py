"""`funnelc.scenarios.apply_scenario`: one test per override kind, plus purity (the input
model is untouched), order (a later line wins) and the errors for names that do not
resolve."""

from __future__ import annotations

import pytest

from funnelc import load_text
from funnelc.model import FunnelFile, LostTarget, StageTarget, WonTarget
from funnelc.scenarios import ScenarioError, apply_scenario, scenario_names

BASE = """
account "A" { currency RUB }
team Sales size 2
team Night size 1 hours mon-fri 20:00-23:00
source Web 10/day -> P.First value 100k profile jan 50%
pipeline P main {
  stage First {
    owner Sales
    work 10m
    -> Second 70%
    -> lost "junk" 30%
  }
  stage Second {
    owner Sales
    work 30m
    -> won 60% after 1d
    -> lost "no budget" 20%
    stay 20%
  }
}
"""


def model_with(scenario: str) -> FunnelFile:
    loaded = load_text(BASE + scenario, "<test>")
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    assert loaded.model is not None
    return loaded.model


def stage(model: FunnelFile, name: str):
    pipe = model.pipeline("P")
    assert pipe is not None
    return next(s for s in pipe.stages if s.name.value == name)


def test_team_size() -> None:
    m = model_with('scenario S { team Sales size 5 }')
    out = apply_scenario(m, "S")
    assert out.team("Sales").size == 5
    assert m.team("Sales").size == 2, "the input model must not change"


def test_team_hours() -> None:
    m = model_with('scenario S { team Sales hours mon-fri 09:00-18:00 }')
    out = apply_scenario(m, "S")
    hours = out.team("Sales").hours
    assert hours is not None and hours.entries[0].start_minute == 9 * 60
    assert m.team("Sales").hours is None


def test_source_rate() -> None:
    out = apply_scenario(model_with('scenario S { source Web 30/day }'), "S")
    assert out.source("Web").rate.per_hour == pytest.approx(30 / 24)
    assert out.source("Web").profile, "changing the rate keeps the profile"


def test_source_profile_replaces_the_old_one() -> None:
    out = apply_scenario(model_with('scenario S { source Web profile sep 150% }'), "S")
    profile = out.source("Web").profile
    assert [(p.month, p.share.value) for p in profile] == [("sep", 1.5)]


def test_source_budget_and_cost() -> None:
    """A scenario prices a source: `budget` replaces the money per time, `cost` the money
    per lead; a source without one gets it, and the formatter prints the what-if model
    with it (its options in order)."""
    from funnelc.analysis.money import cost_rates
    from funnelc.fmt import format_model

    m = model_with('scenario S {\n  source Web budget 40k/month\n  source Web cost 300\n}')
    out = apply_scenario(m, "S")
    web = out.source("Web")
    assert web.budget is not None and web.budget.count == 40_000 and web.budget.unit == "month"
    assert web.cost is not None and web.cost.value == 300
    assert m.source("Web").budget is None and m.source("Web").cost is None
    rates = cost_rates(out)
    assert rates.budget_per_hour["Web"] == pytest.approx(40_000 / 730)
    assert rates.per_lead["Web"] == 300
    assert "budget 40k/month cost 300" in format_model(out)
    text = format_model(m)
    assert "  source Web budget 40k/month\n  source Web cost 300\n" in text
    again = load_text(text, "<again>")
    assert again.ok and again.model is not None
    assert [o.kind for o in again.model.scenarios[0].overrides] == ["source_budget",
                                                                   "source_cost"]


def test_a_price_for_an_unknown_source_is_fn206_at_its_name() -> None:
    loaded = load_text(BASE + 'scenario S {\n  source Webb budget 40k/month\n}', "<test>")
    (diag,) = [d for d in loaded.diagnostics if d.code == "FN206"]
    line = BASE.count("\n") + 2
    assert (diag.span.line, diag.span.column) == (line, 10)
    assert "did you mean `Web`?" in (diag.help or "")


def test_stage_work() -> None:
    out = apply_scenario(model_with('scenario S { stage P.First work exp(20m) }'), "S")
    work = stage(out, "First").work
    assert work is not None and work.kind == "exp" and work.mean == pytest.approx(1 / 3)


def test_stage_sla_is_added_where_there_was_none() -> None:
    out = apply_scenario(
        model_with('scenario S { stage P.Second sla 14d -> lost "stale" }'), "S")
    st = stage(out, "Second")
    assert st.sla is not None and st.sla.after.hours == 14 * 24
    assert isinstance(st.sla.target, LostTarget) and st.sla.target.reason.value == "stale"
    assert "sla" in st.order, "the formatter must see the new statement"


def test_stage_respond() -> None:
    out = apply_scenario(model_with('scenario S { stage P.First respond 15m }'), "S")
    assert stage(out, "First").respond.hours == pytest.approx(0.25)


def test_stage_owner() -> None:
    out = apply_scenario(model_with('scenario S { stage P.Second owner Night }'), "S")
    assert stage(out, "Second").owner.value == "Night"


def test_stage_share_changes_only_the_named_outcome() -> None:
    m = model_with('scenario S { stage P.First -> Second 80%\n'
                   '  stage P.First -> lost "junk" 20% }')
    out = apply_scenario(m, "S")
    shares = {(type(o.target).__name__, getattr(getattr(o.target, "reason", None), "value", None)):
              o.share.value for o in stage(out, "First").outcomes}
    assert shares == {("StageTarget", None): 0.8, ("LostTarget", "junk"): 0.2}
    assert [o.share.value for o in stage(m, "First").outcomes] == [0.7, 0.3]


def test_stage_share_matches_won_and_qualified_stage_names() -> None:
    m = model_with('scenario S { stage P.Second -> won 40%\n  stage P.Second stay 40% }')
    out = apply_scenario(m, "S")
    st = stage(out, "Second")
    won = next(o for o in st.outcomes if isinstance(o.target, WonTarget))
    assert won.share.value == 0.4 and st.stay.value == 0.4
    m2 = model_with('scenario S { stage P.First -> P.Second 80%\n'
                    '  stage P.First -> lost "junk" 20% }')
    first = stage(apply_scenario(m2, "S"), "First")
    to_second = next(o for o in first.outcomes if isinstance(o.target, StageTarget))
    assert to_second.share.value == 0.8


def test_stage_stay() -> None:
    m = model_with('scenario S { stage P.Second stay 30%\n  stage P.Second -> won 50% }')
    st = stage(apply_scenario(m, "S"), "Second")
    assert st.stay.value == 0.3


def test_later_override_wins() -> None:
    out = apply_scenario(model_with('scenario S { team Sales size 3\n  team Sales size 4 }'), "S")
    assert out.team("Sales").size == 4


def test_unknown_scenario_suggests_a_name() -> None:
    m = model_with('scenario "More people" { team Sales size 3 }')
    assert scenario_names(m) == ["More people"]
    with pytest.raises(ScenarioError) as err:
        apply_scenario(m, "More peple")
    assert "More people" in (err.value.help or "")


def test_unresolved_names_raise_with_a_span() -> None:
    m = model_with('scenario S { team Sales size 3 }')
    broken = m.model_copy(update={"teams": m.teams[1:]})  # Sales removed behind the checks
    with pytest.raises(ScenarioError) as err:
        apply_scenario(broken, "S")
    assert "Sales" in err.value.message and err.value.span is not None
