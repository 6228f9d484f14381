"""The translation memory: translators' approved English, reused for the same source anywhere.

`translations/memory.jsonl` (committed): one JSON object per line, sorted by the Japanese
source, so every approval is a one-line diff. An entry wins over machine translation of the
same source text in any post; a translator's edit of an edition becomes an entry on the
next run, and `pipeline import` adds the segments a CAT tool marks as translated or final.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError
from pipeline.post import write_atomic

MEMORY_FILE = "memory.jsonl"


@dataclass(frozen=True)
class MemoryEntry:
    ja: str  # the source segment as Markdown, soft breaks joined (Protected.joined), or a front matter value
    en: str  # the approved English, as Markdown
    origin: Literal["human", "approved"]
    post: str  # where it was approved, for the reviewer's information


class TranslationMemory:
    def __init__(self, path: Path, entries: dict[str, MemoryEntry] | None = None) -> None:
        self.path = path
        self.entries: dict[str, MemoryEntry] = entries or {}
        self.changed = False
        self.approved_now = 0  # approvals that changed the memory since it was loaded (for the run's summary)

    @classmethod
    def load(cls, path: Path) -> "TranslationMemory":
        entries: dict[str, MemoryEntry] = {}
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    entry = MemoryEntry(**json.loads(line))
                except (ValueError, TypeError) as exc:
                    raise InputError(f"malformed translation memory entry ({exc})", path=path, line=number) from exc
                entries[entry.ja] = entry
        return cls(path, entries)

    def get(self, ja: str) -> MemoryEntry | None:
        return self.entries.get(ja)

    def approve(self, ja: str, en: str, post: str, origin: Literal["human", "approved"] = "human") -> None:
        entry = MemoryEntry(ja, en, origin, post)
        if self.entries.get(ja) != entry:
            self.entries[ja] = entry
            self.changed = True
            self.approved_now += 1

    def save(self) -> None:
        if not self.changed:
            return
        lines = [json.dumps(asdict(self.entries[k]), ensure_ascii=False, sort_keys=True) for k in sorted(self.entries)]
        write_atomic(self.path, ("\n".join(lines) + "\n").encode("utf-8"))
        self.changed = False
