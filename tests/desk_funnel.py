"""The small one-team account the fit and history tests write their histories against:
one working calendar, one team, one source into "Sales"."New". Each test gives only its
stages (and, where it matters, the account's name or hours)."""

from __future__ import annotations


def desk_funnel(stages: str, account: str = "Desk", hours: str = "mon-fri 09:00-18:00"
                ) -> str:
    """`stages`: the stage blocks of pipeline "Sales", indented two spaces."""
    return (f'account "{account}" {{\n  hours {hours}\n}}\n\nteam "Sales" size 1\n\n'
            'source "Web" 8/day -> "Sales"."New"\n\n'
            f'pipeline "Sales" main {{\n{stages}}}\n')
