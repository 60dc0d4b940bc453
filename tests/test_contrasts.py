"""The contrast-kind registry is the one place kinds are defined: the checker, both JSON
schemas, `show`, the metrics engine and the report must agree with it."""
import typing

import pytest

from mitspec.contrasts import KINDS
from mitspec.contrasts.base import OPERAND_TYPES, LEVEL
from mitspec.metrics.io import metrics_schema
from mitspec.plan.store import plan_schema
from mitspec.spec import ast
from mitspec.spec.check.contrasts import _syntax
from mitspec.spec.check.scope import CONTRAST_NODES


def test_plan_schema_has_one_branch_per_kind():
    branches = plan_schema()["$defs"]["contrast"]["oneOf"]
    assert [b["properties"]["kind"]["const"] for b in branches] == list(KINDS)


def test_metrics_schema_lists_every_kind():
    kind = metrics_schema()["properties"]["results"]["items"]["properties"]["kind"]
    assert kind["enum"] == list(KINDS)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_is_complete(name):
    kind = KINDS[name]
    assert kind.name == name and kind.label and kind.usage
    assert callable(kind.compute) and callable(kind.plan_args) and callable(kind.describe)
    assert set(kind.schema) == {"properties", "required"} and set(kind.schema["required"]) <= set(kind.schema["properties"])
    names = [o.name for o in kind.operands]
    assert len(set(names)) == len(names)
    for operand in kind.operands:
        assert operand.type in OPERAND_TYPES
        if operand.type == LEVEL:
            assert operand.of in names, f"{name}.{operand.name} names the levels of an unknown operand"


def test_every_contrast_node_maps_to_a_kind():
    """The AST's contrast forms (special syntax, or a call naming the kind) reach the registry."""
    assert set(CONTRAST_NODES) == set(typing.get_args(ast.Contrast))
    span = None  # positions play no part in the mapping
    name = ast.Name("x", span)
    special = {ast.WinRate(name, name, name, "lineage", span), ast.Magnitude(name, name, name, name, span),
               ast.Ratio(name, name, name, span)}
    assert {_syntax(node)[0] for node in special} <= set(KINDS)
    called = {k for k in KINDS if k not in {_syntax(node)[0] for node in special}}
    for kind in called:  # written as a call: `contrast X = kind(...)`
        node = ast.Effect(name, ast.Call(ast.Name(kind, span), (), (), span), span)
        assert _syntax(node)[0] == kind
