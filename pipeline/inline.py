"""Inline Markdown ↔ the XML text an engine translates, and back.

Prose travels as XML text (with `&`, `<`, `>` escaped: DeepL's tag handling parses strict
XML). Markup the engine may move with the words (emphasis, links, image alt text) travels
as paired tags; everything that must never change (code spans, URLs, inline HTML, Liquid,
footnote references, escapes, protected names) travels as an `<x>` element whose content
the engine is told to ignore and which we replace by the exact original source on the way
back. Each element carries an `id`, so restoring never guesses.

We walk markdown-it's inline tokens with a cursor in the inline source, so every restored
piece of markup is the author's own bytes, not a re-rendering.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from xml.sax.saxutils import escape

from markdown_it.common.utils import isPunctChar, isWhiteSpace
from markdown_it.helpers import parseLinkDestination, parseLinkLabel, parseLinkTitle
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as image_rule
from markdown_it.rules_inline.link import link as link_rule
from markdown_it.token import Token

from pipeline import kramdown, liquid
from pipeline.attributes import TRANSLATED, translated_values
from pipeline.engine_text import Element as Element  # re-exported: segment, edition, review and tests import them from here
from pipeline.engine_text import Protected as Protected
from pipeline.engine_text import _Builder, attribute_text
from pipeline.japanese import JAPANESE
from pipeline.japanese import WIDE_BREAK as _CJK
from pipeline.errors import StructureError
from pipeline.markdown import END_MARKER_LINE, parser

_PAIR_TAGS = {"em": "i", "strong": "b", "s": "s"}
_HTML_FALLBACK = {"i": ("<em>", "</em>"), "b": ("<strong>", "</strong>"), "s": ("<s>", "</s>")}
_BREAK = re.compile(r"[ \t]*\\?\n[ \t]*")


def title_text(restored: str, quote: str) -> str:
    """An answer as a Markdown link title delimited by `quote`: one line, and a typographic
    mark where it held the delimiter (a title cannot hold its own)."""
    return re.sub(r"\s*\n\s*", " ", restored.strip()).translate(_TITLE_DELIMITERS[quote])


_TITLE_DELIMITERS = {
    '"': str.maketrans({'"': "\u201d"}),
    "'": str.maketrans({"'": "\u2019"}),
    "(": str.maketrans({"(": "[", ")": "]"}),
}


def filled(protected: Protected, fills: Sequence[str | None]) -> Protected:
    """`protected` with the English of its attached texts (`fills`, one per `attached`;
    None keeps the source) written into its elements' markup and its `joined` text."""
    changes = [(a, f) for a, f in zip(protected.attached, fills) if f is not None and f != a.source]
    if not changes:
        return protected
    elements, joined = dict(protected.elements), protected.joined
    for attached, text in sorted(changes, key=lambda change: change[0].at, reverse=True):
        element = elements[attached.element]
        markup = element.open if attached.side == "open" else element.close
        markup = markup[: attached.start] + text + markup[attached.end :]
        if attached.side == "open":
            elements[attached.element] = dataclasses.replace(element, open=markup)
        else:
            elements[attached.element] = dataclasses.replace(element, close=markup)
        joined = joined[: attached.at] + _finish(text, protected) + joined[attached.at_end :]
    return dataclasses.replace(protected, elements=elements, joined=joined)


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
) -> Protected:
    """Turn one inline token's source (`content`) into engine XML.

    `glue` maps the offset of each `\\n` in `content` to the original bytes that stood
    there (line ending plus the next line's blockquote or list indentation), so a hard
    break is restored exactly. `keep` matches extra text to protect (never-translate names).
    `table_cell`: `content` is a GFM cell, whose every `|` stood as `\\|` in the source
    (markdown-it unescapes them before inline parsing), so restore writes them back escaped.

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
    return walk.out.build(escape_pipes=table_cell, env=env, dialect=dialect)


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
    """A backslash escape or entity: the author's spelling is kept."""
    walk.expect(token.markup, "escape")
    walk.out.protect(token.markup, visible=token.content)
    walk.cur += len(token.markup)


def _on_code(walk: _Walk, token: Token) -> None:
    end = _code_span_end(walk.content, walk.cur, token.markup)
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
    walk.link_ends.append(_rule_end(kramdown.link if walk.dialect == "kramdown" else link_rule, content, cur, walk.inside(), walk.dialect))
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
    end = _rule_end(kramdown.image if walk.dialect == "kramdown" else image_rule, content, cur, walk.inside(), walk.dialect)
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


def _attach_title(out: _Builder, ident: str, side: Literal["open", "close"], markup: str, at: int) -> None:
    """A Japanese title of an inline link or image (`](/x "タイトル")` from `at` in the
    element's `markup`): translated on its own, written back between its delimiters."""
    span = _title_span(markup, at) if JAPANESE.search(markup) else None
    if span is not None and JAPANESE.search(markup[span[0] : span[1]]):
        title = markup[span[0] : span[1]]
        out.attach_text(ident, side, (span[0], span[1]), dataclasses.replace(protect_plain(title, out.keep), title_quote=span[2]))


def _title_span(markup: str, at: int) -> tuple[int, int, str] | None:
    """(start, end, opening delimiter) of the title inside `](destination "title")`, which
    starts at `at` of `markup`; None when it has none."""
    if not markup.startswith("](", at):
        return None
    # a url with spaces is kramdown's alone (`kramdown.link`): so is the title after it
    return title_after(markup, at + 2, len(markup)) or kramdown.inline_title(markup, at + 1, len(markup))


def title_after(text: str, pos: int, end: int) -> tuple[int, int, str] | None:
    """(start, end, opening delimiter) of the title in `destination "title"`, read from `pos`
    (just after a link's `](` or a reference definition's `]:`) up to `end`, as markdown-it
    reads them; None when there is none."""
    while pos < end and text[pos] in " \t\r\n":
        pos += 1
    destination = parseLinkDestination(text, pos, end)
    if not destination.ok:
        return None
    pos = destination.pos
    while pos < end and text[pos] in " \t\r\n":
        pos += 1
    if pos == destination.pos or pos >= end or text[pos] not in "\"'(":
        return None
    title = parseLinkTitle(text, pos, end)
    return (pos + 1, title.pos - 1, text[pos]) if title.ok else None


def markup_texts(markup: str, attributes: Sequence[str] = TRANSLATED) -> list[tuple[int, int, str]]:
    """(start, end, quote) of each text a reader sees inside one element's markup, in any
    language: the title in a link's or image's `](…)`, the translated attribute values of an
    HTML tag. How an edition's English element is matched with its source's (the XLIFF
    export), whose titles differ once translated."""
    if markup.startswith("<"):
        return translated_values(markup, attributes)
    at = 0 if markup.startswith("](") else markup.find("](") if markup.startswith("![") else -1
    span = _title_span(markup, at) if at >= 0 else None
    return [span] if span is not None else []


def without_texts(markup: str, attributes: Sequence[str] = TRANSLATED) -> str:
    """`markup` with its reader-visible texts (`markup_texts`) left out: the markup proper."""
    for start, end, _ in reversed(markup_texts(markup, attributes)):
        markup = markup[:start] + markup[end:]
    return markup


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
    end = kramdown.matching_close(walk.content, start.group(1), walk.cur + len(token.content)) if start else -1
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


def _code_span_end(content: str, start: int, markup: str) -> int:
    m = re.compile(r"(?<!`)" + re.escape(markup) + r"(?!`)").search(content, start + len(markup))
    if not content.startswith(markup, start) or m is None:
        raise UnsupportedInline(f"code span out of step at {start}")
    return m.end()


def restore(xml: str, protected: Protected) -> str:
    """Markdown from an engine's XML answer; `StructureError` if any element was lost or garbled.

    An answer that restores to the source (`protected.joined`) is returned as is. Any other
    answer is new text around the author's markup, so it is made inert where it could
    change the parse: Markdown-active characters in the engine's prose are escaped,
    emphasis that no longer flanks becomes HTML, and delimiter runs that were plain text
    in the source are escaped if they could now pair up. Jekyll runs Liquid before
    kramdown, so a `{{` or `{%` of the engine's is written `&#123;` (what the reader sees is
    the brace); an answer that would still hold Liquid its source does not is refused.
    """
    text = _restore(xml, protected)
    if text != protected.joined and not protected.front_matter and _liquid_tags(text) != _liquid_tags(protected.joined):
        raise StructureError("the translation would add Liquid ({{ or {%) that its source does not have")
    return text


def _liquid_tags(text: str) -> Counter[str]:
    """The Liquid tags Jekyll would run in `text`: those of the source, and no other, may stand
    in its answer (a `{{` that never closes, kept to its line's end, counts as its opener)."""
    return Counter(tag if tag.endswith(("}}", "%}")) else tag[:2] for tag in liquid.mask(text).tags)


def _restore(xml: str, protected: Protected) -> str:
    if xml == protected.xml and _restores_verbatim(protected):
        return protected.joined
    try:
        root = ET.fromstring(f"<seg>{xml}</seg>")
    except ET.ParseError as exc:
        raise StructureError(f"the engine returned malformed XML ({exc})") from exc
    answer = _Answer(protected)
    answer.walk(root)
    answer.check_complete()
    pieces, kinds, marks = answer.pieces, answer.kinds, answer.marks
    if protected.html_quote is not None:
        return _html_text(pieces, kinds, protected.html_quote)
    text = _finish("".join(pieces), protected)
    if text == protected.joined:
        return text
    special = _special_text(text, pieces, kinds, protected)
    if special is not None:
        return special
    dialect = protected.dialect
    _escape_prose(pieces, kinds, pipes=not protected.escape_pipes, dialect=dialect)
    _keep_emphasis_parsable(pieces, marks, dialect)
    _escape_literals(pieces, kinds, dialect)
    _no_new_liquid(pieces, kinds)
    if dialect == "kramdown" and protected.paragraph:
        _not_a_table(pieces, kinds)
    text = _finish("".join(pieces), protected)
    if _shape(text, protected.env, dialect) == _expected_shape(pieces, kinds, marks, protected.env, dialect):
        return text
    # Delimiter runs interact in ways flanking alone does not predict (`**「x」**は***y***`):
    # give every emphasis its HTML element and make every stray run plain text.
    _all_inert(pieces, kinds, marks)
    text = _finish("".join(pieces), protected)
    if _shape(text, protected.env, dialect) != _expected_shape(pieces, kinds, marks, protected.env, dialect):
        raise StructureError("the translation's Markdown would not parse to the source's inline structure")
    return text


def _special_text(text: str, pieces: list[str], kinds: list[str], protected: Protected) -> str | None:
    """The answer of a text that is no Markdown prose (a title, a code comment, a plain
    value), written as its kind needs; None for prose. `text` differs from the source's."""
    if protected.title_quote is not None:
        _no_new_liquid(pieces, kinds)
        return title_text(_finish("".join(pieces), protected), protected.title_quote)
    if protected.comment is not None:
        return protected.comment.settle(text)
    if protected.plain:
        if not protected.front_matter:  # an abbreviation's definition: in the body, so Liquid runs
            _no_new_liquid(pieces, kinds)
        return _finish("".join(pieces), protected)
    return None


@dataclass
class _Answer:
    """An engine's XML answer walked into pieces: prose, and the author's markup each element
    stands for, each element accounted for exactly once."""

    protected: Protected
    pieces: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "prose" or the element kind of each piece
    marks: list[tuple[int, int, str]] = field(default_factory=list)  # (opening, closing piece, tag) per pair
    seen: set[str] = field(default_factory=set)

    def add(self, piece: str, kind: str) -> None:
        self.pieces.append(piece)
        self.kinds.append(kind)

    def prose(self, text: str) -> None:
        self.add(text if self.protected.plain else _prose(text), "prose")

    def walk(self, node: ET.Element) -> None:
        if node.text:
            self.prose(node.text)
        for child in node:
            ident = child.get("id", "")
            element = self.protected.elements.get(ident)
            if element is None or element.tag != child.tag or ident in self.seen:
                raise StructureError(f"the engine returned an unknown or repeated <{child.tag} id={ident!r}>")
            self.seen.add(ident)
            if element.kind == "pair":
                opening = len(self.pieces)
                self.add(element.open, "pair")
                self.walk(child)
                self.marks.append((opening, len(self.pieces), element.tag))
                self.add(element.close, "pair")
            else:
                self.add(element.open, element.kind)
            if child.tail:
                self.prose(child.tail)

    def check_complete(self) -> None:
        missing = set(self.protected.elements) - self.seen
        if missing:
            lost = sorted(self.protected.elements[i].open for i in missing)
            raise StructureError(f"the engine lost {len(missing)} tag(s): {', '.join(repr(x) for x in lost)}")


def _html_text(pieces: list[str], kinds: list[str], quote: str) -> str:
    """Engine prose as HTML text: only what would start markup (`<` before a name, `&`
    before an entity name) or end an attribute value (its quote) is escaped, so a
    translation that gives back the source gives back its bytes."""
    for i, kind in enumerate(kinds):
        if kind == "prose":
            piece = re.sub(r"&(?=#?[A-Za-z0-9]+;?)", "&amp;", pieces[i])
            piece = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", piece)
            pieces[i] = piece.replace(quote, "&quot;" if quote == '"' else "&#39;") if quote else piece
    _no_new_liquid(pieces, kinds)
    return "".join(pieces).strip()


# A `{` of the engine's that would open a Liquid tag with the character after it
_LIQUID_OPENER = re.compile(r"\{(?=[{%])")


def _no_new_liquid(pieces: list[str], kinds: list[str]) -> None:
    """No `{{` or `{%` of the engine's prose, within a piece or across its edges, is left
    for Liquid: its `{` (or `%`) goes as a character reference, which Liquid does not read
    and kramdown and the browser show as the character, in text, titles and attributes."""
    for i, kind in enumerate(kinds):
        if kind != "prose":
            continue
        piece = _LIQUID_OPENER.sub("&#123;", pieces[i])
        # across its edges: the author's kept piece before or after it (looked at only then)
        if piece.endswith("{") and next((p[0] for p in pieces[i + 1 :] if p), "") in ("{", "%"):
            piece = piece[:-1] + "&#123;"
        if piece[:1] in ("{", "%") and next((p[-1] for p in reversed(pieces[:i]) if p), "") == "{":
            piece = ("&#123;" if piece[0] == "{" else "&#37;") + piece[1:]
        pieces[i] = piece


def _all_inert(pieces: list[str], kinds: list[str], marks: list[tuple[int, int, str]]) -> None:
    """The last resort: every emphasis as its HTML element, every stray delimiter run escaped."""
    for opening, closing, tag in marks:
        if tag in _HTML_FALLBACK:
            pieces[opening], pieces[closing] = _HTML_FALLBACK[tag]
    for i, kind in enumerate(kinds):
        if kind == "literal":
            pieces[i] = "".join("\\" + c for c in protected_literal(pieces[i]))
        elif kind == "prose":
            pieces[i] = re.sub(r"\$(?=[0-9])", r"\\$", pieces[i])  # the rest were escaped above


def _restores_verbatim(protected: Protected) -> bool:
    """Whether restoring `protected.xml` itself (an identity answer, or any answer that
    came back unchanged) is known to give `protected.joined` without parsing it.

    `protect` appends the same piece to the XML and to the Markdown for every token, only
    escaped (`&`, `<`, `>`) on the XML side, and every element's `open`/`close` is the
    Markdown piece it stands for; the XML it builds is well-formed and names each element
    once. Parsing it back therefore gives each prose piece unchanged, unless the parser
    or `_prose` rewrites it: a carriage return (XML normalises line endings) or, outside
    plain values, a line break (joined into a space). With neither in the text, the walk
    in `restore` rebuilds exactly `joined`, and `restore` returns it as is.

    A `Protected` built by hand (the sentence pieces of a text too long for one request:
    no elements, XML copied to `joined`) is not `protect`'s output, so it takes the full
    path whenever it holds markup or an entity.
    """
    xml = protected.xml
    if "\r" in xml or (not protected.plain and "\n" in xml):
        return False
    return bool(protected.elements) or ("<" not in xml and "&" not in xml)


def protected_literal(piece: str) -> str:
    """A literal run's characters, whether or not it was already escaped."""
    return piece.replace("\\", "")


_SHAPE_TOKENS = {
    "em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close", "link_open", "link_close", "image",
    "math_inline", "html_inline", "code_inline", "footnote_ref", "kramdown_math",
}  # fmt: skip
_PAIR_SHAPE = {"i": "em", "b": "strong", "s": "s", "a": "link"}


# Where a token of `_SHAPE_TOKENS` can begin: emphasis, strikethrough, links and images,
# autolinks and HTML, math, code, footnotes (`[^`, `^[`). Text without any of them is plain.
_SHAPE_STARTS = re.compile(r"[*_~\[<$`]")


def _shape(markdown: str, env: Mapping[str, Any], dialect: str = "commonmark") -> list[str]:
    """The inline markup markdown-it finds in `markdown`: emphasis, links and images, in order.

    Text that holds no character any of that markup starts with has none, without a parse
    (most protected pieces are URLs, escapes and entities, checked for every answer).
    """
    if not _SHAPE_STARTS.search(markdown):
        return []
    masked = liquid.mask(markdown)  # Liquid first, as in `segment.split`
    scratch: dict[str, Any] = {"references": env.get("references", {}), "liquid": masked}
    if "footnotes" in env:  # the footnote rules count references in here: parse on a copy
        scratch["footnotes"] = copy.deepcopy(env["footnotes"])
    tokens = parser(dialect).parseInline(masked.text, scratch)
    return [t.type for t in (tokens[0].children or []) if t.type in _SHAPE_TOKENS] if tokens else []


def _expected_shape(
    pieces: list[str], kinds: list[str], marks: list[tuple[int, int, str]], env: Mapping[str, Any], dialect: str
) -> list[str]:
    """The shape the restored pieces stand for: each Markdown pair's tokens, and each kept
    piece's own (an autolink is a link, an image without Japanese alt an image)."""
    at: dict[int, list[str]] = {}
    for opening, closing, tag in marks:
        if tag == "img":
            at[opening] = ["image"]
        elif pieces[opening].startswith("<"):  # fell back to the HTML element
            at[opening], at[closing] = ["html_inline"], ["html_inline"]
        else:
            at[opening] = [_PAIR_SHAPE[tag] + "_open"]
            at[closing] = [_PAIR_SHAPE[tag] + "_close"]
    for i, kind in enumerate(kinds):
        if kind == "keep":
            piece = pieces[i]
            at[i] = list(_kept_shape(piece, dialect)) if "[" not in piece else _shape(piece, env, dialect)
    return [name for i in sorted(at) for name in at[i]]


@lru_cache(maxsize=4096)
def _kept_shape(piece: str, dialect: str) -> tuple[str, ...]:
    """`_shape` of a kept piece without a `[`, remembered: the same URLs, code spans and
    escapes come back in answer after answer. Without a `[` the document's link
    references and footnotes cannot come into play (every rule that reads them starts
    at a `[`), so the shape depends on the piece alone."""
    return tuple(_shape(piece, {}, dialect))


def _finish(text: str, protected: Protected) -> str:
    return text.replace("|", "\\|") if protected.escape_pipes else text


def _prose(text: str) -> str:
    """Engine prose as Markdown text: one logical line, as the segment was sent."""
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


# Characters of engine prose that would start inline markup anywhere: code, emphasis,
# links, HTML/autolinks, math, strikethrough, entities, and a backslash that would escape.
# A `$` before a digit is left alone ("$17 billion"): it can never close math, and every
# `$` that could is escaped.
_INLINE_ACTIVE = re.compile(
    r"[*\[\]<]|\$(?![0-9])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|~(?=~)|(?<=~)~|&(?=#?[A-Za-z0-9]+;)|\\(?=[!-/:-@\[-`{-~]|$)"
)
# What would open a block at the start of a line: heading, quote, list item, setext
# underline or thematic break, table row.
_LINE_ACTIVE = re.compile(r"[ \t]*(?:[#>+=|-]|\d{1,9}(?=[.)]))")
# kramdown adds a definition (`: `) and a block extension or IAL (`{:`) at a line's start
_LINE_ACTIVE_KRAMDOWN = re.compile(r"[ \t]*(?:[#>+=|:-]|\d{1,9}(?=[.)]))")
# ...and inside a line: a span IAL or extension (`{:`), and `&` is not one of its escapes
_KRAMDOWN_ACTIVE = re.compile(r"\{(?=:)")


def _escape_prose(pieces: list[str], kinds: list[str], pipes: bool = True, dialect: str = "commonmark") -> None:
    """Make the engine's own text plain text again, whatever punctuation it came back with.

    Escaping an ASCII punctuation character never changes what it renders to, so this is
    safe to over-apply; it is needed because an engine (or NFKC) turns `＊［＃` into `*[#`,
    and a `#` or `1.` at the start of the paragraph or after a hard break would open a
    block. Whitespace at the segment's ends is dropped (leading spaces could make code).
    `pipes`: write `|` as `&#124;` (a line holding a `|`, even an escaped one, above a
    `---` line starts a table); table cells escape every `|` of their own afterwards.
    kramdown escapes only `\\.*_+`<>()[]{}#!:|"'$=-~` (GFM input) with a backslash, so
    there `&` is written `&amp;`, and its own `{:` is escaped too.
    """
    kramdown = dialect == "kramdown"
    for i, kind in enumerate(kinds):
        if kind == "prose":
            pieces[i] = _at_line_edges(pieces, kinds, i, _inert(pieces[i], kramdown, pipes), kramdown)


def _inert(piece: str, kramdown: bool, pipes: bool) -> str:
    """Engine prose with every character that could start inline markup escaped."""
    # a backslash does not stop a backtick from closing a code span opened in a kept
    # piece (`![`](x.png)` + "`"), so backticks go as an entity, like pipes below
    piece = _INLINE_ACTIVE.sub(_escaper(kramdown), piece).replace("`", "&#96;")
    if kramdown:
        piece = _KRAMDOWN_ACTIVE.sub(r"\\{", piece)
    return piece.replace("|", "&#124;") if pipes else piece


def _at_line_edges(pieces: list[str], kinds: list[str], i: int, piece: str, kramdown: bool) -> str:
    """Prose piece `i` made safe against its neighbours and the start or end of its line."""
    before = next((p[-1] for p in reversed(pieces[:i]) if p), "")
    if piece.startswith("(") and before == "]":
        piece = "\\" + piece  # `[^1]` + `(note)` would be a link
    # `$x$1` and `1$x$` are not math: keep a digit of the new text off a math span
    if before == "$" and piece[:1].isdigit() and kinds[i - 1] == "keep":
        piece = " " + piece
    after = next((p[0] for p in pieces[i + 1 :] if p), "")
    if after == "$" and piece[-1:].isdigit() and kinds[i + 1] == "keep":
        piece = piece + " "
    if after == "[" and piece.endswith("!"):
        piece = piece[:-1] + "\\!"  # `！` + `[link](x)` would be an image
    first = all(not p for p in pieces[:i])
    if first or kinds[i - 1] == "break":
        piece = _no_block_start(piece.lstrip() if first else piece, _LINE_ACTIVE_KRAMDOWN if kramdown else _LINE_ACTIVE)
    return piece.rstrip() if all(not p for p in pieces[i + 1 :]) else piece


def _no_block_start(piece: str, line_active: re.Pattern[str]) -> str:
    """A `#`, `>`, `-` or `1.` that would open a block at the start of a line, escaped."""
    m = line_active.match(piece)
    if m is None:
        return piece
    pos = m.end() if piece[m.end() - 1 : m.end()].isdigit() else m.end() - 1
    return piece[:pos] + "\\" + piece[pos:]


def _not_a_table(pieces: list[str], kinds: list[str]) -> None:
    """kramdown reads a paragraph every line of which holds a `|` as a table. The prose's own
    pipes are entities (`_inert`), but a kept piece may hold one (`![a|b](x.png)`), and the
    answer is one line where the source had several: the line is broken after that piece
    (before it, when no prose follows), so one line holds no `|` and the paragraph stays one."""
    if not all(kramdown.row_pipes(liquid.mask(line).text) for line in "".join(pieces).split("\n")):  # Liquid first
        return
    holding = [i for i, (piece, kind) in enumerate(zip(pieces, kinds)) if kind != "prose" and "|" in piece]
    after = [i for i in range(holding[-1] + 1, len(pieces)) if kinds[i] == "prose" and pieces[i].strip()] if holding else []
    before = [i for i in range(holding[0]) if kinds[i] == "prose" and pieces[i].strip()] if holding else []
    if after:
        pieces[after[0]] = "\n" + _no_block_start(pieces[after[0]].lstrip(), _LINE_ACTIVE_KRAMDOWN)
    elif before:
        pieces[before[-1]] = pieces[before[-1]].rstrip() + "\n"


def _escaper(kramdown: bool) -> Callable[[re.Match[str]], str]:
    def escape_one(m: re.Match[str]) -> str:
        return "&amp;" if kramdown and m.group(0) == "&" else "\\" + m.group(0)

    return escape_one


def _escape_literals(pieces: list[str], kinds: list[str], dialect: str = "commonmark") -> None:
    """Escape a delimiter run that was text in the source if it could pair up now.

    `**「強調」**は` is not emphasis in CommonMark (the closing run is not right-flanking),
    but `**"Emphasis"** is` would be; the reader of the source saw asterisks, so the
    translation must show asterisks too.
    """
    for i, kind in enumerate(kinds):
        if kind != "literal":
            continue
        run = pieces[i]
        char = run[:1]
        if char == "~" and len(run) < 2:
            continue
        before, after = _neighbours(pieces, i, set())
        # kramdown pairs a run with any later one: escaping is the only safe choice there
        if dialect == "kramdown" or _can_open(char, before, after) or _can_close(char, before, after):
            pieces[i] = "".join("\\" + c for c in run)


def _keep_emphasis_parsable(pieces: list[str], marks: list[tuple[int, int, str]], dialect: str = "commonmark") -> None:
    """Where `**` would no longer parse as emphasis in the new text, use the HTML element.

    CommonMark's flanking rules depend on the characters around a delimiter; English
    punctuation and spacing differ from the Japanese source (`」**は`), so a delimiter that
    was fine in the source can fail to close in the translation.
    """
    delimiters = {i for opening, closing, tag in marks if tag in _HTML_FALLBACK for i in (opening, closing)}
    for opening, closing, tag in marks:
        if tag not in _HTML_FALLBACK:
            continue
        delimiter = pieces[opening][:1]
        before_open, after_open = _neighbours(pieces, opening, delimiters)
        before_close, after_close = _neighbours(pieces, closing, delimiters)
        if dialect == "kramdown":
            fine = _kramdown_opens(delimiter, before_open, after_open) and _kramdown_closes(delimiter, before_close, after_close)
        else:
            fine = _can_open(delimiter, before_open, after_open) and _can_close(delimiter, before_close, after_close)
        if not fine:
            pieces[opening], pieces[closing] = _HTML_FALLBACK[tag]


def _neighbours(pieces: list[str], index: int, delimiters: set[int]) -> tuple[str, str]:
    """The characters around a delimiter run; adjacent runs of the same character count as one."""
    char = pieces[index][:1]

    def same_run(i: int) -> bool:
        return i in delimiters and pieces[i] != "" and set(pieces[i]) == {char}

    before = next((pieces[i][-1] for i in range(index - 1, -1, -1) if pieces[i] and not same_run(i)), " ")
    after = next((pieces[i][0] for i in range(index + 1, len(pieces)) if pieces[i] and not same_run(i)), " ")
    return before, after


def _is_space(ch: str) -> bool:
    """markdown-it's own test, so our flanking verdicts match its parse."""
    return isWhiteSpace(ord(ch))


def _is_punct(ch: str) -> bool:
    return isPunctChar(ch)


def _left_flanking(before: str, after: str) -> bool:
    return not _is_space(after) and (not _is_punct(after) or _is_space(before) or _is_punct(before))


def _right_flanking(before: str, after: str) -> bool:
    return not _is_space(before) and (not _is_punct(before) or _is_space(after) or _is_punct(after))


def _can_open(delimiter: str, before: str, after: str) -> bool:
    left = _left_flanking(before, after)
    if delimiter == "_":
        return left and (not _right_flanking(before, after) or _is_punct(before))
    return left


def _can_close(delimiter: str, before: str, after: str) -> bool:
    right = _right_flanking(before, after)
    if delimiter == "_":
        return right and (not _left_flanking(before, after) or _is_punct(after))
    return right


def _kramdown_opens(delimiter: str, before: str, after: str) -> bool:
    """kramdown's `parse_emphasis`: no space after the opener; `_` not after a letter or `-`."""
    return not _is_space(after) and not (delimiter == "_" and (before.isalpha() or before == "-"))


def _kramdown_closes(delimiter: str, before: str, after: str) -> bool:
    """kramdown's stop condition: no space before the closer; `_` not before a letter or digit."""
    return not _is_space(before) and not (delimiter == "_" and after.isalnum())


def protect_plain(text: str, keep: re.Pattern[str] | None = None) -> Protected:
    """Engine XML for plain text that is not Markdown (front matter values).

    Its line breaks travel as they are and come back as they are (a `|` block scalar is
    several lines on purpose), and nothing in the answer is escaped: Jekyll prints these
    values, it does not render them as Markdown.
    """
    out = _Builder(keep)
    out.prose(text)
    return out.build(plain=True)


def unmask(protected: Protected, masked: liquid.Masked) -> Protected:
    """`protected` (built from Liquid-masked text) with the author's Liquid tags written back
    into every piece of Markdown it restores to, its attached texts' too (a mask keeps every
    offset, so their spans hold); in the engine XML they stay hidden."""
    if not masked.tags:
        return protected
    elements = {ident: Element(e.kind, e.tag, masked.unmask(e.open), masked.unmask(e.close)) for ident, e in protected.elements.items()}
    xml = liquid.unmask(protected.xml, tuple(escape(t) for t in masked.tags))
    attached = tuple(dataclasses.replace(a, protected=unmask(a.protected, masked)) for a in protected.attached)
    return dataclasses.replace(protected, xml=xml, elements=elements, joined=masked.unmask(protected.joined), attached=attached)
