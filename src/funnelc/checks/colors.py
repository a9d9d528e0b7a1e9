"""Stage colours not written `#rrggbb` (FN225): CRMs take six hex digits (amoCRM even
only a fixed palette of them), so anything else would fail on export."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile
from .references import error

__all__ = ["check_colors"]

_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")
_HEX3 = re.compile(r"#([0-9a-fA-F])([0-9a-fA-F])([0-9a-fA-F])")


def check_colors(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            color = stage.color
            if color is None or _HEX6.fullmatch(color.value):
                continue
            short = _HEX3.fullmatch(color.value)
            fix = ("#" + "".join(c * 2 for c in short.groups())).lower() if short else "#fffeb2"
            yield error(codes.FN225, f"colour `{color.value}` is not written `#rrggbb`", funnel,
                        color.span, "expected `#` and six hex digits",
                        help=f'write it as `"{fix}"`' if short
                        else f'write the colour as six hex digits, e.g. `"{fix}"`')
