"""A line that starts like HTML markup but never finishes it (`<!--` with no `-->`) is text
to kramdown, not an HTML block: its paragraph is translated as prose, the identity engine
gives back its bytes, and an engine's answer cannot turn it into a comment that hides the
rest of the page. Found by tests/test_fuzz_reader.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_hostile_input import translate_body

import kramdown_oracle as oracle
from pipeline.inline import restore
from pipeline.japanese import JAPANESE
from pipeline.segment import split, splice

UNCLOSED_COMMENTS = [
    "<!--# コミュニティーガイド {#community-guide}\n",  # the fuzz test's find
    "<!-- コミュニティー\n",
    "テスト\n<!-- コミュニティー\n",
    "  <!-- コミュニティー -- 続き\n",
    "<!-- 一行目\n\n二行目\n",
    "> <!-- 引用\n",
    "- <!-- 項目\n",
    # inside an HTML block: kramdown shows the `<` as text and reads the end tag after it
    "<div>\nテスト <!-- コメント\n</div>\n",
    "<div>\n<!-- コメント\n</div>\n",
    "<div>\nテスト <? 処理\n</div>\n",
    "<p>テスト <!X 宣言</p>\n",
    "<div>テスト <span コメント</div>\n",
    "<div>\nテスト </b コメント\n</div>\n",
]


@pytest.mark.parametrize("body", UNCLOSED_COMMENTS)
def test_an_unclosed_comment_translates_byte_exact(tmp_path: Path, body: str) -> None:
    assert translate_body(tmp_path, body) == body


def test_an_unclosed_comment_is_a_paragraph_as_kramdown_reads_it() -> None:
    kinds = [s.kind for s in split("<!-- 一行目\n\n二行目\n", dialect="kramdown").segments]
    assert kinds == ["paragraph", "paragraph"]


@pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")
def test_an_answer_that_closes_the_comment_hides_nothing() -> None:
    """Each segment answered with the source's `<!--` kept and a `-->` of the engine's: the
    English page has the Japanese page's elements, and every answer's words are on it."""
    source = "<!-- 一行目\n\n二行目 **強調**\n"
    segments = split(source, dialect="kramdown").segments
    answers = ["&lt;!-- First line --&gt; hidden?", 'Second line --&gt; <b id="1">bold</b>']
    assert len(segments) == len(answers)
    edition = splice(source, [(s.start, s.end, restore(a, s.protected)) for s, a in zip(segments, answers)])
    pages = oracle.render_many({"ja": (source, {}), "en": (edition, {})})
    assert oracle.structure(pages["en"]) == oracle.structure(pages["ja"])
    assert "hidden?" in pages["en"] and "Second line" in pages["en"] and "<!--" not in pages["en"]


@pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")
def test_an_engines_comment_end_does_not_close_a_kept_comment_opener() -> None:
    """`<!-- abc` holds no Japanese, so it is not sent and stays as written; a `-->` in a later
    paragraph's English would make kramdown read a comment from it to there, hiding both."""
    source = "<!-- abc\n\n二行目\n\n三行目\n"
    segments = [s for s in split(source, dialect="kramdown").segments if JAPANESE.search(s.source)]  # what is sent
    assert [s.source for s in segments] == ["二行目", "三行目"]
    answers = ["Line two --&gt; shown", "Line three"]
    edition = splice(source, [(s.start, s.end, restore(a, s.protected)) for s, a in zip(segments, answers)])
    pages = oracle.render_many({"ja": (source, {}), "en": (edition, {})})
    assert oracle.structure(pages["en"]) == oracle.structure(pages["ja"])
    assert "Line two" in pages["en"] and "<!--" not in pages["en"]


@pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")
def test_an_unclosed_comment_in_an_html_block_leaves_its_end_tag_a_tag() -> None:
    """`<!-- コメント` with no `-->` inside a `<div>`: its text is translated, the `</div>` after
    it stays the element's end tag (the tokenizer once took it as text up to its `>`)."""
    source = "<div>\nテスト <!-- コメント\n</div>\n\n段落\n"
    segments = split(source, dialect="kramdown").segments
    assert [s.source for s in segments] == ["テスト <!-- コメント", "段落"]
    answers = ["Test &lt;!-- comment --&gt; shown", "Paragraph"]
    edition = splice(source, [(s.start, s.end, restore(a, s.protected)) for s, a in zip(segments, answers)])
    assert edition == "<div>\nTest &lt;!-- comment --&gt; shown\n</div>\n\nParagraph\n"
    pages = oracle.render_many({"ja": (source, {}), "en": (edition, {})})
    assert oracle.structure(pages["en"]) == oracle.structure(pages["ja"])
    assert "shown" in pages["en"] and "&lt;/div" not in pages["en"]


# markup to Python's HTML tokenizer that kramdown's raw HTML parser shows as text
NOT_MARKUP_TO_KRAMDOWN = [  # (the block, the text of it that is translated)
    ("<div>\nテスト <? 処理\n</div>\n", "テスト <? 処理"),  # a processing instruction wants `?>`
    ("<p>テスト <!X 宣言</p>\n", "テスト <!X 宣言"),  # kramdown reads no declaration
    ("<div>\n<!DOCTYPE 宣言>\n</div>\n", "<!DOCTYPE 宣言>"),
    ("<div>テスト <span コメント</div>\n", "テスト <span コメント"),  # no tag to HTML_TAG_RE: its `>` is the `</div>`'s
    ("<div>\nテスト </b コメント\n</div>\n", "テスト </b コメント"),
]


@pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")
def test_what_kramdown_shows_as_text_in_an_html_block_is_translated_as_text() -> None:
    """The Japanese a reader sees is sent (it was kept unsent, or sent with the end tag after
    it as text, and the English page lost the element's end); the page keeps its elements."""
    docs: dict[str, tuple[str, dict]] = {}
    for i, (source, text) in enumerate(NOT_MARKUP_TO_KRAMDOWN):
        segments = split(source, dialect="kramdown").segments
        assert [s.source for s in segments] == [text]
        answer = "Text &lt; not markup"
        docs[f"ja{i}"] = (source, {})
        docs[f"en{i}"] = (splice(source, [(segments[0].start, segments[0].end, restore(answer, segments[0].protected))]), {})
    pages = oracle.render_many(docs)
    for i, (source, _) in enumerate(NOT_MARKUP_TO_KRAMDOWN):
        assert oracle.structure(pages[f"en{i}"]) == oracle.structure(pages[f"ja{i}"]), source
        assert "Text &lt; not markup" in pages[f"en{i}"], source
