"""Exchange segments with CAT tools (OmegaT, Trados, memoQ) as XLIFF 1.2.

Export writes one `<file>` per post and one `<trans-unit>` per translatable text, with the
current English pre-filled as `<target>` and a `state` saying what it is:

* machine translation: `needs-review-translation` (`state-qualifier="leveraged-mt"`);
* a translator's edit: `translated`; an approved text: `final` (both `approved="yes"`:
  translate-toolkit, behind Weblate and Pootle, reads a unit without it as fuzzy);
* anything flagged by the last run or the state (needs review, glossary miss, broken
  tags): `needs-review-translation`, with the flags as `<note>`s;
* a segment whose Japanese was kept because the engine broke its tags: no target.

Inline markup travels as XLIFF inline elements with the ids our engine XML uses, so the
segment's `Protected` table maps them back: emphasis, links and image alt text become
`<g>`; code, URLs, HTML, Liquid, names and other protected text become `<ph>` holding the
original Markdown (and `equiv-text` with what a reader sees); hard line breaks `<x
ctype="lb"/>`. Markup that exists only in the English (a link a translator added) goes as
`<bpt>`/`<ept>`/`<ph>` carrying its Markdown, so the file alone says how to restore it.

A unit's id is `<where>.<source hash>.<English hash>` (`b3` = body segment 3, or the front
matter field name). Import finds the segment again by `where`, refuses units whose source
changed since export (the Japanese they translate is gone) or whose English changed since
export while the file changes it too (someone else's edit would be lost), and applies the
targets marked `translated`, `final` or `signed-off`. A target identical to the current
English changes nothing, unless its state raises it (a confirmed machine translation
becomes `approved`). Applied text goes through the same `inline.restore` as an engine
answer, is spliced into the edition's exact span, recorded as `approved` in the state and
the translation memory, and every file is written atomically; if any unit is refused,
nothing is written. Refused too, with file and line: a target that brings code or markup
its source does not have (`<script>`, an `on…=` or `style=` attribute, a `javascript:` or
`data:` URL, Liquid, any HTML element but text formatting: `<iframe>`, `<meta>`,
`<object>`, `<link>`...), and any DOCTYPE or entity declaration in the file (parsed with
defusedxml).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from html.parser import HTMLParser
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from markdown_it import MarkdownIt

from pipeline import frontmatter, liquid
from pipeline.config import Settings
from pipeline.errors import InputError, PipelineError, StructureError
from pipeline.glossary import Glossary
from pipeline.inline import Element, Protected, filled, markup_texts, protect_plain, protected_literal, restore, without_texts
from pipeline.target import Target
from pipeline.edition import commit, read_texts, render
from pipeline.post import Post, parse_post, read_post, source_hash
from pipeline.segment import Segment
from pipeline.state import PostState, SegmentRecord, load_state, on_disk_record, short_hash, state_path

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_NS = "http://www.w3.org/XML/1998/namespace"
TOOL_ID = "pipeline"
APPLIED_STATES = ("translated", "final", "signed-off")
REVIEW_CODES = ("needs-review", "glossary", "structure", "truncated", "unmapped-taxonomy")
TAXONOMY_KEYS = ("categories", "category", "tags", "tag")
HASH = 12  # hex digits of the hashes in unit ids
_G_CTYPE = {"b": "bold", "i": "italic", "a": "link", "s": "x-strikethrough", "img": "x-image-alt"}
_HTML_PAIRS = {"<strong>": "b", "<em>": "i", "<s>": "s"}
_HTML_CLOSERS = {"</strong>": "b", "</em>": "i", "</s>": "s"}
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])\Z")
_STATE_RANK = {"needs-review-translation": 0, "translated": 1, "final": 2, "signed-off": 2}


# --- inline content as a flat stream of tokens ------------------------------------------

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
    return _merge(out)


def _visible(protected: Protected) -> dict[str, str]:
    """What a reader sees of each protected element (a code span's code, a name)."""
    return {v: "".join(n.itertext()) for k, v, n in _walk(protected.xml) if k == "empty" and n is not None and n.tag == "x"}


def english_stream(source: Protected, english: Protected) -> list[Tok]:
    return _english_tokens(source, english)[0]


def _english_tokens(source: Protected, english: Protected) -> tuple[list[Tok], dict[str, Element]]:
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
    return _merge([Tok("text", text=t.text) if t.kind == "esc" else t for t in out]), stream.matched


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


def _merge(toks: Iterable[Tok]) -> list[Tok]:
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
    return [(t.kind, t.id, t.text if t.kind == "text" else t.markup if t.kind.startswith("x") else "") for t in _merge(toks)]


# --- writing ----------------------------------------------------------------------------


def _ph_ctype(element: Element, names: frozenset[str]) -> str:
    text = element.open
    if element.kind == "literal":
        return "x-literal"
    if text in names:
        return "x-name"
    if text.startswith("`"):
        return "x-code"
    if text.startswith(("{%", "{{")):
        return "x-liquid"
    if text.startswith("[^") or text.startswith("^["):
        return "x-footnote"
    if text.startswith("<"):
        return "x-html"
    if text.startswith("$"):
        return "x-math"
    if re.match(r"(?:https?|ftp)://|www\.", text):
        return "x-url"
    if text.startswith("!["):
        return "image"
    return "x-protected"


@dataclass(frozen=True)
class _Inline:
    """What rendering one segment's tokens as XLIFF inline elements needs to know."""

    source: Protected
    visible: dict[str, str]  # what a reader sees of each protected element
    names: frozenset[str]  # glossary names


def _xliff_empty(r: _Inline, t: Tok) -> str:
    element = r.source.elements[t.id]
    if element.kind == "break":
        return f'<x id="{t.id}" ctype="lb"/>'
    seen = r.visible.get(t.id, "")
    equiv = f" equiv-text={quoteattr(seen)}" if seen else ""
    return f'<ph id="{t.id}" ctype="{_ph_ctype(element, r.names)}"{equiv}>{escape(element.open)}</ph>'


# Each token kind as XLIFF 1.2 inline markup: <g> for the source's pairs, <ph>/<x> for its
# empty elements, <bpt>/<ept>/<ph> for markup only the English has.
_XLIFF_INLINE: dict[str, Callable[[_Inline, Tok], str]] = {
    "text": lambda r, t: escape(t.text),
    "open": lambda r, t: f'<g id="{t.id}" ctype="{_G_CTYPE.get(r.source.elements[t.id].tag, "x-markup")}">',
    "close": lambda r, t: "</g>",
    "empty": _xliff_empty,
    "xopen": lambda r, t: f'<bpt id="{t.id}">{escape(t.markup)}</bpt>',
    "xclose": lambda r, t: f'<ept id="{t.id}">{escape(t.markup)}</ept>',
    "xempty": lambda r, t: f'<ph id="{t.id}" ctype="x-markdown">{escape(t.markup)}</ph>',
}


def render_inline(toks: Sequence[Tok], source: Protected, visible: dict[str, str], names: frozenset[str] = frozenset()) -> str:
    r = _Inline(source, visible, names)
    return "".join(_XLIFF_INLINE[t.kind](r, t) for t in toks if t.kind in _XLIFF_INLINE)


# --- one post's segments ----------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One translatable text of a post, in the source or in the edition."""

    where: str  # "b3" for body segment 3, else the front matter field name
    label: str
    protected: Protected
    line: int
    segment: Segment | None = None  # body segments: their span in the body
    fm_field: frontmatter.Field | None = None
    parent: str = ""  # a title (`b3.t0`): the body segment whose markup holds it
    within: tuple[str, int, int] | None = None  # an English title: its element's markup, and its span in it


def _titles(src: Text, en: Text) -> list[tuple[Text, Text]]:
    """The texts inside a body segment's markup (link titles, inline alt and title values),
    paired with the English ones at the same place in the edition's matched element."""
    matched = _english_tokens(src.protected, en.protected)[1]
    pairs: list[tuple[Text, Text]] = []
    for k, attached in enumerate(src.protected.attached):
        element = src.protected.elements[attached.element]
        english = matched.get(attached.element)
        spans = markup_texts(element.open if attached.side == "open" else element.close)
        markup = "" if english is None else english.open if attached.side == "open" else english.close
        found = markup_texts(markup)
        index = next((i for i, span in enumerate(spans) if span[:2] == (attached.start, attached.end)), -1)
        if english is None or index < 0 or len(found) != len(spans):
            continue  # the translator rewrote the element: its title goes with the paragraph
        start, end, _ = found[index]
        where, label = f"{src.where}.t{k}", f"{src.label}, title {k + 1}"
        pairs.append(
            (
                Text(where, label, attached.protected, src.line, parent=src.where),
                Text(where, label, protect_plain(markup[start:end]), en.line, parent=en.where, within=(markup, start, end)),
            )
        )
    return pairs


def texts_of(post: Post, settings: Settings, glossary: Glossary) -> tuple[list[Text], dict[str, Text]]:
    keep = glossary.keep_pattern
    texts = read_texts(post, settings.dialect, settings.translate_keys, keep, settings.translate_attributes, settings.translate_comments)
    body = [Text(f"b{i}", _body_label(i, s.protected), s.protected, texts.line(s), segment=s) for i, s in enumerate(texts.body)]
    fields = {name: Text(name, name, protect_plain(f.value, keep), f.line, fm_field=f) for name, f in texts.fields.items()}
    return body, fields


def _body_label(index: int, protected: Protected) -> str:
    """`¶ 4`; a code comment says so, for the translator (one line, inside the comment)."""
    comment = protected.comment
    return f"¶ {index + 1}" if comment is None else f"¶ {index + 1}, a comment in {comment.lexer} code (one line)"


@dataclass
class _Loaded:
    """A post, its edition and its state, checked to line up with each other."""

    source: Path
    relative: Path
    edition_path: Path
    post: Post
    edition: Post
    record: PostState
    src_body: list[Text]
    src_fields: dict[str, Text]
    en_body: list[Text]
    en_fields: dict[str, Text]
    body_records: list[SegmentRecord]
    field_records: dict[str, SegmentRecord]
    titles: dict[str, list[tuple[Text, Text]]] = field(default_factory=dict)  # by body segment (`_titles`)

    def pairs(self) -> list[tuple[Text, Text, SegmentRecord]]:
        out: list[tuple[Text, Text, SegmentRecord]] = []
        for s, e, r in zip(self.src_body, self.en_body, self.body_records):
            out += [(s, e, r), *((st, et, r) for st, et in self.titles.get(s.where, []))]
        for name, source in self.src_fields.items():
            english, record = self.en_fields.get(name), self.field_records.get(name)
            if english is not None and record is not None:
                out.append((source, english, record))
        return out

    def fills(self, src: Text) -> list[str | None]:
        """The English of each attached text of the source text `src`, as the edition has it."""
        english = {s.where: e.protected.joined for s, e in self.titles.get(src.where, [])}
        return [english.get(f"{src.where}.t{k}") for k in range(len(src.protected.attached))]

    def find(self, where: str) -> tuple[Text, Text, SegmentRecord] | None:
        for s, e, r in self.pairs():
            if s.where == where:
                return s, e, r
        return None


def load(source: Path, settings: Settings, glossary: Glossary) -> _Loaded:
    """The post with its edition and state, or an InputError saying what to run first."""
    if not source.resolve().is_relative_to(settings.path(settings.source_dir).resolve()):
        raise InputError(f"not a post of {settings.source_dir}", path=source)
    relative = settings.relative(source)
    edition_path = settings.path(settings.output_dir) / relative
    post = read_post(source)
    if not edition_path.is_file():
        raise InputError("has no English edition yet; run `pipeline translate` first", path=source)
    record = load_state(state_path(settings, relative))
    if record is None or record.source_sha256 != post.source_hash:
        raise InputError("its edition is missing or out of date; run `pipeline translate` first", path=source)
    edition = read_post(edition_path)
    src_body, src_fields = texts_of(post, settings, glossary)
    en_body, en_fields = texts_of(edition, settings, glossary)
    body_records = [r for r in record.segments if r.f is None]
    if not len(src_body) == len(en_body) == len(body_records):
        raise InputError(
            f"the edition has {len(en_body)} segments where the source has {len(src_body)} (paragraphs split or merged "
            "by hand?); run `pipeline translate` and merge by hand first",
            path=edition_path,
        )
    field_records = {r.f: r for r in record.segments if r.f is not None}
    titles = {s.where: _titles(s, e) for s, e in zip(src_body, en_body) if s.protected.attached}
    return _Loaded(
        source, relative, edition_path, post, edition, record, src_body, src_fields, en_body, en_fields, body_records, field_records, titles
    )


def unit_id(src: Text, en: Text) -> str:
    return f"{src.where}.{short_hash(src.protected.xml)[:HASH]}.{short_hash(en.protected.joined)[:HASH]}"


def exported_state(record: SegmentRecord, flagged: bool) -> str:
    if flagged or record.review or record.o == "machine":
        return "needs-review-translation"
    return "final" if record.o == "approved" else "translated"


# --- export -----------------------------------------------------------------------------


@dataclass
class ExportResult:
    xml: str
    posts: int = 0
    units: int = 0
    skipped: list[str] = field(default_factory=list)  # posts left out, with why


def _warnings(run: dict[str, Any] | None, source: Path, settings: Settings) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for p in (run or {}).get("posts", []):
        path = Path(p["source"])
        candidates = [path, settings.path(path)]
        if any(c.exists() and c.resolve() == source.resolve() for c in candidates):
            for w in p.get("warnings", []):
                found.setdefault(int(w.get("line", 0)), []).append(w)
    return found


def needs_review(source: Path, settings: Settings, run: dict[str, Any] | None) -> bool:
    """A post with a segment flagged for review in its state, or flagged by the last run."""
    try:
        record = load_state(state_path(settings, settings.relative(source)))
    except PipelineError:
        return False
    if record is not None and any(r.review for r in record.segments):
        return True
    return any(w.get("code") in REVIEW_CODES for ws in _warnings(run, source, settings).values() for w in ws)


def export(sources: Sequence[Path], settings: Settings, glossary: Glossary, run: dict[str, Any] | None = None) -> ExportResult:
    """XLIFF 1.2 for the translatable texts of `sources` (posts with an up-to-date edition)."""
    target_lang = settings.target_lang.lower()
    files: list[str] = []
    result = ExportResult("")
    for source in sources:
        try:
            loaded = load(source, settings, glossary)
        except PipelineError as exc:
            result.skipped.append(str(exc))
            continue
        warnings = _warnings(run, source, settings)
        units = []
        for src, en, record in loaded.pairs():
            if record.o == "source" or not src.protected.has_prose:
                continue  # nothing to translate
            if src.fm_field is not None and src.fm_field.key in TAXONOMY_KEYS and src.fm_field.value in glossary.taxonomy:
                continue  # the glossary's taxonomy decides these
            fills = loaded.fills(src)
            units.append(_unit(src, en, record, warnings.get(src.line, []), frozenset(glossary.names), fills))
        if not units:
            continue
        result.posts += 1
        result.units += len(units)
        files.append(
            f'  <file original={quoteattr(loaded.relative.as_posix())} source-language="{settings.source_lang.lower()}" '
            f'target-language="{target_lang}" datatype="plaintext" tool-id="{TOOL_ID}">\n'
            f'    <header>\n      <tool tool-id="{TOOL_ID}" tool-name="pipeline"/>\n'
            f"      <note>Japanese source {escape(settings.source_dir.as_posix())}/{escape(loaded.relative.as_posix())}; "
            f"English edition {escape(settings.output_dir.as_posix())}/{escape(loaded.relative.as_posix())}</note>\n"
            "    </header>\n    <body>\n" + "".join(units) + "    </body>\n  </file>\n"
        )
    result.xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="{NS}">\n' + "".join(files) + "</xliff>\n"
    return result


def _unit(
    src: Text, en: Text, record: SegmentRecord, warnings: list[dict[str, Any]], names: frozenset[str], fills: Sequence[str | None] = ()
) -> str:
    visible = _visible(src.protected)
    source_xml = render_inline(source_stream(src.protected), src.protected, visible, names)
    flagged = any(w.get("code") in REVIEW_CODES for w in warnings)
    notes = [f"{w.get('code')}: {w.get('message')}" for w in warnings]
    notes += [f"previous English by a translator: {w['previous']}" for w in warnings if w.get("previous")]
    if record.review and not any(w.get("code") == "needs-review" for w in warnings):
        notes.append("needs-review: the source changed under a translator's English, which was re-translated")
    untranslated = en.protected.joined == src.protected.joined
    notes.append(
        f"{src.label}, line {src.line} of the Japanese source; English origin: {'none (Japanese kept)' if untranslated else record.o}"
    )
    attrs = f"id={quoteattr(unit_id(src, en))} resname={quoteattr(src.label)}"
    target = ""
    if not untranslated:
        state = exported_state(record, flagged)
        qualifier = ' state-qualifier="leveraged-mt"' if record.o == "machine" else ""
        if state in ("final", "translated"):  # a person's text: without it translate-toolkit reads it as fuzzy
            attrs += ' approved="yes"'
        # the source's markup with the edition's English titles (units of their own)
        target_xml = render_inline(english_stream(src.protected, en.protected), filled(src.protected, fills), visible, names)
        target = f'        <target state="{state}"{qualifier}>{target_xml}</target>\n'
    note_xml = "".join(f'        <note from="{TOOL_ID}">{escape(n)}</note>\n' for n in notes)
    return (
        f'      <trans-unit {attrs} xml:space="preserve">\n        <source>{source_xml}</source>\n{target}{note_xml}      </trans-unit>\n'
    )


# --- reading XLIFF with line numbers ------------------------------------------------------


class _LineTarget:
    """An ElementTree builder that notes the line of every element it starts."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.line: Callable[[], int] = lambda: 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = self.builder.start(tag, attrs)
        self.lines[element] = self.line()
        return element

    def end(self, tag: str) -> ET.Element:
        return self.builder.end(tag)

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> ET.Element:
        return self.builder.close()


def parse(data: bytes, path: Path) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The XML tree and the line of every element (for errors a translator can find).

    Through defusedxml, with DTDs forbidden: XLIFF needs no DOCTYPE, and a DOCTYPE or an
    entity declaration is where XML attacks (entity expansion, external files) hide; an
    entity used in a target would otherwise be dropped without a word."""
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    expat_parser = parser.parser  # the pure-Python parser defusedxml wraps exposes expat's position
    target.line = lambda: expat_parser.CurrentLineNumber
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise InputError(
            f"a DOCTYPE or entity declaration ({exc}): XLIFF needs none and it is refused; save the file without it",
            path=path,
            line=expat_parser.CurrentLineNumber,
        ) from exc
    except ET.ParseError as exc:
        raise InputError(f"not well-formed XML: {expat.errors.messages.get(exc.code, exc)}", path=path, line=exc.position[0]) from exc
    return root, target.lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def target_stream(target: ET.Element) -> list[Tok]:
    """A `<target>`'s content as tokens; StructureError on inline elements we never write."""
    out: list[Tok] = []

    def visit(node: ET.Element) -> None:
        if node.text:
            out.append(Tok("text", text=node.text))
        for child in node:
            tag, ident = _local(child.tag), child.get("id", "")
            if tag == "g":
                out.append(Tok("open", ident))
                visit(child)
                out.append(Tok("close", ident))
            elif tag == "mrk":  # segmentation or comment markers some tools add: keep their text
                visit(child)
            elif tag in ("x", "ph"):
                markup = "".join(child.itertext()) if tag == "ph" else ""
                out.append(Tok("xempty" if ident.startswith("e") else "empty", ident, markup=markup))
            elif tag in ("bpt", "ept"):
                out.append(Tok("xopen" if tag == "bpt" else "xclose", ident, markup="".join(child.itertext())))
            else:
                raise StructureError(f"unsupported inline element <{tag}> in the target")
            if child.tail:
                out.append(Tok("text", text=child.tail))

    visit(target)
    return _merge(out)


_PAIR_MARKUP = (
    ("![", "img"),
    ("[", "a"),
    ("**", "b"),
    ("__", "b"),
    ("~~", "s"),
    ("~", "s"),
    ("*", "i"),
    ("_", "i"),
    ("<strong>", "b"),
    ("<em>", "i"),
    ("<s>", "s"),
)


def to_markdown(toks: Sequence[Tok], source: Protected) -> str:
    """A target's Markdown: our engine XML rebuilt from the tokens, through `inline.restore`."""
    present = {t.id for t in toks if t.kind != "text"}
    lost = sorted(element.open for ident, element in source.elements.items() if ident not in present)
    if lost:  # said here, not by `restore`, which blames the engine
        raise StructureError(
            f"the target lost {len(lost)} tag(s): {', '.join(repr(x) for x in lost)} (dropped in the CAT tool); "
            "put them back around the words they belong to"
        )
    target = _TargetXml(source, {t.id: t.markup for t in toks if t.kind == "xclose"})
    for t in toks:
        if t.kind in ("xopen", "xclose") and source.elements.get(t.id, Element("keep", "", "")).kind == "pair":
            t = Tok("open" if t.kind == "xopen" else "close", t.id)  # a tool that writes <g> as <bpt>/<ept>
        _TARGET_TOKENS.get(t.kind, _TargetXml.element)(target, t)
    return restore("".join(target.xml), replace(source, elements=target.elements))


class _TargetXml:
    """Our engine XML for a target, built token by token, and the elements it uses."""

    def __init__(self, source: Protected, closes: dict[str, str]) -> None:
        self.elements = dict(source.elements)
        self.closes = closes  # English-only pairs: their closing markup by id
        self.used: set[str] = set()
        self.xml: list[str] = []

    def text(self, t: Tok) -> None:
        self.xml.append(escape(t.text))

    def extra_empty(self, t: Tok) -> None:
        self.elements[t.id] = Element("keep", "x", t.markup)
        self.xml.append(f'<x id="{escape(t.id)}"/>')

    def extra_open(self, t: Tok) -> None:
        tag = next((tag for prefix, tag in _PAIR_MARKUP if t.markup.startswith(prefix)), None)
        if tag is None or t.id not in self.closes:
            raise StructureError(f"cannot tell what markup <bpt id={t.id!r}> stands for")
        self.elements[t.id] = Element("pair", tag, t.markup, self.closes[t.id])
        self.xml.append(f'<{tag} id="{escape(t.id)}">')

    def element(self, t: Tok) -> None:
        """A token standing for one of the source's elements (or an English pair's end)."""
        element = self.elements.get(t.id)
        if element is None:
            raise StructureError(f"the target has a tag (id {t.id!r}) its source does not have")
        if t.kind in ("open", "empty") and t.id in self.used:
            raise StructureError(f"the target repeats the tag id {t.id!r}; each tag of the source goes in once")
        self.used.add(t.id)
        if t.kind in ("xclose", "close"):
            self.xml.append(f"</{element.tag}>")
        elif t.kind == "open":
            if element.kind != "pair":
                raise StructureError(f"tag id {t.id!r} encloses text in the target but not in the source")
            self.xml.append(f'<{element.tag} id="{escape(t.id)}">')
        else:
            if element.kind == "pair":
                raise StructureError(f"tag id {t.id!r} encloses text in the source but is empty in the target")
            self.xml.append(f'<{element.tag} id="{escape(t.id)}"/>')


_TARGET_TOKENS: dict[str, Callable[[_TargetXml, Tok], None]] = {
    "text": _TargetXml.text,
    "xempty": _TargetXml.extra_empty,
    "xopen": _TargetXml.extra_open,
}


# --- code a target may not bring ---------------------------------------------------------

_SCRIPT, _HANDLER, _JS_URL, _DATA_URL = "<script>", "an on…= attribute", "a javascript: URL", "a data: URL"
_STYLE, _LIQUID = "a style= attribute", "Liquid ({{ or {%)"
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
    found[_LIQUID] += len(liquid.mask(markdown).tags)
    return +found


def added_active_content(source: str, target: str) -> list[str]:
    """The kinds of code or markup the target has more of than its source (`<script>`,
    `<iframe>`, on…= attributes, javascript: URLs, Liquid...): a CAT tool's file must not
    bring what the author did not."""
    return sorted((active_content(target) - active_content(source)).keys())


# --- import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    post: Path  # the Japanese source
    where: str
    label: str
    line: int  # of the trans-unit in the XLIFF file
    text: str  # the English to write
    edited: bool  # False: same text, approved


@dataclass
class ImportResult:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    not_marked: int = 0  # units without a target, or not marked translated/final

    @property
    def edited(self) -> list[Change]:
        return [c for c in self.changes if c.edited]

    @property
    def approved(self) -> list[Change]:
        return [c for c in self.changes if not c.edited]


class ImportRefused(PipelineError):
    """Units that cannot be applied; nothing was written."""

    def __init__(self, path: Path, problems: list[PipelineError]) -> None:
        super().__init__(f"{len(problems)} unit(s) cannot be imported, so nothing was imported", path=path)
        self.problems = problems

    def __str__(self) -> str:
        return super().__str__() + "".join(f"\n  {p}" for p in self.problems)


def target_language(path: Path) -> str | None:
    """The target-language of the file's first <file> (`pipeline export` writes the
    edition's language code: `en-us`, `ko`), which says whose editions an import writes;
    None when the file says none or cannot be read (`import_file` then says why)."""
    try:
        root, _ = parse(path.read_bytes(), path)
    except (OSError, PipelineError):
        return None
    first = next((e for e in root if _local(e.tag) == "file"), None)
    return (first.get("target-language") or None) if first is not None else None


def import_file(path: Path, settings: Settings, glossary: Glossary, dry_run: bool = False) -> ImportResult:
    """Apply the translated and final units of an XLIFF file (see the module docstring)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    root, lines = parse(data, path)
    if _local(root.tag) != "xliff" or not root.get("version", "").startswith("1."):
        raise InputError(
            f"not an XLIFF 1.x file (root <{_local(root.tag)} version={root.get('version')!r}>)", path=path, line=lines.get(root)
        )
    reading = _Import(path, settings, glossary, lines)
    for file_el in (e for e in root if _local(e.tag) == "file"):
        reading.read_file(file_el)
    if reading.problems:
        raise ImportRefused(path, reading.problems)
    for loaded, changes in reading.posts.values():
        if changes:
            _verify_and_apply(loaded, changes, settings, glossary, path, dry_run)
            reading.result.changes += changes
    return reading.result


class _Import:
    """The units of one XLIFF file read against the posts: changes per post, counts, and
    every problem (all of them, so one import names every unit to fix)."""

    def __init__(self, path: Path, settings: Settings, glossary: Glossary, lines: dict[ET.Element, int]) -> None:
        self.path, self.settings, self.glossary, self.lines = path, settings, glossary, lines
        self.result = ImportResult()
        self.problems: list[PipelineError] = []
        self.posts: dict[Path, tuple[_Loaded, list[Change]]] = {}
        self.source_root = settings.path(settings.source_dir).resolve()

    def read_file(self, file_el: ET.Element) -> None:
        line = self.lines.get(file_el)
        original = file_el.get("original", "")
        language = file_el.get("target-language")
        if language is not None and language.lower() != self.settings.target_lang.lower():
            message = f"<file original={original!r}> is in {language!r}, not {self.settings.target_lang.lower()!r}: one language per file"
            self.problems.append(InputError(message, path=self.path, line=line))
            return
        source = self.settings.path(self.settings.source_dir) / original
        if not original or Path(original).is_absolute() or not source.resolve().is_relative_to(self.source_root):
            message = f"<file original={original!r}> is not a post of {self.settings.source_dir}"
            self.problems.append(InputError(message, path=self.path, line=line))
            return
        try:
            loaded = load(source, self.settings, self.glossary)
        except PipelineError as exc:
            self.problems.append(InputError(f"{original}: {exc.message}", path=self.path, line=line))
            return
        changes = self.posts.setdefault(source, (loaded, []))[1]
        seen: set[str] = set()
        for unit in (e for e in file_el.iter() if _local(e.tag) == "trans-unit"):
            try:
                change = _import_unit(unit, loaded, seen)
            except PipelineError as exc:
                where = f"{original}, unit {unit.get('id')!r}: {exc.message}"
                self.problems.append(InputError(where, path=self.path, line=self.lines.get(unit)))
                continue
            if change == "unchanged":
                self.result.unchanged += 1
            elif change is None:
                self.result.not_marked += 1
            else:
                changes.append(replace(change, line=self.lines.get(unit, 0)))


def _unit_found(unit: ET.Element, loaded: _Loaded, seen: set[str]) -> tuple[str, str, tuple[Text, Text, SegmentRecord]]:
    """The segment a unit stands for (its `where`, the English hash at export, the pair),
    refusing a unit twice in the file, one we did not write, or one whose source changed."""
    ident = unit.get("id", "")
    if ident in seen:
        raise InputError("appears twice in the file")
    seen.add(ident)
    try:
        where, src_hash, en_hash = ident.rsplit(".", 2)
    except ValueError:
        raise InputError("is not a unit `pipeline export` wrote (unexpected id)") from None
    found = loaded.find(where)
    if found is None:
        raise InputError(f"the post has no segment {where!r} any more; export again")
    src = found[0]
    if short_hash(src.protected.xml)[:HASH] != src_hash:
        raise InputError(f"the Japanese source of {src.label} (line {src.line}) changed since export; export again and redo this unit")
    return where, en_hash, found


def _applied_state(unit: ET.Element) -> tuple[ET.Element, str] | None:
    """The unit's target and its state, when the state says to apply it."""
    target = next((e for e in unit if _local(e.tag) == "target"), None)
    state = target.get("state", "") if target is not None else ""
    if not state and unit.get("approved") == "yes":  # approved, with no state to say more
        state = "final"
    return (target, state) if target is not None and state in APPLIED_STATES else None


def _target_markdown(toks: list[Tok], src: Text, en: Text, en_hash: str, fills: Sequence[str | None] = ()) -> str:
    """The Markdown a target brings, refused when the English changed since export, the
    target is empty, or it adds code. `fills`: the English titles in the segment's markup
    (units of their own), kept as the edition has them."""
    if short_hash(en.protected.joined)[:HASH] != en_hash:
        raise InputError(f"the English of {src.label} changed since export (edited meanwhile?); export again and redo this unit")
    words = "".join(t.text for t in toks if t.kind == "text")
    if not words.strip():
        raise InputError("the target is empty")
    if "{{" in words or "{%" in words:  # restore would write it as text; said here, as the translator's
        raise InputError(f"the target adds {_LIQUID} that the source does not have; code is never imported")
    text = to_markdown(toks, filled(src.protected, fills))
    if src.segment is not None:
        text = src.segment.source if text == src.protected.joined else text.strip()
    added = added_active_content(src.segment.source if src.segment is not None else src.protected.joined, text)
    if added:
        raise InputError(f"the target adds {', '.join(added)} that the source does not have; code is never imported")
    return text


def _import_unit(unit: ET.Element, loaded: _Loaded, seen: set[str]) -> Change | Literal["unchanged"] | None:
    where, en_hash, (src, en, record) = _unit_found(unit, loaded, seen)
    applied = _applied_state(unit)
    if applied is None:
        return None
    target, state = applied
    toks = target_stream(target)
    current_text = en.segment.source if en.segment is not None else en.protected.joined
    untranslated = en.protected.joined == src.protected.joined
    text = None
    if comparable(toks) != comparable(english_stream(src.protected, en.protected)) or untranslated:
        text = _target_markdown(toks, src, en, en_hash, loaded.fills(src))
    if untranslated and text == current_text:
        raise InputError("the target repeats the Japanese source; translate it or leave it untranslated")
    if text is None or text == current_text:  # the same English (perhaps with its tags written differently)
        if _STATE_RANK[state] <= _STATE_RANK[exported_state(record, False)] or record.o == "approved":
            return "unchanged"
        return Change(loaded.source, where, src.label, 0, current_text, edited=False)
    return Change(loaded.source, where, src.label, 0, text, edited=True)


_TITLE_UNIT = re.compile(r"b\d+\.t\d+")  # `where` of a title: body segment 3's second is `b3.t1`


def _fold_titles(loaded: _Loaded, changes: list[Change], xlf: Path) -> list[Change]:
    """Each imported title written into its element's markup in its segment's English (the
    imported one, or the edition's): one change per segment, as the edition records them.
    Titles of one element (an `<img>`'s alt and title) are written together."""
    out = {c.where: c for c in changes if not _TITLE_UNIT.fullmatch(c.where)}
    by_element: dict[tuple[str, str], list[tuple[Change, int, int]]] = {}
    for change in (c for c in changes if _TITLE_UNIT.fullmatch(c.where)):
        found = loaded.find(change.where)
        assert found is not None and found[1].within is not None  # import found the unit
        markup, start, end = found[1].within
        by_element.setdefault((found[1].parent, markup), []).append((change, start, end))
    for (parent_where, markup), titles in by_element.items():
        parent = loaded.find(parent_where)
        assert parent is not None and parent[1].segment is not None
        base = out.get(parent_where)
        text = base.text if base is not None and base.edited else parent[1].segment.source
        if text.count(markup) != 1:
            line = titles[0][0].line
            raise InputError(
                f"{titles[0][0].label}: its element stands {text.count(markup)} times in the English; edit it in the edition",
                path=xlf,
                line=line,
            )
        new = markup
        for change, start, end in sorted(titles, key=lambda title: title[1], reverse=True):
            new = new[:start] + change.text + new[end:]
        out[parent_where] = Change(
            titles[0][0].post, parent_where, parent[0].label, titles[0][0].line, text.replace(markup, new), edited=True
        )
    return list(out.values())


def _verify_and_apply(loaded: _Loaded, changes: list[Change], settings: Settings, glossary: Glossary, xlf: Path, dry_run: bool) -> None:
    """Splice the changes into the edition, check that it reads back as intended, then
    write memory, state and edition through `edition.commit`, in a run's crash-safe order."""
    edition, changes = loaded.edition, _fold_titles(loaded, changes, xlf)
    by_where = {c.where: c for c in changes}
    body_edits = []
    field_edits = []
    for src, en, _ in loaded.pairs():
        change = by_where.get(src.where)
        if change is None or not change.edited:
            continue
        if en.segment is not None:
            body_edits.append((en.segment.start, en.segment.end, change.text))
        elif en.fm_field is not None:
            field_edits.append((en.fm_field, change.text))
    data = render(edition, body_edits, field_edits, {})
    check = parse_post(loaded.edition_path, data)
    body, fields = texts_of(check, settings, glossary)
    written = {t.where: (t.segment.source if t.segment is not None else t.protected.joined) for t in body + list(fields.values())}
    if len(body) != len(loaded.en_body) or any(written.get(c.where) != c.text for c in changes if c.edited):
        bad = next((c for c in changes if written.get(c.where) != c.text), changes[0])
        raise InputError(
            f"{bad.label}: the imported English would change the edition's structure (it starts a list, heading or "
            "code block?); fix it in the CAT tool and import again",
            path=xlf,
            line=bad.line,
        )
    record = loaded.record
    memory = Target.of(settings).load_memory()
    new_records = []
    body_i = 0
    for rec in record.segments:
        where = rec.f if rec.f is not None else f"b{body_i}"
        if rec.f is None:
            body_i += 1
        change = by_where.get(where)
        if change is None:
            new_records.append(rec)
            continue
        found = loaded.find(where)
        assert found is not None
        memory.approve(found[0].protected.joined, change.text, loaded.relative.as_posix(), origin="approved")
        new_records.append(replace(rec, e=short_hash(change.text) if change.edited else rec.e, o="approved", review=False))
    old_sha = loaded.edition.source_hash  # the edition the changes were read against: an edit since is not replaced
    new_sha = source_hash(data)
    clean = old_sha == record.edition_sha256
    # An edition with other edits not yet recorded keeps its recorded hash, so the next run
    # still sees those edits as a translator's (their segment hashes differ from the record).
    state = replace(record, segments=tuple(new_records), edition_sha256=new_sha if clean else record.edition_sha256)
    if dry_run:
        return
    state_file, built_from = state_path(settings, loaded.relative), on_disk_record(record, old_sha)
    commit(loaded.edition_path, data, state_file, state, old_sha, built_from, memory if memory.changed else None)
