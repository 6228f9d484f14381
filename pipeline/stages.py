"""The CPU-bound stages of a run, as plain functions of picklable values.

A run's own work per post is two pure computations around the I/O and the decisions
(state, caches, memory, the writes), which stay with `run.Translator`:

* `prepare`: a post read from disk → its one parse (Liquid masked, body tokenized and
  split into segments, engine texts protected), its lint and its leftover count, the
  values its front matter shows and its headings: everything later steps read of it;
* `render`: a post and the English of its units → the edition's bytes, the frame of the
  rendering (`carry`) and the Japanese its front matter still shows.

Neither touches the disk, the cache, the state or the engine, and their inputs and outputs
pickle (no markdown-it tokens leave `prepare`), so a process pool can run them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline import carry, edition, frontmatter, heading_ids, leftovers
from pipeline.config import Settings
from pipeline.lint import lint_text
from pipeline.post import Post, parse_post
from pipeline.qa import Flag
from pipeline.segment import split_post


@dataclass(frozen=True)
class Reading:
    """How a run reads posts and editions: the part of its settings the stages need, and how
    a post's segments become units (`edition.UnitMaker`: the glossary's names kept as
    written, the cache keys), all of it picklable."""

    dialect: str
    lang: str  # the source language, lowercased (the lint's checks)
    translate_keys: tuple[str, ...]
    attributes: tuple[str, ...]
    comments: bool
    units: edition.UnitMaker

    @classmethod
    def of(cls, settings: Settings, units: edition.UnitMaker) -> "Reading":
        return cls(
            settings.dialect,
            settings.source_lang.lower(),
            tuple(settings.translate_keys),
            tuple(settings.translate_attributes),
            settings.translate_comments,
            units,
        )

    @property
    def keep(self) -> re.Pattern[str] | None:
        return self.units.keep


@dataclass(frozen=True)
class Prepared:
    """A post read once: its units (each with its cache keys) and the flags reading it
    earned, and what lint, leftovers, heading ids and context read of the same parse. The
    post itself is not in it: the run holds it already (a worker would send it back)."""

    units: list[edition.Unit]
    flags: list[Flag]
    lint_findings: int
    leftover: leftovers.Left  # the source's Japanese, its front matter's included
    shown: tuple[frontmatter.Field, ...]  # the front matter values holding Japanese (`leftovers.in_front_matter`)
    headings: tuple[heading_ids.Heading, ...]


def prepare(post: Post, reading: Reading) -> Prepared:
    """One parse of `post`, and everything read from it."""
    skeleton = split_post(post, reading.dialect, reading.keep, reading.attributes, reading.comments)
    parsed = (post.body, skeleton.tokens)
    findings = lint_text(post.path, post.text, parsed=parsed, dialect=reading.dialect, lang=reading.lang)
    left = leftovers.count_source(post.body, skeleton.tokens, post.renders_liquid, reading.comments, skeleton.masked)
    shown = tuple(leftovers.in_front_matter(post))
    left.front_matter = leftovers.front_matter_count(shown)
    headings = heading_ids.headings(skeleton.tokens)
    units, flags = reading.units.units(post, skeleton)
    return Prepared(units, flags, len(findings), left, shown, headings)


@dataclass(frozen=True)
class Rendered:
    """An edition as rendered: its bytes, its frame as a parse of it reads it (the state
    records its line keys), and its front matter values still holding Japanese."""

    data: bytes
    frame: carry.Frame | None  # None unless asked for: only a merge with a translator's edition reads it
    keys: tuple[str, ...]  # the frame's line keys (`carry.keys`), hashed here rather than in the run's process
    shown: tuple[frontmatter.Field, ...]
    misread: Misread | None = None  # where a parse of the edition reads other segments than the source's


@dataclass(frozen=True)
class Misread:
    """The first body segment of the source whose place a parse of the edition fills with
    another kind of segment, or with none: the English changed how kramdown reads the lines
    (a title's `<タイプ>` translated away, and definition lines holding `|` became a table)."""

    index: int  # among the source's body segments
    source: str  # its kind
    edition: str  # the kind the edition reads there ("" when it reads none)


def render(
    post: Post,
    output: Path,
    body_edits: Sequence[tuple[int, int, str]],
    field_edits: Sequence[tuple[frontmatter.Field, frontmatter.Value]],
    added: Mapping[str, str | int],
    reading: Reading,
    spans: Sequence[tuple[int, int]],
    known: tuple[str, carry.Frame] | None = None,
    merging: bool = True,
    kinds: Sequence[str] = (),
) -> Rendered:
    """The edition of `post` with its English (`edition.render`), its frame and what its front
    matter shows; `output`: the edition's path (named in errors). `spans`: the source's body segments (`Skeleton.segments`), which are the
    rendering's when its body is the source's; `known`: the hash and frame of an edition
    already read, not parsed again when the rendering is that edition; `merging`: the frame
    itself is sent back (a translator's edition may be merged with it), not only its keys;
    `kinds`: the kinds of the source's body segments, which a parse of the edition must read
    in the same places (`Misread` says where it does not)."""
    data = edition.render(post, body_edits, field_edits, added)
    rendered = parse_post(output, data)
    misread = None
    if known is not None and known[0] == rendered.source_hash:
        frame = known[1]
    else:
        frame, read = frame_of_rendering(post, rendered, reading, spans)
        misread = _misread(kinds, read) if kinds and read is not None else None
    return Rendered(data, frame if merging else None, carry.keys(frame), tuple(leftovers.in_front_matter(rendered)), misread)


def frame_of_rendering(
    source: Post, rendered: Post, reading: Reading, spans: Sequence[tuple[int, int]]
) -> tuple[carry.Frame, tuple[str, ...] | None]:
    """The frame of our rendering of `source`, as a parse of it gives it (`carry.frame_of`),
    and the kinds of the body segments that parse read (None: not parsed). A body that is the
    source's byte for byte splits into the source's segments (the keep rules change a
    segment's engine text, never its span), so only its front matter is read."""
    if rendered.body != source.body or rendered.renders_liquid != source.renders_liquid:
        texts = read_texts(rendered, reading)
        return carry.frame_of(texts), tuple(segment.kind for segment in texts.body)
    fields = _fields(rendered, reading)
    return carry.frame_spans(rendered, spans, fields), None


def _misread(source: Sequence[str], edition: Sequence[str]) -> Misread | None:
    """The first place the edition's segments are not the source's kinds, or None."""
    for index, (kind, read) in enumerate(zip(source, edition)):
        if kind != read:
            return Misread(index, kind, read)
    if len(source) > len(edition):  # the edition reads none where the source goes on
        return Misread(len(edition), source[len(edition)], "")
    if len(source) < len(edition):  # the edition reads more after the source's last
        return Misread(len(source) - 1, source[-1], edition[len(source)])
    return None


def read_texts(post: Post, reading: Reading) -> edition.Texts:
    """An edition read as `edition.read_texts` reads it, with the run's settings."""
    return edition.read_texts(post, reading.dialect, reading.translate_keys, attributes=reading.attributes, comments=reading.comments)


def _fields(post: Post, reading: Reading) -> list[frontmatter.Field]:
    if post.front_matter is None:
        return []
    return frontmatter.translatable_fields(post.front_matter, reading.translate_keys, post.path)
