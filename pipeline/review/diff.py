"""Word-level differences between two versions of a segment, for display.

English is compared word by word; Japanese has no spaces, so it is compared character by
character (each CJK character is its own token). The result is a list of runs a renderer
turns into `<del>`/`<ins>`.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pipeline.japanese import WIDE

Op = Literal["equal", "delete", "insert"]
Run = tuple[Op, str]

_WIDE = WIDE
_TOKEN = re.compile(
    rf"\s+|[{_WIDE}]|[^\W_{_WIDE}]+(?:['’][^\W_{_WIDE}]+)*|.",  # a space run, one CJK character, a word, any other character
    re.S,
)
_TOO_DIFFERENT = 0.5  # below this similarity a word-by-word diff is noise: show old and new whole


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[Run]:
    """Runs that turn `old` into `new`: ("equal" | "delete" | "insert", text)."""
    if old == new:
        return [("equal", new)] if new else []
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.ratio() < _TOO_DIFFERENT:
        return [run for run in (("delete", old), ("insert", new)) if run[1]]
    runs: list[Run] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("insert", "".join(b[j1:j2])))
    return _merge(_absorb_spaces(runs))


def _absorb_spaces(runs: list[Run]) -> list[Run]:
    """A lone space kept between two changes reads better as part of both changes."""
    out: list[Run] = []
    for i, (op, text) in enumerate(runs):
        between = 0 < i < len(runs) - 1 and runs[i - 1][0] != "equal" and runs[i + 1][0] != "equal"
        if op == "equal" and between and not text.strip():
            out += [("delete", text), ("insert", text)]
        else:
            out.append((op, text))
    return out


def _merge(runs: list[Run]) -> list[Run]:
    """Adjacent runs of the same kind joined; deletions before insertions in each change."""
    out: list[Run] = []
    change: dict[Op, str] = {"delete": "", "insert": ""}

    def flush() -> None:
        for op in ("delete", "insert"):
            if change[op]:
                out.append((op, change[op]))
        change["delete"] = change["insert"] = ""

    for op, text in runs:
        if op == "equal":
            flush()
            if out and out[-1][0] == "equal":
                out[-1] = ("equal", out[-1][1] + text)
            else:
                out.append((op, text))
        else:
            change[op] += text
    flush()
    return out
