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
