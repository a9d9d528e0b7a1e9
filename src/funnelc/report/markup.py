"""HTML text of the pages funnelc writes (report.html, history.html): escaped, with the
`backticked` words of a sentence (a command, a column, a keyword of the funnel) shown as
<code>, as a terminal marks them with backticks. One place for both pages: each had its
own copy, and history.html showed «`funnelc audit`» with its backticks to the client."""

from __future__ import annotations

import html
import re

__all__ = ["e", "code_spans"]

_CODE = re.compile(r"`([^`<>]+)`")


def e(text: object) -> str:
    """`text` escaped for HTML, quotes included."""
    return html.escape(str(text), quote=True)


def code_spans(text: object) -> str:
    """`text` escaped, each `backticked` part as <code>; a lone backtick stays as it is."""
    return _CODE.sub(r"<code>\1</code>", e(text))
