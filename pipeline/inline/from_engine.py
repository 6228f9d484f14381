"""The engine's XML answer → inline Markdown (`restore`): the author's markup written back.

Every element of the answer is checked against the table `protect` built (none lost,
repeated or invented), then the text is written as its kind needs: Markdown prose made
inert (pipeline.inline.inert), the text of an HTML block, a link title, a plain value, and
no Liquid of the engine's. Its own module because it is the gate every engine's and every
translator's text passes before it reaches a page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field

from pipeline import liquid
from pipeline.engine_text import Protected
from pipeline.errors import StructureError
from pipeline.inline.attached import _finish, title_text
from pipeline.inline.inert import (
    _all_inert,
    _escape_literals,
    _escape_prose,
    _expected_shape,
    _keep_emphasis_parsable,
    _not_a_table,
    _shape,
)


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
    return _trimming_tags_in_place(text, protected.joined)


def _trimming_tags_in_place(text: str, source: str) -> str:
    """`text` with a Liquid tag that trims whitespace (`-%}`, `{%-`) back at the end (start) of
    the text where the source has it there. Such a tag at a heading's end eats the line break
    after it, and so the line after (jekyllrb-ja's `## …{%- include badge.html -%}` over a
    `{: #id}` line: on the Japanese page the IAL is the heading's text); moved inside the
    words by an engine, it eats nothing, and the English page has another structure."""
    tags = liquid.mask(source).tags
    if not tags:
        return text
    last, first = tags[-1], tags[0]
    if last.endswith(("-%}", "-}}")) and source.rstrip().endswith(last) and not text.rstrip().endswith(last) and last in text:
        body = text.replace(last, "", 1).rstrip()
        text = body + source[len(source.rstrip()) - len(last) :]
    if first.startswith(("{%-", "{{-")) and source.lstrip().startswith(first) and not text.lstrip().startswith(first) and first in text:
        text = source[: len(source) - len(source.lstrip()) + len(first)] + text.replace(first, "", 1).lstrip()
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
        return _html_text(pieces, kinds, protected.html_quote, protected.joined)
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


def _html_text(pieces: list[str], kinds: list[str], quote: str, source: str) -> str:
    """Engine prose as HTML text: only what would start markup (`<` before a name, `&`
    before an entity name), end a comment (`-->`) or end an attribute value (its quote) is escaped, so a
    translation that gives back the source gives back its bytes. An answer that is the
    source (`<!-- メモ` that never closes, a `<` kramdown shows as text) is the source's bytes."""
    if "".join(pieces).strip() == source:
        return source
    for i, kind in enumerate(kinds):
        if kind == "prose":
            piece = re.sub(r"&(?=#?[A-Za-z0-9]+;?)", "&amp;", pieces[i])
            piece = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", piece)
            piece = re.sub(r"(?<=--)>", "&gt;", piece)  # it would close an author's `<!--` left open before
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


def _prose(text: str) -> str:
    """Engine prose as Markdown text: one logical line, as the segment was sent."""
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
