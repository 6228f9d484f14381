"""A Markdown summary of a review, short enough for a pull-request comment.

GitHub caps comments at 65,536 characters and reviewers read the first screen: so at most
MAX_POSTS table rows and MAX_ITEMS flagged segments are listed, with a pointer to the full
HTML report for the rest. Flag text is clipped and stripped of Markdown-active characters.
"""

from __future__ import annotations

import re

from pipeline.markdown_text import code_span
from pipeline.review.collect import Review
from pipeline.review.html import flag_label

MAX_POSTS = 15
MAX_ITEMS = 12
_CLIP = 110
_ACTIVE = re.compile(r"([\\`*_\[\]<>|#])")


def _plain(text: str, limit: int = _CLIP) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _ACTIVE.sub(r"\\\1", text)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{flag_label(code)} ×{n}" for code, n in sorted(counts.items())) or "—"


def render_summary(review: Review, report: str | None = None) -> str:
    flags = review.flag_counts
    base = f"compared with `{review.base}`" if review.base else "no previous version to compare with"
    lines = [
        f"### Translation review: {len(review.posts)} post(s), {review.rows} changed segment(s), {sum(flags.values())} flag(s)",
        "",
        f"{_plain(review.scope)}; {base}." + (f" Full side-by-side report: `{report}`." if report else ""),
        "",
    ]
    if not review.posts:
        return "\n".join(lines + ["Nothing to review."]) + "\n"
    origins = review.origin_counts
    if origins:
        lines += ["Origins of the changed segments: " + ", ".join(f"{n} {o}" for o, n in sorted(origins.items())) + ".", ""]
    lines += ["| post | changed | flags |", "|---|---:|---|"]
    for post in review.posts[:MAX_POSTS]:
        lines.append(f"| {code_span(post.source.name, in_table=True)} | {len(post.rows)} | {_counts(post.flag_counts)} |")
    if len(review.posts) > MAX_POSTS:
        lines.append(f"| … and {len(review.posts) - MAX_POSTS} more post(s) | | |")
    items = [(post, row.line, flag) for post in review.posts for row in post.rows for flag in row.flags] + [
        (post, None, flag) for post in review.posts for flag in post.notes
    ]
    items.sort(key=lambda item: (item[2].code != "needs-review", item[2].code != "glossary"))
    if items:
        lines += ["", "**Needs a look:**", ""]
        for post, line, flag in items[:MAX_ITEMS]:
            where = code_span(f"{post.source.name}:{line}" if line else post.source.name)
            lines.append(f"- {where} {flag_label(flag.code)}: {_plain(flag.message)}")
        if len(items) > MAX_ITEMS:
            lines.append(f"- … and {len(items) - MAX_ITEMS} more in the full report")
    return "\n".join(lines) + "\n"
