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
    if not policy.paragraphs:
        return PostContext([SegmentContext(title) for _ in segments], title)
    prose = [_plain(s) for s in segments]
    n, cap = policy.paragraphs, policy.max_chars
    body: list[SegmentContext | None] = [
        SegmentContext(title, "\n\n".join(prose[max(0, i - n) : i])[-cap:], "\n\n".join(prose[i + 1 : i + 1 + n])[:cap])
        for i in range(len(segments))
    ]
    return PostContext(body, title)


def _title(post: Post) -> str:
    if post.front_matter is None:
        return ""
    value = frontmatter.read_values(post.front_matter, post.path).get("title")
    return value.strip() if isinstance(value, str) else ""


def _plain(segment: Segment) -> str:
    """A segment's text without its markup, for context: what a reader sees, not tags."""
    try:
        return " ".join(prose_of(segment.xml).split())
    except ET.ParseError:
        return segment.protected.joined
