"""Words of the funnel language shown to the client: a way out of a stage (`-> Stage`,
`won`, `lost "reason"`, `stay`, `+ copy P.S`) as a sentence fragment of the output's
language. The simulator's results keep `route` as written in the language (data); the
tables and the report say it with these words, so a Russian row does not read
`lost "Дорого" + copy Прогрев.Передан`."""

from __future__ import annotations

import re

from . import Translator

__all__ = ["route_text", "route_label_text"]

_LABEL = re.compile(r'(?:-> (?P<stage>.*?)|(?P<won>won)|(?P<stay>stay)|lost "(?P<reason>.*?)")'
                    r'(?: \+ copy (?P<copy>.*))?')


def route_text(tr: Translator, kind: str, target_stage: str | None = None,
               reason: str | None = None, copy_to: str | None = None) -> str:
    """`→ «Stage»`, `won`, `lost «reason»`, `stays`, then `+ copy to «P.S»` when the deal is
    handed on with `then copy` (the kind and fields of `sim.results.OutcomeResult`)."""
    if kind == "stage":
        text = tr.pgettext("route", "→ «{stage}»").format(stage=target_stage or "")
    elif kind == "lost":
        text = tr.pgettext("route", "lost «{reason}»").format(reason=reason or "")
    elif kind == "won":
        text = tr.pgettext("route", "won")
    else:
        text = tr.pgettext("route", "stays")
    if copy_to:
        text += " " + tr.pgettext("route", "+ copy to «{stage}»").format(stage=copy_to)
    return text


def route_label_text(tr: Translator, label: str) -> str:
    """`route_text` of a way out the simulator wrote as a label (`lost "X" + copy P.S`,
    as an SLA's or a patience's action is kept); a label of another form as it is."""
    m = _LABEL.fullmatch(label)
    if m is None:
        return label
    kind = ("stage" if m["stage"] is not None else "lost" if m["reason"] is not None
            else "won" if m["won"] else "stay")
    return route_text(tr, kind, m["stage"], m["reason"], m["copy"])
