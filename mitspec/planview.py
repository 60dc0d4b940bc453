"""A typed, read-only view of a compiled plan (plan.json): scorers' hooks (`for_plan`,
`for_class`, `unmet`), the contrast kinds' calculator (`calc.plan`), the metrics and the
report read a PlanView instead of the raw dict, which only plan/store.py (it writes and
verifies plan.json) and the plan's own summary handle. Built once per plan with
`PlanView.from_meta(meta)` (a loaded plan's `view`); a plan from an older mitspec may lack
`spec.motifs` (then `motifs` is None).

A contrast stays the record its kind defines (`contrasts/<kind>.py`: its plan-schema
fragment), read-only: the kind's own functions read its fields by name."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class FeatureView:
    """An element of a class: start..end (0-based, half-open), strand (+, - or .), the
    spec text that made it, the window (low, high, length) when placed at random per
    instance, and X when it was placed as `revcomp(X)`."""

    name: str
    start: int
    end: int
    strand: str
    source: str
    random: tuple[int, int, int] | None = None
    revcomp_of: str | None = None

    @property
    def width(self) -> int:
        return self.random[2] if self.random else self.end - self.start


@dataclass(frozen=True, slots=True)
class ClassView:
    """A class: its title, n instances, the class it derives from, its elements; for a
    swept class's condition, the sweep's group and the condition's levels."""

    name: str
    title: str
    n: int
    parent: str | None
    features: tuple[FeatureView, ...]
    origin: int | None = None  # the position the class's levels and plots read from
    group: str | None = None  # a swept class's own name
    condition: Mapping | None = None
    background_root: str | None = None  # classes with the same root share instance i's background
    background: str = ""  # its background's kind (iid, genome, file, ...)


@dataclass(frozen=True, slots=True)
class PlanView:
    """plan_hash, benchmark, seed, length; classes in plan order; motifs: declared motif
    name -> per-position probabilities (None: not recorded); grammar: the declared rules'
    records; roles and layout slots: name -> (start, end or None); contrasts: each
    contrast's record (name, kind, its kind's fields), in declared order; expectations:
    the spec's `expect` records; spec_path: the spec it was compiled from, as given;
    sequence_count: sequences in the whole plan."""

    plan_hash: str
    benchmark: str
    seed: int
    length: int
    classes: tuple[ClassView, ...]
    motifs: Mapping[str, list] | None
    grammar: tuple[Mapping, ...]
    roles: Mapping[str, tuple[int, int | None]]
    layouts: Mapping[str, Mapping[str, tuple[int, int | None]]]
    contrasts: tuple[Mapping, ...] = ()
    expectations: tuple[Mapping, ...] = ()
    spec_path: str = ""
    sequence_count: int = 0

    @classmethod
    def from_meta(cls, meta: Mapping) -> PlanView:
        spec = meta.get("spec") or {}

        def span(record) -> tuple[int, int | None]:
            return record["start"], record.get("end")

        def feature(f) -> FeatureView:
            return FeatureView(f["name"], f["start"], f["end"], f["strand"], f["source"],
                               tuple(f["random"]) if f.get("random") else None, f.get("revcomp_of"))

        classes = tuple(ClassView(c["name"], c.get("title", c["name"]), c.get("n", 0), c.get("parent"),
                                  tuple(feature(f) for f in c.get("features", ())),
                                  (c.get("origin") or {}).get("position"), c.get("group"),
                                  MappingProxyType(dict(c["condition"])) if c.get("condition") else None,
                                  c.get("background_root"), (c.get("background") or {}).get("kind", ""))
                        for c in meta.get("classes", ()))
        motifs = spec.get("motifs")
        return cls(meta.get("plan_hash", ""), meta.get("benchmark", ""), meta.get("seed", 0), meta.get("length", 0),
                   classes, None if motifs is None else MappingProxyType(dict(motifs)),
                   tuple(MappingProxyType(dict(r)) for r in spec.get("grammar") or ()),
                   MappingProxyType({k: span(v) for k, v in (meta.get("roles") or {}).items()}),
                   MappingProxyType({name: MappingProxyType({k: span(v) for k, v in slots.items()})
                                     for name, slots in (meta.get("layouts") or {}).items()}),
                   tuple(MappingProxyType(dict(c)) for c in meta.get("contrasts") or ()),
                   tuple(MappingProxyType(dict(e)) for e in spec.get("expectations") or ()),
                   spec.get("path", ""), (meta.get("sequences") or {}).get("count", 0))

    def cls(self, name: str) -> ClassView:
        return next(c for c in self.classes if c.name == name)

    def titles(self) -> dict[str, str]:
        """class name -> its title."""
        return {c.name: c.title for c in self.classes}
