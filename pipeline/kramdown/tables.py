"""kramdown's tables: consecutive lines holding a `|`, between block boundaries, with no
separator row needed (GFM's needs one), and the list quirks that decide where such a run
stands alone; also kramdown's GFM quirk that any `12. ` line ends a paragraph.

`row_pipes` and `code_spans` tell which `|` split a row: the restore reads them too, to keep
a paragraph written as one line from becoming a table (pipeline.inline.inert).
"""

from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

from pipeline.kramdown.blocks import _indent_ok, _line
from pipeline.kramdown.items import LIST_START, in_list_item
from pipeline.kramdown.syntax import _ALD_ANY, _EOB

# The first `-` (or `=`) is the first one: no two quantifiers compete for the same characters.
_TABLE_SEPARATOR = re.compile(r"[+|: \t]*-[+|: \t-]*|[+|: \t]*=[+|: \t=]*")
_BACKTICKS = re.compile(r"`+")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def row_pipes(line: str) -> list[int]:
    """Offsets of the `|` that split a kramdown table row: unescaped, outside code spans."""
    pipes = [m.start() for m in _UNESCAPED_PIPE.finditer(line)]
    if not pipes or "`" not in line:
        return pipes
    code = code_spans(line)
    inside, i = set(), 0
    for pipe in pipes:
        while i < len(code) and code[i][1] <= pipe:
            i += 1
        if i < len(code) and code[i][0] <= pipe:
            inside.add(pipe)
    return [p for p in pipes if p not in inside]


def code_spans(line: str) -> list[tuple[int, int]]:
    """Where the code spans of one line are, as `(`+)(?:(?!\1).)+?\1` finds them, in linear time.

    That regex, tried at each offset, backtracks over every opener length and scans to the end of
    the line for each (a line of N backticks costs N³). What it finds: an opener of k backticks
    (at most the run left from the offset) closes at the first later run of k or more, and only if
    fewer than k backticks follow the opener in its own run. So from a run with R left, the longest
    later run M decides: the opener is min(R, M) long, from the first offset where R < 2M.
    """
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    longest_after = [0] * (len(runs) + 1)  # the longest run after run i
    for i in range(len(runs) - 1, -1, -1):
        longest_after[i] = max(longest_after[i + 1], runs[i + 1][1] - runs[i + 1][0] if i + 1 < len(runs) else 0)
    spans: list[tuple[int, int]] = []
    i, start = 0, runs[0][0] if runs else 0
    while i < len(runs):
        end, longest = runs[i][1], longest_after[i]
        left = end - max(start, runs[i][0])
        if longest == 0 or left == 0:
            i, start = i + 1, runs[i + 1][0] if i + 1 < len(runs) else 0
            continue
        left = min(left, 2 * longest - 1)
        k, j = min(left, longest), i + 1
        while runs[j][1] - runs[j][0] < k:  # runs passed here end inside the span: linear overall
            j += 1
        spans.append((end - left, runs[j][0] + k))
        i, start = j, runs[j][0] + k
    return spans


def _is_table_line(state: StateBlock, line: int) -> bool:
    return _indent_ok(state, line) and state.sCount[line] >= state.blkIndent and bool(row_pipes(_line(state, line)))


def _at_boundary(state: StateBlock, line: int, start: int, end: int, before: bool) -> bool:
    """kramdown's `after_block_boundary?` / `before_block_boundary?`: a table stands alone,
    between blank lines (or an EOB marker, an IAL, the start or end of its container)."""
    other = line - 1 if before else line
    if other < start or other >= end or state.isEmpty(other):
        return True
    if state.sCount[other] < state.blkIndent:  # out of the container, unless a list item's lazy line
        return before or not in_list_item(state) or bool(LIST_START.match(_line(state, other)))
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
    last = _last_table_line(state, start, end)
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


def _last_table_line(state: StateBlock, start: int, end: int) -> int:
    """The last of the lines holding `|` from `start` on."""
    last = start
    while last + 1 < end and _is_table_line(state, last + 1):
        last += 1
    return last


def table_before_definitions(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown tries a table before a link, footnote or abbreviation definition (its block
    parsers' order): definition lines that all hold `|`, between blank lines, are a table on
    the page, and define nothing (Microsoft's Japanese docs: link titles `"… | GitHub"`)."""
    if not _line(state, start).startswith(("[", "*[")):
        return False
    last = _last_table_line(state, start, end)
    if any(_SPAN_TAG.search(_outside_code(_line(state, n))) for n in range(start, last + 1)):
        return False  # kramdown's own check of the pipes skips a span element's insides: see `_SPAN_TAG`
    return table(state, start, end, silent)


# What kramdown reads as a span HTML tag (REXML's names take any letter: `<タイプ>`). kramdown
# checks a table's pipes outside its span elements, and an element it finds no end tag for runs
# to the end of the table (`CSS <タイプ> コンポーネント | …`: no table). Definitions holding one
# are left to the definition rules, as they were, rather than modelled further.
_SPAN_TAG = re.compile(r"</?[^\W\d]")


def _outside_code(line: str) -> str:
    """`line` with its code spans blanked (kramdown reads no tag inside one)."""
    for start, end in reversed(code_spans(line)):
        line = line[:start] + " " * (end - start) + line[end:]
    return line


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
        and bool(LIST_START.match(_line(state, line)))
    )


def _container_start(state: StateBlock, line: int) -> int:
    """The first line of the container (list item, quote) `line` belongs to, as far as the
    indentation tells: where no earlier line is at the container's indent."""
    first = line
    while first > 0 and not state.isEmpty(first - 1) and state.sCount[first - 1] >= state.blkIndent:
        first -= 1
    return first
