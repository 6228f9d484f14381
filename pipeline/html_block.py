"""The text of an HTML block as segments over exact spans, read by the standard library's
HTML tokenizer (`html.parser.HTMLParser`, positions from `getpos()`).

An HTML block's bytes are copied as they are, except its reader-visible text: each run of
text between block-level elements is one segment (its inline elements, `<a>`, `<strong>`,
`<br>`…, become tags the engine moves with the words), and the value of each translated
attribute (`alt`, `title`, `aria-label`: configurable) is one more. `<script>`, `<style>`,
`<pre>`, `<code>`, comments and every other attribute are never sent. A custom element of
MDX-style docs (`<TeamMember name=…>`) is a block boundary: its text children are
translated as HTML text, which kramdown shows as written (`_markdown_children`), its
attributes are not translated (the leftover count says so).

Where a run cannot be mapped back safely (an inline element closed that was never opened,
or left open at the run's end) its bytes stay as they are and the run is reported, never
guessed at. We never write an HTML parser: we only read the tokenizer's events in order,
and every event's span runs from its own position to the next one's.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

from pipeline.attributes import TRANSLATED, is_component, translated_values
from pipeline.engine_text import Protected, _as_html, _Builder, _text, attribute_text
from pipeline.japanese import JAPANESE
from pipeline.kramdown.syntax import MARKDOWN_CONTENT_MODEL, SPAN_ELEMENTS, VOID_ELEMENTS

_OPTIONAL_END = frozenset("p li dt dd td th tr thead tbody tfoot colgroup caption option optgroup rt rp html head body".split())
# inline elements: the engine moves them with the words (kramdown's span elements and a few
# more); form controls stay block boundaries, since their text is not running prose
INLINE = (SPAN_ELEMENTS | {"s", "strike", "time", "data", "font", "bdi", "wbr", "small"}) - {"button", "select", "option", "input"}
NEVER_SENT = frozenset({"script", "style", "pre", "code", "textarea", "template", "math", "svg"})


@dataclass(frozen=True)
class HtmlSegment:
    """One translatable piece of an HTML block: a run of text, or an attribute value."""

    kind: str  # html | html_attribute
    start: int  # offsets in the text the block was read from
    end: int
    line: int  # 1-based, in that text
    protected: Protected


@dataclass(frozen=True)
class Problem:
    """Part of a block kept as written because it could not be segmented safely."""

    line: int
    reason: str
    code: str = "skipped"  # or "malformed-html": the text was translated, the markup is suspect


@dataclass
class BlockSplit:
    segments: list[HtmlSegment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # runs of text the renderer reads as Markdown (`_markdown_children`): [start, end) offsets
    # for the caller to split as Markdown (their lists, headings and links with them)
    markdown: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Event:
    kind: str  # start | end | startend | data | entity | other
    start: int
    tag: str = ""
    raw_tag: str = ""  # the start tag's exact text
    attrs: tuple[tuple[str, str | None], ...] = ()
    end: int = -1


class _Events(HTMLParser):
    """Collects the tokenizer's events with their offsets in the block."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.events: list[_Event] = []

    def _at(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(_Event("start", self._at(), tag, self.get_starttag_text() or "", tuple(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(_Event("startend", self._at(), tag, self.get_starttag_text() or "", tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(_Event("end", self._at(), tag))

    def handle_data(self, data: str) -> None:
        self.events.append(_Event("data", self._at()))

    def _entity(self, name: str) -> None:
        self.events.append(_Event("entity", self._at()))

    def _other(self, data: str) -> None:
        """A comment, declaration or processing instruction: never text, never sent."""
        self.events.append(_Event("other", self._at()))

    def handle_decl(self, decl: str) -> None:
        self._other(decl)

    handle_entityref = handle_charref = _entity
    handle_comment = handle_pi = unknown_decl = _other


@lru_cache(maxsize=1024)
def events(text: str, kramdown: bool = True) -> tuple[_Event, ...]:
    """The tokenizer's events over `text`, each with its exact [start, end) span; together
    they cover every byte of `text` once, in order. `kramdown`: markup kramdown's raw HTML
    parser reads as text is text (`_tokenized`)."""
    found = _tokenized(text, _masked(text), kramdown)
    spans: list[_Event] = []
    for i, event in enumerate(found):
        end = found[i + 1].start if i + 1 < len(found) else len(text)
        if end > event.start:
            raw = event.raw_tag or (text[event.start : end] if event.kind == "end" else "")
            tag_end = event.start + len(raw) if event.raw_tag and text.startswith(raw, event.start) else end
            spans.append(_Event(event.kind, event.start, event.tag, raw, event.attrs, min(tag_end, end)))
            if tag_end < end:  # what the tokenizer held back (an unclosed <script>'s text): data
                spans.append(_Event("data", tag_end, end=end))
    if spans and spans[0].start > 0:
        spans.insert(0, _Event("other", 0, end=spans[0].start))
    elif not spans and text:
        spans.append(_Event("other", 0, end=len(text)))
    return tuple(spans)


# Where a `<` starts a comment, tag, declaration or processing instruction for the tokenizer
_MARKUP_START = re.compile(r"<[A-Za-z/!?]")
# What kramdown's raw HTML parser reads as a comment or an instruction at a `<` (kramdown 2.4,
# parser/html.rb l. 29-31, 139-178); any other `<!` or `<?` (`<!DOCTYPE`, `<?` with no `?>`)
# it shows as text
_KRAMDOWN_COMMENT = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_MAX_READINGS = 16  # readings of one HTML block before the tokenizer's stands (`_tokenized`)


def _tokenized(text: str, masked: str, kramdown: bool) -> list[_Event]:
    """The tokenizer's events over `masked`, in order, where every `<` it gave up on is text.

    A `<!--` with no `-->`, a `<div` with no `>`: at the end of its input the tokenizer reports
    such a `<` as text to the next `>`, and takes a real end tag with it (`<!-- メモ\n</div>`).
    kramdown's raw HTML parser shows that `<` as text (`&lt;`) and reads on right after it;
    so do we: the `<` is masked and the text read again, its span still the author's bytes.
    For kramdown, so is every `<` that starts markup to the tokenizer but not to kramdown.

    Each reading is of the whole block, and a `<` given up on can hide the next one (`<a 日本
    <a 日本 … >`: one tag to the tokenizer, then the next, …): after `_MAX_READINGS` readings the
    last one stands as the tokenizer gave it, so a hostile block costs linear time, as every
    reading of a post must (issue 25); no real block needs more than a few."""
    for _ in range(_MAX_READINGS):
        parser = _Events(text)
        parser.feed(masked)
        parser.close()
        given_up = [e.start for e in parser.events if _is_text_to_the_reader(e, masked, kramdown)]
        if not given_up:
            break
        masked = _masked_at(masked, sorted(set(given_up)))
    return sorted(parser.events, key=lambda e: e.start)


def _masked_at(text: str, positions: Sequence[int]) -> str:
    """`text` with the character at each of `positions` (in order) made an `x`, in one pass."""
    pieces, pos = [], 0
    for at in positions:
        pieces += [text[pos:at], "x"]
        pos = at + 1
    return "".join([*pieces, text[pos:]])


def _is_text_to_the_reader(event: _Event, masked: str, kramdown: bool) -> bool:
    """Whether the `<` that starts `event` is text on the page: given up on by the tokenizer
    (reported as text); for kramdown, a comment or instruction its grammar does not read, or
    a tag whose text runs over the next one's `<` (`<span 日本語</div>`: no tag to kramdown's
    HTML_TAG_RE, and the `</div>` is the element's end). An MDX component's tag
    (`<Diagram height={160}>`) stays a tag: pipeline.attributes reads those as such."""
    if event.kind == "data":
        return _MARKUP_START.match(masked, event.start) is not None
    if not kramdown or event.kind == "entity":
        return False
    if event.kind == "other":
        return _KRAMDOWN_COMMENT.match(masked, event.start) is None
    tag = event.raw_tag or masked[event.start : masked.find(">", event.start) + 1]
    return "<" in tag[1:] and not _is_custom(event)


def _is_custom(event: _Event) -> bool:
    """An MDX-style component (`<TeamMember>`), by the name its tag was written with (an end
    tag's event has only the lower-cased name)."""
    return is_component(event.raw_tag or event.tag)


def _markdown_children(event: _Event, kramdown: bool) -> bool:
    """Whether the renderer reads the text directly inside this element of an HTML block as
    Markdown: only where a `markdown` attribute asks kramdown to; never for an MDX component
    as such (`<Challenges>`, `<TeamMember name=…>`), whose text the page shows as written.

    kramdown 2.4, lib/kramdown/parser/kramdown/html.rb, `handle_kramdown_html_tag` (l. 31-38):
    the content model of a block HTML element is `:raw` unless `parse_block_html` is set
    (Jekyll's default leaves it off), and so is everything parsed inside a raw element
    (`parse_raw_html`, parser/html.rb l. 150); only the element's own `markdown` attribute
    changes it (`HTML_MARKDOWN_ATTR_MAP`): "block" and "span" parse it, "1" gives the
    element's `HTML_CONTENT_MODEL`, which is `:raw` for any name kramdown does not know
    (parser/html.rb l. 37-51), "0" keeps it raw. An HTML block in CommonMark is raw up to
    its blank line, and the attribute means nothing there."""
    if not kramdown or event.kind != "start":
        return False
    values = [value for name, value in event.attrs if name == "markdown"]
    value = values[-1] if values else None  # a repeated attribute: kramdown keeps the last
    return value in ("block", "span") or (value == "1" and event.tag in MARKDOWN_CONTENT_MODEL)


QUOTED = "text in an element marked with its language (`lang`: an embedded tweet, a quotation) kept as written; counted as Japanese left"


def _declares_language(event: _Event) -> bool:
    """An element the author marked with its language (`<p lang="ja">` of an embedded tweet, a
    quotation): its text is what someone wrote in that language, and the markup says so; it
    is kept as written (translated, it would be English marked as Japanese), counted as left
    (`japanese_in`) and warned about, so the page stays truthful and nothing is hidden."""
    return any(name == "lang" and value for name, value in event.attrs)


def _kept_whole(event: _Event) -> bool:
    """An inline element kept as one piece of its run: code, or a quotation in its own language."""
    return event.tag == "code" or _declares_language(event)


@dataclass
class _Run:
    """Consecutive text and inline elements: one segment."""

    items: list[_Event] = field(default_factory=list)

    def has_text(self, text: str) -> bool:
        return any(e.kind in ("data", "entity") and text[e.start : e.end].strip() for e in self.items)


class _Splitter:
    def __init__(
        self,
        text: str,
        offset: int,
        line_of: Callable[[int], int],
        keep: re.Pattern[str] | None,
        attributes: Sequence[str],
        whole: bool = True,
        kramdown: bool = True,
    ) -> None:
        self.text = text
        self.kramdown = kramdown
        self.whole = whole  # a whole element, not the tag lines around `markdown="1"` content
        self.offset = offset
        self.line_of = line_of
        self.keep = keep
        self.attributes = tuple(a.lower() for a in attributes)
        self.out = BlockSplit()
        self.run = _Run()
        self.raw_stack: list[str] = []  # inside <pre>, <script>…: nothing is sent
        self.quoted_at: int | None = None  # start of an element marked `lang` not yet warned about
        self.blocks: list[tuple[str, bool, int]] = []  # open block-level elements: (name, text read as Markdown?, offset)

    def split(self) -> BlockSplit:
        fences = _fences(self.text)
        for event in refined(self.text, self.kramdown):
            if fences and _inside(fences, event.start):  # code in a component: never sent
                self._end_run()
                continue
            self._event(event)
        self._end_run()
        for tag, _, at in self.blocks:
            self._malformed(tag, at)
        return self.out

    def _event(self, event: _Event) -> None:
        if self.raw_stack:
            self._raw_event(event)
            return
        inline = event.tag in INLINE and not _is_custom(event) if event.kind in ("start", "startend", "end") else False
        if event.kind in ("start", "startend") and event.tag == "img" and self._translated_attrs(event):
            self._end_run()  # an image whose alt is translated stands on its own
            self._attributes(event)
            return
        if event.kind in ("data", "entity", "keep") or inline:
            # an inline element's own attributes lie inside its run's span: kept, and counted
            self.run.items.append(event)
            if event.kind == "start" and _kept_whole(event):
                self.raw_stack.append(event.tag)
                self.quoted_at = event.start if _declares_language(event) else None
            return
        self._end_run()
        if event.kind in ("start", "startend"):
            self._attributes(event)
        self._block_event(event)

    def _raw_event(self, event: _Event) -> None:
        """Inside <pre>, <script>, inline <code>…: only the nesting of the same element counts."""
        if self.raw_stack[0] in INLINE:  # inline code (or a quotation): part of its run, never sent
            self.run.items.append(event)
        if self.quoted_at is not None and event.kind == "data" and JAPANESE.search(self.text[event.start : event.end]):
            self.out.problems.append(Problem(self.line_of(self.offset + self.quoted_at), QUOTED, "kept-lang"))
            self.quoted_at = None
        if event.kind == "end" and event.tag == self.raw_stack[-1]:
            self.raw_stack.pop()
        elif event.kind == "start" and event.tag == self.raw_stack[-1]:
            self.raw_stack.append(event.tag)

    def _block_event(self, event: _Event) -> None:
        """A block-level tag: the open elements, and a warning for one never closed or never opened."""
        raw = event.tag in NEVER_SENT or _declares_language(event)
        if event.kind == "start" and event.tag not in VOID_ELEMENTS and not raw:
            self.blocks.append((event.tag, _markdown_children(event, self.kramdown), event.start))
        elif event.kind == "end" and any(tag == event.tag for tag, _, _ in self.blocks):
            while (closed := self.blocks.pop())[0] != event.tag:
                self._malformed(closed[0], closed[2])
        elif event.kind == "end" and event.tag not in VOID_ELEMENTS:
            self._malformed(event.tag, event.start, stray=True)
        if event.kind == "start" and raw and event.tag not in VOID_ELEMENTS:
            self.raw_stack.append(event.tag)
            self.quoted_at = event.start if _declares_language(event) else None

    def _malformed(self, tag: str, at: int, stray: bool = False, inline: bool = False) -> None:
        """A warning for markup a browser would have to guess at; elements whose end tag HTML
        lets the author leave out (`<p>`, `<li>`, `<td>`…) are fine."""
        if (not stray and tag in _OPTIONAL_END) or (not self.whole and not inline):
            return
        what = f"a stray </{tag}>" if stray else f"<{tag}> is never closed"
        self.out.problems.append(
            Problem(
                self.line_of(self.offset + at),
                f"malformed HTML ({what}); its text translated, the markup kept as written",
                "malformed-html",
            )
        )

    def _translated_attrs(self, event: _Event) -> list[tuple[int, int, str]]:
        """(value start, value end, quote) of each translated attribute with a value."""
        return [(event.start + a, event.start + b, quote) for a, b, quote in translated_values(event.raw_tag, self.attributes)]

    def _attributes(self, event: _Event) -> None:
        for start, end, quote in self._translated_attrs(event):
            protected = attribute_text(self.text[start:end], quote, self.keep)
            self.out.segments.append(
                HtmlSegment("html_attribute", self.offset + start, self.offset + end, self.line_of(self.offset + start), protected)
            )

    def _end_run(self) -> None:
        if not self.run.items:  # most events end a run that holds nothing
            return
        run, self.run = self.run, _Run()
        items = self._trimmed(run.items)
        if not items or not _Run(items).has_text(self.text):
            for event in items:  # no text to carry them (an `<a title=…>` around blocks): values of their own
                if event.kind in ("start", "startend"):
                    self._attributes(event)
            return
        start, end = items[0].start, items[-1].end
        # leading and trailing whitespace of the outer text is not part of the segment
        first = self.text[start:end]
        start += len(first) - len(first.lstrip())
        end -= len(first) - len(first.rstrip())
        self._unbalanced(items)
        if self.blocks and self.blocks[-1][1]:  # text the renderer reads as Markdown
            self.out.markdown.append((self.offset + start, self.offset + end))
            return
        protected = self._protect(items, start, end)
        if protected is None and JAPANESE.search(self.text[start:end]):
            self.out.problems.append(
                Problem(self.line_of(self.offset + start), "HTML inline elements not balanced in this text; kept as written")
            )
        if protected is None:
            return
        self.out.segments.append(HtmlSegment("html", self.offset + start, self.offset + end, self.line_of(self.offset + start), protected))

    def _trimmed(self, items: list[_Event]) -> list[_Event]:
        """A run starts and ends at text or an element, never at the whitespace around it."""
        while items and items[0].kind == "data" and not self.text[items[0].start : items[0].end].strip():
            items = items[1:]
        while items and items[-1].kind == "data" and not self.text[items[-1].start : items[-1].end].strip():
            items = items[:-1]
        return items

    def _unbalanced(self, items: list[_Event]) -> None:
        """A warning for each inline element of the run closed, never opened (or left open)."""
        paired = _pairs(items)
        closers = set(paired.values())
        for i, e in enumerate(items):
            if e.kind in ("start", "end") and e.tag not in VOID_ELEMENTS and e.tag not in _OPTIONAL_END:
                if i not in paired and i not in closers:
                    self._malformed(e.tag, e.start, stray=e.kind == "end", inline=True)

    def _protect(self, items: list[_Event], start: int, end: int) -> Protected | None:
        builder = _Builder(self.keep)
        paired = _pairs(items)
        open_ids: dict[int, str] = {}  # index of the start event → element id
        i = 0
        while i < len(items):
            e = items[i]
            piece = self.text[max(e.start, start) : min(e.end, end)]
            if e.kind == "data":
                _text(builder, piece)
            elif e.kind == "entity":
                builder.protect(piece, visible=_entity_visible(piece))
            elif e.kind == "keep":
                builder.protect(piece, visible=piece)
            elif e.kind == "start" and _kept_whole(e) and i in paired:
                j = paired[i]  # the whole code element (or quotation), as written
                builder.protect(self.text[e.start : min(items[j].end, end)], visible=self.text[e.end : items[j].start])
                i = j
            elif e.kind == "start" and i in paired:
                open_ids[paired[i]] = builder.open(_xml_tag(e.tag), piece)
                self._attach(builder, e, piece)
            elif e.kind == "end" and i in open_ids:
                builder.close(open_ids.pop(i), piece)
            elif e.tag == "br":
                builder.line_break(piece)
            else:  # a void element, or one never closed (or closed, never opened) in this text
                builder.protect(piece)
                self._attach(builder, e, piece)
            i += 1
        return _as_html(builder.build(), "")

    def _attach(self, builder: _Builder, event: _Event, piece: str) -> None:
        """The translated attributes of an inline element in running text: each its own text,
        written back into the tag (`inline.Attached`)."""
        if event.kind not in ("start", "startend") or piece != event.raw_tag:
            return
        for a, b, quote in translated_values(piece, self.attributes):
            if JAPANESE.search(piece[a:b]):
                builder.attach_text(builder.last_id(), "open", (a, b), attribute_text(piece[a:b], quote, self.keep))


def _pairs(items: Sequence[_Event]) -> dict[int, int]:
    """Start event index → its end event index, for the inline elements closed in `items`."""
    paired: dict[int, int] = {}
    stack: list[int] = []
    for i, e in enumerate(items):
        if e.kind == "start" and e.tag not in VOID_ELEMENTS:
            stack.append(i)
        elif e.kind == "end":
            for depth in range(len(stack) - 1, -1, -1):
                if items[stack[depth]].tag == e.tag:
                    paired[stack[depth]] = i
                    del stack[depth:]  # elements left open inside it stay kept atoms
                    break
    return paired


_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
# `(?=`)` first: the same matches, but the engine skips to the next backtick instead of trying
# the look-behind at every offset of a block
_CODE_SPAN = re.compile(r"(?=`)(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)", re.DOTALL)


@lru_cache(maxsize=1024)
def _code(text: str) -> tuple[tuple[int, int], ...]:
    """Fenced code blocks and backtick code spans in a block's text (Markdown-minded authors
    put them in components): [start, end) spans, in order. Cached: the tokenizer, the
    refinement and the leftover count all ask, of the same block."""
    fences = _fences(text)
    spans = list(fences)
    for m in _CODE_SPAN.finditer(text):
        if not (fences and any(a < m.end() and m.start() < b for a, b in fences)):
            spans.append((m.start(), m.end()))
    return tuple(sorted(spans))


def _masked(text: str) -> str:
    """`text` with its code filled with letters (line breaks kept, so positions hold): the
    tokenizer never takes the `<script setup>` of a code span for a script element."""
    pieces, pos = [], 0
    for a, b in _code(text):
        code = text[a:b]
        pieces += [text[pos:a], "x" * (b - a) if "\n" not in code else "\n".join("x" * len(line) for line in code.split("\n"))]
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces)


@lru_cache(maxsize=1024)
def refined(text: str, kramdown: bool = True) -> tuple[_Event, ...]:
    """The tokenizer's events with what Markdown-minded authors put in components' text:
    a blank line ends a run (a paragraph), and a backtick code span is one kept piece.
    Cached: the split and the leftover count read the same blocks."""
    blanks = [(m.start(), m.end()) for m in _BLANK_LINE.finditer(text)]
    blank_texts = {a: text[a:b] for a, b in blanks}
    fences = _fences(text)
    spans = [span for span in _code(text) if span not in fences]
    cuts = sorted({c for pair in (*blanks, *spans, *fences) for c in pair})  # a fence is never part of a run
    pieces: list[_Event] = []
    for e in events(text, kramdown):
        if e.kind != "data":
            pieces.append(e)
            continue
        inner = cuts[bisect.bisect_right(cuts, e.start) : bisect.bisect_left(cuts, e.end)]
        if not inner:  # nothing cuts it: the event itself (a data event holds no more than these fields)
            pieces.append(e)
            continue
        bounds = [e.start, *inner, e.end]
        pieces += [_Event("data", a, end=b) for a, b in zip(bounds, bounds[1:])]
    if not spans and not blanks:  # no code span or blank line to mark (many blocks)
        return tuple(pieces)
    out: list[_Event] = []
    for e in pieces:
        k = bisect.bisect_right(spans, (e.start, len(text) + 1)) - 1
        span = spans[k] if k >= 0 and spans[k][0] <= e.start < spans[k][1] else None
        if span is not None:
            if not (out and out[-1].kind == "keep" and out[-1].start == span[0]):
                out.append(_Event("keep", span[0], end=span[1]))
            continue
        if e.kind == "data" and blank_texts.get(e.start) == text[e.start : e.end]:
            out.append(_Event("other", e.start, end=e.end))  # a blank line: the run ends
            continue
        out.append(e)
    return tuple(out)


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})", re.MULTILINE)


@lru_cache(maxsize=1024)
def _fences(text: str) -> tuple[tuple[int, int], ...]:
    """Fenced code blocks inside a block (MDX components hold them): [start, end) spans."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _FENCE.search(text, pos)) is not None:
        close = re.compile(rf"^[ \t]*{re.escape(m.group(1)[0])}{{{len(m.group(1))},}}[ \t]*$", re.MULTILINE).search(text, m.end())
        end = close.end() if close else len(text)
        spans.append((m.start(), end))
        pos = end
    return tuple(spans)


def _inside(spans: Sequence[tuple[int, int]], pos: int) -> bool:
    """Whether `pos` lies in one of `spans` (sorted, not overlapping): a fence, say."""
    k = bisect.bisect_right(spans, pos, key=lambda span: span[0]) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _xml_tag(tag: str) -> str:
    """The engine sees a plain tag name (DeepL's XML handling); `a`, `b`, `i` keep theirs."""
    return tag if re.fullmatch(r"[a-z][a-z0-9]*", tag) else "g"


def _entity_visible(entity: str) -> str:
    import html

    return html.unescape(entity)


def split_block(
    text: str,
    offset: int,
    line_of: Callable[[int], int],
    keep: re.Pattern[str] | None = None,
    attributes: Sequence[str] = TRANSLATED,
    whole: bool = True,
    kramdown: bool = True,
) -> BlockSplit:
    """The segments of the HTML block `text`, which starts at `offset` of the document whose
    lines `line_of` knows; `kramdown`: the site renders kramdown, whose `markdown` attribute
    counts (`_markdown_children`)."""
    try:
        return _Splitter(text, offset, line_of, keep, attributes, whole, kramdown).split()
    except (AssertionError, ValueError, IndexError) as exc:  # the tokenizer gave up: keep the block
        return BlockSplit(problems=[Problem(line_of(offset), f"HTML block could not be read ({exc}); kept as written")])


@dataclass
class Visible:
    """Japanese characters of an HTML block by where they stand."""

    text: int = 0  # element text a reader sees
    attributes: int = 0  # attribute values of HTML elements
    components: int = 0  # attribute values (props) of custom MDX-style elements


def japanese_in(text: str, pattern: re.Pattern[str]) -> Visible:
    """Japanese characters (`pattern`) in an HTML block, outside comments, `<script>`,
    `<style>`, `<pre>` and `<code>`."""
    found = Visible()
    if not pattern.search(text):  # most English blocks: no need to tokenize
        return found
    raw: list[str] = []
    fences = _fences(text)
    for event in refined(text, True):  # the arguments as the split passes them: its cached reading
        if fences and _inside(fences, event.start):
            continue
        if raw:
            if event.kind == "end" and event.tag == raw[-1]:
                raw.pop()
            continue
        if event.kind in ("start", "startend"):
            n = sum(len(pattern.findall(v)) for _, v in event.attrs if v)
            if _is_custom(event):
                found.components += n
            else:
                found.attributes += n
            if event.kind == "start" and event.tag in NEVER_SENT and event.tag not in VOID_ELEMENTS:
                raw.append(event.tag)
        elif event.kind == "data":
            found.text += len(pattern.findall(text[event.start : event.end]))
    return found
