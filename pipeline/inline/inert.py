"""The engine's prose as plain Markdown text again, whatever punctuation it came back with.

An engine writes new text around the author's markup: a `*`, `#` or `1.` of its own could
open emphasis or a block, and emphasis whose delimiters flanked the Japanese may no longer
flank the English. These rules escape what could change the parse, give emphasis its HTML
element where a delimiter would no longer pair, and tell the inline shape the result
parses to, so `restore` can compare it with the source's. Apart from `restore` because they
are CommonMark's and kramdown's rules, not the bookkeeping of an answer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from markdown_it.common.utils import isPunctChar, isWhiteSpace

from pipeline import liquid
from pipeline.kramdown.tables import row_pipes
from pipeline.markdown import parser

_HTML_FALLBACK = {"i": ("<em>", "</em>"), "b": ("<strong>", "</strong>"), "s": ("<s>", "</s>")}


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


# Characters of engine prose that would start inline markup anywhere: code, emphasis,
# links, HTML/autolinks, math, strikethrough, entities, and a backslash that would escape.
# A `$` before a digit is left alone ("$17 billion"): it can never close math, and every
# `$` that could is escaped. The `>` of a `-->` too: it would close a `<!--` the author left
# open on a line of its own (kept as written, no Japanese in it), hiding everything between.
_INLINE_ACTIVE = re.compile(
    r"[*\[\]<]|(?<=--)>|\$(?![0-9])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|~(?=~)|(?<=~)~|&(?=#?[A-Za-z0-9]+;)|\\(?=[!-/:-@\[-`{-~]|$)"
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
    if not all(row_pipes(liquid.mask(line).text) for line in "".join(pieces).split("\n")):  # Liquid first
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
