"""Collecting diagnostics: every problem once, in source order, with its hint."""
from __future__ import annotations

import re
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
        has it, else prefixed with the levels that do. Errors that differ only in their
        numbers (coordinates that move with the level) count as one, shown as at the
        first level that has it."""
        groups: dict[tuple, list] = {}
        for (message, span, hint), where in found.items():
            template = re.sub(r"(?<![A-Za-z_\d])\d+", "#", message)  # numbers, not digits in names (minus35)
            groups.setdefault((template, span, hint), []).append((message, where))
        for (_, span, hint), items in groups.items():
            where = [label for _, levels in items for label in levels]
            message = items[0][0]
            if len(where) < len(labels):
                shown = where if len(where) <= 8 else [*where[:4], "...", *where[-2:]]
                count = f" ({len(where)} levels)" if len(where) > 8 else ""
                example = f" (as at {where[0]}; the others alike)" if len(items) > 1 else ""
                message = f"at {target} = {', '.join(shown)}{count}: {message}{example}"
            elif len(items) > 1:
                message = f"{message} (as at {where[0]}; every level alike)"
            self.error(message, span, hint)
