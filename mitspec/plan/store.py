"""Plans on disk: `plan.json` (metadata, schema-validated) + `sequences.parquet` (rows).

Why two files: the metadata is small and human-readable, and a content hash in it pins
the table; the sequences are columnar so a 10^6-sequence plan stays compact (~50 MB,
dictionary-encoded class/feature columns) and loads in one vectorised read instead of
parsing 10^6 JSON objects.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import polars as pl

from .. import __version__
from ..errors import MitspecError
from ..planview import PlanView
from ..io import atomic_write, cache_dir, canonical_json, private_dir, read_json, resolve_inside, sha256_file
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


DERIVED = ("id", "class", "class_name", "index", "parent", "background", "features")  # columns plan.json decides


def _random_features(cls: dict) -> list[dict]:
    return [f for f in cls["features"] if "random" in f]


def _feature_column(cls: dict, starts: dict[str, np.ndarray] | None) -> pl.Expr:
    """Every row's features: the class's fixed layout, broadcast; then each randomly
    placed element where the instance drew it (`starts`: element -> (n,) start)."""
    fixed = [{k: f[k] for k in ("name", "start", "end", "strand", "source")} for f in cls["features"] if "random" not in f]
    randoms = _random_features(cls)
    if not randoms:
        return pl.lit(pl.Series([fixed], dtype=pl.List(FEATURE_TYPE))).first()  # broadcast
    parts = [pl.lit(pl.Series([f], dtype=FEATURE_TYPE)).first() for f in fixed]
    for f in randoms:
        start = pl.lit(pl.Series(starts[f["name"]].astype(np.int32)))
        parts.append(pl.struct(pl.lit(f["name"]).alias("name"), start.alias("start"),
                               (start + f["random"][2]).cast(pl.Int32).alias("end"), pl.lit(f["strand"]).alias("strand"),
                               pl.lit(f["source"]).alias("source")))
    return pl.concat_list(parts).cast(pl.List(FEATURE_TYPE))


def _derived_columns(cls: dict, starts: dict[str, np.ndarray] | None = None) -> pl.DataFrame:
    """A class's rows as far as plan.json decides them (`cls` is its plan.json record):
    the columns in DERIVED. The rest (sequence, picks, random starts) is pinned by
    content_sha256."""
    n = cls["n"]
    own_parent = cls["parent"] and not cls["independent"]
    return pl.select(
        ids(cls["name"], n).alias("id"),
        pl.lit(cls["name"], pl.String).alias("class"),
        pl.lit(cls["title"], pl.String).alias("class_name"),
        pl.int_range(n, dtype=pl.UInt32).alias("index"),
        (ids(cls["parent"], n) if own_parent else pl.repeat(None, n, dtype=pl.String)).alias("parent"),
        ids(cls["background_root"], n).alias("background"),
        _feature_column(cls, starts).alias("features"),
    )


def _read_starts(cls: dict, rows: pl.DataFrame) -> dict[str, np.ndarray]:
    """Where each instance holds its randomly placed elements, read back from the table
    and checked against the window plan.json gives them."""
    starts = {}
    for f in _random_features(cls):
        name, (low, high, length) = f["name"], f["random"]
        found = rows.select(pl.col("features").list.eval(
            pl.element().filter(pl.element().struct.field("name") == name).struct.field("start")).list.first())
        values = found.to_series()
        if values.null_count() or not ((values >= low) & (values + length <= high)).all():
            raise PlanError(f"the sequence table places `{name}` outside {low}..{high} in class {cls['name']}; "
                            "recompile the plan")
        starts[name] = values.to_numpy().astype(np.int64)
    return starts


def _class_frame(built: ClassSequences, record: dict, tables: dict[str, ir.TableIR]) -> pl.DataFrame:
    raw = _DECODE[built.codes]
    frame = _derived_columns(record, built.random).with_columns(
        pl.Series("sequence", raw.view(f"S{raw.shape[1]}").ravel()).cast(pl.String))
    if built.picks:
        parts = []
        for t in sorted(built.picks):
            names = pl.Series(tables[t].row_names, dtype=pl.String)
            parts.append(pl.lit(f"{t}=") + names.gather(built.picks[t]))
        frame = frame.with_columns(pl.concat_str(parts, separator=";").alias("picks"))
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("picks"))
    return frame.select(list(COLUMNS))


def table_digest(meta: dict, frame: pl.DataFrame) -> str:
    """content_sha256 recomputed from a loaded sequence table, by its definition: per class
    in plan order, `NAME\tN\n`, every sequence followed by a newline, then for each table
    the class picked rows from, `TABLE\n` and the picked row indices as int32 LE, then for
    each randomly placed element, `ELEMENT\n` and its start in every instance as int32 LE."""
    h = hashlib.sha256()
    lo = 0
    for cls in meta["classes"]:
        rows = frame.slice(lo, cls["n"])
        lo += cls["n"]
        h.update(f"{cls['name']}\t{cls['n']}\n".encode())
        if len(rows):
            h.update((rows["sequence"].str.join("\n")[0] + "\n").encode())
        first = rows["picks"][0] if len(rows) else None
        for table in sorted(part.split("=", 1)[0] for part in first.split(";")) if first else ():
            names = [r["name"] for r in meta["tables"].get(table, {}).get("rows", [])]
            picked = rows["picks"].str.extract(f"(?:^|;){re.escape(table)}=([^;]*)")
            index = picked.replace_strict(names, list(range(len(names))), default=None, return_dtype=pl.Int32)
            if not names or index.null_count():
                raise PlanError(f"the sequence table names rows of table `{table}` that plan.json does not list; "
                                "recompile the plan")
            h.update(f"{table}\n".encode())
            h.update(index.to_numpy().astype("<i4").tobytes())
        for name, starts in _read_starts(cls, rows).items():
            h.update(f"{name}\n".encode())
            h.update(starts.astype("<i4").tobytes())
    return h.hexdigest()


def verify_table(meta: dict, frame: pl.DataFrame, where: Path) -> None:
    """The table must be the one plan.json (and so plan_hash) describes: the columns
    plan.json decides equal what it says, and the rest hashes to content_sha256."""
    count = sum(c["n"] for c in meta["classes"])
    if frame.columns != list(COLUMNS) or frame.height != count:
        raise PlanError(f"{where} is not this plan's sequence table (columns or row count differ); recompile the plan")
    parts, lo = [], 0
    for c in meta["classes"]:
        parts.append(_derived_columns(c, _read_starts(c, frame.slice(lo, c["n"]))))
        lo += c["n"]
    expected = pl.concat(parts) if parts else frame.select(DERIVED)
    if not frame.select(DERIVED).equals(expected) or table_digest(meta, frame) != meta["sequences"]["content_sha256"]:
        raise PlanError(f"{where} was edited after compiling (its rows do not match plan.json's content hash); "
                        "recompile the plan")


def plan_hash(meta: dict) -> str:
    content = {k: v for k, v in meta.items() if k not in ("plan_hash", "compiler", "spec")}
    content["sequences"] = {k: v for k, v in meta["sequences"].items() if k not in ("path", "file_sha256")}
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def build_meta(program: ir.Program, built: dict[str, ClassSequences], source: str, spec_path: str) -> dict:
    """plan.json contents, minus the hashes of the sequence table (filled in on write)."""
    used = sorted({t for cs in built.values() for t in cs.picks})
    meta = {
        "format": FORMAT,
        "compiler": {"name": "mitspec", "version": __version__},
        "benchmark": program.title,
        "seed": program.seed,
        "length": program.length,
        "spec": {"path": spec_path, "sha256": hashlib.sha256(source.encode()).hexdigest(), "source": source,
                 **({"inputs": list(program.inputs)} if program.inputs else {}),
                 "motifs": motif_matrices(program.motifs),
                 # the declared grammar and expectations describe the spec (outside plan_hash, as
                 # the motifs): the oracle scores the rules, the metrics judge the expectations
                 **({"grammar": [r.describe() for r in program.rules]} if program.rules else {}),
                 **({"expectations": [e.describe() for e in program.expectations]} if program.expectations else {})},
        "classes": [
            {"name": c.name, "title": c.title, "n": c.n, "parent": c.parent, "independent": c.independent,
             "background": c.background.describe(), "background_root": c.background_root,
             "features": [{"name": f.name, "start": f.start, "end": f.end, "strand": f.strand, "source": f.source,
                           **({"random": list(f.within)} if f.within else {}),
                           **({"revcomp_of": f.revcomp_of} if f.revcomp_of else {})}
                          for f in c.features],
             **({"group": c.group, "condition": c.condition} if c.group else {}),
             **({"origin": {"at": c.origin[0], "position": c.origin[1]}} if c.origin else {})}
            for c in program.classes
        ],
        "contrasts": [c.describe() for c in program.contrasts],
        "layouts": {name: {slot: {"start": start, "end": end} for slot, (start, end) in slots.items()}
                    for name, slots in program.layouts.items()},
        **({"roles": {r: {"start": start, "end": end} for r, (start, end) in program.roles.items()}}
           if program.roles else {}),
        "tables": {t: {"columns": list(program.tables[t].columns),
                       "rows": [{"name": r, "values": list(v)}
                                for r, v in zip(program.tables[t].row_names, program.tables[t].values)]}
                   for t in used},
        "sequences": {"path": SEQUENCES_FILE, "format": "parquet", "count": program.total,
                      "content_sha256": "0" * 64, "file_sha256": "0" * 64,
                      "columns": {k: str(v) for k, v in COLUMNS.items()}},
    }
    return meta


def motif_matrix(motif: ir.MotifIR) -> list[list[float]] | None:
    """A motif as per-position base probabilities [[pA, pC, pG, pT], ...] (a choice is its
    weighted mixture), or None for one whose bases depend on the instance (a table
    column, an element's bases)."""
    if isinstance(motif, ir.LiteralMotif):
        return [[float(b == base) for base in "ACGT"] for b in motif.text]
    if isinstance(motif, ir.IupacMotif):
        from ..sequence import IUPAC

        return [[(base in IUPAC[code]) / len(IUPAC[code]) for base in "ACGT"] for code in motif.pattern]
    if isinstance(motif, ir.PwmMotif):
        return [list(column) for column in motif.probs]
    if isinstance(motif, ir.RevCompMotif):
        inner = motif_matrix(motif.inner)
        return None if inner is None else [column[::-1] for column in inner[::-1]]
    if isinstance(motif, ir.ChoiceMotif):
        parts = [motif_matrix(o) for o in motif.options]
        if any(p is None for p in parts):
            return None
        return [[round(sum(w * p[j][b] for w, p in zip(motif.weights, parts)), 12) for b in range(4)]
                for j in range(motif.length)]
    return None


def motif_matrices(motifs: dict) -> dict:
    """The spec's declared motifs as matrices (recorded under `spec`, outside plan_hash:
    they describe the spec, and grammar-aware baselines read them)."""
    out = {}
    for name in sorted(motifs):
        matrix = motif_matrix(motifs[name])
        if matrix is not None:
            out[name] = matrix
    return out


def write_plan(program: ir.Program, built: dict[str, ClassSequences], source: str, spec_path: str,
               out_dir: Path) -> dict:
    """Write sequences.parquet then plan.json, each atomically; returns the plan metadata.

    plan.json is written last and names the table's hash, so a plan.json on disk always
    describes a complete table."""
    out_dir = Path(out_dir)
    meta = build_meta(program, built, source, spec_path)
    frame = pl.concat([_class_frame(cs, record, program.tables) for cs, record in zip(built.values(), meta["classes"])])
    meta["sequences"]["content_sha256"] = table_digest(meta, frame)  # the same function verifies it on load
    atomic_write(out_dir / SEQUENCES_FILE,
                 lambda p: frame.write_parquet(p, compression="zstd", compression_level=3, statistics=False))
    meta["sequences"]["file_sha256"] = sha256_file(out_dir / SEQUENCES_FILE)
    meta["plan_hash"] = plan_hash(meta)
    validate(meta)
    atomic_write(out_dir / PLAN_FILE, lambda p: p.write_text(canonical_json(meta), encoding="utf-8"))
    _mark_verified(meta)  # this table was just made from this plan
    return meta


def validate(meta: dict) -> None:
    try:
        jsonschema.Draft202012Validator(plan_schema()).validate(meta)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise PlanError(f"plan does not match plan.schema.json at {where}: {exc.message}") from None


@dataclass(frozen=True)
class Plan:
    """A loaded plan: metadata (plan.json as read), the sequence table (one row per
    sequence) and `view`, the typed read-only view every later stage reads."""

    path: Path
    meta: dict
    sequences: pl.DataFrame

    @property
    def plan_hash(self) -> str:
        return self.meta["plan_hash"]

    @cached_property
    def view(self) -> PlanView:
        return PlanView.from_meta(self.meta)


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


def sequence_file(plan_file: Path, meta: dict) -> Path:
    """The sequence table plan.json names, which must lie in the plan's own directory."""
    name = meta["sequences"]["path"]
    table = resolve_inside(plan_file.parent, name)
    if table is None or table.parent != plan_file.parent.resolve():
        raise PlanError(f"{plan_file} names its sequence table {name!r}, outside the plan directory; "
                        "a plan's files sit beside its plan.json: recompile the plan")
    return table


def load_plan(path: str | Path, verify: bool = True) -> Plan:
    """Read and check a plan. With `verify`, the table must hash to what plan.json says
    (its file hash, and its content against the content hash that plan_hash covers)."""
    plan_file = resolve_plan_path(path)
    meta = read_meta(plan_file)
    table = sequence_file(plan_file, meta)
    if not table.exists():
        raise PlanError(f"{plan_file} names {table.name}, which is missing; recompile the plan")
    if verify and sha256_file(table) != meta["sequences"]["file_sha256"]:
        raise PlanError(f"{table} does not match the hash in {plan_file.name}; recompile the plan")
    try:
        frame = pl.read_parquet(table)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PlanError(f"{table} is not a readable sequence table ({exc}); recompile the plan") from None
    if verify and not _verified(meta):
        verify_table(meta, frame, table)
        _mark_verified(meta)
    return Plan(plan_file, meta, frame)


def _stamp(meta: dict) -> Path | None:
    """Where this user records that a table with these exact bytes was verified against
    this plan_hash (so a large plan is verified once, not on every load)."""
    directory = private_dir(cache_dir() / "verified")
    if directory is None:
        return None
    key = hashlib.sha256(f"{meta['sequences']['file_sha256']}:{meta['plan_hash']}".encode()).hexdigest()
    return directory / key


def _verified(meta: dict) -> bool:
    stamp = _stamp(meta)
    return stamp is not None and stamp.exists()


def _mark_verified(meta: dict) -> None:
    stamp = _stamp(meta)
    if stamp is not None:
        try:
            stamp.touch()
        except OSError:
            pass
