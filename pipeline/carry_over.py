"""Where a run's rendering meets the edition a translator edited: which frame is the base
of the merge (`carry`), and the translator's frame.

* A tracked edition (its state record is there): the base is the frame of what we last
  wrote, so every line the translator changed since stays theirs.
* An adopted edition (`translate --adopt`: no record, a person's file): the base is this
  run's own rendering, so every byte of theirs that differs from it stays theirs, and the
  edition is written back as they wrote it, with the keys the pipeline adds (`lang`, `ref`)
  set in its front matter (a site links the editions with them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline import carry, edition, stages
from pipeline.edition import Pair
from pipeline.post import parse_post, source_hash
from pipeline.qa import Flag


def base_keys(prepared: Pair, frame: Sequence[str], theirs_data: bytes) -> Sequence[str] | None:
    """The frame a translator's edition is compared with: the record's (what we wrote);
    for an adopted edition, this rendering's. None: nothing to carry over."""
    base = prepared.base
    if base is None:
        return frame if prepared.built_from == "adopted" else None
    if not base.carried and source_hash(theirs_data) == base.edition_sha256:  # what we wrote, as we wrote it
        return None
    # a record older than the frame: its rendering's frame is this one's when the source is the same
    keys = base.frame or (frame if base.source_sha256 == prepared.post.source_hash else None)
    if keys is None:  # said, not silently dropped: only the prose edits can be told apart
        message = (
            "the edition was edited by hand, but its state predates the record of what we wrote outside the translated "
            "text: edits there (code, link targets, front matter keys) are not carried over; compare with the committed edition"
        )
        prepared.result.flags.append(Flag(1, "edits-not-carried", message))
    return keys


def theirs_frame(
    prepared: Pair,
    theirs_path: Path,
    theirs_data: bytes,
    known: tuple[str, carry.Frame] | None,
    added: Mapping[str, str | int],
    reading: stages.Reading,
) -> carry.Frame:
    """The frame of the translator's edition: as preparing read it (`known`, or the texts it
    read), else read now. An adopted one is read with the pipeline's keys set in it."""
    if prepared.built_from == "adopted" and added:
        completed = parse_post(theirs_path, theirs_data)
        completed = parse_post(theirs_path, edition.render(completed, [], [], added))
        return carry.frame_of(stages.read_texts(completed, reading))
    if known is not None:  # the edition on disk is theirs, its frame made while drafting
        return known[1]
    read = prepared.theirs_texts
    return carry.frame_of(read if read is not None else stages.read_texts(parse_post(theirs_path, theirs_data), reading))
