"""kramdown's span rules: span extensions and span IALs (`{:target="_blank"}` after a link),
an IAL left unclosed, `$$…$$` math (a single `$` is text), and emphasis as kramdown's
`parse_emphasis` pairs it, without CommonMark's flanking rules (`**「重要」**な点` is bold on
the page), searched for its closing delimiter in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it.rules_inline import StateInline

from pipeline.kramdown.syntax import _ALD_ANY

_SPAN_IAL = re.compile(rf"\{{:(?!:|/){_ALD_ANY}*\}}")
_SPAN_EXTENSION = re.compile(rf"\{{::(\w+)(?:\s{_ALD_ANY}*?)?(/)?\}}")
_INLINE_MATH = re.compile(r"\$\$(.*?)\$\$", re.DOTALL)


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
    memo = _close_memo(state, (delim, kind, end_max, state.level, tuple(stack)))
    passed: list[int] = []
    found = -1
    try:
        pos = start
        while pos < end_max:
            if pos > start and pos in memo:
                found = memo[pos]
                break
            if pos > start and _closes(src, pos, delim, kind, char, end_max):
                found = pos
                break
            passed.append(pos)
            state.pos = pos
            state.md.inline.skipToken(state)
            pos = state.pos if state.pos > pos else pos + 1
        memo.update((p, found) for p in passed if p > start)
        return found
    finally:
        stack.pop()
        state.pos = saved


def _closes(src: str, pos: int, delim: str, kind: str, char: str, end_max: int) -> bool:
    if not src.startswith(delim, pos) or src[pos - 1].isspace():
        return False
    double = src.startswith(delim * 2, pos) and not src.startswith(delim * 3, pos)
    if (kind == "em" and double) or (char == "_" and re.match(r"[^\W_]", src[pos + len(delim) : pos + len(delim) + 1])):
        return False
    return pos + len(delim) <= end_max


_CLOSE_MEMO = "kramdown_emphasis_close"  # env key: the paragraph's state, and where each search went


def _close_memo(state: StateInline, key: tuple[object, ...]) -> dict[int, int]:
    """Where a search for `key`'s closing delimiter ends from each position one has passed (the
    closer's offset, or -1). A search from a later opener stops where an earlier one passed:
    `*a *a *a …` (no closer) searched to the paragraph's end from every `*`, quadratic. The
    walk from a position depends on nothing else: markdown-it caches skipToken by position too."""
    holder = state.env.get(_CLOSE_MEMO)
    if holder is None or holder[0] is not state.cache:
        holder = (state.cache, {})
        state.env[_CLOSE_MEMO] = holder
    memos: dict[tuple[object, ...], dict[int, int]] = holder[1]
    return memos.setdefault(key, {})


def code_span(state: StateInline, silent: bool) -> bool:
    """kramdown's code span (`parse_codespan`): a run of backticks closes at the next occurrence
    of the same run, inside a longer one too (`` `"[x]"`` `` is code, then a backtick; CommonMark
    wants a run of exactly that length and reads none). A lone backtick between spaces is text;
    a run never closed is text. Two or more backticks: one space is trimmed from each side."""
    start = state.pos
    if state.src[start] != "`":
        return False
    pos = start
    while pos < state.posMax and state.src[pos] == "`":
        pos += 1
    marker = state.src[start:pos]
    simple = len(marker) == 1
    spaced = simple and start > 0 and state.src[start - 1].isspace() and pos < state.posMax and state.src[pos].isspace()
    close = -1 if spaced else state.src.find(marker, pos, state.posMax)
    if close < 0:
        if not silent:
            state.pending += marker
        state.pos = pos
        return True
    if not silent:
        token = state.push("code_inline", "code", 0)
        token.markup = marker
        content = state.src[pos:close]
        if not simple:
            content = content[1:] if content.startswith(" ") else content
            content = content[:-1] if content.endswith(" ") else content
        token.content = content.replace("\n", " ")  # as markdown-it's: the page shows a line break as a space
    state.pos = close + len(marker)
    return True
