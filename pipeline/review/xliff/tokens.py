"""Inline content as a flat stream of tokens: the form in which export and import compare
a segment's source, its English and a CAT tool's target.

The source and the English edition are parsed on their own, each with its own element
ids; export writes the English in terms of the source's elements (one set of tags for the
CAT tool), and import compares a target's tokens with the current English to tell whether
a translator changed anything. Both directions need it and it knows nothing of XLIFF
files, so it sits below them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.inline import Element, Protected, protected_literal, without_texts

_HTML_PAIRS = {"<strong>": "b", "<em>": "i", "<s>": "s"}
_HTML_CLOSERS = {"</strong>": "b", "</em>": "i", "</s>": "s"}
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])\Z")


TokKind = Literal["text", "open", "close", "empty", "xopen", "xclose", "xempty", "esc"]


@dataclass(frozen=True)
class Tok:
    """One piece of inline content. `id` is a source element id, or `e<n>` for markup
    only the English has (kinds starting with x), whose Markdown is `markup`."""

    kind: TokKind
    id: str = ""
    text: str = ""  # text: the prose; esc: the escaped character
    markup: str = ""


def _walk(xml: str) -> list[tuple[str, str, ET.Element | None]]:
    """Our engine XML as ("text", s) / ("open"|"close"|"empty", id, element) events."""
    events: list[tuple[str, str, ET.Element | None]] = []

    def visit(node: ET.Element) -> None:
        if node.text:
            events.append(("text", node.text, None))
        for child in node:
            ident = child.get("id", "")
            if child.tag in ("x", "br"):  # protected text, literal runs, hard breaks
                events.append(("empty", ident, child))
            else:  # emphasis, links, image alt text
                events.append(("open", ident, child))
                visit(child)
                events.append(("close", ident, child))
            if child.tail:
                events.append(("text", child.tail, None))

    visit(ET.fromstring(f"<seg>{xml}</seg>"))
    return events


def source_stream(protected: Protected) -> list[Tok]:
    out: list[Tok] = []
    for kind, value, _ in _walk(protected.xml):
        if kind == "text":
            out.append(Tok("text", text=value))
        else:
            out.append(Tok(kind, value))  # type: ignore[arg-type]  # _walk yields only Tok kinds besides "text"
    return merge(out)


def visible_texts(protected: Protected) -> dict[str, str]:
    """What a reader sees of each protected element (a code span's code, a name)."""
    return {v: "".join(n.itertext()) for k, v, n in _walk(protected.xml) if k == "empty" and n is not None and n.tag == "x"}


def english_stream(source: Protected, english: Protected) -> list[Tok]:
    return english_tokens(source, english)[0]


def english_tokens(source: Protected, english: Protected) -> tuple[list[Tok], dict[str, Element]]:
    """The English of a segment in terms of its source's elements.

    The English edition is parsed on its own (its own element ids), then each of its
    elements is matched with an unused source element standing for the same Markdown: the
    same code span, the same link destination, the same emphasis. Emphasis the restorer
    had to write as HTML (`<strong>`) matches the source's `**` pair; backslash escapes
    the restorer added become plain characters again (import escapes them the same way).
    What matches nothing is English-only markup, carried with its Markdown. A link's title
    and an HTML tag's alt or title are the English's own words, not markup: they are left
    out of the comparison (and travel as units of their own, `_titles`). Also returns the
    English element each source element was matched with.
    """
    stream = _EnglishStream(source)
    for kind, ident, _ in _walk(english.xml):
        if kind == "text":
            stream.out.append(Tok("text", text=ident))
            continue
        el = english.elements.get(ident)
        if el is not None:
            _EVENTS[kind](stream, el)
    out = _balance(stream.out, stream.extra_id)
    out = _literal_runs(out, source, stream.unused)
    return merge([Tok("text", text=t.text) if t.kind == "esc" else t for t in out]), stream.matched


class _EnglishStream:
    """The tokens of one English segment as they are matched with its source's elements."""

    def __init__(self, source: Protected) -> None:
        self.source = source
        self.unused = list(source.elements)
        self.out: list[Tok] = []
        self.stack: list[Tok] = []  # open tokens, to close them with the right id and markup
        self.extra = 0
        self.matched: dict[str, Element] = {}  # source element id → the English element matched with it

    def take(self, match: Callable[[Element], bool], english: Element | None = None) -> str | None:
        """The first unused source element that `match`es, now used."""
        for ident in self.unused:
            if match(self.source.elements[ident]):
                self.unused.remove(ident)
                if english is not None:
                    self.matched[ident] = english
                return ident
        return None

    def extra_id(self) -> str:
        self.extra += 1
        return f"e{self.extra}"

    def empty(self, sid: str | None, el: Element) -> None:
        self.out.append(Tok("empty", sid, markup=el.open) if sid else Tok("xempty", self.extra_id(), markup=el.open))


def _on_open(stream: _EnglishStream, el: Element) -> None:
    sid = stream.take(
        lambda s: s.kind == "pair" and s.tag == el.tag and _same_markup(s.open, el.open) and _same_markup(s.close, el.close), el
    )
    tok = Tok("open", sid, markup=el.open) if sid else Tok("xopen", stream.extra_id(), markup=el.open)
    stream.out.append(tok)
    stream.stack.append(Tok("close" if sid else "xclose", tok.id, markup=el.close))


def _on_close(stream: _EnglishStream, el: Element) -> None:
    stream.out.append(stream.stack.pop())


def _on_escape(stream: _EnglishStream, el: Element) -> None:
    stream.out.append(Tok("esc", text=el.open[1:], markup=el.open))


def _on_html_opener(stream: _EnglishStream, el: Element) -> None:
    tag = _HTML_PAIRS[el.open]
    sid = stream.take(lambda s: s.kind == "pair" and s.tag == tag)
    stream.out.append(Tok("open", sid, markup=el.open) if sid else Tok("xempty", stream.extra_id(), markup=el.open))


def _on_html_closer(stream: _EnglishStream, el: Element) -> None:
    tag = _HTML_CLOSERS[el.open]
    out = stream.out
    opened = [t for t in out if t.kind == "open" and stream.source.elements[t.id].tag == tag]
    closed = {t.id for t in out if t.kind == "close"}
    pending = [t for t in opened if t.id not in closed and t.markup in _HTML_PAIRS]
    out.append(Tok("close", pending[-1].id, markup=el.open) if pending else Tok("xempty", stream.extra_id(), markup=el.open))


def _on_literal(stream: _EnglishStream, el: Element) -> None:
    sid = stream.take(lambda s: s.kind == "literal" and protected_literal(s.open) == protected_literal(el.open))
    stream.out.append(Tok("empty", sid, markup=el.open) if sid else Tok("text", text=protected_literal(el.open)))


def _on_other(stream: _EnglishStream, el: Element) -> None:
    stream.empty(stream.take(lambda s: s.kind == el.kind and s.tag == el.tag and _same_markup(s.open, el.open), el), el)


def _on_image(stream: _EnglishStream, el: Element) -> None:
    """An English image is kept whole (its alt has no Japanese to send); the source's image
    with Japanese alt is a pair around its words. The same destination makes them one: the
    English alt is that pair's text."""
    for at in (m.start() for m in re.finditer(r"\]\(", el.open)):
        close = el.open[at:]
        sid = stream.take(
            lambda s: s.kind == "pair" and s.tag == "img" and _same_markup(s.close, close), Element("pair", "img", "![", close)
        )
        if sid:
            stream.out += [Tok("open", sid, markup="!["), Tok("text", text=el.open[2:at]), Tok("close", sid, markup=close)]
            return
    _on_other(stream, el)


def _same_markup(source: str, english: str) -> bool:
    """The same markup, whatever the words of its titles and alt texts."""
    return source == english or without_texts(source) == without_texts(english)


# An empty English element: the first handler whose test accepts it.
_EMPTY: tuple[tuple[Callable[[Element], bool], Callable[[_EnglishStream, Element], None]], ...] = (
    (lambda el: el.kind == "keep" and bool(_ESCAPE.match(el.open)), _on_escape),
    (lambda el: el.kind == "keep" and el.open in _HTML_PAIRS, _on_html_opener),
    (lambda el: el.kind == "keep" and el.open in _HTML_CLOSERS, _on_html_closer),
    (lambda el: el.kind == "literal", _on_literal),
    (lambda el: el.kind == "keep" and el.open.startswith("!["), _on_image),
    (lambda el: True, _on_other),
)


def _on_empty(stream: _EnglishStream, el: Element) -> None:
    next(handler for test, handler in _EMPTY if test(el))(stream, el)


_EVENTS: dict[str, Callable[[_EnglishStream, Element], None]] = {"open": _on_open, "close": _on_close, "empty": _on_empty}


def _balance(toks: list[Tok], extra_id: Any) -> list[Tok]:
    """Opening and closing tokens that do not nest (hand-written `<strong>` without its
    end) become English-only placeholders, so the XLIFF stays well-formed."""
    stack: list[int] = []
    bad: set[int] = set()
    for i, t in enumerate(toks):
        if t.kind in ("open", "xopen"):
            stack.append(i)
        elif t.kind in ("close", "xclose"):
            if stack and toks[stack[-1]].id == t.id:
                stack.pop()
            else:
                bad.add(i)
    bad.update(stack)
    return [Tok("xempty", extra_id(), markup=t.markup) if i in bad else t for i, t in enumerate(toks)]


def _literal_runs(toks: list[Tok], source: Protected, unused: list[str]) -> list[Tok]:
    """A source delimiter run (`**` that is text, not emphasis) the restorer escaped
    (`\\*\\*`) comes back as that source element."""
    for ident in [i for i in unused if source.elements[i].kind == "literal"]:
        chars = protected_literal(source.elements[ident].open)
        for start in range(len(toks)):
            run = toks[start : start + len(chars)]
            if len(run) == len(chars) and all(t.kind == "esc" for t in run) and "".join(t.text for t in run) == chars:
                toks[start : start + len(chars)] = [Tok("empty", ident, markup="".join(t.markup for t in run))]
                unused.remove(ident)
                break
    return toks


def merge(toks: Iterable[Tok]) -> list[Tok]:
    out: list[Tok] = []
    for t in toks:
        if t.kind == "text":
            if not t.text:
                continue
            if out and out[-1].kind == "text":
                out[-1] = Tok("text", text=out[-1].text + t.text)
                continue
        out.append(t)
    return out


def comparable(toks: Sequence[Tok]) -> list[tuple[str, str, str]]:
    """What decides whether two targets say the same: text, ids, English-only markup."""
    return [(t.kind, t.id, t.text if t.kind == "text" else t.markup if t.kind.startswith("x") else "") for t in merge(toks)]
