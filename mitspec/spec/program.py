"""The checked program: what `check` hands to the compiler. Names are resolved, positions
are integers (0-based, half-open), and every motif has a fixed length."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


# ---- motifs: samplers, each of a fixed length ------------------------------------------
@dataclass(frozen=True, slots=True)
class LiteralMotif:
    text: str

    @property
    def length(self) -> int:
        return len(self.text)


@dataclass(frozen=True, slots=True)
class IupacMotif:
    """Each position drawn uniformly from the bases its IUPAC code allows."""

    pattern: str

    @property
    def length(self) -> int:
        return len(self.pattern)


@dataclass(frozen=True, slots=True)
class ChoiceMotif:
    options: tuple[MotifIR, ...]
    weights: tuple[float, ...]

    @property
    def length(self) -> int:
        return self.options[0].length


@dataclass(frozen=True, slots=True)
class RevCompMotif:
    inner: MotifIR

    @property
    def length(self) -> int:
        return self.inner.length


@dataclass(frozen=True, slots=True)
class ColumnMotif:
    """The value of `table.column` in the row the instance picked with `use`."""

    table: str
    column: str
    length: int


MotifIR = Union[LiteralMotif, IupacMotif, ChoiceMotif, RevCompMotif, ColumnMotif]


@dataclass(frozen=True, slots=True)
class IidBackground:
    """Independent bases with probabilities (A, C, G, T)."""

    probs: tuple[float, float, float, float]

    def describe(self) -> dict:
        return {"kind": "iid", "probs": dict(zip("ACGT", self.probs))}


@dataclass(frozen=True, slots=True)
class GenomeBackground:
    """Windows of a bundled genome: uniform start, either strand (or forward only), no N,
    AT fraction within [at_low, at_high]."""

    genome: str
    at_low: float = 0.0
    at_high: float = 1.0
    strands: str = "both"

    def describe(self) -> dict:
        return {"kind": "genome", "genome": self.genome, "at": [self.at_low, self.at_high], "strands": self.strands}


@dataclass(frozen=True, slots=True)
class MarkovBackground:
    """Sequences drawn from an order-k Markov chain trained on a bundled genome (both strands)."""

    order: int
    genome: str

    def describe(self) -> dict:
        return {"kind": "markov", "order": self.order, "genome": self.genome}


BackgroundIR = Union[IidBackground, GenomeBackground, MarkovBackground]


# ---- features and operations -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Feature:
    """An element of a sequence: where it sits and what made it (a motif name, "shuffle")."""

    name: str
    start: int
    end: int
    strand: str  # "+", "-", or "." for regions without orientation
    source: str

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def inside(self, start: int, end: int) -> bool:
        return start <= self.start and self.end <= end


@dataclass(frozen=True, slots=True)
class PlaceOp:
    start: int
    motif: MotifIR
    strand: str


@dataclass(frozen=True, slots=True)
class MutateOp:
    position: int
    code: str  # one IUPAC code


@dataclass(frozen=True, slots=True)
class ShuffleOp:
    start: int
    end: int
    distinct: bool = False
    dinucleotide: bool = False


@dataclass(frozen=True, slots=True)
class RevCompOp:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MoveOp:
    """Swap the `length` bases at `source` with those at `target`."""

    source: int
    target: int
    length: int


@dataclass(frozen=True, slots=True)
class SpacerOp:
    """Change the spacer before `position` by `delta` bases: delta > 0 inserts delta
    background bases at `position` (downstream bases shift right, the 3' end is cut);
    delta < 0 deletes the last -delta spacer bases (downstream shifts left, the 3' end
    is refilled with background). Either way the length stays fixed."""

    position: int
    delta: int
    probs: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class UseOp:
    table: str
    rows: tuple[int, ...]  # indices into the table's rows
    mode: str  # "cycle" | "random"


OpIR = Union[PlaceOp, MutateOp, ShuffleOp, RevCompOp, UseOp, MoveOp, SpacerOp]


@dataclass(frozen=True, slots=True)
class Step:
    """One operation and where it was written: (class that declared it, index in its body).

    The origin names the random stream, so an `independent` class re-running its
    parent's recipe draws fresh values rather than copying the parent's."""

    origin: str
    index: int
    op: OpIR


@dataclass(frozen=True, slots=True)
class ClassIR:
    name: str
    title: str
    n: int
    parent: str | None
    independent: bool
    background: BackgroundIR
    background_root: str  # instances i of classes with the same root share background i
    steps: tuple[Step, ...]  # what to run on top of the starting sequences
    features: tuple[Feature, ...]  # the final layout of every instance
    group: str | None = None  # a swept class's own name; its conditions are named group[level]
    condition: dict | None = field(default=None, hash=False)  # {"sweep": target, "level": value}

    @property
    def stream(self) -> str:
        """The name random draws are keyed by: all levels of a sweep share their draws."""
        return self.group or self.name


@dataclass(frozen=True, slots=True)
class TableIR:
    name: str
    columns: tuple[str, ...]
    row_names: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]  # values[row][column]


@dataclass(frozen=True, slots=True)
class ContrastIR:
    name: str
    kind: str  # win_rate | cohens_d | magnitude | ratio
    args: dict = field(hash=False)

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, **self.args}


@dataclass(frozen=True, slots=True)
class Program:
    title: str
    seed: int
    length: int
    classes: tuple[ClassIR, ...]  # parents before children, otherwise in source order
    contrasts: tuple[ContrastIR, ...]
    tables: dict = field(hash=False)
    layouts: dict = field(default_factory=dict, hash=False)  # name -> slot -> (start, end or None)

    @property
    def total(self) -> int:
        return sum(c.n for c in self.classes)
