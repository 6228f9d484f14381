"""Inline Markdown ↔ the XML text an engine translates, and back.

Prose travels as XML text (with `&`, `<`, `>` escaped: DeepL's tag handling parses strict
XML). Markup the engine may move with the words (emphasis, links, image alt text) travels
as paired tags; everything that must never change (code spans, URLs, inline HTML, Liquid,
footnote references, escapes, protected names) travels as an `<x>` element whose content
the engine is told to ignore and which we replace by the exact original source on the way
back. Each element carries an `id`, so restoring never guesses.

We walk markdown-it's inline tokens with a cursor in the inline source, so every restored
piece of markup is the author's own bytes, not a re-rendering.

The round trip is one concept with a small public API, used across the pipeline, the review
tools and the tests, so it keeps this one address; its seams are modules of their own:
`to_engine` (`protect`: the walk), `from_engine` (`restore`: the answer checked and written
back), `inert` (the engine's prose made plain Markdown text again) and `attached` (titles and
attribute values inside markup, translated on their own).
"""

from __future__ import annotations

from pipeline.engine_text import Element, Protected  # segment, edition, review and tests import them from here
from pipeline.inline.attached import filled, markup_texts, protect_plain, title_after, without_texts
from pipeline.inline.from_engine import restore
from pipeline.inline.inert import protected_literal
from pipeline.inline.to_engine import LANG_START_TAG, UnsupportedInline, protect, unmask
from pipeline.japanese import JAPANESE  # benchmarks/run.py and tests/test_engines.py import it from here

__all__ = [
    "JAPANESE",
    "LANG_START_TAG",
    "Element",
    "Protected",
    "UnsupportedInline",
    "filled",
    "markup_texts",
    "protect",
    "protect_plain",
    "protected_literal",
    "restore",
    "title_after",
    "unmask",
    "without_texts",
]
