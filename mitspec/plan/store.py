"""Plans on disk: `plan.json` (metadata, schema-validated) + `sequences.parquet` (rows).

Why two files: the metadata is small and human-readable, and a content hash in it pins
the table; the sequences are columnar so a 10^6-sequence plan stays compact (~50 MB,
dictionary-encoded class/feature columns) and loads in one vectorised read instead of
parsing 10^6 JSON objects.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import polars as pl

from .. import __version__
from ..errors import MitspecError
from ..io import atomic_write, canonical_json, read_json, sha256_file
from ..sequence import ALPHABET
from ..spec import program as ir
from .compile import ClassSequences

FORMAT = "mitspec-plan/1"
PLAN_FILE = "plan.json"
SEQUENCES_FILE = "sequences.parquet"
FEATURE_TYPE = pl.Struct({"name": pl.String, "start": pl.Int32, "end": pl.Int32, "strand": pl.String, "source": pl.String})
COLUMNS = {
    "id": pl.String, "class": pl.String, "class_name": pl.String, "index": pl.UInt32, "parent": pl.String,
    "background": pl.String, "picks": pl.String, "sequence": pl.String, "features": pl.List(FEATURE_TYPE),
}
_DECODE = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)


class PlanError(MitspecError):
    """A plan file that is missing, corrupt or does not match its schema."""


@lru_cache(maxsize=1)
def plan_schema() -> dict:
    """plan.schema.json with one contrast branch per registered kind."""
    from ..contrasts import plan_schema_fragments

    schema = json.loads(resources.files("mitspec").joinpath("schema/plan.schema.json").read_text(encoding="utf-8"))
    schema["$defs"]["contrast"]["oneOf"] = plan_schema_fragments()
    return schema


def ids(prefix: str, n: int) -> pl.Expr:
    """`<prefix>_<index:03d>` for index 0..n-1, vectorised."""
    return pl.format("{}_{}", pl.lit(prefix), pl.int_range(n, dtype=pl.UInt32).cast(pl.String).str.zfill(3))


def _class_frame(built: ClassSequences, tables: dict[str, ir.TableIR]) -> pl.DataFrame:
    cls, n = built.cls, built.cls.n
    raw = _DECODE[built.codes]
    sequence = pl.Series("sequence", raw.view(f"S{raw.shape[1]}").ravel()).cast(pl.String)
    frame = pl.DataFrame({"sequence": sequence}).with_columns(
        ids(cls.name, n).alias("id"),
        pl.lit(cls.name).alias("class"),
        pl.lit(cls.title).alias("class_name"),
        pl.int_range(n, dtype=pl.UInt32).alias("index"),
        (ids(cls.parent, n) if cls.parent and not cls.independent else pl.lit(None, pl.String)).alias("parent"),
        ids(cls.background_root, n).alias("background"),
    )
    if built.picks:
        parts = []
        for t in sorted(built.picks):
            names = pl.Series(tables[t].row_names, dtype=pl.String)
            parts.append(pl.lit(f"{t}=") + names.gather(built.picks[t]))
        frame = frame.with_columns(pl.concat_str(parts, separator=";").alias("picks"))
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("picks"))
    features = [{"name": f.name, "start": f.start, "end": f.end, "strand": f.strand, "source": f.source}
                for f in cls.features]
    # one class-level value, broadcast to every row
    frame = frame.with_columns(pl.lit(pl.Series([features], dtype=pl.List(FEATURE_TYPE))).first().alias("features"))
    return frame.select(list(COLUMNS))


def content_digest(built: dict[str, ClassSequences]) -> str:
    h = hashlib.sha256()
    for name, cs in built.items():
        h.update(f"{name}\t{cs.cls.n}\n".encode())
        lines = np.empty((cs.codes.shape[0], cs.codes.shape[1] + 1), dtype=np.uint8)
        lines[:, :-1] = _DECODE[cs.codes]
        lines[:, -1] = ord("\n")
        h.update(lines.tobytes())
        for table in sorted(cs.picks):
            h.update(f"{table}\n".encode())
            h.update(cs.picks[table].astype("<i4").tobytes())
    return h.hexdigest()


def plan_hash(meta: dict) -> str:
    content = {k: v for k, v in meta.items() if k not in ("plan_hash", "compiler", "spec")}
    content["sequences"] = {k: v for k, v in meta["sequences"].items() if k not in ("path", "file_sha256")}
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def build_meta(program: ir.Program, built: dict[str, ClassSequences], source: str, spec_path: str) -> dict:
    """plan.json contents, minus the sequence file's own hash (filled in on write)."""
    used = sorted({t for cs in built.values() for t in cs.picks})
    meta = {
        "format": FORMAT,
        "compiler": {"name": "mitspec", "version": __version__},
        "benchmark": program.title,
        "seed": program.seed,
        "length": program.length,
        "spec": {"path": spec_path, "sha256": hashlib.sha256(source.encode()).hexdigest(), "source": source},
        "classes": [
            {"name": c.name, "title": c.title, "n": c.n, "parent": c.parent, "independent": c.independent,
             "background": c.background.describe(), "background_root": c.background_root,
             "features": [{"name": f.name, "start": f.start, "end": f.end, "strand": f.strand, "source": f.source}
                          for f in c.features],
             **({"group": c.group, "condition": c.condition} if c.group else {})}
            for c in program.classes
        ],
        "contrasts": [c.describe() for c in program.contrasts],
        "layouts": {name: {slot: {"start": start, "end": end} for slot, (start, end) in slots.items()}
                    for name, slots in program.layouts.items()},
        "tables": {t: {"columns": list(program.tables[t].columns),
                       "rows": [{"name": r, "values": list(v)}
                                for r, v in zip(program.tables[t].row_names, program.tables[t].values)]}
                   for t in used},
        "sequences": {"path": SEQUENCES_FILE, "format": "parquet", "count": program.total,
                      "content_sha256": content_digest(built), "file_sha256": "0" * 64,
                      "columns": {k: str(v) for k, v in COLUMNS.items()}},
    }
    return meta


def write_plan(program: ir.Program, built: dict[str, ClassSequences], source: str, spec_path: str,
               out_dir: Path) -> dict:
    """Write sequences.parquet then plan.json, each atomically; returns the plan metadata.

    plan.json is written last and names the table's hash, so a plan.json on disk always
    describes a complete table."""
    out_dir = Path(out_dir)
    frame = pl.concat([_class_frame(cs, program.tables) for cs in built.values()])
    meta = build_meta(program, built, source, spec_path)
    atomic_write(out_dir / SEQUENCES_FILE,
                 lambda p: frame.write_parquet(p, compression="zstd", compression_level=3, statistics=False))
    meta["sequences"]["file_sha256"] = sha256_file(out_dir / SEQUENCES_FILE)
    meta["plan_hash"] = plan_hash(meta)
    validate(meta)
    atomic_write(out_dir / PLAN_FILE, lambda p: p.write_text(canonical_json(meta), encoding="utf-8"))
    return meta


def validate(meta: dict) -> None:
    try:
        jsonschema.Draft202012Validator(plan_schema()).validate(meta)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise PlanError(f"plan does not match plan.schema.json at {where}: {exc.message}") from None


@dataclass(frozen=True)
class Plan:
    """A loaded plan: metadata and the sequence table (one row per sequence)."""

    path: Path
    meta: dict
    sequences: pl.DataFrame

    @property
    def plan_hash(self) -> str:
        return self.meta["plan_hash"]


def resolve_plan_path(path: str | Path) -> Path:
    path = Path(path)
    return path / PLAN_FILE if path.is_dir() else path


def read_meta(path: str | Path) -> dict:
    plan_file = resolve_plan_path(path)
    meta = read_json(plan_file, f"no plan at {plan_file}; compile one with `mitspec compile SPEC`",
                     "recompile it with `mitspec compile`", PlanError)
    validate(meta)
    if plan_hash(meta) != meta["plan_hash"]:
        raise PlanError(f"{plan_file} was edited after compiling (its plan_hash does not match); recompile it")
    return meta


def load_plan(path: str | Path, verify: bool = True) -> Plan:
    """Read and check a plan. With `verify`, the table's file hash must match plan.json."""
    plan_file = resolve_plan_path(path)
    meta = read_meta(plan_file)
    table = plan_file.parent / meta["sequences"]["path"]
    if not table.exists():
        raise PlanError(f"{plan_file} names {table.name}, which is missing; recompile the plan")
    if verify and sha256_file(table) != meta["sequences"]["file_sha256"]:
        raise PlanError(f"{table} does not match the hash in {plan_file.name}; recompile the plan")
    frame = pl.read_parquet(table)
    return Plan(plan_file, meta, frame)
