"""What an engine that reads context (`engines.Contextual`, an LLM) sees around each text:
the post's title and the neighbouring paragraphs as plain prose.

Context is read, never translated, and it is part of each text's cache key: the same
sentence in another place may be translated otherwise. Engines without a context policy
get none, so their cache keys stay as they were.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline import frontmatter
from pipeline.engines import ContextPolicy, SegmentContext
from pipeline.glossary import prose_of
from pipeline.post import Post
from pipeline.segment import Segment


@dataclass(frozen=True)
class PostContext:
    """The context of each body segment of a post, and the title its front matter values
    are read with."""

    body: list[SegmentContext | None]
    title: str = ""

    def of_field(self, key: str) -> SegmentContext | None:
        """A front matter value is read with the post's title (the title itself with none)."""
        return SegmentContext(self.title) if self.title and key != "title" else None


def post_context(post: Post, segments: Sequence[Segment], policy: ContextPolicy | None) -> PostContext:
    """Each body segment's context under `policy` (None: no context at all)."""
    if policy is None:
        return PostContext([None] * len(segments))
    title = _title(post) if policy.title else ""
    if policy.short_chars:
        return PostContext(_short_only(segments, title, policy))  # front matter values: none
    if not policy.paragraphs:
        return PostContext([SegmentContext(title) for _ in segments], title)
    prose = [_plain(s) for s in segments]
    n, cap = policy.paragraphs, policy.max_chars
    body: list[SegmentContext | None] = [
        SegmentContext(title, "\n\n".join(prose[max(0, i - n) : i])[-cap:], "\n\n".join(prose[i + 1 : i + 1 + n])[:cap])
        for i in range(len(segments))
    ]
    return PostContext(body, title)


SHORT_KINDS = ("heading", "table_cell", "term")


def _short_only(segments: Sequence[Segment], title: str, policy: ContextPolicy) -> list[SegmentContext | None]:
    """Context for the short segments alone (a heading, a list item, a table cell): the
    title and the nearest longer paragraph on each side. The others get none, so their
    cache keys and requests stay as they were."""
    prose = [_plain(s) for s in segments]
    short = [s.kind in SHORT_KINDS or len(text) <= policy.short_chars for s, text in zip(segments, prose)]
    before, last = [], ""
    for text, is_short in zip(prose, short):
        before.append(last)
        last = last if is_short else text
    after, next_ = [""] * len(prose), ""
    for i in range(len(prose) - 1, -1, -1):
        after[i] = next_
        next_ = next_ if short[i] else prose[i]
    cap = policy.max_chars
    return [SegmentContext(title, before[i][-cap:], after[i][:cap]) if short[i] else None for i in range(len(prose))]


def _title(post: Post) -> str:
    if post.front_matter is None:
        return ""
    value = frontmatter.read_values(post.front_matter, post.path).get("title")
    return value.strip() if isinstance(value, str) else ""


def _plain(segment: Segment) -> str:
    """A segment's text without its markup, for context: what a reader sees, not tags."""
    try:
        return " ".join(prose_of(segment.xml).split())
    except (ET.ParseError, RecursionError):  # markup nested thousands deep: refused with its line later (qa)
        return segment.protected.joined
