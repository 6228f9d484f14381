"""English a run already has: the previous edition, translators' edits, the memory.

Where a unit's English comes from, first match wins: a translator's text in the existing
edition at the unit's place (or, for a segment that moved, under its reuse key); an
approved translation of the same source from the memory; our own earlier machine output.
An edition the state does not know is adopted as a translator's work. When the edition's
segments no longer line up with its record, `NeedsMerge` refuses to guess.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.attributes import TRANSLATED
from pipeline.carry import NeedsMerge
from pipeline.edition import English, Texts, Unit, lined_up, misaligned, read_english
from pipeline.memory import TranslationMemory
from pipeline.post import Post
from pipeline.qa import Flag
from pipeline.state import Origin, PostState, SegmentRecord, short_hash

PEOPLE: tuple[Origin, ...] = ("human", "approved")
Opcodes = Sequence[tuple[str, int, int, int, int]]


@dataclass
class Previous:
    """The English of the last edition, aligned with its state record."""

    by_key: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    records: tuple[SegmentRecord, ...] = ()
    entries: list[tuple[str, Origin] | None] = field(default_factory=list)  # per record; None: field gone
    engine: str = ""  # the engine the record names (its post's last run)
    edition: Texts | None = None  # the edition as read, for `carry` (read once)
    placed: dict[int, tuple[str, Origin]] = field(default_factory=dict)  # by unit index: an adopted edition's, at their places

    def add(self, key: str, text: str, origin: Origin) -> None:
        """By reuse key, for segments that moved. A person's text wins over ours: of two
        copies of a repeated paragraph, the one a translator edited is the one to keep."""
        known = self.by_key.get(key)
        if known is None or (known[1] not in PEOPLE and origin in PEOPLE):
            self.by_key[key] = (text, origin)


@dataclass(frozen=True)
class EditionReader:
    """How to read an edition's English: the Markdown dialect and the translated keys."""

    dialect: str
    translate_keys: tuple[str, ...]
    attributes: tuple[str, ...] = TRANSLATED
    comments: bool = True  # code blocks' comments are segments

    def read(self, output: Path) -> English:
        return read_english(output, self.dialect, self.translate_keys, self.attributes, self.comments)


def previous_english(reader: EditionReader, record: PostState | None, output: Path, edition_sha: str | None) -> Previous:
    """Align the existing edition with its state record, so its English can be reused.

    If the edition is exactly what we wrote, every text in it is ours. If a translator
    changed it, segments whose hash differs are theirs. If the segments no longer line
    up with the record (paragraphs split or merged by hand), we refuse to guess.
    """
    if record is None or edition_sha is None:
        return Previous()
    edited = edition_sha != record.edition_sha256
    if edited and edition_sha == record.previous_edition_sha256:
        return Previous()  # our last write never landed: the edition predates the record
    english = reader.read(output)
    body_records = [r for r in record.segments if r.f is None]
    order = lined_up(english.kinds, len(body_records))
    if order is None:
        if edited:
            raise NeedsMerge(
                f"the English edition {output} was edited by hand and now has {len(english.body)} segments where "
                f"{len(body_records)} were written (paragraphs split or merged?); left as it is: merge it by "
                "hand so its paragraphs line up with the Japanese again",
                path=output,
            )
        return Previous()
    previous = Previous(records=record.segments, engine=record.engine, edition=english.texts)
    body = iter(english.body[i] for i in order)
    for rec in record.segments:
        text = english.values.get(rec.f) if rec.f is not None else next(body)
        if text is None:
            previous.entries.append(None)
            continue
        origin: Origin = "human" if edited and short_hash(text) != rec.e else rec.o
        previous.entries.append((text, origin))
        previous.add(rec.k, text, origin)
    return previous


def adopt(reader: EditionReader, units: list[Unit], output: Path) -> Previous:
    """An edition the state knows nothing of (written by a translator, or its state file
    deleted) is a person's work: every segment of it is taken as a human translation of
    the source segment at the same place (one with no Japanese too, where they rewrote it),
    and every byte around them is theirs as well. If its segments do not line up with the
    source's, there is no safe way to tell which English belongs where: refuse, and
    leave the file alone."""
    english = reader.read(output)
    kinds = [u.segment.kind for u in units if u.fm_field is None]
    at = misaligned(english.kinds, kinds)
    if at is not None:
        raise NeedsMerge(f"the English edition {output} {not_lined_up(len(english.kinds), len(kinds), at)}", path=output)
    # by place, never by key: two segments with the same source (a heading `MJIT` and a list
    # item `MJIT`) may hold different English, each theirs where it stands
    previous = Previous(edition=english.texts)  # its bytes outside the segments are theirs too (`run._carry`)
    texts = iter(english.body)
    for j, unit in enumerate(units):
        name = unit.field_name
        text = next(texts) if unit.fm_field is None else english.values.get(name) if name is not None else None
        if text is not None and unit.origin != "approved" and (unit.origin != "source" or text != unit.segment.source):
            previous.placed[j] = (text, "human")  # a segment with no Japanese is theirs where they rewrote it
    return previous


def not_lined_up(english: int, japanese: int, at: int) -> str:
    """Why an edition with no state record is not adopted, in words (`translate`, `status`)."""
    return (
        f"has no state record (written by hand, or its state file was deleted) and its {english} segments do not line up "
        f"with the {japanese} of the Japanese (from segment {at + 1} on); left as it is: merge it so its paragraphs line up, "
        "or move it aside to have it translated afresh"
    )


def _alignment(previous: Previous, units: list[Unit]) -> Opcodes:
    """difflib opcodes lining up the recorded segments with this run's, by source hash."""
    if not previous.records:
        return []
    matcher = difflib.SequenceMatcher(a=[r.s for r in previous.records], b=[u.source_hash for u in units], autojunk=False)
    return matcher.get_opcodes()


def _in_place(units: list[Unit], previous: Previous, alignment: Opcodes) -> dict[int, tuple[str, Origin]]:
    """The previous English of each unit whose source segment is unchanged at its place.

    By position first, not by key: two copies of a repeated paragraph share a key but
    may carry different English (a translator fixed one), and a person's text for an
    unchanged source stays even when the key moved (glossary or engine settings changed:
    only our own output is then out of date).
    """
    found: dict[int, tuple[str, Origin]] = {}
    for tag, i1, i2, j1, j2 in alignment:
        if tag != "equal":
            continue
        for i, j in zip(range(i1, i2), range(j1, j2)):
            entry, rec = previous.entries[i], previous.records[i]
            if entry is not None and rec.f == units[j].field_name and (entry[1] in PEOPLE or rec.k == units[j].reuse_key):
                found[j] = entry
    return found


def _mark_kept(units: list[Unit], previous: Previous, alignment: Opcodes, asker: str) -> None:
    """Units whose unchanged source an earlier run kept in Japanese (its answer refused):
    the committed state says so, so neither a warm cache nor a fresh clone asks again
    unless told to (`--retry-flagged`). Only the engine that refused (`asker`, as
    `state.refuser` names it) is not asked again: another engine is (a pseudo trial's
    refusal says nothing of DeepL). A record older than that names only its post's engine."""
    for tag, i1, i2, j1, j2 in alignment:
        if tag != "equal":
            continue
        for i, j in zip(range(i1, i2), range(j1, j2)):
            record = previous.records[i]
            same = record.r == asker if record.r else previous.engine == asker.split(":")[0]
            if record.kept and same and record.o not in PEOPLE and units[j].fixed is None:
                units[j].kept = record.kept


def _taxonomy_override(unit: Unit, was: tuple[str, Origin] | None) -> Flag | None:
    """Taxonomy values come from the glossary for every post alike; a hand edit of one is
    reverted, and said so."""
    if was is None or was[1] != "human" or was[0] == unit.fixed:
        return None
    return Flag(
        unit.segment.line,
        "taxonomy-override",
        f"{unit.field_name} was edited to {was[0]!r} in the English edition, but the taxonomy maps "
        f"{unit.segment.source!r} to {unit.fixed!r}; change glossary/taxonomy.tsv to keep it",
        was[0],
    )


def _take(unit: Unit, hit: tuple[str, Origin] | None, memory: TranslationMemory) -> None:
    """Give `unit` the English it already has: a person's, the memory's, or ours."""
    if hit is not None and hit[1] in PEOPLE:
        unit.fixed, unit.origin = hit
        return
    if unit.origin == "source":  # nothing to translate, and nobody edited it
        return
    entry = memory.get(unit.segment.protected.joined)
    if entry is not None:
        unit.fixed, unit.origin = entry.target, "approved"
    elif hit is not None:
        unit.fixed, unit.origin = hit


def _changed_under_people(units: list[Unit], previous: Previous, alignment: Opcodes, post: Post) -> list[Flag]:
    """Sources that changed under a human translation: re-translated, flagged, with the old
    text. Where the translator edited the English since the last run too (both sides changed,
    as a translator does who brings their English up to date with the new Japanese), their
    text is kept, flagged for a look: never replaced by the engine's."""
    flags: list[Flag] = []
    for tag, i1, i2, j1, j2 in alignment:
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        for i, j in zip(range(i1, i2), range(j1, j2)):
            rec, was = previous.records[i], previous.entries[i]
            if was is not None and short_hash(was[0]) != rec.e and rec.f == units[j].field_name:  # edited since the last run
                units[j].fixed, units[j].origin = was[0], "human"
                message = "the source changed, and the English was edited since the last run: kept as the translator wrote it"
                flags.append(Flag(units[j].line(post), "needs-review", message, was[0]))
            elif rec.o in PEOPLE or (was is not None and was[1] in PEOPLE):
                text = was[0] if was is not None else ""
                message = "the source changed under a human translation; re-translated"
                flags.append(Flag(units[j].line(post), "needs-review", message, text))
    return flags


def reuse(units: list[Unit], previous: Previous, memory: TranslationMemory, post: Post, asker: str = "") -> list[Flag]:
    """Take English from the previous edition or the translation memory; the flags it earns.

    Precedence: a translator's text in this edition, then an approved translation of the
    same source from the memory, then our own earlier machine output. `asker`: the engine
    this run asks (`state.refuser`), for the refusals recorded by it.
    """
    alignment = _alignment(previous, units)
    in_place = previous.placed or _in_place(units, previous, alignment)
    _mark_kept(units, previous, alignment, asker)
    flags: list[Flag] = []
    for j, unit in enumerate(units):
        if unit.origin == "approved":  # taxonomy: the glossary decides, but says so
            override = _taxonomy_override(unit, in_place.get(j))
            flags.extend([override] if override else [])
            continue
        _take(unit, in_place.get(j) or previous.by_key.get(unit.reuse_key), memory)
    if previous.records:
        flags.extend(_changed_under_people(units, previous, alignment, post))
    return flags
