"""The `mitspec` command line: compile, check, show."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .spec.errors import SpecErrors

# Commands import their heavy dependencies (polars, jsonschema) lazily: `check` and
# `--help` should not pay for what only `compile` and `show` need.

EXIT_SPEC_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_SPEC_ERROR)


def _project_specs() -> list[Path]:
    specs = sorted(Path("specs").glob("*.mit"))
    if not specs:
        _fail("no spec given and no specs/*.mit in this directory; try `mitspec compile path/to/spec.mit`")
    return specs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mitspec")
def main() -> None:
    """Mechanistic Invariance Tests for genomic language models, as code."""


@main.command("compile")
@click.argument("specs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Plan directory (one spec) or parent of plan directories (several). Default: build/<spec>/.")
@click.option("--fasta", is_flag=True, help="Also write sequences.fasta into the plan directory.")
@click.option("--force", is_flag=True, help="Recompile even if the plan is up to date.")
def compile_cmd(specs: tuple[Path, ...], out: Path | None, fasta: bool, force: bool) -> None:
    """Compile SPECS (default: every specs/*.mit) into experiment plans."""
    from .plan.build import build, default_out_dir, write_fasta
    from .plan.store import load_plan

    paths = list(specs) or _project_specs()
    failed = 0
    for spec in paths:
        if out is None:
            out_dir = default_out_dir(spec)
        else:
            out_dir = out if len(paths) == 1 else out / spec.stem
        try:
            result = build(spec, out_dir, force=force)
        except SpecErrors as exc:
            click.echo(exc.render(), err=True)
            failed += 1
            continue
        meta = result.meta
        if fasta:
            write_fasta(load_plan(out_dir, verify=False).sequences, out_dir / "sequences.fasta")
        status = f"compiled in {result.seconds:.2f} s" if result.fresh else "up to date"
        click.echo(f"{spec} -> {out_dir}/  {len(meta['classes'])} classes, {meta['sequences']['count']:,} sequences, "
                   f"plan {meta['plan_hash'][:12]}  ({status})")
    if failed:
        sys.exit(EXIT_SPEC_ERROR)


@main.command("check")
@click.argument("specs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_cmd(specs: tuple[Path, ...]) -> None:
    """Report every problem in SPECS (default: specs/*.mit) without compiling."""
    from .spec.check import load

    failed = 0
    for spec in list(specs) or _project_specs():
        try:
            program = load(spec)
        except SpecErrors as exc:
            click.echo(exc.render(), err=True)
            failed += 1
            continue
        click.echo(f"{spec}: ok ({len(program.classes)} classes, {program.total:,} sequences, "
                   f"{len(program.contrasts)} contrasts)")
    if failed:
        sys.exit(EXIT_SPEC_ERROR)


@main.command("show")
@click.argument("plan", type=click.Path(exists=True, path_type=Path))
def show_cmd(plan: Path) -> None:
    """Summarise a compiled PLAN (a plan directory or its plan.json) per class."""
    from .plan.store import PlanError, load_plan
    from .plan.summary import render_summary

    try:
        loaded = load_plan(plan)
    except PlanError as exc:
        _fail(str(exc))
    click.echo(render_summary(loaded))


if __name__ == "__main__":
    main()
