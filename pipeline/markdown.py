"""The one markdown-it-py parser, configured once: CommonMark plus what Jekyll posts use.

Liquid (`{% ... %}`, `{{ ... }}`) is not Markdown: Jekyll expands it before Markdown is
rendered, so we teach the parser two small rules that turn it into opaque tokens: a block
rule for Liquid-only lines and `highlight`/`comment` blocks (whose insides may look like
Markdown), and an inline rule for tags inside prose.
"""

from __future__ import annotations

from typing import Any
import re
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_inline_dollar
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from pipeline import kramdown, liquid
from pipeline.kramdown.blocks import may_start
from pipeline.liquid import Masked

# Each tag ends at its own first closer: `{{ a }} text {{ b }}` is prose with two tags, not a
# Liquid-only line (a lazy `.*?` under fullmatch would stretch across the text).
_LIQUID_ONLY_LINE = re.compile(r"[ \t]*(?:(?:\{%(?:(?!%\}).)*%\}|\{\{(?:(?!\}\}).)*\}\})[ \t]*)+")
# `raw` is not one of them: Jekyll shows its insides, which are read as Markdown (pipeline.liquid)
_LIQUID_BLOCK_OPEN = re.compile(r"[ \t]*\{%-?\s*(highlight|comment)\b.*?%\}")
_LIQUID_INLINE = {"{{": "}}", "{%": "%}"}


def _original(state: StateBlock | StateInline, text: str) -> str:
    """`text` as the author wrote it, where the parser reads Liquid-masked text."""
    masked = state.env.get("liquid")
    return masked.unmask(text) if isinstance(masked, Masked) else text


def _liquid_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if not may_start(state, start_line, "{") or state.sCount[start_line] - state.blkIndent >= 4:
        return False
    line = _original(state, state.src[state.bMarks[start_line] + state.tShift[start_line] : state.eMarks[start_line]])
    opener = _LIQUID_BLOCK_OPEN.match(line)
    last = start_line
    if opener:
        closer = re.compile(liquid.end_tag(opener.group(1)))
        last = start_line
        while last < end_line and not closer.search(
            _original(state, state.src[state.bMarks[last] : state.eMarks[last]]),
            opener.end() + state.tShift[start_line] if last == start_line else 0,
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
    if not state.src.startswith("{", state.pos):  # a tag or its mask starts so; asked at most offsets of every text
        return False
    masked = state.env.get("liquid")
    tag = liquid.tag_at(state.src, state.pos, masked.tags) if isinstance(masked, Masked) and masked.tags else None
    if tag is not None:  # a tag masked before parsing (Liquid first)
        end = min(state.posMax, state.pos + len(tag))
        if not silent:
            state.push("liquid", "", 0).content = state.src[state.pos : end]
        state.pos = end
        return True
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


DIALECTS = ("kramdown", "commonmark")


def _build(dialect: str) -> MarkdownIt:
    md = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False)
    )
    md.block.ruler.before("table", "liquid_block", _liquid_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before("text", "liquid", _liquid_inline)
    if dialect == "kramdown":
        md.use(deflist_plugin)
        md.inline.ruler.disable(["math_inline", "footnote_inline"])
        kramdown.install(md)
    elif dialect == "commonmark":
        md.inline.ruler.at("math_inline", _math_inline)
    else:
        raise ValueError(f"unknown Markdown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
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
def parser(dialect: str = "commonmark") -> MarkdownIt:
    """Shared instance: building one costs more than parsing a post.

    `text_join` and `fragments_join` are off so that escapes and entities stay separate
    tokens whose `markup` is their exact source, which `inline.protect` relies on.
    """
    md = _build(dialect)
    # a link reference definition as a token with its lines (its title is translated), and
    # each reference link marked with its label (its title is counted at the definition)
    md.options["inline_definitions"] = True
    md.options["store_labels"] = True
    md.core.ruler.disable("text_join")
    md.inline.ruler2.disable("fragments_join")
    # A pure function of the URL (percent-encoding, punycode) and the costliest step of a
    # link; posts link the same pages over and over, and `inline.protect` re-runs the link
    # rule for every link it keeps, so each destination is normalised once.
    md.normalizeLink = lru_cache(maxsize=4096)(md.normalizeLink)  # type: ignore[method-assign]  # a pure function: caching it is safe
    rules = md.inline.ruler.__rules__
    rules[md.inline.ruler.__find__("link")].fn = _recording_link_end(rules[md.inline.ruler.__find__("link")].fn)
    return md


LINK_END = "source_end"  # a link_open token's meta key: where its link's source ends in the inline text


def _recording_link_end(rule: Any) -> Any:
    """The link rule, noting on each top-level link it reads where the link's source ends:
    `inline.protect` needs that end, and re-running the rule for it cost a tenth of the
    split. Only where a re-run from the same place, on a fresh state, reads the same: the
    whole text within reach, no kramdown emphasis open, not inside another link, and no
    look-ahead cached at or after the link (kramdown's emphasis rule looks ahead with its
    open elements, and markdown-it caches the skips by position alone); else it re-runs."""

    def recording(state: StateInline, silent: bool) -> bool:
        if not state.src.startswith("[", state.pos):  # no link starts here: the rule says no at once
            return False
        before, pos = len(state.tokens), state.pos
        fresh = not silent and not any(at >= pos for at in state.cache)
        if not rule(state, silent):
            return False
        if not fresh or state.posMax != len(state.src) or state.linkLevel or state.env.get("kramdown_emphasis"):
            return True
        for token in state.tokens[before:]:  # any pending text is pushed first
            if token.type == "link_open":
                token.meta = {**(token.meta or {}), LINK_END: state.pos}
                break
        return True

    return recording


@cache
def renderer(dialect: str = "commonmark") -> MarkdownIt:
    """The same grammar with the default token joins, for rendering HTML (tests compare structures).

    Liquid renders as the author's tag; kramdown's kept blocks and span IALs render as an
    empty marker element, so a structure comparison sees them where they stand."""
    md = _build(dialect)
    md.add_render_rule("liquid", lambda self, tokens, idx, options, env: _original_token(tokens[idx].content, env))
    md.add_render_rule("liquid_block", lambda self, tokens, idx, options, env: _original_token(tokens[idx].content, env))
    for kind in ("kramdown_block", "kramdown_ial", "kramdown_ext", "kramdown_math"):
        md.add_render_rule(kind, lambda self, tokens, idx, options, env, kind=kind: f"<{kind.replace('_', '-')}/>")
    md.add_render_rule("abbr_def_open", lambda self, tokens, idx, options, env: "<abbr-def>")
    md.add_render_rule("abbr_def_close", lambda self, tokens, idx, options, env: "</abbr-def>")
    return md


def _original_token(content: str, env: dict[str, Any]) -> str:
    masked = env.get("liquid")
    return str(masked.unmask(content)) if isinstance(masked, Masked) else content


def render(markdown: str, dialect: str = "commonmark") -> str:
    """HTML for `markdown` read as the site does: Liquid masked first, then the dialect."""
    masked = liquid.mask(markdown)
    return str(renderer(dialect).render(masked.text, {"liquid": masked}))


def normalize(text: str) -> str:
    """What markdown-it does to its input before computing `token.map` line numbers."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
