"""A post and its edition: the aligned units, the edition's bytes, and the one writer.

A post is read into `Unit`s (one per body segment and per translatable front matter
value), the existing English edition is read as the same units (`read_english`), and
once every unit has its English, `render` builds the edition's bytes from the source
alone (pure: the same inputs give the same bytes) and `commit` writes state and edition
in the crash-safe order. Every command that writes an edition (`translate`, `import`)
goes through `commit`, so the order lives in one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline import frontmatter, qa
from pipeline.config import Settings
from pipeline.context import post_context
from pipeline.engines import ContextPolicy, SegmentContext
from pipeline.inline import Protected, protect_plain
from pipeline.post import Post, read_post, write_atomic
from pipeline.qa import Flag
from pipeline.report import PostResult
from pipeline.segment import Segment, Skeleton, splice, split_post
from pipeline.state import Origin, PostState, SegmentRecord, complete_write, save_state, short_hash
from pipeline.target import Target
from pipeline.translate import split_sentences

WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")
TAXONOMY_KEYS = ("categories", "category", "tags", "tag")


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
    context: SegmentContext | None = None  # read by an engine that wants it (title, neighbours); in the key

    def requests(self) -> list[tuple[str, Segment]]:
        return self.parts or [(self.key, self.segment)]

    @property
    def reuse_key(self) -> str:
        return self.key or "src:" + self.source_hash

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
    translations: dict[str, str] = field(default_factory=dict)

    def state(self, new_sha: str, segments: tuple[SegmentRecord, ...], fingerprint: str, engine: str) -> PostState:
        """The post's state record once its edition, hashed `new_sha`, is written."""
        return PostState(
            source=self.relative.as_posix(),
            edition=self.output.as_posix(),
            source_sha256=self.post.source_hash,
            edition_sha256=new_sha,
            settings=fingerprint,
            segments=segments,
            previous_edition_sha256=self.previous_sha if self.previous_sha != new_sha else None,
            engine=engine,
        )

    def release(self) -> None:
        """Drop the segments and answers once the post is written: only its result is kept,
        so a window's memory does not linger while the rest of the window is finished."""
        self.units = []
        self.translations = {}


def field_name(fm_field: frontmatter.Field) -> str:
    """How a state record names a front matter value: `title`, `tags[2]`."""
    return fm_field.key if fm_field.index is None else f"{fm_field.key}[{fm_field.index}]"


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
        flags = [Flag(post.body_first_line + s.line - 1, "skipped", s.reason) for s in skeleton.skipped]
        if post.front_matter is None:
            flags.append(Flag(1, "no-front-matter", "post has no front matter; translated the body only"))
            return units, flags
        for fm_field in frontmatter.translatable_fields(post.front_matter, self.translate_keys, post.path):
            units.append(self.field(fm_field, flags, contexts.of_field(fm_field.key)))
        return units, flags

    def body(self, segment: Segment, context: SegmentContext | None = None) -> Unit:
        unit = Unit(segment, short_hash(segment.protected.joined), context=context)
        if not segment.protected.has_prose:
            unit.fixed, unit.origin = segment.source, "source"
            return unit
        unit.key = self.key(segment.protected, context)
        pieces = split_sentences(segment.xml, self.text_bytes)
        if len(pieces) > 1:
            for piece in pieces:
                protected = Protected(piece, {}, piece)
                unit.parts.append((self.key(protected, context), replace(segment, protected=protected)))
        return unit

    def field(self, fm_field: frontmatter.Field, flags: list[Flag], context: SegmentContext | None = None) -> Unit:
        """A front matter value; categories and tags map through the taxonomy."""
        protected = protect_plain(fm_field.value, self.keep)
        segment = Segment("front_matter", fm_field.start, fm_field.end, fm_field.line, fm_field.value, protected)
        unit = Unit(segment, short_hash(fm_field.value), fm_field=fm_field, context=context)
        taxonomy = fm_field.key in TAXONOMY_KEYS
        if taxonomy and fm_field.value in self.taxonomy:
            unit.fixed, unit.origin = self.taxonomy[fm_field.value], "approved"
        elif not protected.has_prose:
            unit.fixed, unit.origin = fm_field.value, "source"
        else:
            unit.key = self.key(protected, context)
            if taxonomy:
                message = (
                    f"{fm_field.key} {fm_field.value!r} has no taxonomy entry; translated by the engine (add it to glossary/taxonomy.tsv)"
                )
                flags.append(Flag(fm_field.line, "unmapped-taxonomy", message))
        return unit


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


def read_texts(post: Post, dialect: str, translate_keys: tuple[str, ...], keep: re.Pattern[str] | None = None) -> Texts:
    """Used by the run (the previous English), the review report and the XLIFF export and
    import. `keep`: the glossary's names, protected in the body segments' engine text."""
    body = split_post(post, dialect, keep).segments
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


def read_english(output: Path, dialect: str, translate_keys: tuple[str, ...]) -> English:
    texts = read_texts(read_post(output), dialect, translate_keys)
    return English([s.source for s in texts.body], {name: f.value for name, f in texts.fields.items()})


@dataclass
class Draft:
    """The edition being assembled, unit by unit: where each English text goes and the
    state record of each (body segments first, then front matter values, as recorded)."""

    body_edits: list[tuple[int, int, str]] = field(default_factory=list)
    field_edits: list[tuple[frontmatter.Field, str]] = field(default_factory=list)
    body_records: list[SegmentRecord] = field(default_factory=list)
    field_records: list[SegmentRecord] = field(default_factory=list)

    def add(self, unit: Unit, text: str, usable: bool, review: bool) -> None:
        # A segment that kept its source because the answer was unusable has no reuse key:
        # later runs go back to the cache (no charge) or, with --retry-flagged, the engine.
        record = SegmentRecord(unit.reuse_key if usable else "", unit.source_hash, short_hash(text), unit.origin, unit.field_name, review)
        if unit.fm_field is not None:
            self.field_edits.append((unit.fm_field, text))
            self.field_records.append(record)
        else:
            self.body_edits.append((unit.segment.start, unit.segment.end, text))
            self.body_records.append(record)

    @property
    def records(self) -> tuple[SegmentRecord, ...]:
        return tuple(self.body_records + self.field_records)

    @property
    def body_english(self) -> list[str]:
        return [text for _, _, text in self.body_edits]


def render(
    post: Post,
    body_edits: Sequence[tuple[int, int, str]],
    field_edits: Sequence[tuple[frontmatter.Field, str]],
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


def commit(state_file: Path, state: PostState, output: Path, data: bytes, changed: bool) -> None:
    """Write one post's state and edition, in the order that survives a crash.

    State first, naming both the old and the new edition: a crash between the two writes
    is then recognised as an unfinished write, never as a translator's edit. An unchanged
    edition is not rewritten. Once the edition has landed, the old hash is dropped."""
    save_state(state_file, state)
    if not changed:
        return
    write_atomic(output, data)
    complete_write(state_file, state)
