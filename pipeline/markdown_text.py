"""Text we did not write (file names, error messages) placed into Markdown we generate.

The run summary and the review summary become a pull request's body: a file name like
``a`[x](y)`.md`` must show as its own characters, never as a link, an image or a broken
table row.
"""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")


def code_span(text: str, in_table: bool = False) -> str:
    """`text` as a code span nothing inside can close: the fence is one backtick longer
    than the longest run in the text (CommonMark 6.1), padded where needed with the one
    space the parser strips. Unprintable characters are shown escaped; in a table, `|` is escaped
    as GFM requires even inside code."""
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    if in_table:
        shown = shown.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    if shown.startswith("`") or shown.endswith("`") or (shown.startswith(" ") and shown.endswith(" ")):
        shown = f" {shown} "
    return f"{fence}{shown}{fence}"
