"""The code and markup a target may not bring: what in a piece of Markdown would run code
in a reader's browser or change the page beyond its text.

A translator's file is outside input: import refuses a target with more of these than its
source. The check is its own module because it is a security rule with its own reasons
(which elements count as formatting, which attributes carry URLs), read and reviewed
apart from the XLIFF plumbing.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from pipeline import liquid

_SCRIPT, _HANDLER, _JS_URL, _DATA_URL = "<script>", "an on…= attribute", "a javascript: URL", "a data: URL"
_STYLE, LIQUID = "a style= attribute", "Liquid ({{ or {%)"
_URL_NOISE = re.compile(r"[\x00-\x20]")  # browsers ignore these in a URL's scheme
_IAL = re.compile(r"\{:([^}]*)\}")  # kramdown attribute lists set attributes on an element
_IAL_TAG = "ial"  # the stand-in element an attribute list is fed as
_URL_ATTRIBUTES = frozenset({"action", "background", "cite", "data", "formaction", "href", "poster", "src", "srcset", "xlink:href"})
# Elements a target may hold whether or not its source does: text formatting, which is what
# `inline.restore` itself writes (`<strong>`, `<em>`, `<s>`) and a translator may add; any
# other element (`<iframe>`, `<meta http-equiv>`, `<object>`, `<link>`, `<a>`, ...) only as
# often as the source segment holds it.
_FORMATTING = frozenset({"b", "br", "code", "em", "i", "kbd", "mark", "s", "small", "strong", "sub", "sup", "u", "wbr", _IAL_TAG})


class _ActiveHTML(HTMLParser):
    """Counts the things in HTML that run code or change the page beyond its text: any
    element but text formatting, event handler and style attributes, javascript: and
    data: URLs in any attribute."""

    def __init__(self, found: Counter[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.found = found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.found[_SCRIPT] += 1
        elif tag not in _FORMATTING:
            self.found[f"<{tag}>"] += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.found[_HANDLER] += 1
            if name == "style":
                self.found[_STYLE] += 1
            scheme = _scheme(value) if value is not None else ""
            if scheme == "javascript:":
                self.found[_JS_URL] += 1
            elif scheme == "data:" and name in _URL_ATTRIBUTES:  # an alt may begin "Data: ..."
                self.found[_DATA_URL] += 1

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str:
    """`javascript:` or `data:` when `url` is one (as a browser reads it), else ""."""
    url = _URL_NOISE.sub("", url).lower()
    return next((scheme for scheme in ("javascript:", "data:") if url.startswith(scheme)), "")


def _links_parser() -> MarkdownIt:
    """CommonMark with every link destination kept: markdown-it drops javascript: links
    by default, but kramdown (Jekyll) publishes them."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # markdown-it documents replacing it
    return md


def active_content(markdown: str) -> Counter[str]:
    """What in a piece of Markdown would run code in a reader's browser."""
    found: Counter[str] = Counter()
    html = _ActiveHTML(found)
    for token in _links_parser().parse(markdown):
        if token.type == "html_block":
            html.feed(token.content)
        for child in token.children or ():
            if child.type == "html_inline":
                html.feed(child.content)
            url = child.attrGet("href") if child.type == "link_open" else child.attrGet("src") if child.type == "image" else None
            scheme = _scheme(url) if isinstance(url, str) else ""
            if scheme:
                found[_JS_URL if scheme == "javascript:" else _DATA_URL] += 1
    for m in _IAL.finditer(markdown):
        html.feed(f"<{_IAL_TAG} {m.group(1)}>")
    html.close()
    found[LIQUID] += len(liquid.mask(markdown).tags)
    return +found


def added_active_content(source: str, target: str) -> list[str]:
    """The kinds of code or markup the target has more of than its source (`<script>`,
    `<iframe>`, on…= attributes, javascript: URLs, Liquid...): a CAT tool's file must not
    bring what the author did not."""
    return sorted((active_content(target) - active_content(source)).keys())
