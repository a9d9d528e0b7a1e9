"""A history table in the terminal fits its width whenever its words do
(`history.report._fitted_widths`, the limits `print_terminal` gives rich). The CLI case
that failed is in tests/test_clinic_b24_ru_wording.py (the managers table cut at 160
columns); this checks the rule itself over any table."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from funnelc.history.report import Column, _fitted_widths

WORD = st.text(alphabet="абвгдеxyz0123", min_size=1, max_size=12)
CELL = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(table=st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.lists(CELL, min_size=n, max_size=n),
    st.lists(st.lists(CELL, min_size=n, max_size=n), min_size=0, max_size=6))),
    room=st.integers(1, 200))
def test_the_columns_fit_the_room_and_keep_their_words(
        table: tuple[list[str], list[list[str]]], room: int) -> None:
    titles, rows = table
    cols = [Column(f"c{k}", t) for k, t in enumerate(titles)]
    mins = [max(len(w) for text in (t, *(r[k] for r in rows)) for w in text.split())
            for k, t in enumerate(titles)]
    natural = [max(len(text) for text in (t, *(r[k] for r in rows)))
               for k, t in enumerate(titles)]
    widths = _fitted_widths(cols, rows, list(mins), room)
    got = [n if w is None else w for w, n in zip(widths, natural, strict=True)]
    if sum(mins) > room:
        assert widths == [None] * len(cols)  # the words do not fit: rich squeezes
        return
    assert sum(got) <= room
    assert all(g >= m for g, m in zip(got, mins, strict=True))
    if sum(natural) <= room:
        assert widths == [None] * len(cols)
