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
from pipeline.japanese import JAPANESE

MIN_RATIO_SOURCE = 20  # Japanese characters below which the length ratio says little
RATIO_FACTOR = 2.0  # a segment whose ratio is this many times above or below the post's median is flagged
_ESCAPE = re.compile(r"\\.\Z", re.S)
_JAPANESE_RUN = re.compile(JAPANESE.pattern + r"(?:[^\sA-Za-z]*" + JAPANESE.pattern + r")*")


@dataclass(frozen=True)
class Finding:
    code: str  # glossary | japanese-left | placeholder | length
    message: str


def _prose(protected: Protected) -> str:
    try:
        return prose_of(protected.xml)
    except Exception:  # any failure: malformed engine XML cannot occur for our own splits; stay safe
        return protected.joined


def japanese_left(english: Protected) -> Finding | None:
    """Japanese outside code, URLs and names: text the translation did not reach."""
    found = _JAPANESE_RUN.search(_prose(english))
    if found is None:
        return None
    run = found.group(0)
    return Finding("japanese-left", f"Japanese left in the English: {run[:24] + ('…' if len(run) > 24 else '')!r}")


def _placeholders(protected: Protected, names: frozenset[str]) -> Counter[str]:
    """What must survive translation unchanged: code, URLs, HTML, Liquid, footnotes, and
    the destinations of links and images. Not glossary names: Japanese repeats a name
    where English says "it", and restore already guarantees them in machine output."""
    kept: Counter[str] = Counter()
    for element in protected.elements.values():
        if element.kind == "keep" and not _ESCAPE.match(element.open) and element.open not in names:
            kept[element.open] += 1
        elif element.kind == "pair" and element.tag in ("a", "img"):
            kept[element.close] += 1
    return kept


def lost_placeholders(source: Protected, english: Protected, names: frozenset[str] = frozenset()) -> Finding | None:
    missing = _placeholders(source, names) - _placeholders(english, names)
    if not missing:
        return None
    shown = [repr(m if len(m) <= 40 else m[:39] + "…") for m in list(missing.elements())[:3]]
    more = sum(missing.values()) - len(shown)
    return Finding("placeholder", "lost in the English: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))


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


def check(glossary: Glossary, source: Protected, english: Protected, median: float | None) -> list[Finding]:
    findings = glossary_misses(glossary, source, english)
    for finding in (
        japanese_left(english),
        lost_placeholders(source, english, frozenset(glossary.names)),
        off_ratio(length_ratio(source, english), median),
    ):
        if finding is not None:
            findings.append(finding)
    return findings
