"""Every check of an engine answer: does it restore, is it cut short, are the terms there.

The run asks these questions of each answer (once per answer, see `Answer`) and turns a
failed check into a `Flag` a reviewer reads; the segment then keeps its Japanese source.
Nothing here reads or writes files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from pipeline.errors import InputError, StructureError
from pipeline.glossary import Glossary, prose_of
from pipeline.inline import Protected, filled, restore
from pipeline.segment import Segment
from pipeline.translate import billable_length, nesting_depth

MAX_NESTING = 100  # elements inside elements in one segment; real prose stays far below
MIN_RATIO = 0.5  # English characters per Japanese character below which an answer looks cut off
MIN_CHECKED = 20  # shorter sources vary too much to judge
# The flag codes of a segment whose edition text is its Japanese source: an answer refused
# (structure, truncated), a block that could not be segmented (skipped). An engine error is
# not among them: it fails the post (exit 4), which is then written not at all, never in part.
KEPT_REASONS = ("structure", "truncated", "skipped", "refused")  # refused: the engine would not translate it, even alone
RETRY_HINT = "`pipeline translate --retry-flagged` asks the engine again"


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at in one segment of one post."""

    line: int
    code: str  # structure | glossary | unmapped-taxonomy | taxonomy-override | needs-review | skipped | alias | no-front-matter | edition-structure
    message: str
    previous: str | None = None  # needs-review: the translator's earlier English


def misread(line: int, source_kind: str, edition_kind: str) -> Flag:
    """The warning for an edition a parse reads as other segments than its source from `line`
    on (`stages.Misread`): a translation changed how kramdown reads the lines around it."""
    read = f"a {edition_kind.replace('_', ' ')}" if edition_kind else "nothing"
    return Flag(
        line,
        "edition-structure",
        f"the English edition reads as other Markdown from here ({read} where the source has a "
        f"{source_kind.replace('_', ' ')}): the English changed how kramdown reads these lines; check the page (pipeline site check)",
    )


def refuse_deep_nesting(segment: Segment, first_line: int) -> None:
    """Refuse emphasis or links nested thousands deep (`*****…日本語…*****`) up front: the
    glossary scan, engines and XML walkers recurse once per level and would fail with a
    RecursionError deep inside, for this post or (in an engine) the whole run."""
    if segment.xml.count("<") <= 2 * MAX_NESTING:
        return
    depth = nesting_depth(segment.xml)
    if depth > MAX_NESTING:
        raise InputError(
            f"emphasis or links nested {depth} levels deep (at most {MAX_NESTING} can be translated); simplify the Markdown",
            line=first_line + segment.line - 1,
        )


def truncated(translated: str, protected: Protected) -> bool:
    source = billable_length(protected.xml)
    return source >= MIN_CHECKED and billable_length(translated) < MIN_RATIO * source


@dataclass(frozen=True)
class Answer:
    """An engine answer restored to Markdown and checked, once.

    The run's retry decision needs the restore, and so does writing the edition; keeping
    the outcome saves restoring every fresh answer twice.
    """

    protected: Protected
    translated: str
    restored: str | StructureError | None  # the Markdown, why the tags do not restore, or None: not tried
    truncated: bool = False  # only judged when the answer restores

    @property
    def usable(self) -> bool:
        return not isinstance(self.restored, StructureError) and not self.truncated


def check_answer(translated: str, protected: Protected) -> Answer:
    if translated == protected.xml:  # the source's own text, kept by the engine: restores to its Markdown
        return Answer(protected, translated, protected.joined)  # (by construction; tests/test_roundtrip.py holds it)
    try:
        restored: str | StructureError = restore(translated, protected)
    except StructureError as exc:
        return Answer(protected, translated, exc)
    return Answer(protected, translated, restored, truncated(translated, protected))


def first_check(translated: str, protected: Protected) -> Answer:
    """A fresh answer as it lands: a segment without elements cannot break on restore (but a
    code comment, whose answer must stay inside it), so only its presence counts (it is
    restored once, when the edition is written)."""
    if can_break(protected):
        return check_answer(translated, protected)
    return Answer(protected, translated, None)


def costly_check(translated: str, protected: Protected) -> bool:
    """Whether `first_check` of this answer restores and parses it (worth a worker): not
    for a segment that cannot break, nor for an answer that is its source's own text."""
    return can_break(protected) and translated != protected.xml


def can_break(protected: Protected) -> bool:
    """Whether an answer for `protected` can fail to restore: it has elements, or it is a
    code comment (whose answer must stay inside the comment)."""
    return bool(protected.elements) or protected.comment is not None


def _is_restored(known: Answer | None, segment: Segment, translated: str) -> TypeGuard[Answer]:
    """Whether `known` already holds this very answer restored for this very segment."""
    return known is not None and known.restored is not None and known.protected is segment.protected and known.translated == translated


def acceptable(translated: str | None, protected: Protected) -> bool:
    """Whether an engine answer can be used: its tags restore and it is not cut short."""
    return translated is not None and check_answer(translated, protected).usable


def attached_english(segment: Segment, answers: Sequence[str | None], flags: list[Flag], line: int) -> list[str | None]:
    """The English of each text attached to `segment` (a link title, an alt), as it may
    stand in the markup; None keeps the source's (an answer missing or refused, flagged:
    its Japanese is then counted as left)."""
    english: list[str | None] = []
    for attached, translated in zip(segment.protected.attached, answers):
        answer = check_answer(translated, attached.protected) if translated is not None else None
        if answer is None or not answer.usable or not isinstance(answer.restored, str):
            why = "no answer" if answer is None else "the answer broke its structure or was cut short"
            flags.append(Flag(line, "attribute-kept", f"{why}: kept the Japanese {attached.source!r} in the markup"))
            english.append(None)
            continue
        english.append(answer.restored)
    return english


def restored_text(
    segment: Segment, translated: str | None, flags: list[Flag], line: int, known: Answer | None = None, fills: Sequence[str | None] = ()
) -> tuple[str, str]:
    """The Markdown for one segment, and why the engine's answer was refused ("" when it
    was usable).

    An answer that broke the structure or was cut short gives the source itself, and a
    flag whose code the state records (`SegmentRecord.kept`). `known`: this answer as the
    run already checked it, used when it is the very same. `fills`: the English of the
    segment's attached texts (`attached_english`), written into its markup."""
    if translated is None:
        raise InputError("translation missing from the cache after the engine call", line=line)
    protected = filled(segment.protected, fills)
    if protected is segment.protected and _is_restored(known, segment, translated):
        answer = known
    else:
        answer = check_answer(translated, protected)
    text = answer.restored
    if isinstance(text, StructureError):
        flags.append(Flag(line, "structure", f"{text.message}; kept the Japanese source"))
        return segment.source, "structure"
    assert text is not None  # check_answer always restores
    if answer.truncated:
        flags.append(Flag(line, "truncated", "the translation is far shorter than the source; kept the Japanese source"))
        return segment.source, "truncated"
    # A translation identical to the source keeps the source's own line layout.
    return (segment.source if text == segment.protected.joined else text.strip()), ""


def answer_prose(translated: str | None) -> str | None:
    """The words of an engine answer; None when there is none, or it is not even XML
    (`restored_text` flags that already)."""
    if translated is None:
        return None
    try:
        return prose_of(translated)
    except ET.ParseError:
        return None


def term_check(
    glossary: Glossary, segment: Segment, english: str | None, flags: list[Flag], line: int, fills: Sequence[str | None] = ()
) -> tuple[str, ...]:
    """Flags (into `flags`) each glossary term of the source whose English the words `english`
    lack, and returns those terms (Japanese): the state records them so `--strict` stays failed.
    `fills`: the English of the segment's attached texts (titles), checked with their sources."""
    if not glossary.terms or english is None:
        return ()
    pairs = [(a.protected.xml, f) for a, f in zip(segment.protected.attached, fills) if f is not None]
    source = " ".join([prose_of(segment.xml), *(prose_of(xml) for xml, _ in pairs)])
    misses = glossary.misses(source, " ".join([english, *(f for _, f in pairs)]))
    flags.extend(Flag(line, "glossary", f"term {source!r} should be translated as {target!r}") for source, target in misses)
    return tuple(source for source, _ in misses)


def refused_text(segment: Segment, reason: str, flags: list[Flag], line: int) -> tuple[str, str]:
    """The Markdown of a segment the engine would not translate even alone: its source,
    flagged with the engine's reason (`restored_text`'s result for it)."""
    flags.append(Flag(line, "refused", f"the engine would not translate it ({reason}); kept the Japanese source; {RETRY_HINT}"))
    return segment.source, "refused"


def kept_again(reason: str) -> str:
    """The message of a segment an earlier run kept in Japanese (the state records why)."""
    return f"an earlier answer was refused ({reason}); kept the Japanese source; {RETRY_HINT}"


def kept_message(count: int) -> str:
    return f"{count} segment(s) kept in Japanese: an engine answer was refused; {RETRY_HINT}"


def kept_by_reason(flags: Iterable[Flag]) -> dict[str, int]:
    """How many segments kept their Japanese, by reason, from a post's flags."""
    counts: dict[str, int] = {}
    for flag in flags:
        if flag.code in KEPT_REASONS:
            counts[flag.code] = counts.get(flag.code, 0) + 1
    return counts
