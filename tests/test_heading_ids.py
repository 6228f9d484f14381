"""The ids kramdown gives headings from their text, against Debian's kramdown itself.

The site check (`site.auto_id`) tells kramdown's automatic ids from the author's, and the
edition points in-page links at the English heading's id (`heading_ids.AutoIds`): both
must be kramdown-parser-gfm's rule to the character. Each heading below is rendered by the
real kramdown with Jekyll's options; the ids it writes are the expected ones.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

import kramdown_oracle as oracle
from pipeline.heading_ids import AutoIds
from pipeline.site import auto_id

HEADINGS = [
    "愛❤️です",  # a variation selector (U+FE0F): a mark, kept
    "コミュニティはオープンソースの❤️です",
    "Café résumé",  # precomposed letters
    "Cafe\u0301 combining",  # a combining accent: kept
    "x² and ① and ⅠⅡ",  # ² and ① are numbers but not \p{Word}; Roman numerals are letters
    "Ⓐ circled and 🄰 squared",  # So, yet Alphabetic
    "家族👨\u200d👩\u200d👧 ZWJ",  # a zero-width joiner is not \p{Word}
    "ΣΑΣ final sigma",  # Ruby lower-cases each letter alone: σ, not ς
    "İstanbul DŽ ǅ",  # İ lower-cases to i + combining dot; title-case digraphs
    "snake_case and a‿b",  # connector punctuation
    "全角（かっこ）と、句読点。",
    "tab\there  two  spaces -- dash",
    "٣ Arabic-Indic digit",
    "1. はじめに",
]

needs_kramdown = pytest.mark.skipif(not oracle.available(), reason="needs Debian's kramdown")


def _ids(html: str) -> list[str]:
    return re.findall(r'<h2 id="([^"]*)"', html)


def _text(html: str) -> str:
    """The heading's text as the page shows it (`--` is an en dash there): what the site check reads."""
    return unescape(re.sub(r"<[^>]*>", "", re.search(r"<h2[^>]*>(.*?)</h2>", html, re.S).group(1)))


@needs_kramdown
def test_auto_id_is_kramdowns_for_each_heading() -> None:
    docs = {str(i): (f"## {text}\n", {}) for i, text in enumerate(HEADINGS)}
    rendered = oracle.render_many(docs)
    got = {text: auto_id(_text(rendered[str(i)])) for i, text in enumerate(HEADINGS)}
    expected = {text: _ids(rendered[str(i)])[0] for i, text in enumerate(HEADINGS)}
    assert got == expected


@needs_kramdown
def test_repeated_headings_count_as_kramdown_counts() -> None:
    texts = ["概要", "概要", "概要-1", "Summary", "summary", "概要"]
    (html,) = oracle.render_many({"doc": ("".join(f"## {t}\n\n段落\n\n" for t in texts), {})}).values()
    ids = AutoIds()
    assert [ids.next(t) for t in texts] == _ids(html)
