"""The source language's characters and the post names the site publishes (and the date a
name gives), in one place.

Each pattern answers a different question, so they differ on purpose: what is Japanese
text worth translating (`JAPANESE`: kana and kanji, not punctuation), what a reader of an
English page must not see (`JAPANESE_RUN`: punctuation and fullwidth forms too), between
which characters a line break is not a space (`WIDE_BREAK`), what one diff token is
(`WIDE`), and which characters end a sentence too early (`MID_SENTENCE_END`). They are
built from the ranges below so that the same block is spelled once.
"""

from __future__ import annotations

import datetime as dt
import re

HIRAGANA_KATAKANA = "\u3040-\u30ff"
KATAKANA_EXT = "\u31f0-\u31ff"
KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HALFWIDTH_KATAKANA = "\uff66-\uff9f"
CJK_PUNCTUATION = "\u3000-\u303f"
FULLWIDTH = "\uff00-\uffef"

# Kana and kanji: a text with none of them has nothing to translate.
JAPANESE = re.compile(f"[{HIRAGANA_KATAKANA}{KATAKANA_EXT}{KANJI}{HALFWIDTH_KATAKANA}]")
# Kana, CJK ideographs, CJK and full-width punctuation: none of it belongs in English prose.
JAPANESE_RUN = re.compile(
    f"[{CJK_PUNCTUATION}{HIRAGANA_KATAKANA}{KATAKANA_EXT}{KANJI}\uff01-\uff60\uff61-\uff9f\uffe0-\uffee\U00020000-\U0002fa1f]+"
)
# One character of JAPANESE_RUN: what the leftover count (pipeline.leftovers) counts.
VISIBLE_JAPANESE = re.compile(JAPANESE_RUN.pattern[:-1])
# Kana alone (not the middle dot ・, which Chinese writes too): what marks Japanese left in
# an edition written with Han characters, where a kanji is no sign of anything.
KANA = re.compile(f"[\u3040-\u30fa\u30fc-\u30ff{KATAKANA_EXT}{HALFWIDTH_KATAKANA}]")
# Where a sentence of Japanese or Chinese ends: the unit compared with the source for text
# an engine gave back as it came.
SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")
# Target languages written with Han characters (DeepL's codes without the script suffix).
HAN_SCRIPT_TARGETS = ("ZH",)
# Wide characters between which a line break is not a space (Japanese, Chinese, fullwidth forms).
WIDE_BREAK = re.compile(f"[\u2e80-\u2fff{CJK_PUNCTUATION}{HIRAGANA_KATAKANA}\u3100-\u312f\u3190-\u31ff{KANJI}\ufe30-\ufe4f{FULLWIDTH}]")
# One wide character is one word of a diff (a character class body, for building patterns).
WIDE = f"{CJK_PUNCTUATION}{HIRAGANA_KATAKANA}{KATAKANA_EXT}{KANJI}{FULLWIDTH}"
# A paragraph whose last character is one of these stops mid-sentence (not 。 nor ー).
MID_SENTENCE_END = re.compile(f"[\u3040-\u30fb\u30fd-\u30ff{KANJI}、，,]$")
# Jekyll silently skips files in _posts whose names are not YYYY-MM-DD-title.ext.
POST_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-.+\.(?:md|markdown)$")


def post_date(name: str) -> dt.date | None:
    """The date a post's file name gives it, as Jekyll reads it: None when the name is not
    a post's or its date does not exist (2025-02-30)."""
    found = POST_NAME.match(name)
    if found is None:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None
