"""How far a footnote definition runs, as Jekyll's kramdown reads it (pipeline.kramdown.footnotes).

kramdown's definition is its first line and then only lines indented four columns (with their
lazy lines); markdown-it's footnote plugin also takes the lines right after the first as lazy
continuation. haskell-jp's blog has `[^3]: …` followed by a line indented two spaces: a
paragraph of the body on the page, which the pipeline read into the footnote, and the English
edition, written with the footnote's text on one line, lost that paragraph. Debian's kramdown
is the judge: each case's translation renders to the elements its source renders to.
"""

from __future__ import annotations

import pytest

import kramdown_oracle as oracle
from pipeline.engines.pseudo import PseudoEngine
from pipeline.inline import restore
from pipeline.segment import splice, split

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
}

pytestmark = pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")


def _translated(text: str) -> str:
    segments = list(split(text, dialect="kramdown").segments)
    answers = PseudoEngine().translate([s.xml for s in segments])
    return splice(text, [(s.start, s.end, restore(a.text, s.protected)) for s, a in zip(segments, answers)])


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    docs = {name: (text, {}) for name, text in CASES.items()}
    docs.update({name + "#translated": (_translated(text), {}) for name, text in CASES.items()})
    return oracle.render_many(docs)


@pytest.mark.parametrize("name", CASES)
def test_a_footnote_definition_ends_where_kramdowns_does(name: str, renders: dict[str, str]) -> None:
    assert oracle.structure(renders[name + "#translated"]) == oracle.structure(renders[name])


def test_the_line_after_the_definition_is_a_paragraph_of_its_own() -> None:
    texts = [(s.kind, s.source) for s in split(CASES["a line indented two spaces after the first"], dialect="kramdown").segments]
    assert ("paragraph", "注の一行目") in texts and ("paragraph", "次の段落") in texts
