"""Footnotes and link definitions as Jekyll's kramdown reads them (pipeline.kramdown.footnotes,
`blocks.link_definition`), found on haskell-jp's blog.

* kramdown's footnote definition is its first line and then only lines indented four columns
  (with their lazy lines); markdown-it's footnote plugin also takes the lines right after the
  first as lazy continuation. `[^3]: …` followed by a line indented two spaces: a paragraph of
  the body on the page, which the pipeline read into the footnote, and the English edition,
  written with the footnote's text on one line, lost that paragraph.
* A footnote's name is ASCII word characters and `-` (Ruby's word characters are ASCII): `[^types.hs]: 当時は…` is a link
  definition to kramdown, which the page does not show. Read as a footnote, its text was
  translated, and an English answer with ` "` in it (no link definition's url may hold one)
  made a paragraph the Japanese page does not have.
* A link definition's url may hold spaces (`[b]: some page`).

Debian's kramdown is the judge: each case's translation renders to the elements its source
renders to.
"""

from __future__ import annotations

import pytest

import kramdown_oracle as oracle
from pipeline.segment import split

CASES = {
    "a line indented two spaces after the first": "本文[^3]\n\n[^3]: 注の一行目\n  次の段落\n",
    "an unindented line after the first": "本文[^3]\n\n[^3]: 注の一行目\n次の段落\n",
    "a line indented three spaces": "本文[^1]\n\n[^1]: 注の一行目\n   次の段落\n",
    "an empty first line, then an unindented line": "本文[^4]\n\n[^4]:\n段落\n",
    "an empty first line, then an indented line": "本文[^4]\n\n[^4]:\n    注の本文\n",
    "indented lines and a second paragraph": "本文[^1]\n\n[^1]: 一行目\n    二行目\n\n    二つ目の段落\n",
    "an indented line, then a lazy one": "本文[^1]\n\n[^1]: 一行目\n    二行目\n続きの行\n",
    "a tab-indented line": "本文[^1]\n\n[^1]: 一行目\n\t二行目\n",
    "inside a list item": "- 項目[^1]\n\n  [^1]: 注\n  次の段落\n\n  もう一つ\n",
    "a name with a dot": "本文[^types.hs]。\n\n[^types.hs]: 当時は「ルートのモジュール」で行います。\n\n次の段落\n",
    "a Japanese name": "本文[^注1]。\n\n[^注1]: 注の本文です。\n",
    "a definition right under a paragraph line": "段落の一行目\n[^1]: 注ではない\n\n本文[^1]\n",
    "a link definition whose url holds spaces": "[リンク][参考]を見る。\n\n[参考]: some page here\n",
    "a link definition with a space before a quote": "[リンク][参考]を見る。\n\n[参考]: 説明 \"引用\" です\n",
    "a link definition whose url is on the next line": "[ヘルパーの説明][]と[`form_with`][]を見る。\n\n[ヘルパーの説明]:\n  https://api.rubyonrails.org/\n\n[`form_with`]:\n  https://api.rubyonrails.org/form\n",
    "two lines of terms": "前文\n\n用語A\n用語B\n: 定義です。\n\n後文\n",
    "terms, a blank line, a definition": "前文\n\n用語A\n用語B\n\n: 定義です。\n",
    "two groups of terms": "用語A\n用語B\n: 定義A\n\n用語C\n  用語D\n: 定義C\n: 定義D\n",
    "Microsoft's :::row::: block over a `: ` line": (
        ":::row:::\n   :::column span=\"\":::\n      要求の行バー `www.bing.com` 表現\n: ::image-end:::  \n   :::column-end:::\n"
    ),
}

pytestmark = pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    return oracle.render_with_translations(CASES)


@pytest.mark.parametrize("name", CASES)
def test_a_definition_is_read_as_kramdown_reads_it(name: str, renders: dict[str, str]) -> None:
    assert oracle.structure(renders[name + "#translated"]) == oracle.structure(renders[name])


def test_the_line_after_the_definition_is_a_paragraph_of_its_own() -> None:
    texts = [(s.kind, s.source) for s in split(CASES["a line indented two spaces after the first"], dialect="kramdown").segments]
    assert ("paragraph", "注の一行目") in texts and ("paragraph", "次の段落") in texts


def test_a_link_definition_kramdown_reads_is_kept_and_never_sent() -> None:
    """`[^types.hs]: …` and `[参考]: some page here`: no text of theirs goes to the engine."""
    for name in ("a name with a dot", "a Japanese name", "a link definition whose url holds spaces"):
        sources = [s.source for s in split(CASES[name], dialect="kramdown").segments]
        assert not [s for s in sources if "当時" in s or "注の本文" in s or "some page" in s], (name, sources)
