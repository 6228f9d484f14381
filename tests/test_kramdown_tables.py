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

from pathlib import Path

import pytest

import kramdown_oracle as oracle
from pipeline.cache import MemoryCache
from pipeline.config import Settings
from pipeline.engines.pseudo import PseudoEngine
from pipeline.run import Translator
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


DEFINITIONS = {
    "link definitions whose titles hold `|`": '前文\n\n[a]: https://x.org "A | GitHub"\n[b]: https://y.org "C | W3C"\n\n本文 [a] と [b]。\n',
    "one of them without `|`": '前文\n\n[a]: https://x.org "A | GitHub"\n[b]: https://y.org "C"\n\n本文 [a] と [b]。\n',
    "after a definition without `|`": '前文\n\n[b]: https://y.org "C"\n[a]: https://x.org "A | GitHub"\n\n本文 [a] と [b]。\n',
    "a lone definition between blank lines": '前文\n\n[a]: https://x.org "A | GitHub"\n\n本文 [a]。\n',
    "a title holding what kramdown reads as an HTML tag": (
        '前文\n\n[a]: https://x.org "A | GitHub"\n[b]: https://y.org "CSS <タイプ> コンポーネント | Chromium"\n\n本文 [a] と [b]。\n'
    ),
    "a footnote definition": "本文[^1]。\n\n[^1]: 注 | 値\n",
    "an abbreviation": "HTML の話。\n\n*[HTML]: Hyper | Text\n",
}


@pytest.fixture(scope="module")
def definition_renders() -> dict[str, str]:
    return oracle.render_many({name: (text, {}) for name, text in DEFINITIONS.items()})


@pytest.mark.parametrize("name", DEFINITIONS)
def test_definitions_holding_a_pipe_are_a_table_where_kramdown_reads_one(name: str, definition_renders: dict[str, str]) -> None:
    """kramdown tries a table before a link, footnote or abbreviation definition: definition
    lines that all hold `|`, between blank lines, are a table on the page, and what they
    define is not (Microsoft's Japanese Edge docs: link titles `"… | GitHub"`). Read as
    definitions, a title's `[[Create]](origin, …)`, a link in a cell on the page, went to the
    engine as plain text and lost its link on the English page."""
    text = DEFINITIONS[name]
    cells = [s for s in split(text, dialect="kramdown").segments if s.kind == "table_cell"]
    assert bool(cells) == ("<table" in definition_renders[name]), (definition_renders[name], cells)


def test_an_edition_kramdown_reads_as_other_blocks_is_flagged(tmp_path: Path) -> None:
    """Microsoft's Japanese Edge docs: definition lines holding `|` are no table while one of
    them holds `<タイプ>` (a span tag to kramdown, never closed); the pseudo engine writes it
    `< taipu >`, and the English lines are a table. The run cannot know which answer to keep,
    but it says so, at the source line where the edition's reading departs; an edition that
    reads as its source is not flagged."""
    text = (
        "---\ntitle: 題\n---\n本文 [a] と [b]。\n\n"
        '[a]: https://x.org "A | GitHub"\n[b]: https://y.org "CSS <タイプ> コンポーネント | Chromium"\n\n後文です。\n'
    )
    source = tmp_path / "content" / "ja" / "2024-01-01-defs.md"
    source.parent.mkdir(parents=True)
    source.write_text(text, encoding="utf-8")
    plain = source.with_name("2024-01-01-plain.md")
    plain.write_text(text.replace("<タイプ>", "タイプ"), encoding="utf-8")
    flagged, unflagged = Translator(Settings(root=tmp_path), PseudoEngine(), MemoryCache()).run([source, plain]).posts
    assert [(f.line, f.code) for f in flagged.flags if f.code == "edition-structure"] == [(6, "edition-structure")]
    assert "a table cell where the source has a link title" in next(f.message for f in flagged.flags if f.code == "edition-structure")
    assert flagged.status == "written"  # the edition is written all the same: the page is the reviewer's to judge
    assert not [f for f in unflagged.flags if f.code == "edition-structure"]
