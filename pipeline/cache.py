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
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import diskcache
from diskcache.core import MODE_RAW

from pipeline.engine_text import Protected
from pipeline.engines import SegmentContext
from pipeline.errors import CacheError
from pipeline.glossary import prose_of, terms_in

KEY_VERSION = 1
_INSERTED = 100  # rows of 5 parameters inserted in one statement: within the 999 of SQLite's older builds


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
        database lock the other threads are waiting for); most batches in one statement (`_write`)."""
        items = list(items)
        try:
            self._write(items)
        except (sqlite3.OperationalError, OSError) as exc:
            self._unstored.update(items)
            if self.write_error is None:
                self.write_error = CacheError(
                    f"cannot store answers in the translation cache ({_first_cause(exc)}); this run keeps them in memory "
                    "and writes its editions, but they are not cached: free space there",
                    path=self.directory,
                )

    def _write(self, items: list[tuple[str, str]]) -> None:
        """`items` written as diskcache's `set` writes them, a batch's new texts in one statement.

        Why not `set` for each: every SQLite statement (and every row `executemany` steps)
        lets go of the GIL, and a request thread then waits for the run's thread, which
        keeps it busy, to give it back: a switch interval each time. `set` makes two
        statements a text, so a batch of 50 answers waited a hundred times, and storing a
        cold run's 8,150 answers on four threads beside a busy one took 15 s (93 s at
        CPython's default interval), against 0.2 s on one thread with nothing else running.
        Here a batch of new texts is one `INSERT OR IGNORE` of the rows `set` inserts for a
        text short enough to live in the database (diskcache 5; its triggers keep the count
        and size), its own transaction: 0.2 s (0.7 s). A key
        already there (the insert skips it), or a text long enough for a file of its own,
        goes through `set`, which replaces and cleans up, all in one transaction."""
        cache = self._cache
        small = [(key, text) for key, text in items if len(text) < cache.disk_min_file_size]
        large = [(key, text) for key, text in items if len(text) >= cache.disk_min_file_size]
        chunks = [small[start : start + _INSERTED] for start in range(0, len(small), _INSERTED)]
        if len(chunks) == 1 and not large and self._insert(chunks[0]) == len(chunks[0]):
            return  # the common case: every text new, one statement
        with cache.transact():
            for chunk in chunks:
                if self._insert(chunk) < len(chunk):  # some were there already (or twice here): `set` replaces
                    for key, text in chunk:
                        cache.set(key, text)
            for key, text in large:
                cache.set(key, text)

    def _insert(self, chunk: list[tuple[str, str]]) -> int:
        """The rows of `chunk` whose key is new, inserted in one statement: how many were."""
        now = time.time()
        values = ",".join(["(?, 1, ?, NULL, ?, 0, NULL, 0, ?, NULL, ?)"] * len(chunk))
        cursor = self._cache._sql(
            "INSERT OR IGNORE INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value)"
            f" VALUES {values}",
            [column for key, text in chunk for column in (key, now, now, MODE_RAW, text)],
        )
        return int(cursor.rowcount)

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> "TranslationCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_cause(exc: BaseException) -> BaseException:
    """The error that set off `exc`: SQLite rolls a transaction back itself on a full disk,
    and the rollback asked for after it fails ("no transaction is active"), hiding why."""
    while isinstance(exc.__context__, (sqlite3.Error, OSError)):
        exc = exc.__context__
    return exc


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
