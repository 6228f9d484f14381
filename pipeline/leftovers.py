"""What stays Japanese in an English edition, counted, so nothing does without a word.

Two counts per post: segments whose Japanese was kept (an engine answer refused, by
reason), and Japanese characters a reader still sees outside code: in text the pipeline
never sends (Liquid output, a block it could not segment), in attribute values it does not
translate, in the props of MDX-style components. Full-width punctuation and symbols
(japanese.VISIBLE_JAPANESE) count as Japanese: a `。` or `（` left in English text is a
leftover too.

An edition written with Han characters (Chinese) is Han script and CJK punctuation almost
throughout, so there the script alone says nothing: in a translated segment, what counts as
Japanese left is its kana, and each sentence of it that is byte for byte a sentence of its
source (the engine gave the text back as it came). Text outside the segments, and a
segment kept as it was, counts as it does in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from pipeline import code, frontmatter, html_block, liquid
from pipeline.japanese import KANA, SENTENCE_END, VISIBLE_JAPANESE
from pipeline.markdown import normalize, parser
from pipeline.post import Post


@dataclass
class Left:
    """Japanese characters outside code in one text, by where they stand."""

    text: int = 0  # prose a reader sees (a kept segment, or text never sent)
    attributes: int = 0  # HTML attribute values
    components: int = 0  # props of MDX-style components (`<TeamMember name="…">`): never translated
    liquid: int = 0  # inside Liquid tags (output the site computes)
    # in code blocks and not translated: a block with no lexer, string literals, comments with
    # `[code] translate_comments = false`; a reader sees it, but it is code (not in `total`)
    code: int = 0
    front_matter: int = 0  # front matter values a theme may show (`title`, `category`, `author`…)

    @property
    def total(self) -> int:
        return self.text + self.attributes + self.components + self.liquid + self.front_matter

    @property
    def counted(self) -> int:
        """What the 0.1% target counts: everything but component props, its stated exception."""
        return self.total - self.components

    def add(self, other: Left) -> None:
        self.text += other.text
        self.attributes += other.attributes
        self.components += other.components
        self.liquid += other.liquid
        self.code += other.code
        self.front_matter += other.front_matter

    def as_dict(self) -> dict[str, int]:
        return {
            "text": self.text,
            "attributes": self.attributes,
            "components": self.components,
            "liquid": self.liquid,
            "front_matter": self.front_matter,
        }


@dataclass
class Leftover:
    """One post's leftovers: kept segments by reason, and characters in source and edition."""

    kept: dict[str, int] = field(default_factory=dict)
    source: Left = field(default_factory=Left)  # Japanese outside code in the source
    left: Left = field(default_factory=Left)  # ... still in the English edition

    @property
    def kept_segments(self) -> int:
        return sum(self.kept.values())


def _japanese(text: str) -> int:
    """Japanese characters in `text`; most texts of a post are ASCII (code, URLs, markup)."""
    return 0 if text.isascii() else len(VISIBLE_JAPANESE.findall(text))


def count_tokens(tokens: Sequence[Token], comments: bool = True, masked: liquid.Masked = liquid.Masked("", ())) -> Left:
    """Japanese outside code in a parsed body (markdown-it tokens, Liquid masked: `masked`);
    with `comments`, the comments of code blocks are text (they are translated), the rest
    of a code block is `code`."""
    left = Left()
    for tok in tokens:
        block = code.code_block(tok, masked)
        if block is not None:
            _code_block(block, comments, left)
            continue
        if tok.type in ("math_block", "kramdown_ext", "kramdown_math_block"):
            continue
        if tok.type == "html_block":
            # the block's text as the split located it (no closing line break): its tokenizer
            # events are cached from the split, so the count does not tokenize again
            found = html_block.japanese_in(tok.content.rstrip("\n"), VISIBLE_JAPANESE)
            left.text += found.text
            left.attributes += found.attributes
            left.components += found.components
        elif tok.type == "definition":  # a reference's title, shown by every link to it: counted here once
            left.attributes += _japanese(str(tok.meta.get("title") or ""))
        elif tok.type == "inline":
            _inline(tok.children or [], left)
    return left


def _code_block(block: code.Block, comments: bool, left: Left) -> None:
    """A code block's Japanese: in the comments `code.comment_texts` finds (translated), and
    in the rest (kept)."""
    everything = _japanese(block.content)
    texts = code.comment_texts(block.content, block.lexer) if comments and block.lexer is not None and everything else ()
    in_comments = sum(_japanese(block.content[t.start : t.end]) for t in texts)
    left.text += in_comments
    left.code += everything - in_comments


def _inline(children: Sequence[Token], left: Left) -> None:
    in_url = False  # the text of an autolink is its URL, never prose to translate
    for child in children:
        if child.type in ("link_open", "link_close") and child.markup in ("autolink", "linkify"):
            in_url = child.type == "link_open"
        if child.type in ("text", "text_special") and not in_url:
            left.text += _japanese(child.content)
        elif child.type == "image":
            left.text += _japanese(child.content)
            left.attributes += _japanese(str(child.attrGet("title") or ""))
        elif child.type == "link_open" and "label" not in (child.meta or {}):  # a reference's: at its definition
            left.attributes += _japanese(str(child.attrGet("title") or ""))
        elif child.type == "html_inline":
            found = html_block.japanese_in(child.content, VISIBLE_JAPANESE)
            left.attributes += found.attributes + found.text
            left.components += found.components


def count(body: str, dialect: str, liquid_first: bool = True, comments: bool = True) -> Left:
    """Japanese outside code in a Markdown body, read as its site renders it."""
    if not VISIBLE_JAPANESE.search(body):
        return Left()
    masked = liquid.mask(body) if liquid_first else liquid.Masked(body, ())
    left = count_tokens(parser(dialect).parse(normalize(masked.text), {"liquid": masked}), comments, masked)
    left.liquid = in_liquid(masked)
    return left


_CODE_TAG = re.compile(r"\{%-?\s*(?:raw|highlight|comment)\b")


def in_liquid(masked: liquid.Masked) -> int:
    """Japanese in Liquid tags, but not in `{% raw %}`, `{% highlight %}` or `{% comment %}`
    blocks (code and notes, as on the page)."""
    return sum(_japanese(tag) for tag in masked.tags if not _CODE_TAG.match(tag))


def count_source(
    body: str, tokens: Sequence[Token], liquid_first: bool, comments: bool = True, masked: liquid.Masked | None = None
) -> Left:
    """`count` for a body already parsed (the split's tokens and masked text): the source side, for free."""
    if masked is None:
        masked = liquid.mask(body) if liquid_first else liquid.Masked(body, ())
    left = count_tokens(tokens, comments, masked)
    if liquid_first:
        left.liquid = in_liquid(masked)
    return left


def in_front_matter(post: Post) -> list[frontmatter.Field]:
    """The front matter values of `post` that hold Japanese: a theme may show any of them."""
    block = post.front_matter
    if block is None or not VISIBLE_JAPANESE.search(block.text):
        return []
    return [f for f in frontmatter.shown_fields(block, post.path) if VISIBLE_JAPANESE.search(f.value) and not _ADDRESS.fullmatch(f.value)]


# a URL or a site path (`permalink: /ブログ/`, `image: /img/図.png`): an address, not prose, like an autolink's URL
_ADDRESS = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|\.{0,2}/)\S*")


def front_matter_count(fields: Iterable[frontmatter.Field]) -> int:
    return sum(_japanese(f.value) for f in fields)


def han_front_matter(source: Iterable[frontmatter.Field], edition: Iterable[frontmatter.Field]) -> tuple[list[frontmatter.Field], int]:
    """In an edition written with Han characters: its values still Japanese (kana in them, or
    the source's value as it was) and their Japanese characters (the kana; all of a copied value)."""
    copied = {(f.key, f.index): f.value for f in source}
    left = [f for f in edition if KANA.search(f.value) or copied.get((f.key, f.index)) == f.value]
    count = sum(_japanese(f.value) if copied.get((f.key, f.index)) == f.value else len(KANA.findall(f.value)) for f in left)
    return left, count


def summary(posts: Iterable[Leftover]) -> str:
    """The run summary's words for what stayed Japanese."""
    kept: dict[str, int] = {}
    left, source = Left(), Left()
    for post in posts:
        for reason, n in post.kept.items():
            kept[reason] = kept.get(reason, 0) + n
        left.add(post.left)
        source.add(post.source)
    total = sum(kept.values())
    reasons = f" ({', '.join(f'{r} {n}' for r, n in sorted(kept.items()))}; --retry-flagged asks again)" if total else ""
    share = f" ({100 * left.total / source.total:.2f}%)" if source.total else ""
    places = ", ".join(f"{name} {n:,}" for name, n in left.as_dict().items() if n)
    in_code = f"; {left.code:,} Japanese characters in code blocks not translated" if left.code else ""
    return (
        f"{total} segments kept in Japanese{reasons}; "
        f"{left.total:,} of {source.total:,} Japanese characters left outside code{share}" + (f": {places}" if places else "") + in_code
    )


def _piece_left(kind: str, text: str, dialect: str) -> Left:
    """Japanese in one segment's text by where it stands (running text, titles and alt)."""
    if kind == "html":
        found = html_block.japanese_in(text, VISIBLE_JAPANESE)
        return Left(found.text, found.attributes)
    return count(_REFERENCE_LABEL.sub("]", text), dialect)


_REFERENCE_LABEL = re.compile(r"\]\[[^\]\n]*\]")


def _in_piece(text: str) -> int:
    """Japanese in a segment's text, a reference label (`][参考資料]`, never shown) and a
    link's url (`](../guide/#見出し)`) left out, as the parse's count leaves them. A url is
    not always kept as written: the run points an in-page link at the English heading's id
    (`heading_ids`), a translator points theirs at the English page's."""
    if "][" in text:
        text = _REFERENCE_LABEL.sub("]", text)
    return _japanese(_LINK_URL.sub("](", text) if "](" in text else text)


_LINK_URL = re.compile(r"\]\([^()\s]+")  # an inline link's or image's url, up to its title or its end


def _in_han_piece(new: str, old: str) -> int:
    """Japanese left in a segment translated into a language written with Han characters:
    its kana, and its sentences that are byte for byte sentences of the source (less the
    kana already counted in them)."""
    new, old = (_REFERENCE_LABEL.sub("]", t) if "][" in t else t for t in (new, old))
    copied = set(SENTENCE_END.split(old))
    found = len(KANA.findall(new))
    for sentence in SENTENCE_END.split(new):
        if sentence in copied and VISIBLE_JAPANESE.search(sentence):
            found += _japanese(sentence) - len(KANA.findall(sentence))
    return found


def after_edits(source: Left, edits: Iterable[tuple[str, str, str, bool]], dialect: str = "kramdown", han_script: bool = False) -> Left:
    """What is left in the English, from the source's count and each segment's (kind, source
    text, written text, whether its markup holds attached texts): every byte outside the
    segments is the source's own (the pipeline's invariant), and whatever a segment kept of
    its source (code, names, URLs) is kept as written, so only the difference in each
    segment counts. No second parse of the English, but for the few segments whose markup
    holds a translated title or alt: where their Japanese stands decides how it counts.
    `han_script`: the edition is written with Han characters (`_in_han_piece`)."""
    left = Left(source.text, source.attributes, source.components, source.liquid, source.code)
    for kind, old, new, attached in edits:
        if new == old:  # kept as written (or translated to itself): nothing changes
            continue
        if han_script:
            _add(left, kind, _in_han_piece(new, old) - _in_piece(old))
            continue
        if attached:
            before, after = _piece_left(kind, old, dialect), _piece_left(kind, new, dialect)
            left.text += after.text - before.text
            left.attributes += after.attributes - before.attributes
            continue
        _add(left, kind, _in_piece(new) - _in_piece(old))
    return left


def _add(left: Left, kind: str, delta: int) -> None:
    if kind in ("html_attribute", "link_title"):
        left.attributes += delta
    else:
        left.text += delta
