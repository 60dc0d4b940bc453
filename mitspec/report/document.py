"""The report as a list of blocks, rendered once to Markdown and once to self-contained HTML.

Sections (report/sections.py) say *what* the report holds as blocks; this module alone
says how each block looks in each format, and makes every piece of text inert there: spec
titles, class and model names and file names come from files a user did not write.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass

from ..io import printable

# --- blocks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Marked:
    """Text shown the way a significant table value is (so a legend can show the mark)."""
    text: str


Span = str | Strong | Code | Marked  # inline text: plain, emphasised, literal, or marked


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    aside: str = ""  # a short label after the title: "## text: aside", <h2>text <small>aside</small></h2>


@dataclass(frozen=True)
class Para:
    spans: tuple[Span, ...]
    style: str = ""  # "meta" / "method" / "note": de-emphasised in HTML


def para(*spans: Span, style: str = "") -> Para:
    return Para(tuple(spans), style)


@dataclass(frozen=True)
class Cell:
    text: str
    marked: bool = False  # shown as Marked: bold in Markdown, bold red in HTML
    detail: str = ""  # a second line where the format has room (HTML); Markdown leaves it out


@dataclass(frozen=True)
class Label:
    """A row that names the group of rows below it (gLMs / baselines)."""
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...] | Label, ...]


@dataclass(frozen=True)
class Item:
    text: str
    lead: str = ""  # emphasised before the text: "**lead**: text"
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bullets:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Preformatted:
    text: str  # shown literally, monospaced (a plan table)


@dataclass(frozen=True)
class Figure:
    key: str  # into the figures the report wrote; a key without a figure renders as nothing
    caption: str


Block = Heading | Para | Table | Bullets | Preformatted | Figure


# --- Markdown -------------------------------------------------------------------------------------

_MD_ALWAYS = set("\\`*[]|~")  # markup wherever they stand
_MD_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md(text, line_start: bool = True) -> str:
    """Text from a spec, manifest or file, made inert in Markdown (CommonMark/GFM): raw
    HTML is escaped, emphasis, code, links and table pipes are backslash-escaped, and so
    is a line start that would open a heading, list or quote (unless `line_start` is
    False: a table cell opens no block, so `-0.06` stays as written). Intraword `_` is left
    alone (it is no emphasis there), so names like MES_synthetic read as written."""
    text = printable(text)  # a newline or \\r in a name must not start a Markdown line
    out = []
    for i, ch in enumerate(text):
        if ch in _MD_HTML:
            out.append(_MD_HTML[ch])
        elif ch in _MD_ALWAYS:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()):
            out.append("\\_")
        else:
            out.append(ch)
    escaped = "".join(out)
    if not line_start:
        return escaped
    if escaped[:1] in ("#", "+", "-", "=", "!"):
        escaped = "\\" + escaped
    head = len(escaped) - len(escaped.lstrip("0123456789"))
    if 0 < head < len(escaped) and escaped[head] in ".)":
        escaped = escaped[:head] + "\\" + escaped[head:]
    return escaped


def _longest_run(text: str, char: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == char else 0
        best = max(best, run)
    return best


def code_span(text) -> str:
    """`text` as an inline code span, whatever backticks it holds (content is literal;
    control characters escaped, since a blank line would end the span and the paragraph).
    Padded with a space each side only where CommonMark needs it: text that starts or ends
    with a backtick, or with a space at both ends and something else between (one space
    each side would be stripped)."""
    text = printable(text)
    ticks = "`" * (_longest_run(text, "`") + 1)
    padded = not text or text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " " and text.strip(" ") != "")
    return f"{ticks} {text} {ticks}" if padded else f"{ticks}{text}{ticks}"


def fenced(text: str) -> list[str]:
    """`text` as a fenced code block that no run of backticks inside can close."""
    text = printable(text, lines=True)
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return [fence, text, fence]


def _md_span(span: Span, first: bool) -> str:
    if isinstance(span, (Strong, Marked)):
        return f"**{md(span.text, False)}**"
    if isinstance(span, Code):
        return code_span(span.text)
    return md(span, first)


def _md_cell(cell: str | Cell) -> str:
    if isinstance(cell, Cell):
        return f"**{md(cell.text, False)}**" if cell.marked and cell.text else md(cell.text, False)
    return md(cell, False)


def _md_block(block: Block, figures: dict[str, str]) -> list[str]:
    if isinstance(block, Heading):
        aside = f": {md(block.aside)}" if block.aside else ""
        return ["#" * block.level + " " + md(block.text) + aside, ""]
    if isinstance(block, Para):
        return ["".join(_md_span(s, i == 0) for i, s in enumerate(block.spans)), ""]
    if isinstance(block, Table):
        width = len(block.header)
        lines = ["| " + " | ".join(md(h, False) for h in block.header) + " |", "|" + "---|" * width]
        for row in block.rows:
            cells = [f"**{md(row.text, False)}**", *[""] * (width - 1)] if isinstance(row, Label) else map(_md_cell, row)
            lines.append("| " + " | ".join(cells) + " |")
        return [*lines, ""]
    if isinstance(block, Bullets):
        lines = []
        for item in block.items:
            lead = f"**{md(item.lead)}**: " if item.lead else ""
            lines.append(f"- {lead}{md(item.text)}")
            lines += [f"  - {md(child)}" for child in item.children]
        return [*lines, ""]
    if isinstance(block, Preformatted):
        return [*fenced(block.text), ""]
    if isinstance(block, Figure):
        return [f"![{md(block.caption)}]({figures[block.key]})", ""] if block.key in figures else []
    raise TypeError(f"not a report block: {block!r}")


def to_markdown(blocks: list[Block], figures: dict[str, str]) -> str:
    """Markdown (CommonMark + GFM tables); `figures`: figure key -> relative file path."""
    return "\n".join(line for block in blocks for line in _md_block(block, figures))


# --- HTML -----------------------------------------------------------------------------------------

_e = html.escape


def _html_span(span: Span) -> str:
    if isinstance(span, Strong):
        return f"<b>{_e(span.text)}</b>"
    if isinstance(span, Marked):
        return f"<b class=sig>{_e(span.text)}</b>"
    if isinstance(span, Code):
        return f"<code>{_e(printable(span.text))}</code>"
    return _e(span)


def _html_cell(cell: str | Cell) -> str:
    if not isinstance(cell, Cell):
        return f"<td>{_e(cell)}</td>"
    detail = f"<br><span class=note>{_e(cell.detail)}</span>" if cell.detail else ""
    return f"<td{' class=sig' if cell.marked else ''}>{_e(cell.text)}{detail}</td>"


def _html_block(block: Block, images: dict[str, bytes]) -> str:
    if isinstance(block, Heading):
        tag = f"h{block.level}"
        aside = f" <small class=meta>{_e(block.aside)}</small>" if block.aside else ""
        return f"<{tag}>{_e(block.text)}{aside}</{tag}>"
    if isinstance(block, Para):
        style = f" class={block.style}" if block.style else ""
        return f"<p{style}>{''.join(_html_span(s) for s in block.spans)}</p>"
    if isinstance(block, Table):
        rows = [f"<tr><td class=l colspan={len(block.header)}><b>{_e(row.text)}</b></td></tr>" if isinstance(row, Label)
                else "<tr>" + "".join(map(_html_cell, row)) + "</tr>" for row in block.rows]
        return ("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in block.header) + "</tr>"
                + "".join(rows) + "</table>")
    if isinstance(block, Bullets):
        items = []
        for item in block.items:
            lead = f"<b>{_e(item.lead)}</b>: " if item.lead else ""
            children = ("<ul>" + "".join(f"<li>{_e(c)}</li>" for c in item.children) + "</ul>") if item.children else ""
            items.append(f"<li>{lead}{_e(item.text)}{children}</li>")
        return "<ul>" + "".join(items) + "</ul>"
    if isinstance(block, Preformatted):
        return f"<pre>{_e(printable(block.text, lines=True))}</pre>"
    if isinstance(block, Figure):
        if block.key not in images:
            return ""
        data = base64.b64encode(images[block.key]).decode()
        return f'<img alt="{_e(block.caption)}" src="data:image/png;base64,{data}">'
    raise TypeError(f"not a report block: {block!r}")


_CSS = """
body{font:15px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:2em auto;padding:0 1.2em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#555}table{border-collapse:collapse;margin:.6em 0;font-size:13.5px}
th,td{padding:.3em .7em;border-bottom:1px solid #e5e5e5;text-align:right}th{background:#f6f7f9}
td:first-child,th:first-child,td.l{text-align:left}td.sig,b.sig{color:#b0263b;font-weight:600}
.note{color:#777;font-size:12.5px;text-align:left}img{max-width:100%}code,pre{background:#f6f7f9;border-radius:4px}
pre{padding:.8em;overflow-x:auto;font-size:12.5px}.method{color:#555;font-size:13px}
"""


def html_fragment(blocks: list[Block], images: dict[str, bytes] | None = None) -> str:
    """The blocks as HTML elements (no page around them): for a notebook's rich display."""
    return "\n".join(filter(None, (_html_block(b, images or {}) for b in blocks)))


def to_html(title: str, blocks: list[Block], images: dict[str, bytes]) -> str:
    """A self-contained HTML page: styles inline, figures as data: URIs, nothing fetched."""
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>\n"
            f"<style>{_CSS}</style></head><body>\n{html_fragment(blocks, images)}\n</body></html>\n")
