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

    def render(self, source: str, path: str) -> str:
        lines = source_lines(source)
        out = [f"{path}:{self.span.line}:{self.span.column}: error: {self.message}"]
        if 1 <= self.span.line <= len(lines):
            text = lines[self.span.line - 1].expandtabs(1)
            gutter = f"{self.span.line:>5} | "
            if self.span.end_line == self.span.line:
                width = max(1, self.span.end_column - self.span.column)
            else:
                width = max(1, len(text) - self.span.column + 1)
            out.append(gutter + text)
            out.append(" " * (len(gutter) - 2) + "| " + " " * (self.span.column - 1) + "^" * width)
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


class SpecErrors(MitspecError):
    """Every problem found in one spec, in source order."""

    def __init__(self, errors: Iterable[SpecError], source: str, path: str):
        self.errors = sorted(errors, key=lambda e: (e.span.line, e.span.column))
        self.source = source
        self.path = path
        super().__init__(self.render())

    def render(self) -> str:
        body = "\n\n".join(e.render(self.source, self.path) for e in self.errors)
        n = len(self.errors)
        return f"{body}\n\n{n} error{'s' if n != 1 else ''} in {self.path}"
