"""Table figures in the output's language: counts, shares, durations and estimates
(`mean ±half-width`) as the tables of `simulate` and the report write them.

English keeps `funnelc.numfmt`'s forms exactly (`19.9h`, `1,234`, `35.4%`), so an
account without a language reads what it always read; Russian and Ukrainian write a
decimal comma, a space between thousands and short unit words (`19,9 ч`, `2,22 дн.`,
`14 хв`), the units coming from the catalog (context `unit`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from .. import numfmt
from ..numfmt import Estimate
from . import C_, N_, Translator

__all__ = ["Figures", "CI_ENDS"]

CI_ENDS = N_("x [a–b]: the mean and its 95% interval, cut at 0 (or 100%) where mean ± "
             "half-width would pass it")
"""The legend of an interval printed by its ends (`numfmt.ends`): every output that prints
estimates says it once, beside «figures are mean ±95% CI»."""

_UNITS = {"m": C_("unit", "{n}m"), "h": C_("unit", "{n}h"), "d": C_("unit", "{n}d")}
"""A duration's short unit after its number (`19.9h`); the catalogs give `19,9 ч`."""


def _in_unit(h: float) -> tuple[float, str]:
    """`h` hours in the unit read at a glance: minutes (`m`) under an hour, hours (`h`)
    under two days, then days (`d`); an instant is 0 minutes."""
    if abs(h) < numfmt.INSTANT_H:
        return 0.0, "m"
    if h < 1.0:
        return h * 60, "m"
    if h < 48.0:
        return h, "h"
    return h / 24, "d"


class Figures:
    """The number formats of one translator's language."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self.english = tr.lang == "en"

    def num(self, x: float | None, digits: int = 3) -> str:
        """A measured figure to three significant digits (`12.3`, `1,250`)."""
        if self.english or x is None or (isinstance(x, float) and not math.isfinite(x)):
            return numfmt.num(x, digits)
        return self.tr.sig(x, digits)

    def pct(self, fraction: float | None) -> str:
        """A share (0.354) as `35.4%`."""
        return numfmt.pct(fraction) if self.english else self.tr.pct(fraction)

    def hours(self, h: float | None) -> str:
        """A duration in the unit read at a glance: minutes under an hour, hours under
        two days, then days."""
        if self.english or h is None or not math.isfinite(h):
            return numfmt.hours(h)
        value, unit = _in_unit(h)
        return self.tr.pgettext("unit", _UNITS[unit]).format(n=self.tr.sig(value))

    def calendar(self, h: float) -> str:
        """A time on the calendar (every hour counts, nights and weekends too), in the unit
        `hours` picks, in words that say so and agree with the number: «3,64 календарного
        дня», «28 календарних годин», «1 календарный день». Said after a limit in working
        hours (`limit`) to give its length in real time; «3,64 дн. по часам» read as «by
        the hours». English keeps `hours`' form (`3.64d`)."""
        if self.english or not math.isfinite(h):
            return self.hours(h)
        value, short = _in_unit(h)
        unit = {"m": "minute", "h": "hour", "d": "day"}[short]
        shown = float(f"{value:.3g}")
        tr = self.tr
        if not shown.is_integer():  # a fraction takes the genitive singular in ru and uk
            words = {"minute": C_("calendar fraction", "{n} calendar minutes"),
                     "hour": C_("calendar fraction", "{n} calendar hours"),
                     "day": C_("calendar fraction", "{n} calendar days")}
            return tr.pgettext("calendar fraction", words[unit]).format(n=tr.sig(value))
        n = int(shown)
        forms = {"minute": tr.npgettext("calendar", "{n} calendar minute",
                                        "{n} calendar minutes", n),
                 "hour": tr.npgettext("calendar", "{n} calendar hour", "{n} calendar hours", n),
                 "day": tr.npgettext("calendar", "{n} calendar day", "{n} calendar days", n)}
        return forms[unit].format(n=tr.sig(value))

    def limit(self, h: float | None, working: bool, digits: int = 4) -> str:
        """An SLA or respond limit. When it counts the account's working hours it stays in
        working hours (`200 working h`, `200 роб. год`): converted to days it would read as
        clock days (`8.33d`) although a working day is shorter, so 200 working hours of a
        10-hour day would pass for a third of the real time. A clock limit reads as any
        duration (`hours`). `digits`: significant digits of the working hours (a limit as
        written keeps four; a measured age reads better with three)."""
        if not working or h is None or not math.isfinite(h):
            return self.hours(h)
        if h < 1.0:
            n = f"{h * 60:.3g}" if self.english else self.tr.sig(h * 60)
            return self.tr.gettext("{n} working min").format(n=n)
        n = f"{h:.{digits}g}" if self.english else self.tr.sig(h, digits)
        return self.tr.gettext("{n} working h").format(n=n)

    def est(self, e: Estimate | None, fmt: Callable[[float], str] | None = None,
            scale: float = 1.0, limits: numfmt.Limits = numfmt.COUNT) -> str:
        """`mean ±half-width` (the 95 % CI's half-width) in `fmt` (a count by default);
        the interval's ends, `6 [0–31,4]`, when it crosses one of `limits` (in the
        figure's stored units: a count is never below 0; `numfmt.ends`)."""
        show = fmt if fmt is not None else self.num
        if e is None or e.mean is None:
            return numfmt.DASH
        if e.ci95 is None or e.ci95 == 0:
            return show(e.mean * scale)
        cut = numfmt.ends(e.mean, e.ci95, *limits)
        if cut is not None:
            return numfmt.between(show(e.mean * scale), numfmt.low_end(cut[0] * scale, show),
                                  show(cut[1] * scale))
        return f"{show(e.mean * scale)} ±{show(e.ci95 * scale)}"

    def est_hours(self, e: Estimate | None) -> str:
        """A duration estimate, both figures in their own unit."""
        return self.est(e, self.hours)

    def est_pct(self, e: Estimate | None, limits: numfmt.Limits = numfmt.SHARE) -> str:
        """A share estimate: `35.4% ±2.1` (the half-width in percentage points); its
        ends, `1,35 % [0–18,4 %]`, when the interval leaves `limits` (0 to 100 %;
        `numfmt.BUSY` for a team's utilization, which passes 100 %)."""
        if self.english:
            return numfmt.est_pct(e, limits)
        if e is None or e.mean is None:
            return numfmt.DASH
        if e.ci95 is None or e.ci95 == 0:
            return self.pct(e.mean)
        cut = numfmt.ends(e.mean, e.ci95, *limits)
        if cut is not None:
            return numfmt.between(self.pct(e.mean), numfmt.low_end(cut[0], self.pct),
                                  self.pct(cut[1]))
        return f"{self.pct(e.mean)} ±{self.tr.sig(e.ci95 * 100, 2)}"
