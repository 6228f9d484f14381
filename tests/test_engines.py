"""The offline engines: identity returns its input; pseudo rewrites prose only, deterministically."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pipeline.cache import MemoryCache
from pipeline.config import create_engine
from pipeline.engines import EngineResult, Limits
from pipeline.errors import AnswerError
from pipeline.translate import Request, Usage, translate_missing
from pipeline.engines.pseudo import PseudoEngine
from pipeline.inline import JAPANESE


def test_identity_returns_every_text_unchanged() -> None:
    texts = ['<b id="1">日本語</b> &amp; <x id="2"/>', ""]
    assert [r.text for r in create_engine("identity").translate(texts)] == texts


def test_pseudo_leaves_tags_and_kept_content_alone() -> None:
    (result,) = PseudoEngine().translate(['これは<b id="1">重要</b>、<x id="2">日本語のコード</x>です。'])
    text = result.text
    assert text.startswith("⟦") and text.endswith("⟧")
    assert '<b id="1">juuyou</b>,<x id="2">日本語のコード</x>' in text  # 、 became `,`; <x> untouched
    assert not JAPANESE.search(text.replace("日本語のコード", ""))
    assert result.billed_characters == 0


def test_pseudo_applies_terms_and_can_drop_the_brackets() -> None:
    engine = PseudoEngine(terms={"推論": "inference"}, brackets=False)
    text = engine.translate(["推論の「コスト」"])[0].text
    assert text.split() == ["inference", "no", '"', "kosuto", '"']
    assert engine.settings() != PseudoEngine().settings()  # a different output, a different cache key


def test_pseudo_keeps_the_lines_of_multi_line_text() -> None:
    """Front matter block scalars travel with their line breaks. pykakasi repeats the character
    before a line break after it (`複数行の\\n説明` gave `fukusuugyou no \\n no setsumei`), so the
    pseudo engine romanises line by line."""
    (result,) = PseudoEngine().translate(["複数行の\n説明です。\n"])
    assert result.text == "⟦fukusuugyou no\nsetsumei desu .\n⟧"


class _OneShort:
    """An engine (any engine, not only DeepL) whose answer leaves the last text out."""

    name = "one-short"
    limits = Limits()
    bills = True
    translates = True

    def __init__(self) -> None:
        self.calls = 0

    def settings(self) -> dict[str, object]:
        return {"engine": self.name}

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        self.calls += 1
        return [EngineResult("EN " + t, len(t)) for t in texts[:-1]]


def test_batching_refuses_an_answer_count_that_does_not_match_and_caches_nothing() -> None:
    engine, cache = _OneShort(), MemoryCache()
    usage = Usage()
    with pytest.raises(AnswerError, match=r"one-short answered 1 translations for 2 texts \(asked twice"):
        translate_missing([Request("k1", "猫"), Request("k2", "犬")], engine, cache, jobs=1, usage=usage)
    assert engine.calls == 2
    assert cache.get("k1") is None and cache.get("k2") is None
    assert (usage.requests, usage.billed_characters) == (2, 2), "both short answers were billed"
