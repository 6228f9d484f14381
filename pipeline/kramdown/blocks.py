"""kramdown's block rules other than code and tables: block extensions, IALs and ALDs
(`parse_block_extensions`) and the end-of-block marker, abbreviation definitions
(`parse_abbrev_definition`), link definitions CommonMark has none of (`parse_link_definition`), block HTML (`parse_block_html`: to the element's end tag, not to
the next blank line), and the block attributes cut from a block's inline content (a
heading's `{#id}`, a trailing IAL, a list item's task box).

Each keeps what kramdown reads as markup out of the text an engine is sent, or ends a
block where kramdown ends it; the line helpers every block rule reads a line with live here.
"""

from __future__ import annotations

import re

from markdown_it.common.utils import normalizeReference
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.reference import reference
from markdown_it.rules_core import StateCore

from pipeline.kramdown.items import item_end
from pipeline.kramdown.syntax import _ALD_ANY, _EOB, _LAZY_END_SPAN, MARKDOWN_CONTENT_MODEL, OPT_SPACE, SPAN_ELEMENTS, VOID_ELEMENTS

_EXTENSION_BLOCK = re.compile(
    rf"{OPT_SPACE}(?:\{{:\w[\w-]*:{_ALD_ANY}+\}}"  # ALD
    rf"|\{{:(?!:|/){_ALD_ANY}+\}}"  # block IAL, {:toc}
    rf"|\{{::(\w+)(?:\s{_ALD_ANY}*?)?(/)?\}})"  # extension start (group 1: name, 2: self-closing)
    r"[ \t]*"
)
_EXTENSION_STOP = r"{OPT_SPACE}\{{:/(?:{name})?\}}[ \t]*"
ABBREVIATION = re.compile(rf"{OPT_SPACE}\*\[(.+?)\]:(.*)")
HEADER_ID = re.compile(r"[\t ]\{#[A-Za-z_:][\w.:-]*\}$")
_HTML_NAME = r"[\w:][\w.:-]*"
_HTML_OPEN = re.compile(rf"{OPT_SPACE}<({_HTML_NAME})(?=[\s/>])")
_HTML_CLOSE = re.compile(rf"{OPT_SPACE}</({_HTML_NAME})\s*>")
_HTML_COMMENT = re.compile(rf"{OPT_SPACE}<!--")
_START_TAG_END = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""", re.DOTALL)
_MARKDOWN_ATTR = re.compile(r"""\smarkdown\s*=\s*(?:"(1|block)"|'(1|block)'|(1|block))""")
# kramdown's HTML_TAG_RE: attribute values are words or quoted, nothing else (no JSX `{…}`)
_KRAMDOWN_TAG = re.compile(rf"""{OPT_SPACE}<{_HTML_NAME}\s*(?:\s+{_HTML_NAME}(?:\s*=\s*(?:\w+|"[^"]*"|'[^']*'))?)*\s*/?>""", re.DOTALL)


def _line(state: StateBlock, line: int) -> str:
    """The line's text from its first non-space character (after a list marker or `> `):
    `_indent_ok` has already said it is indented less than four columns."""
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _indent_ok(state: StateBlock, line: int) -> bool:
    return state.sCount[line] - state.blkIndent < 4


def may_start(state: StateBlock, line: int, first: str | tuple[str, ...]) -> bool:
    """Whether the line's text (`_line`) can start with one of `first`, after the spaces a
    rule's pattern allows there: a line starting with anything else is no such block. Asked
    by the rules markdown-it tries at every line, before they cut the line out."""
    at = state.bMarks[line] + state.tShift[line]
    return state.src.startswith(first, at) or state.src.startswith((" ", "\t"), at)


def _push_kept(state: StateBlock, start: int, end: int, kind: str) -> None:
    token = state.push(kind, "", 0)
    token.map = [start, end]
    token.content = state.getLines(start, end, state.sCount[start], True)
    state.line = end


def extension_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """IAL, ALD, `{:toc}`, `{::extension}…{:/extension}` and `^` lines: kept, never sent."""
    if not may_start(state, start, ("{", "^")) or not _indent_ok(state, start):
        return False
    line = _line(state, start)
    last = start
    m = _EXTENSION_BLOCK.fullmatch(line)
    if m is None:
        if state.sCount[start] > state.blkIndent or not _EOB.fullmatch(line):
            return False
    elif m.group(1) and not m.group(2):  # a block extension with a body: find its stop tag
        stop = re.compile(_EXTENSION_STOP.format(OPT_SPACE=OPT_SPACE, name=re.escape(m.group(1))))
        last = start + 1
        while last < end and not stop.fullmatch(_line(state, last)):
            last += 1
        if last >= end:
            return False  # kramdown: "No stop tag for extension", the line is text
    if silent:
        return True
    _push_kept(state, start, last + 1, "kramdown_block")
    return True


# kramdown 2.4, parser/kramdown/link.rb l. 21-25 (LINK_DEFINITION_START, parse_link_definition)
_LINK_DEFINITION = re.compile(
    r"""\[([^\n\]]+)\]:[ \t]*(?:<(.*?)>|([^\n]*?\S[^\n]*?))(?:(?:[ \t]*?\n|[ \t]+?)[ \t]*?(["'])(.+?)\4)?[ \t]*?\n"""
)
_NO_LINK_URL = re.compile(r"""[ \t]+["']""")  # a url holding a space before a quote: no definition


def link_definition(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A link definition kramdown reads and CommonMark does not: its url holds spaces
    (`[b]: some page`), or its label is what kramdown names no footnote (`[^types.hs]: …`,
    `[^注1]: …`: pipeline.kramdown.footnotes). The page does not show it, so it is kept as
    written and never sent; a reference link to it links (its label is known to the parse),
    but no `[^…]` links. Any other definition CommonMark reads too is left to markdown-it's
    `reference` rule, whose tokens carry the title the pipeline translates."""
    if not may_start(state, start, "[") or not _indent_ok(state, start):
        return False
    m = _kramdown_definition(state, start, end)
    if m is None:
        return False
    linkable = not m.group(1).startswith("^")  # kramdown reads no `[^…]` as a link
    if linkable and reference(state, start, end, True):
        return False
    if silent:
        return True
    if linkable:
        url = m.group(2) if m.group(2) is not None else m.group(3)
        label = normalizeReference(m.group(1))
        state.env.setdefault("references", {}).setdefault(label, {"title": m.group(5) or "", "href": state.md.normalizeLink(url)})
    _push_kept(state, start, start + m.group(0).count("\n"), "kramdown_block")
    return True


def reference_as_kramdown(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's `reference`, where kramdown reads a link definition too: kramdown's url
    stands on the label's line (LINK_DEFINITION_START). `[x]:` with the url on the next line
    is a paragraph on the page, and `[x][]` stays text (the Japanese Rails Guides); read as a
    definition, the English wrote `[x][]` as `[x][x]`, which showed the label twice."""
    return _kramdown_definition(state, start, end) is not None and reference(state, start, end, silent)


def _kramdown_definition(state: StateBlock, start: int, end: int) -> re.Match[str] | None:
    """kramdown's link definition at line `start` (LINK_DEFINITION_START, its title perhaps on
    the next line), or None where `parse_link_definition` reads none."""
    m = _LINK_DEFINITION.match("".join(_line(state, n) + "\n" for n in range(start, min(start + 2, end))))
    return None if m is None or _NO_LINK_URL.search(m.group(3) or "") else m


def abbreviation(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`*[HTML]: definition`: an `abbr_def` block whose inline content is the definition."""
    if not may_start(state, start, "*") or not _indent_ok(state, start):
        return False
    m = ABBREVIATION.fullmatch(_line(state, start))
    if m is None:
        return False
    if silent:
        return True
    opener = state.push("abbr_def_open", "", 1)
    opener.map = [start, start + 1]
    opener.meta = {"key": m.group(1)}
    inline = state.push("inline", "", 0)
    inline.map = [start, start + 1]
    inline.content = m.group(2).strip()
    inline.children = []
    state.push("abbr_def_close", "", -1)
    state.env.setdefault("abbreviations", []).append(m.group(1))
    state.line = start + 1
    return True


def html_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown's block HTML: an element that is not a span element, to its end tag."""
    if not may_start(state, start, "<") or not _indent_ok(state, start):
        return False
    line = _line(state, start)
    if _HTML_COMMENT.match(line):
        close = state.src.find("-->", state.bMarks[start] + state.tShift[start])
        # kramdown's HTML_COMMENT_RE wants the `-->`: without one `<!--` is a paragraph's text
        return close >= 0 and _finish_html(state, start, end, close + 3, silent)
    opened = _HTML_OPEN.match(line)
    closing = _HTML_CLOSE.match(line)
    found = opened or closing
    name = found.group(1).lower() if found is not None else ""
    if not name or name in SPAN_ELEMENTS or (silent and name in _LAZY_END_SPAN):
        return False
    line_start = state.bMarks[start] + state.tShift[start]
    if closing:  # a stray end tag on its own line: kept as it is
        return _finish_html(state, start, end, line_start + closing.end(), silent)
    assert opened is not None
    tag_start = line_start + opened.end()
    tag = _START_TAG_END.match(state.src, tag_start)
    if tag is None or not _KRAMDOWN_TAG.fullmatch(state.src, line_start, tag.end()):
        # `<Intro isChapter={true}>`, `<https://x>`: not HTML to kramdown (its HTML_TAG_RE), so a
        # paragraph starts there; kramdown's LAZY_END (`<name`) ends the paragraph before it, but
        # `parse_paragraph` joins the new one to it: one paragraph on the page, so none ends here
        return False
    if tag.group(1) or name in VOID_ELEMENTS:
        return _finish_html(state, start, end, tag.end(), silent)
    end = item_end(state, start, end)  # kramdown reads a list item's own lines: the element closes in it
    close = matching_close(state.src, name, tag.end(), state.bMarks[end] if end < state.lineMax else len(state.src))
    markdown = _MARKDOWN_ATTR.search(state.src[tag_start : tag.end()])
    if not silent and close >= 0 and markdown and ("block" in markdown.groups() or name in MARKDOWN_CONTENT_MODEL):
        if _markdown_inside(state, start, end, tag.end(), close, name):
            return True
    return _finish_html(state, start, end, close, silent)


def matching_close(src: str, name: str, pos: int, limit: int | None = None) -> int:
    """Offset just after the end tag that closes the element opened before `pos` (before
    `limit`), or -1."""
    pattern = re.compile(rf"<(/?){re.escape(name)}(?=[\s/>])[^>]*?(/?)>", re.IGNORECASE)
    depth = 1
    for m in pattern.finditer(src, pos, len(src) if limit is None else limit):
        if m.group(1):
            depth -= 1
        elif not m.group(2):
            depth += 1
        if depth == 0:
            return m.end()
    return -1


def _line_of_offset(state: StateBlock, offset: int, start: int, end: int) -> int:
    line = start
    while line < end and state.eMarks[line] < offset:
        line += 1
    return line


def _finish_html(state: StateBlock, start: int, end: int, close: int, silent: bool) -> bool:
    """An HTML block from line `start` to the line holding offset `close` (-1: the container's end,
    where kramdown auto-closes an element it found no end tag for)."""
    if silent:
        return True
    last = end - 1 if close < 0 else _line_of_offset(state, close - 1, start, end)
    token = state.push("html_block", "", 0)
    token.map = [start, last + 1]
    token.content = state.getLines(start, last + 1, state.blkIndent, True)
    state.line = last + 1
    rest = state.src[close : state.eMarks[last]] if close >= 0 else ""
    if rest.strip():
        # `<Badge /> テキスト`: kramdown ends the element at its tag and reads the rest of
        # the line as a paragraph; so do we, from where that text starts
        token.content = state.src[state.bMarks[start] : close]
        state.bMarks[last] = close + len(rest) - len(rest.lstrip())
        state.tShift[last] = 0
        state.sCount[last] = state.blkIndent
        state.md.block.tokenize(state, last, end)
    return True


def _markdown_inside(state: StateBlock, start: int, end: int, tag_end: int, close: int, name: str) -> bool:
    """`<div markdown="1">` alone on its line(s), its end tag alone on a later line: the lines
    between are Markdown (translated); the tags stay HTML blocks."""
    open_last = _line_of_offset(state, tag_end - 1, start, end)
    close_line = _line_of_offset(state, close - 1, start, end)
    if state.src[tag_end : state.eMarks[open_last]].strip() or close_line <= open_last:
        return False
    if not re.fullmatch(rf"{OPT_SPACE}</{re.escape(name)}\s*>[ \t]*", _line(state, close_line), re.IGNORECASE):
        return False
    _push_kept(state, start, open_last + 1, "html_block")
    state.md.block.tokenize(state, open_last + 1, close_line)
    _push_kept(state, close_line, close_line + 1, "html_block")
    return True


_TASK_BOX = re.compile(r"\[[ xX]\][ \t]+")  # kramdown-parser-gfm's task list item: `- [ ] todo`
_LEADING_IAL = re.compile(rf"\{{:(?!:|/){_ALD_ANY}+\}}[ \t]*")
_TRAILING_IAL = re.compile(rf"[ \t]+\{{:(?!:|/){_ALD_ANY}+\}}$")


def _trailing_ial(content: str) -> re.Match[str] | None:
    """_TRAILING_IAL's match, searched only after the last `}` its text cannot hold: searched from
    every ` {:` of a line holding many and no `}`, the regexp scanned to the end from each."""
    last = content.rstrip("\n").rfind("}")
    if last < 0 or last < len(content) - 2:
        return None
    before = content.rfind("}", 0, last)
    while before > 0 and content[before - 1] == "\\":  # `\}` is text inside an IAL
        before = content.rfind("}", 0, before - 1)
    return _TRAILING_IAL.search(content, max(before + 1, 0))


def block_attributes(state: StateCore) -> None:
    """Attributes that belong to a block, not to its words, cut from the inline content
    before it is parsed, so they stay out of the segment (and out of any engine's reach):
    a heading's `{#id}`, a list item's `{:.cls}` or task box `[x]` at its start, an IAL after the last
    word of a block (`text {:.cls}`). `trail` keeps what was cut from the end, so the
    segment can be located in its line."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "inline" or not i:
            continue
        opener = tokens[i - 1]
        trail = HEADER_ID.search(token.content) if opener.type == "heading_open" else None
        trail = trail or _trailing_ial(token.content)
        if trail is not None:
            token.content = token.content[: trail.start()].rstrip()
            token.meta = {**(token.meta or {}), "trail": trail.group(0).strip()}
        if opener.type == "paragraph_open" and i > 1 and tokens[i - 2].type == "list_item_open":
            lead = _LEADING_IAL.match(token.content) or _TASK_BOX.match(token.content)
            if lead is not None and lead.end() < len(token.content):
                token.content = token.content[lead.end() :]
