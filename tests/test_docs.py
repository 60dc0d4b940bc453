"""The README and docs/ link to each other by section: every relative link must reach a
file that exists and, for a Markdown page, a heading it has (GitHub's anchor rules)."""
import re

import pytest

from .conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(page) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces -> '-'."""
    found, fenced = set(), False
    for line in page.read_text().split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6} ", line):
            text = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower())
            found.add(text.replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_its_page_and_section(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no such section")
    assert not broken, broken


def test_the_readme_stays_a_short_entry_point():
    """Quickstart, the two commands, a map of docs/ (issue 29: the README had grown to 940+ lines)."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    assert "<!-- ci:main -->" in text and "<!-- ci:tests -->" in text
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in text, f"the README's map lacks {page.name}"


def test_the_language_page_lists_every_edit_op_as_registered():
    """Issue 30: nothing listed the ops with their meaning, so a new `invert A..B` duplicated
    `revcomp` unnoticed. docs/language.md holds the registry's table; a new op (or a changed
    usage line) must update it: paste `python -c "from mitspec.spec.ops import
    reference_table; print(reference_table())"` between the markers."""
    from mitspec.spec.ops import OPS, reference_table

    page = (ROOT / "docs" / "language.md").read_text()
    listed = page.split("<!-- ops:begin -->\n", 1)[1].split("\n<!-- ops:end -->", 1)[0]
    assert listed == reference_table()
    assert all(op.usage.split()[0] == op.rule and op.doc for op in OPS)
