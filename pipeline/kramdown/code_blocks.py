"""kramdown's code blocks: a GFM fence exactly as kramdown-parser-gfm matches it (the whole
block one regexp, the info string one word) and an indented block, which takes lazy lines.

Its own module because matching kramdown's regexps exactly, without their quadratic or cubic
cost on hostile input (a line of many backticks, a post of many fences), is most of its code.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it.rules_block import StateBlock

from pipeline.kramdown.blocks import _indent_ok, _line, may_start
from pipeline.kramdown.items import item_end
from pipeline.kramdown.syntax import _ALD_ANY, _LAZY_END_SPAN, OPT_SPACE

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
    if not may_start(state, start, ("`", "~")) or not _indent_ok(state, start) or not _FENCE_START.match(_line(state, start)):
        return None
    if not _FENCE_OPENING.match(state.getLines(start, start + 1, state.blkIndent, True)):
        return None  # the opening line alone already fails FENCED_CODEBLOCK_MATCH
    end = item_end(state, start, end)  # kramdown matches a fence in its list item's own lines
    m = _fence_match(state, start, _closing_candidate(state, start, end))
    return m if m is not None else _fence_match(state, start, end)  # the candidate was no closing line to kramdown


def _fence_match(state: StateBlock, start: int, end: int) -> re.Match[str] | None:
    text = state.getLines(start, end, state.blkIndent, True).rstrip("\n") + "\n"  # kramdown's adapt_source
    longest = max((len(m.group(1)) for m in _CLOSING_LINE.finditer(text, text.find("\n"))), default=0)
    return _capped_fence_match(longest).match(text) if longest >= 3 else None


# A line that can close a fence: fence characters, then only spaces. The opening run can be no
# longer than the longest of these, so FENCED_CODEBLOCK_MATCH is tried with its run capped there:
# the same match, without backtracking over every length of a long run (a line of N backticks
# with no closing line cost N² tries).
_CLOSING_LINE = re.compile(r"^[ ]{0,3}([~`]+)[ \t\r\f\v]*$", re.MULTILINE)


@lru_cache(maxsize=64)
def _capped_fence_match(longest: int) -> re.Pattern[str]:
    return re.compile(_FENCE_MATCH.pattern.replace("{3,}", f"{{3,{longest}}}", 1), _FENCE_MATCH.flags)


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


def codeblock_match_end(state: StateBlock, line: int, end: int) -> int:
    """The line where kramdown's CODEBLOCK_MATCH from `line` ends (`line` itself when it
    matches nothing): runs of lines indented four columns, each followed by its lazy lines,
    the runs apart by blank lines. An indented code block is that; so is what follows a
    footnote definition's first line (pipeline.kramdown.footnotes)."""
    last = line
    while True:
        while line < end and state.isEmpty(line):
            line += 1
        if line >= end or state.sCount[line] - state.blkIndent < 4:
            return last
        while line < end and not state.isEmpty(line) and state.sCount[line] - state.blkIndent >= 4:
            line += 1
        while line < end and not state.isEmpty(line) and not _CODE_LAZY_STOP.match(state.src, state.bMarks[line], state.eMarks[line]):
            line += 1
        last = line


def indented_code(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown's indented code block (`parse_codeblock`, CODEBLOCK_MATCH): runs of lines
    indented four columns, each run followed by any non-blank lines (lazy, as a paragraph's
    are), the runs apart by blank lines; a blank line followed by no indented line ends it."""
    if state.isEmpty(start) or state.sCount[start] - state.blkIndent < 4:
        return False
    if silent:
        return False  # kramdown's code block never interrupts a paragraph
    last = codeblock_match_end(state, start, end)
    token = state.push("code_block", "code", 0)
    token.content = state.getLines(start, last, 4 + state.blkIndent, False)
    token.map = [start, last]
    state.line = last
    return True
