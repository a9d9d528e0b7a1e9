"""The playbook's respond rule reads as a sentence in English too: with the account's
working hours it said «**Answer within:** 15 minutes of working time of entry (pick the
deal up by then)» (developer.funnel with `--lang en`), two «of» in a row where the time
limit beside it says «from entry». Russian and Ukrainian read «с момента входа» / «з
моменту входу» as before."""

from __future__ import annotations

import pytest

from export_helpers import load
from funnelc.export.playbook import render_markdown
from test_export_playbook import funnel


@pytest.mark.parametrize(("language", "said"), [
    ("en", "**Answer within:** 15 minutes of working time from entry (pick the deal up by "
           "then)"),
    ("ru", "**Ответить в течение:** 15 минут рабочего времени с момента входа (взять сделку "
           "в работу до этого срока)"),
    ("uk", "**Відповісти протягом:** 15 хвилин робочого часу з моменту входу (взяти угоду "
           "в роботу до цього терміну)"),
])
def test_the_respond_rule_counts_from_entry(language: str, said: str) -> None:
    md = render_markdown(load(funnel(language, hours=True)))
    assert f"- {said}" in md.splitlines(), md
