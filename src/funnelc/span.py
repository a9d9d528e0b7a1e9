"""Source positions. Lines and columns are 1-based (as editors show them); `end_column`
is one past the last character; `start`/`end` are character offsets into the text."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    @classmethod
    def point(cls, line: int, column: int, offset: int) -> Span:
        """A one-character span, for findings about a position rather than a node."""
        return cls(line=line, column=column, end_line=line, end_column=column + 1,
                   start=offset, end=offset + 1)

    def cover(self, other: Span) -> Span:
        """The smallest span holding both, for labels over a whole construct."""
        first = self if self.start <= other.start else other
        end = self if self.end >= other.end else other
        return Span(line=first.line, column=first.column, end_line=end.end_line,
                    end_column=end.end_column, start=first.start, end=end.end)


NOWHERE = Span(line=1, column=1, end_line=1, end_column=1, start=0, end=0)
