"""Code spans as Jekyll's kramdown reads them (pipeline.kramdown.spans `code_span`).

kramdown's `parse_codespan` closes a span at the next occurrence of its opening run, inside a
longer run too, where CommonMark wants a run of exactly that length: 4D Japan's blog wrote
`` `"[object Vector]"`` `` (a code span, then a backtick, on the page). Read as text, the English
escaped every backtick, and the page lost the code span. A lone backtick between spaces is
text, and a run never closed is text.

Debian's kramdown is the judge: each case's pseudo translation renders to the elements its
source renders to, and every code span of the source is kept in the engine text.
"""

from __future__ import annotations

import re

import pytest

import kramdown_oracle as oracle
from pipeline.segment import split

CASES = {
    "a span closed inside a longer run": '無効なJSONです。`"[object Vector]"``という文字列が返されるべきです。\n',
    "a double span closed inside a triple run": "説明です。``a ` b```の説明です。\n",
    "a lone backtick between spaces": "テスト ` です。 `コード` です。\n",
    "a run never closed": "``未完のコードです。\n\n次の段落です。\n",
    "a span over two lines": "`a\nb` の説明です。\n",
    "spaces trimmed in a double span": "`` `x` `` の説明です。\n",
}

pytestmark = pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    return oracle.render_with_translations(CASES)


@pytest.mark.parametrize("name", CASES)
def test_a_code_span_is_read_as_kramdown_reads_it(name: str, renders: dict[str, str]) -> None:
    assert oracle.structure(renders[name + "#translated"]) == oracle.structure(renders[name])
    codes = re.findall(r"<code>(.*?)</code>", renders[name], re.S)
    xml = " ".join(s.xml for s in split(CASES[name], dialect="kramdown").segments)
    assert len(re.findall(r"<x id=", xml)) >= len(codes), (codes, xml)
