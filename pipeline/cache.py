"""The translation cache: never pay twice for the same text with the same settings.

The key covers everything that changes an engine's output: the engine's own settings
(languages, tag handling and its version, model, formality...), the glossary entries that
occur in this very segment, and the exact engine text. Changing an option therefore misses
the cache instead of serving a stale translation, and editing one glossary entry misses it
only for the segments that contain that entry's term.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring  # the C encoder of a string, as json.dumps writes it
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import diskcache

from pipeline.engine_text import Protected
from pipeline.engines import SegmentContext
from pipeline.errors import CacheError
from pipeline.glossary import prose_of, terms_in

KEY_VERSION = 1


def cache_key(
    engine_settings: Mapping[str, object],
    glossary_entries: Iterable[tuple[str, str]],
    text: str,
    context: Mapping[str, str] | None = None,
) -> str:
    """`context`: what an engine that reads context sees around the text (None for the
    others, whose keys stay as they were). The sha256 of the JSON of `{"context", "engine",
    "glossary", "text", "v"}` (keys sorted, `ensure_ascii` off): keys in users' caches
    depend on these bytes."""
    return _key(_ENCODER.encode(dict(engine_settings)), glossary_entries, text, context)


# how `cache_key` writes JSON: `json.dumps(…, sort_keys=True, ensure_ascii=False)`, one encoder
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def _key(engine_json: str, glossary_entries: Iterable[tuple[str, str]], text: str, context: Mapping[str, str] | None) -> str:
    """`cache_key` with the engine's settings already written as JSON: the same bytes as
    `json.dumps` of the whole payload, without encoding the settings again for every text
    of a run."""
    head = f'{{"context": {_ENCODER.encode(dict(context))}, ' if context is not None else "{"
    payload = (
        f'{head}"engine": {engine_json}, "glossary": {_ENCODER.encode(sorted(glossary_entries))}, '
        f'"text": {encode_basestring(text)}, "v": {KEY_VERSION}}}'
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheKeys:
    """The cache key of each engine text of a run: a value, not a method of the run, so a
    worker process computes a post's keys where it reads the post (`stages.prepare`)."""

    engine_settings: Mapping[str, object]
    terms: Mapping[str, str]  # the glossary's terms: those in a text's prose are in its key

    @cached_property
    def _engine_json(self) -> str:
        return _ENCODER.encode(dict(self.engine_settings))

    def __call__(self, protected: Protected, context: SegmentContext | None) -> str:
        """`protected`'s key, read in `context` (the same text elsewhere may be translated otherwise)."""
        found = terms_in(self.terms, prose_of(protected.xml)) if self.terms else []
        return _key(self._engine_json, found, protected.xml, context.as_key() if context is not None else None)


class TranslationCache:
    """diskcache underneath: process-safe, so two runs may share one directory.

    A write the folder cannot take (full disk, `database or disk is full`) does not stop
    the run: the answers are held in memory for the rest of it, so nothing paid for is
    lost or bought again, and `write_error` says why, for the caller to warn about once.
    """

    write_error: CacheError | None = None

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # Every answer was paid for: none is ever dropped to keep the folder under a size
            # (diskcache's default evicts past 1 GB), and each write skips the eviction's
            # queries (a third of the time a cold run spends storing its answers)
            self._cache = diskcache.Cache(str(directory), eviction_policy="none", cull_limit=0)
        except (sqlite3.Error, OSError) as exc:  # full, read-only, or a file in the way
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CacheError(f"cannot open the translation cache in {directory}: {reason}") from exc
        self._unstored: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        held = self._unstored.get(key)
        if held is not None:
            return held
        value = self._cache.get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, translation: str) -> None:
        self.set_many([(key, translation)])

    def set_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Store several answers in one transaction: one commit per request's batch instead
        of one per text, which otherwise dominates a cold run's own work (and holds the
        database lock the other threads are waiting for)."""
        items = list(items)
        try:
            with self._cache.transact():
                for key, translation in items:
                    self._cache.set(key, translation)
        except (sqlite3.OperationalError, OSError) as exc:
            self._unstored.update(items)
            if self.write_error is None:
                self.write_error = CacheError(
                    f"cannot store answers in the translation cache ({exc}); this run keeps them in memory "
                    "and writes its editions, but they are not cached: free space there",
                    path=self.directory,
                )

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> "TranslationCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryCache(TranslationCache):
    """For offline engines and dry runs: same interface, nothing on disk."""

    def __init__(self) -> None:  # deliberately does not call super()
        self._store: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._store.get(key)

    def set(self, key: str, translation: str) -> None:
        self._store[key] = translation

    def set_many(self, items: Iterable[tuple[str, str]]) -> None:
        self._store.update(items)

    def close(self) -> None:
        self._store.clear()
