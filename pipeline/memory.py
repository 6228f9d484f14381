"""The translation memory: translators' approved English, reused for the same source anywhere.

`translations/memory.jsonl` (committed): one JSON object per line, sorted by the Japanese
source, so every approval is a one-line diff. An entry wins over machine translation of the
same source text in any post; a translator's edit of an edition becomes an entry on the
next run, and `pipeline import` adds the segments a CAT tool marks as translated or final.

A CI run translates in shards, each on its own copy of the file; `union` puts their
copies back together (see pipeline/shards.py), so each run also remembers which entries it
approved itself (`approved`): that is what tells a new approval from an old one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError
from pipeline.post import write_atomic

MEMORY_FILE = "memory.jsonl"


@dataclass(frozen=True)
class MemoryEntry:
    """One approved translation. The file names each text by its language's code
    (`{"ja": …, "en": …}`), so a memory for another pair of languages is the same format."""

    source: str  # the source segment as Markdown, soft breaks joined (Protected.joined), or a front matter value
    target: str  # the approved translation, as Markdown
    origin: Literal["human", "approved"]
    post: str  # where it was approved, for the reviewer's information
    source_lang: str = "ja"
    target_lang: str = "en"


class TranslationMemory:
    def __init__(self, path: Path, entries: dict[str, MemoryEntry] | None = None, languages: tuple[str, str] = ("ja", "en")) -> None:
        self.path = path
        self.languages = languages  # (source, target) codes: the fields of each line
        self.entries: dict[str, MemoryEntry] = entries or {}
        self.approved: dict[str, MemoryEntry] = {}  # what this run approved (new or changed entries)
        self.changed = False
        self.approved_now = 0  # approvals that changed the memory since it was loaded (for the run's summary)

    @classmethod
    def load(cls, path: Path, languages: tuple[str, str] = ("ja", "en")) -> "TranslationMemory":
        entries: dict[str, MemoryEntry] = {}
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    entry = entry_from_json(json.loads(line), *languages)
                except (ValueError, TypeError, RecursionError) as exc:
                    raise InputError(f"malformed translation memory entry ({exc})", path=path, line=number) from exc
                entries[entry.source] = entry
        return cls(path, entries, languages)

    def get(self, source: str) -> MemoryEntry | None:
        return self.entries.get(source)

    def approve(self, source: str, target: str, post: str, origin: Literal["human", "approved"] = "human") -> None:
        entry = MemoryEntry(source, target, origin, post, *self.languages)
        if self.entries.get(source) != entry:
            self.entries[source] = entry
            self.approved[source] = entry
            self.changed = True
            self.approved_now += 1

    def dump(self) -> bytes:
        lines = [json.dumps(entry_json(self.entries[k]), ensure_ascii=False, sort_keys=True) for k in sorted(self.entries)]
        return ("\n".join(lines) + "\n").encode("utf-8")

    def save(self) -> None:
        if not self.changed:
            return
        write_atomic(self.path, self.dump())
        self.changed = False


def entry_from_json(data: object, source_lang: str = "ja", target_lang: str = "en") -> MemoryEntry:
    """One entry as `save` writes it (and as a run report lists what it approved): its two
    texts under their languages' codes; or the entry's own fields."""
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    fields = dict(data)
    if "source" in fields and "target" in fields:  # an entry's own fields (a dataclass dump)
        return MemoryEntry(**fields)
    try:
        source, target = fields.pop(source_lang), fields.pop(target_lang)
    except KeyError as exc:
        raise TypeError(f"no {exc.args[0]!r} text") from None
    return MemoryEntry(source, target, **fields, source_lang=source_lang, target_lang=target_lang)


def entry_json(entry: MemoryEntry) -> dict[str, str]:
    return {entry.source_lang: entry.source, entry.target_lang: entry.target, "origin": entry.origin, "post": entry.post}


def union(copies: Sequence[dict[str, MemoryEntry]], approved: Iterable[MemoryEntry]) -> tuple[dict[str, MemoryEntry], list[str]]:
    """One memory from several copies that started equal, each changed by its own run.

    Entries are never removed, so every source any copy holds is kept. Where the copies
    disagree, the entry a run approved wins over the copies that merely carried the old
    one; two runs approving the same source differently: the later post in path order
    wins, the order in which one run over all posts would have approved them. Returns the
    entries and the sources the copies disagree on with no approval to settle it (copies
    that did not start equal: a conflict for a person to look at).
    """
    winners: dict[str, MemoryEntry] = {}
    for entry in approved:
        held = winners.get(entry.source)
        if held is None or entry.post > held.post:
            winners[entry.source] = entry
    merged: dict[str, MemoryEntry] = {}
    unsettled: list[str] = []
    for ja in sorted({ja for copy in copies for ja in copy}):
        if ja in winners:
            merged[ja] = winners[ja]
            continue
        versions = {copy[ja] for copy in copies if ja in copy}
        merged[ja] = max(versions, key=lambda e: (e.post, e.target))
        if len(versions) > 1:
            unsettled.append(ja)
    for ja, entry in winners.items():
        merged.setdefault(ja, entry)
    return merged, unsettled
