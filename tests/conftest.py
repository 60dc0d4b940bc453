from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
CANONICAL = sorted(SPECS.glob("*.mit"))

# A small valid spec the tests edit; line numbers matter to test_check.py.
BASE = """benchmark "t" seed 1 length 100
background bg = iid(at=0.5)
motif m35 = "TTGACA"
motif m10 = "TATAAT"
layout L { m35 at 30..36  m10 at 53..59 }
class C n=10 on bg {
  place m35 at L.m35
  place m10 at L.m10
}
"""


@pytest.fixture
def base_spec() -> str:
    return BASE


def plan_of(directory: Path, text: str):
    """Compile spec `text` in `directory` (written there as spec.mit) and load the plan."""
    from mitspec.plan.build import build
    from mitspec.plan.store import load_plan

    (directory / "spec.mit").write_text(text)
    return load_plan(build(directory / "spec.mit", directory / "plan").out_dir)
