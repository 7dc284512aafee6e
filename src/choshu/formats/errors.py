"""The one error shape every codec reports: which line, which field, what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ParseError:
    """A problem in an input file. ``line`` is 1-based (0 = the file as a whole); ``column`` is
    the field's name as the layout calls it ("-" for a whole record)."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"
