"""inline.protect / restore / protect_plain: behaviour the golden files and the round trips do not pin.

tests/test_golden.py shows the engine XML and restored Markdown of many single cases;
these tests check properties: what counts as prose, what the element table holds, how
restore treats front matter text, and the table-cell and math edges.
"""

from __future__ import annotations

import re

import pytest

from pipeline.engines.pseudo import PseudoEngine
from pipeline.errors import StructureError
from pipeline.inline import Element, protect_plain, restore
from pipeline.markdown import renderer
from pipeline.segment import split, splice


def only(body: str, keep: re.Pattern[str] | None = None):
    (segment,) = split(body, keep=keep).segments
    return segment.protected


def test_japanese_only_inside_protected_elements_is_not_prose() -> None:
    """Code, Liquid and HTML hold Japanese the engine must never see as prose: nothing to send."""
    assert not only("`日本語` {{ 変数 }} <span title='属性'>x</span>").has_prose
    assert only("`日本語`の説明").has_prose
    assert not only("Only English, 100% ASCII.").has_prose
    # full-width forms alone are sent (issue 26): the leftover count would find them on the English page
    assert only("Fullwidth ＡＢＣ！").has_prose and only("2024-01-29 〜 2024-02-04").has_prose


def test_element_table_holds_the_authors_exact_markup() -> None:
    protected = only('__強調__、[リンク]( <a b.md> "題" )と`` x ``')
    assert protected.elements == {
        "1": Element("pair", "b", "__", "__"),
        "2": Element("pair", "a", "[", ']( <a b.md> "題" )'),
        "3": Element("keep", "x", "`` x ``"),
    }
    assert protected.xml == '<b id="1">強調</b>、<a id="2">リンク</a>と<x id="3">x</x>'


def test_a_backslash_before_a_japanese_character_is_kept_alone() -> None:
    """`タブ\\を閉じます` (machine-translated Microsoft docs): no escape to kramdown or CommonMark
    (only ASCII punctuation escapes), so the page shows the backslash and the `を`. Kept as one
    element with its backslash, the `を` never reached the engine and stayed on the English
    page, uncounted; now only the backslash is kept."""
    protected = only("ページ タブ\\を閉じます。\\(括弧\\)")
    assert protected.xml == 'ページ タブ<x id="1">\\</x>を閉じます。<x id="2">(</x>括弧<x id="3">)</x>'
    assert restore(protected.xml, protected) == "ページ タブ\\を閉じます。\\(括弧\\)"
    answer = PseudoEngine().translate([protected.xml])[0].text
    assert "を" not in restore(answer, protected)


def test_xml_invalid_characters_travel_as_empty_kept_elements() -> None:
    """A control character cannot be sent in XML 1.0; it is cut out and put back."""
    protected = only("日本語\x01です")
    assert protected.xml == '日本語<x id="1"/>です'
    assert restore('Japanese<x id="1"/>text', protected) == "Japanese\x01text"


def test_restore_answer_equal_to_source_text_is_the_joined_source() -> None:
    protected = only("一行目と\n二行目")
    assert protected.joined == "一行目と二行目"
    assert restore(protected.xml, protected) == protected.joined


def test_restore_rejects_text_where_an_element_was() -> None:
    protected = only("**太字**です")
    with pytest.raises(StructureError, match="lost 1 tag"):
        restore("Bold text", protected)


def test_a_translated_digit_is_kept_off_a_math_span() -> None:
    """`$x$1` is not math in this grammar: a space keeps the span math."""
    protected = only("式$x$です")
    out = restore('Formula <x id="1">x</x>1', protected)
    assert out == "Formula $x$ 1"
    assert '<span class="math inline">x</span>' in renderer().render(out)
    assert "math" not in renderer().render("Formula $x$1")  # what the answer would have given


def test_math_at_paragraph_start_does_not_depend_on_the_last_character() -> None:
    """markdown.py's fix: `$x$ ... 1` parses like `$x$ ... 一` (the plugin looked at src[-1])."""
    for body in ("$x$は1", "$x$は一", "$x$ is 1"):
        protected = only(body)
        assert protected.elements["1"] == Element("keep", "x", "$x$"), body


def test_multi_line_image_alt_is_joined_like_soft_breaks() -> None:
    protected = only("![猫の\n写真](a.png)と![cat\nphoto](b.png)")
    assert protected.xml == '<img id="1">猫の写真</img>と<x id="2">cat\nphoto</x>'
    assert restore('<img id="1">a photo of a cat</img> and <x id="2"/>', protected) == (
        "![a photo of a cat](a.png) and ![cat\nphoto](b.png)"
    )


def test_protect_plain_keeps_line_breaks_and_never_escapes() -> None:
    """Front matter values are printed by Jekyll, not rendered: the answer is taken as it is."""
    protected = protect_plain("複数行\nの*説明* & <x>")
    assert protected.plain and protected.xml == "複数行\nの*説明* &amp; &lt;x&gt;"
    assert restore("Several\nlines of *text* &amp; &lt;x&gt;", protected) == "Several\nlines of *text* & <x>"


def test_protect_plain_protects_names() -> None:
    keep = re.compile(r"(?<![A-Za-z0-9])(?:Claude)(?![A-Za-z0-9])")
    protected = protect_plain("Claudeの紹介", keep)
    assert protected.xml == '<x id="1">Claude</x>の紹介'
    assert restore('Introducing <x id="1">claude</x>', protected) == "Introducing Claude"


def test_table_cell_restore_escapes_every_pipe() -> None:
    skeleton = split("| 列 |\n|---|\n| 説明 `a\\|b` |\n")
    cell = skeleton.segments[-1].protected
    assert cell.escape_pipes and cell.joined == "説明 `a\\|b`"
    assert restore('x|y <x id="1">a|b</x>', cell) == "x\\|y `a\\|b`"


def test_backtick_in_a_table_cell_stays_in_its_cell() -> None:
    """Known limitation (GFM, not ours): cells are split at every unescaped `|` before inline
    parsing, so `` `a | b` `` is two cells and a lone backtick never opens a code span
    across cells or rows. Identity keeps the bytes, and a translated cell holding a backtick
    writes it as `&#96;`, so the table's rendered structure is unchanged."""
    body = "| 記号 | 説明 |\n|---|---|\n| `a | b` |\n| 記号 ` | 説明 ` |\n"
    skeleton = split(body)
    assert [s.source for s in skeleton.segments] == ["記号", "説明", "`a", "b`", "記号 `", "説明 `"]
    assert skeleton.skipped == ()
    engine = PseudoEngine()
    edits = [
        (s.start, s.end, restore(engine.translate([s.xml])[0].text, s.protected))
        for s in skeleton.segments
        if s.protected.has_prose
    ]
    english = splice(body, edits)
    assert english.splitlines()[3] == "| ⟦kigou &#96;⟧ | ⟦setsumei &#96;⟧ |"
    assert renderer().render(english).count("<td>") == renderer().render(body).count("<td>") == 4
    assert "<code>" not in renderer().render(english)


def test_names_never_match_inside_a_longer_latin_word() -> None:
    keep = re.compile(r"(?<![A-Za-z0-9])(?:AWS re:Invent|re:Invent|Claude)(?![A-Za-z0-9])")
    protected = only("ClaudeとAWS re:Invent、MyClaudeとClaude3", keep)
    assert [e.open for e in protected.elements.values()] == ["Claude", "AWS re:Invent"]
