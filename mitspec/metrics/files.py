"""Scores from files (CSV, JSON, Parquet) and metrics out (metrics.json, metrics.parquet)."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema
import polars as pl

from .. import __version__
from ..contrasts import KINDS
from ..planview import PlanView
from ..io import atomic_write, canonical_json, loads_json, printable, read_input, unreadable_path
from ..limits import JSON_BYTES, TABLE_BYTES
from .calculator import MetricsConfig, MetricsError

METRICS_FORMAT = "mitspec-metrics/2"  # 2: results carry `of` and `part`


SCORE_COLUMNS = {"id": str, "score": (int, float), "model": str, "sequence": str}


def read_scores(path: Path) -> pl.DataFrame:
    """(id, model, score[, sequence]) from one file; model = a `model` column if present,
    else the stem; `sequence`, when the file has it, is the sequence that was scored (the
    metrics check it against the plan's for the same id).

    CSV/TSV with header `id,score[,model][,sequence]`; JSON as {id: score} or
    [{id, score[, model][, sequence]}]; Parquet with columns id, score[, model][, sequence].
    Anything else (wrong JSON types, special files, files over the limits) is a MetricsError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv", ".parquet", ".json"):
        raise MetricsError(f"{path}: unknown score format {suffix or '(no extension)'}; use .csv, .tsv, .json or .parquet")
    problem = unreadable_path(path)
    if problem:
        raise MetricsError(f"score file {printable(str(path))} {problem}")
    try:
        if suffix == ".json":
            frame = _json_scores(path)
        elif path.stat().st_size > TABLE_BYTES:
            raise MetricsError(f"{path}: over {TABLE_BYTES >> 30} GiB, the limit for a score table")
        elif suffix == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, separator="\t" if suffix == ".tsv" else ",", infer_schema_length=10_000)
    except (OSError, pl.exceptions.PolarsError, ValueError, OverflowError) as exc:
        raise MetricsError(f"{path}: cannot read scores ({printable(str(exc))[:300]})") from None
    missing = {"id", "score"} - set(frame.columns)
    if missing:
        raise MetricsError(f"{path}: needs columns id and score (missing {', '.join(sorted(missing))}); "
                           f"it has {printable(', '.join(frame.columns))[:300]}")
    if frame.height == 0:
        raise MetricsError(f"{path} holds no scores (a header and no rows); score the plan first")
    if "model" not in frame.columns:
        frame = frame.with_columns(pl.lit(path.stem).alias("model"))
    extra = [pl.col("sequence").cast(pl.String).str.to_uppercase()] if "sequence" in frame.columns else []
    try:
        frame = frame.select(pl.col("id").cast(pl.String), pl.col("model").cast(pl.String),
                             pl.col("score").cast(pl.Float64), *extra)
    except pl.exceptions.PolarsError:
        raise MetricsError(f"{path}: scores must be numbers (and ids, models and sequences text)") from None
    if extra and frame["sequence"].is_null().any():
        ids = frame.filter(pl.col("sequence").is_null())["id"].head(3).to_list()
        raise MetricsError(f"{path}: the sequence column is empty for ids {', '.join(map(str, ids))}; "
                           "give every scored sequence, or drop the column")
    bad = frame.filter(pl.col("score").is_null() | ~pl.col("score").is_finite())["id"].head(3).to_list()
    if bad:
        raise MetricsError(f"{path}: missing, NaN or infinite scores (ids {', '.join(map(str, bad))}); "
                           "every sequence needs a finite score")
    if frame["id"].is_null().any():
        raise MetricsError(f"{path}: some rows have no id")
    if frame["model"].is_null().any():
        raise MetricsError(f"{path}: some rows have no model name; fill the model column, or drop it to name "
                           "the model after the file")
    return frame


def _json_scores(path: Path) -> pl.DataFrame:
    """{id: score} or [{id, score[, model][, sequence]}], every value of its type."""
    data = loads_json(read_input(path, JSON_BYTES, MetricsError, "score file"), str(path),
                      "give {id: score} or a list of {id, score} objects", MetricsError)
    if isinstance(data, dict):
        data = [{"id": k, "score": v} for k, v in data.items()]
    elif not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise MetricsError(f"{path}: JSON scores must be {{id: score}} or a list of {{id, score}} objects")
    columns: dict[str, list] = {}
    for k, record in enumerate(data):
        unknown = set(record) - set(SCORE_COLUMNS)
        if unknown:
            raise MetricsError(f"{path}: record {k} has unknown key(s) {printable(', '.join(sorted(unknown)))[:200]}; "
                               f"the keys are {', '.join(SCORE_COLUMNS)}")
        for key, value in record.items():
            ok = isinstance(value, SCORE_COLUMNS[key]) and not isinstance(value, bool)
            if key == "score" and ok:
                try:
                    value = float(value)
                except OverflowError:
                    ok = False
            if not ok:
                want = "a number" if key == "score" else "a string"
                raise MetricsError(f"{path}: record {k} ({printable(str(record.get('id')))[:60]}): `{key}` must be "
                                   f"{want}, not {printable(json.dumps(value))[:60]}")
            columns.setdefault(key, [None] * k).append(value)
        for key in columns:
            if len(columns[key]) < k + 1:
                columns[key].append(None)
    schema = {key: pl.Float64 if key == "score" else pl.String for key in columns}
    return pl.DataFrame(columns, schema=schema)


def with_fasta_sequences(scores: pl.DataFrame, fasta: Path) -> pl.DataFrame:
    """`scores` with a `sequence` column from a FASTA of the scored sequences (record id =
    score id); every scored id must be in it."""
    from ..fasta import FastaError, read_fasta

    try:
        records = read_fasta(fasta)
    except FastaError as exc:
        raise MetricsError(str(exc)) from None
    given = pl.DataFrame({"id": [r.id for r in records], "fasta_sequence": [r.sequence for r in records]})
    joined = scores.join(given, on="id", how="left")
    missing = joined.filter(pl.col("fasta_sequence").is_null())["id"].unique().sort().head(5).to_list()
    if missing:
        raise MetricsError(f"{fasta} has no record for scored id(s) {', '.join(missing)}")
    if "sequence" in joined.columns:
        clash = joined.filter(pl.col("sequence") != pl.col("fasta_sequence"))["id"].head(3).to_list()
        if clash:
            raise MetricsError(f"the score file's sequence differs from {fasta}'s for id(s) {', '.join(clash)}")
        joined = joined.drop("sequence")
    return joined.rename({"fasta_sequence": "sequence"})


def read_many(paths: list[Path]) -> pl.DataFrame:
    frames = [read_scores(p) for p in paths]
    if len({"sequence" in f.columns for f in frames}) > 1:
        frames = [f if "sequence" in f.columns else f.with_columns(pl.lit(None, pl.String).alias("sequence"))
                  for f in frames]
    seen: dict[str, Path] = {}
    for path, frame in zip(paths, frames):
        for model in frame["model"].unique().to_list():
            if model in seen:
                raise MetricsError(f"model {model!r} appears in both {seen[model]} and {path}; "
                                   "give each model its own name (a `model` column or a distinct file name)")
            seen[model] = path
    return pl.concat(frames, how="vertical_relaxed")


@lru_cache(maxsize=1)
def metrics_schema() -> dict:
    """metrics.schema.json with the registered contrast kinds."""
    schema = json.loads(resources.files("mitspec").joinpath("schema/metrics.schema.json").read_text(encoding="utf-8"))
    schema["properties"]["results"]["items"]["properties"]["kind"]["enum"] = list(KINDS)
    return schema


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def metrics_document(plan: PlanView, table: pl.DataFrame, config: MetricsConfig, scores_sha256: str | None = None,
                     models: list[str] | None = None, audit: tuple[list, list] | None = None,
                     kinds: dict[str, str] | None = None, sequences_checked: bool = True) -> dict:
    """metrics.json; `models`: every model scored (default: those with results; a plan
    without contrasts has none, so pass them); `audit`: the composition audit's
    (composition rows, model rows); `kinds`: what each model is (baseline, causal, masked),
    so tables can keep gLMs and baselines apart; `sequences_checked`: whether the scored
    sequences were compared with the plan's (always, for `mitspec run`; for score files,
    when they carry a sequence column or a FASTA)."""
    doc = {
        "scores_sha256": scores_sha256,
        "format": METRICS_FORMAT,
        "compiler": {"name": "mitspec", "version": __version__},
        "benchmark": plan.benchmark,
        "plan": plan.plan_hash,
        "stats": config.stats,
        "resamples": config.resamples,
        "seed": config.seed if config.seed is not None else plan.seed,
        "family": config.family_description(),
        "models": sorted(models if models is not None else table["model"].unique().to_list()),
        "sequences_checked": sequences_checked,
        "results": [{k: _clean(v) for k, v in row.items()} for row in table.iter_rows(named=True)],
    }
    if kinds:
        doc["model_kinds"] = {m: kinds[m] for m in doc["models"] if m in kinds}
    if audit is not None:
        from .audit import METHOD

        doc["audit"] = {"method": METHOD,
                        "composition": [{k: _clean(v) for k, v in r.items()} for r in audit[0]],
                        "models": [{k: _clean(v) for k, v in r.items()} for r in audit[1]]}
    if plan.expectations:
        from .expectations import judge_all

        doc["expectations"] = judge_all(plan, doc["results"], doc["models"], paper=config.stats == "paper")
    jsonschema.Draft202012Validator(metrics_schema()).validate(doc)
    return doc


def write_metrics(doc: dict, table: pl.DataFrame, out_dir: Path | None = None, json_path: Path | None = None) -> None:
    json_path = json_path or Path(out_dir) / "metrics.json"
    atomic_write(json_path, lambda p: p.write_text(canonical_json(doc), encoding="utf-8"))
    if out_dir is not None:
        atomic_write(Path(out_dir) / "metrics.parquet", lambda p: table.write_parquet(p, statistics=False))
