"""kramdown's inline links and images where markdown-it reads none: a url holding spaces or
unbalanced parentheses, which kramdown reads up to a title in quotes
(`[YAML](https://yaml.org/ target="_blank")` is a link to kramdown, text to CommonMark).

The inline walk (pipeline.inline) re-runs these rules to find where a link ends, and reads a
title the way kramdown does, so they stand apart from the block and emphasis rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as commonmark_image
from markdown_it.rules_inline.link import link as commonmark_link
from markdown_it.token import Token

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
    (`inline_destination`), whose url may hold spaces; neither where kramdown starts no link."""

    def rule(state: StateInline, silent: bool) -> bool:
        start = state.pos + (1 if image else 0)
        if state.src.startswith("[^", start):  # kramdown's LINK_START: `[^…]` is a footnote's marker or text
            return False
        if commonmark(state, silent):
            return True
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
