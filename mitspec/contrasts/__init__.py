"""Contrast kinds: one module per kind, each defining `KIND` (see `base.ContrastKind`).

A new kind is a new module here plus its line below (and grammar/AST only when it needs
new syntax); the checker, the plan schema, `show`, the metrics engine, the metrics
schema and the report all read `KINDS`.
"""
from __future__ import annotations

from . import cohens_d, correlate, effect_ratio, interaction, magnitude, periodicity, profile, ratio, win_rate
from .base import ContrastKind

KINDS: dict[str, ContrastKind] = {m.KIND.name: m.KIND for m in (
    win_rate, cohens_d, magnitude, ratio, correlate, profile, effect_ratio, periodicity, interaction)}


def plan_schema_fragments() -> list[dict]:
    """One `oneOf` branch per kind for the plan schema's contrast record."""
    return [{"properties": {"kind": {"const": k.name}, **k.schema["properties"]}, "required": list(k.schema["required"])}
            for k in KINDS.values()]
