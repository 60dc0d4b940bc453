"""Fuzz what parses input: mutated bundled specs, specs generated from the grammar, specs
reading hostile files, score files and edited plans give a result or a clean diagnostic,
never another exception, a hang (over the time limit) or a runaway allocation (over 2 GiB).

A few hundred cases per run (MITSPEC_FUZZ_CASES to change it); CI runs them derandomised.
For a large run with counts per outcome: python benchmarks/fuzz_specs.py --cases 10000"""
import os
import re
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzz_files import base_plan, plan_outcome, score_case, score_outcome
from .fuzz_specs import OPS, SPECS, compile_source, generated_spec, hostile_data_dir, mutate, outcome

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="cases run in forkserver children (POSIX)")

CASES = int(os.environ.get("MITSPEC_FUZZ_CASES", "300"))
mutation = st.tuples(st.sampled_from(OPS), st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True),
                     st.integers(0, 1 << 16))


@settings(max_examples=CASES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(SPECS)), st.lists(mutation, min_size=1, max_size=4))
def test_mutated_bundled_specs_never_crash_hang_or_explode(name, mutations):
    source = mutate(SPECS[name], mutations)
    assert outcome(source) in ("ok", "spec-error"), source


def _divide(source):
    return 1 / 0


def _spin(source):
    while True:
        pass


def _hoard(source):
    return bytearray(4 << 30)


def test_the_harness_tells_every_outcome_apart():
    """A test of the harness itself: each bad outcome is reported as what it is."""
    assert outcome("x" * 10) == "spec-error"
    assert outcome(SPECS["mit_sigma70"]) == "ok"
    assert outcome("", run=_divide).startswith("exception: ZeroDivisionError")
    assert outcome("", run=_spin, time_limit=1) == "hang"
    assert outcome("", run=_hoard) == "bomb"


# ---- issue 27: specs from the grammar, hostile paths, score files, edited plans ------------------
@pytest.fixture(scope="module")
def hostile_specs(tmp_path_factory):
    return str(hostile_data_dir(tmp_path_factory.mktemp("fuzz")))


@settings(max_examples=CASES // 2, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=list(HealthCheck))
@given(st.integers(0, 1 << 32))
def test_specs_generated_from_the_grammar_never_crash_hang_or_explode(hostile_specs, seed):
    source = generated_spec(seed)
    assert outcome(source, run=partial(compile_source, specs=hostile_specs)) in ("ok", "spec-error"), source


FILE_STRING = re.compile(r'(pwm\(|import |genome\(file=|markov\(\d+, file=|given\()"[^"]*"')


@pytest.mark.parametrize("path", ["hostile/fifo.fa", "hostile/dir.fa", "hostile/bomb.fa.gz", "hostile/empty.fa",
                                  "hostile/binary.jaspar", "hostile/dev.fa", "nul\\0byte.fa", "x" * 300 + ".fa",
                                  "../../../../etc/passwd"])
def test_every_file_a_bundled_spec_reads_may_be_hostile(hostile_specs, path):
    """Each bundled spec that reads a file, with that file swapped for a FIFO, a directory,
    a gzip bomb, junk, a link to /dev/zero, a NUL byte, an overlong or escaping name: a
    diagnostic every time, never a hang (the FIFO) or a bomb."""
    readers = {name: text for name, text in SPECS.items() if FILE_STRING.search(text)}
    assert len(readers) >= 3, sorted(readers)  # a genome file, a matrix, an import, given sequences
    for name, text in readers.items():
        source = FILE_STRING.sub(lambda m: f'{m.group(1)}"{path}"', text)
        assert outcome(source, run=partial(compile_source, specs=hostile_specs)) == "spec-error", (name, path)


@pytest.fixture(scope="module")
def fuzz_plan(tmp_path_factory):
    return base_plan(tmp_path_factory.mktemp("fuzz-files"))


FILE_CASES = int(os.environ.get("MITSPEC_FUZZ_FILE_CASES", "24"))


@settings(max_examples=FILE_CASES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=list(HealthCheck))
@given(st.integers(0, 1 << 32))
def test_score_files_of_any_shape_give_metrics_or_one_sentence(fuzz_plan, seed):
    assert score_outcome(seed, fuzz_plan) in ("ok", "spec-error"), score_case(seed)


@settings(max_examples=FILE_CASES // 2, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=list(HealthCheck))
@given(st.integers(0, 1 << 32))
def test_edited_plans_give_a_report_or_one_sentence_and_write_nothing_outside(fuzz_plan, seed):
    """Names that become file names (`X[../../PWNED]`) and Markdown (raw HTML), wrong types,
    NaN and 2^62, with the plan hash recomputed: run and report stay inside the plan's
    directory and report.md holds no raw HTML (checked in the case itself)."""
    assert plan_outcome(seed, fuzz_plan) in ("ok", "spec-error"), seed
