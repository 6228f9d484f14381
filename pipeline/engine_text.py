"""The engine text of a segment and the table that undoes it: what inline Markdown
(pipeline.inline) and HTML blocks (pipeline.html_block) both build.

Kept below both so each can build engine text without importing the other: the HTML
block splitter writes its runs with the same builder as inline Markdown, and inline HTML
in running text has its attribute values translated as an HTML block's are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from xml.sax.saxutils import escape

from pipeline import liquid
from pipeline.engines import KEEP_TAG  # the engine is told to keep this tag's content
from pipeline.japanese import VISIBLE_JAPANESE

if TYPE_CHECKING:
    from pipeline.code import Comment

_URL = re.compile(r"(?:https?|ftp)://[!#-;=?-~]+[#-&(*-/0-9;=?-Z\\^-z|~]|www\.[!#-;=?-~]+[#-&(*-/0-9;=?-Z\\^-z|~]")
# a URL, or a Liquid tag masked before parsing (pipeline.liquid) inside text such as image alt
_URL_OR_LIQUID = re.compile(f"{_URL.pattern}|{liquid.RUN.pattern}")
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")


def _inside_name(text: str, start: int, end: int) -> bool:
    """Whether the `_` run at [start, end) joins two parts of one name (`highlight_html`):
    such a run can neither open nor close emphasis (CommonMark's flanking rules, kramdown's
    `_` rule), so the name is sent whole, as the prose it is."""
    return start > 0 and text[start] == "_" and bool(_NAME_CHAR.match(text, start - 1)) and bool(_NAME_CHAR.match(text, end))


_NAME_CHAR = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class Element:
    """What one tagged element of the engine text stands for in the Markdown source."""

    kind: Literal["keep", "pair", "break", "literal"]
    tag: str
    open: str  # keep/break/literal: the whole original source; pair: the opening markup
    close: str = ""  # pair: the closing markup


@dataclass(frozen=True)
class Protected:
    """A segment's engine text, the table to undo it, and the Markdown it stands for."""

    xml: str
    elements: Mapping[str, Element]
    joined: str  # the source Markdown with soft line breaks joined: restore(xml) gives exactly this
    escape_pipes: bool = False  # a table cell: every `|` of the restored text is written `\|`
    plain: bool = False  # not Markdown (a front matter value): line breaks kept, nothing escaped
    dialect: str = "commonmark"  # the Markdown the restored text must parse as (markdown.DIALECTS)
    # the document's link references (and footnotes), so a restored `[text][ref]` can be
    # re-parsed as a link: the part of the parse's env a restore reads (`restore_env`)
    env: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # text of an HTML block (pipeline.html_block): "" for element text, the quote character
    # for an attribute value; the answer's prose is then escaped as HTML, not as Markdown
    html_quote: str | None = None
    # a Markdown link title (a definition's): its delimiter, which the answer must not hold
    title_quote: str | None = None
    # texts inside the markup of its elements that are translated on their own (titles, alt)
    attached: tuple[Attached, ...] = ()
    # a code block's comment text (pipeline.code): the answer must stay inside its comment
    comment: Comment | None = None
    # a front matter value: Jekyll does not run Liquid in it, so an answer's `{{` stays as written
    front_matter: bool = False
    # a paragraph's text: written as one line where the source had several (`_not_a_table`)
    paragraph: bool = False

    @property
    def has_prose(self) -> bool:
        """True when there is Japanese text to translate outside protected elements: kana,
        kanji, or full-width punctuation alone (`2024-01-29 〜 2024-02-04`, `20（LTS）`),
        which an English page must not show either."""
        return bool(VISIBLE_JAPANESE.search(_strip_keeps(self.xml)))


@dataclass(frozen=True)
class Attached:
    """A text inside one element's markup that is translated as a request of its own: a
    Markdown link or image title, an `alt`, `title` or `aria-label` value of inline HTML.

    It is not part of the sentence around it, so it must not travel inside that sentence's
    XML (an engine would weave its words into the sentence); its English is written back at
    its exact place in the markup (`filled`), so the page keeps every element and attribute.
    Its `protected` says what may stand there: `title_quote` for a Markdown title, whose
    answer never holds its delimiter; `html_quote` for an attribute value, escaped for it.
    """

    element: str  # the id of the element whose markup holds it
    side: Literal["open", "close"]  # in that element's opening or closing markup
    start: int  # [start, end) inside that markup
    end: int
    protected: Protected  # its own engine text; `restore` gives the English as it may stand there
    at: int = -1  # [at, at_end) in the segment's `joined`
    at_end: int = -1

    @property
    def source(self) -> str:
        return self.protected.joined


@dataclass
class _Builder:
    keep: re.Pattern[str] | None
    xml: list[str] = field(default_factory=list)
    md: list[str] = field(default_factory=list)
    elements: dict[str, Element] = field(default_factory=dict)
    attached: list[tuple[Attached, int]] = field(default_factory=list)  # with the index of its markup in `md`

    def _id(self) -> str:
        return str(len(self.elements) + 1)

    def prose(self, text: str, literals: Sequence[tuple[int, int]] = ()) -> None:
        """Plain text, with bare URLs, protected names and `literals` (offsets of unmatched
        emphasis delimiter runs) cut out as elements.

        URLs are claimed first: a name or a stray `_` inside a URL is part of the URL.
        """
        claimed: list[tuple[int, int, str]] = [(m.start(), m.end(), "keep") for m in _URL_OR_LIQUID.finditer(text)]
        if self.keep is not None:
            claimed += _unclaimed(((m.start(), m.end()) for m in self.keep.finditer(text)), claimed, "keep", clip=False)
        if literals:
            claimed += _unclaimed(literals, claimed, "literal", clip=True)
        if not claimed:  # plain prose: most texts
            self._text(text)
            return
        pos = 0
        for start, end, kind in sorted(claimed):
            self._text(text[pos:start])
            if kind == "literal":
                self.literal(text[start:end])
            else:
                self.protect(text[start:end], visible=text[start:end])
            pos = end
        self._text(text[pos:])

    def text_run(self, pieces: Sequence[tuple[str, bool]]) -> None:
        """Consecutive text tokens as one piece of prose (so a URL containing `_` stays whole).

        Each piece is (text, is a delimiter run markdown-it left unmatched); adjacent
        delimiter pieces of the same character form one literal run.
        """
        if len(pieces) == 1 and not pieces[0][1]:  # one text token (nearly every run): no literal
            self.prose(pieces[0][0])
            return
        text = "".join(t for t, _ in pieces)
        literals: list[tuple[int, int]] = []
        pos = 0
        for piece, delimiter in pieces:
            if delimiter:
                if literals and literals[-1][1] == pos and text[pos - 1] == piece[0]:
                    literals[-1] = (literals[-1][0], pos + len(piece))
                else:
                    literals.append((pos, pos + len(piece)))
            pos += len(piece)
        self.prose(text, [(a, b) for a, b in literals if not _inside_name(text, a, b)])

    def literal(self, source: str) -> None:
        """A `*`, `_` or `~` run that is text in the source; escaped on restore if it could
        otherwise pair up with its new neighbours."""
        ident = self._id()
        self.elements[ident] = Element("literal", KEEP_TAG, source)
        self.xml.append(f'<{KEEP_TAG} id="{ident}">{escape(source)}</{KEEP_TAG}>')
        self.md.append(source)

    def _text(self, text: str) -> None:
        pos = 0
        for m in _XML_INVALID.finditer(text):
            self.xml.append(escape(text[pos : m.start()]))
            self.md.append(text[pos : m.start()])
            self.protect(m.group(0))
            pos = m.end()
        self.xml.append(escape(text[pos:]))
        self.md.append(text[pos:])

    def protect(self, source: str, visible: str = "") -> None:
        ident = self._id()
        self.elements[ident] = Element("keep", KEEP_TAG, source)
        visible = _XML_INVALID.sub("", visible)
        self.xml.append(f'<{KEEP_TAG} id="{ident}">{escape(visible)}</{KEEP_TAG}>' if visible else f'<{KEEP_TAG} id="{ident}"/>')
        self.md.append(source)

    def open(self, tag: str, markup: str) -> str:
        ident = self._id()
        self.elements[ident] = Element("pair", tag, markup)
        self.xml.append(f'<{tag} id="{ident}">')
        self.md.append(markup)
        return ident

    def close(self, ident: str, markup: str) -> None:
        element = self.elements[ident]
        self.elements[ident] = Element("pair", element.tag, element.open, markup)
        self.xml.append(f"</{element.tag}>")
        self.md.append(markup)

    def line_break(self, source: str) -> None:
        ident = self._id()
        self.elements[ident] = Element("break", "br", source)
        self.xml.append(f'<br id="{ident}"/>')
        self.md.append(source)

    def join(self, separator: str) -> None:
        self.xml.append(separator)
        self.md.append(separator)

    def last_id(self) -> str:
        return str(len(self.elements))

    def last_char(self) -> str:
        for piece in reversed(self.md):
            if piece:
                return piece[-1]
        return ""

    def attach(self, source: str) -> None:
        """kramdown's span IAL (`{:target="_blank"}`) belongs to the element just before it:
        it becomes part of that element's markup, so no engine can move it away."""
        last = self.xml[-1] if self.xml else ""
        ident = next(reversed(self.elements), None)
        element = self.elements.get(ident) if ident is not None else None
        if element is not None and element.kind == "pair" and last == f"</{element.tag}>" and element.close:
            self.elements[ident] = Element("pair", element.tag, element.open, element.close + source)  # type: ignore[index]  # ident is not None when element is
            self.md.append(source)
        elif element is not None and element.kind == "keep" and last.startswith(f'<{KEEP_TAG} id="{ident}"'):
            self.elements[ident] = Element("keep", KEEP_TAG, element.open + source)  # type: ignore[index]  # ident is not None when element is
            self.md.append(source)
        else:
            self.protect(source)

    def attach_text(self, ident: str, side: Literal["open", "close"], span: tuple[int, int], attached: Protected) -> None:
        """A text inside the markup just written for element `ident` (`span` in it), to be
        translated on its own (`Attached`)."""
        self.attached.append((Attached(ident, side, span[0], span[1], attached), len(self.md) - 1))

    def build(
        self,
        escape_pipes: bool = False,
        plain: bool = False,
        env: Mapping[str, Any] | None = None,
        dialect: str = "commonmark",
        paragraph: bool = False,
    ) -> Protected:
        joined = "".join(self.md)
        attached: list[Attached] = []
        for found, index in self.attached:
            before = "".join(self.md[:index]) + self.md[index][: found.start]
            inside = self.md[index][found.start : found.end]
            if escape_pipes:
                before, inside = before.replace("|", "\\|"), inside.replace("|", "\\|")
            attached.append(dataclasses.replace(found, at=len(before), at_end=len(before) + len(inside)))
        if escape_pipes:
            joined = joined.replace("|", "\\|")
        return Protected(
            "".join(self.xml),
            dict(self.elements),
            joined,
            escape_pipes,
            plain,
            dialect,
            restore_env(env) if env else {},
            attached=tuple(attached),
            paragraph=paragraph,
        )


RESTORE_ENV = ("references", "footnotes")  # what an answer's parse reads of the source's env (`inline.inert`)


def restore_env(env: Mapping[str, Any]) -> Mapping[str, Any]:
    """The part of a parse's env that checking an answer reads: not the Liquid-masked body
    (`"liquid"`), which every segment of a post would otherwise carry into a worker process
    and back (a post's reading pickled to 3.5 times its size)."""
    return {key: env[key] for key in RESTORE_ENV if key in env}


def _unclaimed(
    candidates: Iterable[tuple[int, int]], claimed: Sequence[tuple[int, int, str]], kind: str, clip: bool
) -> list[tuple[int, int, str]]:
    """Candidate spans that overlap no claimed span; with `clip`, the parts of them that do not."""
    found: list[tuple[int, int, str]] = []
    for start, end in candidates:
        parts = [(start, end)]
        for c_start, c_end, _ in claimed:
            kept: list[tuple[int, int]] = []
            for s, e in parts:
                if e <= c_start or c_end <= s:
                    kept.append((s, e))
                    continue
                kept += [p for p in ((s, c_start), (c_end, e)) if p[0] < p[1]]
            parts = kept
        if clip:
            found.extend((s, e, kind) for s, e in parts)
        elif parts == [(start, end)]:
            found.append((start, end, kind))
    return found


def _strip_keeps(xml: str) -> str:
    return re.sub(rf"<{KEEP_TAG}\b[^>]*?(?:/>|>.*?</{KEEP_TAG}>)", "", xml)


_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
_CJK_END = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def attribute_text(value: str, quote: str, keep: re.Pattern[str] | None) -> Protected:
    """The engine text of an attribute value: HTML text, escaped for its quote on the way back."""
    builder = _Builder(keep)
    _text(builder, value)
    return _as_html(builder.build(plain=False), quote)


def _text(builder: _Builder, text: str) -> None:
    """Text with its line breaks joined as soft breaks are: no space next to a CJK character."""
    pos = 0
    for m in _BREAK.finditer(text):
        builder.prose(text[pos : m.start()])
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        builder.join("" if _CJK_END.match(before or " ") or _CJK_END.match(after or " ") else " ")
        pos = m.end()
    builder.prose(text[pos:])


def _as_html(protected: Protected, quote: str) -> Protected:
    from dataclasses import replace

    return replace(protected, html_quote=quote)
