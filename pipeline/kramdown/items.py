"""Where a list item's own lines end, as kramdown cuts them out before it parses them.

kramdown parses a list item's lines on their own (`parse_list` collects them, indentation
removed, then `parse_blocks` reads them): a block inside an item, a fence or an HTML element,
closes inside the item or not at all. markdown-it hands the rules inside an item the rest of
the document, so a rule that looks ahead for a closing line asks here where to stop.
"""

from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

LIST_START = re.compile(r"(?:[+*-]|\d+\.)(?:[ \t]|$)")  # kramdown's LIST_START, after the indentation


def in_list_item(state: StateBlock) -> bool:
    """Whether the innermost element still open is a list item."""
    depth = 0
    for token in reversed(state.tokens):
        depth += token.nesting
        if depth > 0:
            return token.type == "list_item_open"
    return False


def item_end(state: StateBlock, start: int, end: int) -> int:
    """The line where the list item holding line `start` ends (`end` outside one): a line
    indented less than the item's text after a blank line, or a line starting another item."""
    if state.blkIndent == 0 or not in_list_item(state):
        return end
    for line in range(start + 1, end):
        if state.isEmpty(line) or state.sCount[line] >= state.blkIndent:
            continue
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        if state.isEmpty(line - 1) or LIST_START.match(text):
            return line
    return end
