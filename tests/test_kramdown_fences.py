"""Fenced code blocks and HTML blocks inside list items, as Jekyll's kramdown reads them.

kramdown parses a list item's own lines (cut out first, their indentation removed), so a
fence opened in an item closes in the item or is no fence: a closing line past the item's
end does not count. markdown-it hands an item's rules the rest of the document. Microsoft's
Japanese Office docs: `   ```command line` (no fence to kramdown: its info string is two
words), `   npm start`, `   ```` in a list item, then a paragraph: the last line opened a
fence that ran to the next ```` ``` ```` twenty lines later, and the paragraphs between stayed
Japanese on the English page, unflagged.

4D Japan's blog: `* <database>.4db` (an element kramdown does not know: block HTML, never
closed) auto-closes at its item's end; read on to the document's end, the rest of the post
went to the engine as HTML text, and a heading lost its place.

Debian's kramdown is the judge: each sentence is sent for translation exactly when the page
shows it outside code.
"""

from __future__ import annotations

import re

import pytest

import kramdown_oracle as oracle
from pipeline.segment import split

CASES = {
    "a code span closing an item, a fence far below": (
        "1. 手順です。\n\n   ```command line\n   npm start\n   ```\n\n後の段落です。\n\n## 見出しです\n\n```xml\n<a/>\n```\n"
    ),
    "a fence closed inside its item": "1. 手順です。\n\n   ```sh\n   npm start\n   ```\n\n後の段落です。\n",
    "a fence whose closing line is outside its item": "- 項目です。\n\n  ```\n  コードです。\n\n後の段落です。\n```\n",
    "a fence closed by the next item's line": "1. 手順です。\n   ```\n   コードです。\n2. 次の手順です。\n   ```\n\n後の段落です。\n",
    "an unclosed HTML element in an item": "後の前です。\n\n* <database>.4db\n* <databae>.4dIndy\n\n#### 見出しです\n後の段落です。\n",
    "an HTML element closed after its item": "- <section>\n  中身です。\n\n後の段落です。\n</section>\n",
    "a lazy line inside an item's fence": "- 項目です。\n\n  ```\n  コードです。\n遅延の行です。\n  ```\n\n後の段落です。\n",
}
SENTENCES = re.compile(r"[^\s`#<>/\d.-][^\n`<>]*?です。|見出しです")

pytestmark = pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    return oracle.render_with_translations(CASES)


def _shown_as_prose(html: str) -> str:
    return re.sub(r"<pre.*?</pre>|<code.*?</code>", "", html, flags=re.S)


@pytest.mark.parametrize("name", CASES)
def test_a_fence_in_a_list_item_ends_where_kramdown_ends_it(name: str, renders: dict[str, str]) -> None:
    text = CASES[name]
    sent = " ".join(s.source for s in split(text, dialect="kramdown").segments)
    prose = _shown_as_prose(renders[name])
    for sentence in dict.fromkeys(SENTENCES.findall(text)):
        assert (sentence in sent) == (sentence in prose), (sentence, renders[name], sent)


@pytest.mark.parametrize("name", CASES)
def test_the_translation_renders_to_the_same_elements(name: str, renders: dict[str, str]) -> None:
    assert oracle.structure(renders[name + "#translated"]) == oracle.structure(renders[name])
