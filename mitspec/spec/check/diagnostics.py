"""Collecting diagnostics: every problem once, in source order, with its hint."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import Span, SpecError, source_lines


class Invalid(Exception):
    """Raised inside a resolver after it has recorded an error; the caller skips the item."""


class Diagnostics:
    """The errors found so far. `error` records one (an identical message at the same
    place is kept once: one mistake, one diagnostic); `fail` records one and raises
    `Invalid`; `per_level` gathers the errors of a sweep's levels into one each."""

    def __init__(self, source: str):
        self.lines = source_lines(source)
        self.errors: list[SpecError] = []
        self._seen: set[tuple[str, Span]] = set()

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        if (message, span) in self._seen:
            return
        self._seen.add((message, span))
        self.errors.append(SpecError(message, span, hint))

    def fail(self, message: str, span: Span, hint: str | None = None):
        self.error(message, span, hint)
        raise Invalid

    def text(self, span: Span) -> str:
        """The source text a span covers (to the line's end when it spans lines)."""
        line = self.lines[span.line - 1]
        if span.line != span.end_line:
            return line[span.column - 1:]
        return line[span.column - 1:span.end_column - 1]

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Errors recorded inside are dropped (for exploratory runs whose errors are
        reported by the real run)."""
        errors, seen = self.errors, self._seen
        self.errors, self._seen = [], set()
        try:
            yield
        finally:
            self.errors, self._seen = errors, seen

    @contextmanager
    def per_level(self, target: str, label: str, found: dict) -> Iterator[None]:
        """Record the errors raised while checking one sweep level into `found`:
        {(message, span, hint): [labels]}; `flush_levels` then reports each once."""
        errors, seen = self.errors, self._seen
        self.errors, self._seen = [], set()
        try:
            yield
        finally:
            for e in self.errors:
                found.setdefault((e.message, e.span, e.hint), []).append(label)
            self.errors, self._seen = errors, seen

    def flush_levels(self, target: str, found: dict, labels: list[str]) -> None:
        """One diagnostic per distinct error of a sweep: unprefixed when every level
        has it, else prefixed with the levels that do."""
        for (message, span, hint), where in found.items():
            if len(where) < len(labels):
                message = f"at {target} = {', '.join(where)}: {message}"
            self.error(message, span, hint)
