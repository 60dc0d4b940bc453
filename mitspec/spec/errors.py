"""Spec diagnostics: one `SpecError` per problem, rendered like a compiler would.

    specs/x.mit:12:9: error: undefined motif `minus1O`
       12 |   place minus1O at sigma70.minus10
          |         ^^^^^^^
      hint: did you mean `minus10`?
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import MitspecError
from ..io import printable
from ..limits import DIAGNOSTICS_PER_FILE, QUOTED_LINE_CHARS


def source_lines(source: str) -> list[str]:
    """The source's lines as the parser numbers them: split at \\n only (str.splitlines
    also splits at \\f, \\v, U+2028 and others, which would shift every line after them)."""
    return [line.removesuffix("\r") for line in source.split("\n")]


@dataclass(frozen=True, slots=True)
class Span:
    """A source range: 1-based line and column, end exclusive (as Lark reports it)."""

    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class SpecError:
    message: str
    span: Span
    hint: str | None = None

    def render(self, source: str, path: str, lines: list[str] | None = None) -> str:
        """Message, the line quoted (at most QUOTED_LINE_CHARS of it, around the column)
        with a caret under the span, and the hint. Control characters from the file are
        shown escaped, so a spec cannot drive the terminal. `lines`: source_lines(source),
        when the caller renders many errors of one source."""
        lines = source_lines(source) if lines is None else lines
        out = [f"{printable(path)}:{self.span.line}:{self.span.column}: error: {printable(self.message)}"]
        if 1 <= self.span.line <= len(lines):
            text = lines[self.span.line - 1]
            if self.span.end_line == self.span.line:
                width = max(1, self.span.end_column - self.span.column)
            else:
                width = max(1, len(text) - self.span.column + 1)
            first = max(0, min(self.span.column - 1 - QUOTED_LINE_CHARS // 3, len(text) - QUOTED_LINE_CHARS))
            shown = text[first:first + QUOTED_LINE_CHARS]
            column = self.span.column - 1 - first
            width = max(1, min(width, len(shown) - column))
            # one cell per character: tabs as one space, controls as `?`, so the caret lines up
            shown = "".join(" " if c == "\t" else "?" if printable(c) != c else c for c in shown)
            left, right = ("..." if first > 0 else ""), ("..." if first + QUOTED_LINE_CHARS < len(text) else "")
            gutter = f"{self.span.line:>5} | "
            out.append(gutter + left + shown + right)
            out.append(" " * (len(gutter) - 2) + "| " + " " * (len(left) + column) + "^" * width)
        if self.hint:
            out.append(f"  hint: {printable(self.hint)}")
        return "\n".join(out)


class SpecErrors(MitspecError):
    """Every problem found in one spec, in source order."""

    def __init__(self, errors: Iterable[SpecError], source: str, path: str):
        self.errors = sorted(errors, key=lambda e: (e.span.line, e.span.column))
        self.source = source
        self.path = path
        super().__init__(self.render())

    def render(self) -> str:
        lines = source_lines(self.source)
        shown = self.errors[:DIAGNOSTICS_PER_FILE]
        body = "\n\n".join(e.render(self.source, self.path, lines) for e in shown)
        n = len(self.errors)
        more = f" ({len(shown)} shown; fix these and check again)" if n > len(shown) else ""
        return f"{body}\n\n{n} error{'s' if n != 1 else ''} in {printable(self.path)}{more}"
