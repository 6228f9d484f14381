"""Applying an XLIFF file: each unit found again by its `where` and checked against the
hashes in its id, the translated and final targets turned into changes, and the changes
spliced into the editions, checked to read back as intended, and committed with state and
memory (see the package docstring for what is refused).

Every refusal is collected before anything is written, so one import names every unit to
fix and a refused file writes nothing. (Named `importing` because `import` is a keyword.)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pipeline.config import Settings
from pipeline.edition import commit, render
from pipeline.errors import InputError, PipelineError
from pipeline.glossary import Glossary
from pipeline.inline import filled
from pipeline.post import parse_post, source_hash
from pipeline.review.xliff.active_content import LIQUID, added_active_content
from pipeline.review.xliff.read import local_name, parse, target_stream, to_markdown
from pipeline.review.xliff.texts import HASH, Loaded, Text, exported_state, load, texts_of
from pipeline.review.xliff.tokens import Tok, comparable, english_stream
from pipeline.state import SegmentRecord, on_disk_record, short_hash, state_path
from pipeline.target import Target

APPLIED_STATES = ("translated", "final", "signed-off")
_STATE_RANK = {"needs-review-translation": 0, "translated": 1, "final": 2, "signed-off": 2}


@dataclass(frozen=True)
class Change:
    post: Path  # the Japanese source
    where: str
    label: str
    line: int  # of the trans-unit in the XLIFF file
    text: str  # the English to write
    edited: bool  # False: same text, approved


@dataclass
class ImportResult:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    not_marked: int = 0  # units without a target, or not marked translated/final

    @property
    def edited(self) -> list[Change]:
        return [c for c in self.changes if c.edited]

    @property
    def approved(self) -> list[Change]:
        return [c for c in self.changes if not c.edited]


class ImportRefused(PipelineError):
    """Units that cannot be applied; nothing was written."""

    def __init__(self, path: Path, problems: list[PipelineError]) -> None:
        super().__init__(f"{len(problems)} unit(s) cannot be imported, so nothing was imported", path=path)
        self.problems = problems

    def __str__(self) -> str:
        return super().__str__() + "".join(f"\n  {p}" for p in self.problems)


def target_language(path: Path) -> str | None:
    """The target-language of the file's first <file> (`pipeline export` writes the
    edition's language code: `en-us`, `ko`), which says whose editions an import writes;
    None when the file says none or cannot be read (`import_file` then says why)."""
    try:
        root, _ = parse(path.read_bytes(), path)
    except (OSError, PipelineError):
        return None
    first = next((e for e in root if local_name(e.tag) == "file"), None)
    return (first.get("target-language") or None) if first is not None else None


def import_file(path: Path, settings: Settings, glossary: Glossary, dry_run: bool = False) -> ImportResult:
    """Apply the translated and final units of an XLIFF file (see the module docstring)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    root, lines = parse(data, path)
    if local_name(root.tag) != "xliff" or not root.get("version", "").startswith("1."):
        raise InputError(
            f"not an XLIFF 1.x file (root <{local_name(root.tag)} version={root.get('version')!r}>)", path=path, line=lines.get(root)
        )
    reading = _Import(path, settings, glossary, lines)
    for file_el in (e for e in root if local_name(e.tag) == "file"):
        reading.read_file(file_el)
    if reading.problems:
        raise ImportRefused(path, reading.problems)
    for loaded, changes in reading.posts.values():
        if changes:
            _verify_and_apply(loaded, changes, settings, glossary, path, dry_run)
            reading.result.changes += changes
    return reading.result


class _Import:
    """The units of one XLIFF file read against the posts: changes per post, counts, and
    every problem (all of them, so one import names every unit to fix)."""

    def __init__(self, path: Path, settings: Settings, glossary: Glossary, lines: dict[ET.Element, int]) -> None:
        self.path, self.settings, self.glossary, self.lines = path, settings, glossary, lines
        self.result = ImportResult()
        self.problems: list[PipelineError] = []
        self.posts: dict[Path, tuple[Loaded, list[Change]]] = {}
        self.source_root = settings.path(settings.source_dir).resolve()

    def read_file(self, file_el: ET.Element) -> None:
        line = self.lines.get(file_el)
        original = file_el.get("original", "")
        language = file_el.get("target-language")
        if language is not None and language.lower() != self.settings.target_lang.lower():
            message = f"<file original={original!r}> is in {language!r}, not {self.settings.target_lang.lower()!r}: one language per file"
            self.problems.append(InputError(message, path=self.path, line=line))
            return
        source = self.settings.path(self.settings.source_dir) / original
        if not original or Path(original).is_absolute() or not source.resolve().is_relative_to(self.source_root):
            message = f"<file original={original!r}> is not a post of {self.settings.source_dir}"
            self.problems.append(InputError(message, path=self.path, line=line))
            return
        try:
            loaded = load(source, self.settings, self.glossary)
        except PipelineError as exc:
            self.problems.append(InputError(f"{original}: {exc.message}", path=self.path, line=line))
            return
        changes = self.posts.setdefault(source, (loaded, []))[1]
        seen: set[str] = set()
        for unit in (e for e in file_el.iter() if local_name(e.tag) == "trans-unit"):
            try:
                change = _import_unit(unit, loaded, seen)
            except PipelineError as exc:
                where = f"{original}, unit {unit.get('id')!r}: {exc.message}"
                self.problems.append(InputError(where, path=self.path, line=self.lines.get(unit)))
                continue
            if change == "unchanged":
                self.result.unchanged += 1
            elif change is None:
                self.result.not_marked += 1
            else:
                changes.append(replace(change, line=self.lines.get(unit, 0)))


def _unit_found(unit: ET.Element, loaded: Loaded, seen: set[str]) -> tuple[str, str, tuple[Text, Text, SegmentRecord]]:
    """The segment a unit stands for (its `where`, the English hash at export, the pair),
    refusing a unit twice in the file, one we did not write, or one whose source changed."""
    ident = unit.get("id", "")
    if ident in seen:
        raise InputError("appears twice in the file")
    seen.add(ident)
    try:
        where, src_hash, en_hash = ident.rsplit(".", 2)
    except ValueError:
        raise InputError("is not a unit `pipeline export` wrote (unexpected id)") from None
    found = loaded.find(where)
    if found is None:
        raise InputError(f"the post has no segment {where!r} any more; export again")
    src = found[0]
    if short_hash(src.protected.xml)[:HASH] != src_hash:
        raise InputError(f"the Japanese source of {src.label} (line {src.line}) changed since export; export again and redo this unit")
    return where, en_hash, found


def _applied_state(unit: ET.Element) -> tuple[ET.Element, str] | None:
    """The unit's target and its state, when the state says to apply it."""
    target = next((e for e in unit if local_name(e.tag) == "target"), None)
    state = target.get("state", "") if target is not None else ""
    if not state and unit.get("approved") == "yes":  # approved, with no state to say more
        state = "final"
    return (target, state) if target is not None and state in APPLIED_STATES else None


def _target_markdown(toks: list[Tok], src: Text, en: Text, en_hash: str, fills: Sequence[str | None] = ()) -> str:
    """The Markdown a target brings, refused when the English changed since export, the
    target is empty, or it adds code. `fills`: the English titles in the segment's markup
    (units of their own), kept as the edition has them."""
    if short_hash(en.protected.joined)[:HASH] != en_hash:
        raise InputError(f"the English of {src.label} changed since export (edited meanwhile?); export again and redo this unit")
    words = "".join(t.text for t in toks if t.kind == "text")
    if not words.strip():
        raise InputError("the target is empty")
    if "{{" in words or "{%" in words:  # restore would write it as text; said here, as the translator's
        raise InputError(f"the target adds {LIQUID} that the source does not have; code is never imported")
    text = to_markdown(toks, filled(src.protected, fills))
    if src.segment is not None:
        text = src.segment.source if text == src.protected.joined else text.strip()
    added = added_active_content(src.segment.source if src.segment is not None else src.protected.joined, text)
    if added:
        raise InputError(f"the target adds {', '.join(added)} that the source does not have; code is never imported")
    return text


def _import_unit(unit: ET.Element, loaded: Loaded, seen: set[str]) -> Change | Literal["unchanged"] | None:
    where, en_hash, (src, en, record) = _unit_found(unit, loaded, seen)
    applied = _applied_state(unit)
    if applied is None:
        return None
    target, state = applied
    toks = target_stream(target)
    current_text = en.segment.source if en.segment is not None else en.protected.joined
    untranslated = en.protected.joined == src.protected.joined
    text = None
    if comparable(toks) != comparable(english_stream(src.protected, en.protected)) or untranslated:
        text = _target_markdown(toks, src, en, en_hash, loaded.fills(src))
    if untranslated and text == current_text:
        raise InputError("the target repeats the Japanese source; translate it or leave it untranslated")
    if text is None or text == current_text:  # the same English (perhaps with its tags written differently)
        if _STATE_RANK[state] <= _STATE_RANK[exported_state(record, False)] or record.o == "approved":
            return "unchanged"
        return Change(loaded.source, where, src.label, 0, current_text, edited=False)
    return Change(loaded.source, where, src.label, 0, text, edited=True)


_TITLE_UNIT = re.compile(r"b\d+\.t\d+")  # `where` of a title: body segment 3's second is `b3.t1`


def _fold_titles(loaded: Loaded, changes: list[Change], xlf: Path) -> list[Change]:
    """Each imported title written into its element's markup in its segment's English (the
    imported one, or the edition's): one change per segment, as the edition records them.
    Titles of one element (an `<img>`'s alt and title) are written together."""
    out = {c.where: c for c in changes if not _TITLE_UNIT.fullmatch(c.where)}
    by_element: dict[tuple[str, str], list[tuple[Change, int, int]]] = {}
    for change in (c for c in changes if _TITLE_UNIT.fullmatch(c.where)):
        found = loaded.find(change.where)
        assert found is not None and found[1].within is not None  # import found the unit
        markup, start, end = found[1].within
        by_element.setdefault((found[1].parent, markup), []).append((change, start, end))
    for (parent_where, markup), titles in by_element.items():
        parent = loaded.find(parent_where)
        assert parent is not None and parent[1].segment is not None
        base = out.get(parent_where)
        text = base.text if base is not None and base.edited else parent[1].segment.source
        if text.count(markup) != 1:
            line = titles[0][0].line
            raise InputError(
                f"{titles[0][0].label}: its element stands {text.count(markup)} times in the English; edit it in the edition",
                path=xlf,
                line=line,
            )
        new = markup
        for change, start, end in sorted(titles, key=lambda title: title[1], reverse=True):
            new = new[:start] + change.text + new[end:]
        out[parent_where] = Change(
            titles[0][0].post, parent_where, parent[0].label, titles[0][0].line, text.replace(markup, new), edited=True
        )
    return list(out.values())


def _verify_and_apply(loaded: Loaded, changes: list[Change], settings: Settings, glossary: Glossary, xlf: Path, dry_run: bool) -> None:
    """Splice the changes into the edition, check that it reads back as intended, then
    write memory, state and edition through `edition.commit`, in a run's crash-safe order."""
    edition, changes = loaded.edition, _fold_titles(loaded, changes, xlf)
    by_where = {c.where: c for c in changes}
    body_edits = []
    field_edits = []
    for src, en, _ in loaded.pairs():
        change = by_where.get(src.where)
        if change is None or not change.edited:
            continue
        if en.segment is not None:
            body_edits.append((en.segment.start, en.segment.end, change.text))
        elif en.fm_field is not None:
            field_edits.append((en.fm_field, change.text))
    data = render(edition, body_edits, field_edits, {})
    check = parse_post(loaded.edition_path, data)
    body, fields = texts_of(check, settings, glossary)
    written = {t.where: (t.segment.source if t.segment is not None else t.protected.joined) for t in body + list(fields.values())}
    if len(body) != len(loaded.en_body) or any(written.get(c.where) != c.text for c in changes if c.edited):
        bad = next((c for c in changes if written.get(c.where) != c.text), changes[0])
        raise InputError(
            f"{bad.label}: the imported English would change the edition's structure (it starts a list, heading or "
            "code block?); fix it in the CAT tool and import again",
            path=xlf,
            line=bad.line,
        )
    record = loaded.record
    memory = Target.of(settings).load_memory()
    new_records = []
    body_i = 0
    for rec in record.segments:
        where = rec.f if rec.f is not None else f"b{body_i}"
        if rec.f is None:
            body_i += 1
        change = by_where.get(where)
        if change is None:
            new_records.append(rec)
            continue
        found = loaded.find(where)
        assert found is not None
        memory.approve(found[0].protected.joined, change.text, loaded.relative.as_posix(), origin="approved")
        new_records.append(replace(rec, e=short_hash(change.text) if change.edited else rec.e, o="approved", review=False))
    old_sha = loaded.edition.source_hash  # the edition the changes were read against: an edit since is not replaced
    new_sha = source_hash(data)
    clean = old_sha == record.edition_sha256
    # An edition with other edits not yet recorded keeps its recorded hash, so the next run
    # still sees those edits as a translator's (their segment hashes differ from the record).
    state = replace(record, segments=tuple(new_records), edition_sha256=new_sha if clean else record.edition_sha256)
    if dry_run:
        return
    state_file, built_from = state_path(settings, loaded.relative), on_disk_record(record, old_sha)
    commit(loaded.edition_path, data, state_file, state, old_sha, built_from, memory if memory.changed else None)
