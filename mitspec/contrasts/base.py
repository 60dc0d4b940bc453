"""What a contrast kind is: its syntax-level operands, what it stores in the plan, how
it reads to a person, its plan-schema fragment and its calculator, in one record.

The checker resolves operands by their declared type; the metrics engine calls
`compute(calc, contrast, model)` with a `Calculator` (see `metrics.calculator`) that hands
out numpy arrays of one model's scores; `show` and the report use `label` and
`describe`; `plan.schema.json` and `metrics.schema.json` take their kinds from here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# operand types: what a spec writes there, and what the checker hands to `plan_args`
CLASS = "class"          # a class name -> its ClassIR
GROUP = "group"          # a swept class name -> its conditions (ClassIR list, level order)
LEVEL = "level"          # a level of the GROUP operand `of` (number or name) -> condition name
EFFECT = "effect"        # another contrast whose kind is an effect -> its name
COVARIATE = "covariate"  # one of `choices` -> the name
RAW = "raw"              # a value special syntax already decoded (e.g. `paired by index`)
OPERAND_TYPES = (CLASS, GROUP, LEVEL, EFFECT, COVARIATE, RAW)

NAME_REF = {"$ref": "#/$defs/name"}
NAME_PAIR = {"type": "array", "items": NAME_REF, "minItems": 2, "maxItems": 2}
NAME_LIST = {"type": "array", "items": NAME_REF}


@dataclass(frozen=True)
class Operand:
    name: str
    type: str
    keyword: bool = False  # written `name=value` (else positional, in declaration order)
    required: bool = True
    of: str | None = None  # LEVEL: the GROUP operand whose levels it names
    choices: tuple[str, ...] = ()  # COVARIATE: the names allowed
    plain: bool = False  # GROUP: a class without a sweep is taken as a group of one condition


class Checks:
    """What a kind's `plan_args` may use to reject a contrast: `fail(message, hint, at)`
    records a diagnostic at operand `at` (default: the whole contrast) and aborts it."""

    def fail(self, message: str, hint: str, at: str | None = None):
        raise NotImplementedError


def _no_dependencies(contrast: dict) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class ContrastKind:
    """name: as in plans and metrics; label: the report's word for it; usage: how a spec
    writes it; plan_args(resolved, checks) -> the plan record's own fields (resolved maps
    operand names to resolved values; absent optional operands are None);
    describe(record) -> one line for `show` and the report; schema: JSON Schema
    fragment ({properties, required}) for those fields; compute(calc, record, model) ->
    the headline record, or a list whose first item is the headline and whose others are
    parts (`NAME[level]`, `NAME.part`); effect: a ratio may divide it; requires(record)
    -> contrasts computed before it (their headlines are in `calc.results`);
    audit: (treatment, reference) plan fields naming the two classes the composition
    audit compares, and `null`, the headline's value when there is no effect (kinds
    without `audit` are not audited); headline_is_level: tables show the headline's level
    (a profile's peak) instead of its value; figures(canvas, record) -> [(key, caption,
    png)], the report's figures of one contrast, drawn with the primitives of the canvas
    it is handed (report/figures.py `Canvas`; the kind imports nothing of the report)."""

    name: str
    label: str
    usage: str
    operands: tuple[Operand, ...]
    plan_args: Callable[[dict, Checks], dict]
    describe: Callable[[dict], str]
    schema: dict
    compute: Callable
    effect: bool = False
    requires: Callable[[dict], tuple[str, ...]] = field(default=_no_dependencies)
    audit: tuple[str, str] | None = None
    null: float = 0.0
    headline_is_level: bool = False  # the headline reads as its `level` (a profile's peak), not its value
    figures: Callable | None = None  # (canvas, record) -> [(key, caption, png)]; None: no figure

    @property
    def positional(self) -> tuple[Operand, ...]:
        return tuple(o for o in self.operands if not o.keyword and o.type != RAW)

    @property
    def keywords(self) -> tuple[Operand, ...]:
        return tuple(o for o in self.operands if o.keyword)
