"""The ids kramdown gives headings from their text (`auto_ids`, on in Jekyll), exactly.

Two readers need them: the site check, which tells an id kramdown made from the heading's
text (and differs between the languages by design) from one the author set; and the
edition, which points an in-page link (`[…](#はじめに)`) at the id the English heading
gets. A rule that is almost kramdown's gives a false alarm in the one and a broken link in
the other, so the rule here is its own, kramdown-parser-gfm's (`input: GFM`, Jekyll's)
`generate_gfm_header_id`: the text lower-cased, every character but `\\p{Word}`, `-`, space
and tab dropped, spaces and tabs made `-`, and `-1`, `-2`… after an id already given. Ruby's
`\\p{Word}` is Alphabetic, marks, decimal digits and connector punctuation: it keeps a
variation selector (U+FE0F after ❤) and a combining accent, which Python's `\\w` drops, and
drops `²` and `①`, which `\\w` keeps. (A heading inside an HTML element with `markdown="1"`
is not reached by that parser; kramdown's converter gives it an ASCII-only id instead.)

Ruby's `downcase` maps each character on its own (no final sigma), so the text is
lower-cased character by character.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline import liquid
from pipeline.markdown import parser
from pipeline.segment import Segment

# Alphabetic symbols (Other_Alphabetic outside the marks): circled, parenthesised and
# squared Latin letters, which Ruby's \p{Word} keeps although their category is So
_ALPHABETIC_SYMBOLS = ((0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189))


def _is_word(char: str) -> bool:
    """Ruby's (Onigmo's) `\\p{Word}`: Alphabetic, Mark, Decimal_Number, Connector_Punctuation."""
    category = unicodedata.category(char)
    if category[0] in "LM" or category in ("Nd", "Nl", "Pc"):
        return True
    return category == "So" and any(a <= ord(char) <= b for a, b in _ALPHABETIC_SYMBOLS)


def _downcase(text: str) -> str:
    return "".join(char.lower() for char in text)


def auto_id(text: str) -> str:
    """The id kramdown's GFM parser makes of a heading's text, before any counter."""
    kept = "".join(c for c in _downcase(text) if c in "- \t" or _is_word(c))
    return kept.replace(" ", "-").replace("\t", "-")


def converter_id(text: str) -> str:
    """The id kramdown's converter gives a heading kramdown-parser-gfm did not reach (inside
    an HTML element with `markdown="1"`), before any counter: `basic_generate_id` (leading
    characters up to the first ASCII letter dropped, then all but ASCII letters, digits,
    spaces and `-`; spaces made `-`; lower-cased), `section` when nothing is left."""
    kept = re.sub(r"^[^a-zA-Z]+", "", text)
    kept = re.sub(r"[^a-zA-Z0-9 -]", "", kept).replace(" ", "-").lower()
    return kept or "section"


class AutoIds:
    """The ids one document's headings get in order, counters included (`a`, `a-1`, `a-2`):
    kramdown-parser-gfm counts each id it generated, per rendered document."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def next(self, text: str) -> str:
        base = auto_id(text)
        count = self.seen[base]
        self.seen[base] += 1
        return f"{base}-{count}" if count else base


# kramdown's typographic symbols that can stand in a heading's text: `---` and `--` become
# dashes and `<<`/`>>` guillemets, none of them \p{Word}, so none is in the id (a `-` is)
_TYPOGRAPHIC = re.compile(r"---|--|<<|>>")


def raw_text(children: Sequence[Token]) -> str:
    """A heading's text as kramdown computes its id from (`raw_text`): its text and code
    spans, with escapes and entities as the characters they stand for, and neither an
    image's alt nor any markup."""
    out: list[str] = []
    run: list[str] = []  # adjacent plain text: kramdown reads `--` across it
    for token in children:
        if token.type == "text":
            run.append(token.content)
            continue
        out.append(_TYPOGRAPHIC.sub("", "".join(run)))
        run = []
        if token.type in ("text_special", "code_inline"):
            out.append(token.content)
    out.append(_TYPOGRAPHIC.sub("", "".join(run)))
    return "".join(out)


@dataclass(frozen=True)
class Heading:
    """A heading of the post as kramdown-parser-gfm gives it an id: its line, its text
    (None when Liquid makes it unknown until Jekyll renders it), and whether the author
    named its id (`{#id}`), which no translation changes."""

    line: int
    text: str | None
    explicit: bool


def headings(tokens: Sequence[Token]) -> tuple[Heading, ...]:
    """The headings of a post's tokens (`segment.Skeleton.tokens`), in order: those the GFM
    parser names (an HTML block's `markdown="1"` headings are not among these tokens)."""
    found = []
    for opener, inline in zip(tokens, tokens[1:]):
        if opener.type != "heading_open" or inline.type != "inline" or opener.map is None:
            continue
        # the author's `{#id}` (kramdown.HEADER_ID, cut from the text); an IAL there is text to kramdown
        explicit = str((inline.meta or {}).get("trail", "")).startswith("{#")
        known = not liquid.RUN.search(inline.content)
        found.append(Heading(opener.map[0] + 1, raw_text(inline.children or []) if known else None, explicit))
    return tuple(found)


def english_text(segment: Segment, english: str, heading: Heading) -> str | None:
    """The English heading's `raw_text`: the Japanese one when the text is the source's (the
    identity engine, a kept heading), else its Markdown read as the post reads it."""
    if english == segment.source or heading.text is None:
        return heading.text
    if liquid.RUN.search(english) or "{{" in english or "{%" in english:
        return None
    env = {"references": segment.protected.env.get("references", {}), "liquid": liquid.mask("")}
    tokens = parser(segment.protected.dialect).parseInline(english, env)
    return raw_text((tokens[0].children or []) if tokens else [])


def renamed_ids(found: Sequence[Heading], english: Mapping[int, tuple[Segment, str]]) -> dict[str, str]:
    """Japanese automatic id -> the English heading's, for each heading whose id changes.
    `english`: the English of each heading segment, by line. Both sides count repeats as
    kramdown does; a heading whose text is unknown is left out of both."""
    ja_ids, en_ids, renamed = AutoIds(), AutoIds(), {}
    for heading in found:
        if heading.explicit or heading.text is None:
            continue
        segment, text = english.get(heading.line, (None, ""))
        en_text = heading.text if segment is None else english_text(segment, text, heading)
        if en_text is None:
            continue
        ja, en = ja_ids.next(heading.text), en_ids.next(en_text)
        if ja != en:
            renamed[ja] = en
    return renamed


# Where an in-page link's fragment stands in the author's markup: a Markdown link's
# destination (the closing `](#id` of `[text](#id "title")`) or an HTML `href="#id"`
_LINK_FRAGMENT = re.compile(r"\]\([ \t\n]*<?#([^\s<>()]*)|<a\s[^>]*?\bhref[ \t]*=[ \t]*([\"'])#([^\"']*)\2", re.I)


def point_links(found: Sequence[Heading], body: Sequence[tuple[Segment, str]]) -> list[str]:
    """The English of each body segment, its in-page links to a heading's automatic id
    pointing at the id the English heading gets (`[…](#はじめに)` -> `[…](#introduction)`).

    The link's destination is the author's markup, kept byte for byte through the engine:
    so each fragment of the source segment's links is found again in its English, once
    every heading has its English. Fragments are compared decoded (`#%E3%81%AF…` is
    `#は…` to a browser). A reference definition's destination (`[r]: #id`) lies outside
    every segment and is not rewritten."""
    headings = {s.line: (s, text) for s, text in body if s.kind == "heading"}
    if all(text == s.source for s, text in headings.values()):  # every heading as written: every id as it was
        return [text for _, text in body]
    renamed = renamed_ids(found, headings)
    if not renamed:
        return [text for _, text in body]
    return [_pointed(segment, text, renamed) for segment, text in body]


def _pointed(segment: Segment, text: str, renamed: Mapping[str, str]) -> str:
    for element in segment.protected.elements.values():
        markup = element.close if element.kind == "pair" else element.open
        m = _LINK_FRAGMENT.match(markup)  # a link's closing, or an `<a>` tag (never a code span)
        if m is None or (element.kind == "pair") != markup.startswith("]"):
            continue
        fragment = m.group(1) if m.group(1) is not None else m.group(3)
        target = renamed.get(unquote(fragment))
        if target is None:
            continue
        piece, quote = m.group(0), m.group(2) or ""
        new = piece[: len(piece) - len(fragment) - len(quote)] + target + quote
        # not the start of a longer fragment (`#はじめに` of `#はじめにへ`)
        text = re.sub(re.escape(piece) + ("" if quote else r"(?![^\s<>()])"), lambda _: new, text)
    return text
