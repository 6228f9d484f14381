"""Checks made at review time on a segment's Japanese source and its English.

The run flags what it sees while translating (glossary misses in machine output, broken
tags, a translator's text replaced). These checks look at the English as it is now,
whoever wrote it, so a human edit that dropped a code span or left Japanese behind shows
up too.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.glossary import Glossary, prose_of
from pipeline.inline import Protected
from pipeline.japanese import JAPANESE, KANA

MIN_RATIO_SOURCE = 20  # Japanese characters below which the length ratio says little
RATIO_FACTOR = 2.0  # a segment whose ratio is this many times above or below the post's median is flagged
_ESCAPE = re.compile(r"\\.\Z", re.S)
_JAPANESE_RUN = re.compile(JAPANESE.pattern + r"(?:[^\sA-Za-z]*" + JAPANESE.pattern + r")*")
_KANA_RUN = re.compile(KANA.pattern + r"(?:[^\sA-Za-z]*" + KANA.pattern + r")*")


@dataclass(frozen=True)
class Finding:
    code: str  # glossary | japanese-left | placeholder | link | image | length
    message: str


def _prose(protected: Protected) -> str:
    try:
        return prose_of(protected.xml)
    except Exception:  # any failure: malformed engine XML cannot occur for our own splits; stay safe
        return protected.joined


def japanese_left(english: Protected, source: Protected | None = None, han_script: bool = False) -> Finding | None:
    """Japanese outside code, URLs and names: text the translation did not reach. In an
    edition written with Han characters (`han_script`: Chinese) that is kana, or the
    source's prose given back as it was (pipeline.leftovers counts it the same way)."""
    prose = _prose(english)
    if han_script and source is not None and prose.strip() and prose == _prose(source) and JAPANESE.search(prose):
        return Finding("japanese-left", "the translation is the Japanese source as it was")
    found = (_KANA_RUN if han_script else _JAPANESE_RUN).search(prose)
    if found is None:
        return None
    run = found.group(0)
    return Finding("japanese-left", f"Japanese left in the English: {run[:24] + ('…' if len(run) > 24 else '')!r}")


_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*>|<[^<>\s@]+@[^<>\s@]+>")
_DESTINATION = re.compile(r"\]\(\s*<?([^\s>)]*)|\](\[[^\]]*\])")


def _destination(markup: str) -> str:
    """Where a link or image points, from its markup (`](url "title")`, `![alt](url)`,
    `][ref]`): the last destination in it, as alt text comes before."""
    found = list(_DESTINATION.finditer(markup))
    if not found:
        return ""
    last = found[-1]
    return last.group(1) if last.group(1) is not None else last.group(2)


def _targets(protected: Protected) -> tuple[Counter[str], Counter[str]]:
    """The destinations of the segment's links and of its images. A link is a pair (its
    text travels) or an autolink; an image is a pair (Japanese alt text) or, with nothing
    to translate in its alt text, one kept piece: either way the same image."""
    links: Counter[str] = Counter()
    images: Counter[str] = Counter()
    for element in protected.elements.values():
        if element.kind == "pair" and element.tag == "a":
            links[_destination(element.close)] += 1
        elif element.kind == "pair" and element.tag == "img":
            images[_destination(element.close)] += 1
        elif element.kind == "keep" and element.open.startswith("!["):
            images[_destination(element.open)] += 1
        elif element.kind == "keep" and _AUTOLINK.fullmatch(element.open):
            links[element.open[1:-1]] += 1
    return links, images


def _placeholders(protected: Protected, names: frozenset[str]) -> Counter[str]:
    """What must survive translation unchanged: code, HTML, Liquid, footnotes, URLs. Not
    glossary names: Japanese repeats a name where English says "it", and restore already
    guarantees them in machine output. Not links and images: `_targets` compares those."""
    kept: Counter[str] = Counter()
    for element in protected.elements.values():
        if element.kind != "keep" or _ESCAPE.match(element.open) or element.open in names:
            continue
        if element.open.startswith("![") or _AUTOLINK.fullmatch(element.open):
            continue
        kept[element.open] += 1
    return kept


def lost_placeholders(source: Protected, english: Protected, names: frozenset[str] = frozenset()) -> Finding | None:
    missing = _placeholders(source, names) - _placeholders(english, names)
    if not missing:
        return None
    shown = [repr(m if len(m) <= 40 else m[:39] + "…") for m in list(missing.elements())[:3]]
    more = sum(missing.values()) - len(shown)
    return Finding("placeholder", "lost in the English: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))


def lost_links_and_images(source: Protected, english: Protected) -> list[Finding]:
    """Each link of the source whose destination is no longer linked in the English (the
    words may be there, the link is not), and each image that is gone."""
    (ja_links, ja_images), (en_links, en_images) = _targets(source), _targets(english)
    findings = [Finding("link", f"the link to {target} is no longer a link in the English") for target in (ja_links - en_links).elements()]
    findings += [Finding("image", f"the image {target} is missing from the English") for target in (ja_images - en_images).elements()]
    return findings


def glossary_misses(glossary: Glossary, source: Protected, english: Protected) -> list[Finding]:
    """The same test the run applies to machine output (same message), on any English."""
    if not glossary.terms:
        return []
    return [
        Finding("glossary", f"term {ja!r} should be translated as {en!r}") for ja, en in glossary.misses(_prose(source), _prose(english))
    ]


def length_ratio(source: Protected, english: Protected) -> float | None:
    """English characters per Japanese character of prose; None when the source is too short."""
    ja = len(_prose(source).strip())
    if ja < MIN_RATIO_SOURCE or not JAPANESE.search(_prose(source)):
        return None
    return len(_prose(english).strip()) / ja


def median_ratio(ratios: Iterable[float | None]) -> float | None:
    values = [r for r in ratios if r is not None and r > 0]
    return statistics.median(values) if len(values) >= 3 else None


def off_ratio(ratio: float | None, median: float | None) -> Finding | None:
    if ratio is None or median is None:
        return None
    if ratio > median * RATIO_FACTOR:
        return Finding("length", f"English is {ratio / median:.1f}× as long as usual for this post (compared with its Japanese)")
    if ratio < median / RATIO_FACTOR:
        return Finding("length", f"English is only {ratio / median:.0%} as long as usual for this post (cut short?)")
    return None


def check(glossary: Glossary, source: Protected, english: Protected, median: float | None, han_script: bool = False) -> list[Finding]:
    findings = glossary_misses(glossary, source, english) + lost_links_and_images(source, english)
    for finding in (
        japanese_left(english, source, han_script),
        lost_placeholders(source, english, frozenset(glossary.names)),
        off_ratio(length_ratio(source, english), median),
    ):
        if finding is not None:
            findings.append(finding)
    return findings
