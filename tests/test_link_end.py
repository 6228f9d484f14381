"""The link end the parse notes for `inline.protect` (markdown.LINK_END) gives the same
engine text as re-running the link rule, and it is left out where a cached look-ahead could
make the two differ."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it.token import Token

from pipeline.inline import protect
from pipeline.markdown import LINK_END, parser

KRAMDOWN_SUITE = Path("/work/shared/kramdown/kramdown/test/testcases/span/02_emphasis/normal.text")
TEXT = (
    '前の[リンク](https://example.com/a_b "題名")と[二つ目][ref]、*強調の中の[リンク](/x)*、'
    '`[コード](/y)`、[外側 [内側](/in) ](/out)、[YAML](https://yaml.org/ target="_blank") と '
    "<https://example.com/auto>。\n\n[ref]: https://example.com/ref\n"
)


def _unnoted(children: list[Token]) -> list[Token]:
    return [c.copy(meta={k: v for k, v in (c.meta or {}).items() if k != LINK_END}) for c in children]


@pytest.mark.parametrize("dialect", ["kramdown", "commonmark"])
def test_noted_link_ends_give_the_same_engine_text(dialect: str) -> None:
    env: dict[str, object] = {}
    inlines = [t for t in parser(dialect).parse(TEXT, env) if t.type == "inline"]
    noted = [c for t in inlines for c in t.children or [] if LINK_END in (c.meta or {})]
    assert len(noted) >= 3
    for tok in inlines:
        children = tok.children or []
        with_notes = protect(tok.content, children, env, dialect=dialect)
        rerun = protect(tok.content, _unnoted(children), env, dialect=dialect)
        assert (with_notes.xml, with_notes.elements, with_notes.joined) == (rerun.xml, rerun.elements, rerun.joined)


def test_no_end_noted_after_a_cached_look_ahead() -> None:
    """kramdown's emphasis search from an earlier `__` skips over the last link with its open
    elements; a fresh re-run from that link does not read a link there at all."""
    if not KRAMDOWN_SUITE.exists():
        pytest.skip("kramdown's test cases are not on this machine")
    text = KRAMDOWN_SUITE.read_text(encoding="utf-8")
    inline = next(t for t in parser("kramdown").parse(text) if t.type == "inline" and "blah______%28" in t.content)
    links = [c for c in inline.children or [] if c.type == "link_open"]
    assert LINK_END in (links[0].meta or {})  # the first link: nothing cached ahead of it
    assert LINK_END not in (links[-1].meta or {})
