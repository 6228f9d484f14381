"""kramdown's syntax, taught to markdown-it: how Jekyll's renderer reads a post.

Jekyll renders Markdown with kramdown (GFM input by default), not CommonMark. Where the two
disagree, a pipeline reading CommonMark would translate what kramdown treats as markup and
keep what it treats as text, and the English page would not have the structure of the
Japanese one. Each rule below is one piece of kramdown's grammar (kramdown 2.4,
kramdown-parser-gfm 1.1), named after the kramdown parser method it follows:

* block extensions (`parse_block_extensions`): IALs `{: .note}`, ALDs `{:ref: …}`, `{:toc}`,
  `{::comment}`/`{::nomarkdown}` blocks, `{::options /}`; and the end-of-block marker `^`.
  All are kept byte for byte and never sent; they end a paragraph (kramdown's LAZY_END).
* abbreviation definitions (`parse_abbrev_definition`): `*[HTML]: …`, whose definition is
  translated and whose key is kept.
* block HTML (`parse_block_html`): a line opening any element that is not a span element
  starts an HTML block that runs to the element's end tag (not to the next blank line, as in
  CommonMark); `markdown="block"`, or `markdown="1"` on an element kramdown knows, makes its
  content Markdown again (an MDX component's stays raw: pipeline.html_block).
* code blocks (`parse_codeblock_fenced` of kramdown-parser-gfm, `parse_codeblock`): a fence's
  info string is one word, or the line is no fence; an indented block takes lazy lines.
* span extensions and span IALs (`parse_span_extensions`): `{:target="_blank"}` after a link.
* emphasis (`parse_emphasis`): kramdown pairs `*` and `_` by its own rules, not by
  CommonMark's flanking rules, so `**「重要」**な点` is bold on the page.
* math (`parse_inline_math`, `parse_block_math`): `$$…$$` only; a single `$` is text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.ruler import RuleOptionsType
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as commonmark_image
from markdown_it.rules_inline.link import link as commonmark_link
from markdown_it.token import Token

OPT_SPACE = r" {0,3}"
_ALD_ANY = r"(?:\\\}|[^}])"
_EXTENSION_BLOCK = re.compile(
    rf"{OPT_SPACE}(?:\{{:\w[\w-]*:{_ALD_ANY}+\}}"  # ALD
    rf"|\{{:(?!:|/){_ALD_ANY}+\}}"  # block IAL, {:toc}
    rf"|\{{::(\w+)(?:\s{_ALD_ANY}*?)?(/)?\}})"  # extension start (group 1: name, 2: self-closing)
    r"[ \t]*"
)
_EXTENSION_STOP = r"{OPT_SPACE}\{{:/(?:{name})?\}}[ \t]*"
_EOB = re.compile(r"\^[ \t]*")
ABBREVIATION = re.compile(rf"{OPT_SPACE}\*\[(.+?)\]:(.*)")
_SPAN_IAL = re.compile(rf"\{{:(?!:|/){_ALD_ANY}*\}}")
_SPAN_EXTENSION = re.compile(rf"\{{::(\w+)(?:\s{_ALD_ANY}*?)?(/)?\}}")
_INLINE_MATH = re.compile(r"\$\$(.*?)\$\$", re.DOTALL)
HEADER_ID = re.compile(r"[\t ]\{#[A-Za-z_:][\w.:-]*\}$")

# kramdown's HTML_SPAN_ELEMENTS: a line starting with any other element is an HTML block
SPAN_ELEMENTS = frozenset(
    "a abbr acronym b big bdo br button cite code del dfn em i img input ins kbd label mark option q rb rbc "
    "rp rt rtc ruby samp select small span strong sub sup tt u var".split()
)
_LAZY_END_SPAN = SPAN_ELEMENTS | {"script"}  # these do not end a paragraph
_HTML_NAME = r"[\w:][\w.:-]*"
_HTML_OPEN = re.compile(rf"{OPT_SPACE}<({_HTML_NAME})(?=[\s/>])")
_HTML_CLOSE = re.compile(rf"{OPT_SPACE}</({_HTML_NAME})\s*>")
_HTML_COMMENT = re.compile(rf"{OPT_SPACE}<!--")
_START_TAG_END = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""", re.DOTALL)
_MARKDOWN_ATTR = re.compile(r"""\smarkdown\s*=\s*(?:"(1|block)"|'(1|block)'|(1|block))""")
# kramdown's HTML_CONTENT_MODEL_BLOCK and _SPAN (parser/html.rb l. 37-43): `markdown="1"` parses
# the content of these only; any other name, an MDX component's too, has the :raw model
MARKDOWN_CONTENT_MODEL = frozenset(
    "address applet article aside blockquote body dd details div dl fieldset figure figcaption footer form header "
    "hgroup iframe li main map menu nav noscript object section summary td "  # :block
    "a abbr acronym b bdo big button cite caption del dfn dt em h1 h2 h3 h4 h5 h6 i ins label legend optgroup p q "
    "rb rbc rp rt rtc ruby select small span strong sub sup th tt".split()  # :span
)
# kramdown's HTML_TAG_RE: attribute values are words or quoted, nothing else (no JSX `{…}`)
_KRAMDOWN_TAG = re.compile(rf"""{OPT_SPACE}<{_HTML_NAME}\s*(?:\s+{_HTML_NAME}(?:\s*=\s*(?:\w+|"[^"]*"|'[^']*'))?)*\s*/?>""", re.DOTALL)
VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def _line(state: StateBlock, line: int) -> str:
    """The line's text from its first non-space character (after a list marker or `> `):
    `_indent_ok` has already said it is indented less than four columns."""
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _indent_ok(state: StateBlock, line: int) -> bool:
    return state.sCount[line] - state.blkIndent < 4


def _push_kept(state: StateBlock, start: int, end: int, kind: str) -> None:
    token = state.push(kind, "", 0)
    token.map = [start, end]
    token.content = state.getLines(start, end, state.sCount[start], True)
    state.line = end


def extension_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """IAL, ALD, `{:toc}`, `{::extension}…{:/extension}` and `^` lines: kept, never sent."""
    if not _indent_ok(state, start):
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


def abbreviation(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`*[HTML]: definition`: an `abbr_def` block whose inline content is the definition."""
    if not _indent_ok(state, start):
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
    if not _indent_ok(state, start):
        return False
    line = _line(state, start)
    if _HTML_COMMENT.match(line):
        close = state.src.find("-->", state.bMarks[start] + state.tShift[start])
        return _finish_html(state, start, end, close + 3 if close >= 0 else -1, silent)
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
    close = matching_close(state.src, name, tag.end())
    markdown = _MARKDOWN_ATTR.search(state.src[tag_start : tag.end()])
    if not silent and close >= 0 and markdown and ("block" in markdown.groups() or name in MARKDOWN_CONTENT_MODEL):
        if _markdown_inside(state, start, end, tag.end(), close, name):
            return True
    return _finish_html(state, start, end, close, silent)


# kramdown-parser-gfm 1.1 (gfm.rb l. 134-135): FENCED_CODEBLOCK_START and _MATCH; Ruby's `\s`
# and `\S` are ASCII (an ideographic space is no space to them)
_FENCE_START = re.compile(r"[~`]{3,}")
_FENCE_MATCH = re.compile(
    r"[ ]{0,3}(([~`]){3,})[ \t\r\n\f\v]*?(([^ \t\r\n\f\v]+?)(?:\?[^ \t\r\n\f\v]*)?)?[ \t\r\n\f\v]*?\n(.*?)^[ ]{0,3}\1\2*[ \t\r\n\f\v]*?\n",
    re.MULTILINE | re.DOTALL,
)


_FENCE_OPENING = re.compile(_FENCE_MATCH.pattern.split(r"\n(.*?)")[0] + r"\n")


def fence(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown's GFM fenced code block (`parse_codeblock_fenced` with gfm.rb's regexps): the
    whole block, opening line to closing line, must match FENCED_CODEBLOCK_MATCH, whose info
    string is one word (```` ```js {1,4} ```` is no fence: a paragraph starts there).

    A line starting a fence ends a paragraph (GFM's PARAGRAPH_END), fence or not; but where it
    is no fence, the paragraph parsed from it is joined to the paragraph before
    (`parse_paragraph` appends to a `:p` that is the last child), so the page has one
    paragraph across it (```` ``` ```` … ```` ``` ```` then a code span over the lines): only a
    real fence interrupts one here."""
    m = _fence_at(state, start, end)
    if m is None or silent:
        return m is not None
    last = start + m.string.count("\n", 0, m.end()) - 1
    token = state.push("fence", "code", 0)
    token.info = m.group(3) or ""
    token.content = m.group(5)
    token.markup = m.group(1)
    token.map = [start, last + 1]
    state.line = last + 1
    return True


def _fence_at(state: StateBlock, start: int, end: int) -> re.Match[str] | None:
    """FENCED_CODEBLOCK_MATCH at line `start`, or None: the line is no fence to kramdown."""
    if not _indent_ok(state, start) or not _FENCE_START.match(_line(state, start)):
        return None
    if not _FENCE_OPENING.match(state.getLines(start, start + 1, state.blkIndent, True)):
        return None  # the opening line alone already fails FENCED_CODEBLOCK_MATCH
    m = _fence_match(state, start, _closing_candidate(state, start, end))
    return m if m is not None else _fence_match(state, start, end)  # the candidate was no closing line to kramdown


def _fence_match(state: StateBlock, start: int, end: int) -> re.Match[str] | None:
    text = state.getLines(start, end, state.blkIndent, True).rstrip("\n") + "\n"  # kramdown's adapt_source
    return _FENCE_MATCH.match(text)


def _closing_candidate(state: StateBlock, start: int, end: int) -> int:
    """The line after the first one that looks like this fence's closing line, else `end`:
    FENCED_CODEBLOCK_MATCH is then tried on the lines up to it, not on the rest of the post
    (which made a post of many fences quadratic). The regexp itself still decides."""
    run = _FENCE_START.match(_line(state, start))
    assert run is not None  # `fence` checked _FENCE_START
    closing = re.compile(re.escape(run.group(0)) + re.escape(run.group(0)[-1]) + r"*[ \t\f\v\r]*$")
    for line in range(start + 1, end):
        if state.sCount[line] - state.blkIndent <= 3 and closing.match(
            state.src, state.bMarks[line] + state.tShift[line], state.eMarks[line]
        ):
            return line + 1
    return end


# kramdown's codeblock.rb l. 20 (CODEBLOCK_MATCH): after its indented lines, an indented code
# block takes every following non-blank line, indented or not, except these (paragraph.rb
# l. 20-22, extensions.rb l. 157, eob.rb l. 14)
_LAZY_SPAN_NAMES = "|".join(sorted(_LAZY_END_SPAN))
_CODE_LAZY_STOP = re.compile(
    rf"{OPT_SPACE}\{{:(?!:|/){_ALD_ANY}+\}}[ \t]*$"  # IAL_BLOCK_START
    r"|\^[ \t]*$"  # EOB_MARKER
    rf"|{OPT_SPACE}</?(?!(?:{_LAZY_SPAN_NAMES})\b)[A-Za-z_]"  # LAZY_END_HTML_STOP, LAZY_END_HTML_START
)


def indented_code(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown's indented code block (`parse_codeblock`, CODEBLOCK_MATCH): runs of lines
    indented four columns, each run followed by any non-blank lines (lazy, as a paragraph's
    are), the runs apart by blank lines; a blank line followed by no indented line ends it."""
    if state.isEmpty(start) or state.sCount[start] - state.blkIndent < 4:
        return False
    if silent:
        return False  # kramdown's code block never interrupts a paragraph
    last = line = start
    while True:
        while line < end and state.isEmpty(line):
            line += 1
        if line >= end or state.sCount[line] - state.blkIndent < 4:
            break
        while line < end and not state.isEmpty(line) and state.sCount[line] - state.blkIndent >= 4:
            line += 1
        while line < end and not state.isEmpty(line) and not _CODE_LAZY_STOP.match(state.src, state.bMarks[line], state.eMarks[line]):
            line += 1
        last = line
    token = state.push("code_block", "code", 0)
    token.content = state.getLines(start, last, 4 + state.blkIndent, False)
    token.map = [start, last]
    state.line = last
    return True


def matching_close(src: str, name: str, pos: int) -> int:
    """Offset just after the end tag that closes the element opened before `pos`, or -1."""
    pattern = re.compile(rf"<(/?){re.escape(name)}(?=[\s/>])[^>]*?(/?)>", re.IGNORECASE)
    depth = 1
    for m in pattern.finditer(src, pos):
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


_TABLE_SEPARATOR = re.compile(r"[+|: \t-]*?-[+|: \t-]*?[ \t]*|[+|: \t=]*?=[+|: \t=]*?[ \t]*")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def row_pipes(line: str) -> list[int]:
    """Offsets of the `|` that split a kramdown table row: unescaped, outside code spans."""
    code = [(m.start(), m.end()) for m in _CODE_SPAN.finditer(line)]
    return [m.start() for m in _UNESCAPED_PIPE.finditer(line) if not any(a <= m.start() < b for a, b in code)]


def _is_table_line(state: StateBlock, line: int) -> bool:
    return _indent_ok(state, line) and state.sCount[line] >= state.blkIndent and bool(row_pipes(_line(state, line)))


def _at_boundary(state: StateBlock, line: int, start: int, end: int, before: bool) -> bool:
    """kramdown's `after_block_boundary?` / `before_block_boundary?`: a table stands alone,
    between blank lines (or an EOB marker, an IAL, the start or end of its container)."""
    other = line - 1 if before else line
    if other < start or other >= end or state.isEmpty(other):
        return True
    if state.sCount[other] < state.blkIndent:  # out of the container, unless a list item's lazy line
        return before or not _in_list_item(state) or bool(_LIST_START.match(_line(state, other)))
    text = _line(state, other)
    return bool(_EOB.fullmatch(text) or re.fullmatch(rf"\{{:(?!:|/){_ALD_ANY}+\}}[ \t]*", text))


_ORDERED_ITEM = re.compile(r"\d+\.[\t ]")


def ordered_list_start(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown's GFM `paragraph_end` quirk: any `12. ` line ends a paragraph and starts a list
    (CommonMark lets only `1.` interrupt one). Only a terminator: the list rule parses it."""
    return silent and _indent_ok(state, start) and bool(_ORDERED_ITEM.match(_line(state, start)))


def table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown's table: consecutive lines holding a `|`, between block boundaries (no
    separator line needed, unlike GFM). Each cell is one inline token, so one segment."""
    if not _is_table_line(state, start) or not _at_boundary(state, start, _container_start(state, start), end, True):
        return False
    last = start
    while last + 1 < end and _is_table_line(state, last + 1):
        last += 1
    if not _at_boundary(state, last + 1, start, end, False) and not _before_nested_list(state, start, last + 1):
        return False
    if silent:
        return True
    leading = _line(state, start).startswith("|")
    state.push("table_open", "table", 1).map = [start, last + 1]
    state.push("tbody_open", "tbody", 1)
    for line in range(start, last + 1):
        text = _line(state, line)
        if _TABLE_SEPARATOR.fullmatch(text):
            continue
        row = state.push("tr_open", "tr", 1)
        row.map = [line, line + 1]
        bounds = [-1, *row_pipes(text), len(text)]
        cells = [text[a + 1 : b] for a, b in zip(bounds, bounds[1:])]
        if leading and cells and not cells[0].strip():
            cells.pop(0)
        if cells and not cells[-1].strip():
            cells.pop()
        for cell in cells:
            state.push("td_open", "td", 1).map = [line, line + 1]
            inline = state.push("inline", "", 0)
            inline.map = [line, line + 1]
            inline.content = cell.strip().replace("\\|", "|")
            inline.children = []
            state.push("td_close", "td", -1)
        state.push("tr_close", "tr", -1)
    state.push("tbody_close", "tbody", -1)
    state.push("table_close", "table", -1)
    state.line = last + 1
    return True


_LIST_START = re.compile(r"(?:[+*-]|\d+\.)(?:[ \t]|$)")  # kramdown's LIST_START, after the indentation


def _in_list_item(state: StateBlock) -> bool:
    """Whether the innermost element still open is a list item."""
    depth = 0
    for token in reversed(state.tokens):
        depth += token.nesting
        if depth > 0:
            return token.type == "list_item_open"
    return False


def _before_nested_list(state: StateBlock, start: int, line: int) -> bool:
    """Whether `line` starts the first nested list of the list item whose first line is `start`:
    kramdown's `parse_list` parses an item's lines up to its first nested list on their own
    (a new `item.value` chunk), so that text ends where the nested list begins."""
    opener = state.tokens[-1] if state.tokens else None
    if opener is None or opener.type != "list_item_open" or not opener.map or opener.map[0] != start:
        return False
    return (
        line < state.lineMax
        and not state.isEmpty(line)
        and state.sCount[line] >= state.blkIndent
        and bool(_LIST_START.match(_line(state, line)))
    )


def _container_start(state: StateBlock, line: int) -> int:
    """The first line of the container (list item, quote) `line` belongs to, as far as the
    indentation tells: where no earlier line is at the container's indent."""
    first = line
    while first > 0 and not state.isEmpty(first - 1) and state.sCount[first - 1] >= state.blkIndent:
        first -= 1
    return first


# --------------------------------------------------------------------------------------
# Span rules


def _atom(kind: str, pattern: re.Pattern[str], first: str) -> Callable[[StateInline, bool], bool]:
    def rule(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != first:
            return False
        m = pattern.match(state.src, state.pos, state.posMax)
        if m is None:
            return False
        if not silent:
            state.push(kind, "", 0).content = m.group(0)
        state.pos = m.end()
        return True

    return rule


span_ial = _atom("kramdown_ial", _SPAN_IAL, "{")
# `{: .note` with no `}`: kramdown shows it as text; kept as written (never sent) and reported
unclosed_ial = _atom("kramdown_unclosed", re.compile(r"\{:(?!:|/)[^}\n]*(?:\n|\Z)"), "{")
inline_math = _atom("kramdown_math", _INLINE_MATH, "$")


def span_extension(state: StateInline, silent: bool) -> bool:
    """`{::comment}…{:/comment}`, `{::nomarkdown}…{:/}`, `{::options … /}` inside a paragraph."""
    if not state.src.startswith("{::", state.pos):
        return False
    m = _SPAN_EXTENSION.match(state.src, state.pos, state.posMax)
    if m is None:
        return False
    end = m.end()
    if not m.group(2):
        stop = re.compile(r"\{:/(?:" + re.escape(m.group(1)) + r")?\}").search(state.src, end, state.posMax)
        if stop is None:
            return False
        end = stop.end()
    if not silent:
        state.push("kramdown_ext", "", 0).content = state.src[state.pos : end]
    state.pos = end
    return True


_OPEN_ELEMENTS = "kramdown_emphasis"  # env key: the emphasis kinds being parsed (kramdown's @stack)


def emphasis(state: StateInline, silent: bool) -> bool:
    """kramdown's `parse_emphasis`: `**`/`__` strong, `*`/`_` em, closed by the first delimiter
    that follows a non-space, with no flanking rules; `_` does not open after a letter or `-`
    nor close before a letter or digit; em and strong do not nest in themselves."""
    src, pos = state.src, state.pos
    char = src[pos]
    if char not in "*_":
        return False
    size = 2 if src.startswith(char * 2, pos) and pos + 1 < state.posMax else 1
    kind = "strong" if size == 2 else "em"
    stack: list[str] = state.env.setdefault(_OPEN_ELEMENTS, [])
    after = src[pos + size : pos + size + 1]
    if (
        # `_` does not open after a letter or `-`, except after kramdown's typographic `--`
        (char == "_" and pos > 0 and re.match(r"[^\W\d_]|-", src[pos - 1]) and not src.endswith("--", 0, pos))
        or (after and after.isspace())
        or kind in stack
    ):
        return _text(state, silent, char * size)
    close = _find_close(state, pos + size, char * size, kind, char)
    if close < 0 and kind == "strong" and (not stack or stack[-1] != "em"):
        size, kind = 1, "em"
        close = _find_close(state, pos + 1, char, kind, char)
    if close < 0:
        return _text(state, silent, src[pos : pos + (2 if src.startswith(char * 2, pos) else 1)])
    if not silent:
        opener = state.push(f"{kind}_open", kind, 1)
        opener.markup = char * size
        old_max = state.posMax
        state.pos, state.posMax = pos + size, close
        stack.append(kind)
        try:
            state.md.inline.tokenize(state)
        finally:
            stack.pop()
            state.posMax = old_max
        state.push(f"{kind}_close", kind, -1).markup = char * size
    state.pos = close + size
    return True


def _text(state: StateInline, silent: bool, run: str) -> bool:
    if not silent:
        state.push("text", "", 0).content = run
    state.pos += len(run)
    return True


def _find_close(state: StateInline, start: int, delim: str, kind: str, char: str) -> int:
    """kramdown's `parse_spans` with the emphasis stop condition: where the element closes, or -1.

    Other span constructs (code, links, HTML, nested emphasis) are stepped over with
    markdown-it's own rules in silent mode, as kramdown's span parsers consume them.
    """
    src, end_max = state.src, state.posMax
    stack: list[str] = state.env.setdefault(_OPEN_ELEMENTS, [])
    saved = state.pos
    stack.append(kind)
    try:
        pos = start
        while pos < end_max:
            if src.startswith(delim, pos) and pos > start and not src[pos - 1].isspace():
                double = src.startswith(delim * 2, pos) and not src.startswith(delim * 3, pos)
                if not (kind == "em" and double) and not (
                    char == "_" and re.match(r"[^\W_]", src[pos + len(delim) : pos + len(delim) + 1])
                ):
                    if pos + len(delim) <= end_max:
                        return pos
            state.pos = pos
            state.md.inline.skipToken(state)
            pos = state.pos if state.pos > pos else pos + 1
        return -1
    finally:
        stack.pop()
        state.pos = saved


# kramdown 2.4, parser/kramdown/link.rb l. 54-56 and 107-137: an inline link's url runs to the
# `)` that balances its `(`, spaces and all, or to a space before a quote, where the title begins
_LINK_PAREN_STOP = re.compile(r"(\()|(\))|[ \t\r\n\f\v](?=['\"])")
_LINK_INLINE_TITLE = re.compile(r"[ \t\r\n\f\v]*?([\"'])(.+?)\1[ \t\r\n\f\v]*?\)", re.DOTALL)


def inline_destination(src: str, pos: int, maximum: int) -> tuple[str, str, int] | None:
    """kramdown's url and title in parentheses from the `(` at `pos`: (url, title, end), or None
    where kramdown reads no link. `[YAML](https://yaml.org/ target="_blank")` is a link to
    `https://yaml.org/ target="_blank"` to kramdown, none to CommonMark."""
    depth, at = _url_end(src, pos, maximum)
    url = src[pos + 1 : at - 1].strip()
    if depth == 0:
        return url, "", at
    title = _LINK_INLINE_TITLE.match(src, at, maximum)
    return (url, title.group(2), title.end()) if title is not None else None


def inline_title(src: str, pos: int, maximum: int) -> tuple[int, int, str] | None:
    """(start, end, quote) of the title kramdown reads in the parentheses from the `(` at `pos`."""
    depth, at = _url_end(src, pos, maximum)
    title = _LINK_INLINE_TITLE.match(src, at, maximum) if depth else None
    return (title.start(2), title.end(2), title.group(1)) if title is not None else None


def _url_end(src: str, pos: int, maximum: int) -> tuple[int, int]:
    """The parentheses still open where kramdown's url stops, and where it stops."""
    depth, at = 0, pos
    while (m := _LINK_PAREN_STOP.search(src, at, maximum)) is not None:
        at = m.end()
        depth += 1 if m.group(1) else -1 if m.group(2) else 0
        if not m.group(1) and (depth == 0 or not m.group(2)):
            break
    return depth, at


def link_rule(commonmark: Callable[[StateInline, bool], bool], image: bool) -> Callable[[StateInline, bool], bool]:
    """markdown-it's link (or image) rule, and where it reads none, kramdown's inline link
    (`inline_destination`), whose url may hold spaces."""

    def rule(state: StateInline, silent: bool) -> bool:
        if commonmark(state, silent):
            return True
        start = state.pos + (1 if image else 0)
        if (image and not state.src.startswith("![", state.pos)) or state.src[start : start + 1] != "[":
            return False
        label_end = state.md.helpers.parseLinkLabel(state, start, not image)
        if label_end < 0 or state.src[label_end + 1 : label_end + 2] != "(":
            return False
        found = inline_destination(state.src, label_end + 1, state.posMax)
        if found is None:
            return False
        if not silent:
            _push_link(state, start + 1, label_end, state.md.normalizeLink(found[0]), found[1], image)
        state.pos = found[2]
        return True

    return rule


link = link_rule(commonmark_link, image=False)
image = link_rule(commonmark_image, image=True)


def _push_link(state: StateInline, label_start: int, label_end: int, href: str, title: str, image: bool) -> None:
    """The tokens markdown-it's rule makes of a link or image (rules_inline/link.py, image.py)."""
    if image:
        children: list[Token] = []
        state.md.inline.parse(state.src[label_start:label_end], state.md, state.env, children)
        token = state.push("image", "img", 0)
        token.attrs = {"src": href, "alt": ""}
        token.children, token.content = children or None, state.src[label_start:label_end]
    else:
        maximum, state.pos, state.posMax = state.posMax, label_start, label_end
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": href}
        state.linkLevel += 1
        state.md.inline.tokenize(state)
        state.linkLevel -= 1
        state.push("link_close", "a", -1)
        state.posMax = maximum
    if title:
        token.attrSet("title", title)


_TASK_BOX = re.compile(r"\[[ xX]\][ \t]+")  # kramdown-parser-gfm's task list item: `- [ ] todo`
_LEADING_IAL = re.compile(rf"\{{:(?!:|/){_ALD_ANY}+\}}[ \t]*")
_TRAILING_IAL = re.compile(rf"[ \t]+\{{:(?!:|/){_ALD_ANY}+\}}$")


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
        trail = trail or _TRAILING_IAL.search(token.content)
        if trail is not None:
            token.content = token.content[: trail.start()].rstrip()
            token.meta = {**(token.meta or {}), "trail": trail.group(0).strip()}
        if opener.type == "paragraph_open" and i > 1 and tokens[i - 2].type == "list_item_open":
            lead = _LEADING_IAL.match(token.content) or _TASK_BOX.match(token.content)
            if lead is not None and lead.end() < len(token.content):
                token.content = token.content[lead.end() :]


def install(md: MarkdownIt) -> None:
    """Turn a CommonMark markdown-it into a reader of kramdown (GFM input), as Jekyll renders."""
    terminators: RuleOptionsType = {"alt": ["paragraph", "reference", "blockquote", "list"]}
    md.block.ruler.before("table", "kramdown_extension", extension_block, terminators)
    md.block.ruler.before("table", "kramdown_abbreviation", abbreviation, terminators)
    md.block.ruler.at("html_block", html_block, terminators)
    md.block.ruler.at("fence", fence, terminators)
    md.block.ruler.at("code", indented_code)
    md.block.ruler.disable("table")  # GFM's needs a delimiter row; kramdown's below does not
    md.block.ruler.before("paragraph", "kramdown_table", table)  # after lists, HTML, headings, math
    md.block.ruler.before("paragraph", "kramdown_ordered_list_start", ordered_list_start, {"alt": ["paragraph"]})
    md.inline.ruler.at("emphasis", emphasis)
    md.inline.ruler.at("link", link)
    md.inline.ruler.at("image", image)
    md.inline.ruler2.disable("emphasis")
    md.inline.ruler.before("emphasis", "kramdown_extension", span_extension)
    md.inline.ruler.before("emphasis", "kramdown_ial", span_ial)
    md.inline.ruler.before("emphasis", "kramdown_unclosed", unclosed_ial)
    md.inline.ruler.before("emphasis", "kramdown_math", inline_math)
    md.core.ruler.before("inline", "kramdown_block_attributes", block_attributes)
