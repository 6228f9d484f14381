"""Liquid first: Jekyll expands `{{ … }}` and `{% … %}` before Markdown is parsed.

So the Markdown parser must see each Liquid tag as one opaque atom wherever it stands: in a
link destination (`[top]({{ site.baseurl }}/)` is a link on the page), a table cell
(`{{ x | relative_url }}` holds a `|` that is not a cell border), a heading or prose.
`mask` replaces every tag by a run of private-use characters of the same length (line
breaks kept), so every offset and line number of the masked text is that of the original;
the run names the tag it stands for, so `unmask` can put the author's bytes back in any
piece of text cut from the masked one.

Tags are found as Liquid's own tokenizer finds them (`{%.*?%}`, `{{.*?}}`). The insides of
`{% raw %}` blocks are not Liquid, but the page shows them, Markdown and all: they are read
like the rest, with the Liquid-looking text in them masked the same way (kept as written). An opening `{{` or `{%` that never
closes is not a tag to Liquid either: it is masked to the end of its line, so the bytes stay
as the author wrote them, and reported, since Jekyll will complain about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{\{|\{%", re.DOTALL)
# inside `{% raw %}` the page shows `{{ x }}` as written: masked like a tag, kept byte for byte
_COMPLETE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_RAW_OPEN = re.compile(r"\{%-?\s*raw\s*-?%\}")


def end_tag(name: str) -> str:
    """The pattern of the tag that ends Liquid block `name` as Liquid reads it: `{% endNAME %}`
    with whitespace control on either side and whatever follows the name, which Liquid
    ignores (railsgirls.jp closes a block with `{% endhighlight sh %}`)."""
    return r"\{%-?\s*end" + name + r"(?!\w)(?:(?!%\}).)*%\}"


_RAW_CLOSE = re.compile(end_tag("raw"))
# A masked tag is `{`, two private-use characters that name it, private-use filler and `}`
# (line breaks kept): braces at both ends, like the tag itself, so markdown-it stops its text
# runs there and sees punctuation at both ends when it weighs emphasis delimiters.
START = "{"
FILL = "\ue001"
END = "}"
_DIGIT0, _BASE = 0xE002, 0xF8FF - 0xE002
RUN = re.compile(f"\\{{[\ue002-\uf8ff]{{2}}{FILL}*\\}}")


@dataclass(frozen=True)
class Masked:
    text: str
    tags: tuple[str, ...]
    unclosed: tuple[int, ...] = ()  # offsets of `{{` / `{%` that never close

    def unmask(self, piece: str) -> str:
        """`piece` (cut from `text`) with every masked tag written as the author wrote it."""
        return unmask(piece, self.tags)


def tag_at(piece: str, start: int, tags: tuple[str, ...]) -> str | None:
    """The tag whose masked run begins at `start` in `piece`, if one does."""
    digits: list[int] = []
    end = start + 1
    while len(digits) < 2 and end < len(piece):
        if piece[end] not in "\r\n":
            code = ord(piece[end]) - _DIGIT0
            if not 0 <= code < _BASE:
                return None
            digits.append(code)
        end += 1
    if len(digits) < 2 or piece[start] != START:
        return None
    index = digits[0] * _BASE + digits[1]
    return tags[index] if index < len(tags) else None


def unmask(piece: str, tags: tuple[str, ...]) -> str:
    if not tags or START not in piece:
        return piece
    out: list[str] = []
    pos = 0
    while (start := piece.find(START, pos)) >= 0:
        tag = tag_at(piece, start, tags)
        if tag is None:
            out.append(piece[pos : start + 1])
            pos = start + 1
            continue
        out.append(piece[pos:start])
        out.append(tag)
        pos = _run_end(piece, start)
    out.append(piece[pos:])
    return "".join(out)


def _run_end(piece: str, start: int) -> int:
    """Where the masked run beginning at `start` ends: after its `}`. Measured on the run, not
    on the tag it stands for, whose written form may be longer (escaped for XML)."""
    end = start + 1
    while end < len(piece) and (piece[end] in "\r\n" or FILL <= piece[end] <= "\uf8ff"):
        end += 1
    return min(len(piece), end + 1) if end < len(piece) and piece[end] == END else end


def _mask_one(tag: str, index: int) -> str | None:
    """The masked run for `tag`, or None when the tag is too short to carry its index."""
    code = [START, chr(_DIGIT0 + index // _BASE), chr(_DIGIT0 + index % _BASE)]
    out: list[str] = []
    for ch in tag:
        if ch in "\r\n":
            out.append(ch)
        elif code:
            out.append(code.pop(0))
        else:
            out.append(FILL)
    if code or out[-1] != FILL:
        return None
    out[-1] = END
    return "".join(out)


def mask(text: str) -> Masked:
    """`text` with its Liquid tags masked. Text without `{{` or `{%` is returned as is."""
    if "{{" not in text and "{%" not in text:
        return Masked(text, ())
    out: list[str] = []
    tags: list[str] = []
    unclosed: list[int] = []
    pos = 0
    while (m := _TAG.search(text, pos)) is not None:
        start, end = m.start(), m.end()
        if m.group(0) in ("{{", "{%"):  # never closed: to the end of the line
            line_end = text.find("\n", start)
            end = len(text) if line_end < 0 else line_end
            unclosed.append(start)
        out += [text[pos:start], _masked_tag(text[start:end], tags)]
        pos = end
        if _RAW_OPEN.fullmatch(m.group(0)):
            close = _RAW_CLOSE.search(text, pos)
            if close is not None:  # the insides of raw: Markdown to read, its Liquid-looking text kept
                out.append(_COMPLETE_TAG.sub(lambda t: _masked_tag(t.group(0), tags), text[pos : close.start()]))
                pos = close.start()
    out.append(text[pos:])
    return Masked("".join(out), tuple(tags), tuple(unclosed))


def _masked_tag(tag: str, tags: list[str]) -> str:
    """The masked run for `tag`, which joins `tags`; the tag itself when too short to carry its index."""
    run = _mask_one(tag, len(tags))
    if run is not None:
        tags.append(tag)
    return tag if run is None else run


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
