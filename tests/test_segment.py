"""segment.split / splice: which blocks become segments, and their exact spans in the body."""

from __future__ import annotations

import pytest

from pipeline.segment import split, splice


def spans(body: str) -> list[tuple[str, int, str]]:
    return [(s.kind, s.line, s.source) for s in split(body).segments]


def test_every_span_is_the_exact_source_text() -> None:
    body = "# 見出し #\n\n> 引用の\n> 続き\n\n- 項目\n  続き\n\n| 表 | 値 |\n|---|---|\n| 行 | 値 |\n"
    skeleton = split(body)
    for segment in skeleton.segments:
        assert body[segment.start : segment.end] == segment.source
    assert spans(body) == [
        ("heading", 1, "見出し"),
        ("paragraph", 3, "引用の\n> 続き"),  # the span runs across the quote marker; glue puts it back
        ("paragraph", 6, "項目\n  続き"),
        ("table_cell", 9, "表"),
        ("table_cell", 9, "値"),
        ("table_cell", 11, "行"),
        ("table_cell", 11, "値"),
    ]


def test_repeated_cell_text_in_one_row_gets_distinct_spans() -> None:
    """Cells are located left to right from the previous cell's end, not by the first match."""
    body = "| 同じ | 同じ |\n|---|---|\n| 同じ | 同じ |\n"
    starts = [s.start for s in split(body).segments]
    assert starts == [2, 7, 24, 29]
    assert all(body[s : s + 2] == "同じ" for s in starts)


def test_blocks_that_are_never_translated_make_no_segment() -> None:
    body = (
        "```\n日本語のコード\n```\n\n    字下げコード\n\n<pre>\nHTMLの日本語\n</pre>\n\n<!-- 注釈 -->\n\n"
        "{% raw %}\n{{ 日本語 }}\n{% endraw %}\n\n{{ page.title }} {% include a.html %}\n\n"
        "$$\n日本語の式\n$$\n\n[参照]: https://example.com\n\n---\n"
    )
    assert split(body).segments == ()
    assert split(body).skipped == ()


def test_a_reference_definitions_title_is_a_segment_of_its_own() -> None:
    """Every link to the definition shows its title: the title alone is sent, the label and
    destination kept; a definition inside a quote is left (and counted)."""
    body = '[参照]: https://example.com "題名"\n[二つ]: <https://x>\n  (括弧の題)\n\n> [q]: /q "引用"\n'
    assert spans(body) == [("link_title", 1, "題名"), ("link_title", 3, "括弧の題")]
    (first, second) = split(body).segments
    assert second.protected.title_quote == "(" and body[second.start - 1 : second.end + 1] == "(括弧の題)"


def test_html_block_text_and_translated_attributes_are_segments() -> None:
    """Issue 14: each run of text between block elements is a segment, inline elements
    travel as tags, `alt`/`title` values are segments; comments, code and other attributes
    are never sent."""
    body = (
        '<div class="note" data-x="属性">\n<h5>ヒント</h5>\n<p>この<strong>注意書き</strong>は<code>コード</code>見えます。</p>\n'
        '<img src="a.png" alt="画像" title="題">\n<!-- 注釈 -->\n<script>"日本語"</script>\n</div>\n'
    )
    skeleton = split(body, dialect="kramdown")
    assert [(s.kind, s.line, s.source) for s in skeleton.segments] == [
        ("html", 2, "ヒント"),
        ("html", 3, "この<strong>注意書き</strong>は<code>コード</code>見えます。"),
        ("html_attribute", 4, "画像"),
        ("html_attribute", 4, "題"),
    ]
    assert skeleton.segments[1].xml == 'この<strong id="1">注意書き</strong>は<x id="2">コード</x>見えます。'
    assert skeleton.skipped == ()


def test_liquid_tags_with_prose_between_them_are_a_paragraph() -> None:
    """Each tag ends at its own closer: `{{ a }} text {{ b }}` is not a Liquid-only line."""
    assert spans("{{ a }} の説明 {{ b }}\n") == [("paragraph", 1, "{{ a }} の説明 {{ b }}")]


def test_an_end_tag_with_words_after_its_name_ends_its_block_as_liquid_ends_it() -> None:
    """Liquid reads `{% endhighlight sh %}` as `{% endhighlight %}` (the words after an end
    tag's name are ignored; Liquid 5.4): railsgirls.jp's Heroku guide closes a block so, and
    the prose after it is on the page. Read as code up to the next `{% endhighlight %}`, it
    stayed Japanese on the English page, unflagged."""
    body = (
        "{% highlight sh %}\nheroku create\n{% endhighlight sh %}\n\nこの場合は名前を考えてください。\n\n"
        "{%- comment -%}\n注釈\n{%- endcomment note -%}\n\n次の段落\n\n"
        "{% highlight sh %}\ngit push\n{% endhighlight %}\n\n{% raw %}{{ x }}{% endraw x %}と表示されます。\n"
    )
    assert spans(body) == [
        ("paragraph", 5, "この場合は名前を考えてください。"),
        ("paragraph", 11, "次の段落"),
        ("paragraph", 17, "{% raw %}{{ x }}{% endraw x %}と表示されます。"),
    ]


def test_an_end_tag_name_runs_to_its_end() -> None:
    """`{% endhighlighting %}` is another tag, which does not end a highlight block."""
    body = "{% highlight sh %}\nx\n{% endhighlighting %}\n日本語\n{% endhighlight %}\n\n後の段落\n"
    assert spans(body) == [("paragraph", 7, "後の段落")]


def test_crlf_body_keeps_spans_and_lines() -> None:
    body = "一行目\r\n\r\n> 引用\r\n> 続き\r\n"
    skeleton = split(body)
    assert [(s.line, s.source) for s in skeleton.segments] == [(1, "一行目"), (3, "引用\r\n> 続き")]
    quote = skeleton.segments[1].protected
    assert quote.joined == "引用続き"


def test_hard_break_glue_keeps_the_container_prefix() -> None:
    (segment,) = split("> 一行目\\\n>   二行目\n").segments
    (element,) = segment.protected.elements.values()
    assert element.kind == "break" and element.open == "\\\n>   "


def test_text_that_cannot_be_located_is_skipped_not_guessed() -> None:
    """markdown-it sees a NUL as U+FFFD: the text is not in the body, so the block is left alone."""
    skeleton = split("日本語\0です\n\n次の段落\n")
    assert [s.source for s in skeleton.segments] == ["次の段落"]
    (skipped,) = skeleton.skipped
    assert skipped.line == 1 and "could not locate the paragraph" in skipped.reason


@pytest.mark.parametrize(
    ("replacements", "expected"),
    [
        ([], "abcdef"),
        ([(4, 6, "EF"), (0, 1, "A")], "AbcdEF"),  # given out of order
        ([(1, 2, "X"), (2, 3, "Y")], "aXYdef"),  # adjacent
        ([(3, 3, "+")], "abc+def"),  # an empty span inserts
        ([(0, 6, "")], ""),
    ],
)
def test_splice(replacements: list[tuple[int, int, str]], expected: str) -> None:
    assert splice("abcdef", replacements) == expected
