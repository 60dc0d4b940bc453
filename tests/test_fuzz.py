"""Fuzz what parses input: mutated bundled specs give a plan or a clean diagnostic, never
another exception, a hang (over 5 s) or a runaway allocation (over 2 GiB).

A few hundred cases per run (MITSPEC_FUZZ_CASES to change it); CI runs them derandomised.
For a large run with counts per outcome: python benchmarks/fuzz_specs.py --cases 10000"""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzz_specs import OPS, SPECS, mutate, outcome

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
