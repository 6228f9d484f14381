"""A definition list's terms as kramdown reads them: every line of the paragraph before a `: `
line is a term of its own (`parse_definition_list` splits the paragraph at its line breaks).

markdown-it's definition lists (mdit-py-plugins' `deflist`, pandoc's syntax) take one line
for a term: two lines and then `: …` were one paragraph, `: …` included. On the page they are
two terms and a definition, and the English, written as one paragraph line, made one term
of them (Microsoft's Japanese Edge docs: a `:::row:::` block whose last line is
`: ::image-end:::`). This rule reads the terms before the last, and leaves the last term, its
definitions and the terms after them to `deflist`, under one list.
"""

from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

from pipeline.kramdown.syntax import OPT_SPACE

_MARKER = re.compile(rf"{OPT_SPACE}[:~][ \t]+\S")  # a definition's first line (as `deflist` reads one)


def terms(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Terms on several lines, each a `dt` of the list `deflist` goes on with from the last."""
    last = _last_term(state, start, end)
    if last is None or last == start:
        return False  # one term, or no definition: `deflist`'s, or a paragraph
    if silent:
        return True
    first = len(state.tokens)
    for line in range(start, last):
        state.push("dt_open", "dt", 1).map = [line, line]
        inline = state.push("inline", "", 0)
        inline.map = [line, line]
        inline.content = state.getLines(line, line + 1, state.blkIndent, False).strip()
        inline.children = []
        state.push("dt_close", "dt", -1)
    deflist = state.md.block.ruler.__rules__[state.md.block.ruler.__find__("deflist")].fn
    indent, state.sCount[last] = state.sCount[last], min(state.sCount[last], state.blkIndent)
    try:  # a term line indented four columns is a paragraph's lazy line, not the code `deflist` refuses
        listed = deflist(state, last, end, False)
    finally:
        state.sCount[last] = indent
    if not listed:  # `_last_term` found its definition: cannot happen
        del state.tokens[first:]
        return False
    opened = state.tokens.pop(first + 3 * (last - start))  # the list `deflist` opened at the last term
    opened.map = [start, opened.map[1] if opened.map else state.line]
    state.tokens.insert(first, opened)
    for token in state.tokens[first + 1 : first + 1 + 3 * (last - start)]:
        token.level += 1  # inside the list, as `deflist`'s own terms
    return True


def _last_term(state: StateBlock, start: int, end: int) -> int | None:
    """The paragraph's last line when a definition follows it (after one blank line at most),
    read as markdown-it's paragraph reads its lines; None otherwise."""
    if _is_definition(state, start) or state.isEmpty(start):
        return None
    terminators = [rule for rule in state.md.block.ruler.getRules("paragraph") if rule is not terms]
    line = start + 1
    while line < end and not state.isEmpty(line) and not _is_definition(state, line):
        lazy = state.sCount[line] - state.blkIndent > 3 or state.sCount[line] < 0
        if not lazy and any(rule(state, line, end, True) for rule in terminators):
            return None
        line += 1
    definition = line + 1 if line < end and state.isEmpty(line) else line
    return line - 1 if definition < end and _is_definition(state, definition) else None


def _is_definition(state: StateBlock, line: int) -> bool:
    if state.sCount[line] < state.blkIndent:
        return False
    return bool(_MARKER.match(state.src, state.bMarks[line], state.eMarks[line]))
