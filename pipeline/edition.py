"""A post and its edition: the aligned units, the edition's bytes, and the one writer.

A post is read into `Unit`s (one per body segment and per translatable front matter
value), the existing English edition is read as the same units (`read_english`), and
once every unit has its English, `render` builds the edition's bytes from the source
alone (pure: the same inputs give the same bytes) and `commit` writes memory, state and
edition in the crash-safe order. Every command that writes an edition (`translate`,
`import`) goes through `commit`, so the order lives in one place.

A post ends in up to four writes, each atomic (`post.write_atomic`), in this order, so
that a kill at any instant loses nothing:

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

An edition saved while the run translated (a translator's editor) is never replaced: before
step 1 and again just before step 3, the edition on disk must still be the file the run
read (its hash); if not, `EditedDuringRun`, the state is put back, and the next run reads
the edit as a translator's.

A write that fails (disk full, a read-only folder) puts the state back as it was and
raises OutputError naming the folder and the system's reason: the state never describes an
edition that did not land, and the post is simply done again by the next run.
"""

from __future__ import annotations

import math
import os
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pipeline import frontmatter, heading_ids, qa
from pipeline.attributes import TRANSLATED
from pipeline.config import Settings
from pipeline.context import post_context
from pipeline.engines import ContextPolicy, SegmentContext
from pipeline.inline import Protected, protect_plain
from pipeline.errors import EditedDuringRun, OutputError
from pipeline.memory import TranslationMemory
from pipeline.post import Post, read_post, source_hash, write_atomic
from pipeline.qa import Flag
from pipeline.report import PostResult
from pipeline.segment import Segment, Skeleton, splice, split_post
from pipeline.state import BuiltFrom, Origin, PostState, SegmentRecord, complete_write, save_state, short_hash
from pipeline.target import Target
from pipeline.translate import split_sentences

WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")
Carried = tuple[tuple[str, ...], tuple[int, ...]]  # (frame of the rendering, lines keeping a translator's bytes)
TAXONOMY_KEYS = ("categories", "category", "tags", "tag")
SPLIT_KEYS = ("categories", "tags")  # Jekyll reads a string value as a space-separated list


@dataclass
class Unit:
    """One translatable piece of a post, and where its English comes from."""

    segment: Segment
    source_hash: str
    key: str = ""  # cache key; empty when the English is known without the engine
    fm_field: frontmatter.Field | None = None  # set for front matter values
    fixed: str | None = None  # English known without the engine
    origin: Origin = "machine"
    parts: list[tuple[str, Segment]] = field(default_factory=list)  # (key, piece) of a text too big for one request
    attached: list[tuple[str, Segment]] = field(default_factory=list)  # (key, text) of each `Protected.attached` (titles)
    kept: str = ""  # an earlier run refused the engine's answer (its reason): asked again only with --retry-flagged
    context: SegmentContext | None = None  # read by an engine that wants it (title, neighbours); in the key
    items: list[str] | None = None  # categories/tags given as one spaced string, written as a list (names with spaces)

    def own_requests(self) -> list[tuple[str, Segment]]:
        """The requests of the segment's own text: none when only its attached texts are Japanese."""
        return self.parts or ([(self.key, self.segment)] if self.key else [])

    def requests(self) -> list[tuple[str, Segment]]:
        return self.own_requests() + self.attached

    def answers(self, found: Sequence[str | None]) -> tuple[str | None, list[str | None]]:
        """`found` (an answer per request, None where missing) as the segment's own answer
        (its pieces joined; its own XML when only attached texts were sent) and the
        answers of its attached texts."""
        count = len(found) - len(self.attached)
        own = found[:count]
        text = self.segment.xml if not own else None if None in own else " ".join(a for a in own if a is not None)
        return text, list(found[count:])

    @property
    def reuse_key(self) -> str:
        """What the English was made from: the text's key, and its attached texts' keys."""
        own = self.key or "src:" + self.source_hash
        if not self.attached:
            return own
        return hashlib.sha256("+".join([own, *(key for key, _ in self.attached)]).encode("utf-8")).hexdigest()

    @property
    def field_name(self) -> str | None:
        return None if self.fm_field is None else field_name(self.fm_field)

    def line(self, post: Post) -> int:
        """The unit's 1-based line in the post file."""
        return self.segment.line if self.fm_field else post.body_first_line + self.segment.line - 1


@dataclass
class Pair:
    """A post and its edition as one run holds them: the source, where its edition and
    state record go, its units, the hash of the edition on disk before the run, and the
    answers already found for its units (before the window is translated)."""

    post: Post
    output: Path
    relative: Path  # the post's path inside the source tree (as the state records it)
    state_file: Path
    result: PostResult
    units: list[Unit]
    previous_sha: str | None
    built_from: BuiltFrom = None  # the record the edition on disk was built from (`state.on_disk_record`)
    translations: dict[str, str] = field(default_factory=dict)
    headings: tuple[heading_ids.Heading, ...] = ()  # the post's headings, for in-page links (`with_heading_links`)
    front_matter_shown: tuple[
        frontmatter.Field, ...
    ] = ()  # the source's front matter values holding Japanese (`leftovers.in_front_matter`)
    recorded_as: str = ""  # how the state names the edition (`Target.recorded_edition`); empty: its path
    base: PostState | None = None  # the record of the edition a translator may have edited (`carry`: its frame is the base)
    theirs: Path | None = None  # that edition: `output`, or a renamed post's old edition
    theirs_texts: Texts | None = None  # that edition as the run already read it (not parsed twice)

    def commit(self, data: bytes, state: PostState, memory: TranslationMemory | None) -> Literal["written", "unchanged"]:
        """`commit` for this pair: its edition, state file, and what was on disk before the run."""
        return commit(self.output, data, self.state_file, state, self.previous_sha, self.built_from, memory)

    def state(
        self, edition_sha: str, segments: tuple[SegmentRecord, ...], fingerprint: str, engine: str, carried: Carried = ((), ())
    ) -> PostState:
        """The state record of the edition this run built (`commit` adds the pending part);
        `carried`: the frame of this run's rendering and the lines keeping a translator's bytes."""
        source, edition = self.relative.as_posix(), self.recorded_as or self.output.as_posix()
        frame, lines = carried
        return PostState(
            source, edition, self.post.source_hash, edition_sha, fingerprint, segments, engine=engine, frame=frame, carried=lines
        )

    def release(self) -> None:
        """Drop the segments and answers once the post is written: only its result is kept,
        so a window's memory does not linger while the rest of the window is finished."""
        self.units = []
        self.translations = {}


def field_name(fm_field: frontmatter.Field) -> str:
    """How a state record names a front matter value: `title`, `tags[2]`."""
    return fm_field.key if fm_field.index is None else f"{fm_field.key}[{fm_field.index}]"


def with_heading_links(units: Sequence[Unit], texts: Sequence[str], headings: Sequence[heading_ids.Heading]) -> list[str]:
    """Each unit's English once every unit has one, its in-page links to a heading's
    automatic id pointing at the English heading's (`heading_ids.point_links`): a link may
    come before its heading. Front matter values pass unchanged."""
    body = [(unit.segment, text) for unit, text in zip(units, texts) if unit.fm_field is None]
    pointed = iter(heading_ids.point_links(headings, body))
    return [text if unit.fm_field is not None else next(pointed) for unit, text in zip(units, texts)]


@dataclass(frozen=True)
class UnitMaker:
    """How a post's pieces become units: what the run's settings decide about them."""

    key: Callable[[Protected, SegmentContext | None], str]  # the cache key of an engine text read in its context
    text_bytes: int  # the most the texts of one request may take: a longer text goes in sentence pieces
    keep: re.Pattern[str] | None  # glossary names, never translated
    taxonomy: Mapping[str, str]  # categories and tags: fixed English
    translate_keys: tuple[str, ...]  # the front matter values translated
    context: ContextPolicy | None = None  # what the engine reads around each text (None: nothing)

    def units(self, post: Post, skeleton: Skeleton) -> tuple[list[Unit], list[Flag]]:
        """Every unit of `post`, body first, and the flags reading it earned."""
        units: list[Unit] = []
        contexts = post_context(post, skeleton.segments, self.context)
        for segment, context in zip(skeleton.segments, contexts.body):
            qa.refuse_deep_nesting(segment, post.body_first_line)
            units.append(self.body(segment, context))
        flags = [Flag(post.body_first_line + s.line - 1, s.code, s.reason) for s in (*skeleton.skipped, *skeleton.warnings)]
        if post.front_matter is None:
            flags.append(Flag(1, "no-front-matter", "post has no front matter; translated the body only"))
            return units, flags
        for fm_field in frontmatter.translatable_fields(post.front_matter, self.translate_keys, post.path):
            units.append(self.field(fm_field, flags, contexts.of_field(fm_field.key)))
        return units, flags

    def body(self, segment: Segment, context: SegmentContext | None = None) -> Unit:
        unit = Unit(segment, short_hash(segment.protected.joined), context=context)
        for attached in segment.protected.attached:
            text = replace(segment, kind="attached", source=attached.source, protected=attached.protected)
            unit.attached.append((self.key(attached.protected, context), text))
        if not segment.protected.has_prose:
            if not unit.attached:
                unit.fixed, unit.origin = segment.source, "source"
            return unit
        unit.key = self.key(segment.protected, context)
        pieces = split_sentences(segment.xml, self.text_bytes)
        if len(pieces) > 1:
            for piece in pieces:
                protected = Protected(piece, {}, piece)
                unit.parts.append((self.key(protected, context), replace(segment, kind="piece", protected=protected)))
        return unit

    def field(self, fm_field: frontmatter.Field, flags: list[Flag], context: SegmentContext | None = None) -> Unit:
        """A front matter value; categories and tags map through the taxonomy."""
        protected = replace(protect_plain(fm_field.value, self.keep), front_matter=True)
        segment = Segment("front_matter", fm_field.start, fm_field.end, fm_field.line, fm_field.value, protected)
        unit = Unit(segment, short_hash(fm_field.value), fm_field=fm_field, context=context)
        taxonomy = fm_field.key in TAXONOMY_KEYS
        # Jekyll splits a `categories:` or `tags:` string on spaces: each item is a name
        items = fm_field.value.split() if fm_field.key in SPLIT_KEYS and fm_field.index is None else [fm_field.value]
        if taxonomy and fm_field.value in self.taxonomy:
            unit.fixed, unit.origin = self.taxonomy[fm_field.value], "approved"
        elif taxonomy and len(items) > 1 and all(item in self.taxonomy for item in items):
            self._split(unit, [self.taxonomy[item] for item in items])
        elif not protected.has_prose:
            unit.fixed, unit.origin = fm_field.value, "source"
        else:
            unit.key = self.key(protected, context)
            if taxonomy:
                unmapped = " ".join(i for i in items if i not in self.taxonomy)
                message = f"{fm_field.key} {unmapped!r} has no taxonomy entry; translated by the engine (add it to glossary/taxonomy.tsv)"
                flags.append(Flag(fm_field.line, "unmapped-taxonomy", message))
        return unit

    @staticmethod
    def _split(unit: Unit, english: list[str]) -> None:
        """A spaced taxonomy string, each name mapped: written as a list when an English
        name has a space (a spaced string would split it apart)."""
        unit.fixed, unit.origin = " ".join(english), "approved"
        if any(len(name.split()) != 1 for name in english):
            unit.items = english


@dataclass(frozen=True)
class Texts:
    """The translatable texts of one version of a post (a source, or an edition), read the
    one way every reader needs them: its body segments in order, each with its file line,
    and its translatable front matter values by field name (`title`, `tags[2]`)."""

    post: Post
    body: tuple[Segment, ...]
    fields: dict[str, frontmatter.Field]

    def line(self, segment: Segment) -> int:
        return self.post.body_first_line + segment.line - 1


def read_texts(
    post: Post,
    dialect: str,
    translate_keys: tuple[str, ...],
    keep: re.Pattern[str] | None = None,
    attributes: Sequence[str] = TRANSLATED,
    comments: bool = True,
) -> Texts:
    """Used by the run (the previous English), the review report and the XLIFF export and
    import. `keep`: the glossary's names, protected in the body segments' engine text;
    `attributes`: the HTML attributes translated (their values are segments of HTML blocks);
    `comments`: whether code blocks' comments are segments."""
    body = split_post(post, dialect, keep, attributes, comments).segments
    if post.front_matter is None:
        return Texts(post, body, {})
    fields = {field_name(f): f for f in frontmatter.translatable_fields(post.front_matter, translate_keys, post.path)}
    return Texts(post, body, fields)


@dataclass(frozen=True)
class English:
    """The English of an existing edition: its body segments in order, and its
    translatable front matter values by field name."""

    body: list[str]
    values: dict[str, str]
    kinds: list[str] = field(default_factory=list)  # each body segment's kind
    texts: Texts | None = None  # the edition as read (its frame is `carry`'s theirs)


def read_english(
    output: Path, dialect: str, translate_keys: tuple[str, ...], attributes: Sequence[str] = TRANSLATED, comments: bool = True
) -> English:
    texts = read_texts(read_post(output), dialect, translate_keys, attributes=attributes, comments=comments)
    return English([s.source for s in texts.body], {name: f.value for name, f in texts.fields.items()}, [s.kind for s in texts.body], texts)


# Segment kinds an earlier version did not read: an edition recorded before them still lines
# up with its record once they are left out (a reference definition's title, stop 21).
# Oldest first: a code block's comment lines (issue 26) came after the titles.
NEWER_KINDS = ("link_title", "code-comment")


def misaligned(english: Sequence[str], japanese: Sequence[str]) -> int | None:
    """The first body segment (index) where an edition's segment kinds and its post's part
    ways, None when they line up: as many segments is not enough, a heading where the
    Japanese has a paragraph is another text (an edition written apart, `--adopt`)."""
    if list(english) == list(japanese):
        return None
    return next((i for i, (a, b) in enumerate(zip(english, japanese)) if a != b), min(len(english), len(japanese)))


def lined_up(kinds: Sequence[str], recorded: int) -> list[int] | None:
    """The indexes of an edition's body segments that line up with its `recorded` ones: all
    of them, or all but those of the newest `NEWER_KINDS` (its record predates them); None
    if none of these."""
    for newest in range(len(NEWER_KINDS) + 1):
        left_out = NEWER_KINDS[len(NEWER_KINDS) - newest :]
        older = [i for i, kind in enumerate(kinds) if kind not in left_out]
        if len(older) == recorded:
            return older
    return None


@dataclass
class Draft:
    """The edition being assembled, unit by unit: where each English text goes and the
    state record of each (body segments first, then front matter values, as recorded)."""

    body_edits: list[tuple[int, int, str]] = field(default_factory=list)
    field_edits: list[tuple[frontmatter.Field, frontmatter.Value]] = field(default_factory=list)
    body_records: list[SegmentRecord] = field(default_factory=list)
    field_records: list[SegmentRecord] = field(default_factory=list)
    # (kind, source, English, whether its markup holds attached texts) per body segment
    body_changes: list[tuple[str, str, str, bool]] = field(default_factory=list)

    def add(self, unit: Unit, text: str, kept: str, review: bool, missed: tuple[str, ...] = (), refused_by: str = "") -> None:
        """`kept`: why the unit's Japanese was kept ("" when its English is usable); `missed`:
        the glossary terms whose English `text` lacks (recorded: --strict is sticky);
        `refused_by`: the engine whose answer was refused (`state.refuser`)."""
        # A segment that kept its source because the answer was unusable has no reuse key,
        # and its record says why: later runs keep the Japanese (no charge, cache or not)
        # and only --retry-flagged asks the engine again.
        key = "" if kept else unit.reuse_key
        record = SegmentRecord(
            key, unit.source_hash, short_hash(text), unit.origin, unit.field_name, review, g=missed, kept=kept, r=refused_by if kept else ""
        )
        if unit.fm_field is not None:
            self.field_edits.append((unit.fm_field, unit.items if unit.items is not None else text))
            self.field_records.append(record)
        else:
            self.body_edits.append((unit.segment.start, unit.segment.end, text))
            self.body_records.append(record)
            self.body_changes.append((unit.segment.kind, unit.segment.source, text, bool(unit.attached)))

    @property
    def records(self) -> tuple[SegmentRecord, ...]:
        return tuple(self.body_records + self.field_records)

    @property
    def body_english(self) -> list[str]:
        return [text for _, _, text in self.body_edits]


def render(
    post: Post,
    body_edits: Sequence[tuple[int, int, str]],
    field_edits: Sequence[tuple[frontmatter.Field, frontmatter.Value]],
    added: Mapping[str, str | int],
) -> bytes:
    """The edition's bytes: `post` with its body spans and front matter values replaced,
    and the `added` keys written at the end of its front matter. Every other byte (BOM,
    line endings, comments, quoting) is the source's."""
    body = splice(post.body, body_edits)
    head = post.text[: post.body_start]
    fm = post.front_matter
    if fm is not None and (field_edits or added):
        head = (
            post.text[: fm.start] + frontmatter.edit(fm, list(field_edits), dict(added), post.newline) + post.text[fm.end : post.body_start]
        )
    return post.with_text(head + body)


def added_keys(post: Post, english: Sequence[str], settings: Settings, target: Target, translated: bool) -> dict[str, str | int]:
    """The keys the edition gets at the end of its front matter: `lang`, `ref`, and a
    reading time derived from the English (`translated`: not the identity engine's copy)
    when the source declares one."""
    if post.front_matter is None:
        return {}
    added: dict[str, str | int] = {settings.lang_key: target.lang_value, settings.ref_key: post.path.stem}
    key = settings.reading_time_key
    if translated and isinstance(frontmatter.read_values(post.front_matter, post.path).get(key), (int, float)):
        added[key] = reading_minutes(english, settings.words_per_minute)
    return added


def reading_minutes(english: Sequence[str], words_per_minute: int) -> int:
    """Minutes to read the English: its word count at `words_per_minute`, rounded up.
    Japanese reading time says nothing about the English text's length."""
    words = sum(len(WORD.findall(text)) for text in english)
    return max(1, math.ceil(words / words_per_minute))


def commit(
    output: Path,
    data: bytes,
    state_file: Path,
    state: PostState,
    on_disk: str | None,
    built_from: BuiltFrom,
    memory: TranslationMemory | None = None,
) -> Literal["written", "unchanged"]:
    """Write one post's edition `data` and its `state` (and `memory`, when the post approved
    anything), in the crash-safe order of the module docstring. `on_disk`: the hash of the
    edition on disk (None: none yet); `built_from`: the record it was built from
    (`state.on_disk_record`). An edition that is no longer `on_disk` (saved during the run)
    is not replaced: `EditedDuringRun`, checked first and again just before the replace."""
    _unchanged_since_read(output, on_disk)
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
        _unchanged_since_read(output, on_disk)
        _write(lambda: write_atomic(output, data), output, "the English edition")
    except (OutputError, EditedDuringRun):
        _put_back(state_file, previous)
        raise
    _write(lambda: complete_write(state_file, pending), state_file, "the state")
    return "written"


def _unchanged_since_read(output: Path, on_disk: str | None) -> None:
    """The edition on disk is still the one the run read (hash `on_disk`; None: there was none)."""
    try:
        now = source_hash(output.read_bytes())
    except FileNotFoundError:
        now = None
    except OSError as exc:
        raise OutputError(f"cannot read the English edition {output}: {exc.strerror or exc}") from exc
    if now != on_disk:
        raise EditedDuringRun(f"{output} was edited during the run; not replaced, the next run takes the edit", path=output)


def finish_pending(state_file: Path, record: PostState) -> None:
    """A run killed between the edition's write and the state's last one left the edition
    landed and the state pending: drop the pending part now, as that run would have."""
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
