"""Inline Markdown → the engine's XML (`protect`): the walk over markdown-it's inline tokens.

A cursor moves through the inline source while a table of small handlers, one per token
type (`_HANDLERS`), tells the builder what each piece is: prose, a pair the engine may move
with the words, or a piece kept as the author wrote it. Its own module because the way
there and the way back (pipeline.inline.from_engine) share nothing but the element table
the builder writes (pipeline.engine_text).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from markdown_it.helpers import parseLinkLabel
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as image_rule
from markdown_it.rules_inline.link import link as link_rule
from markdown_it.token import Token

from pipeline import liquid
from pipeline.attributes import TRANSLATED, translated_values
from pipeline.engine_text import Element, Protected, _Builder, attribute_text
from pipeline.inline.attached import _attach_title
from pipeline.japanese import JAPANESE
from pipeline.japanese import WIDE_BREAK as _CJK
from pipeline.kramdown.blocks import matching_close
from pipeline.kramdown.links import image as kramdown_image
from pipeline.kramdown.links import link as kramdown_link
from pipeline.markdown import END_MARKER_LINE, LINK_END, parser

_PAIR_TAGS = {"em": "i", "strong": "b", "s": "s"}


_BREAK = re.compile(r"[ \t]*\\?\n[ \t]*")


class UnsupportedInline(Exception):
    """An inline construct we cannot map back to its source; the segment is kept verbatim."""


def _is_delimiter(token: Token) -> bool:
    """A text token that is an emphasis/strikethrough delimiter run markdown-it did not pair."""
    content = token.content
    return bool(content) and content[0] in "*_~" and content == content[0] * len(content)


def protect(
    content: str,
    children: Sequence[Token],
    env: Mapping[str, Any],
    glue: Mapping[int, str] | None = None,
    keep: re.Pattern[str] | None = None,
    table_cell: bool = False,
    dialect: str = "commonmark",
    attributes: Sequence[str] = TRANSLATED,
    paragraph: bool = False,
) -> Protected:
    """Turn one inline token's source (`content`) into engine XML.

    `glue` maps the offset of each `\\n` in `content` to the original bytes that stood
    there (line ending plus the next line's blockquote or list indentation), so a hard
    break is restored exactly. `keep` matches extra text to protect (never-translate names).
    `table_cell`: `content` is a GFM cell, whose every `|` stood as `\\|` in the source
    (markdown-it unescapes them before inline parsing), so restore writes them back escaped.
    `paragraph`: `content` is a paragraph's (`Protected.paragraph`), set here rather than on a
    copy (`dataclasses.replace` of it cost ~0.06 s CPU a corpus run).

    The walk is a table of small handlers keyed by token type (`_HANDLERS`), as a renderer
    is: each consumes its token's source at the cursor and tells the builder what it is.
    """
    walk = _Walk(content, children, env, glue or {}, dialect, _Builder(keep), attributes)
    while walk.i < len(children):
        token = children[walk.i]
        if token.type != "text":
            walk.flush_text()
        handler = _HANDLERS.get(token.type)
        if handler is None:
            raise UnsupportedInline(f"unsupported inline token {token.type!r}")
        handler(walk, token)
        walk.i += 1
    walk.flush_text()
    if walk.cur != len(content) or walk.pairs:
        raise UnsupportedInline(f"inline source not fully consumed ({walk.cur} of {len(content)})")
    return walk.out.build(escape_pipes=table_cell, env=env, dialect=dialect, paragraph=paragraph)


@dataclass
class _Walk:
    """The state of one `protect` walk: a cursor in the inline source, the token index, and
    what is open."""

    content: str
    children: Sequence[Token]
    env: Mapping[str, Any]
    glue: Mapping[int, str]
    dialect: str
    out: _Builder
    attributes: Sequence[str] = TRANSLATED  # the HTML attributes translated (alt, title…)
    cur: int = 0
    i: int = 0
    pairs: list[str] = field(default_factory=list)  # ids of the open emphasis/link elements
    link_ends: list[int] = field(default_factory=list)  # where each open link's source ends
    link_starts: list[int] = field(default_factory=list)  # where each open link's `[` stands
    run: list[tuple[str, bool]] = field(default_factory=list)  # text tokens, flushed as one prose

    def original(self, start: int, end: int) -> str:
        """`content[start:end]` as it stands in the file: markup that spans lines (a code span,
        inline HTML, math, a link title) gets back each line's ending and container prefix."""
        piece = self.content[start:end]
        if "\n" not in piece:
            return piece
        return "".join(self.glue.get(start + k, "\n") if ch == "\n" else ch for k, ch in enumerate(piece))

    def expect(self, source: str, what: str) -> None:
        if not self.content.startswith(source, self.cur):
            raise UnsupportedInline(f"{what} out of step at {self.cur}")

    def flush_text(self) -> None:
        if self.run:
            self.out.text_run(self.run)
            self.run = []

    def inside(self) -> Mapping[str, Any]:
        return _inside(self.env, self.out, self.pairs)


def _on_text(walk: _Walk, token: Token) -> None:
    walk.expect(token.content, "text token")
    if token.content:
        walk.run.append((token.content, _is_delimiter(token)))
    walk.cur += len(token.content)


def _on_break(walk: _Walk, token: Token) -> None:
    content, out = walk.content, walk.out
    m = _BREAK.match(content, walk.cur)
    if m is None:
        raise UnsupportedInline(f"line break not found at {walk.cur}")
    newline = content.index("\n", m.start())
    if token.type == "hardbreak":
        out.line_break(content[m.start() : newline] + walk.glue.get(newline, "\n") + content[newline + 1 : m.end()])
    elif (marker_end := _end_marker_line(walk.children, walk.i + 1, content, m.end())) is not None:
        # `---END---` pasted under the last line: its own line in the English too, never
        # sent as words (the lint reports it; the edition must not hide it)
        out.protect(walk.original(m.start(), marker_end[1]))
        walk.cur, walk.i = marker_end[1], marker_end[0] - 1
        return
    else:
        after = content[m.end() : m.end() + 1]
        out.join("" if _CJK.match(out.last_char() or " ") or _CJK.match(after or " ") else " ")
    walk.cur = m.end()


def _on_escape(walk: _Walk, token: Token) -> None:
    """A backslash escape or entity: the author's spelling is kept. A backslash before what
    no backslash escapes (`\\を`: only ASCII punctuation escapes) is kept alone, and the
    character after it is text (the page shows both)."""
    walk.expect(token.markup, "escape")
    if token.info == "escape" and token.content == token.markup and len(token.markup) == 2 and not token.markup[1].isascii():
        walk.out.protect("\\", visible="\\")
        walk.run.append((token.markup[1], False))
    else:
        walk.out.protect(token.markup, visible=token.content)
    walk.cur += len(token.markup)


def _on_code(walk: _Walk, token: Token) -> None:
    end = _code_span_end(walk.content, walk.cur, token.markup, walk.dialect)
    walk.out.protect(walk.original(walk.cur, end), visible=token.content)
    walk.cur = end


def _on_pair_open(walk: _Walk, token: Token) -> None:
    walk.expect(token.markup, token.type)
    walk.pairs.append(walk.out.open(_PAIR_TAGS[token.type[:-5]], token.markup))
    walk.cur += len(token.markup)


def _on_pair_close(walk: _Walk, token: Token) -> None:
    if not walk.pairs:
        raise UnsupportedInline(f"{token.type} out of step at {walk.cur}")
    walk.expect(token.markup, token.type)
    walk.out.close(walk.pairs.pop(), token.markup)
    walk.cur += len(token.markup)


def _on_link_open(walk: _Walk, token: Token) -> None:
    content, cur = walk.content, walk.cur
    if token.markup in ("autolink", "linkify"):  # the whole link is one kept piece
        href = token.attrGet("href")
        end = content.index(">", cur) + 1 if token.markup == "autolink" else cur + (len(href) if isinstance(href, str) else 0)
        walk.out.protect(content[cur:end], visible=content[cur:end].strip("<>"))
        while walk.children[walk.i].type != "link_close":
            walk.i += 1
        walk.cur = end
        return
    noted = (token.meta or {}).get(LINK_END)  # noted by the parse (markdown.parser); else the rule is re-run
    if not isinstance(noted, int):
        noted = _rule_end(kramdown_link if walk.dialect == "kramdown" else link_rule, content, cur, walk.inside(), walk.dialect)
    walk.link_ends.append(noted)
    walk.link_starts.append(cur)
    walk.pairs.append(walk.out.open("a", "["))
    walk.cur += 1


def _on_link_close(walk: _Walk, token: Token) -> None:
    end = walk.link_ends.pop() if walk.link_ends else -1
    start = walk.link_starts.pop() if walk.link_starts else -1
    if walk.content[walk.cur : walk.cur + 1] != "]" or not walk.pairs:
        raise UnsupportedInline(f"link end out of step at {walk.cur}")
    ident, close = walk.pairs.pop(), walk.original(walk.cur, end)
    walk.out.close(ident, close)
    _attach_title(walk.out, ident, "close", close, 0)
    if close in ("]", "][]") and start >= 0:
        # a shortcut or collapsed reference (`[参考資料]`, `[参考資料][]`): once its text is
        # translated the label would no longer match the definition, so the English
        # names it in full, `[Reference materials][参考資料]`
        element = walk.out.elements[ident]
        walk.out.elements[ident] = Element("pair", element.tag, element.open, "][" + walk.original(start + 1, walk.cur) + "]")
    walk.cur = end


def _on_image(walk: _Walk, token: Token) -> None:
    """Japanese alt text travels as an `<img>` pair around its words; other images are kept."""
    content, cur, out = walk.content, walk.cur, walk.out
    end = _rule_end(kramdown_image if walk.dialect == "kramdown" else image_rule, content, cur, walk.inside(), walk.dialect)
    label_end = parseLinkLabel(_state(content, walk.inside(), cur, walk.dialect), cur + 1, False)
    alt = content[cur + 2 : label_end]
    if JAPANESE.search(alt):
        ident = out.open("img", "![")
        out.prose(_join_lines(alt))
        out.close(ident, walk.original(label_end, end))
        _attach_title(out, ident, "close", out.elements[ident].close, 0)
    else:
        whole = walk.original(cur, end)
        out.protect(whole, visible=alt)
        _attach_title(out, out.last_id(), "open", whole, len(walk.original(cur, label_end)))
    walk.cur = end


def _on_atom(walk: _Walk, token: Token) -> None:
    """Inline HTML, Liquid, kramdown extensions and math: kept as written. A kramdown span IAL
    joins the markup of the element before it."""
    walk.expect(token.content, token.type)
    if token.type == "html_inline" and (end := _quotation_end(walk, token)) is not None:
        walk.out.protect(walk.original(walk.cur, end))  # a quotation in its own language: kept whole
        walk.cur = end
        return
    source = walk.original(walk.cur, walk.cur + len(token.content))
    if token.type == "kramdown_ial":
        walk.out.attach(source)
    else:
        walk.out.protect(source)
    if token.type == "html_inline" and JAPANESE.search(source):
        # an element's alt, title or aria-label in running text: translated on its own
        for a, b, quote in translated_values(source, walk.attributes):
            if JAPANESE.search(source[a:b]):
                walk.out.attach_text(walk.out.last_id(), "open", (a, b), attribute_text(source[a:b], quote, walk.out.keep))
    walk.cur += len(token.content)


LANG_START_TAG = re.compile(r"""<([A-Za-z][\w-]*)\b[^>]*?\slang\s*=\s*(?:"[^"]+"|'[^']+'|[^\s"'=<>`]+)[^>]*>""")


def _quotation_end(walk: _Walk, token: Token) -> int | None:
    """Where the element ends whose start tag `token` marks its language (`<span lang="ja">`),
    its end tag's token now the walk's: its text is kept as written, as in an HTML block
    (html_block._declares_language); None for any other tag, or one never closed here."""
    start = LANG_START_TAG.fullmatch(token.content)
    end = matching_close(walk.content, start.group(1), walk.cur + len(token.content)) if start else -1
    if start is None or end < 0:
        return None
    name, depth = start.group(1).lower(), 0
    for j in range(walk.i, len(walk.children)):
        child = walk.children[j]
        tag = re.match(r"<(/?)([A-Za-z][\w-]*)", child.content) if child.type == "html_inline" else None
        if tag is not None and tag.group(2).lower() == name and not child.content.endswith("/>"):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                walk.i = j
                return end
    return None


def _on_math(walk: _Walk, token: Token) -> None:
    source = "$" + token.content + "$"
    walk.expect(source, "math")
    walk.out.protect(walk.original(walk.cur, walk.cur + len(source)), visible=token.content)
    walk.cur += len(source)


def _on_footnote_ref(walk: _Walk, token: Token) -> None:
    content, cur = walk.content, walk.cur
    if content.startswith("^[", cur):
        end = parseLinkLabel(_state(content, walk.env, cur, walk.dialect), cur + 1, False) + 1
    else:
        end = content.index("]", cur) + 1
    walk.out.protect(walk.original(cur, end))
    walk.cur = end


_HANDLERS: dict[str, Callable[[_Walk, Token], None]] = {
    "text": _on_text,
    "softbreak": _on_break,
    "hardbreak": _on_break,
    "text_special": _on_escape,
    "code_inline": _on_code,
    **{f"{kind}_open": _on_pair_open for kind in _PAIR_TAGS},
    **{f"{kind}_close": _on_pair_close for kind in _PAIR_TAGS},
    "link_open": _on_link_open,
    "link_close": _on_link_close,
    "image": _on_image,
    **{kind: _on_atom for kind in ("html_inline", "liquid", "kramdown_ext", "kramdown_math", "kramdown_ial", "kramdown_unclosed")},
    "math_inline": _on_math,
    "footnote_ref": _on_footnote_ref,
}


def _end_marker_line(children: Sequence[Token], first: int, content: str, start: int) -> tuple[int, int] | None:
    """If the line at `start` is an end marker (`---END---`, `== 終わり ==`) made of plain
    text tokens up to the next line break or the end: (index of the token after them, its
    offset). Otherwise None."""
    line_end = content.find("\n", start)
    line = content[start : len(content) if line_end < 0 else line_end]
    if not END_MARKER_LINE.match(line):
        return None
    j, text = first, ""
    while j < len(children) and children[j].type == "text" and len(text) < len(line):
        text += children[j].content
        j += 1
    if text.rstrip() != line.rstrip() or (j < len(children) and children[j].type not in ("softbreak", "hardbreak")):
        return None
    return j, start + len(text)


def _join_lines(text: str) -> str:
    """Line breaks inside image alt text joined like soft breaks: nothing between CJK characters."""

    def joiner(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        return "" if _CJK.match(before or " ") or _CJK.match(after or " ") else " "

    return re.sub(r"[ \t]*\n[ \t]*", joiner, text)


def _inside(env: Mapping[str, Any], out: _Builder, pairs: Sequence[str]) -> Mapping[str, Any]:
    """`env` as the parser had it at this point: kramdown's emphasis rule reads which
    emphasis elements are open around it (em does not nest in em), so re-running a link
    rule here must see the same ones."""
    kinds = {"i": "em", "b": "strong"}
    open_kinds = [kinds[out.elements[p].tag] for p in pairs if out.elements[p].tag in kinds]
    return {**env, "kramdown_emphasis": open_kinds} if open_kinds else env


def _state(content: str, env: Mapping[str, Any], pos: int, dialect: str = "commonmark") -> StateInline:
    state = StateInline(content, parser(dialect), dict(env), [])
    state.pos = pos
    return state


def _rule_end(rule: Any, content: str, pos: int, env: Mapping[str, Any], dialect: str) -> int:
    """Where markdown-it's own link/image rule says the construct at `pos` ends."""
    state = _state(content, env, pos, dialect)
    if not rule(state, True):
        raise UnsupportedInline(f"link not re-parsed at {pos}")
    return state.pos


def _code_span_end(content: str, start: int, markup: str, dialect: str = "commonmark") -> int:
    """Where the code span at `start` ends: after a run of exactly its length (CommonMark), or
    after the next occurrence of its run, in a longer one too (kramdown: `spans.code_span`)."""
    if not content.startswith(markup, start):
        raise UnsupportedInline(f"code span out of step at {start}")
    if dialect == "kramdown":
        close = content.find(markup, start + len(markup))
        if close < 0:
            raise UnsupportedInline(f"code span out of step at {start}")
        return close + len(markup)
    m = re.compile(r"(?<!`)" + re.escape(markup) + r"(?!`)").search(content, start + len(markup))
    if m is None:
        raise UnsupportedInline(f"code span out of step at {start}")
    return m.end()


def unmask(protected: Protected, masked: liquid.Masked) -> Protected:
    """`protected` (built from Liquid-masked text) with the author's Liquid tags written back
    into every piece of Markdown it restores to, its attached texts' too (a mask keeps every
    offset, so their spans hold); in the engine XML they stay hidden."""
    if not masked.tags or not _may_hold_masks(protected):
        return protected
    elements = {ident: Element(e.kind, e.tag, masked.unmask(e.open), masked.unmask(e.close)) for ident, e in protected.elements.items()}
    xml = liquid.unmask(protected.xml, tuple(escape(t) for t in masked.tags))
    attached = tuple(dataclasses.replace(a, protected=unmask(a.protected, masked)) for a in protected.attached)
    return dataclasses.replace(protected, xml=xml, elements=elements, joined=masked.unmask(protected.joined), attached=attached)


def _may_hold_masks(protected: Protected) -> bool:
    """Whether a text of `protected` can hold a masked tag, each of which starts with `{`:
    most segments of a post with Liquid hold none, and are then given back as they are."""
    texts = (protected.xml, protected.joined, *(part for e in protected.elements.values() for part in (e.open, e.close)))
    return bool(protected.attached) or any(liquid.START in text for text in texts)
