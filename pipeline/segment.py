"""Split a Markdown body into translatable segments over exact spans, and splice back.

A segment is the inline text of one block (paragraph, heading, table cell), so the engine
sees whole paragraphs. Its span is located in the original text from markdown-it's line
map, so every byte outside the spans (markers, indentation, code, HTML, blank lines, line
endings) is copied, never re-rendered. A block whose text we cannot locate exactly is
left untouched and reported, rather than risk corrupting the post.
"""

from __future__ import annotations

from typing import Any
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from markdown_it.token import Token

from pipeline import liquid
from pipeline.inline import Protected, UnsupportedInline, protect, protect_plain, unmask
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
    kind: str  # paragraph | heading | table_cell | front_matter
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


@dataclass(frozen=True)
class Skeleton:
    body: str
    segments: tuple[Segment, ...]
    skipped: tuple[Skipped, ...]
    # markdown-it's tokens for `body`, so the lint can reuse this parse instead of its own;
    # drop the skeleton once the post is prepared, they are the largest thing it holds
    tokens: tuple[Token, ...] = field(default=(), compare=False, repr=False)


def split(body: str, keep: re.Pattern[str] | None = None, dialect: str = "commonmark", liquid_first: bool = True) -> Skeleton:
    """Liquid first, as Jekyll renders: the parser reads `body` with every Liquid tag masked
    (same offsets), and each segment's pieces get the author's tags back. `liquid_first`
    False: a post with `render_with_liquid: false`, whose `{{` Jekyll leaves as text."""
    masked = liquid.mask(body) if liquid_first else liquid.Masked(body, ())
    env: dict[str, Any] = {"liquid": masked}
    tokens = parser(dialect).parse(normalize(masked.text), env)
    starts, ends = _line_table(body)
    keep = _with_abbreviations(keep, env.get("abbreviations", ()))
    segments: list[Segment] = []
    skipped: list[Skipped] = []
    row, cell_from = -1, 0
    for index, tok in enumerate(tokens):
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
        start, end, glue = located
        if kind == "table_cell":
            cell_from = end - starts[tok.map[0]]
        try:
            if kind == "abbreviation":
                protected = protect_plain(masked.unmask(tok.content), keep)
            else:
                protected = unmask(
                    protect(tok.content, tok.children or [], env, glue, keep, table_cell=kind == "table_cell", dialect=dialect),
                    masked,
                )
        except UnsupportedInline as exc:
            skipped.append(Skipped(tok.map[0] + 1, f"{exc}; kept as is"))
            continue
        segments.append(Segment(kind, start, end, tok.map[0] + 1, body[start:end], protected))
        if any(child.type == "kramdown_unclosed" for child in tok.children or []):
            skipped.append(Skipped(tok.map[0] + 1, "kramdown attribute list `{:` never closed (no `}`); kept as written"))
    segments.sort(key=lambda s: s.start)
    skipped += [
        Skipped(liquid.line_of(body, offset), "Liquid tag never closed (no `}}` or `%}`); kept as written") for offset in masked.unclosed
    ]
    return Skeleton(body, tuple(segments), tuple(skipped), tuple(tokens))


def split_post(post: Post, dialect: str, keep: re.Pattern[str] | None = None) -> Skeleton:
    """A post's body split as its site renders it: the dialect, and Liquid first unless the
    post turns Liquid off."""
    return split(post.body, keep=keep, dialect=dialect, liquid_first=post.renders_liquid)


def _with_abbreviations(keep: re.Pattern[str] | None, keys: Iterable[str]) -> re.Pattern[str] | None:
    """Abbreviation keys kept as written, like names: kramdown marks up each occurrence of the
    key in the text, so the English must hold them as often as the Japanese."""
    keys = sorted(set(keys), key=len, reverse=True)
    if not keys:
        return keep
    pattern = "|".join(re.escape(k) for k in keys)
    return re.compile(f"{keep.pattern}|{pattern}" if keep is not None else pattern)


def _line_table(text: str) -> tuple[list[int], list[int]]:
    """Start offset and content-end offset (before the line ending) of every line."""
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
            text = text.replace("|", "\\|")  # markdown-it unescaped the cell's pipes before inline parsing
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
