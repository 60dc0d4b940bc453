"""The `mitspec` command line: spec -> plan -> scores -> metrics -> report.

Every user-facing error is a `MitspecError`; `_Cli.invoke` catches it once (its message,
exit status 2, no traceback). Any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

import errno
import sys
from pathlib import Path

import click

from . import __version__
from .errors import MitspecError
from .io import printable
from .planview import PlanView

# Commands import their heavy dependencies (polars, jsonschema) lazily: `check` and
# `--help` should not pay for what only `compile` and `show` need.

EXIT_SPEC_ERROR = MitspecError.exit_code


class CliError(MitspecError):
    """A command used the wrong way: what to do instead."""


def _fail(message: str):
    raise CliError(message)


_SYSTEM_REFUSALS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def _echo_error(exc: MitspecError) -> None:
    """An error's sentence on stderr, with any control character from a user's file escaped."""
    click.echo(printable(exc.render(), lines=True), err=True)


class _Cli(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MitspecError as exc:
            _echo_error(exc)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # the system refused a file: say which and why, no traceback
            if exc.errno not in _SYSTEM_REFUSALS:
                raise
            where = f" {printable(str(exc.filename))}" if exc.filename else ""
            click.echo(f"error: cannot use{where}: {exc.strerror}; free space, or choose a place you may write "
                       "(-o DIR, MITSPEC_CACHE)", err=True)
            ctx.exit(2)


def _project_specs() -> list[Path]:
    specs = sorted(Path("specs").glob("*.mit"))
    if not specs:
        _fail("no spec given and no specs/*.mit in this directory; try `mitspec compile path/to/spec.mit`")
    return specs


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mitspec")
def main() -> None:
    """Mechanistic Invariance Tests for genomic language models, as code."""


def _limits_options(command):
    """--max-sequences / --max-bases / --max-length: the plan budget checked before compiling."""
    from .spec.check import Limits

    defaults = Limits()
    for flag, field, what in (("--max-length", "max_length", "bp per sequence"),
                              ("--max-bases", "max_bases", "bases in the whole plan"),
                              ("--max-sequences", "max_sequences", "sequences in the whole plan")):
        command = click.option(flag, field, type=click.IntRange(min=1), default=getattr(defaults, field),
                               show_default=True, help=f"Refuse plans with more {what}.")(command)
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        help="Files a spec reads (PWMs, genomes, imports) must lie in here. Default: the spec's directory.")(
        command)


def _limits(max_sequences: int, max_bases: int, max_length: int, data_dir: Path | None) -> dict:
    """check()/build() keyword arguments from the budget options (and the roles scorers read)."""
    from .models.registry import roles
    from .spec.check import Limits

    return {"limits": Limits(max_sequences=max_sequences, max_bases=max_bases, max_length=max_length),
            "data_dir": str(data_dir) if data_dir is not None else None, "roles": roles()}


@main.command("compile")
@click.argument("specs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Plan directory (one spec) or parent of plan directories (several). Default: build/<spec>/.")
@click.option("--fasta", is_flag=True, help="Also write sequences.fasta into the plan directory.")
@click.option("--force", is_flag=True, help="Recompile even if the plan is up to date.")
@_limits_options
def compile_cmd(specs: tuple[Path, ...], out: Path | None, fasta: bool, force: bool, **budget) -> None:
    """Compile SPECS (default: every specs/*.mit) into experiment plans."""
    from .fasta import write_plan_fasta
    from .plan.build import build, default_out_dir
    from .plan.store import load_plan

    paths = list(specs) or _project_specs()
    failed = 0
    for spec in paths:
        if out is None:
            out_dir = default_out_dir(spec)
        else:
            out_dir = out if len(paths) == 1 else out / spec.stem
        try:
            result = build(spec, out_dir, force=force, **_limits(**budget))
        except MitspecError as exc:  # report it, and go on with the other specs
            _echo_error(exc)
            failed += 1
            continue
        view = PlanView.from_meta(result.meta)
        for warning in result.warnings:
            click.echo(f"warning: {spec}: {warning}", err=True)
        if fasta:
            write_plan_fasta(load_plan(out_dir, verify=False).sequences, out_dir / "sequences.fasta")
        status = f"compiled in {result.seconds:.2f} s" if result.fresh else "up to date"
        click.echo(f"{spec} -> {out_dir}/  {len(view.classes)} classes, {view.sequence_count:,} sequences, "
                   f"plan {view.plan_hash[:12]}  ({status})")
    if failed:
        sys.exit(EXIT_SPEC_ERROR)


@main.command("check")
@click.argument("specs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_limits_options
def check_cmd(specs: tuple[Path, ...], **budget) -> None:
    """Report every problem in SPECS (default: specs/*.mit) without compiling."""
    from .spec.check import load

    failed = 0
    for spec in list(specs) or _project_specs():
        try:
            program = load(spec, **_limits(**budget))
        except MitspecError as exc:
            _echo_error(exc)
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
    from .plan.store import load_plan
    from .plan.summary import render_summary

    click.echo(render_summary(load_plan(plan)))


# ---- scoring ------------------------------------------------------------------------------
_no_audit = click.option("--no-audit", is_flag=True,
                         help="Skip the composition audit (docs/metrics.md: Composition audit).")
_fdr = click.option("--fdr", type=click.Choice(["model", "run"]), default="model", show_default=True,
                    help="Benjamini-Hochberg family (sound statistics): each model's own tests, or the whole run's.")


_device = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                       help="Where ONNX models run; auto takes CUDA when it really loads.")
_no_cache = click.option("--no-cache", is_flag=True, help="Neither read nor write the score cache.")
_batch_tokens = click.option("--batch-tokens", type=click.IntRange(min=1),
                             help="Tokens per forward pass (default 4096 on CPU, 65536 on CUDA).")


def _open_cache(no_cache: bool):
    from .scores.cache import NoCache, ScoreCache

    return NoCache() if no_cache else ScoreCache()


def _scorers(names: tuple[str, ...], device: str, batch_tokens: int | None = None, cluster=None) -> list:
    """Scorers for `names` (default: every exported model and every baseline). With a Ray
    `cluster`, exported gLMs are scored by its workers and never loaded here; baselines,
    which take milliseconds, always run here."""
    from .models.registry import default_names, locate, resolve

    if not names:
        names = tuple(default_names())
    names = tuple(dict.fromkeys(names))  # `-m X -m X` asks for X once
    scorers = []
    for name in names:
        manifest = locate(name) if cluster is not None else None
        if manifest is not None:
            scorer = cluster.scorer(manifest, batch_tokens)
            where = " on the Ray cluster"
        else:
            scorer = resolve(name, device=device, batch_tokens=batch_tokens)
            provider = getattr(scorer, "provider", None)
            where = f" on {'CUDA' if provider == 'cuda' else 'CPU'} (onnxruntime)" if provider else ""
        click.echo(f"model {scorer.name}: {scorer.kind}{where}", err=True)
        scorers.append(scorer)
    return scorers


PROGRESS_LOG_SECONDS = 30.0  # without a terminal: a progress line at most this often, and one at the end


def _progress_lines(name: str, total: int):
    """For a log file or CI (stderr not a terminal), where a bar prints nothing until it
    ends: `scoring NAME: done/total rows (pct), rate rows/s, ~eta s left` every
    PROGRESS_LOG_SECONDS and when the model is done."""
    import time

    done, started, last = 0, time.perf_counter(), time.perf_counter()

    def advance(k: int) -> None:
        nonlocal done, last
        done += k
        now = time.perf_counter()
        if done < total and now - last < PROGRESS_LOG_SECONDS:
            return
        last = now
        rate = done / max(now - started, 1e-9)
        left = f", ~{(total - done) / rate:,.0f} s left" if done < total and rate > 0 else f" in {now - started:,.1f} s"
        click.echo(f"scoring {name}: {done:,}/{total:,} rows ({100 * done / total:.0f}%), {rate:,.0f} rows/s{left}",
                   err=True)

    return advance


def _progress_for(name: str, total: int):
    """One bar per model over every worker: rows scored, rows/s since the start, ETA
    (lines instead when stderr is not a terminal)."""
    import time

    if not sys.stderr.isatty():
        return _progress_lines(name, total)
    bar = click.progressbar(length=total, label=f"scoring {name}", show_eta=True, show_pos=True, file=sys.stderr,
                            item_show_func=lambda rate: rate)
    bar.__enter__()
    done, started = 0, time.perf_counter()

    def advance(k: int) -> None:
        nonlocal done
        done += k
        bar.update(k, f"{done / max(time.perf_counter() - started, 1e-9):,.0f} rows/s")
        if done >= total:
            bar.__exit__(None, None, None)

    return advance


def _run_targets(targets: tuple[Path, ...], out: Path | None, options: dict) -> list[tuple[Path, Path]]:
    """(plan directory, output directory) per plan to run: plan dirs / plan.json as given,
    specs compiled first (into the output directory when -o is given, so nothing lands in
    ./build/ unasked); default: every plan in build/."""
    from .plan.build import build, default_out_dir

    if not targets:
        plans = sorted(p.parent for p in Path("build").glob("*/plan.json"))
        if not plans:
            _fail("no plans in build/; run `mitspec compile` first, or give a spec or plan")
        targets = tuple(plans)

    def out_for(name: str, plan: Path) -> Path:
        if out is None:
            return plan
        return out if len(targets) == 1 else out / name

    runs = []
    for target in targets:
        if target.suffix == ".mit":
            where = out_for(target.stem, default_out_dir(target))
            result = build(target, where, **options)
            for warning in result.warnings:
                click.echo(f"warning: {target}: {warning}", err=True)
            runs.append((result.out_dir, where))
        else:
            plan = target.parent if target.name == "plan.json" else target
            runs.append((plan, out_for(plan.name, plan)))
    return runs


_executor_options = [
    click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                 help="Where gLMs are scored: this process, or the workers of a Ray cluster (extra `ray`)."),
    click.option("--address", help="Ray cluster to join (default: $RAY_ADDRESS, else a local one on this machine)."),
    click.option("--workers", type=click.IntRange(min=1), help="Ray workers per model (default: one per GPU, else CPUs / threads)."),
    click.option("--worker-threads", type=click.IntRange(min=1),
                 help="Intra-op threads per CPU Ray worker (default 4, at most the CPUs; docs/scoring.md: Scaling out)."),
]


def _executor(command):
    for option in reversed(_executor_options):
        command = option(command)
    return command


@main.command("run")
@click.argument("targets", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-m", "--model", "models", multiple=True, help="Model name or directory (repeatable). Default: every available model.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: the plan's directory).")
@_device
@_no_cache
@_batch_tokens
@_executor
@click.option("--stats", "stats_mode", type=click.Choice(["sound", "paper"]), default="sound", show_default=True,
              help="sound: sign test + Wilson; paper: the published t-test + bootstrap.")
@_no_audit
@_fdr
@_limits_options
def run_cmd(targets, models, out, device, no_cache, batch_tokens, executor, address, workers, worker_threads,
            stats_mode, no_audit, fdr, **budget):
    """Score plans (default: every plan in build/) with each model; writes scores.parquet."""
    from contextlib import nullcontext

    from . import api

    if executor == "local" and (address or workers or worker_threads):
        _fail("--address, --workers and --worker-threads belong to --executor ray")
    runs = _run_targets(targets, out, _limits(**budget))
    cluster = None
    if executor == "ray":
        from .scores.raycluster import RayCluster, RayOptions

        cluster = RayCluster(RayOptions(address, workers, worker_threads), device)
    with cluster or nullcontext():
        scorers = _scorers(models, device, batch_tokens, cluster)
        named = frozenset(s.name for s in scorers) if models else frozenset()
        cache = _open_cache(no_cache)
        try:
            for plan, out_dir in runs:
                result = api.score_and_report(api.Plan.load(plan), scorers, out_dir, stats_mode, not no_audit, fdr,
                                              cache, named, _progress_for, lambda text: click.echo(text, err=True))
                click.echo(f"\n{result.summary}\n{plan} -> {result.directory}/ (scores.parquet, metrics.json, report.html)")
        finally:
            cache.close()


@main.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--plan", "plan_dir", type=click.Path(exists=True, path_type=Path),
              help="The plan the scores belong to (default: RUN_DIR's own, or the one `run -o` recorded).")
@click.option("--stats", "stats_mode", type=click.Choice(["sound", "paper"]), default="sound", show_default=True)
@_no_audit
@_fdr
def report_cmd(run_dir, plan_dir, stats_mode, no_audit, fdr):
    """Recompute metrics and the report from RUN_DIR (scores.parquet, and its plan)."""
    from . import api
    from .scores.run import plan_of_run

    scores = run_dir / "scores.parquet"
    if not scores.exists():
        _fail(f"{scores} is missing; score the plan first with `mitspec run {run_dir}`")
    result = api.Run.load(plan_of_run(run_dir, plan_dir), run_dir, stats_mode, not no_audit, fdr, force=True)
    click.echo(result.summary)
    click.echo(f"{run_dir}/report.html")


@main.command("metrics")
@click.option("--plan", "plan_path", required=True, type=click.Path(exists=True, path_type=Path),
              help="Plan directory or plan.json.")
@click.option("--scores", "score_files", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV, JSON or Parquet with id and score (repeatable: one model per file).")
@click.option("--stats", "stats_mode", type=click.Choice(["sound", "paper"]), default="sound", show_default=True)
@click.option("--resamples", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), help="Bootstrap seed (default: the plan's seed).")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write metrics.json here.")
@click.option("--fasta", "fasta", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The sequences that were scored (FASTA, ids as in the score files): checked against the plan's.")
@_no_audit
@_fdr
def metrics_cmd(plan_path, score_files, stats_mode, resamples, seed, out, fasta, no_audit, fdr):
    """Metrics for scores computed anywhere (e.g. by your own model), joined to a plan by id."""
    from .metrics.calculator import MetricsConfig
    from .metrics.evaluate import evaluate
    from .metrics.files import read_many, with_fasta_sequences, write_metrics
    from .plan.store import load_plan
    from .report.terminal import terminal_summary

    plan = load_plan(plan_path)
    scores = read_many(list(score_files))
    if fasta is not None:
        scores = with_fasta_sequences(scores, fasta)
    config = MetricsConfig(stats=stats_mode, resamples=resamples, seed=seed, audit=not no_audit, fdr=fdr)
    table, doc = evaluate(plan.view, plan.sequences, scores, config, from_files=True)
    click.echo(terminal_summary(table, plan.view, doc))
    if out is not None:
        write_metrics(doc, table, json_path=out)
        click.echo(f"-> {out}")


@main.command("score")
@click.option("--fasta", "fasta", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-m", "--model", required=True, help="Model name or directory.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV file (default: stdout).")
@_device
@_no_cache
@_batch_tokens
def score_cmd(fasta, model, out, device, no_cache, batch_tokens):
    """Score every record of a FASTA file: CSV `id,score` (id = first word of the header)."""
    import csv
    import io

    from .fasta import read_fasta
    from .io import atomic_write
    from .scores.engine import score_cached

    records = read_fasta(fasta)
    (scorer,) = _scorers((model,), device, batch_tokens)
    if scorer.needs_plan:
        _fail(f"{scorer.name} scores the motifs a spec declares where its classes place them, and a FASTA file "
              f"has neither (every sequence would score 0); score a plan: `mitspec run PLAN -m {scorer.name}`")
    cache = _open_cache(no_cache)
    try:
        result = score_cached(scorer, [r.sequence for r in records], cache)
    finally:
        cache.close()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")  # quotes ids holding commas or quotes
    writer.writerow(["id", "score"])
    writer.writerows((record.id, repr(float(value))) for record, value in zip(records, result.score))
    if out is None:
        click.echo(buf.getvalue(), nl=False)
    else:
        atomic_write(out, lambda p: p.write_text(buf.getvalue(), encoding="utf-8"))


@main.command("export")
@click.argument("source")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Model directory to write (default: exported_models/<name>).")
@click.option("--name", help="Model name (default: the output directory's name).")
@click.option("--kind", type=click.Choice(["causal", "masked"]), help="Override the detected LM kind.")
@click.option("--trust-remote-code", is_flag=True, help="Allow custom architectures' code (e.g. DNABERT-2).")
@click.option("--tolerance", type=float, help="Max |ONNX - PyTorch float32| logit difference. [default: 1e-4; "
                                               "0.5 with --fp16]")
@click.option("--fp16", is_flag=True, help="Compute in float16 (for the CUDA provider; half the weights' memory). "
                                           "Native families only; the logit change is measured and recorded.")
@click.option("--import", "imports", multiple=True, metavar="MODULE",
              help="Import MODULE first, so it registers its model classes with transformers (e.g. gpn.model).")
def export_cmd(source, out, name, kind, trust_remote_code, tolerance, fp16, imports):
    """Export a Hugging Face checkpoint (directory or hub id) or an Evo 2 checkpoint to ONNX with a manifest."""
    from .export.onnx import describe, export

    out = out or Path("exported_models") / (name or Path(source.rstrip("/")).name)
    report = export(source, out, name=name, kind=kind, trust_remote_code=trust_remote_code, tolerance=tolerance,
                    imports=tuple(imports), fp16=fp16)
    click.echo(describe(report))


@main.group("train")
def train_group():
    """Train bundled gLMs on the shipped genomes, and the quality bars they must beat."""


@train_group.command("run")
@click.argument("config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Where to export (default: exported_models/<name>).")
@click.option("--minutes", type=float, help="Override the config's time budget.")
@click.option("--max-steps", type=int, help="Override the config's step limit.")
def train_run_cmd(config_path, out, minutes, max_steps):
    """Train a model from CONFIG (JSON), check it against its bar, export it if it beats it."""
    from dataclasses import replace

    from .train.bars import bars, best
    from .train.config import load_config

    config = load_config(config_path)
    try:
        from .train.ship import ship
        from .train.trainer import train
    except ImportError:
        _fail("`mitspec train` needs the train extra: pip install -e '.[train,export]'")
    if minutes is not None:
        config = replace(config, minutes=minutes)
    if max_steps is not None:
        config = replace(config, max_steps=max_steps)
    bar = best(bars(config.genome), "context" if config.masked else "markov")
    click.echo(f"{config.name}: {config.family} on {config.genome}; bar {bar.nats:.4f} nats/base ({bar.model} k={bar.k})")
    result = train(config, log=click.echo)
    click.echo(f"held-out {result.heldout_nats:.4f} nats/base after {result.steps} steps, {result.minutes:.1f} min"
               + (f" ({result.heldout_random15:.4f} with 15% of bases masked at random)" if result.heldout_random15 is not None else ""))
    report = ship(config, result, bar, out or Path("exported_models") / config.name)  # BarNotMet exits 1
    click.echo(f"exported -> {report.manifest.directory}/ ({report.manifest.params:,} parameters, "
               f"max |logit diff| {report.max_abs_diff:.1e})")


@train_group.command("bars")
@click.option("--genome", "genomes", multiple=True, default=("ecoli_mg1655",), show_default=True,
              help="Bundled genome (repeatable).")
def bars_cmd(genomes):
    """Held-out nats/base of Markov chains (order 1-8) and context-count models (k <= 5)."""
    from .genomes import GENOMES
    from .text import format_table
    from .train.bars import UNIFORM, bars, best

    for genome in genomes:
        if genome not in GENOMES:
            _fail(f"unknown genome {genome!r}; bundled: {', '.join(GENOMES)}")
        results = bars(genome)
        rows = [[b.model, str(b.k), f"{b.nats:.4f}"] for b in results]
        click.echo(f"{genome}: last 10% held out, both strands; uniform = {UNIFORM:.4f} nats/base")
        click.echo(format_table(rows, ["model", "k", "nats/base"], right={1, 2}))
        causal, masked = best(results, "markov"), best(results, "context")
        click.echo(f"bar for causal models: {causal.nats:.4f} (Markov order {causal.k}); "
                   f"for masked models: {masked.nats:.4f} (context k = {masked.k})\n")


@main.command("models")
def models_cmd():
    """List the models and scorers mitspec can run."""
    from .models.registry import available, model_dirs
    from .text import format_table

    entries = available()
    if not entries:
        where = ", ".join(str(d) for d in model_dirs()) or "exported_models/ (absent)"
        click.echo(f"no models found (searched {where}); export one with `mitspec export`")
        return
    rows = [[e.name, e.kind, f"{e.params:,}" if e.params is not None else "-", e.context, e.location] for e in entries]
    click.echo(format_table(rows, ["name", "kind", "params", "longest input", "from"], right={2}))


if __name__ == "__main__":
    main()
