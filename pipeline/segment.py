"""Split a Markdown body into translatable segments over exact spans, and splice back.

A segment is the inline text of one block (paragraph, heading, table cell), so the engine
sees whole paragraphs. Its span is located in the original text from markdown-it's line
map, so every byte outside the spans (markers, indentation, code, HTML, blank lines, line
endings) is copied, never re-rendered. A block whose text we cannot locate exactly is
left untouched and reported, rather than risk corrupting the post.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from pipeline import code, html_block, liquid
from pipeline.attributes import TRANSLATED
from pipeline.inline import LANG_START_TAG, Protected, UnsupportedInline, protect, protect_plain, title_after, unmask
from pipeline.japanese import JAPANESE
from pipeline.markdown import normalize, parser
from pipeline.post import LINE_BREAK, Post

_BLOCK_KINDS = {
    "paragraph_open": "paragraph",
    "heading_open": "heading",
    "th_open": "table_cell",
    "td_open": "table_cell",
    "dt_open": "term",  # kramdown definition lists; the definitions are paragraphs
    "abbr_def_open": "abbreviation",  # kramdown `*[key]: definition`: plain text, the key kept
}


@dataclass(frozen=True)
class Segment:
    # paragraph | heading | table_cell | term | abbreviation | html | html_attribute | link_title |
    # code-comment | front_matter; a request's own: piece (of a text too long for one) | attached (a title)
    kind: str
    start: int  # span in the text it came from (the body, or the front matter text)
    end: int
    line: int  # 1-based line in the text it came from
    source: str  # the exact original text of the span
    protected: Protected

    @property
    def xml(self) -> str:
        return self.protected.xml


@dataclass(frozen=True)
class Skipped:
    """A block left as it was because its text could not be mapped back exactly."""

    line: int
    reason: str
    code: str = "skipped"  # the warning's code: "malformed-html" for HTML whose text was still translated


@dataclass(frozen=True)
class Skeleton:
    body: str
    segments: tuple[Segment, ...]
    skipped: tuple[Skipped, ...]
    # markdown-it's tokens for `body`, so the lint can reuse this parse instead of its own;
    # drop the skeleton once the post is prepared, they are the largest thing it holds
    tokens: tuple[Token, ...] = field(default=(), compare=False, repr=False)
    # malformed HTML whose text was still translated: warnings, nothing kept (issue 14)
    warnings: tuple[Skipped, ...] = ()
    # `body` as the parser read it (Liquid masked), for the leftover count; dropped with the tokens
    masked: liquid.Masked | None = field(default=None, compare=False, repr=False)


def split(
    body: str,
    keep: re.Pattern[str] | None = None,
    dialect: str = "commonmark",
    liquid_first: bool = True,
    attributes: Sequence[str] = TRANSLATED,
    comments: bool = True,
) -> Skeleton:
    """Liquid first, as Jekyll renders: the parser reads `body` with every Liquid tag masked
    (same offsets), and each segment's pieces get the author's tags back. `liquid_first`
    False: a post with `render_with_liquid: false`, whose `{{` Jekyll leaves as text.
    `attributes`: the HTML attributes whose values are translated (`alt`, `title`…);
    `comments`: whether code blocks' comments are texts (pipeline.code)."""
    masked = liquid.mask(body) if liquid_first else liquid.Masked(body, ())
    env: dict[str, Any] = {"liquid": masked}
    tokens = parser(dialect).parse(normalize(masked.text), env)
    starts, ends = _line_table(body)
    keep = _with_abbreviations(keep, env.get("abbreviations", ()))
    segments: list[Segment] = []
    skipped: list[Skipped] = []
    row, cell_from = -1, 0
    segments.extend(_comment_segments(tokens, body, masked, starts, ends, keep) if comments else ())
    for index, tok in enumerate(tokens):
        if tok.type == "definition" and tok.map is not None:
            found = _definition_title(tok, masked.text, starts, ends, keep)
            if found is not None:
                segments.append(dataclasses.replace(found, source=body[found.start : found.end], protected=unmask(found.protected, masked)))
            continue
        if tok.type == "html_block" and tok.map is not None:
            _html_segments(tok, body, masked, starts, ends, keep, segments, skipped, dialect, liquid_first, attributes, comments)
            continue
        if tok.type != "inline" or tok.map is None or not tok.content.strip():
            continue
        opener = tokens[index - 1]
        kind = _BLOCK_KINDS.get(opener.type)
        if kind is None:
            continue
        if kind == "table_cell" and tok.map[0] != row:
            row, cell_from = tok.map[0], 0
        located = _locate(tok, opener, kind, masked.text, starts, ends, cell_from)
        if located is None:
            skipped.append(Skipped(tok.map[0] + 1, f"could not locate the {kind} text in the source; kept as is"))
            continue
        if kind == "table_cell":
            cell_from = located[1] - starts[tok.map[0]]
        _inline_segment(tok, kind, located, body, masked, env, keep, dialect, segments, skipped, attributes)
    segments.sort(key=lambda s: s.start)
    skipped += [
        Skipped(liquid.line_of(body, offset), "Liquid tag never closed (no `}}` or `%}`); kept as written") for offset in masked.unclosed
    ]
    return Skeleton(
        body,
        tuple(segments),
        tuple(s for s in skipped if s.code == "skipped"),
        tuple(tokens),
        tuple(s for s in skipped if s.code != "skipped"),
        masked,
    )


def _inline_segment(
    tok: Token,
    kind: str,
    located: tuple[int, int, dict[int, str]],
    body: str,
    masked: liquid.Masked,
    env: dict[str, Any],
    keep: re.Pattern[str] | None,
    dialect: str,
    segments: list[Segment],
    skipped: list[Skipped],
    attributes: Sequence[str] = TRANSLATED,
) -> None:
    """The segment of one located inline token (a paragraph, heading, cell…), or why not."""
    assert tok.map is not None
    start, end, glue = located
    try:
        if kind == "abbreviation":
            protected = protect_plain(masked.unmask(tok.content), keep)
        else:
            paragraph = kind == "paragraph"
            protected = unmask(
                protect(tok.content, tok.children or [], env, glue, keep, kind == "table_cell", dialect, attributes, paragraph),
                masked,
            )
    except UnsupportedInline as exc:
        skipped.append(Skipped(tok.map[0] + 1, f"{exc}; kept as is"))
        return
    source = body[start:end]
    # most paragraphs have no soft line break: one string for both, which a pickle then sends once
    segments.append(Segment(kind, start, end, tok.map[0] + 1, protected.joined if protected.joined == source else source, protected))
    if any(e.kind == "keep" and LANG_START_TAG.match(e.open) and JAPANESE.search(e.open) for e in protected.elements.values()):
        skipped.append(Skipped(tok.map[0] + 1, html_block.QUOTED, "kept-lang"))  # `<span lang="ja">…</span>`, kept whole
    if any(child.type == "kramdown_unclosed" for child in tok.children or []):
        skipped.append(Skipped(tok.map[0] + 1, "kramdown attribute list `{:` never closed (no `}`); kept as written"))


def split_post(
    post: Post, dialect: str, keep: re.Pattern[str] | None = None, attributes: Sequence[str] = TRANSLATED, comments: bool = True
) -> Skeleton:
    """A post's body split as its site renders it: the dialect, and Liquid first unless the
    post turns Liquid off."""
    return split(post.body, keep, dialect, post.renders_liquid, attributes, comments)


def _comment_segments(
    tokens: Sequence[Token], body: str, masked: liquid.Masked, starts: list[int], ends: list[int], keep: re.Pattern[str] | None
) -> list[Segment]:
    """The comment texts of the code blocks among `tokens` (fences, `{% highlight %}` blocks:
    pipeline.code)."""
    blocks = (code.code_block(tok, masked) for tok in tokens)
    return [s for block in blocks if block is not None for s in _block_comments(block, body, masked.text, starts, ends, keep)]


def _block_comments(
    block: code.Block, body: str, masked: str, starts: list[int], ends: list[int], keep: re.Pattern[str] | None
) -> list[Segment]:
    """The comment texts of a code block (pipeline.code), located in the source: each of the
    block's content lines must end its source line (a container's prefix, `> ` or a list
    item's indentation, may stand before it); a block that is not found so is kept."""
    if block.lexer is None:
        return []
    texts = code.comment_texts(block.content, block.lexer)
    if not texts:
        return []
    lines = block.content.split("\n")[:-1]
    first = block.first_line
    if first + len(lines) > len(starts):
        return []
    line_at: list[int] = []  # the source offset of each content line
    for j, text in enumerate(lines):
        source = masked[starts[first + j] : ends[first + j]]
        if not source.endswith(text):
            return []
        line_at.append(ends[first + j] - len(text))
    found: list[Segment] = []
    offsets = [0]
    for text in lines:
        offsets.append(offsets[-1] + len(text) + 1)
    for piece in texts:
        j = bisect.bisect_right(offsets, piece.start) - 1
        start = line_at[j] + piece.start - offsets[j]
        end = start + piece.end - piece.start
        source = body[start:end]
        protected = dataclasses.replace(protect_plain(source, keep), comment=piece.comment)
        found.append(Segment("code-comment", start, end, first + j + 1, source, protected))
    return found


def _html_segments(
    tok: Token,
    body: str,
    masked: liquid.Masked,
    starts: list[int],
    ends: list[int],
    keep: re.Pattern[str] | None,
    segments: list[Segment],
    skipped: list[Skipped],
    dialect: str = "kramdown",
    liquid_first: bool = True,
    attributes: Sequence[str] = TRANSLATED,
    comments: bool = True,
) -> None:
    """The text and translated attributes of an HTML block (pipeline.html_block), located in
    the source: the block's lines as markdown-it gave them must be the source lines, bar an
    indentation or list marker before the first one (a block inside a quote is kept)."""
    assert tok.map is not None
    first = tok.map[0]
    lines = tok.content.rstrip("\n").split("\n")
    cols = _html_columns(lines, first, masked.text, starts, ends)
    if len(cols) == len(lines):
        start = starts[first] + cols[0]
        start = max(start, masked.text.find("<", start, ends[first]))  # not a list marker before it
        end = starts[first + len(lines) - 1] + cols[-1] + len(lines[-1])
        whole = not _tag_lines_only(tok.content)  # not the tag lines around `markdown="1"` content
        found = html_block.split_block(
            masked.text[start:end], start, lambda offset: _line_at(starts, offset), keep, attributes, whole, kramdown=dialect == "kramdown"
        )
        for piece in found.segments:
            protected = unmask(piece.protected, masked)
            segments.append(Segment(piece.kind, piece.start, piece.end, piece.line, body[piece.start : piece.end], protected))
        skipped.extend(Skipped(problem.line, problem.reason, problem.code) for problem in found.problems)
        for a, b in found.markdown:  # text the renderer reads as Markdown (a `markdown` attribute)
            inner = split(body[a:b], keep, dialect, liquid_first, attributes, comments)
            first_line = _line_at(starts, a)
            segments.extend(Segment(s.kind, s.start + a, s.end + a, first_line + s.line - 1, s.source, s.protected) for s in inner.segments)
            skipped.extend(Skipped(first_line + k.line - 1, k.reason, k.code) for k in inner.skipped)
    elif JAPANESE.search(tok.content):
        skipped.append(Skipped(first + 1, "HTML block inside a quote could not be located exactly; kept as written"))


def _html_columns(lines: list[str], first: int, text: str, starts: list[int], ends: list[int]) -> list[int]:
    """Where each of an HTML block's `lines` (from source line `first` on) starts in its
    source line, up to the first that is not found there. Nearly every block stands at the
    start of its lines, as written: one comparison says so, with no step per line."""
    last = first + len(lines) - 1
    if last < len(starts) and text[starts[first] : ends[last]] == "\n".join(lines):
        return [0] * len(lines)
    cols: list[int] = []
    for j, piece in enumerate(lines):
        if first + j >= len(starts):
            break
        line = text[starts[first + j] : ends[first + j]]
        col = len(line) - len(piece) if line.endswith(piece) else line.find(piece) if j == len(lines) - 1 else -1
        if col < 0 or (j and line[:col].strip()):
            break
        cols.append(col)
    return cols


def _definition_title(tok: Token, text: str, starts: list[int], ends: list[int], keep: re.Pattern[str] | None) -> Segment | None:
    """The title of a link reference definition (`[参考資料]: https://x "題名"`) as a segment:
    every link to it shows it. Only a definition outside any container (no `>` or list
    indentation to step over), whose title is found where markdown-it found it."""
    assert tok.map is not None
    title, label = str(tok.meta.get("title") or ""), str(tok.meta.get("label") or "")
    start, end = starts[tok.map[0]], ends[tok.map[1] - 1]
    head = re.match(r"[ ]{0,3}\[", text[start:end])
    if not title or tok.level or head is None or not text.startswith(label + "]:", start + head.end()):
        return None
    found = title_after(text, start + head.end() + len(label) + 2, end)
    if found is None:
        return None
    a, b, quote = found
    protected = dataclasses.replace(protect_plain(text[a:b], keep), title_quote=quote)
    return Segment("link_title", a, b, _line_at(starts, a - 1), text[a:b], protected)


_MARKDOWN_ATTRIBUTE = re.compile(r"\smarkdown\s*=")
_END_TAG_ONLY = re.compile(r"\s*</[^>]*>\s*\Z")


def _tag_lines_only(content: str) -> bool:
    """Whether an HTML block is the tag lines around `markdown="1"` content (a `markdown`
    attribute, or an end tag alone). Two patterns, the attribute's looked for only where
    its word stands: as one alternation, both were tried at every offset of every block."""
    return bool(("markdown" in content and _MARKDOWN_ATTRIBUTE.search(content)) or _END_TAG_ONLY.match(content))


def _line_at(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def _with_abbreviations(keep: re.Pattern[str] | None, keys: Iterable[str]) -> re.Pattern[str] | None:
    """Abbreviation keys kept as written, like names: kramdown marks up each occurrence of the
    key in the text, so the English must hold them as often as the Japanese."""
    keys = sorted(set(keys), key=len, reverse=True)
    if not keys:
        return keep
    pattern = "|".join(re.escape(k) for k in keys)
    return re.compile(f"{keep.pattern}|{pattern}" if keep is not None else pattern)


def _line_table(text: str) -> tuple[list[int], list[int]]:
    """Start offset and content-end offset (before the line ending) of every line. A body
    with `\n` endings only (nearly all) is measured from its lines' lengths, without a
    Python step per line break."""
    if "\r" not in text:
        starts = list(itertools.accumulate((len(line) + 1 for line in text.split("\n")[:-1]), initial=0))
        return starts, [start - 1 for start in starts[1:]] + [len(text)]
    starts, ends = [0], []
    for m in LINE_BREAK.finditer(text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return starts, ends


def _locate(
    tok: Token, opener: Token, kind: str, body: str, starts: list[int], ends: list[int], cell_from: int
) -> tuple[int, int, dict[int, str]] | None:
    """The span of `tok.content` in `body`, and the original bytes at each of its line breaks.

    markdown-it strips each line's container prefix (`> `, list indentation) and the
    paragraph's outer whitespace; what is left of every line is a suffix of the source line
    (the last line may be followed by whitespace, a closing `#` run or further table cells).
    """
    if tok.map is None:  # split() only passes tokens with a map
        return None
    lines = tok.content.split("\n")
    first = tok.map[0]
    if first + len(lines) > len(starts):
        return None
    cols: list[int] = []
    end = 0
    for j, text in enumerate(lines):
        line = body[starts[first + j] : ends[first + j]]
        if kind == "table_cell":
            original = text
            text = text.replace("|", "\\|")  # markdown-it unescaped the cell's pipes before inline parsing
        col = _column(tok, opener, kind, text, line, j == len(lines) - 1, cell_from)
        if col < 0 and kind == "table_cell":  # kramdown: a `|` inside a code span may stand unescaped
            text = _CELL_PIPE.sub(lambda m: m.group(0) if m.group(0) != "|" else "\\|", original)
            col = _column(tok, opener, kind, text, line, j == len(lines) - 1, cell_from)
        if col < 0:
            return None
        cols.append(col)
        end = starts[first + j] + col + len(text)
    glue: dict[int, str] = {}
    offset = 0
    for j, text in enumerate(lines[:-1]):
        offset += len(text)
        glue[offset] = body[ends[first + j] : starts[first + j + 1] + cols[j + 1]]
        offset += 1
    return starts[first] + cols[0], end, glue


_CELL_PIPE = re.compile(r"(`+)(?:(?!\1).)+?\1|\|")


def _column(tok: Token, opener: Token, kind: str, text: str, line: str, last: bool, cell_from: int) -> int:
    """Where one line of an inline token's content starts in its source line, or -1."""
    if kind == "table_cell":
        return line.find(text, cell_from)
    if kind == "heading" and opener.markup.startswith("#"):
        return line.find(text, line.find("#") + 1)
    if kind == "heading" and last:  # setext: may end in a kramdown header id
        return line.find(text)
    if not last:
        return len(line) - len(text) if line.endswith(text) else -1
    stripped = line.rstrip()
    trail = (tok.meta or {}).get("trail", "")  # a kramdown attribute cut from the end
    if trail and stripped.endswith(trail):
        stripped = stripped[: -len(trail)].rstrip()
    return len(stripped) - len(text) if stripped.endswith(text) else -1


def splice(text: str, replacements: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) span replaced; spans must not overlap."""
    out: list[str] = []
    pos = 0
    for start, end, new in sorted(replacements, key=lambda r: r[0]):
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)
