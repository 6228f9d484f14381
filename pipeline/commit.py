"""The order of one post's writes, so that a kill at any instant loses nothing.

A translated post ends in up to four writes, each atomic (`post.write_atomic`), in this order:

1. The translation memory, when the post approved a translator's edit. Before the state:
   once the state says the post is done, no later run looks at it again, so an approval
   saved after it would be lost to a kill in between. Saved first, a kill costs nothing:
   the next run finds the same edit in the edition and approves it again.
2. The state, naming the new edition's hash and, while the write is pending, the hash of
   the edition on disk (`previous_edition_sha256`) and the record that edition was built
   from (`built_from`). Killed after this, the next run finds the old edition, recognises
   it by that hash and reads it with that record, as if this run had never touched the
   post: a translator's edit in it is found again (not mistaken for our unfinished write,
   nor replaced by machine text), and what this run bought comes from the cache.
3. The edition.
4. The state again, without the pending part (`state.complete_write`): a translator who
   restores the older edition on purpose is then not mistaken for a crash.

An edition that does not change skips 3 and 4: the state is written once, complete.

A write that fails (disk full, a read-only folder) puts the state back as it was and
raises OutputError naming the folder and the system's reason: the state never describes an
edition that did not land, and the post is simply done again by the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pipeline.errors import OutputError
from pipeline.memory import TranslationMemory
from pipeline.post import source_hash, write_atomic
from pipeline.state import BuiltFrom, PostState, complete_write, save_state


def commit_post(
    edition: Path,
    data: bytes,
    state_file: Path,
    state: PostState,
    on_disk: str | None,
    built_from: BuiltFrom,
    memory: TranslationMemory | None = None,
) -> Literal["written", "unchanged"]:
    """Write one post's edition `data` and its `state` (and `memory`, when the post approved
    anything), in the order above. `on_disk`: the hash of the edition on disk (None: none
    yet); `built_from`: the record it was built from (`state.on_disk_record`)."""
    if memory is not None:
        _write(memory.save, memory.path, "the translation memory")
    previous = state_file.read_bytes() if state_file.is_file() else None
    if on_disk == source_hash(data):
        _write(lambda: save_state(state_file, replace(state, previous_edition_sha256=None, built_from=None)), state_file, "the state")
        return "unchanged"
    if isinstance(built_from, PostState):  # kept one level deep: its own pending part is over
        built_from = replace(built_from, previous_edition_sha256=None, built_from=None)
    pending = replace(state, previous_edition_sha256=on_disk, built_from=built_from if on_disk is not None else None)
    _write(lambda: save_state(state_file, pending), state_file, "the state")
    try:
        _write(lambda: write_atomic(edition, data), edition, "the English edition")
    except OutputError:
        _put_back(state_file, previous)
        raise
    _write(lambda: complete_write(state_file, pending), state_file, "the state")
    return "written"


def finish_pending(state_file: Path, record: PostState) -> None:
    """A run killed between 3 and 4 left the edition landed and the state pending: drop
    the pending part now (4), as that run would have."""
    _write(lambda: complete_write(state_file, record), state_file, "the state")


def _write(write: Callable[[], None], path: Path, what: str) -> None:
    try:
        write()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write {what} into {path.parent}: {reason}") from exc


def _put_back(state_file: Path, previous: bytes | None) -> None:
    """The state as it was before this post's write, as far as the disk lets us: if even
    this fails, the pending state left behind still reads the old edition correctly."""
    try:
        if previous is None:
            os.unlink(state_file)
        else:
            write_atomic(state_file, previous)
    except OSError:
        pass
