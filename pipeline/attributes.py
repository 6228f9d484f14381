"""The attribute values of an HTML start tag a reader sees, and where they stand in it.

`alt`, `title` and `aria-label` are read aloud, shown on hover or in place of an image: they
are text, and are translated (the list is the `[html] translate_attributes` setting). Every
other attribute is markup and stays byte for byte. Shared by HTML blocks (pipeline.html_block)
and inline HTML in running text (pipeline.inline), which read tags the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TRANSLATED = ("alt", "title", "aria-label")
_NAME = re.compile(r"<[^\s/>]+")
_ATTRIBUTE = re.compile(r"""([^\s"'/>=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>][^\s>]*)))?""")


def is_component(raw_tag: str) -> bool:
    """An MDX-style component (`<TeamMember>`): its name is capitalised, dashed or dotted.
    Its attributes are props a program reads, never translated."""
    name = raw_tag.lstrip("</").split(None, 1)[0].rstrip("/>") if raw_tag else ""
    return name[:1].isupper() or "-" in name or "." in name


def translated_values(raw_tag: str, names: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, quote) inside `raw_tag` of each quoted, non-blank value of an attribute
    in `names` (lower case). A component's props are not among them."""
    name = _NAME.match(raw_tag)
    if name is None or is_component(raw_tag):
        return []
    found = []
    for a in _ATTRIBUTE.finditer(raw_tag, name.end()):
        if a.group(1).lower() not in names:
            continue
        for group, quote in ((2, '"'), (3, "'")):
            if a.group(group) is not None and a.group(group).strip():
                found.append((a.start(group), a.end(group), quote))
    return found
