"""The ids kramdown gives headings from their text, against Debian's kramdown itself.

The site check (`auto_id` in `pipeline.site.pages`) tells kramdown's automatic ids from
the author's, and the edition points in-page links at the English heading's id
(`heading_ids.AutoIds`): both must be kramdown-parser-gfm's rule to the character. Each
heading below is rendered by the real kramdown with Jekyll's options; the ids it writes
are the expected ones.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest

import kramdown_oracle as oracle
from pipeline.cache import MemoryCache
from pipeline.config import Settings
from pipeline.engines import Engine
from pipeline.engines.identity import IdentityEngine
from pipeline.engines.pseudo import PseudoEngine
from pipeline.heading_ids import AutoIds, auto_id, converter_id
from pipeline.run import Translator

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
def test_converter_id_is_kramdowns_inside_a_markdown_html_element() -> None:
    """A heading inside `<div markdown="1">` is not reached by kramdown-parser-gfm: its id is
    kramdown's converter's (ASCII only; `section` when nothing is left), as the site check reads it."""
    docs = {str(i): (f'<div markdown="1">\n\n## {text}\n\n</div>\n', {}) for i, text in enumerate(HEADINGS)}
    rendered = oracle.render_many(docs)
    got = {text: converter_id(_text(rendered[str(i)]).strip()) for i, text in enumerate(HEADINGS)}
    expected = {text: _ids(rendered[str(i)])[0] for i, text in enumerate(HEADINGS)}
    assert got == expected
    assert "section" in got.values()  # `全角（かっこ）と、句読点。` keeps nothing


@needs_kramdown
def test_repeated_headings_count_as_kramdown_counts() -> None:
    texts = ["概要", "概要", "概要-1", "Summary", "summary", "概要"]
    (html,) = oracle.render_many({"doc": ("".join(f"## {t}\n\n段落\n\n" for t in texts), {})}).values()
    ids = AutoIds()
    assert [ids.next(t) for t in texts] == _ids(html)


POST = """---
title: リンク
---
目次：[はじめにへ](#はじめに)、[概要へ](#%E6%A6%82%E8%A6%81 "概要の題")、<a href="#はじめに-1">二つ目</a>、[名前付き](#named)、[長い](#はじめにへ)。

## はじめに

本文です。[最後へ](#まとめ--最後)

## 概要

## はじめに

## 名前付きの見出し {#named}

## はじめにへ

## まとめ -- 最後

`[コード](#はじめに)` はコードのまま。
"""


def _links_and_ids(html: str) -> tuple[list[str], set[str]]:
    return [unquote(h) for h in re.findall(r'href="#([^"]*)"', html)], set(re.findall(r' id="([^"]*)"', html))


def _edition(tmp_path: Path, engine: Engine) -> tuple[str, list[str]]:
    source = tmp_path / "content" / "ja" / "2024-01-01-links.md"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(POST, encoding="utf-8")
    statuses = []
    for _ in range(2):  # the second run reuses the first's English: nothing mistaken for a translator's edit
        (result,) = Translator(Settings(root=tmp_path), engine, MemoryCache()).run([source], force=True).posts
        assert result.error is None  # and nothing flagged but, from the identity engine, the Japanese title left
        assert [f.code for f in result.flags if f.code != "front-matter-left"] == []
        statuses.append(result.status)
    assert result.output is not None
    return result.output.read_text(encoding="utf-8"), statuses


@needs_kramdown
def test_in_page_links_point_at_the_english_headings(tmp_path: Path) -> None:
    """`[…](#はじめに)` links to kramdown's id of `## はじめに`; in English the heading's id is
    made from the English text, so the link must name that one (repeats counted, encoded
    fragments decoded, `<a href>` too; an explicit `{#id}` and a code span left alone)."""
    english, statuses = _edition(tmp_path, PseudoEngine())
    assert statuses == ["written", "unchanged"]
    body = english.split("---\n", 2)[2]
    pages = oracle.render_many({"ja": (POST.split("---\n", 2)[2], {}), "en": (body, {})})
    ja_links, ja_ids = _links_and_ids(pages["ja"])
    en_links, en_ids = _links_and_ids(pages["en"])
    assert len(en_links) == len(ja_links) == 6
    assert all(link in ja_ids for link in ja_links)  # the source's links all work
    assert [link in en_ids for link in en_links] == [True] * 6
    assert "[hajimenihe](#hajimeni)" in body and 'href="#hajimeni-1"' in body and "(#named)" in body
    assert "`[コード](#はじめに)`" in body


def test_identity_edition_keeps_every_fragment(tmp_path: Path) -> None:
    english, _ = _edition(tmp_path, IdentityEngine())
    assert english == POST.replace("title: リンク\n", "title: リンク\nlang: en\nref: 2024-01-01-links\n", 1)
