"""The one markdown-it-py parser, configured once: CommonMark plus what Jekyll posts use.

Liquid (`{% ... %}`, `{{ ... }}`) is not Markdown: Jekyll expands it before Markdown is
rendered, so we teach the parser two small rules that turn it into opaque tokens: a block
rule for Liquid-only lines and `raw`/`highlight`/`comment` blocks (whose insides may look
like Markdown), and an inline rule for tags inside prose.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_inline_dollar
from mdit_py_plugins.footnote import footnote_plugin

# Each tag ends at its own first closer: `{{ a }} text {{ b }}` is prose with two tags, not a
# Liquid-only line (a lazy `.*?` under fullmatch would stretch across the text).
_LIQUID_ONLY_LINE = re.compile(r"[ \t]*(?:(?:\{%(?:(?!%\}).)*%\}|\{\{(?:(?!\}\}).)*\}\})[ \t]*)+")
_LIQUID_BLOCK_OPEN = re.compile(r"[ \t]*\{%-?\s*(raw|highlight|comment)\b.*?%\}")
_LIQUID_INLINE = {"{{": "}}", "{%": "%}"}


def _liquid_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start_line] + state.tShift[start_line] : state.eMarks[start_line]]
    opener = _LIQUID_BLOCK_OPEN.match(line)
    last = start_line
    if opener:
        closer = re.compile(r"\{%-?\s*end" + opener.group(1) + r"\s*-?%\}")
        last = start_line
        while last < end_line and not closer.search(
            state.src[state.bMarks[last] + (opener.end() if last == start_line else 0) : state.eMarks[last]]
        ):
            last += 1
        if last >= end_line:
            return False
    elif not _LIQUID_ONLY_LINE.fullmatch(line):
        return False
    if silent:
        return True
    token = state.push("liquid_block", "", 0)
    token.map = [start_line, last + 1]
    token.content = state.getLines(start_line, last + 1, state.sCount[start_line], True)
    state.line = last + 1
    return True


def _liquid_inline(state: StateInline, silent: bool) -> bool:
    closer = _LIQUID_INLINE.get(state.src[state.pos : state.pos + 2])
    if closer is None:
        return False
    end = state.src.find(closer, state.pos + 2, state.posMax)
    if end < 0:
        return False
    if not silent:
        token = state.push("liquid", "", 0)
        token.content = state.src[state.pos : end + 2]
    state.pos = end + 2
    return True


def _build() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False)
    )
    md.block.ruler.before(
        "table", "liquid_block", _liquid_block, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.inline.ruler.before("text", "liquid", _liquid_inline)
    md.inline.ruler.at("math_inline", _math_inline)
    return md


_dollar = math_inline_dollar(False, False, False)  # allow_space, allow_digits, double_inline as configured above


def _math_inline(state: StateInline, silent: bool) -> bool:
    """mdit-py-plugins' `$...$` rule, minus its look at `src[pos - 1]` when pos is 0.

    At the start of a paragraph that index wraps to the paragraph's last character, so
    `$x$ ... 1` was not math while `$x$ ... one` was: a translation could turn text into
    math just by changing the paragraph's last word.
    """
    if state.pos != 0:
        return _dollar(state, silent)
    src = state.src
    state.src = src + " "  # the wrapped-around look now sees a space; nothing else reads past posMax
    try:
        return _dollar(state, silent)
    finally:
        state.src = src


# A line an editor's tool leaves at the end of a post: `---END---`, `== 終わり ==`, `EOF`.
# The lint reports it; the pipeline keeps it on its own line and never sends it.
_DECOR = r"[-=_*~#+]"
_END_WORD = r"(?:THE\s*END|END(?:\s*OF\s*\w+)?|EOF|終わり|おわり|終了|以上)"
END_MARKER_LINE = re.compile(
    rf"^\s*(?:{_DECOR}{{2,}}\s*{_END_WORD}\s*{_DECOR}*|{_DECOR}*\s*{_END_WORD}\s*{_DECOR}{{2,}}|END|EOF)\s*$",
    re.IGNORECASE,
)


@cache
def parser() -> MarkdownIt:
    """Shared instance: building one costs more than parsing a post.

    `text_join` and `fragments_join` are off so that escapes and entities stay separate
    tokens whose `markup` is their exact source, which `inline.protect` relies on.
    """
    md = _build()
    md.core.ruler.disable("text_join")
    md.inline.ruler2.disable("fragments_join")
    # A pure function of the URL (percent-encoding, punycode) and the costliest step of a
    # link; posts link the same pages over and over, and `inline.protect` re-runs the link
    # rule for every link it keeps, so each destination is normalised once.
    md.normalizeLink = lru_cache(maxsize=4096)(md.normalizeLink)  # type: ignore[method-assign]
    return md


@cache
def renderer() -> MarkdownIt:
    """The same grammar with the default token joins, for rendering HTML (tests compare structures)."""
    md = _build()
    md.add_render_rule("liquid", lambda self, tokens, idx, options, env: tokens[idx].content)
    md.add_render_rule("liquid_block", lambda self, tokens, idx, options, env: tokens[idx].content)
    return md


def normalize(text: str) -> str:
    """What markdown-it does to its input before computing `token.map` line numbers."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
