"""A translator's bytes outside the translated text, carried into every later edition.

Prose a translator edits is found segment by segment (`reuse`). Everything else in an
edition (code blocks, reference definitions, HTML attributes, Liquid tags, front matter
keys we do not translate) comes from the Japanese post, so a later run would write the
Japanese post's bytes back over an edit there. A run therefore treats the edition as a
three-way merge of *frames*: an edition with each translated text (body segment, front
matter value) cut out and a hole (`HOLE`) left in its place.

* base: the frame of what we last rendered, kept in the committed state (`PostState.frame`),
  so a fresh clone has it;
* theirs: the frame of the edition as committed (a translator's edits in it);
* ours: the frame of this run's rendering.

`merge3` (the line merge breezy uses) merges them by line: where only the translator
changed a line, their line stays; where only the Japanese changed, ours comes; where both
changed the same lines, the post needs a manual merge, named with the edition's file line
(`translate --merged` then takes the edition's lines as the translator left them). The
merged frame's holes are filled with this run's texts, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import base64
import hashlib
from collections.abc import Iterable, Iterator

import merge3

from pathlib import Path

from pipeline.edition import Texts
from pipeline.frontmatter import Field
from pipeline.post import Post
from pipeline.errors import PipelineError

HOLE = "\x00"  # a post never holds NUL (`post.parse_post` refuses it), so a hole is never text


@dataclass(frozen=True)
class Frame:
    """An edition with its translated texts cut out: its lines (ends kept), the text of each
    hole in order, and the file line each frame line starts on."""

    lines: tuple[str, ...]
    holes: tuple[str, ...]
    starts: tuple[int, ...]


def frame_of(texts: Texts) -> Frame:
    """The frame of a post or edition read as `texts` (`edition.read_texts`)."""
    return frame_spans(texts.post, [(s.start, s.end) for s in texts.body], texts.fields.values())


def frame_spans(post: Post, body: Iterable[tuple[int, int]], fields: Iterable[Field]) -> Frame:
    """The frame of `post` with its `body` spans (offsets in its body) and its front matter
    `fields` cut out."""
    spans = [(post.body_start + start, post.body_start + end) for start, end in body]
    if post.front_matter is not None:
        at = post.front_matter.start
        spans += [(at + f.start, at + f.end) for f in fields if f.end > f.start]
    return _cut(post.text, sorted(spans))


def _cut(text: str, spans: Sequence[tuple[int, int]]) -> Frame:
    pieces: list[str] = []
    holes: list[str] = []
    starts, line, pos = [1], 1, 0
    for start, end in [*spans, (len(text), len(text))]:
        chunk = text[pos:start]
        pieces.append(chunk)
        for _ in range(chunk.count("\n")):
            line += 1
            starts.append(line)
        if end > start:
            pieces.append(HOLE)
            holes.append(text[start:end])
            line += text.count("\n", start, end)
        pos = max(pos, end)
    return Frame(_lines("".join(pieces)), tuple(holes), tuple(starts))


def _lines(text: str) -> tuple[str, ...]:
    """`text` split after each `\n` only (not `str.splitlines`' other breaks), as files count lines."""
    parts = text.split("\n")
    return tuple(part + "\n" for part in parts[:-1]) + ((parts[-1],) if parts[-1] else ())


@dataclass(frozen=True)
class Merged:
    """The merge of an edition: its text (None when it needs a manual merge), the merged
    edition's file lines that keep a translator's bytes, and the lines of the edition on disk
    where the Japanese changed under them (the manual merge)."""

    text: str | None
    kept: tuple[int, ...] = ()
    conflicts: tuple[int, ...] = ()


def line_key(line: str) -> str:
    """What the state keeps of a frame line: its hash (the base is compared, never copied, so
    a post's code blocks are not stored twice in the repository)."""
    return base64.urlsafe_b64encode(hashlib.sha256(line.encode("utf-8")).digest()[:6]).decode("ascii")


def keys(frame: Frame) -> tuple[str, ...]:
    """`line_key` of every line, encoded at once: six bytes are eight base64 characters, so
    the encoding of the digests joined is each key in turn (the state of every post has one).
    A line is hashed once however often it comes (blank lines, holes, fences: two thirds of
    a corpus post's lines repeat one before them)."""
    digests: dict[str, bytes] = {}
    for line in frame.lines:
        if line not in digests:
            digests[line] = hashlib.sha256(line.encode("utf-8")).digest()[:6]
    digests_in_order = b"".join(digests[line] for line in frame.lines)
    encoded = base64.urlsafe_b64encode(digests_in_order).decode("ascii")
    return tuple(encoded[i : i + 8] for i in range(0, len(encoded), 8))


def _regions(base: Sequence[str], mine: Sequence[str], their: Sequence[str]) -> Iterator[tuple[str, range, range]]:
    """merge3's regions, each with its ranges in ours and theirs: "same" (take ours), "theirs"
    (only the translator changed it), "conflict" (both did). Matched by line hashes, since the
    base is only hashes: merge3's sync regions (lines equal in all three) bound each region."""
    z = a = b = 0
    for zmatch, zend, amatch, aend, bmatch, bend in merge3.Merge3(list(base), list(mine), list(their)).find_sync_regions():
        base_part, ours_part, theirs_part = base[z:zmatch], mine[a:amatch], their[b:bmatch]
        if ours_part == theirs_part or theirs_part == base_part:
            tag = "same"
        else:
            tag = "theirs" if ours_part == base_part else "conflict"
        if ours_part or theirs_part or base_part:
            yield tag, range(a, amatch), range(b, bmatch)
        yield "same", range(amatch, aend), range(bmatch, bend)
        z, a, b = zend, aend, bend


def merge(base: Sequence[str], ours: Frame, theirs: Frame, take_theirs: bool = False) -> Merged:
    """Ours with the translator's lines (theirs against `base`, the line keys of our last
    rendering's frame) carried over. `take_theirs`: where both changed, the translator's
    lines win (they merged it by hand)."""
    if tuple(base) == keys(theirs):  # nothing changed outside the translated text
        return Merged(_fill(ours.lines, ours.holes)[0])
    lines: list[str] = []
    kept: list[int] = []  # indexes into `lines`
    conflicts: list[int] = []
    for tag, mine, their in _regions(base, keys(ours), keys(theirs)):
        if tag == "same":
            lines += ours.lines[mine.start : mine.stop]
        elif tag == "theirs" or take_theirs:
            kept += range(len(lines), len(lines) + max(len(their), 1))
            lines += theirs.lines[their.start : their.stop]
        else:
            conflicts.append(theirs.starts[min(their.start, len(theirs.starts) - 1)])
            lines += ours.lines[mine.start : mine.stop]
    text, starts = _fill(lines, ours.holes)
    if conflicts or text is None:
        return Merged(None, (), tuple(conflicts))
    last = starts[-1] if starts else 1
    return Merged(text, tuple(sorted({starts[i] if i < len(starts) else last for i in kept})))


def edited_lines(base: Sequence[str], theirs: Frame) -> tuple[int, ...]:
    """The edition's file lines where a translator changed bytes outside the translated text."""
    lines: list[int] = []
    for tag, _, their in _regions(base, base, keys(theirs)):
        if tag != "theirs":
            continue
        lines += (theirs.starts[min(i, len(theirs.starts) - 1)] for i in range(their.start, max(their.stop, their.start + 1)))
    return tuple(sorted(set(lines)))


def _fill(lines: Sequence[str], holes: Sequence[str]) -> tuple[str | None, list[int]]:
    """The frame's holes filled with `holes` in order, and the file line each frame line
    starts on; None when their counts differ (the translator removed or added a translated
    value: no way to tell which text goes where)."""
    out: list[str] = []
    starts: list[int] = []
    line, given = 1, iter(holes)
    for frame_line in lines:
        starts.append(line)
        pieces = frame_line.split(HOLE)
        for i, piece in enumerate(pieces):
            if i:
                hole = next(given, None)
                if hole is None:
                    return None, starts
                out.append(hole)
                line += hole.count("\n")
            out.append(piece)
        line += frame_line.count("\n")
    if next(given, None) is not None:
        return None, starts
    return "".join(out), starts


class NeedsMerge(PipelineError):
    """A translator restructured the edition, or edited bytes the Japanese changed under:
    we will not guess, and leave the edition as it is."""


def needs_merge(edition: Path, source: Path, conflicts: Sequence[int]) -> NeedsMerge:
    """The manual merge a conflict needs, at the edition's first conflicting line."""
    if not conflicts:
        return NeedsMerge(
            f"a translated value was added or removed by hand outside the translated text (against {source}); left as it is: "
            "put the front matter keys and blocks back as the Japanese has them, then run again",
            path=edition,
        )
    lines = ", ".join(str(line) for line in conflicts)
    return NeedsMerge(
        f"a translator's edit here (line{'s' if len(conflicts) > 1 else ''} {lines}) is outside the translated text, and the "
        f"Japanese under it changed too ({source}); left as it is: bring those lines up to date by hand, then run "
        "`pipeline translate --merged` to keep them as you left them",
        path=edition,
        line=conflicts[0],
    )
