"""The committed record of what each English edition was built from.

One small JSON file per post under `translations/` (same relative path as the post, with
`.json`), written in a diff-friendly layout: one line per segment. With it and the English
editions themselves, a fresh clone with an empty cache knows the English of every
unchanged segment: it re-splits the edition and takes the segment's text from there. It
also tells our own output from a translator's edit (the edition's hash, and each segment's
English hash) and so lets human text win.

Deciding "up to date" needs only hashes of bytes, never a Markdown parse, so a no-op run
over a large tree is quick.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from pipeline.config import TARGETS, Settings
from pipeline.engines import engine_spec
from pipeline.errors import InputError
from pipeline.glossary import Glossary
from pipeline.post import read_regular, source_hash, write_atomic

FORMAT = 1
FRAME_KEY = 8  # characters of a frame line's hash (`carry.line_key`)
Origin = Literal["machine", "human", "approved", "source"]
State = Literal["new", "stale", "up-to-date", "edited", "needs-merge", "orphaned", "failed", "skipped"]


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SegmentRecord:
    k: str  # reuse key: the cache key for translated text, the source hash for text kept as is
    s: str  # hash of the source segment's text (aligns old and new segments when sources change)
    e: str  # hash of the English text written for it
    o: Origin  # where that English came from
    f: str | None = None  # front matter field ("title", "tags[2]"); None for body segments
    review: bool = False  # a human translation whose source changed since: needs a look
    g: tuple[str, ...] = ()  # glossary terms (Japanese) whose English the text lacks: `--strict` fails while any remain
    # why the Japanese was kept (an engine answer refused: structure, truncated); asked again
    # only with `translate --retry-flagged`, so a fresh clone never re-buys it silently
    kept: str = ""
    # which engine refused (`refuser`: its name and settings fingerprint): a refusal holds
    # for that engine only, another one is asked again
    r: str = ""


def refuser(engine: str, engine_settings: Mapping[str, object]) -> str:
    """Names the engine, with the settings that shape its answers, whose answer was refused."""
    return f"{engine}:{short_hash(json.dumps(dict(engine_settings), sort_keys=True, default=str))}"


@dataclass(frozen=True)
class PostState:
    source: str
    edition: str
    source_sha256: str
    edition_sha256: str
    settings: str
    segments: tuple[SegmentRecord, ...] = ()
    previous_edition_sha256: str | None = None  # the edition's hash before this write (crash safety)
    format: int = FORMAT
    engine: str = ""  # which engine wrote it: only to explain a "stale" to a person
    # While the edition's write is pending: the record the edition on disk was built from
    # ("adopted": none, a translator's file); None when not known (see `edition.commit`).
    built_from: PostState | Literal["adopted"] | None = None
    # The frame of what we last rendered (`carry`: the edition with its translated texts cut
    # out), one hash per line: the base of the three-way merge that keeps a translator's
    # bytes outside the translated text. And the edition's lines that keep such bytes (`status`).
    frame: tuple[str, ...] = ()
    carried: tuple[int, ...] = ()


BuiltFrom = PostState | Literal["adopted"] | None
_RECORD_FIELDS = tuple(f.name for f in fields(SegmentRecord))
_HEAD_FIELDS = tuple(f.name for f in fields(PostState) if f.name not in ("segments", "built_from", "frame", "carried"))


def settings_fingerprint(settings: Settings, glossary: Glossary) -> str:
    """Everything that changes an edition besides its source: engine options and term base.

    The engine's options come from its registry entry, so an engine's model or style
    setting makes every edition it wrote stale when it changes."""
    payload = {
        "engine": settings.engine,
        "languages": [settings.source_lang, settings.target_lang],
        "front_matter": [list(settings.translate_keys), settings.lang_key, settings.lang_value, settings.ref_key],
        "glossary": [(e.kind, e.source, e.target) for e in glossary.entries],
        "markdown": settings.dialect,
        "html_attributes": list(settings.translate_attributes),
        "code_comments": settings.translate_comments,
        **engine_spec(settings.engine).options(settings),  # what the engine's own settings change
    }
    return short_hash(json.dumps(payload, sort_keys=True, ensure_ascii=False))


def state_path(settings: Settings, relative: Path) -> Path:
    return settings.path(settings.state_dir) / relative.with_suffix(relative.suffix + ".json")


def load_state(path: Path) -> PostState | None:
    if not path.is_file():
        return None
    try:
        return _state_from(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise InputError(f"state file is damaged ({exc}); delete it to rebuild this edition from scratch", path=path) from exc


def _record_from(data: Any) -> SegmentRecord:
    """A segment record as JSON holds it (`g` a list; absent where no term is missing)."""
    if "g" in data:  # most records have none: no copy of the others (a no-op run reads every record)
        data["g"] = tuple(data["g"])
    return SegmentRecord(**data)


_FRAME_KEYS = re.compile(f".{{{FRAME_KEY}}}", re.DOTALL)


def _frame_keys(packed: list[str]) -> tuple[str, ...]:
    """The frame's line hashes, packed eight to a string (`dump_state`): cut by a regex
    where every string holds whole keys, as written (a no-op run reads every post's frame)."""
    if all(len(keys) % FRAME_KEY == 0 for keys in packed):
        return tuple(_FRAME_KEYS.findall("".join(packed)))
    return tuple(keys[i : i + FRAME_KEY] for keys in packed for i in range(0, len(keys), FRAME_KEY))


def _state_from(data: Any) -> PostState:
    """A record as JSON holds it (`json.loads`: not checked here; a wrong field is a
    TypeError, which `load_state` reports as a damaged file)."""
    segments = tuple(_record_from(s) for s in data.pop("segments", []))
    packed, carried = data.pop("frame", ()), tuple(data.pop("carried", ()))
    if not all(isinstance(keys, str) for keys in packed) or not all(isinstance(line, int) for line in carried):
        raise TypeError("frame or carried is not a list of lines")
    frame = _frame_keys(packed)
    built_from = data.pop("built_from", None)
    if isinstance(built_from, dict):
        built_from = _state_from(built_from)
    elif built_from not in (None, "adopted"):
        raise TypeError(f"built_from is {built_from!r}")
    return PostState(**data, segments=segments, built_from=built_from, frame=frame, carried=carried)


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _flat(obj: object, names: tuple[str, ...]) -> dict[str, object]:
    """A frozen record's fields as a dict.

    Not `dataclasses.asdict`: that deep-copies every value and costs more than the JSON
    encoding itself; every field here is a str, int, bool or None, so nothing needs copying.
    """
    return {name: getattr(obj, name) for name in names}


def _record_json(record: SegmentRecord) -> dict[str, object]:
    """A segment's line; `g` and `kept` only where set, so most records read as before."""
    data = _flat(record, _RECORD_FIELDS)
    for optional in ("g", "kept", "r"):
        if not data[optional]:
            del data[optional]
    return data


def _as_json(state: PostState) -> dict[str, object]:
    data = _flat(state, _HEAD_FIELDS)
    data["segments"] = [_record_json(s) for s in state.segments]
    if state.frame:
        data["frame"], data["carried"] = ["".join(state.frame[i : i + 8]) for i in range(0, len(state.frame), 8)], list(state.carried)
    return data


def dump_state(state: PostState) -> str:
    head = _flat(state, _HEAD_FIELDS)
    if state.built_from is not None:  # only while a write is pending: one line, gone once it lands
        head["built_from"] = state.built_from if isinstance(state.built_from, str) else _as_json(state.built_from)
    if state.carried:
        head["carried"] = list(state.carried)
    lines = [_ENCODE(head)[:-1] + ', "segments": [']
    lines.append(",\n".join("  " + _ENCODE(_record_json(s)) for s in state.segments))
    if state.frame:  # the frame's line hashes (8 characters each), eight to a string
        lines.append('], "frame": [')
        lines.append(",\n".join("  " + _ENCODE("".join(state.frame[i : i + 8])) for i in range(0, len(state.frame), 8)))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def save_state(path: Path, state: PostState) -> None:
    write_atomic(path, dump_state(state).encode("utf-8"))


def complete_write(path: Path, state: PostState) -> None:
    """After the edition landed: forget the hash of the edition it replaced.

    While `previous_edition_sha256` is set, an edition with that hash means "our write never
    landed" and is rebuilt. Left set after a successful write, a translator who restores
    that older version on purpose (`git checkout HEAD~1 -- the edition`) would see it
    silently replaced by machine output again.
    """
    if state.previous_edition_sha256 is not None or state.built_from is not None:
        save_state(path, replace(state, previous_edition_sha256=None, built_from=None))


def on_disk_record(record: PostState | None, edition_sha: str | None) -> BuiltFrom:
    """The record the edition on disk was built from: "adopted" when none was (a
    translator's file, or its state deleted), None when there is no edition to go by.

    Normally the state itself. When a run was killed before its edition landed, the state
    already describes the edition that never came, and the edition on disk (its hash is
    `previous_edition_sha256`) is the one the record kept in `built_from` describes: read
    with that record, a translator's edit in it is found again (`edition.commit`). A
    state written before `built_from` existed says nothing of it: None."""
    if edition_sha is None:
        return None
    if record is None:
        return "adopted"
    if edition_sha == record.previous_edition_sha256 and edition_sha != record.edition_sha256:
        return record.built_from
    return record


@dataclass(frozen=True)
class PostStatus:
    source: Path | None
    edition: Path
    state: State
    reason: str = ""
    origins: dict[str, int] = field(default_factory=dict)  # segments by origin in the last record
    needs_review: int = 0
    kept: int = 0  # segments whose edition text is still the Japanese (an engine answer was refused)
    missing_terms: tuple[str, ...] = ()  # glossary terms the English lacks (`check --strict`)


def glossary_misses(record: PostState | None) -> tuple[str, ...]:
    """The glossary terms the edition's English still lacks, as its last run recorded them."""
    return tuple(term for segment in (record.segments if record else ()) for term in segment.g)


def origins(record: PostState | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for segment in record.segments if record else ():
        counts[segment.o] = counts.get(segment.o, 0) + 1
    return counts


def classify(source_sha: str | None, edition: Path, record: PostState | None, fingerprint: str, engine: str = "") -> tuple[State, str]:
    """A post's state from hashes alone; see the module docstring."""
    if source_sha is None:
        return "orphaned", "its Japanese source is gone"
    if record is None or not edition.is_file():
        return (
            "new",
            "no English edition yet"
            if not edition.is_file()
            else "edition has no state record; `translate --adopt` keeps it as a translator's work",
        )
    if record.source_sha256 != source_sha:
        return "stale", "source changed since its edition was built"
    if record.settings != fingerprint:
        if record.engine and engine and record.engine != engine:
            return "stale", f"built with the {record.engine} engine, not {engine}; add --engine {record.engine} to compare with that"
        return "stale", "engine settings or glossary changed"
    edition_sha = source_hash(read_regular(edition))
    if edition_sha == record.edition_sha256:
        return "up-to-date", ""
    if edition_sha == record.previous_edition_sha256:
        return "stale", "the last write of the edition did not complete"
    return "edited", "the English edition was edited by hand; the edits will be kept"


@dataclass
class TreeStatus:
    posts: list[PostStatus] = field(default_factory=list)

    def count(self, state: State) -> int:
        return sum(1 for p in self.posts if p.state == state)

    @property
    def needs_attention(self) -> list[PostStatus]:
        """What `check` fails on: everything `translate` would change (new, stale, orphaned
        with --prune) or fail on (unreadable, needing a manual merge)."""
        return [p for p in self.posts if p.state in ("new", "stale", "failed", "needs-merge", "orphaned") or p.kept]


def state_files(state_dir: Path) -> list[Path]:
    """The state records of one language: every `*.json` under `state_dir` but those of the
    other languages, whose state folders sit inside English's (`translations/ko/`, as
    `target.retarget` places them). A sub-folder named as a DeepL target code (lower case) is
    such a folder; a post's own sub-folders (`2023/`) never are."""
    languages = {code.lower() for code in TARGETS}
    found = []
    for path in sorted(state_dir.rglob("*.json")):
        relative = path.relative_to(state_dir)
        if path.name.startswith(".") or (len(relative.parts) > 1 and relative.parts[0] in languages):
            continue
        found.append(path)
    return found
