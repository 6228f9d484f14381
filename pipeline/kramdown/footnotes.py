"""kramdown's footnotes (`parse_footnote_definition`, `parse_footnote_marker`), where the
footnote plugin of markdown-it reads them otherwise.

* A footnote's name is kramdown's ALD_ID_NAME, ASCII word characters and `-`: `[^注1]` and
  `[^types.hs]` name no footnote (the marker is text on the page, and the "definition" a
  link definition, pipeline.kramdown.links, which the page does not show).
* A definition is its first line and, after it, what an indented code block would take
  (CODEBLOCK_MATCH: lines indented four columns, each run with its lazy lines, apart by blank
  lines). A line right after the first that is not indented four columns is no part of it,
  though the plugin reads it as the definition's lazy continuation: on the page it is a
  paragraph of the post's own (haskell-jp's blog: `[^3]: …` then a line indented two spaces).
  Read as the plugin reads it, that paragraph's text went into the footnote's, and the
  English page lost a paragraph.
* A definition does not interrupt a paragraph: `[^1]: …` right under a paragraph's line is
  more of that paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from pipeline.kramdown.code_blocks import codeblock_match_end

BlockRule = Callable[[StateBlock, int, int, bool], bool]
InlineRule = Callable[[StateInline, bool], bool]

_NAME = r"\[\^[A-Za-z0-9_][A-Za-z0-9_-]*\]"  # kramdown's ALD_ID_NAME is \w[\w-]*, and Ruby's \w is ASCII
_DEFINITION_START = re.compile(_NAME + ":")
_MARKER = re.compile(_NAME)


def footnote_definition(rule: BlockRule) -> BlockRule:
    """The plugin's `footnote_def`, for kramdown's names only, given no more lines than
    kramdown's definition holds."""

    def definition(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if not _DEFINITION_START.match(state.src, state.bMarks[start] + state.tShift[start]):
            return False
        if silent:
            return rule(state, start, end, silent)
        # the paragraph rule reads on to `lineMax`, not to the `end` it is given
        limit, state.lineMax = state.lineMax, codeblock_match_end(state, start + 1, end)
        try:
            return rule(state, start, state.lineMax, silent)
        finally:
            state.lineMax = limit

    return definition


def footnote_marker(rule: InlineRule) -> InlineRule:
    """The plugin's `footnote_ref`, for kramdown's names only."""

    def marker(state: StateInline, silent: bool) -> bool:
        return _MARKER.match(state.src, state.pos) is not None and rule(state, silent)

    return marker
