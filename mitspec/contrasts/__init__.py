"""Contrast kinds: one module per kind, each defining `KIND` (see `base.ContrastKind`).

A new kind is a new module here plus its name in `MODULES` (and grammar/AST only when it needs
new syntax); the checker, the plan schema, `show`, the metrics engine, the metrics
schema and the report all read `KINDS`.
"""
from __future__ import annotations

from importlib import import_module

from .base import ContrastKind

#: the registry: one module name per kind, in the order the docs and `show` list them
MODULES = ("win_rate", "cohens_d", "magnitude", "ratio", "correlate", "profile", "effect_ratio", "periodicity",
           "interaction")
KINDS: dict[str, ContrastKind] = {kind.name: kind for kind in
                                  (import_module(f"{__name__}.{name}").KIND for name in MODULES)}


def plan_schema_fragments() -> list[dict]:
    """One `oneOf` branch per kind for the plan schema's contrast record."""
    return [{"properties": {"kind": {"const": k.name}, **k.schema["properties"]}, "required": list(k.schema["required"])}
            for k in KINDS.values()]
