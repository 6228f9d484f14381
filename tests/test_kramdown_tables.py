"""Where kramdown reads a table inside a list item (pipeline.kramdown `table`), as Jekyll's
kramdown reads it.

Each case is a small list whose item holds `|`. Debian's kramdown, with Jekyll's options,
says whether the page has a table there; the pipeline must read one exactly then (its
cells sent as table cells, their `|` kept), and a paragraph otherwise (whose `|` the
English writes as `&#124;`). kramdown parses an item's lines up to its first nested list on
their own, so a table on those lines ends where the nested list begins; a line indented
less than the item, and no list item itself, is the item's lazy line and continues it.
"""

from __future__ import annotations

import pytest

import kramdown_oracle as oracle
from pipeline.segment import split

CASES = {
    "nested item": "- 親\n  - 子 | 値\n",
    "nested item, more indented": "- 親\n    - [リンク](https://a.b/) | 説明\n",
    "top item before its nested list": "- 親 | 値\n  - 子\n",
    "nested item before its own nested list": "- 親\n  - 子 | 値\n    - 孫\n",
    "nested item, then a sibling of its parent": "- 親\n  - 子 | 値\n- 親2\n",
    "nested item with a lazy line": "- 親\n  - 子 | 値\n  続き\n",
    "after the item's first line": "- 親\n  - 子\n    説明 | 値\n",
    "nested item after a blank line, before a nested list": "- 親\n\n  - 子 | 値\n    - 孫\n",
}

pytestmark = pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    return oracle.render_many({name: (text, {}) for name, text in CASES.items()})


@pytest.mark.parametrize("name", CASES)
def test_a_table_in_a_list_item_is_read_as_kramdown_reads_it(name: str, renders: dict[str, str]) -> None:
    text = CASES[name]
    cells = [s for s in split(text, dialect="kramdown").segments if s.kind == "table_cell"]
    assert bool(cells) == ("<table" in renders[name]), (renders[name], cells)
