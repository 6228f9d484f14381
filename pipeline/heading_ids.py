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

import unicodedata
from collections import Counter

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
