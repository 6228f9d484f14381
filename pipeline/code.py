"""Comments in code blocks: found with a real lexer, their text translated, every other byte kept.

A reader of the English page sees a code sample's comments as much as its prose, so a
Japanese comment is a text to translate; the code around it is not. The comments are found
as a highlighter finds them: Pygments' lexer for the fence's language (the lexers Rouge,
Jekyll's highlighter, mirrors), never a guess by regexp. Each line of a comment that holds
words is one text (`Comment`): from after the comment marker (`#`, `//`, `/*`, `*`, `<!--`…)
to before the end marker, so the engine sees the words and the markers stay the author's.
Every comment line with words is a text, Japanese or not, so a post and its English edition
hold the same texts in the same order.

A block with no language, or one Pygments has no lexer for, is kept as written (its
Japanese is counted as code, `leftovers.Left.code`). String literals are code: Japanese in
them stays, as does a comment that holds Liquid (Jekyll renders it first).

An answer must stay inside its comment: it is written on one line (a line comment ends at
the line break), the block comment's own markers are broken up (`*/` becomes `* /`), a trailing
backslash (a line continuation in C) and Liquid's `{{`/`{%` are made inert, and the lexer
must then still read the comment as one comment, or the answer is refused (`StructureError`)
and the Japanese kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from markdown_it.token import Token
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment as CommentToken
from pygments.token import _TokenType, is_token_subtype
from pygments.util import ClassNotFound

from pipeline import liquid
from pipeline.errors import StructureError

# Comment token types that are not comments a reader reads: C's `#include`, a `#!` line.
_NOT_PROSE = (CommentToken.Preproc, CommentToken.PreprocFile, CommentToken.Hashbang)
# A comment line's markers before its words, and its end marker (or a line continuation) after
# them; Haddock's `-- |` and `-- ^` (a documentation comment, Rouge's `cd`, and one for the
# argument before it) are markers too: an engine would move or drop a `|` sent with the words.
_LEAD = re.compile(r"[ \t]*(?:(?:<!--|--\[=*\[|\(\*|\{-|/\*+!?|//+[!/]?|#+[!:]?|\*+|;+|%+|--|=(?:begin|end)\b|[|^](?=[ \t]))[ \t]*)*")
_TRAIL = re.compile(r"[ \t\r]*(?:\*+/|-->|\*\)|-\}|\]=*\]|\\)?[ \t\r\n]*\Z")
_WORD = re.compile(r"\w")
# Block comments' end markers (an answer could close its comment with one) and start markers
# (one could open a nested comment), each with its broken-up form.
_MARKERS = {"*/": "* /", "-->": "-- >", "*)": "* )", "-}": "- }", "]]": "] ]", "/*": "/ *", "<!--": "<! --", "(*": "( *", "{-": "{ -"}
_INERT_LIQUID = {"{{": "{ {", "{%": "{ %"}


@dataclass(frozen=True)
class Comment:
    """Where one comment text stands: the lexer it was found with and the rest of its comment
    token (before and after the text), so an answer can be checked in place."""

    lexer: str
    before: str
    after: str

    def settle(self, answer: str) -> str:
        """`answer` as it may stand in the comment (module docstring), or StructureError."""
        text = re.sub(r"\s*[\r\n]+\s*", " ", answer).strip().rstrip("\\").rstrip()
        for marker, broken in _MARKERS.items():
            if marker in self.after or marker in self.before:
                text = text.replace(marker, broken)
        for opener, broken in _INERT_LIQUID.items():
            text = text.replace(opener, broken)
        if not _only_comment(self.lexer, self.before + text + self.after):
            raise StructureError("the answer would end its code comment early (the code around it would change); kept the Japanese")
        return text


@dataclass(frozen=True)
class Block:
    """A code block of a post: its lexer (None: no language, or none Pygments knows), its
    content (each line ending in a line break) and the 0-based body line it starts on."""

    lexer: str | None
    content: str
    first_line: int


_HIGHLIGHT = re.compile(r"[ \t]*\{%-?\s*highlight\s+([\w+#.-]+)[^%]*%\}[ \t]*")
_END_HIGHLIGHT = re.compile(r"[ \t]*" + liquid.end_tag("highlight") + r"[ \t]*")


def code_block(tok: Token, masked: liquid.Masked) -> Block | None:
    """The code block a token is, or None: a fence (its info string names the language), an
    indented block (no language), or a `{% highlight lang %}` block (markdown.py's
    `liquid_block`) whose opening and closing tags stand on lines of their own."""
    if tok.map is None:
        return None
    if tok.type == "fence":
        return Block(block_lexer(tok.info), tok.content, tok.map[0] + 1)
    if tok.type == "code_block":
        return Block(None, tok.content, tok.map[0])
    if tok.type != "liquid_block":
        return None
    lines = tok.content.split("\n")
    opener = _HIGHLIGHT.fullmatch(masked.unmask(lines[0]))
    if opener is None or len(lines) < 3 or lines[-1] or not _END_HIGHLIGHT.fullmatch(masked.unmask(lines[-2])):
        return None
    return Block(block_lexer(opener.group(1)), "".join(line + "\n" for line in lines[1:-2]), tok.map[0] + 1)


@dataclass(frozen=True)
class Text:
    """One comment text of a code block: its span in the block's content."""

    start: int
    end: int
    comment: Comment


def block_lexer(info: str) -> str | None:
    """The Pygments alias for a code block's info string (its first word), or None when the
    block names no language or one Pygments has no lexer for."""
    words = info.split()
    name = words[0].lower() if words else ""
    return name if name and _lexer(name) is not None else None


@lru_cache(maxsize=256)
def _lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1024)
def comment_texts(content: str, name: str) -> tuple[Text, ...]:
    """The comment texts of a code block's `content` lexed as `name` (`block_lexer`): every
    line of a comment that holds words, outside Liquid. Cached: the split and the leftover
    count both ask for the same blocks."""
    runs = _comment_runs(content, name)
    texts: list[Text] = []
    for start, end in runs:
        run = content[start:end]
        if liquid.RUN.search(run) or "{{" in run or "{%" in run:
            continue
        at = 0
        for line in run.split("\n"):
            lead = _LEAD.match(line)
            a = lead.end() if lead else 0
            trail = _TRAIL.search(line, a)
            b = trail.start() if trail else len(line)
            if a < b and _WORD.search(line, a, b):
                texts.append(Text(start + at + a, start + at + b, Comment(name, run[: at + a], run[at + b :])))
            at += len(line) + 1
    return tuple(texts)


def _comment_runs(content: str, name: str) -> list[tuple[int, int]]:
    """Spans of `content` that the lexer reads as comments (adjacent comment tokens joined),
    each one a comment when lexed on its own too; none if the lexer does not give back
    the content exactly."""
    lexer = _lexer(name)
    if lexer is None:
        return []
    tokens = list(lexer.get_tokens_unprocessed(content))
    if "".join(value for _, _, value in tokens) != content:
        return []
    runs: list[tuple[int, int]] = []
    for index, kind, value in tokens:
        if not _is_prose_comment(kind):
            continue
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + len(value))
        else:
            runs.append((index, index + len(value)))
    return [(a, b) for a, b in runs if _only_comment(name, content[a:b])]


@cache
def _is_prose_comment(kind: _TokenType) -> bool:
    """Remembered by token type (a lexer has a few dozen): asked for every token of every block."""
    return is_token_subtype(kind, CommentToken) and not any(is_token_subtype(kind, other) for other in _NOT_PROSE)


# A session lexer reads a prompt line's command with its language's lexer, and any other
# line as the session's output: a comment cut out of a command, lexed alone without its
# prompt, is checked with the language's lexer (Rouge's `console` reads it so too).
_SESSION_LANGUAGES = {
    "BashSessionLexer": "bash",
    "PythonConsoleLexer": "python",
    "RubyConsoleLexer": "ruby",
    "PowerShellSessionLexer": "powershell",
    "MSDOSSessionLexer": "batch",
    "PostgresConsoleLexer": "postgresql",
}


def _only_comment(name: str, text: str) -> bool:
    """Whether the lexer reads `text` alone as comment from start to end (space aside)."""
    session = _lexer(name)
    lexer = _lexer(_SESSION_LANGUAGES.get(type(session).__name__, name)) if session is not None else None
    if lexer is None:
        return False
    tokens = list(lexer.get_tokens_unprocessed(text))
    if "".join(value for _, _, value in tokens) != text:
        return False
    return all(_is_prose_comment(kind) or not value.strip() for _, kind, value in tokens)
