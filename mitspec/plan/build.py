"""spec file -> plan directory, skipping plans that are already up to date."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..spec.check import Limits, check
from ..spec.parser import parse, read_spec
from .compile import compile_program
from ..io import sha256_file
from .store import PLAN_FILE, PlanError, read_meta, sequence_file, write_plan


@dataclass(frozen=True)
class BuildResult:
    spec: Path
    out_dir: Path
    meta: dict
    fresh: bool  # False when the plan on disk was already up to date
    seconds: float
    warnings: tuple[str, ...] = ()  # what compiling found worth saying (see compile_program)


def default_out_dir(spec: Path, build_root: Path = Path("build")) -> Path:
    return build_root / spec.stem


def inputs_unchanged(spec: Path, meta: dict) -> bool:
    """Every file the plan's spec read (recorded relative to the spec) still has its sha256."""
    for record in meta["spec"].get("inputs", []):
        if "path" not in record:
            continue
        try:
            if sha256_file(spec.parent / record["path"]) != record["sha256"]:
                return False
        except OSError:
            return False
    return True


def up_to_date(spec_source: str, out_dir: Path, spec: Path | None = None) -> dict | None:
    """The plan's metadata if `out_dir` holds a plan of this exact source (and inputs) by this compiler."""
    if not (out_dir / PLAN_FILE).exists():
        return None
    try:
        meta = read_meta(out_dir)
        table = sequence_file(out_dir / PLAN_FILE, meta)
    except PlanError:
        return None
    if (meta["compiler"]["version"] != __version__
            or meta["spec"]["sha256"] != hashlib.sha256(spec_source.encode()).hexdigest()
            or not table.exists() or sha256_file(table) != meta["sequences"]["file_sha256"]
            or (spec is not None and not inputs_unchanged(spec, meta))):
        return None
    return meta


def build(spec: Path, out_dir: Path, force: bool = False, limits: Limits = Limits(),
          data_dir: str | None = None, roles: Mapping[str, str] | None = None) -> BuildResult:
    """Compile `spec` into `out_dir` unless an identical plan is there (same source, same
    input files). Raises SpecErrors (a plan over `limits` is one, and so is a file read
    from outside `data_dir`); `roles`: what `role` may bind (spec.check.check)."""
    t0 = time.perf_counter()
    source = read_spec(spec)
    if not force and (meta := up_to_date(source, out_dir, Path(spec))) is not None:
        return BuildResult(spec, out_dir, meta, False, time.perf_counter() - t0)
    program = check(parse(source, str(spec)), limits, data_dir, roles)
    warnings: list[str] = []
    built = compile_program(program, warnings=warnings)
    meta = write_plan(program, built, source, spec.as_posix(), out_dir)
    return BuildResult(spec, out_dir, meta, True, time.perf_counter() - t0, tuple(warnings))
