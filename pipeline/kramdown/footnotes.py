"""kramdown's footnote definitions (`parse_footnote_definition`, FOOTNOTE_DEFINITION_START).

A definition is its first line and, after it, what an indented code block would take
(CODEBLOCK_MATCH: lines indented four columns, each run with its lazy lines, apart by blank
lines). A line right after the first that is not indented four columns is no part of it,
though CommonMark's footnote plugin reads it as the definition's lazy continuation: on the
page it is a paragraph of the post's own (haskell-jp's blog: `[^3]: …` then a line indented
two spaces). Read as the plugin reads it, that paragraph's text went into the footnote's, and
the English page lost a paragraph.
"""

from __future__ import annotations

from collections.abc import Callable

from markdown_it.rules_block import StateBlock

from pipeline.kramdown.code_blocks import codeblock_match_end

BlockRule = Callable[[StateBlock, int, int, bool], bool]


def footnote_definition(rule: BlockRule) -> BlockRule:
    """The footnote plugin's `footnote_def` rule, given no more lines than kramdown's definition holds."""

    def definition(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if silent:
            return rule(state, start, end, silent)
        # the paragraph rule reads on to `lineMax`, not to the `end` it is given
        limit, state.lineMax = state.lineMax, codeblock_match_end(state, start + 1, end)
        try:
            return rule(state, start, state.lineMax, silent)
        finally:
            state.lineMax = limit

    return definition
