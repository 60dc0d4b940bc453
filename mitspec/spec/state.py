"""What the checker's parts share: the error sentinel, the static class state, labels."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import ast
from . import program as ir


class Invalid(Exception):
    """Raised inside a resolver after it has recorded an error; the caller skips the item."""


@dataclass
class ClassState:
    """What the static simulation knows about a class at one point of its body."""

    features: list[ir.Feature] = field(default_factory=list)
    tables: dict[str, ir.UseOp] = field(default_factory=dict)

    def copy(self) -> ClassState:
        return ClassState(list(self.features), dict(self.tables))

    def feature(self, name: str) -> ir.Feature | None:
        return next((f for f in self.features if f.name == name), None)


def level_label(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


CONTRAST_TYPES = (ast.WinRate, ast.Magnitude, ast.Ratio, ast.Effect)
_KINDS = {ast.Background: "background", ast.Motif: "motif", ast.Table: "table", ast.Layout: "layout",
          ast.ClassDef: "class"}


def kind_of(node) -> str:
    return _KINDS.get(type(node), "definition")
