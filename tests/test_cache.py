"""cache.py: the key covers exactly what changes an answer; the disk cache outlives its process."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import diskcache

from pipeline.cache import KEY_VERSION, CacheKeys, MemoryCache, TranslationCache, cache_key
from pipeline.engine_text import Protected

ENGINE = {"engine": "deepl", "target_lang": "EN-US"}
TERMS = [("推論", "inference")]


def test_key_is_stable_across_releases() -> None:
    """Pinned: a change to the key's layout silently re-bills every cached text; bump KEY_VERSION on purpose."""
    assert cache_key(ENGINE, TERMS, "推論です") == "98b7f7dd78198a6d3596ec75279e40777a0a50de4031f702b9a196da08de3c37"


def test_key_changes_with_each_input() -> None:
    base = cache_key(ENGINE, TERMS, "推論です")
    assert cache_key({**ENGINE, "target_lang": "EN-GB"}, TERMS, "推論です") != base
    assert cache_key({**ENGINE, "formality": "more"}, TERMS, "推論です") != base
    assert cache_key(ENGINE, [("推論", "reasoning")], "推論です") != base
    assert cache_key(ENGINE, [], "推論です") != base
    assert cache_key(ENGINE, TERMS, "推論です。") != base


def test_key_is_the_sha256_of_the_payloads_json_whatever_the_text() -> None:
    """`cache_key` writes the JSON in pieces (the engine's settings once a run): its bytes
    are those of `json.dumps` of the whole payload, for any text, terms and context."""
    texts = ["推論です", 'a "quoted" \\ back\tslash\n', "\u2028\x00\x1f é 😀", "", "<x i=\"1\">ruby</x>"]
    settings = [ENGINE, {}, {"engine": "openai", "model": "m", "nested": {"b": 1, "a": [1, "ü"]}}]
    contexts = [None, {}, {"before": "前の段落", "heading": "見出し\n"}]
    for text in texts:
        for engine in settings:
            for context in contexts:
                payload = {"v": KEY_VERSION, "engine": engine, "glossary": sorted(TERMS), "text": text}
                if context is not None:
                    payload["context"] = context
                expected = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
                assert cache_key(engine, TERMS, text, context) == expected
                assert CacheKeys(engine, {})(Protected(text, {}, text), None if context is None else _Context(context)) == (
                    cache_key(engine, [], text, context)
                )


class _Context:
    """What `CacheKeys` reads of a segment's context."""

    def __init__(self, key: dict[str, str]) -> None:
        self.key = key

    def as_key(self) -> dict[str, str]:
        return self.key


def test_key_ignores_the_order_of_settings_and_terms() -> None:
    terms = [("推論", "inference"), ("生成AI", "generative AI")]
    assert cache_key(ENGINE, terms, "t") == cache_key(dict(reversed(list(ENGINE.items()))), list(reversed(terms)), "t")


def test_disk_cache_outlives_its_instance(tmp_path: Path) -> None:
    with TranslationCache(tmp_path / "cache") as cache:
        cache.set("k", "English")
        assert cache.get("missing") is None
    with TranslationCache(tmp_path / "cache") as again:
        assert again.get("k") == "English"


def test_disk_cache_never_drops_an_answer_to_stay_small(tmp_path: Path) -> None:
    # a folder whose cache was made with a size limit (by an older version, or by hand): an
    # answer paid for is still never evicted, whatever the folder's size
    diskcache.Cache(str(tmp_path), size_limit=4096).close()
    with TranslationCache(tmp_path) as cache:
        for i in range(300):
            cache.set_many([(f"k{i}", "An English sentence that was paid for. " * 4)])
    with TranslationCache(tmp_path) as again:
        assert all(again.get(f"k{i}") is not None for i in range(300))
    with diskcache.Cache(str(tmp_path), size_limit=4096) as evicting:  # another program opening the folder as before
        for i in range(300, 600):
            evicting.set(f"k{i}", "An English sentence that was paid for. " * 4)
        assert evicting.get("k0") is not None  # the folder keeps its setting: still nothing evicted
        assert evicting.eviction_policy == "none"


def test_disk_cache_ignores_a_value_that_is_not_text(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path)
    cache._cache.set("k", b"bytes")  # written by something else sharing the folder
    assert cache.get("k") is None
    cache.close()


def test_memory_cache_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cache = MemoryCache()
    cache.set("k", "v")
    assert cache.get("k") == "v"
    cache.close()
    assert cache.get("k") is None
    assert list(tmp_path.iterdir()) == []


def _key(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def test_a_batch_of_new_answers_is_one_statement_and_reads_back_as_diskcache_wrote_it(tmp_path: Path) -> None:
    """`set_many` writes a batch of new answers in one SQLite statement (each statement lets a
    request thread's GIL go, and waits to get it back from the run's busy thread); what it
    writes is what diskcache's `set` writes: read back by a fresh cache, its count and size
    kept (diskcache's own `check`), a key set again replaced, a text too long for the
    database kept in a file of its own."""
    cache = TranslationCache(tmp_path)
    statements: list[str] = []
    cache._cache._con.set_trace_callback(statements.append)  # noqa: SLF001 - the statements this thread's connection runs
    fresh = [(_key(i), f"answer {i} «{i}»") for i in range(50)]
    cache.set_many(fresh)
    # the one statement (traced again for each trigger it fires): no transaction, no lookup
    assert {s.split("(")[0] for s in statements} == {"INSERT OR IGNORE INTO Cache"}
    long = "長い訳文。" * 10_000  # past diskcache's 32 KB: a file
    again = [(_key(3), "answer 3, asked again"), (_key(60), "new"), (_key(60), "new, the last word"), (_key(61), long)]
    many = [(_key(i), f"answer {i}") for i in range(100, 350)]  # more than one statement takes
    cache.set_many(again)
    cache.set_many(many)
    cache.close()
    expected = dict(fresh + again + many)
    with diskcache.Cache(str(tmp_path)) as reread:
        assert reread.check() == []
        assert len(reread) == len(expected)
        assert {key: reread.get(key) for key in expected} == expected
        assert reread.volume() > len(long)  # the long text's file counted in its size
