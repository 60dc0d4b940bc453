"""The report's one section model (report/document.py): every block renders in Markdown and
in HTML, says the same thing in both, and makes hostile text inert in both."""
import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from mitspec.report.document import (Bullets, Cell, Code, Figure, Heading, Item, Label, Marked, Preformatted, Strong,
                                     Table, html_fragment, md, para, to_html, to_markdown)

EVIL = "<img src=x onerror=alert(1)> | *x* `y` [z](w)"
BLOCKS = [Heading("Title", 1), Heading("CSS", aside="win rate"), para("Plan ", Code("abc"), " is ", Strong("sound"), "; ",
                                                                       Marked("0.93"), " is marked", style="meta"),
          Table(("model", "value"), (Label("gLMs"), ("m1", Cell("0.93", True, "0.86 to 0.97")), ("m2", "-0.06"))),
          Bullets((Item("clear effects", lead="m1", children=("scores C higher",)), Item("plain"))),
          Preformatted("class  n\nA      5"), Figure("forest", "win rates"), Figure("absent", "never drawn")]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open, self.seen, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag not in ("br", "img", "meta"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.problems.append(tag)


def test_every_block_renders_in_both_formats():
    text = to_markdown(BLOCKS, {"forest": "figures/forest.png"})
    assert text.startswith("# Title\n\n## CSS: win rate\n\nPlan `abc` is **sound**; **0.93** is marked\n")
    assert "| model | value |\n|---|---|\n| **gLMs** |  |\n| m1 | **0.93** |\n| m2 | -0.06 |\n" in text
    assert "- **m1**: clear effects\n  - scores C higher\n- plain\n" in text
    assert "```\nclass  n\nA      5\n```" in text and "![win rates](figures/forest.png)" in text
    assert "never drawn" not in text  # a figure that was not drawn leaves no broken link
    page = to_html("t", BLOCKS, {"forest": b"png"})
    tags = _Tags()
    tags.feed(page)
    assert not tags.problems and tags.open == [], "every element is closed, in order"
    assert "<h2>CSS <small class=meta>win rate</small></h2>" in page
    assert "<td class=sig>0.93<br><span class=note>0.86 to 0.97</span></td>" in page  # the detail only where there is room
    assert "<b class=sig>0.93</b>" in page and "<td class=l colspan=2><b>gLMs</b></td>" in page
    assert tags.seen.count("img") == 1 and 'src="data:image/png;base64,cG5n"' in page  # b"png" in base64


def test_both_formats_hold_the_same_headings_tables_and_items():
    """One model, two renderings: what Markdown shows, HTML shows (a viewer's parse of each)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(to_markdown(BLOCKS, {"forest": "f.png"}))
    page = to_html("t", BLOCKS, {"forest": b"png"})
    kinds = {"heading_open": "<h", "table_open": "<table>", "tr_open": "<tr>", "list_item_open": "<li>"}
    for token, tag in kinds.items():
        in_md = sum(t.type == token for t in tokens)
        in_html = len(re.findall(re.escape(tag) + (r"\d" if tag == "<h" else ""), page))
        assert in_md == in_html, token


@pytest.mark.parametrize("block", [Heading(EVIL), para(EVIL, Strong(EVIL), Marked(EVIL), Code(EVIL)),
                                   Table((EVIL,), ((EVIL,), (Cell(EVIL, True, EVIL),), Label(EVIL))),
                                   Bullets((Item(EVIL, lead=EVIL, children=(EVIL,)),)), Preformatted(EVIL),
                                   Figure("k", EVIL)])
def test_hostile_text_is_inert_in_both_formats(block):
    rendered = MarkdownIt("commonmark").enable("table").render(to_markdown([block], {"k": "f.png"}))
    assert "<img src=x" not in rendered and "<em>x</em>" not in rendered and 'href="w"' not in rendered
    assert "<img src=x" not in html_fragment([block], {"k": b"png"})


def test_a_table_cell_opens_no_block_so_signs_stay_as_written():
    """md() escapes a line start that would open a list ("-0.06", "1."); in a cell it would
    only clutter the source: GFM cells hold inline content."""
    assert md("-0.06") == "\\-0.06" and md("-0.06", line_start=False) == "-0.06"
    assert md("a|b", line_start=False) == "a\\|b"  # a pipe still ends a cell
    table = to_markdown([Table(("v",), (("-0.06",), ("1. x",)))], {})
    assert "| -0.06 |\n| 1. x |" in table
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert "<td>-0.06</td>" in html and "<td>1. x</td>" in html


@pytest.mark.parametrize("text", ["abc", "a`b", "`a", "b`", "``x``", " a ", " a", "a ", "   ", "plan 65b6919af9e6"])
def test_a_code_span_shows_its_text_exactly_and_pads_only_where_needed(text):
    """CommonMark strips one space each side of a span's content when it has both (and is not
    all spaces), and a backtick at either end would merge with the fence, so those are padded."""
    rendered = MarkdownIt("commonmark").render(to_markdown([para(Code(text))], {}))
    assert rendered == f"<p><code>{text}</code></p>\n"
    if "`" not in text and text.strip() == text:
        assert f"`{text}`" in to_markdown([para(Code(text))], {})


def test_an_unknown_block_is_refused():
    with pytest.raises(TypeError, match="not a report block"):
        to_markdown(["just a string"], {})
    with pytest.raises(TypeError, match="not a report block"):
        html_fragment([object()])
