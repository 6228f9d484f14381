"""Texts inside an element's markup that are translated on their own: the title of a link
or image (`](/x "タイトル")`), the alt, title or aria-label of an inline HTML tag.

They travel as a `Protected`'s `attached` entries, not in its XML (the engine never sees
the markup around them). Here they are found in markup (`title_after`, `markup_texts`),
attached during the walk, and their English written back (`filled`, `title_text`): one
place for what the walk, the restore and the XLIFF export (which matches elements by their
markup without these texts) each need of them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Literal

from markdown_it.helpers import parseLinkDestination, parseLinkTitle

from pipeline.attributes import TRANSLATED, translated_values
from pipeline.engine_text import Protected, _Builder
from pipeline.japanese import JAPANESE
from pipeline.kramdown.links import inline_title


def title_text(restored: str, quote: str) -> str:
    """An answer as a Markdown link title delimited by `quote`: one line, and a typographic
    mark where it held the delimiter (a title cannot hold its own)."""
    return re.sub(r"\s*\n\s*", " ", restored.strip()).translate(_TITLE_DELIMITERS[quote])


_TITLE_DELIMITERS = {
    '"': str.maketrans({'"': "\u201d"}),
    "'": str.maketrans({"'": "\u2019"}),
    "(": str.maketrans({"(": "[", ")": "]"}),
}


def filled(protected: Protected, fills: Sequence[str | None]) -> Protected:
    """`protected` with the English of its attached texts (`fills`, one per `attached`;
    None keeps the source) written into its elements' markup and its `joined` text."""
    changes = [(a, f) for a, f in zip(protected.attached, fills) if f is not None and f != a.source]
    if not changes:
        return protected
    elements, joined = dict(protected.elements), protected.joined
    for attached, text in sorted(changes, key=lambda change: change[0].at, reverse=True):
        element = elements[attached.element]
        markup = element.open if attached.side == "open" else element.close
        markup = markup[: attached.start] + text + markup[attached.end :]
        if attached.side == "open":
            elements[attached.element] = dataclasses.replace(element, open=markup)
        else:
            elements[attached.element] = dataclasses.replace(element, close=markup)
        joined = joined[: attached.at] + _finish(text, protected) + joined[attached.at_end :]
    return dataclasses.replace(protected, elements=elements, joined=joined)


def _attach_title(out: _Builder, ident: str, side: Literal["open", "close"], markup: str, at: int) -> None:
    """A Japanese title of an inline link or image (`](/x "タイトル")` from `at` in the
    element's `markup`): translated on its own, written back between its delimiters."""
    span = _title_span(markup, at) if JAPANESE.search(markup) else None
    if span is not None and JAPANESE.search(markup[span[0] : span[1]]):
        title = markup[span[0] : span[1]]
        out.attach_text(ident, side, (span[0], span[1]), dataclasses.replace(protect_plain(title, out.keep), title_quote=span[2]))


def _title_span(markup: str, at: int) -> tuple[int, int, str] | None:
    """(start, end, opening delimiter) of the title inside `](destination "title")`, which
    starts at `at` of `markup`; None when it has none."""
    if not markup.startswith("](", at):
        return None
    # a url with spaces is kramdown's alone (`kramdown.links`): so is the title after it
    return title_after(markup, at + 2, len(markup)) or inline_title(markup, at + 1, len(markup))


def title_after(text: str, pos: int, end: int) -> tuple[int, int, str] | None:
    """(start, end, opening delimiter) of the title in `destination "title"`, read from `pos`
    (just after a link's `](` or a reference definition's `]:`) up to `end`, as markdown-it
    reads them; None when there is none."""
    while pos < end and text[pos] in " \t\r\n":
        pos += 1
    destination = parseLinkDestination(text, pos, end)
    if not destination.ok:
        return None
    pos = destination.pos
    while pos < end and text[pos] in " \t\r\n":
        pos += 1
    if pos == destination.pos or pos >= end or text[pos] not in "\"'(":
        return None
    title = parseLinkTitle(text, pos, end)
    return (pos + 1, title.pos - 1, text[pos]) if title.ok else None


def markup_texts(markup: str, attributes: Sequence[str] = TRANSLATED) -> list[tuple[int, int, str]]:
    """(start, end, quote) of each text a reader sees inside one element's markup, in any
    language: the title in a link's or image's `](…)`, the translated attribute values of an
    HTML tag. How an edition's English element is matched with its source's (the XLIFF
    export), whose titles differ once translated."""
    if markup.startswith("<"):
        return translated_values(markup, attributes)
    at = 0 if markup.startswith("](") else markup.find("](") if markup.startswith("![") else -1
    span = _title_span(markup, at) if at >= 0 else None
    return [span] if span is not None else []


def without_texts(markup: str, attributes: Sequence[str] = TRANSLATED) -> str:
    """`markup` with its reader-visible texts (`markup_texts`) left out: the markup proper."""
    for start, end, _ in reversed(markup_texts(markup, attributes)):
        markup = markup[:start] + markup[end:]
    return markup


def _finish(text: str, protected: Protected) -> str:
    return text.replace("|", "\\|") if protected.escape_pipes else text


def protect_plain(text: str, keep: re.Pattern[str] | None = None) -> Protected:
    """Engine XML for plain text that is not Markdown (front matter values).

    Its line breaks travel as they are and come back as they are (a `|` block scalar is
    several lines on purpose), and nothing in the answer is escaped: Jekyll prints these
    values, it does not render them as Markdown.
    """
    out = _Builder(keep)
    out.prose(text)
    return out.build(plain=True)
