"""The term base: names that are never translated, fixed terms, and the category/tag taxonomy.

It lives in `glossary/*.tsv`, one entry per line (`kind`, `ja`, `en`, `note`, tab-separated),
so translators edit and review it in plain git diffs. Loading validates everything, with
file and line, before anything is sent or written. A file whose first line names its
columns (`kind ja en zh-hans ko note`, `#` in front or not) holds a column per target
language; `Glossary.in_language` is the term base one language's run uses. A file without
such a line has today's columns: English only.

How it is applied, for every engine alike:
- names are protected before translation (as `<x>` elements), so no engine can mangle them;
- terms go to DeepL as a glossary (and to the pseudo engine directly), and are checked in
  the output: a term found in the source whose English is missing in the translation is
  reported;
- the cache key of a segment includes only the terms that occur in it, so editing one
  entry re-translates only the segments that contain its term.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from pipeline.errors import GlossaryError
from pipeline.engines import KEEP_TAG

Kind = Literal["name", "term", "taxonomy"]
KINDS: tuple[str, ...] = ("name", "term", "taxonomy")
DEEPL_NAME_PREFIX = "pipeline-"


@dataclass(frozen=True)
class Entry:
    kind: Kind
    source: str
    target: str  # English ("" when the file's English column is empty), or the language `in_language` chose
    note: str
    path: Path
    line: int
    languages: tuple[tuple[str, str], ...] = ()  # (column, text) of every other target language with a text

    def text_in(self, language: str) -> str:
        """This entry's text in a target language (a DeepL code, `ZH-HANS`; its column is
        `zh-hans`, or `zh`), "" when it has none; a name is itself in every language."""
        if self.kind == "name":
            return self.source
        wanted = language.lower()
        columns = {"en": self.target, **dict(self.languages)}
        for column in (wanted, wanted.split("-")[0]):
            if columns.get(column):
                return columns[column]
        return ""


@dataclass(frozen=True)
class Glossary:
    entries: tuple[Entry, ...] = ()
    files: tuple[Path, ...] = field(default=())

    def in_language(self, language: str) -> Glossary:
        """The term base of one target language (a DeepL code): each entry's text in that
        language; a term or taxonomy entry with none there is left out (the engine
        translates it), a name stays a name. English's is the term base as it always was."""
        entries = [dataclasses.replace(e, target=e.text_in(language)) for e in self.entries]
        return Glossary(tuple(e for e in entries if e.target), self.files)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(e.source for e in self.entries if e.kind == "name")

    @cached_property
    def terms(self) -> dict[str, str]:
        return {e.source: e.target for e in self.entries if e.kind == "term"}

    @cached_property
    def taxonomy(self) -> dict[str, str]:
        return {e.source: e.target for e in self.entries if e.kind == "taxonomy"}

    @cached_property
    def keep_pattern(self) -> re.Pattern[str] | None:
        """Matches any name, longest first, never inside a longer Latin word ("Titanium")."""
        if not self.names:
            return None
        alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the content of the DeepL glossary (terms only), for its name."""
        payload = "\n".join(f"{s}\t{t}" for s, t in sorted(self.terms.items()))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @property
    def deepl_name(self) -> str:
        return DEEPL_NAME_PREFIX + self.fingerprint

    def terms_in(self, text: str) -> list[tuple[str, str]]:
        """The (ja, en) terms contained anywhere in a piece of source prose, even inside a
        longer term: the cache key uses this, so editing any entry whose text occurs
        re-translates the segment."""
        return terms_in(self.terms, text)

    @cached_property
    def _term_pattern(self) -> re.Pattern[str] | None:
        if not self.terms:
            return None
        return re.compile("|".join(re.escape(s) for s in sorted(self.terms, key=len, reverse=True)))

    def occurrences(self, text: str) -> dict[str, int]:
        """How often each term occurs, longest match first: `推論` inside `推論モデル` is an
        occurrence of `推論モデル` only (its English is "reasoning model", which does not
        contain "inference"). In the glossary's order."""
        if self._term_pattern is None:
            return {}
        found: dict[str, int] = {}
        for m in self._term_pattern.finditer(text):
            found[m.group(0)] = found.get(m.group(0), 0) + 1
        return {s: found[s] for s in self.terms if s in found}

    def misses(self, source_prose: str, translation: str) -> list[tuple[str, str]]:
        """Terms of the source whose English does not appear in the translation."""
        lowered = translation.casefold()
        return [(s, self.terms[s]) for s in self.occurrences(source_prose) if not _appears(self.terms[s], lowered)]


def terms_in(terms: Mapping[str, str], text: str) -> list[tuple[str, str]]:
    """`Glossary.terms_in` over a bare term table (what an engine is given)."""
    return [(s, t) for s, t in terms.items() if s in text]


def _appears(target: str, lowered_translation: str) -> bool:
    wanted = target.casefold()
    if wanted in lowered_translation:
        return True
    # Accept the usual inflections DeepL produces for a noun: plural, hyphenation.
    return wanted.replace("-", " ") in lowered_translation.replace("-", " ")


_MARKUP = re.compile(r"<[^>\n]*>|[*_~`\[\]]")


def prose_of_markdown(text: str) -> str:
    """The words of an English segment as written to the edition, for the term check:
    emphasis, code and link brackets and inline tags dropped, so `**foundation** model`
    still reads "foundation model"."""
    return _MARKUP.sub("", text)


def prose_of(xml: str) -> str:
    """The translatable text of an engine string: tags dropped, protected elements removed."""
    root = ET.fromstring(f"<seg>{xml}</seg>")
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag == KEEP_TAG:
            return
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(root)
    return "".join(parts)


class GlossaryErrors(GlossaryError):
    """Every error of the term base, so that one pass over the files fixes them all."""

    def __init__(self, problems: list[GlossaryError]) -> None:
        super().__init__(f"{len(problems)} errors in the glossary")
        self.problems = problems

    def __str__(self) -> str:
        return self.message + ":" + "".join(f"\n  {p}" for p in self.problems)


def load_glossary(directory: Path) -> Glossary:
    """Read every `*.tsv` in `directory` (sorted); a missing folder is an empty glossary.

    Raises the one GlossaryError, or GlossaryErrors listing every one found."""
    if not directory.is_dir():
        return Glossary()
    files = tuple(sorted(directory.glob("*.tsv")))
    entries: list[Entry] = []
    problems: list[GlossaryError] = []
    for path in files:
        entries.extend(_read_file(path, problems))
    problems += _duplicates(entries)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise GlossaryErrors(problems)
    return Glossary(tuple(entries), files)


def _read_file(path: Path, problems: list[GlossaryError]) -> list[Entry]:
    """The entries of one file; its bad lines go to `problems`."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(GlossaryError("not valid UTF-8", path=path, line=text_line(path.read_bytes(), exc.start)))
        return []
    entries: list[Entry] = []
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    columns: tuple[str, ...] | None = None  # named by the file's first line, or today's
    for number, row in enumerate(reader, start=1):
        if not row or not "".join(row).strip():
            continue
        if columns is None:
            columns = _header(row)
            if columns is not None:
                continue
            columns = COLUMNS
        if row[0].lstrip().startswith("#"):
            continue
        try:
            entries.append(_entry(row, columns, path, number))
        except GlossaryError as exc:
            problems.append(exc)
    return entries


COLUMNS = ("kind", "ja", "en", "note")  # a file's columns when its first line does not name them


def _header(row: list[str]) -> tuple[str, ...] | None:
    """The columns a file's first line names (`kind ja en zh-hans ko note`, commented or not),
    or None when it is not such a line."""
    cells = [cell.strip().lstrip("#").strip().lower() for cell in row]
    if len(cells) < 3 or cells[:2] != ["kind", "ja"] or "" in cells:
        return None
    return tuple(cells)


def _entry(row: list[str], columns: tuple[str, ...], path: Path, number: int) -> Entry:
    if len(row) < 3 or len(row) > len(columns):
        raise GlossaryError(
            f"malformed line: expected 3 to {len(columns)} tab-separated fields ({', '.join(columns)}), found {len(row)}"
            + (" — are the tabs spaces?" if len(row) == 1 else ""),
            path=path,
            line=number,
        )
    cells = dict(zip(columns, (cell.strip() for cell in row)))
    kind, source, note = cells["kind"], cells["ja"], cells.get("note", "")
    texts = {c: t for c, t in cells.items() if c not in ("kind", "ja", "note")}
    if kind not in KINDS:
        raise GlossaryError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}", path=path, line=number)
    if not source:
        raise GlossaryError("empty Japanese source", path=path, line=number)
    if kind == "name":
        for column, text in texts.items():
            if text and text != source:
                raise GlossaryError(
                    f"a name is never translated: leave the {column} column empty or equal to {source!r}", path=path, line=number
                )
        return Entry(kind, source, source, note, path, number)  # type: ignore[arg-type]  # kind checked against KINDS above
    if not any(texts.values()):
        language = "English" if columns == COLUMNS else f"{'/'.join(texts)}"
        raise GlossaryError(f"empty {language} target for {source!r}", path=path, line=number)
    others = tuple((c, t) for c, t in texts.items() if c != "en" and t)
    return Entry(kind, source, texts.get("en", ""), note, path, number, others)  # type: ignore[arg-type]  # kind checked against KINDS above


def _duplicates(entries: list[Entry]) -> list[GlossaryError]:
    problems: list[GlossaryError] = []
    seen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        group = "taxonomy" if entry.kind == "taxonomy" else "text"
        earlier = seen.get((group, entry.source))
        if earlier is not None and (earlier.target, earlier.languages) != (entry.target, entry.languages):
            problems.append(
                GlossaryError(
                    f"{entry.source!r} is already defined as {earlier.target!r} at {earlier.path}:{earlier.line}; "
                    f"here it is {entry.target!r}",
                    path=entry.path,
                    line=entry.line,
                )
            )
        seen.setdefault((group, entry.source), entry)
    return problems


def text_line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1
