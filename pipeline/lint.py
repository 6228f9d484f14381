"""Find the editing accidents in Japanese sources that would carry over into the English edition.

Editors paste: a paragraph lands twice, a `---END---` line from the writing tool stays behind,
a sentence is cut off where a paste ended, a `**` never closes.  The translation keeps all of
that faithfully, so the place to catch it is the Japanese source, with file and line, before
anything is sent to the engine.  The checks read the post the way the pipeline does
(markdown-it, CommonMark + tables): what counts as "unclosed bold" is what CommonMark leaves as
literal `**`, which is also what the segmenter will see.

Codes (all findings are warnings unless they stop the site from building):

    F001 front matter missing or not closed          F002 front matter is not valid YAML
    F003 required field (title, date) missing/empty  F004 date is not a date
    F005 Japanese source sets a `lang`               F006 file name is not a Jekyll post name
    F007 file is not UTF-8                           F008 not a readable post inside the tree
    M001 paragraph repeated word for word            M002 long sentence repeated
    M003 stray END marker or separator line          M004 emphasis marker that does not close
    M005 paragraph ends mid-sentence / resumes one   M006 unbalanced Japanese brackets
    M007 code fence never closed                     M008 body opens by repeating title/excerpt
    M009 a fence kramdown does not take (its info string is more than one word): the
         text after it renders as code on the site, and is not translated

`lint_text` and `lint_paths` never print; `pipeline.cli.lint` is the command (`pipeline lint`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache, cached_property, lru_cache
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any, Iterable, Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.markdown import END_MARKER_LINE
from pipeline import liquid
from pipeline.markdown import normalize, parser
from pipeline.errors import InputError
from pipeline.japanese import JAPANESE, MID_SENTENCE_END, POST_NAME, post_date
from pipeline.frontmatter import FORMATS
from pipeline.post import FENCES, Alias, Tree, read_regular

WARNING = "warning"
ERROR = "error"
REQUIRED_FIELDS = ("title", "date")

# A paragraph/sentence shorter than this may repeat on purpose ("以上です。", a refrain).
MIN_REPEATED_PARAGRAPH = 20
MIN_REPEATED_SENTENCE = 30
# A one-line paragraph this short with no 。 is a headline written as plain text.
HEADLINE_MAX = 60

JEKYLL_DATE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?\s*$")
SEPARATOR_LINE = re.compile(r"^\s*[-=_*~+#]{3,}\s*$")
# A paragraph whose last character is one of these stopped in the middle of a sentence.
RESUMES = re.compile(r"^\s*(?:\.{2,}|…+|・{2,}|‥+)")
# What ends a sentence; the text before it (one character at least) is the sentence. Found by
# its ends, not as `[^。！？!?]+[。！？!?]+…`, which, tried at each offset of a paragraph with no
# end, scans to the paragraph's end every time (quadratic: 23 s for 58 KB).
SENTENCE_END = re.compile(r"([。！？!?]+)[」』）)]*")
BRACKETS = (("「", "」"), ("『", "』"), ("（", "）"), ("【", "】"))


@dataclass(frozen=True, order=True)
class LintFinding:
    """One problem: where (file line, front matter counted), what (code), and why it matters."""

    path: Path
    line: int
    code: str
    message: str
    severity: str = WARNING

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


# --------------------------------------------------------------------------------------
# Front matter


@dataclass(frozen=True)
class Source:
    """A post split into front matter and body, with the file line where the body starts."""

    front_matter: str | None  # the text between the fence lines; None when there is none
    body: str
    body_first_line: int  # 1-based file line of the body's first line
    closed: bool = True
    format: str = "yaml"  # frontmatter.FORMATS: yaml (---) or toml (+++)


def split_source(text: str) -> Source:
    """Split at the Jekyll fence lines (`---`, or `+++` for TOML) without losing track of
    line numbers."""
    lines = text.split("\n")
    fence = FENCES.get(lines[0].rstrip()) if lines else None
    if fence is None:
        return Source(None, text, 1)
    fmt, closers = fence
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            return Source("\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2, format=fmt)
    return Source("\n".join(lines[1:]), "", len(lines) + 1, closed=False, format=fmt)


def field_line(front_matter: str, key: str, assigns: str = ":") -> int:
    """File line of `key:` (TOML: `key =`) in the front matter (1 = the opening fence, when
    the key is absent)."""
    for index, line in enumerate(front_matter.split("\n")):
        if re.match(rf"{re.escape(key)}\s*{re.escape(assigns)}", line):
            return index + 2
    return 1


@lru_cache(maxsize=32)
def _load(fmt: str, text: str) -> Any:
    """The front matter's values, remembered: two checks read the same front matter (do not mutate).
    Nesting deeper than the parser can recurse, or an integer of more than 4,300 digits, is a
    syntax error like any other (it was a RecursionError or ValueError traceback)."""
    syntax_error = FORMATS[fmt].syntax_error
    try:
        return FORMATS[fmt].load(text)
    except (RecursionError, ValueError) as exc:
        if isinstance(exc, syntax_error):
            raise
        raise syntax_error("nested too deep to read" if isinstance(exc, RecursionError) else str(exc)) from exc


def _syntax_finding(path: Path, fmt: str, exc: Exception) -> LintFinding:
    """Where and why front matter does not parse, worded for the author."""
    if fmt == "toml":
        problem = str(exc.args[0] if exc.args else exc)
        at = re.search(r"\(at line (\d+)", problem)  # tomllib says where only in its message (before 3.14)
        return LintFinding(path, int(at.group(1)) + 1 if at else 1, "F002", f"front matter is not valid TOML: {problem}", ERROR)
    # context_mark is where the broken construct began (e.g. the opening quote).
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = mark.line + 2 if mark is not None else 1
    parts = (getattr(exc, "context", None), getattr(exc, "problem", None))
    problem = " ".join(p for p in parts if p) or "cannot be parsed"
    return LintFinding(path, line, "F002", f"front matter is not valid YAML: {problem}", ERROR)


def _lacking(path: Path, values: dict[str, Any], name_dates: bool) -> list[tuple[str, str]]:
    """(key, what is wrong) for each required field that is missing or empty. With
    `name_dates` (YAML, Jekyll's), a post dated by its file name (2025-01-11-title.md)
    needs no `date`, as Jekyll dates it so."""
    lacking = []
    for key in REQUIRED_FIELDS:
        value = values.get(key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            continue
        if key in values:
            lacking.append((key, "is empty"))
        elif key != "date" or not name_dates:
            lacking.append((key, "is missing"))
        elif post_date(path.name) is None:
            lacking.append((key, f"is missing (and the file name {path.name} does not give one)"))
    return lacking


def check_front_matter(path: Path, source: Source, lang: str = "ja") -> list[LintFinding]:
    """Fields the site needs: a post without title or date cannot be published properly.
    `lang`: the source language's code (the settings' `source_lang`), the only `lang` a
    source may declare."""
    if source.front_matter is None:
        return [LintFinding(path, 1, "F001", "no front matter (--- block with title and date)", ERROR)]
    if not source.closed:
        return [LintFinding(path, 1, "F001", "front matter is never closed with a --- line", ERROR)]
    fmt = FORMATS[source.format]
    try:
        values = _load(source.format, source.front_matter) or {}
    except fmt.syntax_error as exc:
        return [_syntax_finding(path, source.format, exc)]
    if not isinstance(values, dict):
        return [LintFinding(path, 2, "F002", "front matter is not a mapping of keys to values", ERROR)]

    def at(key: str) -> int:
        return field_line(source.front_matter or "", key, fmt.assigns)

    findings = [
        LintFinding(path, at(key), "F003", f"front matter {key} {what}", ERROR) for key, what in _lacking(path, values, fmt.name_dates)
    ]
    date = values.get("date")
    if date is not None and not isinstance(date, (dt.date, dt.datetime)) and not JEKYLL_DATE.match(str(date)):
        message = f"date {date!r} is not YYYY-MM-DD [HH:MM:SS +ZZZZ]"
        findings.append(LintFinding(path, at("date"), "F004", message, ERROR))
    if "lang" in values and values["lang"] != lang:
        message = f"lang: {values['lang']} in a Japanese source; the site would treat it as that language"
        findings.append(LintFinding(path, at("lang"), "F005", message))
    return findings


# --------------------------------------------------------------------------------------
# Markdown blocks


@cache
def markdown() -> MarkdownIt:
    """The parser the pipeline uses, with escapes kept apart so `\\*` is not a stray `*`."""
    return MarkdownIt("commonmark").enable("table").disable("text_join")


# Every token type `markdown()` can produce. The pipeline's parser is the same grammar plus
# extensions (Liquid, math, footnotes, strikethrough); when none of them matched anywhere in
# a post, its tokens contain only these types and are the very tokens `markdown()` gives,
# except that adjacent text tokens are left unjoined (see `_joined_text`).
_LINT_TOKEN_TYPES = frozenset({
    "paragraph_open", "paragraph_close", "heading_open", "heading_close", "inline", "text", "text_special",
    "softbreak", "hardbreak", "code_inline", "em_open", "em_close", "strong_open", "strong_close",
    "link_open", "link_close", "image", "html_inline", "html_block", "fence", "code_block", "hr",
    "blockquote_open", "blockquote_close", "bullet_list_open", "bullet_list_close", "ordered_list_open",
    "ordered_list_close", "list_item_open", "list_item_close", "table_open", "table_close", "thead_open",
    "thead_close", "tbody_open", "tbody_close", "tr_open", "tr_close", "th_open", "th_close", "td_open", "td_close",
})  # fmt: skip


def _lint_grammar_only(tokens: Sequence[Token]) -> bool:
    """Whether `tokens` (and their children) hold only types `markdown()` can produce."""
    return all(token.type in _LINT_TOKEN_TYPES and (not token.children or _lint_grammar_only(token.children)) for token in tokens)


def body_tokens(body: str, parsed: tuple[str, Sequence[Token]] | None = None, dialect: str = "commonmark") -> Sequence[Token]:
    """`markdown().parse(body)`, or the tokens of the same body the pipeline already has.

    `parsed` is (body, tokens) from the pipeline's own parse (`segment.split`): reused when
    it is the same text up to line endings (markdown-it normalises those itself) and no
    pipeline extension matched, which saves a second parse of every post a run translates.
    Under kramdown the post is read as the site renders it (Liquid first, kramdown's
    emphasis), so a `**` run left as text is one the reader sees as asterisks.
    """
    same = parsed is not None and (parsed[0] == body or normalize(parsed[0]) == normalize(body))
    if dialect == "kramdown":
        if parsed is not None and same:
            return parsed[1]
        masked = liquid.mask(body)
        return parser("kramdown").parse(normalize(masked.text), {"liquid": masked})
    if parsed is not None and same and _lint_grammar_only(parsed[1]):
        return parsed[1]
    return markdown().parse(body)


def _joined_text(children: list[Token]) -> list[Token]:
    """Inline children with adjacent text tokens joined, as markdown-it's `fragments_join` does.

    The pipeline's parser keeps them apart (an unmatched `**` is a token of its own), but
    `check_emphasis` must see the characters on both sides of a run.
    """
    runs: list[list[Token]] = []  # each run of adjacent text tokens is copied once, not once per token
    for child in children:
        if child.type == "text" and runs and runs[-1][0].type == "text":
            runs[-1].append(child)
        else:
            runs.append([child])
    return [run[0] if len(run) == 1 else run[0].copy(content="".join(t.content for t in run)) for run in runs]


@dataclass(frozen=True)
class Block:
    """An inline run of text (paragraph, heading or table cell) with its place in the file."""

    kind: str  # "paragraph", "heading", "cell"
    inline: Token
    first_line: int  # file line
    lines: list[str]  # the source lines of the block
    in_list: bool = False
    setext: bool = False

    @cached_property
    def text(self) -> str:
        """The visible text: markup removed, line breaks as spaces (computed once: every
        check reads it)."""
        parts = []
        for child in self.inline.children or []:
            if child.type in ("text", "text_special", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        return " ".join("".join(parts).split())


@dataclass
class _Walk:
    """Where the token stream is: in how many lists, which kind of block, which table row."""

    list_depth: int = 0
    kind: str = "paragraph"
    setext: bool = False
    row_map: list[int] | None = None


def _list_open(walk: _Walk, token: Token) -> None:
    walk.list_depth += 1


def _list_close(walk: _Walk, token: Token) -> None:
    walk.list_depth -= 1


def _heading(walk: _Walk, token: Token) -> None:
    walk.kind, walk.setext = "heading", token.markup in ("=", "-")


def _paragraph(walk: _Walk, token: Token) -> None:
    walk.kind, walk.setext = "paragraph", False


def _cell(walk: _Walk, token: Token) -> None:
    walk.kind = "cell"


def _row(walk: _Walk, token: Token) -> None:
    walk.row_map = token.map


# What each opening or closing token changes about the blocks that follow it.
_STRUCTURE: dict[str, Callable[[_Walk, Token], None]] = {
    "bullet_list_open": _list_open,
    "ordered_list_open": _list_open,
    "bullet_list_close": _list_close,
    "ordered_list_close": _list_close,
    "heading_open": _heading,
    "paragraph_open": _paragraph,
    "th_open": _cell,
    "td_open": _cell,
    "tr_open": _row,
}


def blocks(tokens: Sequence[Token], body_first_line: int, body_lines: list[str]) -> Iterator[Block]:
    """Every inline token with its block kind, file line and whether it sits in a list."""
    walk = _Walk()
    for token in tokens:
        if token.type != "inline":
            handler = _STRUCTURE.get(token.type)
            if handler is not None:
                handler(walk, token)
            continue
        span = token.map or walk.row_map or [0, 1]
        children = token.children or []
        if any(a.type == b.type == "text" for a, b in zip(children, children[1:])):
            token = token.copy(children=_joined_text(children))
        yield Block(walk.kind, token, body_first_line + span[0], body_lines[span[0] : span[1]], walk.list_depth > 0, walk.setext)


# --------------------------------------------------------------------------------------
# Checks on blocks


def check_repeats(path: Path, paragraphs: list[Block]) -> list[LintFinding]:
    """Paragraphs pasted twice, and long sentences that reappear in another paragraph."""
    findings = []
    seen_paragraphs: dict[str, int] = {}
    seen_sentences: dict[str, int] = {}
    for block in paragraphs:
        text = block.text
        if len(text) >= MIN_REPEATED_PARAGRAPH and not END_MARKER_LINE.match(text):
            if text in seen_paragraphs:
                first = seen_paragraphs[text]
                message = f"paragraph repeats line {first} word for word (lines {first} and {block.first_line})"
                findings.append(LintFinding(path, block.first_line, "M001", message))
                continue
            seen_paragraphs[text] = block.first_line
        cursor = 0  # sentences come in order: each is looked for from the line of the one before
        for sentence in (s.strip() for s in sentences(text)):
            if len(sentence) < MIN_REPEATED_SENTENCE:
                continue
            cursor = _line_of(block, sentence, cursor)
            line = block.first_line + cursor
            if sentence in seen_sentences and seen_sentences[sentence] != line:
                first = seen_sentences[sentence]
                findings.append(LintFinding(path, line, "M002", f"sentence repeats line {first}: {_clip(sentence)}"))
            else:
                seen_sentences.setdefault(sentence, line)
    return findings


def check_markers(path: Path, block: Block) -> list[LintFinding]:
    """`---END---` and friends, and separator lines swallowed by a paragraph or heading."""
    findings = []
    for offset, line in enumerate(block.lines):
        if END_MARKER_LINE.match(line):
            message = f"stray end marker {line.strip()!r}; delete it"
        elif block.kind == "paragraph" and SEPARATOR_LINE.match(line):
            message = f"stray separator line {line.strip()!r} (not a thematic break here)"
        else:
            continue
        findings.append(LintFinding(path, block.first_line + offset, "M003", message))
    if block.setext and ("。" in block.text or len(block.text) > HEADLINE_MAX):
        underline = block.first_line + len(block.lines) - 1
        message = "this underline turns the prose above into a heading; put a blank line before it or delete it"
        findings.append(LintFinding(path, underline, "M003", message))
    return findings


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith(("P", "S"))


def _flanking(before: str, after: str) -> tuple[bool, bool]:
    """CommonMark's left-/right-flanking test for a delimiter run between `before` and `after`."""
    left = not after.isspace() and (not _is_punct(after) or before.isspace() or _is_punct(before))
    right = not before.isspace() and (not _is_punct(before) or after.isspace() or _is_punct(after))
    return left, right


_DELIMITER_RUN = re.compile(r"\*+|_+")


def check_emphasis(path: Path, block: Block) -> list[LintFinding]:
    """`*`/`_` runs CommonMark left as literal text: emphasis that never closes.

    A common Japanese case: `**「名前」**が` - the closing `**` sits between a closing bracket
    and a letter, which CommonMark does not accept as a closer, so the bold never ends.  One
    finding per line, however many literal runs it has.
    """
    if "*" not in block.inline.content and "_" not in block.inline.content:
        return []  # no delimiter run in the block's source, so none in its text tokens (most blocks)
    return _literal_runs(path, block)


def _literal_runs(path: Path, block: Block) -> list[LintFinding]:
    """`check_emphasis` for a block whose source holds a `*` or `_`."""
    literal: dict[int, list[tuple[str, bool]]] = {}  # line -> [(run, closer blocked by punctuation)]
    intraword: dict[int, set[str]] = {}  # line -> `_` runs between two letters
    children = block.inline.children or []
    line = block.first_line
    for index, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            line += 1
            continue
        if child.type != "text":
            continue
        for match in _DELIMITER_RUN.finditer(child.content):
            before = child.content[match.start() - 1] if match.start() else _edge(children, index, -1)
            after = child.content[match.end()] if match.end() < len(child.content) else _edge(children, index, 1)
            left, right = _flanking(before, after)
            run = match.group()
            if run[0] == "_" and before.isalnum() and after.isalnum():
                # snake_case, or a would-be closer between two Japanese letters: never a delimiter.
                intraword.setdefault(line, set()).add(run)
                continue
            if not (left or right):
                continue
            blocked = not right and _is_punct(before) and not before.isspace()
            literal.setdefault(line, []).append((run, blocked))
    findings = []
    for line, runs in literal.items():
        shown = ", ".join(dict.fromkeys(repr(run) for run, _ in runs))
        if any(run in intraword.get(line, ()) for run, _ in runs):
            hint = "_ emphasis does not open or close next to Japanese letters in CommonMark; use **…** or *…*"
        elif any(blocked for _, blocked in runs):
            hint = "CommonMark does not close ** between a closing bracket and a letter; write 「**…**」"
        else:
            hint = "close it, or escape it with a backslash"
        findings.append(LintFinding(path, line, "M004", f"emphasis {shown} does not close: {hint}"))
    return findings


def _edge(children: list[Token], index: int, step: int) -> str:
    """The character next to a text child across a token boundary: line edges count as space."""
    neighbour = index + step
    if neighbour < 0 or neighbour >= len(children) or children[neighbour].type in ("softbreak", "hardbreak"):
        return " "
    return "a"


def check_mid_sentence(path: Path, block: Block) -> list[LintFinding]:
    """A Japanese paragraph that stops mid-sentence, or one that resumes with `...`."""
    text = block.text
    if block.kind != "paragraph" or block.in_list or not JAPANESE.search(text):
        return []
    findings = []
    if RESUMES.match(text):
        message = "paragraph starts with an ellipsis: it resumes a sentence cut off earlier"
        findings.append(LintFinding(path, block.first_line, "M005", message))
    headline = len(block.lines) == 1 and len(text) <= HEADLINE_MAX and "。" not in text
    if not headline and not _bold_only(block) and MID_SENTENCE_END.search(text):
        last = block.first_line + len(block.lines) - 1
        findings.append(LintFinding(path, last, "M005", f"paragraph ends mid-sentence: …{text[-20:]}"))
    return findings


def _bold_only(block: Block) -> bool:
    """A line that is all bold (a heading written as **text**)."""
    kinds = [c.type for c in block.inline.children or [] if c.type not in ("softbreak",)]
    return bool(kinds) and kinds[0] in ("strong_open", "em_open") and kinds[-1] in ("strong_close", "em_close")


def check_brackets(path: Path, block: Block) -> list[LintFinding]:
    """Japanese quotes and brackets must pair up inside a paragraph; a lone 「 means a cut."""
    text = block.text
    findings = []
    for opening, closing in BRACKETS:
        opened, closed = text.count(opening), text.count(closing)
        if opened != closed:
            message = f"{opened} {opening} but {closed} {closing} in this paragraph"
            findings.append(LintFinding(path, block.first_line, "M006", message))
    return findings


def check_fences(path: Path, tokens: Sequence[Token], body_first_line: int, body_lines: list[str]) -> list[LintFinding]:
    """A fence that never closes turns the rest of the post into code: nothing gets translated."""
    findings = []
    for token in tokens:
        if token.type != "fence" or token.map is None:
            continue
        # the closing fence is the block's last line (inside a quote or list: after "> " / indent)
        last = body_lines[token.map[1] - 1] if token.map[1] - 1 > token.map[0] else ""
        last = re.sub(r"^[\s>]*", "", last).rstrip()
        marker = token.markup[0]
        if not (last.startswith(token.markup) and set(last) == {marker}):
            message = f"code fence {token.markup} is never closed"
            findings.append(LintFinding(path, body_first_line + token.map[0], "M007", message, ERROR))
    return findings


_FENCE_WORDS = re.compile(r"[ ]{0,3}(`{3,}|~{3,})[ \t]*([^ \t`~][^ \t]*)[ \t]+\S")


def check_kramdown_fences(path: Path, tokens: Sequence[Token], body_first_line: int, body_lines: list[str]) -> list[LintFinding]:
    """kramdown-parser-gfm takes a fence only with a one-word info string (gfm.rb
    FENCED_CODEBLOCK_MATCH): ```` ```js {1,4} ```` is text, and the next fence line opens a
    code block that runs over the prose after it. The page then shows that prose as code,
    and the pipeline, reading the post as the site does, keeps it as code (never sent)."""
    code = [range(t.map[0], t.map[1]) for t in tokens if t.type in ("fence", "code_block") and t.map is not None]
    findings = []
    for index, line in enumerate(body_lines):
        m = _FENCE_WORDS.match(line) if "```" in line or "~~~" in line else None  # the pattern's run, looked for first
        if m is None or any(index in lines for lines in code):
            continue
        message = f"kramdown reads no code fence at {line.strip()!r} (its info string is more than one word): the text after it renders as code; write {m.group(1)}{m.group(2)}"
        findings.append(LintFinding(path, body_first_line + index, "M009", message))
    return findings


def check_title_repeat(path: Path, source: Source, first: Block | None) -> list[LintFinding]:
    """The layout prints the title; a first paragraph that repeats it shows it twice."""
    if first is None or first.kind != "paragraph" or source.front_matter is None:
        return []
    try:
        values = _load(source.format, source.front_matter) or {}
    except FORMATS[source.format].syntax_error:
        return []
    if not isinstance(values, dict):
        return []
    for key in ("title", "excerpt"):
        value = values.get(key)
        if isinstance(value, str) and " ".join(value.split()) == first.text:
            message = f"first paragraph repeats the {key}; the page already shows it"
            return [LintFinding(path, first.first_line, "M008", message)]
    return []


def sentences(text: str) -> Iterator[str]:
    """The sentences of a paragraph's text, each with its end; text after the last end is none."""
    start = 0
    for m in SENTENCE_END.finditer(text):
        if m.start() > start:
            yield text[start : m.end()]
            start = m.end()
        else:  # ends with no text before them: the closing brackets after them start the next
            start = m.end(1)


def _line_of(block: Block, sentence: str, cursor: int) -> int:
    """The offset in the block of the first line from `cursor` holding the sentence's start
    (`cursor` when none does: its start runs across a line break)."""
    probe = sentence[:12]
    for offset in range(cursor, len(block.lines)):
        if probe in block.lines[offset]:
            return offset
    return cursor


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --------------------------------------------------------------------------------------
# Entry points


BlockRule = Callable[[Path, Block], list[LintFinding]]
_EVERY_BLOCK: tuple[BlockRule, ...] = (check_markers, check_emphasis, check_mid_sentence)
# The checks each kind of block gets, in the order their findings are listed.
BLOCK_RULES: dict[str, tuple[BlockRule, ...]] = {
    "paragraph": (*_EVERY_BLOCK, check_brackets),
    "heading": _EVERY_BLOCK,
    "cell": _EVERY_BLOCK,
}


def lint_text(
    path: Path, text: str, parsed: tuple[str, Sequence[Token]] | None = None, dialect: str = "commonmark", lang: str = "ja"
) -> list[LintFinding]:
    """All findings for one post's text, sorted by line.

    `parsed`: the body and its tokens from the pipeline's parse, reused when equivalent
    (see `body_tokens`); the findings are the same either way.
    """
    path = Path(path)
    text = text.removeprefix("\ufeff")
    findings: list[LintFinding] = []
    if not POST_NAME.match(path.name):
        message = "file name is not YYYY-MM-DD-title.md; Jekyll will not publish it"
        findings.append(LintFinding(path, 1, "F006", message))
    source = split_source(text)
    findings += check_front_matter(path, source, lang)
    body_lines = source.body.split("\n")
    tokens = body_tokens(source.body, parsed, dialect)
    all_blocks = list(blocks(tokens, source.body_first_line, body_lines))
    paragraphs = [b for b in all_blocks if b.kind == "paragraph"]
    findings += check_repeats(path, paragraphs)
    for block in all_blocks:
        for rule in BLOCK_RULES[block.kind]:
            findings += rule(path, block)
    findings += check_fences(path, tokens, source.body_first_line, body_lines)
    if dialect == "kramdown":
        findings += check_kramdown_fences(path, tokens, source.body_first_line, body_lines)
    findings += check_title_repeat(path, source, all_blocks[0] if all_blocks else None)
    return sorted(findings)


def expand(paths: Iterable[Path]) -> list[tuple[Path, Tree | None]]:
    """Files as given; directories become every *.md below them (as `translate` reads
    them), each read through its folder's `Tree` so no symlink leads out of it."""
    files: list[tuple[Path, Tree | None]] = []
    for path in paths:
        if path.is_dir():
            tree = Tree.at(path)
            files.extend((p, tree) for p in sorted(path.rglob("*.md")))
        else:
            files.append((path, None))
    return files


def lint_paths(paths: Iterable[Path], dialect: str = "commonmark", lang: str = "ja") -> list[LintFinding]:
    """Lint every file (directories: their *.md); unreadable files are findings, not crashes."""
    findings: list[LintFinding] = []
    for path, tree in expand(paths):
        try:
            raw = tree.read(path)[1] if tree is not None else read_regular(path)
        except InputError as exc:  # a FIFO, a directory, a symlink out of the tree, a loop...
            findings.append(LintFinding(path, 1, "F008", exc.message, WARNING if isinstance(exc, Alias) else ERROR))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            message = f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {column}); re-save the file as UTF-8"
            findings.append(LintFinding(path, line, "F007", message, ERROR))
            continue
        findings.extend(lint_text(path, text, dialect=dialect, lang=lang))
    return findings
