"""More than one `account` block (FN210): a file is one CRM account; with two, currency,
calendar and language would silently come from the first."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile
from .references import error

__all__ = ["check_single_account"]


def check_single_account(funnel: FunnelFile) -> Iterator[Diagnostic]:
    first = funnel.account
    for account in funnel.accounts[1:]:
        assert first is not None
        yield error(codes.FN210, "more than one `account` block", funnel, account.name.span,
                    "second account", secondary=(Label(first.name.span, "first account"),),
                    notes=("a funnel file describes one CRM account",),
                    help="merge the settings into the first `account { … }`, or split the "
                         "file in two")
