"""Field types that cannot hold a value (FN219, FN220): `int(10..1)` admits no number;
an enum or multi-select with an empty or repeated option makes the CRM reject the field
(amoCRM refuses duplicate enum values) or gives the manager a blank choice.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Name
from .references import error

__all__ = ["check_field_types"]


def check_field_types(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for fld in funnel.fields:
        ftype = fld.type
        if ftype.kind == "int" and ftype.low is not None and ftype.high is not None \
                and ftype.low > ftype.high:
            yield error(codes.FN219, f"field `{fld.name.value}` allows no number: "
                        f"{ftype.low} is above {ftype.high}", funnel, ftype.span,
                        "the range starts above its end",
                        help=f"write the low end first: `int({ftype.high}..{ftype.low})`")
        if ftype.kind not in ("enum", "multi"):
            continue
        seen: dict[str, Name] = {}
        for value in ftype.values:
            if not value.value.strip():
                yield error(codes.FN220, f"field `{fld.name.value}` has an empty option", funnel,
                            value.span, "nothing to choose here",
                            help="remove the empty option, or write its text")
                continue
            first = seen.setdefault(value.value.casefold(), value)
            if first is not value:
                yield error(codes.FN220, f"field `{fld.name.value}` lists the option "
                            f"`{value.value}` twice", funnel, value.span, "listed again here",
                            secondary=(Label(first.span, "first listed here"),),
                            notes=("options are compared ignoring case, as CRMs do",)
                            if first.value != value.value else (),
                            help="remove the repeated option")
