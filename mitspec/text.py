"""Words for people: "did you mean" hints and plain aligned tables."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str], what: str = "") -> str:
    """A hint naming the closest candidate, or listing the options when there are few."""
    options = sorted(set(candidates))
    swapped = [o for o in options if len(o) == len(word) > 1 and sorted(o) == sorted(word)]
    close = swapped or difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    if close:
        return f"did you mean `{close[0]}`?"
    if not options:
        return f"no {what or 'names'} are defined"
    listed = ", ".join(f"`{o}`" for o in options[:8])
    more = f" and {len(options) - 8} more" if len(options) > 8 else ""
    return f"known {what or 'names'}: {listed}{more}"


def format_table(rows: list[list[str]], header: list[str], right: set[int] = frozenset()) -> str:
    """Plain aligned text table; columns in `right` are right-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
